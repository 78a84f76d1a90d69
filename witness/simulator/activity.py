"""Expert activity during evaluation: files opened, pages viewed, scores clicked in.

Every member reads each bid once or twice and scores every item, spread evenly over
the session with a little jitter. Planted behaviour changes the rhythm: a click-through
scorer enters all scores in one burst (EXP-FAST), a focused expert re-opens one bidder's
file over and over (EXP-FOCUS); an honest expert may re-open one file a few times.
"""

from __future__ import annotations

import random
from typing import Any

from witness.simulator import expert_panel
from witness.simulator.plan import Event, Project, case


def plan_activity(p: Project, rng: random.Random, early_score: bool) -> None:
    """Fill `p.activity` (time-sorted events); `early_score` plants one score before opening."""
    spec = p.spec
    s0, s1 = p.eval_start + 300, p.eval_end - 180
    bidders = [b.company.id for b in p.bids]
    pool_ids = [e.id for e in p.committee if e.record["role"] == "expert"]
    click_e = rng.choice(pool_ids) if "fast_click" in spec.exp else None
    focus = (
        (rng.choice([i for i in pool_ids if i != click_e]), rng.choice(bidders))
        if "focus" in spec.exp
        else None
    )
    honest_focus = (rng.choice(pool_ids), rng.choice(bidders)) if rng.random() < 0.1 else None
    acts: list[Event] = []
    early = None
    if early_score:
        e = p.committee[0].id
        early = (e, bidders[0], "tech_plan")
        if early not in p.scores:  # the cell a planted EVAL-MISSING left unscored
            early = min(k for k in p.scores if k[0] == e)
        p.early_score = early
        t = p.opening_start - 600
        acts.append((t, "score.submitted", _score_payload(p, *early)))
    for e in p.committee:
        steps: list[tuple[str, dict[str, Any]]] = []
        order = list(bidders)
        rng.shuffle(order)
        for b in order:
            for _ in range(1 if focus and focus[0] == e.id else rng.randint(1, 2)):
                steps.append(
                    ("expert.activity", {"expert_id": e.id, "action": "open_file", "bidder_id": b})
                )
                steps.append(
                    ("expert.activity", {"expert_id": e.id, "action": "page_view", "bidder_id": b})
                )
            for item, _, _ in expert_panel.ITEMS:
                if early and (e.id, b, item) == early or (e.id, b, item) not in p.scores:
                    continue  # scored before the opening, or left unscored (EVAL-MISSING)
                steps.append(("score", {"expert_id": e.id, "bidder_id": b, "item_id": item}))
        extra_opens = []
        if focus and focus[0] == e.id:
            extra_opens = [focus[1]] * rng.randint(15, 18)
        elif honest_focus and honest_focus[0] == e.id:
            extra_opens = [honest_focus[1]] * rng.randint(4, 6)
        for b in extra_opens:
            steps.insert(
                rng.randrange(len(steps) + 1),
                ("expert.activity", {"expert_id": e.id, "action": "open_file", "bidder_id": b}),
            )
        span = s1 - s0
        gap = span / (len(steps) + 1)
        burst = None
        if click_e == e.id:
            burst = s0 + span // 2
        for k, (kind, payload) in enumerate(steps):
            if kind == "score" and burst is not None:
                continue
            ts = int(s0 + (k + 1 + rng.uniform(-0.3, 0.3)) * gap)
            if kind == "score":
                acts.extend(_score_click(p, e.id, ts, payload))
            else:
                acts.append((ts, kind, payload))
        if burst is not None:
            k = 0
            for kind, payload in steps:
                if kind == "score":
                    ts = burst + k
                    acts.extend(_score_click(p, e.id, ts, payload))
                    k += 1
    acts.sort(key=lambda a: a[0])
    p.activity = acts
    if click_e:
        p.truth.append(case("EXP-FAST", p.pid, [click_e], "planted: click-through scoring"))
    if focus:
        p.truth.append(
            case(
                "EXP-FOCUS",
                p.pid,
                list(focus),
                "planted: one bidder's file opened over and over",
            )
        )


def _score_click(p: Project, expert_id: str, ts: int, payload: dict[str, Any]) -> list[Event]:
    """A score as the platform logs it: the click, then the submitted score."""
    bidder = payload["bidder_id"]
    final = _score_payload(p, expert_id, bidder, payload["item_id"])
    click = (
        ts,
        "expert.activity",
        {"expert_id": expert_id, "action": "score_click", "bidder_id": bidder},
    )
    first = p.corrections.get((expert_id, bidder, payload["item_id"]))
    if first is None:
        return [click, (ts, "score.submitted", final)]
    # an entry corrected at once: the platform logs both, the report uses the last
    return [
        click,
        (ts, "score.submitted", {**final, "score": first}),
        (ts + 20, "score.submitted", final),
    ]


def _score_payload(p: Project, e: str, b: str, item: str) -> dict[str, Any]:
    """The `score.submitted` payload of one cell of the planned sheet."""
    kind = "objective" if item in expert_panel.OBJECTIVE else "subjective"
    return {
        "expert_id": e,
        "bidder_id": b,
        "item_id": item,
        "kind": kind,
        "score": p.scores[(e, b, item)],
        "max_score": expert_panel.MAX[item],
    }
