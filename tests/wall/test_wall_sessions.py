"""Accounts re-read on every rerun; sign-in sessions that survive a reload; SSO mapping.

Under AppTest every `at.run()` is what a browser's refresh timer does; a new AppTest with
the cookie is what a reload is (Streamlit starts a new session per page load).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from dashboards import session as wall_session
from tests.support.wall_seed import APP, login, panel_titles, seed, text_of
from witness.store import Store, accounts, logins


@pytest.fixture
def wall(db_url, monkeypatch):
    monkeypatch.setenv("WITNESS_DATABASE_URL", db_url)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    store = Store(db_url)
    ids = seed(store)
    yield store, ids
    store.close()


def headers(at: AppTest) -> list[str]:
    """The wall's project panels, as '#### P1 道路工程P1' (their heading's text)."""
    return [f"#### {title}" for title in panel_titles(at)]


def reload_with(monkeypatch, token: str | None) -> AppTest:
    """A fresh page load whose request carries the session cookie."""
    monkeypatch.setattr(wall_session, "_cookies", lambda: {logins.COOKIE: token} if token else {})
    return AppTest.from_file(str(APP), default_timeout=30).run()


def test_deactivation_takes_effect_on_the_next_rerun(wall):
    store, ids = wall
    at = login("li")
    assert headers(at) == ["#### P1 道路工程P1", "#### P2 道路工程P2"]
    accounts.set_active(store.engine, "li", False)
    aid = ids["P1:VID-OFFLINE"]
    at.button(key=f"feed_refer_{aid}").click().run()  # a click on the page still drawn
    assert store.decisions(aid) == []
    assert headers(at) == [] and at.text_input(key="login_user")
    assert "username" not in at.session_state
    assert any("disabled" in w.value for w in at.warning)


def test_assignment_changes_take_effect_on_the_next_rerun(wall):
    store, ids = wall
    at = login("li")
    accounts.assign(store.engine, "li", "P2", remove=True)
    accounts.assign(store.engine, "li", "P3")
    at.run()
    # P2 left the wall at once; P3 joined it (the wall follows the assignments by itself)
    assert headers(at) == ["#### P1 道路工程P1", "#### P3 道路工程P3"]
    assert "P2" not in text_of(at)
    assert at.multiselect(key="wall_pick").options == ["P1", "P3"]
    at.switch_page("views/project.py").run()
    assert "P2" not in at.selectbox(key="project_pick").options


def test_decision_refused_when_the_project_was_unassigned_meanwhile(wall, monkeypatch):
    """The account is re-read at the moment of deciding, not when the card was drawn."""
    store, ids = wall
    from dashboards import feed

    monkeypatch.setattr(wall_session, "account", lambda: accounts.get_account(store.engine, "li"))
    aid = ids["P1:VID-OFFLINE"]
    assert feed.decider(aid).username == "li"
    accounts.assign(store.engine, "li", "P1", remove=True)
    assert feed.decider(aid) is None
    accounts.assign(store.engine, "li", "P1")
    accounts.set_active(store.engine, "li", False)
    assert feed.decider(aid) is None


def test_a_reload_keeps_the_session_logout_and_deactivation_end_it(wall, monkeypatch):
    store, _ = wall
    at = login("li")
    token = at.session_state["_session_token"]
    scripts = [h.proto.body for h in at.get("html")]
    assert any(logins.COOKIE in s and token in s and "SameSite=Strict" in s for s in scripts)
    with Session(store.engine) as s:  # the store keeps a hash, never the token itself
        row = s.get(logins.LoginRow, logins._digest(token))
        assert row is not None and token not in repr(row)

    again = reload_with(monkeypatch, token)
    assert headers(again) == ["#### P1 道路工程P1", "#### P2 道路工程P2"]
    assert reload_with(monkeypatch, token[:-2] + "xx").text_input(key="login_user")  # forged

    again.button(key="logout").click().run()
    assert again.text_input(key="login_user")
    cleared = [h.proto.body for h in again.get("html")]
    assert any("Max-Age=0" in s for s in cleared)  # the browser drops the cookie
    assert reload_with(monkeypatch, token).text_input(key="login_user")

    other = login("li")  # a second screen, then the account is disabled
    token2 = other.session_state["_session_token"]
    accounts.set_active(store.engine, "li", False)
    accounts.set_active(store.engine, "li", True)
    assert reload_with(monkeypatch, token2).text_input(key="login_user")


def test_sessions_expire(db_url):
    store = Store(db_url)
    accounts.BCRYPT_ROUNDS = 4
    accounts.add_user(store.engine, "li", "pw-1", "officer")
    token = logins.start(store.engine, "li", hours=1)
    assert logins.user_of(store.engine, token) == "li"
    with Session(store.engine) as s:
        row = s.get(logins.LoginRow, logins._digest(token))
        row.expires_at = row.expires_at - timedelta(hours=2)
        s.add(row)
        s.commit()
    assert logins.user_of(store.engine, token) is None
    assert logins.user_of(store.engine, None) is None
    assert logins.user_of(store.engine, "x" * 500) is None
    store.close()


@pytest.mark.parametrize(
    "claims, claim, expected",
    [
        ({"email": "li@x.cn", "email_verified": True}, None, "li@x.cn"),
        ({"email": "li@x.cn", "email_verified": False}, None, None),
        ({"email": "li@x.cn", "email_verified": "true"}, None, None),  # only a real true
        ({"email": "li@x.cn"}, None, None),
        ({"preferred_username": "li"}, None, None),  # anyone can choose that name
        ({"email": "li@x.cn", "staff_no": "A17"}, "staff_no", "A17"),
        ({"email": "li@x.cn", "email_verified": True}, "staff_no", None),
    ],
)
def test_sso_maps_only_a_verified_email_or_the_configured_claim(claims, claim, expected):
    assert accounts.sso_username(claims, claim) == expected


def test_sso_with_an_unverified_email_is_refused(wall):
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.secrets["auth"] = {"redirect_uri": "http://localhost/oauth2callback", "cookie_secret": "x"}
    at.user = {"is_logged_in": True, "email": "li", "preferred_username": "li"}
    at.run()
    assert headers(at) == [] and "verified email" in at.error[0].value
    assert "username" not in at.session_state
    assert "Live alerts" not in text_of(at)


def test_a_refused_decision_stays_on_screen_until_dismissed(wall, monkeypatch):
    """A refusal is said in words and survives the refreshes that follow (it used to
    flash for ~2 s and vanish). Two officers racing on one alert: tests/store/."""
    monkeypatch.delenv("WITNESS_LOCALE")
    store, ids = wall
    aid = ids["P1:VID-OFFLINE"]
    at = login("li")
    at.button(key=f"feed_dismiss_{aid}").click().run()  # no reason given
    assert store.decisions(aid) == []
    message = "排除告警需要填写理由"
    assert [e.value for e in at.error] == [message]
    at.run()
    at.run()  # the wall's refreshes
    assert [e.value for e in at.error] == [message]
    [close] = [b for b in at.button if b.key and b.key.startswith("dismiss_m")]
    close.click().run()
    assert [e.value for e in at.error] == []
