"""REL-RING: groups of bidders that keep bidding together while the win rotates.

A cross-project rule: its state key is "*" so it sees every project. It learns each
project's bidders from `bid.submitted` (and the ranking), and judges when the
project's `evaluation.finished` names the winner (rank 1). Only finished tenders count;
a finish that arrives before the opening (PROC-ORDER) still counts, so the alert lists
every tender it names in `projects` and stays sealed while any of them is.

Alerts use project_id "*": a ring is a fact about a group across many tenders, not
about the latest one. The id is rule + "*" + the sorted group, so the same group keeps
one alert as it bids again (its evidence grows), whichever project it is seen in next;
with the latest project as project_id the id would change with every tender.

The search is shared with `witness screen` (`RingIndex`): candidate groups are the
intersections of the new tender's bidders with earlier tenders' bidders, closed under
intersection, so a core that always bids together is found even when the rest of each
tender's field differs.

State is bounded over years: live, a tender is remembered for `window_years` after its
evaluation finished (by event time: the newest finish seen), then forgotten, with the
names of bidders no remembered tender or open project names any more. Projects with bids
but no finish yet are held for at most `max_open_projects` (oldest dropped first). The
evidence states the window and the oldest finish it covers.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import Field

from detectors.base import Context, CrossProjectDetector
from witness.alerts import Alert, make_alert
from witness.events import GLOBAL_PROJECT, Event
from witness.thresholds import RuleThresholds, thresholds_section

#: Upper bound on candidate groups examined per tender (large fields are rare).
MAX_CANDIDATES = 4096


@dataclass(frozen=True)
class Tender:
    tender_id: str
    bidders: frozenset[str]
    winner: str | None
    event_id: str | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class RingStats:
    group: tuple[str, ...]
    tenders: tuple[str, ...]  # tenders where every member bid
    wins: dict[str, int]  # member -> wins among those tenders
    group_wins: int
    distinct_winners: int
    group_win_share: float
    rotation: float  # normalised entropy of wins among members (1 = perfectly even)
    ring: bool  # passes every REL-RING threshold


@thresholds_section("REL-RING")
class RingThresholds(RuleThresholds):
    """REL-RING: groups that keep bidding together while the win rotates."""

    min_group_size: int = Field(3, ge=2)
    min_shared_tenders: int = Field(4, ge=2, description="tenders the group bid in together")
    min_distinct_winners: int = Field(2, ge=1, description="the win rotates among this many")
    min_group_win_share: float = Field(0.6, ge=0, le=1, description="share won by a member")
    window_years: int | float = Field(
        5, gt=0, le=100, description="tenders remembered this long after they finished"
    )
    max_open_projects: int = Field(
        20_000, ge=1, description="projects with bids but no finish yet, held at most"
    )

    @classmethod
    def from_ctx(cls, ctx: Context) -> RingThresholds:
        return ctx.thresholds.typed(cls)


@dataclass
class RingIndex:
    """Finished tenders and an inverted index bidder -> tenders."""

    tenders: dict[str, Tender] = field(default_factory=dict)
    by_bidder: dict[str, set[str]] = field(default_factory=dict)
    #: (finished_at, tender id) of dated tenders, oldest first (a heap), for `expire`.
    by_time: list[tuple[datetime, str]] = field(default_factory=list)

    def add(self, tender: Tender) -> None:
        old = self.tenders.get(tender.tender_id)
        if old is not None:
            self._unlink(old)
        self.tenders[tender.tender_id] = tender
        for b in tender.bidders:
            self.by_bidder.setdefault(b, set()).add(tender.tender_id)
        if tender.finished_at is not None:
            heapq.heappush(self.by_time, (tender.finished_at, tender.tender_id))

    def _unlink(self, tender: Tender) -> set[str]:
        """Drop `tender` from the bidder index; return bidders left with no tender."""
        gone = set()
        for b in tender.bidders:
            ids = self.by_bidder.get(b)
            if ids is None:
                continue
            ids.discard(tender.tender_id)
            if not ids:
                del self.by_bidder[b]
                gone.add(b)
        return gone

    def expire(self, before: datetime) -> set[str]:
        """Forget tenders that finished before `before`; return bidders now unknown."""
        gone: set[str] = set()
        while self.by_time and self.by_time[0][0] < before:
            at, tid = heapq.heappop(self.by_time)
            tender = self.tenders.get(tid)
            if tender is None or tender.finished_at != at:
                continue  # replaced by a later version of the tender
            del self.tenders[tid]
            gone |= self._unlink(tender)
        return gone

    def oldest(self) -> datetime | None:
        return self.by_time[0][0] if self.by_time else None

    def together(self, group: frozenset[str]) -> list[str]:
        """Tenders in which every member of `group` bid, sorted."""
        sets = sorted((self.by_bidder.get(b, set()) for b in group), key=len)
        if not sets:
            return []
        common = set(sets[0])
        for s in sets[1:]:
            common &= s
            if not common:
                break
        return sorted(common)

    def candidates(self, tender_id: str, min_size: int) -> set[frozenset[str]]:
        """Groups of >= min_size bidders of this tender that also bid together elsewhere."""
        mine = self.tenders[tender_id].bidders
        if len(mine) < min_size:
            return set()
        overlap: Counter[str] = Counter()
        for b in mine:
            for t in self.by_bidder.get(b, ()):
                if t != tender_id:
                    overlap[t] += 1
        found = {
            mine & self.tenders[t].bidders for t, k in sorted(overlap.items()) if k >= min_size
        }
        # close under intersection: a core common to several partial overlaps
        frontier = set(found)
        while frontier and len(found) < MAX_CANDIDATES:
            new: set[frozenset[str]] = set()
            items = sorted(found, key=sorted)
            for g in sorted(frontier, key=sorted):
                if len(found) + len(new) >= MAX_CANDIDATES:
                    break
                for h in items:
                    x = g & h
                    if len(x) >= min_size and x not in found:
                        new.add(x)
            found |= new
            frontier = new
        return found

    def stats(self, group: frozenset[str], th: RingThresholds) -> RingStats:
        shared = self.together(group)
        wins: Counter[str] = Counter()
        for t in shared:
            w = self.tenders[t].winner
            if w in group:
                wins[w] += 1
        group_wins = sum(wins.values())
        share = group_wins / len(shared) if shared else 0.0
        rotation = 0.0
        if group_wins and len(group) > 1:
            h = -sum((c / group_wins) * math.log(c / group_wins) for c in wins.values())
            rotation = h / math.log(len(group))
        ring = (
            len(group) >= th.min_group_size
            and len(shared) >= th.min_shared_tenders
            and len(wins) >= th.min_distinct_winners
            and share >= th.min_group_win_share
        )
        return RingStats(
            group=tuple(sorted(group)),
            tenders=tuple(shared),
            wins={m: wins.get(m, 0) for m in sorted(group)},
            group_wins=group_wins,
            distinct_winners=len(wins),
            group_win_share=share,
            rotation=rotation,
            ring=ring,
        )

    def rings_at(self, tender_id: str, th: RingThresholds) -> list[RingStats]:
        """Maximal ring groups among this tender's bidders (no ring inside a bigger ring)."""
        passing = [
            s
            for g in self.candidates(tender_id, th.min_group_size)
            if (s := self.stats(g, th)).ring
        ]
        sets = [frozenset(s.group) for s in passing]
        keep = [s for s, g in zip(passing, sets, strict=True) if not any(g < o for o in sets)]
        return sorted(keep, key=lambda s: s.group)


@dataclass
class RingState:
    index: RingIndex = field(default_factory=RingIndex)
    #: project -> bidders so far (not finished yet), least recently bid first
    pending: OrderedDict[str, set[str]] = field(default_factory=OrderedDict)
    names: dict[str, str] = field(default_factory=dict)
    newest_finish: datetime | None = None

    def forget_names(self, bidders: set[str]) -> None:
        """Names of bidders no remembered tender and no open project holds."""
        if not bidders:
            return
        still_open = set().union(*self.pending.values()) if self.pending else set()
        for b in bidders - still_open:
            self.names.pop(b, None)


class RingDetector(CrossProjectDetector):
    """REL-RING across projects (state key "*")."""

    name = "rel-ring"
    rules = ("REL-RING",)
    types = frozenset({"bid.submitted", "evaluation.finished", "project.archived"})

    def initial(self) -> RingState:
        return RingState()

    def step(self, state: RingState, event: Event, ctx: Context) -> tuple[RingState, list[Alert]]:
        p = event.payload
        th = RingThresholds.from_ctx(ctx)
        if event.type == "bid.submitted":
            state.pending.setdefault(event.project_id, set()).add(p.bidder.id)
            state.pending.move_to_end(event.project_id)
            state.names[p.bidder.id] = p.bidder.name
            dropped: set[str] = set()
            while len(state.pending) > th.max_open_projects:
                dropped |= state.pending.popitem(last=False)[1]
            state.forget_names({b for b in dropped if b not in state.index.by_bidder})
            return state, []
        if event.type == "project.archived":
            left = state.pending.pop(event.project_id, set())
            state.forget_names({b for b in left if b not in state.index.by_bidder})
            return state, []
        bidders = state.pending.pop(event.project_id, set()) | {r.bidder_id for r in p.ranking}
        top = sorted(p.ranking, key=lambda r: (r.rank, r.bidder_id))
        winner = top[0].bidder_id if top else None
        state.index.add(
            Tender(event.project_id, frozenset(bidders), winner, event.event_id, event.ts)
        )
        if state.newest_finish is None or event.ts > state.newest_finish:
            state.newest_finish = event.ts
        horizon = state.newest_finish - timedelta(days=365.25 * th.window_years)
        state.forget_names(state.index.expire(horizon))
        alerts = [
            self._alert(s, state, event, ctx, th)
            for s in state.index.rings_at(event.project_id, th)
        ]
        return state, alerts

    @staticmethod
    def _alert(
        s: RingStats, state: RingState, event: Event, ctx: Context, th: RingThresholds
    ) -> Alert:
        tenders = [state.index.tenders[t] for t in s.tenders]
        evidence = {
            "group": [{"bidder_id": b, "bidder_name": state.names.get(b)} for b in s.group],
            "shared_tenders": len(s.tenders),
            "tenders": [
                {"project_id": t.tender_id, "winner": t.winner, "event_id": t.event_id}
                for t in tenders
            ],
            "wins": s.wins,
            "distinct_winners": s.distinct_winners,
            "group_win_share": round(s.group_win_share, 4),
            "rotation": round(s.rotation, 4),
            "thresholds": th.__dict__,
            "window": {
                "years": th.window_years,
                "oldest_finish_remembered": (
                    state.index.oldest().isoformat() if state.index.oldest() else None
                ),
            },
        }
        return make_alert(
            "REL-RING",
            GLOBAL_PROJECT,
            identity={"group": list(s.group)},
            subjects=list(s.group),
            evidence=evidence,
            event_ids=[t.event_id for t in tenders if t.event_id],
            first_seen=event.ts,
            locale=ctx.locale,
            projects=[t.tender_id for t in tenders],  # sealed while any of them is
        )
