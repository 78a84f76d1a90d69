"""Orchestration: plan every project up front, then stream its events in time order.

Planning decides everything the truth depends on (who bids, prices, fingerprints,
committees, score sheets, schedules, camera anomalies) using one seeded generator per
project, so the truth is known before the first event is written. Each job has its
module: `lifecycle` (timeline, rooms, procedure), `bids` (bidders, prices, documents),
`expert_panel` (pool, committee, conflicts, scores), `report` (the evaluation report and
its errors), `activity` (clicks), `cameras`.
Rendering (document text, envelopes, frames) happens lazily in `timeline`, which makes
the output byte-identical for the same seed.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

from witness.simulator import disqualify, expert_panel, names, oracle, priced_bills, timeline
from witness.simulator.bids import plan_bidders
from witness.simulator.cameras import plan_video
from witness.simulator.clock import BASE, DAY, weekday
from witness.simulator.companies import Company, Roster
from witness.simulator.lifecycle import plan_project, plan_sessions
from witness.simulator.plan import LiveDay, Project, Scheduler, case
from witness.simulator.planting import ALL_RULES, Spec, deal, rings
from witness.simulator.report import plan_report

CATEGORIES = ["工程", "工程", "工程", "货物", "服务"]


class Simulation:
    """`Simulation(projects, seed)`: `.truth` (list of cases) and `.events()` (time-ordered dicts)."""

    def __init__(
        self,
        projects: int = 20,
        seed: int = 7,
        *,
        frame_interval: int = 10,
        day: LiveDay | None = None,
    ) -> None:
        if projects < 1:
            raise ValueError("projects must be >= 1")
        self.n = projects
        self.seed = seed
        self.frame_interval = frame_interval
        self.day = day
        #: The day every opening falls on when `day` is given (seconds // DAY).
        self.live_day = self._first_weekday(20 + int((projects - 1) * 0.45) + 1)
        self.rng = random.Random(f"witness-sim:{seed}")
        self.uniq = names.Unique()
        self.roster = Roster(self.uniq)
        self.companies: list[Company] = self.roster.companies  # every firm, in creation order
        self.projects: list[Project] = []
        self.truth: list[dict[str, Any]] = []
        self._plan()

    def _plan(self) -> None:
        rng, new = self.rng, self.roster.new
        specs = deal(self.n, rng)
        if self.day is not None:
            specs = showcase(specs, self.day.showcase)
        pool = {
            cat: [new(rng, cat) for _ in range(10 + (2 * self.n) // len(set(CATEGORIES)))]
            for cat in ("工程", "货物", "服务")
        }
        self.rings = [[new(rng, "工程") for _ in range(3)] for _ in range(rings(self.n))]
        for ring in self.rings:
            for c in ring:
                c.performance = 5
        self.ring = self.rings[0]
        self.trio = [new(rng, "工程") for _ in range(3)]
        # cross-project firms: the usual loser (BID-LOSER), its honest look-alike, and a
        # firm whose bids are often rejected (REJ-RATE)
        self.loser, self.occasional, self.rejectee = (new(rng, "工程") for _ in range(3))
        quota = {
            self.loser.id: disqualify.LOSER_PROJECTS,
            self.occasional.id: disqualify.LOOKALIKE_LOSER_PROJECTS,
            self.rejectee.id: disqualify.REJECTEE_PROJECTS,
        }
        often_rejected = Counter({self.rejectee.id: disqualify.REJECTEE_REJECTED})
        old = [c.id for cs in pool.values() for c in cs]
        self.expert_pool = {
            cat: expert_panel.expert_pool(rng, self.uniq, max(24, self.n), cat, old, BASE.year)
            for cat in ("工程", "货物", "服务")
        }
        self.sched = Scheduler()
        ring_seen = [0] * len(self.rings)
        for idx, spec in enumerate(specs):
            prng = random.Random(f"witness-sim:{self.seed}:project:{idx}")
            category = "工程" if spec.ring else prng.choice(CATEGORIES)
            p = plan_project(idx, spec, category, prng, self.sched, self.day, self.live_day)
            winner = None
            cartel: list[Company] = []
            if spec.ring == "ring":
                cartel = self.rings[spec.ring_id]
                winner = cartel[ring_seen[spec.ring_id] % 3]
                ring_seen[spec.ring_id] += 1
            elif spec.ring == "trio":
                cartel = self.trio
            extra = []
            if disqualify.extra_eligible(p):
                for firm in (self.loser, self.occasional, self.rejectee):
                    if quota[firm.id] > 0:
                        quota[firm.id] -= 1
                        extra.append(firm)
            plan_bidders(p, prng, pool[category], self.roster, cartel, winner, extra)
            expert_panel.plan_committee(p, prng, self.expert_pool[p.category])
            disqualify.plan_rejections(p, prng, often_rejected)
            plan_report(p, f"witness-sim:{self.seed}")
            plan_sessions(p, prng, self.sched, self.day)
            mode = None
            if self.day is not None:  # a live day shows each kind of tampering in turn
                done = sum("tamper" in q.spec.vid for q in self.projects)
                mode = self.day.tamper_modes[done % len(self.day.tamper_modes)]
            plan_video(p, prng, self.frame_interval, mode)
            self.projects.append(p)
            self.truth.extend(p.truth)
        self.truth.extend(priced_bills.plan_bills(self.projects, self.seed))
        self._ring_truth()
        self.truth.extend(
            disqualify.cross_project_truth(self.projects, self.loser.id, self.rejectee.id)
        )
        self.truth.sort(key=lambda c: (c["project_id"], c["rule"], c["subjects"]))

    @staticmethod
    def _first_weekday(day: int) -> int:
        while weekday(day) >= 5:
            day += 1
        return day

    def _ring_truth(self) -> None:
        """REL-RING across projects: the planted rings the oracle confirms, and any incidental."""
        parts = []
        for p in self.projects:
            winner = p.ranking[0][0] if p.ranking else None
            parts.append(([b.company.id for b in p.bids], winner))
        groups = oracle.ring_groups(parts)
        planted = [tuple(sorted(c.id for c in ring)) for ring in self.rings]
        for ring_ids in planted:
            if ring_ids in groups:
                self.truth.append(
                    case(
                        "REL-RING",
                        "*",
                        list(ring_ids),
                        "planted: three firms bid together and take turns winning",
                    )
                )
        for g in groups:
            if g not in planted:
                self.truth.append(case("REL-RING", "*", list(g), "incidental"))

    def live_day_start(self) -> int:
        """Simulated second of the live day's first opening (a LiveDay run)."""
        first = self.day.first_opening_s if self.day else 9 * 3600
        return self.live_day * DAY + first

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event of the run as a contract dict, in time order."""
        return timeline.events(self.projects, self.companies, self.seed, self.frame_interval)

    def lines(self) -> Iterator[str]:
        """The same events as canonical JSON lines (frames rendered without a dict round-trip)."""
        return timeline.lines(self.projects, self.companies, self.seed, self.frame_interval)


def showcase(specs: list[Spec], first: int) -> list[Spec]:
    """A live day's order: projects with camera plants first, then the other dirty ones,
    and every one of the `first` projects (the demo officer's) gets a camera plant."""
    order = sorted(range(len(specs)), key=lambda i: (not specs[i].vid, not specs[i].dirty(), i))
    ordered = [specs[i] for i in order]
    added = 0
    for spec in ordered[:first]:
        if not spec.vid:
            spec.vid.append(("tamper", "offline", "absent")[added % 3])
            added += 1
    return ordered


def truth_header(sim: Simulation) -> dict[str, Any]:
    """First line of a truth file: what it covers, so evaluate can count false positives."""
    return {
        "complete_rules": list(ALL_RULES),
        "generator": "witness simulate",
        "seed": sim.seed,
        "projects": sim.n,
    }
