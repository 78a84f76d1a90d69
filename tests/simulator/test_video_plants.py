"""The footage says what the truth says: a planted absence (or intruder) is not cancelled
by an honest trap in the same room at the same time.

Found by `witness evaluate --seeds 1,2,3 --projects 200`: the honest "staff hands over
papers" trap (+1 person for 25 s) fell inside a planted absence (-1 person for 14-18
minutes) in one project of seed 1 and one of seed 2, so the cameras saw the full roster
for 25 s and the absence was two of 7-8 minutes each; the truth still said "away for
over 10 minutes" and VID-ABSENT recall was 0.50.
"""

from __future__ import annotations

import pytest

from witness.simulator import Simulation
from witness.simulator.cameras import frames

SEEDS = (1, 2, 3)
PLANTED = ("VID-ABSENT", "VID-INTRUDER")


def _planted_windows(p):
    """(RoomWindow, Window, sign) for each planted head-count anomaly of project `p`."""
    rules = {c["rule"] for c in p.truth}
    for rw in p.windows:
        if not rw.evaluation:
            continue
        for w in rw.windows:
            if w.kind != "persons":
                continue
            sign = 1 if w.delta > 0 else -1
            rule = "VID-INTRUDER" if sign > 0 else "VID-ABSENT"
            long_enough = (w.t1 - w.t0) >= 150  # honest traps are 25 s or a short break
            if rule in rules and long_enough:
                yield rw, w, sign


@pytest.mark.parametrize("seed", SEEDS)
def test_no_honest_head_count_window_overlaps_a_planted_one(seed):
    sim = Simulation(200, seed)
    seen = 0
    for p in sim.projects:
        for rw, planted, sign in _planted_windows(p):
            seen += 1
            for w in rw.windows:
                if w is planted or w.kind != "persons":
                    continue
                overlaps = w.t0 < planted.t1 and planted.t0 < w.t1
                assert not (overlaps and (w.delta > 0) != (sign > 0)), (p.pid, planted, w)
    planted = sum(c["rule"] in PLANTED for c in sim.truth)
    assert planted >= 2 and seen == planted, "every plant's window is found, or the check is idle"


@pytest.mark.parametrize("seed", SEEDS)
def test_every_frame_of_a_planted_absence_sees_fewer_than_the_roster(seed):
    sim = Simulation(200, seed)
    checked = 0
    for p in sim.projects:
        for k, rw in enumerate(p.windows):
            for _, planted, sign in (x for x in _planted_windows(p) if x[0] is rw):
                if sign > 0:
                    continue
                stream = frames(rw, f"witness-sim:{seed}:frames:{p.idx}:{k}", sim.frame_interval)
                for f in stream:
                    if len(f) != 10 or not (planted.t0 <= f[0] < planted.t1):
                        continue  # a status change, or outside the absence
                    if f[3] < 20 or f[4] < 15:
                        continue  # a tampered or black picture counts for nobody
                    assert f[8] < rw.persons, (p.pid, f)
                    checked += 1
    assert checked > 0


def test_a_one_camera_room_goes_dark_and_the_clock_notices():
    """Issue 14: one-camera rooms going dark. The planted dark camera is the room's only
    one, so no other frame of the room arrives while it is silent; replay still raises
    VID-OFFLINE for it (the camera heard again, the session's end)."""
    from detectors.offline import run_detectors
    from witness.events import parse_event
    from witness.simulator.plan import CENTRE

    single = {r for r, cams in CENTRE.evaluation.items() if len(cams) == 1}
    assert single, "the default centre has a one-camera evaluation room"
    sim = Simulation(40, 1)
    dark = [c for c in sim.truth if c["rule"] == "VID-OFFLINE" and c["subjects"][0] in single]
    assert dark, "a camera planted dark in the one-camera room"
    wanted = {c["project_id"] for c in dark}
    events = [
        parse_event(e) for e in sim.events() if e["project_id"] in wanted or e["project_id"] == "*"
    ]
    raised = {
        (a.project_id, tuple(a.subjects)) for a in run_detectors(events) if a.rule == "VID-OFFLINE"
    }
    for c in dark:
        assert (c["project_id"], tuple(c["subjects"])) in raised, c
