"""`witness demo` writes only into its own database unless told twice (--into URL --yes)."""

from __future__ import annotations

import argparse

import pytest
from sqlalchemy import inspect

from witness.cli import main
from witness.commands import demo_setup
from witness.commands.demo_setup import DEMO_URL, DemoTargetError, choose_target
from witness.store import Store, accounts


def args(**kw) -> argparse.Namespace:
    return argparse.Namespace(into=kw.get("into"), yes=kw.get("yes", False))


def test_own_database_by_default_and_configured_ones_refused():
    assert choose_target(args(), {}) == demo_setup.DemoTarget(DEMO_URL, fresh=True)
    assert choose_target(args(), {"WITNESS_DATABASE_URL": DEMO_URL}).fresh
    prod = "postgresql://witness@db/witness"
    with pytest.raises(DemoTargetError, match="--into") as exc:
        choose_target(args(), {"WITNESS_DATABASE_URL": prod})
    assert prod in exc.value.describe()
    with pytest.raises(DemoTargetError, match="--yes"):
        choose_target(args(into=prod), {})
    target = choose_target(args(into=prod, yes=True), {"WITNESS_DATABASE_URL": prod})
    assert target.url == prod and not target.fresh  # never wiped


def test_demo_command_refuses_before_touching_anything(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path}/prod.db"
    monkeypatch.setenv("WITNESS_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--no-wall", "--duration", "1"]) == 2
    err = capsys.readouterr().err
    assert "--into" in err and url in err
    assert not (tmp_path / "prod.db").exists() and not (tmp_path / "var").exists()


def test_demo_accounts_random_password_and_existing_accounts_untouched(db_url, monkeypatch):
    monkeypatch.setattr(accounts, "BCRYPT_ROUNDS", 4)
    store = Store(db_url)
    accounts.add_user(store.engine, "admin", "the-real-admin-pw", "admin")
    one, two = demo_setup.demo_password({}), demo_setup.demo_password({})
    assert one != two and len(one) >= 12 and "witness-demo" not in (one, two)
    assert demo_setup.demo_password({"WITNESS_DEMO_PASSWORD": "fixed-1"}) == "fixed-1"
    created, kept = demo_setup.make_accounts(store.engine, ["P1", "P2", "P3", "P4", "P5"], one)
    assert created == ["officer", "auditor", "ops"] and kept == ["admin"]
    assert accounts.authenticate(store.engine, "admin", "the-real-admin-pw") is not None
    assert accounts.authenticate(store.engine, "admin", one) is None
    officer = accounts.authenticate(store.engine, "officer", one)
    assert officer is not None and officer.projects == ("P1", "P2", "P3", "P4")
    lines = demo_setup.announce(created, kept, one)
    assert one in lines[0] and "admin" in lines[1]
    assert "users" in inspect(store.engine).get_table_names()
    store.close()
