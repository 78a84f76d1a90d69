"""`witness user`: wall accounts (add, assign projects, list, disable) for admins."""

from __future__ import annotations

import argparse
import getpass
import sys

from witness.i18n import register, t

HELP = (
    "管理监控墙账号：添加用户（见证人员/审计/运维/管理员）、分配项目、列出、停用",
    "manage wall accounts: add users (officer/auditor/ops/admin), assign projects, list, disable",
)

register(
    {
        "user.added": ("已添加用户 {name}（{role}）", "user {name} added ({role})"),
        "user.assigned": (
            "已将项目 {project} 分配给 {name}",
            "project {project} assigned to {name}",
        ),
        "user.unassigned": (
            "已取消 {name} 的项目 {project}",
            "project {project} removed from {name}",
        ),
        "user.disabled": ("已停用用户 {name}", "user {name} disabled"),
        "user.enabled": ("已启用用户 {name}", "user {name} enabled"),
        "user.prompt": ("{name} 的密码：", "password for {name}: "),
        "user.prompt_again": ("再次输入密码：", "repeat the password: "),
        "user.mismatch": ("两次输入的密码不一致", "the passwords do not match"),
        "user.no_password": ("密码为空", "empty password"),
        "user.none": (
            "还没有账号；用 witness user add 添加",
            "no accounts yet; add one with witness user add",
        ),
        "user.error": ("错误：{error}", "error: {error}"),
        "user.disabled_flag": ("（已停用）", " (disabled)"),
        "user.unknown_project": (
            "注意：本库还没有项目 {project} 的任何记录（编号是否有误？）；项目登记后该用户即可看到",
            "note: this store has no records of project {project} yet (is the id right?); "
            "the user sees it once it is registered",
        ),
    }
)


register(
    {
        "help.user.add": ("添加用户", "add a user"),
        "help.user.name": ("登录名", "login name"),
        "help.user.role": (
            "角色：officer 见证人员、auditor 审计、ops 运维、admin 管理员",
            "role: officer, auditor, ops or admin",
        ),
        "help.user.display_name": ("监控墙上显示的姓名", "name shown on the wall"),
        "help.user.project": ("分配一个项目（可重复）", "assign a project (repeat)"),
        "help.user.password_stdin": ("从标准输入读取密码", "read the password from standard input"),
        "help.user.assign": ("把项目分配给见证人员", "assign a project to an officer"),
        "help.user.assign.project": ("项目编号", "project id"),
        "help.user.remove": ("改为收回该项目", "take the project away instead"),
        "help.user.list": ("列出账号", "list accounts"),
        "help.user.disable": ("停用账号（或用 --enable 重新启用）", "disable (or --enable) a user"),
        "help.user.enable": ("改为重新启用该账号", "enable the account again instead"),
        "epilog.user": (
            "示例：\n"
            "  witness user add li --role officer --project JY-2026-0012 --project JY-2026-0013\n"
            "  echo 's3cret' | witness user add audit1 --role auditor --password-stdin\n"
            "  witness user assign li JY-2026-0014\n"
            "  witness user list",
            "examples:\n"
            "  witness user add li --role officer --project JY-2026-0012 --project JY-2026-0013\n"
            "  echo 's3cret' | witness user add audit1 --role auditor --password-stdin\n"
            "  witness user assign li JY-2026-0014\n"
            "  witness user list",
        ),
    }
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    fmt = {"formatter_class": p.formatter_class}
    a = sub.add_parser("add", help=t("help.user.add"), **fmt)
    a.add_argument("name", help=t("help.user.name"))
    a.add_argument(
        "--role",
        required=True,
        choices=["officer", "auditor", "ops", "admin"],
        help=t("help.user.role"),
    )
    a.add_argument("--display-name", default="", help=t("help.user.display_name"))
    a.add_argument("--project", action="append", default=[], help=t("help.user.project"))
    a.add_argument("--password-stdin", action="store_true", help=t("help.user.password_stdin"))
    s = sub.add_parser("assign", help=t("help.user.assign"), **fmt)
    s.add_argument("name", help=t("help.user.name"))
    s.add_argument("project", help=t("help.user.assign.project"))
    s.add_argument("--remove", action="store_true", help=t("help.user.remove"))
    sub.add_parser("list", help=t("help.user.list"), **fmt)
    d = sub.add_parser("disable", help=t("help.user.disable"), **fmt)
    d.add_argument("name", help=t("help.user.name"))
    d.add_argument("--enable", action="store_true", help=t("help.user.enable"))
    p.epilog = t("epilog.user")


def _password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(t("user.prompt", name=args.name))
    if getpass.getpass(t("user.prompt_again")) != first:
        print(t("user.mismatch"), file=sys.stderr)
        return None
    return first


def _note_unknown(store, projects) -> None:
    """Assigning ahead of registration is normal; a typo in the id looks the same, so say so."""
    for project in dict.fromkeys(projects or ()):
        if not store.knows(project):
            print(t("user.unknown_project", project=project), file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from witness.commands.common import load_settings
    from witness.store import Store, accounts

    store = Store(load_settings().database_url)
    try:
        if args.action == "add":
            password = _password(args)
            if password is None:
                return 2
            if not password:
                print(t("user.no_password"), file=sys.stderr)
                return 2
            accounts.add_user(
                store.engine,
                args.name,
                password,
                args.role,
                display_name=args.display_name,
                projects=args.project,
            )
            print(t("user.added", name=args.name, role=args.role))
            _note_unknown(store, args.project)
        elif args.action == "assign":
            accounts.assign(store.engine, args.name, args.project, remove=args.remove)
            key = "user.unassigned" if args.remove else "user.assigned"
            print(t(key, name=args.name, project=args.project))
            if not args.remove:
                _note_unknown(store, [args.project])
        elif args.action == "disable":
            accounts.set_active(store.engine, args.name, args.enable)
            print(t("user.enabled" if args.enable else "user.disabled", name=args.name))
        else:
            rows = accounts.list_accounts(store.engine)
            if not rows:
                print(t("user.none"))
            for acc, active in rows:
                flag = "" if active else t("user.disabled_flag")
                projects = ",".join(acc.projects) or "-"
                print(f"{acc.username}\t{acc.role}\t{acc.display_name}\t{projects}{flag}")
    except accounts.AccountError as exc:
        print(t("user.error", error=exc), file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0
