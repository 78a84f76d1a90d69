"""Procedure rules (PROC-*, 自动校验): the project lifecycle as an explicit state machine.

A project moves through

    unregistered → registered → bidding → opening → evaluation → finished → archived

`TRANSITIONS` says, for every project event type, in which phases it may arrive and
which phase it moves the project to. The phase is the furthest milestone reached so far
(it never moves back), and a milestone moves it even when it arrived out of order: the
state records what really happened, so one early `evaluation.started` is one finding,
not a cascade over every later score.

- PROC-ORDER: an event arrives in a phase its type is not allowed in (scores before
  opening, evaluation before opening, bids after opening, archive before finish, any
  event before `project.registered` ...), or `opening.started` before `bid_deadline`.
  Identity = the offending step, i.e. (event type, phase it arrived in): forty early
  scores are one alert whose evidence counts them. After `project.archived` the engine
  forgets the project's state, so a later event is reported as arriving while the
  project is "unregistered" (no registration known).
- PROC-LATE: every accepted submission or modification (each `bid.submitted`; a
  modification is another one for the same bidder) is judged by the LATER of
  `submission.submitted_at` and the event's own time, against `bid_deadline` +
  `grace_seconds`: a platform that stamps a late modification with an early
  `submitted_at` does not hide it. A `submitted_at` more than `backdate_seconds` before
  the event time is noted in the evidence as backdated. Bids seen before the
  registration are judged when the deadline becomes known. One alert per bidder, its
  evidence listing every late submission. Subject: the bidder.
- PROC-FEW: fewer than `min_bidders` distinct bidders at opening. Decided at
  `opening.closed` (and again at `evaluation.started`, which covers an opening that was
  never closed): bidders of `bid.opened` (唱标) when any were read out, otherwise the
  on-time bidders of `bid.submitted`.
- PROC-SHORT: fewer than `min_days` days from `tender_published_at` to `bid_deadline`
  (招标投标法 第二十四条), judged at `project.registered` when the platform sends both;
  every `project.registered` is judged (the id is fixed per project). Days are calendar
  days in the centre's `time_zone`, the day of publication not counted (民法典 第二百零一条):
  hours would flag every tender published in the afternoon with bids due at 09:30 on the
  twentieth day, which is lawful and common.
- PROC-CAND: `evaluation.finished` names more than `max_candidates` candidates. The
  candidates are the payload's `candidates` list if present, else the ranking rows
  flagged `candidate: true`. A ranking with neither is a full ranking, not a candidate
  list (a real evaluation report ranks every bidder), and raises nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from detectors.base import Context, ProjectDetector
from witness.alerts import Alert, make_alert
from witness.events import Event
from witness.thresholds import RuleThresholds, thresholds_section

# ------------------------------------------------------------------ the state machine

PHASES: tuple[str, ...] = (
    "unregistered",
    "registered",
    "bidding",
    "opening",
    "evaluation",
    "finished",
    "archived",
)
_RANK = {p: i for i, p in enumerate(PHASES)}

_BEFORE_OPENING = frozenset({"registered", "bidding"})

#: event type -> (phases it may arrive in, phase it moves the project to or None).
#: A milestone may repeat in its own phase (a resumed evaluation, a re-sent archive).
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "project.registered": (frozenset({"unregistered", "registered", "bidding"}), "registered"),
    "bid.submitted": (_BEFORE_OPENING, "bidding"),
    "document.submitted": (_BEFORE_OPENING, None),
    "opening.started": (_BEFORE_OPENING | {"opening"}, "opening"),
    "bid.opened": (frozenset({"opening"}), None),
    "opening.closed": (frozenset({"opening"}), None),
    "expert.assigned": (_BEFORE_OPENING | {"opening", "evaluation"}, None),
    "evaluation.started": (frozenset({"opening", "evaluation"}), "evaluation"),
    "score.submitted": (frozenset({"evaluation"}), None),
    "expert.activity": (frozenset({"evaluation"}), None),
    "bid.rejected": (frozenset({"opening", "evaluation"}), None),
    "evaluation.finished": (frozenset({"evaluation", "finished"}), "finished"),
    "project.archived": (frozenset({"finished", "archived"}), "archived"),
}

#: How many event ids one PROC-ORDER alert lists (the count covers them all).
MAX_EVENT_IDS = 20

_PHASE_LABEL = {
    "unregistered": ("未进场", "not registered"),
    "registered": ("已进场", "registered"),
    "bidding": ("投标中", "bidding"),
    "opening": ("开标中", "opening"),
    "evaluation": ("评标中", "evaluation"),
    "finished": ("评标已结束", "evaluation finished"),
    "archived": ("已归档", "archived"),
}
_STEP_LABEL = {
    "project.registered": ("项目进场", "registration"),
    "bid.submitted": ("递交投标", "bid submitted"),
    "document.submitted": ("递交文件", "document submitted"),
    "opening.started": ("开标", "opening started"),
    "bid.opened": ("唱标", "bid read out"),
    "opening.closed": ("开标结束", "opening closed"),
    "expert.assigned": ("专家抽取", "expert assigned"),
    "evaluation.started": ("评标开始", "evaluation started"),
    "score.submitted": ("专家评分", "score submitted"),
    "expert.activity": ("专家操作", "expert activity"),
    "bid.rejected": ("否决投标", "bid rejected"),
    "evaluation.finished": ("评标结束", "evaluation finished"),
    "project.archived": ("归档", "archived"),
}


@thresholds_section("PROC-LATE")
class LateBidThresholds(RuleThresholds):
    """PROC-LATE: bids or modifications accepted after the deadline."""

    grace_seconds: int | float = Field(
        0, ge=0, le=3600, description="still on time this long after"
    )
    backdate_seconds: int | float = Field(
        300, ge=0, description="submitted_at this much before the event time is backdated"
    )


@thresholds_section("PROC-FEW")
class FewBiddersThresholds(RuleThresholds):
    """PROC-FEW: opening with too few bidders."""

    min_bidders: int = Field(3, ge=1)


@thresholds_section("PROC-SHORT")
class ShortPeriodThresholds(RuleThresholds):
    """PROC-SHORT: too few days from tender publication to the bid deadline."""

    min_days: int = Field(20, ge=0, le=365, description="招标投标法 第二十四条")
    time_zone: str = Field(
        "Asia/Shanghai",
        description="the centre's time zone (IANA name): the calendar in which days are counted",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # a folder name: IsADirectoryError
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)"
            ) from None
        return value


def calendar_days(start: datetime, end: datetime, zone: str) -> int:
    """Days of a legal period from `start` to `end`, counted on the centre's calendar:
    the day it starts is not counted (民法典 第二百零一条), the day it ends is. A tender
    published on 1 November in the afternoon with bids due at 09:30 on 21 November has
    its 20 days, though only 19 days and 19 hours pass. A time without an offset (a
    spreadsheet's date) is taken as already on that calendar."""
    tz = ZoneInfo(zone)

    def day(t: datetime):
        return (t if t.tzinfo is None else t.astimezone(tz)).date()

    return (day(end) - day(start)).days


@thresholds_section("PROC-CAND")
class CandidatesThresholds(RuleThresholds):
    """PROC-CAND: too many recommended candidates."""

    max_candidates: int = Field(3, ge=1)


def _label(table: dict[str, tuple[str, str]], key: str, locale: str) -> str:
    zh, en = table.get(key, (key, key))
    return en if locale.startswith("en") else zh


def advance(phase: str, event_type: str) -> tuple[str, bool]:
    """Pure transition: (new phase, whether `event_type` was allowed in `phase`)."""
    allowed, target = TRANSITIONS[event_type]
    ok = phase in allowed
    if target is not None and _RANK[target] > _RANK[phase]:
        phase = target
    return phase, ok


# ------------------------------------------------------------------ state


@dataclass
class StepRecord:
    """One out-of-order step (type arriving in a phase): every time it happened."""

    first_ts: datetime
    count: int = 0
    event_ids: list[str] = field(default_factory=list)


#: Submissions remembered per bidder (modifications beyond this are counted, not kept).
MAX_SUBMISSIONS = 50


@dataclass
class BidTime:
    """One accepted submission or modification, timed as PROC-LATE judges it."""

    event_id: str
    submitted_at: datetime | None
    event_ts: datetime

    @property
    def at(self) -> datetime:
        """The later of the declared submission time and the event's own time."""
        if self.submitted_at is None:
            return self.event_ts
        return max(self.submitted_at, self.event_ts)

    @property
    def at_source(self) -> str:
        if self.submitted_at is not None and self.submitted_at >= self.event_ts:
            return "submission.submitted_at"
        return "event.ts"

    def backdated_by(self) -> float:
        """Seconds `submitted_at` lies before the event time (0 if not earlier)."""
        if self.submitted_at is None:
            return 0.0
        return max(0.0, (self.event_ts - self.submitted_at).total_seconds())


@dataclass
class ProcedureState:
    phase: str = "unregistered"
    deadline: datetime | None = None
    deadline_event: str | None = None
    steps: dict[tuple[str, str], StepRecord] = field(default_factory=dict)
    early_opening: StepRecord | None = None
    #: bidder -> every submission and modification, in arrival order (bounded)
    bids: dict[str, list[BidTime]] = field(default_factory=dict)
    opened: dict[str, str] = field(default_factory=dict)  # bidder -> bid.opened event id


# ------------------------------------------------------------------ detector


class ProcedureDetector(ProjectDetector):
    """PROC-ORDER, PROC-LATE, PROC-FEW, PROC-CAND, PROC-SHORT over one project's lifecycle."""

    name = "procedure"
    rules = ("PROC-ORDER", "PROC-LATE", "PROC-FEW", "PROC-CAND", "PROC-SHORT")
    types = frozenset(TRANSITIONS)

    def initial(self) -> ProcedureState:
        return ProcedureState()

    def step(
        self, state: ProcedureState, event: Event, ctx: Context
    ) -> tuple[ProcedureState, list[Alert]]:
        alerts: list[Alert] = []
        before = state.phase
        state.phase, ok = advance(before, event.type)
        if not ok:
            alerts.append(self._out_of_order(state, event, before, ctx))

        p = event.payload
        if event.type == "project.registered":
            short = self._short_period(event, ctx)
            if short is not None:
                alerts.append(short)
            if p.bid_deadline is not None:
                state.deadline = p.bid_deadline
                state.deadline_event = event.event_id
                alerts.extend(self._late_bids(state, event, list(state.bids), ctx))
        elif event.type == "bid.submitted":
            bidder = p.bidder.id
            subs = state.bids.setdefault(bidder, [])
            if len(subs) < MAX_SUBMISSIONS:
                sub = p.submission.submitted_at if p.submission else None
                subs.append(BidTime(event.event_id, sub, event.ts))
            alerts.extend(self._late_bids(state, event, [bidder], ctx))
        elif event.type == "bid.opened":
            state.opened.setdefault(p.bidder_id, event.event_id)
        elif event.type == "opening.started":
            alert = self._early_opening(state, event, ctx)
            if alert is not None:
                alerts.append(alert)
        elif event.type in ("opening.closed", "evaluation.started"):
            alert = self._few(state, event, ctx)
            if alert is not None:
                alerts.append(alert)
        elif event.type == "evaluation.finished":
            alert = self._candidates(event, ctx)
            if alert is not None:
                alerts.append(alert)
        return state, alerts

    # -------------------------------------------------------------- PROC-ORDER

    def _out_of_order(self, state: ProcedureState, event: Event, phase: str, ctx: Context) -> Alert:
        key = (event.type, phase)
        rec = state.steps.get(key)
        if rec is None:
            rec = state.steps[key] = StepRecord(first_ts=event.ts)
        rec.count += 1
        if event.event_id not in rec.event_ids and len(rec.event_ids) < MAX_EVENT_IDS:
            rec.event_ids.append(event.event_id)
        allowed = sorted(TRANSITIONS[event.type][0], key=_RANK.__getitem__)
        evidence = {
            "check": "lifecycle_order",
            "step": event.type,
            "phase": phase,
            "allowed_phases": allowed,
            "lifecycle": " → ".join(PHASES),
            "occurrences": rec.count,
            "first_at": rec.first_ts.isoformat(),
            "last_at": event.ts.isoformat(),
        }
        return make_alert(
            "PROC-ORDER",
            event.project_id,
            identity={"step": event.type, "phase": phase},
            subjects=[],
            evidence=evidence,
            event_ids=rec.event_ids,
            first_seen=rec.first_ts,
            last_seen=event.ts,
            room_id=getattr(event.payload, "room_id", None),
            locale=ctx.locale,
            title_detail=self._step_text(event.type, phase, ctx.locale),
        )

    @staticmethod
    def _step_text(step: str, phase: str, locale: str) -> str:
        s, p = _label(_STEP_LABEL, step, locale), _label(_PHASE_LABEL, phase, locale)
        return f"{s} @ {p}" if locale.startswith("en") else f"{s}（当时阶段：{p}）"

    def _early_opening(self, state: ProcedureState, event: Event, ctx: Context) -> Alert | None:
        if state.deadline is None or event.ts >= state.deadline:
            return None
        rec = state.early_opening
        if rec is None:
            rec = state.early_opening = StepRecord(first_ts=event.ts)
        rec.count += 1
        if event.event_id not in rec.event_ids and len(rec.event_ids) < MAX_EVENT_IDS:
            rec.event_ids.append(event.event_id)
        early = state.deadline - rec.first_ts
        evidence = {
            "check": "opening_before_bid_deadline",
            "step": "opening.started",
            "phase": "before bid_deadline",
            "bid_deadline": state.deadline.isoformat(),
            "opened_at": rec.first_ts.isoformat(),
            "early_by_minutes": round(early.total_seconds() / 60, 1),
            "occurrences": rec.count,
        }
        detail = (
            "开标早于投标截止时间" if not ctx.locale.startswith("en") else "before bid deadline"
        )
        return make_alert(
            "PROC-ORDER",
            event.project_id,
            identity={"step": "opening.started", "check": "bid_deadline"},
            subjects=[],
            evidence=evidence,
            event_ids=[*(e for e in [state.deadline_event] if e), *rec.event_ids],
            first_seen=rec.first_ts,
            last_seen=event.ts,
            room_id=event.payload.room_id,
            locale=ctx.locale,
            title_detail=detail,
        )

    # -------------------------------------------------------------- PROC-SHORT

    @staticmethod
    def _short_period(event: Event, ctx: Context) -> Alert | None:
        p = event.payload
        if p.tender_published_at is None or p.bid_deadline is None:
            return None
        th = ctx.thresholds.typed(ShortPeriodThresholds)
        days = calendar_days(p.tender_published_at, p.bid_deadline, th.time_zone)
        if days >= th.min_days:
            return None
        span = p.bid_deadline - p.tender_published_at
        evidence = {
            "tender_published_at": p.tender_published_at.isoformat(),
            "bid_deadline": p.bid_deadline.isoformat(),
            "days": days,
            "elapsed_days": round(span.total_seconds() / 86400, 2),
            "counting": "calendar days in the centre's time zone; the day of publication "
            "is not counted (民法典 第二百零一条)",
            "threshold": {"min_days": th.min_days, "time_zone": th.time_zone},
        }
        return make_alert(
            "PROC-SHORT",
            event.project_id,
            identity={"check": "bidding_period"},
            subjects=[],
            evidence=evidence,
            event_ids=[event.event_id],
            first_seen=event.ts,
            locale=ctx.locale,
        )

    # -------------------------------------------------------------- PROC-LATE

    def _late_bids(
        self, state: ProcedureState, event: Event, bidders: list[str], ctx: Context
    ) -> list[Alert]:
        if state.deadline is None:
            return []
        th = ctx.thresholds.typed(LateBidThresholds)
        limit = state.deadline + timedelta(seconds=th.grace_seconds)
        alerts = []
        for bidder in sorted(bidders):
            late = [b for b in state.bids[bidder] if b.at > limit]
            if not late:
                continue
            rows = [
                {
                    "event_id": b.event_id,
                    "accepted_at": b.at.isoformat(),
                    "judged_by": b.at_source,
                    "submitted_at": b.submitted_at.isoformat() if b.submitted_at else None,
                    "event_ts": b.event_ts.isoformat(),
                    "late_by_minutes": round((b.at - state.deadline).total_seconds() / 60, 1),
                    "backdated_by_minutes": round(b.backdated_by() / 60, 1)
                    if b.backdated_by() > th.backdate_seconds
                    else None,
                    "modification": i > 0,
                }
                for i, b in enumerate(state.bids[bidder])
                if b.at > limit
            ]
            first = late[0]
            evidence = {
                "bidder_id": bidder,
                "bid_deadline": state.deadline.isoformat(),
                "late_submissions": rows,
                "submissions": len(state.bids[bidder]),
                "late_by_minutes": rows[-1]["late_by_minutes"],
                "backdated": any(r["backdated_by_minutes"] is not None for r in rows),
                "judged_by": "the later of submission.submitted_at and the event time",
                "threshold": {
                    "grace_seconds": th.grace_seconds,
                    "backdate_seconds": th.backdate_seconds,
                },
            }
            alerts.append(
                make_alert(
                    "PROC-LATE",
                    event.project_id,
                    identity={"bidder": bidder},
                    subjects=[bidder],
                    evidence=evidence,
                    event_ids=[e for e in (state.deadline_event, *(b.event_id for b in late)) if e],
                    first_seen=min(first.event_ts, event.ts),
                    last_seen=event.ts,
                    locale=ctx.locale,
                )
            )
        return alerts

    # -------------------------------------------------------------- PROC-FEW

    def _few(self, state: ProcedureState, event: Event, ctx: Context) -> Alert | None:
        minimum = ctx.thresholds.typed(FewBiddersThresholds).min_bidders
        if state.opened:
            source, bidders = "bid.opened", state.opened
        else:
            limit = None
            if state.deadline is not None:
                grace = ctx.thresholds.typed(LateBidThresholds).grace_seconds
                limit = state.deadline + timedelta(seconds=grace)
            source = "bid.submitted (on time)" if limit else "bid.submitted"
            bidders = {
                b: on_time[0].event_id
                for b, subs in state.bids.items()
                if (on_time := [x for x in subs if limit is None or x.at <= limit])
            }
        if len(bidders) >= minimum:
            return None
        evidence = {
            "bidders": len(bidders),
            "bidder_ids": sorted(bidders),
            "counted_from": source,
            "decided_at": event.type,
            "threshold": {"min_bidders": minimum},
        }
        return make_alert(
            "PROC-FEW",
            event.project_id,
            identity={"check": "bidders_at_opening"},
            subjects=[],
            evidence=evidence,
            event_ids=[*(bidders[b] for b in sorted(bidders)), event.event_id],
            first_seen=event.ts,
            room_id=event.payload.room_id,
            locale=ctx.locale,
        )

    # -------------------------------------------------------------- PROC-CAND

    def _candidates(self, event: Event, ctx: Context) -> Alert | None:
        maximum = ctx.thresholds.typed(CandidatesThresholds).max_candidates
        source, cands = candidates_of(event.payload)
        if len(cands) <= maximum:
            return None
        evidence = {
            "candidates": len(cands),
            "ranking": cands,
            "counted_from": source,
            "threshold": {"max_candidates": maximum},
        }
        return make_alert(
            "PROC-CAND",
            event.project_id,
            identity={"check": "candidates"},
            subjects=[],
            evidence=evidence,
            event_ids=[event.event_id],
            first_seen=event.ts,
            room_id=event.payload.room_id,
            locale=ctx.locale,
        )


def candidates_of(payload: Any) -> tuple[str, list[dict[str, Any]]]:
    """The recommended candidates of an `evaluation.finished` payload and where they
    came from: the `candidates` list, else the rows flagged `candidate: true`, else none
    (a ranking without either is a full ranking, not a candidate list)."""
    by_bidder = {r.bidder_id: r for r in payload.ranking}

    def row(bidder_id: str) -> dict[str, Any]:
        r = by_bidder.get(bidder_id)
        return {
            "bidder_id": bidder_id,
            "rank": r.rank if r else None,
            "total": r.total if r else None,
        }

    if payload.candidates is not None:
        return "payload.candidates", [row(b) for b in dict.fromkeys(payload.candidates)]
    flagged = sorted(
        (r for r in payload.ranking if r.candidate), key=lambda r: (r.rank, r.bidder_id)
    )
    if flagged:
        return "ranking rows flagged candidate", [
            row(b) for b in dict.fromkeys(r.bidder_id for r in flagged)
        ]
    return "none named (full ranking only)", []
