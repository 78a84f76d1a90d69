"""Records on the wall: officers and auditors make and download them; officers make the
referral letter of a referred alert."""

from __future__ import annotations

from tests.support.wall_seed import login
from witness.store import Store
from witness.store.generated import listing


def test_officer_makes_the_record_on_the_project_page(wall_url):
    url, _ids = wall_url
    at = login("li")
    at.switch_page("views/project.py").run()
    at.button(key="rec_project_make_P1").click().run()
    assert not at.exception
    assert any("witness record made" in s.value for s in at.success)
    store = Store(url)
    [doc] = listing(store, "P1")
    assert doc.made_by == "wall:li" and doc.locale == "en"
    assert store.ledger("P1")[-1].ref == f"record:{doc.sha256}"
    at.button(key="rec_project_make_P1").click().run()  # again: same chain, same record
    assert any("has not changed" in s.value for s in at.success)
    assert len(listing(store, "P1")) == 1
    store.close()


def test_auditor_makes_one_on_the_archive_page(wall_url):
    url, _ids = wall_url
    at = login("audit")
    at.switch_page("views/archive.py").run()
    at.checkbox(key="archive_all").check().run()
    at.selectbox(key="archive_project").select("P3").run()
    at.button(key="rec_archive_make_P3").click().run()
    assert not at.exception
    store = Store(url)
    assert [d.made_by for d in listing(store, "P3")] == ["wall:audit"]
    store.close()
    at.run()
    assert "P3.record." in "".join(c.value for c in at.caption)


def test_referred_alert_gets_its_letters(wall_url):
    url, ids = wall_url
    aid = ids["P1:REL-40-6"]
    store = Store(url)
    store.decide(aid, "refer", "li", "same account")
    at = login("li")
    at.switch_page("views/project.py").run()
    at.button(key=f"rec_proj_committee_{aid}").click().run()
    assert not at.exception
    assert any("letter made" in s.value for s in at.success)
    [letter] = listing(store, "P1", doc="referral")
    assert letter.alert_id == aid and ".committee." in letter.filename
    store.close()


def test_auditors_get_no_letter_buttons(wall_url):
    url, ids = wall_url
    aid = ids["P1:REL-40-6"]
    store = Store(url)
    store.decide(aid, "refer", "li", "same account")
    store.close()
    at = login("audit")
    at.switch_page("views/project.py").run()
    assert not [b for b in at.button if b.key and b.key.startswith("rec_proj_")]
