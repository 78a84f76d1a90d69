"""Where `witness demo` writes, and the accounts it makes: never a real database by accident.

The demo writes simulated projects, alerts and accounts. Into `var/demo.db` (its own,
wiped at every start) that is harmless; into whatever WITNESS_DATABASE_URL names, it could
be production. So a configured database is refused unless the person says so twice:
`--into URL --yes`. Demo accounts get a fresh random password (or WITNESS_DEMO_PASSWORD),
printed at start; an account that already exists in the target is left untouched.
"""

from __future__ import annotations

import argparse
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from witness.errors import WitnessError
from witness.i18n import register, t

DEMO_DB = Path("var/demo.db")
DEMO_URL = f"sqlite:///{DEMO_DB}"
DEMO_ACCOUNTS = (("admin", "admin"), ("officer", "officer"), ("auditor", "auditor"), ("ops", "ops"))

register(
    {
        "demo.refuse_env": (
            "WITNESS_DATABASE_URL 指向 {url}：演示会写入模拟项目、告警和账号，不写非演示数据库。"
            "取消该变量即使用演示库 {demo}；确要写入，请用 --into {url} --yes",
            "WITNESS_DATABASE_URL names {url}: the demo writes simulated projects, alerts and "
            "accounts, and does not write into a database that is not its own. Unset it to use "
            "{demo}; to write there anyway, pass --into {url} --yes",
        ),
        "demo.refuse_into": (
            "--into {url} 会把演示数据写入该数据库；确认请加 --yes",
            "--into {url} writes demo data into that database; add --yes to confirm",
        ),
        "demo.accounts_new": (
            "演示账号 {names}，密码 {password}（officer 分配前 4 个项目）",
            "demo accounts {names}, password {password} (officer watches the first 4 projects)",
        ),
        "demo.accounts_kept": (
            "已存在的账号未改动（密码不变）：{names}",
            "existing accounts left as they were (passwords unchanged): {names}",
        ),
        "help.demo.into": (
            "把演示写入此数据库，而不是 var/demo.db（需要 --yes）",
            "write the demo into this database instead of var/demo.db (needs --yes)",
        ),
        "help.demo.yes": ("确认 --into", "confirm --into"),
    }
)


class DemoTargetError(WitnessError):
    """The demo was pointed at a database that is not its own, without consent."""


@dataclass(frozen=True)
class DemoTarget:
    url: str
    fresh: bool  # the demo's own file: wiped before the run


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--into", metavar="URL", help=t("help.demo.into"))
    p.add_argument("--yes", action="store_true", help=t("help.demo.yes"))


def choose_target(args: argparse.Namespace, env: dict[str, str] | None = None) -> DemoTarget:
    """var/demo.db unless told otherwise, twice; raise DemoTargetError if not told enough."""
    env = dict(os.environ if env is None else env)
    into = getattr(args, "into", None)
    if into:
        if into == DEMO_URL:
            return DemoTarget(DEMO_URL, fresh=True)
        if not getattr(args, "yes", False):
            raise DemoTargetError(t("demo.refuse_into", url=into))
        return DemoTarget(into, fresh=False)
    configured = env.get("WITNESS_DATABASE_URL")
    if configured and configured != DEMO_URL:
        raise DemoTargetError(t("demo.refuse_env", url=configured, demo=DEMO_URL))
    return DemoTarget(DEMO_URL, fresh=True)


def wipe(target: DemoTarget) -> None:
    if target.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEMO_DB}{suffix}").unlink(missing_ok=True)


def demo_password(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ if env is None else env)
    return env.get("WITNESS_DEMO_PASSWORD") or secrets.token_urlsafe(9)


def make_accounts(engine, project_ids: list[str], password: str) -> tuple[list[str], list[str]]:
    """Create the demo accounts that are missing; (created, left as they were)."""
    from witness.store import accounts

    existing = {acct.username for acct, _ in accounts.list_accounts(engine)}
    created, kept = [], []
    for name, role in DEMO_ACCOUNTS:
        if name in existing:
            kept.append(name)
            continue
        accounts.add_user(engine, name, password, role=role)
        created.append(name)
    if "officer" in created:
        for pid in project_ids[:4]:
            accounts.assign(engine, "officer", pid)
    return created, kept


def announce(created: list[str], kept: list[str], password: str) -> list[str]:
    lines = []
    if created:
        lines.append(t("demo.accounts_new", names=", ".join(created), password=password))
    if kept:
        lines.append(t("demo.accounts_kept", names=", ".join(kept)))
    return lines
