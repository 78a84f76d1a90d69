"""A project's timeline: registration, bid deadline, opening, evaluation, archiving.

Planning books the centre's rooms (`Scheduler`) so no two sessions share one, and plants
the procedure rules (PROC-LATE, PROC-ORDER, PROC-FEW) and a too-fast evaluation
(EXP-FAST). Rendering emits the platform's milestone events around the bids.
"""

from __future__ import annotations

import random

from witness.simulator import names
from witness.simulator.activity import plan_activity
from witness.simulator.bids import tender_event
from witness.simulator.clock import DAY, iso, weekday
from witness.simulator.plan import CENTRE, Event, LiveDay, Project, Scheduler, case
from witness.simulator.planting import Spec

# ---------------------------------------------------------------- planning


def plan_project(
    idx: int,
    spec: Spec,
    category: str,
    rng: random.Random,
    sched: Scheduler,
    day: LiveDay | None = None,
    live_day: int = 0,
) -> Project:
    """Name, tenderer and ceiling; the deadline is the first free opening slot 20 days on
    (on a live day: the first free slot from 09:00 + idx staggers on `live_day`)."""
    div = rng.choice(names.DIVISIONS[:16])
    city, district = div[2], div[3]
    place = rng.choice(names.TENDERERS).format(
        city=city, district=district, street=rng.choice(["新街口", "湖西", "东山", "城南"])
    )
    pattern = rng.choice(names.PROJECT_PATTERNS[category])
    road = "".join(rng.sample(names.ROADS, 2)) + "路"
    name = pattern.format(
        place=place.removesuffix("有限公司"),
        district=f"{city}{district}",
        road=road,
        lot=rng.choice(names.LOT_NAMES),
    )
    ceiling = (
        float(rng.randrange(80, 6000) * 10_000)
        if category == "工程"
        else float(rng.randrange(30, 900) * 10_000)
    )
    reg_day = int(idx * 0.45)
    registered = reg_day * DAY + 9 * 3600 + rng.randrange(0, 7 * 3600)
    if day is not None:
        number, venue = day.first_number + idx, day.venue
        t, room = _live_slot(idx, sched, day, live_day)
    else:
        number, venue = idx + 1, CENTRE
        t, room = _first_free_slot(reg_day + 20, rng, sched)
    p = Project(
        idx,
        f"JY-2026-{number:04d}",
        spec,
        category,
        name,
        name[:12],
        place,
        ceiling,
        registered,
        t,
        room,
        "",
        venue=venue,
    )
    return _published(spec, rng, p)


def _first_free_slot(day: int, rng: random.Random, sched: Scheduler) -> tuple[int, str]:
    """The first weekday slot from `day` on with a free opening room (booked here)."""
    while True:
        if weekday(day) < 5:
            for slot in rng.sample(
                [9 * 3600, 9 * 3600 + 1800, 10 * 3600, 14 * 3600, 14 * 3600 + 1800], 5
            ):
                t = day * DAY + slot
                for room in CENTRE.opening:
                    if sched.free(room, t - 1800, t + 5400):
                        sched.take(room, t - 1800, t + 5400)
                        return t, room
        day += 1


def _published(spec: Spec, rng: random.Random, p: Project) -> Project:
    """When the tender was published: >= 20 days before the deadline (PROC-SHORT's limit),
    sometimes only just; planted short periods get 9-15 days."""
    if "short" in spec.proc:
        p.published = p.deadline - rng.randint(9 * DAY, 15 * DAY)
        days = (p.deadline - p.published) / DAY
        p.truth.append(case("PROC-SHORT", p.pid, [], f"planted: {days:.1f} days to bid"))
    elif rng.random() < 0.2:  # the look-alike: the twentieth day, at office hours
        # (often under 20 x 24 hours: published in the afternoon, bids due at 09:30)
        p.published = (p.deadline // DAY - 20) * DAY + rng.randint(
            8 * 3600 + 1800, 17 * 3600 + 1800
        )
    else:
        p.published = min(p.registered, p.deadline - 20 * DAY - rng.randint(3600, 10 * DAY))
    return p


def _live_slot(idx: int, sched: Scheduler, day: LiveDay, live_day: int) -> tuple[int, str]:
    """A live day's deadline: openings in order of the projects, one stagger apart."""
    k = idx
    while True:
        t = live_day * DAY + day.first_opening_s + k * day.stagger_s
        for room in day.venue.opening:
            if sched.free(room, t - 900, t + 3000):
                sched.take(room, t - 900, t + 3000)
                return t, room
        k += 1


def plan_sessions(
    p: Project, rng: random.Random, sched: Scheduler, day: LiveDay | None = None
) -> None:
    """Opening and evaluation times, the evaluation room, archiving; then expert activity."""
    spec = p.spec
    n = len(p.bids)
    variant = rng.choice(["early_opening", "early_score"]) if "order" in spec.proc else None
    p.opening_start = p.deadline + rng.randint(60, 180)
    if "late" in spec.proc:
        late = rng.choice(
            [b for b in p.bids if not any(b.company.id in c["subjects"] for c in p.truth)] or p.bids
        )
        how = rng.choice(["late", "modified_late", "backdated"])
        after = p.deadline + rng.randint(90, 300)
        if how == "late":
            late.at = late.submitted_at = after
        elif how == "modified_late":  # on time first, then a modification after the deadline
            late.modifications.append((after, after))
        else:  # accepted late, but stamped with a submitted_at before the deadline
            late.at, late.submitted_at = after, p.deadline - rng.randint(600, 3600)
        p.opening_start = p.deadline + rng.randint(480, 600)
        what = {
            "late": "bid accepted after the deadline",
            "modified_late": "modification accepted after the deadline",
            "backdated": "bid accepted after the deadline with a backdated submitted_at",
        }[how]
        p.truth.append(case("PROC-LATE", p.pid, [late.company.id], f"planted: {what}"))
    if variant == "early_opening":
        p.opening_start = p.deadline - rng.randint(900, 1500)
        for b in p.bids:
            b.at = b.submitted_at = min(b.at, p.opening_start - rng.randint(600, 3600))
    if "few" in spec.proc:
        p.truth.append(case("PROC-FEW", p.pid, [], "planted: opening with 2 bids"))
    p.opening_end = p.opening_start + 300 + n * 90 + 300
    fast = "fast_finish" in spec.exp
    p.planned_minutes = rng.choice([90, 120, 150])
    dur = int(p.planned_minutes * 60 * (rng.uniform(0.3, 0.4) if fast else rng.uniform(0.8, 0.95)))
    start = p.opening_end + rng.randint(1800, 3000)
    # the room stays booked past the evaluation: after-hours windows live there (cameras.py)
    before, after, step = (600, 3000, 600) if day else (1800, 5400, 1800)
    while True:
        rooms = [
            r for r in p.venue.evaluation if sched.free(r, start - before, start + dur + after)
        ]
        if rooms:
            # a camera planted dark goes dark in the one-camera room when it is free, so
            # the room falls silent as a whole (no other frame of it arrives)
            single = [r for r in rooms if len(p.venue.evaluation[r]) == 1]
            dark = "offline" in spec.vid and single
            p.eval_room = (
                single[0]
                if dark
                else next((r for r in rooms if len(p.venue.evaluation[r]) > 1), rooms[0])
            )
            sched.take(p.eval_room, start - before, start + dur + after)
            break
        start += step
    p.eval_start, p.eval_end = start, start + dur
    p.assigned_at = p.eval_start - 1500
    if variant == "early_score":
        p.assigned_at = p.opening_start - 2400
    if day is not None:
        p.archived = p.eval_end + rng.randint(*day.archive_after_s)
    else:
        p.archived = (p.eval_end // DAY + 3) * DAY + 10 * 3600 + rng.randint(0, 3600)
    if fast:
        p.truth.append(
            case(
                "EXP-FAST",
                p.pid,
                [e.id for e in p.committee],
                "planted: scoring finished far faster than planned",
            )
        )
    if variant:
        p.truth.append(case("PROC-ORDER", p.pid, [], f"planted: {variant}"))
    plan_activity(p, rng, variant == "early_score")


# ---------------------------------------------------------------- rendering


def register_events(p: Project) -> list[Event]:
    """`project.registered` with its rooms, then the tender document."""
    rooms = [
        {
            "room_id": p.opening_room,
            "kind": "opening",
            "cameras": p.venue.opening[p.opening_room],
        },
        {
            "room_id": p.eval_room,
            "kind": "evaluation",
            "cameras": p.venue.evaluation[p.eval_room],
        },
    ]
    reg = {
        "name": p.name,
        "category": p.category,
        "ceiling_price": p.ceiling,
        "currency": "CNY",
        "tender_published_at": iso(p.published),
        "bid_deadline": iso(p.deadline),
        "opening_at": iso(p.deadline),
        "evaluation_method": p.method,
        "rooms": rooms,
        "tenderer": p.tenderer,
    }
    return [(p.registered, "project.registered", reg), tender_event(p)]


def session_events(p: Project) -> list[Event]:
    """Opening, expert assignment, evaluation with its activity, ranking, archiving."""
    out: list[Event] = []
    out.append((p.opening_start, "opening.started", {"room_id": p.opening_room}))
    order = sorted(p.bids, key=lambda b: b.at)
    for k, b in enumerate(order):
        out.append(
            (
                p.opening_start + 300 + k * 90,
                "bid.opened",
                {"bidder_id": b.company.id, "price": b.price},
            )
        )
    out.append((p.opening_end, "opening.closed", {"room_id": p.opening_room}))
    for k, e in enumerate(p.committee):
        out.append(
            (
                p.assigned_at + 40 * k,
                "expert.assigned",
                {"expert": e.record, "room_id": p.eval_room},
            )
        )
    out.append(
        (
            p.eval_start,
            "evaluation.started",
            {"room_id": p.eval_room, "planned_minutes": p.planned_minutes},
        )
    )
    out.extend(p.activity)
    for k, (bidder, reason) in enumerate(sorted(p.rejected.items())):
        at = p.eval_start + 300 + 60 * k
        out.append((at, "bid.rejected", {"bidder_id": bidder, "reason": reason, "at": iso(at)}))
    # A real report ranks every bidder and flags the recommended candidates (中标候选人).
    ranking = p.report or [
        {"bidder_id": b, "total": total, "rank": r + 1, "candidate": r < p.candidates}
        for r, (b, total) in enumerate(p.ranking)
    ]
    out.append((p.eval_end, "evaluation.finished", {"room_id": p.eval_room, "ranking": ranking}))
    out.append((p.archived, "project.archived", {}))
    return out
