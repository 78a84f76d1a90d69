"""The wall under Streamlit's AppTest: every page and role, sealed bids, decisions.

Timers (st.fragment run_every) do not fire under AppTest, so each test drives reruns
with `at.run()` explicitly, as a browser's timer would.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from detectors.offline import run_detectors
from tests.support.wall_seed import (
    APP,
    as_read,
    bid_price,
    bidder_name,
    login,
    panel_titles,
    seed,
    text_of,
    tiles,
)
from witness.events import make_event
from witness.store import Store


def keys(at: AppTest, prefix: str) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith(prefix)]


def test_login_rejects_wrong_password_and_defaults_to_chinese(wall_url, monkeypatch):
    monkeypatch.delenv("WITNESS_LOCALE")
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert at.title[0].value == "登录监控墙"
    at.text_input(key="login_user").input("li")
    at.text_input(key="login_password").input("nope")
    at.button[0].click()
    at.run()
    assert "用户名或密码错误" in at.error[0].value
    assert "account" not in at.session_state and "username" not in at.session_state


def test_officer_wall_shows_assigned_projects_only(wall_url):
    at = login("li")
    assert not at.exception
    assert panel_titles(at) == ["P1 道路工程P1", "P2 道路工程P2"]
    text = text_of(at)
    assert "P3" not in text
    assert "R1 · C1 · online" in text and "R2 · C3 · online" in text
    shown = tiles(at)
    assert [k for k, (_, picture) in shown.items() if picture] == ["P1/R1/C1", "P1/R2/C3"]
    # hot tile: R1 has two open VID-OFFLINE alerts (C2 never heard; C1 silent from the
    # session's start until its frame at 10:30); it is outlined and says how many
    assert shown["P1/R1/C1"][0] == shown["P1/R1/C2"][0] == "hot"
    assert shown["P1/R2/C3"][0] != "hot"
    assert "🔴2</span> · R1 · C1" in text
    labels = [e.label for e in at.expander]
    assert labels[0].startswith("🔴")  # most severe first
    assert labels == sorted(labels, key=lambda s: "🔴🟠🟡".index(s[0]))


def test_sealed_project_shows_no_bidder_name_count_or_price(wall_url):
    url, ids = wall_url
    at = login("li")
    text = text_of(at)
    sealed = [e for e in at.expander if "[P2]" in as_read(e.label)]
    assert len(sealed) == 1 and "sealed" in as_read(sealed[0].label)
    p2_names = [bidder_name("P2", b) for b in "ABC"]
    p2_prices = [str(int(bid_price("P2", b))) for b in "ABC"]
    p2_prices += [f"{bid_price('P2', b):,.2f}" for b in "ABC"]
    for forbidden in ("P2-A", "P2-B", "ACC-P2", *p2_names, *p2_prices):
        assert forbidden not in text, forbidden
    # the project page of P2 says sealed and shows no bid events
    at.switch_page("views/project.py").run()
    at.selectbox(key="project_pick").select("P2").run()
    text = text_of(at)
    assert "sealed until opening" in text
    for forbidden in ("bid.submitted", "P2-A", *p2_names, *p2_prices):
        assert forbidden not in text, forbidden
    # opening unseals
    store = Store(url)
    store.write(
        [make_event("opening.started", "P2", "2026-11-21T10:00:00+08:00", {"room_id": "R3"})]
    )
    store.close()
    at.run()
    text = text_of(at)
    assert "P2-A" in text and "bid.submitted" in text


def test_officer_cannot_reach_ops_archive_or_unassigned_project(wall_url):
    at = login("li")
    for page in ("views/ops.py", "views/archive.py"):  # never registered for officers
        with pytest.raises(
            ValueError, match="Known pages: .*wall.py.*project.py.*global_alerts.py'\\]"
        ):
            at.switch_page(page)
    at.switch_page("views/project.py").run()
    at.query_params["project"] = "P3"
    at.run()
    assert any("may not see project P3" in e.value for e in at.error)
    assert "P3-A" not in text_of(at)


@pytest.mark.parametrize("page", ["ops", "archive"])
def test_pages_recheck_the_role_when_opened_directly(wall_url, page):
    """Defence in depth: a page script run for an officer stops at its own role check."""
    from witness.store.accounts import Account

    at = AppTest.from_file(str(APP.parent / "views" / f"{page}.py"), default_timeout=30)
    at.session_state["account"] = Account("li", "officer", "li", ("P1", "P2"))
    at.run()
    assert [e.value for e in at.error] == ["your role may not open this page"]
    assert not at.dataframe and not at.subheader and not at.success


def test_decision_via_ui_lands_in_store(wall_url):
    url, ids = wall_url
    aid = ids["P1:REL-40-6"]
    at = login("li")
    at.button(key=f"feed_dismiss_{aid}").click().run()
    assert any("needs a reason" in e.value for e in at.error)
    at.button(key=f"feed_ack_{aid}").click().run()
    assert any("logged" in s.value for s in at.success)
    store = Store(url)
    [d] = store.decisions(aid)
    assert (d.action, d.actor, d.status_after) == ("acknowledge", "li", "acknowledged")
    at.text_input(key=f"feed_reason_{aid}").input("same parent company, known").run()
    at.button(key=f"feed_dismiss_{aid}").click().run()
    last = store.decisions(aid)[-1]
    assert (last.action, last.reason) == ("dismiss", "same parent company, known")
    assert store.alerts(status="dismissed")[0].alert_id == aid
    assert store.verify_chain("P1") is None
    store.close()
    assert f"feed_ack_{aid}" not in keys(at, "feed_ack_")


def test_new_alert_appears_on_rerun(wall_url):
    url, ids = wall_url
    at = login("li")
    before = len(at.expander)
    store = Store(url)
    evs = [
        make_event(
            "bid.submitted",
            "P1",
            "2026-11-20T09:30:00+08:00",
            {
                "bidder": {"id": "P1-D", "name": "丁公司"},
                "price": 999,
                "bond": {"payer_account": "ACC-P1"},
            },
        )
    ]
    alerts = run_detectors(store.events("P1") + evs, every_version=True)
    store.write(evs, alerts)
    store.close()
    at.run()  # what the feed's timer does in a browser
    assert len(at.expander) >= before
    assert "P1-D" in text_of(at)


def test_auditor_is_read_only_and_has_archive(wall_url):
    url, ids = wall_url
    at = login("audit")
    assert not at.exception
    assert keys(at, "feed_") == [] and keys(at, "proj_") == []
    assert any("read-only" in c.value for c in at.caption)
    assert "P3 道路工程P3" in panel_titles(at)  # auditors see every project
    at.switch_page("views/project.py").run()
    assert keys(at, "proj_") == []
    at.switch_page("views/archive.py").run()
    at.checkbox(key="archive_all").check().run()
    at.selectbox(key="archive_project").select("P1").run()
    assert any("chain P1:" in s.value and "intact" in s.value for s in at.success)
    at.selectbox(key="archive_project").select("P2").run()  # not opened: sealed
    assert any("chain P2: — records intact" in s.value for s in at.success)
    assert "bid.submitted" not in text_of(at) and "P2-A" not in text_of(at)
    at.selectbox(key="archive_project").select("P1").run()
    at.slider(key="replay_slider").set_value(1).run()
    assert "step 1/" in text_of(at) and "project.registered" in text_of(at)
    assert not [e for e in at.expander]  # no alert before the first event's time
    with pytest.raises(ValueError, match="Could not find"):
        at.switch_page("views/ops.py")


def test_ops_page_and_nothing_else(wall_url):
    url, ids = wall_url
    from witness.store.models import ConsumerLag
    from witness.store.store import DeadLetterRecord

    store = Store(url)
    store.record_lag(
        [
            ConsumerLag(
                group_id="g",
                topic="witness.events",
                partition=0,
                position=5,
                end_offset=9,
                lag=4,
                events_per_s=12.5,
            )
        ]
    )
    store.write(
        dead_letters=[DeadLetterRecord("witness.events", 0, 7, "P1", "unknown type x.y", b"{}")]
    )
    from witness.store import health

    health.report(store.engine, "recorder", "degraded", "store unavailable for 12 s: refused")
    store.close()
    at = login("opsy")
    text = text_of(at)
    assert "Services" in text and "degraded" in text and "store unavailable for 12 s" in text
    assert "Consumer lag per partition" in text and "embedded broker" in text
    assert "unknown type x.y" in text and "12.5" in text
    assert "C1" in text and "C3" in text  # camera health
    with pytest.raises(ValueError, match="Known pages: .*ops.py'\\]"):
        at.switch_page("views/wall.py")
    assert keys(at, "feed_") == []


def test_admin_project_page_renders_evidence(wall_url):
    at = login("root")
    at.switch_page("views/project.py").run()
    at.selectbox(key="project_pick").select("P1").run()
    assert not at.exception
    text = text_of(at)
    [chart] = at.get("graphviz_chart")
    dot = chart.proto.spec
    assert '"P1-A" -- "P1-B" [label="REL-40-6"' in dot and "乙工程公司" in dot
    assert "混凝土浇筑养护" in text  # aligned passage
    assert "90 ⚠" in text  # E3's deviating score marked
    assert "¥1,010.00" in text and "乙工程公司" in text  # money with names after opening
    assert keys(at, "proj_ack_")  # admins may decide


def test_wall_on_both_backends(store, monkeypatch):
    monkeypatch.setenv("WITNESS_DATABASE_URL", store.url)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    ids = seed(store)
    at = login("li")
    aid = ids["P1:VID-OFFLINE"]
    at.button(key=f"feed_refer_{aid}").click().run()
    [d] = store.decisions(aid)
    assert (d.action, d.actor) == ("refer", "li")


def test_single_sign_on_maps_to_a_wall_account(wall_url):
    """With an [auth] section, st.user's verified email is looked up among the accounts."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x",
    }
    at.user = {"is_logged_in": True, "email": "li", "email_verified": True}
    at.run()
    assert panel_titles(at)[0] == "P1 道路工程P1"
    assert at.session_state["username"] == "li"
    stranger = AppTest.from_file(str(APP), default_timeout=30)
    stranger.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x",
    }
    stranger.user = {"is_logged_in": True, "email": "eve@example.com", "email_verified": True}
    stranger.run()
    assert [as_read(e.value) for e in stranger.error] == [
        "eve@example.com has no wall account; ask an admin"
    ]
    assert "Live alerts" not in text_of(stranger)
