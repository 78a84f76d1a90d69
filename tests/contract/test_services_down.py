"""A mistyped database URL, a database or a broker that is down: one line, exit 2.

WITNESS_DATABASE_URL is checked before a command opens it (witness/config.py); an outage
is told apart from a bug at the front door (witness/cli.py). Before, a mistyped scheme
(`postgres://` from a hosting panel, `mysql://`), a database or a broker that was down made
every command that touches them, and the wall in every browser, die in a traceback.
"""

from __future__ import annotations

import pytest

from witness.cli import main
from witness.config import Settings
from witness.errors import ConfigError


@pytest.mark.parametrize(
    ("given", "read"),
    [
        (None, "sqlite:///var/witness.db"),
        ("sqlite:///var/x.db", "sqlite:///var/x.db"),
        ("sqlite://", "sqlite://"),
        ("SQLite:///var/x.db", "sqlite:///var/x.db"),
        ("postgresql://u@db:5432/witness", "postgresql://u@db:5432/witness"),
        ("postgresql+psycopg2://u@db/witness", "postgresql+psycopg2://u@db/witness"),
        # libpq's and many hosts' spelling; SQLAlchemy dropped the alias
        ("postgres://u:pw@db/witness", "postgresql://u:pw@db/witness"),
    ],
)
def test_a_database_the_store_runs_on_is_read(given, read) -> None:
    env = {} if given is None else {"WITNESS_DATABASE_URL": given}
    assert Settings.from_env(env).database_url == read


@pytest.mark.parametrize(
    "given",
    [
        "bogus://",
        "mysql://u:s3cret@db/witness",
        "postgresql+asyncpg://u:s3cret@db/witness",
        "u:s3cret@db/witness",
        "u:s3cret",
        "var/witness.db",
    ],
)
def test_any_other_is_refused_by_name_without_its_password(given) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"WITNESS_DATABASE_URL": given})
    text = info.value.describe()
    assert text.startswith("WITNESS_DATABASE_URL: ")
    assert "sqlite:///" in text and "postgresql://" in text  # what to write instead
    assert "s3cret" not in text


@pytest.mark.parametrize("command", [["user", "list"], ["replay", "--project", "P"], ["wall"]])
def test_commands_say_so_in_one_line(command, monkeypatch, capsys) -> None:
    monkeypatch.setenv("WITNESS_DATABASE_URL", "postgresql+asyncpg://u@db/witness")
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    monkeypatch.setattr("os.execve", lambda *a: pytest.fail("the wall started"))
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：WITNESS_DATABASE_URL: 不支持的数据库地址") and err.count("\n") == 1


@pytest.mark.parametrize("command", [["user", "list"], ["replay", "--project", "P"]])
def test_a_database_that_is_down_is_one_line_too(command, monkeypatch, capsys) -> None:
    """Nothing listens on port 1: the commands said so in a 40-line SQLAlchemy traceback."""
    monkeypatch.setenv("WITNESS_DATABASE_URL", "postgresql://u:s3cret@127.0.0.1:1/witness")
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith("数据库不可用或拒绝了操作：") and "127.0.0.1" in err
    assert "witness doctor" in err and err.count("\n") == 1 and "s3cret" not in err


def test_a_bug_keeps_its_traceback(monkeypatch) -> None:
    """Only the database refusing to work becomes one line; anything else is a bug to report."""
    import witness.commands.user as user

    def broken(_args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(user, "run", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["user", "list"])


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            "kafka.errors:KafkaTimeoutError",
            "无法连接消息代理：Unable to bootstrap from 10.0.0.9:9092（",
        ),
        (
            "kafka.errors:KafkaConnectionError",
            "无法连接消息代理：Unable to bootstrap from 10.0.0.9:9092（",
        ),
        ("sqlalchemy.exc:OperationalError", "数据库不可用或拒绝了操作：Unable to bootstrap"),
    ],
)
def test_an_outage_raised_anywhere_in_a_command_is_one_line(error, expected, monkeypatch, capsys):
    import importlib

    import witness.commands.user as user

    module, name = error.split(":")
    cls = getattr(importlib.import_module(module), name)
    reason = "Unable to bootstrap from 10.0.0.9:9092"
    exc = cls(reason, None, Exception(reason)) if module.startswith("sqlalchemy") else cls(reason)

    def down(_args):
        raise exc

    monkeypatch.setattr(user, "run", down)
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    assert main(["user", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(expected) and "witness doctor" in err and err.count("\n") == 1


@pytest.mark.slow
def test_a_broker_that_is_down_is_one_line(monkeypatch, capsys) -> None:
    """Nothing listens on port 1; kafka-python gives up bootstrapping after ~30 s."""
    monkeypatch.setenv("WITNESS_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    assert main(["tail"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("无法连接消息代理：") and "127.0.0.1:1" in err[-1]
    assert not any("Traceback" in line for line in err)


def test_a_closed_pipe_is_still_fine(monkeypatch) -> None:
    """`witness tail | head`: the reader left, nothing went wrong (exit 0, no traceback)."""
    import io

    import witness.commands.user as user

    def reader_left(_args):
        raise BrokenPipeError

    monkeypatch.setattr(user, "run", reader_left)
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert main(["user", "list"]) == 0


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (["replay", "--project", "P"], 2),
        (["archive", "export", "P"], 2),
        (["archive", "verify", "--live", "P"], 2),
        (["record", "P"], 1),  # record's own "cannot make it" exit
    ],
)
def test_a_mistyped_sqlite_path_is_not_a_new_empty_database(
    command, code, tmp_path, monkeypatch, capsys
):
    """Commands that read the store created an empty database at a mistyped path (and
    then said the project had no records, or was sealed)."""
    missing = tmp_path / "typo" / "witness.db"
    monkeypatch.setenv("WITNESS_DATABASE_URL", f"sqlite:///{missing}")
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(command) == code
    assert f"数据库文件 {missing} 不存在" in capsys.readouterr().err
    assert not missing.exists() and not missing.parent.exists()
