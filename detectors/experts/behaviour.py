"""EXP-FAST, EXP-FOCUS: how fast and on whom the experts worked, from timing and activity."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import Field

from detectors.base import Context, ProjectDetector
from detectors.experts.shared import MAX_EVENT_IDS, rounded
from witness.alerts import Alert, make_alert
from witness.events import Event
from witness.thresholds import RuleThresholds, thresholds_section


@thresholds_section("EXP-FAST")
class FastScoringThresholds(RuleThresholds):
    """EXP-FAST: scoring much faster than planned, or click-through."""

    planned_share: float = Field(0.5, gt=0, le=1)
    max_click_seconds: float = Field(2.0, gt=0)
    min_click_run: int = Field(10, ge=2)


@thresholds_section("EXP-FOCUS")
class FocusThresholds(RuleThresholds):
    """EXP-FOCUS: an expert keeps opening one bidder's file."""

    min_opens: int = Field(10, ge=1)
    share: float = Field(0.6, gt=0, le=1)


@dataclass
class BehaviourState:
    started: datetime | None = None
    start_event: str | None = None
    planned_minutes: float | None = None
    room_id: str | None = None
    score_span: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    clicks: dict[str, list[datetime]] = field(default_factory=dict)
    click_ids: dict[str, list[str]] = field(default_factory=dict)
    click_first: dict[str, datetime] = field(default_factory=dict)
    opens: dict[str, Counter] = field(default_factory=dict)  # expert -> bidder -> opens
    open_ids: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    focus_first: dict[tuple[str, str], datetime] = field(default_factory=dict)


def longest_run(times: list[datetime], max_gap: float) -> tuple[int, int]:
    """(start index, length) of the longest run of sorted times with every gap < max_gap s."""
    best = (0, 1 if times else 0)
    start = 0
    for i in range(1, len(times)):
        if (times[i] - times[i - 1]).total_seconds() >= max_gap:
            start = i
        if i - start + 1 > best[1]:
            best = (start, i - start + 1)
    return best


class BehaviourDetector(ProjectDetector):
    """EXP-FAST and EXP-FOCUS from timing and platform activity.

    - EXP-FAST (duration): at `evaluation.finished`, finish − first `evaluation.started`
      < planned_share × planned_minutes. Evidence lists each expert's scoring span.
    - EXP-FAST (click-through): an expert's `score_click` activities contain a run of
      ≥ min_click_run clicks, each < max_click_seconds after the previous. Raised as
      soon as the run is long enough, updated while it grows.
    - EXP-FOCUS: an expert opened one bidder's file ≥ min_opens times and those opens are
      ≥ share of all that expert's `open_file` activities.
    """

    name = "exp-behaviour"
    rules = ("EXP-FAST", "EXP-FOCUS")
    types = frozenset(
        {"evaluation.started", "evaluation.finished", "score.submitted", "expert.activity"}
    )

    def initial(self) -> BehaviourState:
        return BehaviourState()

    def step(
        self, state: BehaviourState, event: Event, ctx: Context
    ) -> tuple[BehaviourState, list[Alert]]:
        p = event.payload
        if event.type == "evaluation.started":
            if state.started is None or event.ts < state.started:
                state.started, state.start_event = event.ts, event.event_id
            state.planned_minutes = p.planned_minutes or state.planned_minutes
            state.room_id = p.room_id
            return state, []
        if event.type == "score.submitted":
            lo, hi = state.score_span.get(p.expert_id, (event.ts, event.ts))
            state.score_span[p.expert_id] = (min(lo, event.ts), max(hi, event.ts))
            return state, []
        if event.type == "evaluation.finished":
            alert = self._duration(state, event, ctx)
            return state, [alert] if alert else []
        if p.action == "score_click":
            alert = self._clicks(state, event, ctx)
            return state, [alert] if alert else []
        if p.action == "open_file" and p.bidder_id:
            return state, self._focus(state, event, ctx)
        return state, []

    def _duration(self, state: BehaviourState, event: Event, ctx: Context) -> Alert | None:
        if state.started is None or not state.planned_minutes:
            return None
        share = ctx.thresholds.typed(FastScoringThresholds).planned_share
        elapsed = (event.ts - state.started).total_seconds() / 60
        limit = share * state.planned_minutes
        if elapsed >= limit:
            return None
        spans = {
            e: {
                "first_score": lo.isoformat(),
                "last_score": hi.isoformat(),
                "minutes_from_start": rounded((hi - state.started).total_seconds() / 60),
            }
            for e, (lo, hi) in sorted(state.score_span.items())
        }
        evidence = {
            "check": "duration",
            "started_at": state.started.isoformat(),
            "finished_at": event.ts.isoformat(),
            "elapsed_minutes": rounded(elapsed),
            "planned_minutes": state.planned_minutes,
            "limit_minutes": rounded(limit),
            "experts": spans,
            "threshold": {"planned_share": share},
        }
        return make_alert(
            "EXP-FAST",
            event.project_id,
            identity={"check": "duration"},
            subjects=list(spans),
            evidence=evidence,
            event_ids=[*(e for e in [state.start_event] if e), event.event_id],
            first_seen=event.ts,
            room_id=state.room_id or event.payload.room_id,
            locale=ctx.locale,
        )

    def _clicks(self, state: BehaviourState, event: Event, ctx: Context) -> Alert | None:
        th = ctx.thresholds.typed(FastScoringThresholds)
        max_gap, min_run = th.max_click_seconds, th.min_click_run
        e = event.payload.expert_id
        times = state.clicks.setdefault(e, [])
        ids = state.click_ids.setdefault(e, [])
        i = len(times)
        while i > 0 and times[i - 1] > event.ts:
            i -= 1
        times.insert(i, event.ts)
        ids.insert(i, event.event_id)
        start, length = longest_run(times, max_gap)
        if length < min_run:
            return None
        run = times[start : start + length]
        gaps = [(b - a).total_seconds() for a, b in zip(run, run[1:], strict=False)]
        evidence = {
            "check": "click_through",
            "expert_id": e,
            "run_clicks": length,
            "run_from": run[0].isoformat(),
            "run_to": run[-1].isoformat(),
            "median_gap_seconds": rounded(statistics.median(gaps)),
            "clicks_total": len(times),
            "threshold": {"max_click_seconds": max_gap, "min_click_run": min_run},
        }
        first = state.click_first.setdefault(e, event.ts)
        return make_alert(
            "EXP-FAST",
            event.project_id,
            identity={"check": "click_through", "expert": e},
            subjects=[e],
            evidence=evidence,
            event_ids=ids[start : start + length][:MAX_EVENT_IDS],
            first_seen=first,
            last_seen=event.ts,
            room_id=state.room_id,
            locale=ctx.locale,
        )

    def _focus(self, state: BehaviourState, event: Event, ctx: Context) -> list[Alert]:
        th = ctx.thresholds.typed(FocusThresholds)
        min_opens, share = th.min_opens, th.share
        e, b = event.payload.expert_id, event.payload.bidder_id
        opens = state.opens.setdefault(e, Counter())
        opens[b] += 1
        state.open_ids.setdefault((e, b), []).append(event.event_id)
        total = sum(opens.values())
        if opens[b] >= min_opens and opens[b] / total >= share:
            state.focus_first.setdefault((e, b), event.ts)
        alerts = []
        for (fe, fb), first in sorted(state.focus_first.items()):
            if fe != e:
                continue
            others = [c[fb] for x, c in state.opens.items() if x != e]
            evidence = {
                "expert_id": e,
                "bidder_id": fb,
                "opens_of_bidder": opens[fb],
                "opens_total": total,
                "share": rounded(opens[fb] / total),
                "opens_by_bidder": dict(sorted(opens.items())),
                "other_experts_mean_opens_of_bidder": rounded(statistics.fmean(others))
                if others
                else None,
                "threshold": {"min_opens": min_opens, "share": share},
            }
            alerts.append(
                make_alert(
                    "EXP-FOCUS",
                    event.project_id,
                    identity={"expert": e, "bidder": fb},
                    subjects=[e, fb],
                    evidence=evidence,
                    event_ids=state.open_ids[(e, fb)][:MAX_EVENT_IDS],
                    first_seen=first,
                    last_seen=event.ts,
                    room_id=state.room_id,
                    locale=ctx.locale,
                )
            )
        return alerts
