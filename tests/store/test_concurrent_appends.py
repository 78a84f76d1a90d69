"""Chains under many writers: decisions and events racing on the same chains never fork.

Two processes (as two wall sessions, or a wall and the recorder) each make 500 decisions,
interleaved with event batches written to the very chains the decisions go to. Every
decision must land exactly once, and every chain must verify from its genesis.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from witness.alerts import make_alert
from witness.events import make_event
from witness.store import DecisionError, Store

PROJECTS = ("PA", "PB", "PC", "PD")
ALERTS_PER_PROJECT = 250  # 1,000 alerts; each process acknowledges half of them
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _alert(pid: str, i: int):
    return make_alert(
        "REL-40-6",
        pid,
        identity={"n": i},
        subjects=[f"{pid}-B{i}", f"{pid}-C{i}"],
        evidence={"n": i},
        event_ids=[],
        first_seen=T0 + timedelta(seconds=i),
    )


def _seed(url: str) -> list[str]:
    store = Store(url)
    evs = [
        make_event("project.registered", p, "2026-11-20T08:00:00+08:00", {"name": p})
        for p in PROJECTS
    ]
    alerts = [_alert(p, i) for p in PROJECTS for i in range(ALERTS_PER_PROJECT)]
    store.write(evs, alerts)
    ids = sorted(a.alert_id for a in alerts)
    store.close()
    return ids


def _worker(url: str, ids: list[str], who: str, errors) -> None:
    """Acknowledge every alert in `ids`; after every 10 decisions record an event batch."""
    store = Store(url, migrate=False)
    try:
        for n, aid in enumerate(ids, 1):
            store.decide(aid, "acknowledge", who)
            if n % 10 == 0:
                store.write(
                    [
                        make_event(
                            "expert.activity",
                            p,
                            "2026-11-20T11:00:00+08:00",
                            {"expert_id": "E1", "action": "page_view", "bidder_id": "X"},
                            event_id=f"{who}-{n}-{p}",
                        )
                        for p in PROJECTS
                    ]
                )
    except Exception as exc:  # noqa: BLE001  (reported to the parent, which fails the test)
        errors.put(f"{who}: {exc!r}")
    finally:
        store.close()


@contextlib.contextmanager
def _no_main_script():
    """Spawned children re-run `__main__`'s file. After Streamlit's AppTest ran a wall
    page in this process, `__main__` is that page: hide it while the workers start."""
    main = sys.modules["__main__"]
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.update(saved)
        if "__spec__" not in saved:
            main.__dict__.pop("__spec__", None)


def test_two_processes_decide_and_record_on_the_same_chains(db_url):
    ids = _seed(db_url)
    ctx = mp.get_context("spawn")
    errors = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(db_url, ids[k::2], f"officer-{k}", errors))
        for k in range(2)
    ]
    with _no_main_script():
        for p in procs:
            p.start()
    for p in procs:
        p.join(timeout=600)
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert problems == []
    assert [p.exitcode for p in procs] == [0, 0]

    store = Store(db_url, migrate=False)
    decisions = store.decisions()
    assert len(decisions) == 1_000
    assert Counter(d.alert_id for d in decisions) == Counter({a: 1 for a in ids})
    assert {a.status for a in store.alerts()} == {"acknowledged"}
    decision_links = 0
    for chain in PROJECTS:
        links = store.ledger(chain)
        assert [link.seq for link in links] == list(range(1, len(links) + 1))
        assert store.verify_chain(chain) is None, chain
        refs = [link.ref for link in links if link.kind == "decision"]
        assert len(refs) == len(set(refs))
        decision_links += len(refs)
        # 1 registration + 250 alerts + 250 decisions + 2 processes x 50 event batches
        assert len(links) == 1 + 2 * ALERTS_PER_PROJECT + 100
    assert decision_links == 1_000
    store.close()


def test_two_officers_deciding_one_alert_at_once_give_one_decision(db_url):
    ids = _seed(db_url)
    aid = ids[0]
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def officer(k: int) -> None:
        store = Store(db_url, migrate=False)
        barrier.wait()
        try:
            store.decide(aid, "refer", f"officer-{k}", reason="同一账户")
            outcomes.append("ok")
        except DecisionError as exc:
            outcomes.append(exc.describe("zh-CN"))
        finally:
            store.close()

    threads = [threading.Thread(target=officer, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert outcomes.count("ok") == 1
    refused = [o for o in outcomes if o != "ok"]
    assert len(refused) == 3 and all("已移交" in o for o in refused), refused
    store = Store(db_url, migrate=False)
    assert len(store.decisions(aid)) == 1
    assert store.verify_chain(store.alerts()[0].project_id) is None
    store.close()
