"""Sealed bids on every output, found by canaries (DESIGN §5, 开标前保密).

A sealed project's bidder ids, names, prices, bond account, phone and document ids are
unique strings planted nowhere else (tests/contract/conftest.py). Every wall page for every
role, `witness tail` (table and JSON, alerts and dead letters), the archive export, the
witness record (HTML and PDF) and `witness replay --project` are rendered and searched:
no canary before the project's `opening.started`, and after it every canary shows up.
"""

from __future__ import annotations

import zipfile

import pytest

from tests.contract.conftest import OPENED, PASSWORD, SEALED, USERS, Scenario, canaries, found
from tests.support.wall_seed import login, text_of
from witness.archive import ArchiveError, export_bundle
from witness.cli import main
from witness.store import Store

ALL = set(canaries())


@pytest.fixture
def canary_store(db_url, monkeypatch):
    monkeypatch.setenv("WITNESS_DATABASE_URL", db_url)
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    store = Store(db_url)
    scenario = Scenario()
    scenario.seed(store)
    yield store, scenario
    store.close()


def wall_texts(user: str) -> dict[str, str]:
    """page (and project) -> everything it shows, for one signed-in user."""
    at = login(user, PASSWORD)
    assert not at.exception, at.exception
    role = USERS[user][0]
    out = {"start": text_of(at)}
    pages = {
        "officer": ("wall", "project"),
        "auditor": ("wall", "project", "archive"),
        "ops": ("ops",),
        "admin": ("wall", "project", "archive", "ops"),
    }[role]
    for page in pages:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, at.exception)
        if page == "project":
            for pid in (SEALED, OPENED):
                at.selectbox(key="project_pick").select(pid).run()
                out[f"project {pid}"] = text_of(at)
        elif page == "archive":
            at.checkbox(key="archive_all").check().run()
            for pid in (SEALED, OPENED):
                at.selectbox(key="archive_project").select(pid).run()
                out[f"archive {pid}"] = text_of(at)
        else:
            out[page] = text_of(at)
    return out


def bundle_text(path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


def record_texts(store) -> dict[str, str]:
    """Each project's witness record as HTML, and the text of its PDF."""
    from witness.record import from_store, render_record

    out = {}
    for pid in (SEALED, OPENED):
        inp = from_store(store, pid)
        out[f"record {pid}"] = render_record(inp, fmt="html").decode("utf-8")
        out[f"record pdf {pid}"] = pdf_text(render_record(inp, fmt="pdf"))
    return out


def pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def leaks(texts: dict[str, str]) -> dict[str, set[str]]:
    return {where: hit for where, text in texts.items() if (hit := found(text))}


def test_no_canary_on_any_page_export_or_replay_before_opening_all_after(
    canary_store, tmp_path, capsys
):
    store, scenario = canary_store
    # The scenario is what the test claims: SEAL-1 sealed, a cross-project alert naming it.
    assert store.opened_projects() == {OPENED}
    cross = [a for a in store.alert_models(project_ids=[OPENED]) if SEALED in a.projects]
    assert {a.rule for a in cross} == {"DOC-40-4", "DOC-META"}
    assert found(repr(store.alert_models()) + repr(store.events(SEALED))) == ALL

    before: dict[str, str] = record_texts(store)
    for user in USERS:
        before |= {f"{user}: {k}": v for k, v in wall_texts(user).items()}
    assert leaks(before) == {}
    sealed_page = before[f"officer: project {SEALED}"]
    assert "开标前保密" in sealed_page and "project.registered" in sealed_page

    for pid in (SEALED, OPENED):  # a bundle holds every record: none while sealed
        with pytest.raises(ArchiveError, match="开标"):
            export_bundle(store.engine, pid, tmp_path / f"{pid}.zip")
        assert not (tmp_path / f"{pid}.zip").exists()
    assert main(["replay", "--project", SEALED, "--out", str(tmp_path / "r1.jsonl")]) == 2
    assert main(["replay", "--project", OPENED, "--out", str(tmp_path / "r2.jsonl")]) == 0
    replayed = (tmp_path / "r2.jsonl").read_text("utf-8")
    assert found(replayed + capsys.readouterr().err) == set()

    scenario.open_sealed(store)
    after: dict[str, str] = record_texts(store)
    for user in USERS:
        after |= {f"{user}: {k}": v for k, v in wall_texts(user).items()}
    for pid in (SEALED, OPENED):
        export_bundle(store.engine, pid, tmp_path / f"{pid}.zip")
        after[f"export {pid}"] = bundle_text(tmp_path / f"{pid}.zip")
    assert main(["replay", "--project", SEALED, "--out", str(tmp_path / "r3.jsonl")]) == 0
    after["replay"] = (tmp_path / "r3.jsonl").read_text("utf-8")
    seen = set().union(*(found(t) for t in after.values()))
    assert seen == ALL
    assert found(after[f"export {SEALED}"]) == ALL
    # the pages themselves show the bidders once the bids are open
    page = after[f"officer: project {SEALED}"]
    assert {"id A", "name A", "id B", "name B", "id C", "name C", "price A"} <= found(page)
    assert {"id A", "doc A"} <= found(after[f"root: project {OPENED}"])  # the cross alert
    assert {"id A", "doc B"} <= found(after["root: ops"])  # dead letters' reasons
    record = found(after[f"record {SEALED}"])
    assert {"id A", "name A", "price A", "id B", "id C"} <= record, record


@pytest.mark.broker
def test_tail_tables_and_json_hold_no_canary_before_opening(
    sqlite_url, broker, topics, monkeypatch, capsys
):
    from streams.bus import Producer, ensure_topics
    from witness.store import DeadLetterRecord  # noqa: F401  (the shape the helper builds)

    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WITNESS_TOPIC_PREFIX", topics.prefix)
    store = Store(sqlite_url)
    scenario = Scenario()
    scenario.seed(store)
    ensure_topics(broker, topics, 1)
    producer = Producer(broker, topics)
    from tests.contract.conftest import dead_letters

    for a in scenario.alerts_one:
        producer.send_alert(a)
    for dl in dead_letters():
        producer.dead_letter(
            raw=dl.raw,
            error=dl.error,
            origin_topic=dl.topic,
            partition=dl.partition,
            offset=dl.offset,
            key=dl.key.encode() if dl.key else None,
        )
    producer.flush()

    def tail(*extra: str) -> str:
        capsys.readouterr()
        code = main(["tail", "--from-beginning", "--idle-exit", "2", "--bootstrap", broker, *extra])
        assert code == 0
        return capsys.readouterr().out

    runs = {
        "table": tail(),
        "json": tail("--format", "json"),
        "dead table": tail("--deadletter"),
        "dead json": tail("--deadletter", "--format", "json"),
    }
    assert all(runs.values()), runs  # every run printed something
    assert leaks(runs) == {}
    assert "SEAL-1" in runs["table"] and "开标前保密" in runs["table"]

    scenario.open_sealed(store)
    for a in scenario.alerts_two:
        producer.send_alert(a)
    producer.flush()
    producer.close()
    runs = {
        "table": tail(),
        "json": tail("--format", "json"),
        "dead json": tail("--deadletter", "--format", "json"),
    }
    assert {"id A", "id B", "id C", "name B", "account", "phone"} <= found(runs["json"])
    assert {"id A", "id B"} <= found(runs["table"])
    assert {"name A", "price A", "id A"} <= found(runs["dead json"])
    store.close()


def test_verify_live_of_a_sealed_chain_counts_and_locates_nothing_until_opening(
    canary_store, capsys
):
    """`archive verify --live` printed a sealed chain's record count ('21 条记录': bids
    included) and, on a fault, the position and ref of the bid it found altered; the
    wall's archive page shows neither before the opening."""
    from sqlalchemy import text

    store, scenario = canary_store
    records = len(store.ledger(SEALED))
    bid = next(x for x in store.ledger(SEALED) if x.ref.startswith("seal-bid"))
    assert main(["archive", "verify", "--live", SEALED]) == 0
    out = capsys.readouterr().out
    assert "哈希链完整" in out and f"{records} 条" not in out and found(out) == set()
    with store.engine.begin() as c:  # a bid's record altered in the live store
        c.execute(
            text("UPDATE ledger SET body = body || ' ' WHERE chain = :c AND seq = :s"),
            {"c": SEALED, "s": bid.seq},
        )
    assert main(["archive", "verify", "--live", SEALED]) == 1
    out = capsys.readouterr().out
    assert "校验失败" in out and "开标后显示位置" in out
    assert bid.ref not in out and f"第 {bid.seq} 条" not in out and found(out) == set()
    scenario.open_sealed(store)
    assert main(["archive", "verify", "--live", SEALED]) == 1
    out = capsys.readouterr().out
    assert f"第 {bid.seq} 条记录（event {bid.ref}）被改动" in out
