"""The simulator: contract-valid, deterministic, time-ordered, every rule planted, traps honest."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from datetime import datetime

import pytest
from rapidfuzz.distance import Indel

from tests.support.simulator_run import default_run
from witness.events import parse_event
from witness.rules import CATALOGUE
from witness.simulator import Simulation, paced
from witness.simulator.identity import is_valid_id_no, is_valid_uscc
from witness.simulator.planting import ALL_RULES


def _digest(sim: Simulation) -> str:
    h = hashlib.sha256()
    for line in sim.lines():
        h.update(line.encode())
        h.update(b"\n")
    h.update(json.dumps(sim.truth, sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    assert _digest(Simulation(6, seed=11)) == _digest(Simulation(6, seed=11))
    assert _digest(Simulation(6, seed=11)) != _digest(Simulation(6, seed=12))


def test_lines_and_dicts_agree() -> None:
    sim = Simulation(3, seed=5)
    from witness.events import canonical_json

    assert [canonical_json(e) for e in sim.events()] == list(sim.lines())


def test_every_event_validates_in_time_order_with_offset() -> None:
    _, lines = default_run()
    prev = None
    types: Counter[str] = Counter()
    ids = set()
    for n, line in enumerate(lines, 1):
        ev = parse_event(line, line=n)
        assert ev.ts.utcoffset().total_seconds() == 8 * 3600
        assert '+08:00"' in line
        if prev is not None:
            assert ev.ts >= prev, f"line {n} goes back in time"
        prev = ev.ts
        types[ev.type] += 1
        assert ev.event_id not in ids
        ids.add(ev.event_id)
    for t in [
        "project.registered",
        "registry.relation",
        "bid.submitted",
        "document.submitted",
        "opening.started",
        "bid.opened",
        "opening.closed",
        "expert.assigned",
        "evaluation.started",
        "expert.activity",
        "score.submitted",
        "evaluation.finished",
        "project.archived",
        "frame.analyzed",
        "camera.status",
    ]:
        assert types[t] > 0, t
    assert types["project.registered"] == types["project.archived"] == 20


def test_default_run_plants_every_rule_of_design() -> None:
    sim, _ = default_run()
    planted = {c["rule"] for c in sim.truth}
    assert set(ALL_RULES) == set(CATALOGUE)  # the planting list follows the catalogue
    assert planted == set(ALL_RULES), set(ALL_RULES) - planted
    clean = [p for p in sim.projects if not p.spec.dirty()]
    assert len(clean) >= 5  # most projects are clean or nearly so


def test_identifiers_are_valid() -> None:
    sim, lines = default_run()
    seen = 0
    for line in lines:
        if '"type":"bid.submitted"' not in line:
            continue
        bidder = json.loads(line)["payload"]["bidder"]
        assert is_valid_uscc(bidder["id"])
        assert is_valid_id_no(bidder["legal_rep"]["id_no"])
        assert all(is_valid_id_no(d["id_no"]) for d in bidder["directors"])
        assert bidder["name"].endswith("公司")
        seen += 1
    assert seen > 50


def test_truth_subjects_name_the_right_things() -> None:
    sim, _ = default_run()
    by_pid = {p.pid: p for p in sim.projects}
    everyone = {b.company.id for p in sim.projects for b in p.bids}
    for case in sim.truth:
        rule, subjects = case["rule"], case["subjects"]
        if case["project_id"] == "*":
            assert rule in ("REL-RING", "BID-LOSER", "REJ-RATE"), case
            if rule != "REL-RING":  # one bidder, judged across projects
                assert len(subjects) == 1 and subjects[0] in everyone, case
            continue
        p = by_pid[case["project_id"]]
        bidders = {b.company.id for b in p.bids}
        experts = {e.id for e in p.committee}
        if rule.startswith(("REL", "DOC", "PRICE")):
            assert len(subjects) >= 2 and set(subjects) <= bidders, case
        elif rule in ("EXP-AVOID", "EXP-FAVOR", "EXP-FOCUS"):
            assert len(set(subjects) & experts) == 1 and len(set(subjects) & bidders) == 1, case
        elif rule.startswith("EXP"):
            assert subjects and set(subjects) <= experts, case
        elif rule in ("PROC-LATE", "REJ-LOW"):
            assert len(subjects) == 1 and subjects[0] in bidders
            if rule == "REJ-LOW":
                assert subjects[0] in p.rejected
        elif rule == "REJ-ALL":
            assert subjects == [] and set(p.rejected) == bidders - {p.ranking[0][0]}
        elif rule.startswith("PROC"):
            assert subjects == []
        elif rule.startswith("VID"):
            assert p.eval_room in subjects


def test_planted_conditions_hold_in_the_events() -> None:
    """Spot-check that the written events carry what the truth claims (not just the plan)."""
    sim, lines = default_run()
    bids: dict[str, list[dict]] = defaultdict(list)
    deadline: dict[str, str] = {}
    for line in lines:
        if '"type":"bid.submitted"' in line or '"type":"project.registered"' in line:
            ev = json.loads(line)
            if ev["type"] == "bid.submitted":
                bids[ev["project_id"]].append(ev["payload"])
            else:
                deadline[ev["project_id"]] = ev["payload"]["bid_deadline"]
    for case in sim.truth:
        pid, rule, subj = case["project_id"], case["rule"], set(case["subjects"])
        group = [b for b in bids.get(pid, []) if b["bidder"]["id"] in subj]
        if rule == "REL-40-6":
            accounts = {b["bond"]["payer_account"].replace(" ", "") for b in group}
            assert len(accounts) == 1
        elif rule == "REL-40-3":
            assert len({b["project_manager"]["cert_no"] for b in group}) == 1
        elif rule == "REL-40-2-IP":
            assert len({b["submission"]["ip"] for b in group}) == 1
        elif rule == "PROC-LATE":
            assert datetime.fromisoformat(
                group[0]["submission"]["submitted_at"]
            ) > datetime.fromisoformat(deadline[pid])
        elif rule == "PRICE-40-4":
            assert len(group) >= 2


def test_honest_traps_are_present_and_not_in_truth() -> None:
    sim = Simulation(60, seed=3)
    truth = {(c["project_id"], c["rule"], tuple(c["subjects"])) for c in sim.truth}
    venue_pairs = 0
    for p in sim.projects:
        at_venue = [b for b in p.bids if b.submission["at_venue"]]
        devices = Counter(
            (b.submission["mac"], b.submission["cpu_id"], b.submission["disk_id"]) for b in at_venue
        )
        if any(n >= 2 for n in devices.values()):
            venue_pairs += 1
            ids = tuple(sorted(b.company.id for b in at_venue))
            assert (p.pid, "REL-40-2", ids) not in truth
    assert venue_pairs >= 1
    nat = [c for c in sim.truth if c["rule"] == "REL-40-2-IP" and c["note"].startswith("honest")]
    assert nat, "shared office NAT trap missing"


def test_honest_documents_stay_apart_and_copies_do_not() -> None:
    sim, lines = default_run()
    copied = {tuple(c["subjects"]) for c in sim.truth if c["rule"] == "DOC-40-4"}
    texts: dict[str, dict[str, str]] = defaultdict(dict)
    template: dict[str, str] = {}
    for line in lines:
        if '"type":"document.submitted"' not in line:
            continue
        ev = json.loads(line)
        pl = ev["payload"]
        if pl["kind"] == "tender":
            template[ev["project_id"]] = pl["text"]
        elif pl["kind"] == "technical":
            texts[ev["project_id"]][pl["owner"]] = pl["text"].removeprefix(
                template[ev["project_id"]]
            )
    honest, planted = [], []
    for _pid, docs in sorted(texts.items())[:10] + [
        (c["project_id"], texts[c["project_id"]]) for c in sim.truth if c["rule"] == "DOC-40-4"
    ]:
        owners = sorted(docs)
        for i, a in enumerate(owners):
            for b in owners[i + 1 :]:
                sim_ab = Indel.normalized_similarity(docs[a], docs[b])
                in_copy = any({a, b} <= set(g) for g in copied)
                (planted if in_copy else honest).append(sim_ab)
    assert planted and min(planted) >= 0.85
    assert honest and max(honest) < 0.7


def test_paced_waits_in_simulated_time_and_cuts_long_gaps() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    events = [
        {"ts": "2026-09-01T09:00:00+08:00"},
        {"ts": "2026-09-01T09:01:00+08:00"},
        {"ts": "2026-09-20T09:01:00+08:00"},
        {"ts": "2026-09-20T09:01:30+08:00"},
    ]
    out = list(paced(events, speed=60, max_gap=2.0, sleep=sleep, clock=lambda: now[0]))
    assert out == events
    assert [round(s, 3) for s in slept] == [1.0, 2.0, 0.5]


def test_cli_output_identical_across_processes_and_hash_seeds(tmp_path) -> None:
    """No set-order or hash leaks: two processes with different PYTHONHASHSEED, same bytes."""
    import os
    import subprocess
    import sys

    outs = []
    for k, hash_seed in enumerate(("1", "12345")):
        ev, tr = tmp_path / f"ev{k}.jsonl", tmp_path / f"tr{k}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "WITNESS_LOCALE": "en"}
        cmd = [
            sys.executable,
            "-m",
            "witness.cli",
            "simulate",
            "--projects",
            "4",
            "--seed",
            "9",
            "--out",
            str(ev),
            "--truth",
            str(tr),
            "--no-progress",
        ]
        subprocess.run(cmd, check=True, env=env, capture_output=True)
        outs.append((ev.read_bytes(), tr.read_bytes()))
    assert outs[0] == outs[1]
    header = json.loads(outs[0][1].splitlines()[0])
    assert set(header["complete_rules"]) == set(ALL_RULES) and header["seed"] == 9


def test_award_look_alikes_are_present_and_not_in_truth() -> None:
    """Issue 17's traps: tenders just past PROC-SHORT's 20 days, single honest rejections,
    a firm that bids often but not often enough for BID-LOSER."""
    sim, lines = default_run(60)
    truth = {(c["rule"], c["project_id"]) for c in sim.truth}
    # on the twentieth calendar day, most of them under 20 x 24 hours: lawful
    near = [p for p in sim.projects if p.deadline // 86400 - p.published // 86400 == 20]
    assert len([p for p in near if p.deadline - p.published < 20 * 86400]) >= 2
    assert not any(("PROC-SHORT", p.pid) in truth for p in near)
    honest = [p for p in sim.projects if len(p.rejected) == 1 and p.method == "综合评估法"]
    assert honest and not any(("REJ-ALL", p.pid) in truth for p in honest)
    occasional = [p for p in sim.projects if any(b.company is sim.occasional for b in p.bids)]
    assert len(occasional) == 5
    assert not any(
        c["rule"] == "BID-LOSER" and sim.occasional.id in c["subjects"] for c in sim.truth
    )
    types = {parse_event(line).type for line in lines}
    assert "bid.rejected" in types


def test_seven_expert_reports_drop_the_highest_and_lowest_sum_and_are_no_case() -> None:
    """EVAL-TOTAL's look-alike: the plain mean of such a report's sums is not its total."""
    from detectors.evaluation import Cell, recompute

    sim, _ = default_run(60)
    truth = {(c["rule"], c["project_id"]) for c in sim.truth}
    trimmed = []
    for p in sim.projects:
        cells = {k: Cell(v, 100.0, "x") for k, v in p.scores.items()}
        calc = recompute(cells)
        if len({e for e, _, _ in p.scores}) < 7 or ("EVAL-TOTAL", p.pid) in truth:
            continue
        rows = [r for r in p.report if r["bidder_id"] in calc]
        assert all(abs(r["total"] - calc[r["bidder_id"]]["trimmed_mean"]) <= 0.01 for r in rows)
        if any(abs(r["total"] - calc[r["bidder_id"]]["mean"]) > 0.01 for r in rows):
            trimmed.append(p.pid)
    assert len(trimmed) >= 3


@pytest.mark.parametrize("seed", [53, 173, 197, 237])
def test_an_early_score_and_an_unscored_cell_in_one_project_both_plant(seed) -> None:
    """These seeds plant PROC-ORDER's early score where EVAL-MISSING had taken the cell
    away: `witness simulate --projects 10 --seed 53` died in a KeyError."""
    sim = Simulation(10, seed)
    early = [p for p in sim.projects if p.early_score is not None]
    assert early and all(p.early_score in p.scores for p in early)
    truth = {(c["rule"], c["project_id"]) for c in sim.truth}
    assert any(("EVAL-MISSING", p.pid) in truth for p in early)
