"""Wall accounts: bcrypt hashes, roles, assignments, the `witness user` and `wall` commands."""

from __future__ import annotations

import argparse
import io

import pytest
from sqlalchemy import inspect

from witness.cli import main
from witness.store import accounts


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch):
    monkeypatch.setattr(accounts, "BCRYPT_ROUNDS", 4)


def test_migration_creates_tables_and_accounts_work(store):
    names = set(inspect(store.engine).get_table_names())
    assert {"users", "project_assignments"} <= names
    accounts.add_user(store.engine, "li", "s3cret", "officer", projects=["P1", "P2"])
    acc = accounts.authenticate(store.engine, "li", "s3cret")
    assert acc is not None and acc.projects == ("P1", "P2") and acc.role == "officer"
    assert accounts.authenticate(store.engine, "li", "wrong") is None
    assert accounts.authenticate(store.engine, "nobody", "s3cret") is None
    with store.session() as s:
        row = s.get(accounts.UserRow, "li")
        assert row.password_hash.startswith("$2") and "s3cret" not in row.password_hash


def test_roles_pages_and_projects(sqlite_url, monkeypatch):
    from witness.store import Store

    monkeypatch.setenv("WITNESS_LOCALE", "zh-CN")
    store = Store(sqlite_url)
    with pytest.raises(accounts.AccountError, match="未知角色 'boss'"):
        accounts.add_user(store.engine, "x", "pw", "boss")
    accounts.add_user(store.engine, "li", "pw", "officer", projects=["P1"])
    with pytest.raises(accounts.AccountError, match="用户 li 已存在"):
        accounts.add_user(store.engine, "li", "pw", "officer")
    accounts.assign(store.engine, "li", "P2")
    accounts.assign(store.engine, "li", "P2")  # idempotent
    acc = accounts.get_account(store.engine, "li")
    assert acc.projects == ("P1", "P2")
    assert acc.may_open("wall") and not acc.may_open("ops") and not acc.may_open("archive")
    assert acc.may_see_project("P1") and not acc.may_see_project("P3") and acc.may_decide
    accounts.assign(store.engine, "li", "P1", remove=True)
    assert accounts.get_account(store.engine, "li").projects == ("P2",)
    auditor = accounts.Account("a", "auditor", "a")
    assert auditor.may_see_project("P9") and not auditor.may_decide and auditor.may_open("archive")
    assert accounts.Account("o", "ops", "o").may_open("ops")
    assert not accounts.Account("o", "ops", "o").may_open("wall")
    accounts.set_active(store.engine, "li", False)
    assert accounts.authenticate(store.engine, "li", "pw") is None
    store.close()


def test_user_command(sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    monkeypatch.setattr("sys.stdin", io.StringIO("topsecret\n"))
    rc = main(["user", "add", "li", "--role", "officer", "--project", "P1", "--password-stdin"])
    assert rc == 0
    assert main(["user", "assign", "li", "P7"]) == 0
    assert main(["user", "list"]) == 0
    out = capsys.readouterr().out
    assert "user li added (officer)" in out
    assert "li\tofficer\tli\tP1,P7" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    assert main(["user", "add", "li", "--role", "officer", "--password-stdin"]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["user", "assign", "ghost", "P1"]) == 1
    from witness.store import Store

    store = Store(sqlite_url)
    assert accounts.authenticate(store.engine, "li", "topsecret") is not None
    store.close()


@pytest.mark.parametrize(
    ("password", "kept"),
    [("密" * 24, True), ("密" * 25, False), ("x" * 72, True), ("x" * 73, False)],
)
def test_a_password_bcrypt_cannot_read_whole_is_refused_by_name(
    password, kept, sqlite_url, monkeypatch, capsys
):
    """bcrypt reads 72 bytes: 25 Chinese characters were a ValueError traceback."""
    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    rc = main(["user", "add", "li", "--role", "officer", "--password-stdin"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    from witness.store import Store

    store = Store(sqlite_url)
    try:
        if kept:
            assert rc == 0 and accounts.authenticate(store.engine, "li", password) is not None
            assert accounts.authenticate(store.engine, "li", password[:-1]) is None
        else:
            assert rc != 0 and "72 个字节" in err
            assert accounts.authenticate(store.engine, "li", password) is None
    finally:
        store.close()


def test_wall_command_line():
    from witness.commands import wall

    cmd = wall.command(argparse.Namespace(port=8765, address="127.0.0.1", headless=True))
    assert cmd[1:4] == ["-m", "streamlit", "run"]
    assert cmd[4].endswith("dashboards/app.py")
    assert "8765" in cmd and "127.0.0.1" in cmd


def test_stored_hashes_follow_the_configured_work_factor(store, monkeypatch):
    """bcrypt's cost dominates a sign-in on a busy machine (bench/login.py): a hash made
    at another cost is remade at the configured one when its owner next signs in."""
    monkeypatch.setattr(accounts, "BCRYPT_ROUNDS", 5)
    accounts.add_user(store.engine, "li", "s3cret", "officer")
    with store.session() as s:
        assert accounts.hash_rounds(s.get(accounts.UserRow, "li").password_hash) == 5
    monkeypatch.setattr(accounts, "BCRYPT_ROUNDS", 4)
    assert accounts.authenticate(store.engine, "li", "wrong") is None
    with store.session() as s:  # a failed attempt changes nothing
        assert accounts.hash_rounds(s.get(accounts.UserRow, "li").password_hash) == 5
    assert accounts.authenticate(store.engine, "li", "s3cret") is not None
    with store.session() as s:
        assert accounts.hash_rounds(s.get(accounts.UserRow, "li").password_hash) == 4
    assert accounts.authenticate(store.engine, "li", "s3cret") is not None
    assert accounts._rounds_from_env() >= 10
    monkeypatch.setenv("WITNESS_BCRYPT_ROUNDS", "8")
    with pytest.raises(ValueError, match="WITNESS_BCRYPT_ROUNDS"):
        accounts._rounds_from_env()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["add", "x" * 129, "--role", "officer"], "用户名最多 128 个字符，这里有 129 个"),
        (["add", "li", "--role", "officer", "--display-name", "名" * 257], "显示姓名最多 256"),
        (["add", "li", "--role", "officer", "--project", "P" * 257], "项目编号最多 256"),
        (["add", "li\twang", "--role", "officer"], "控制字符：'li\\twang'"),
        (["add", "li\nwang", "--role", "officer"], "控制字符"),
        (["add", " li", "--role", "officer"], "首尾不能有空格"),
        (["add", "li", "--role", "officer", "--project", " "], "项目编号为空"),
    ],
)
def test_names_the_store_cannot_keep_or_list_are_refused_on_both_backends(
    db_url, monkeypatch, capsys, argv, said
):
    """PostgreSQL died in a DataError traceback on a 129-character name that SQLite kept
    (the same command, two outcomes); a tab or a line break in a name broke `user list`
    and a leading space made a second 'li' no one could tell apart at the login."""
    monkeypatch.setenv("WITNESS_DATABASE_URL", db_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("pw\n"))
    assert main(["user", *argv, "--password-stdin"]) == 1
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and "sqlalchemy" not in err
    assert main(["user", "list"]) == 0
    assert "还没有账号" in capsys.readouterr().out  # nothing half-made


def test_a_project_the_store_never_heard_of_is_assigned_with_a_note(
    sqlite_url, monkeypatch, capsys
):
    from witness.events import make_event
    from witness.store import Store

    Store(sqlite_url).write(
        [
            make_event(
                "project.registered", "JY-2026-0001", "2026-11-20T08:00:00+08:00", {"name": "道路"}
            )
        ]
    )
    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("pw\n"))
    assert (
        main(
            [
                "user",
                "add",
                "li",
                "--role",
                "officer",
                "--password-stdin",
                "--project",
                "JY-2026-0001",
            ]
        )
        == 0
    )
    assert "没有项目" not in capsys.readouterr().err
    assert main(["user", "assign", "li", "JY-2026-001"]) == 0  # a digit short: still assigned
    err = capsys.readouterr().err
    assert "本库还没有项目 JY-2026-001 的任何记录（编号是否有误？）" in err
    assert main(["user", "disable", "li"]) == 0 and main(["user", "list"]) == 0
    out = capsys.readouterr().out
    assert "JY-2026-0001,JY-2026-001（已停用）" in out and "disabled" not in out
