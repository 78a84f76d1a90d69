"""The simulator's bills: every 工程 bidder prices one, plants carry what their truth says,
and `witness evaluate` scores the BOQ rules on the default run."""

from __future__ import annotations

import json
from collections import defaultdict

from detectors.boq import BoqDetector
from detectors.offline import run_detectors
from tests.support.simulator_run import default_run
from witness.events import parse_event
from witness.simulator.truth_eval import evaluate

BOQ = ("BOQ-SAME", "BOQ-RATIO", "BOQ-ERROR", "BOQ-MIX", "BOQ-LOCK", "BOQ-UNBAL")


def _bills(lines) -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for line in lines:
        if '"type":"boq.submitted"' in line:
            e = json.loads(line)
            out[e["project_id"]][e["payload"]["bidder_id"]] = e
    return out


def test_every_works_bidder_prices_a_bill_before_the_opening() -> None:
    sim, lines = default_run()
    bills = _bills(lines)
    opened = {
        e["project_id"]: e["ts"]
        for e in map(json.loads, (x for x in lines if '"type":"opening.started"' in x))
    }
    works = [p for p in sim.projects if p.category == "工程" and len(p.bids) >= 3]
    assert len(works) >= 10 and set(bills) == {p.pid for p in works}
    for p in works:
        got = bills[p.pid]
        assert set(got) == {"tender"} | {b.company.id for b in p.bids}
        tender_codes = [i["code"] for i in got["tender"]["payload"]["items"]]
        assert len(tender_codes) == len(set(tender_codes)) >= 40
        for e in got.values():
            parse_event(e)
            assert e["ts"] < opened[p.pid]


def test_default_run_plants_each_boq_rule_on_distinct_bidders() -> None:
    sim, _ = default_run()
    cases = [c for c in sim.truth if c["rule"] in BOQ]
    assert {c["rule"] for c in cases} == set(BOQ)
    by_project = defaultdict(dict)
    for c in cases:
        by_project[c["project_id"]].setdefault(c["note"], set()).update(c["subjects"])
    for plants in by_project.values():  # plants of one project never share a bidder
        members = [m for s in plants.values() for m in s]
        assert len(members) == len(set(members))


def test_boq_rules_score_on_the_default_run() -> None:
    sim, lines = default_run()
    wanted = ('"type":"boq.submitted"', '"type":"opening.started"')
    events = [parse_event(x) for x in lines if any(w in x for w in wanted)]
    alerts = [a.to_dict() for a in run_detectors(events, [BoqDetector()])]
    cases = [c for c in sim.truth if c["rule"] in BOQ]
    report = evaluate(cases, alerts, complete=set(BOQ))
    for s in report.rules:
        assert s.precision is not None and s.precision >= 0.95, (s.rule, report.false)
        assert s.recall is not None and s.recall >= 0.95, (s.rule, report.missed)
