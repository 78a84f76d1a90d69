"""Rejected bids (否决投标) and the cross-project bidders: REJ-ALL, REJ-LOW, REJ-RATE, BID-LOSER.

Planned after the committee's ranking is known. A rejected bid leaves the ranking (the
committee ranks only valid bids), so the winner is the best valid bid. Truth follows
the DESIGN conditions evaluated on the planned project (`oracle`), so an incidental
case is in the truth as surely as a planted one:

- REJ-ALL: every bid but the winner's rejected (planted: `rej_all`);
- REJ-LOW: the lowest bid rejected under a price-decides method (planted: `rej_low`);
- REJ-RATE (across projects): a firm with >= 5 bids, half or more rejected (planted: a
  firm rejected in 3 of its 5 projects);
- BID-LOSER (across projects): a firm with >= 8 finished tenders that won none (planted:
  a firm that bids in 8 projects, weak and high).

Honest look-alikes: one bid rejected in about one project in eight (never the lowest
under a price-decides method, never leaving only the winner), and a firm that bids in
5 projects and never wins.
"""

from __future__ import annotations

import random
from collections import Counter

from witness.simulator import oracle
from witness.simulator.plan import Project, case

REASONS = (
    "未按招标文件要求签字盖章",
    "资格条件不符合招标文件要求",
    "投标保证金未按要求提交",
    "技术方案未实质性响应招标文件",
)
LOW_REASON = "投标报价低于成本"
LOSER_PROJECTS = 8  # BID-LOSER's default min_bids
LOOKALIKE_LOSER_PROJECTS = 5
REJECTEE_PROJECTS = 5  # REJ-RATE's default min_bids
REJECTEE_REJECTED = 3


def extra_eligible(p: Project) -> bool:
    """Projects a cross-project firm may join without disturbing another plant."""
    s = p.spec
    return (
        s.ring != "ring"
        and s.price not in ("regular", "geometric", "close", "discount")
        and not set(s.proc) & {"few", "cand", "rej_all", "rej_low"}
    )


def plan_rejections(p: Project, rng: random.Random, often_rejected: Counter[str]) -> None:
    """Which bids the committee rejects; updates the ranking and the per-project truth.

    `often_rejected` counts down the rejections still to plant per firm (REJ-RATE).
    """
    winner = p.ranking[0][0] if p.ranking else None
    prices = {b.company.id: b.price for b in p.bids}
    ordered = sorted(prices, key=lambda b: (prices[b], b))
    if "rej_all" in p.spec.proc and winner is not None:
        p.rejected = {b: rng.choice(REASONS) for b in ordered if b != winner}
    elif "rej_low" in p.spec.proc:
        p.method = "经评审的最低投标价法"
        p.rejected = {ordered[0]: LOW_REASON}
    elif len(prices) >= 4 and not {"few", "cand"} & set(p.spec.proc):
        # the lowest bid may be rejected too, unless price decides (that would be REJ-LOW)
        eligible = ordered[1:] if p.method == "经评审的最低投标价法" else ordered
        for b in eligible:
            if often_rejected[b] > 0 and b != winner:
                often_rejected[b] -= 1
                p.rejected[b] = rng.choice(REASONS)
        if not p.rejected and rng.random() < 0.12:
            pick = rng.choice([b for b in ordered[1:] if b != winner])
            p.rejected[pick] = rng.choice(REASONS)
    if not p.rejected:
        return
    p.ranking = [(b, total) for b, total in p.ranking if b not in p.rejected]
    final = p.ranking[0][0] if p.ranking else None
    if oracle.rejected_all_but_winner(set(prices), set(p.rejected), final):
        note = (
            "planted: every bid but the winner's rejected"
            if "rej_all" in p.spec.proc
            else "incidental"
        )
        p.truth.append(case("REJ-ALL", p.pid, [], note))
    low = oracle.rejected_lowest(prices, set(p.rejected), p.method)
    if low:
        p.truth.append(case("REJ-LOW", p.pid, low, "planted: lowest bid rejected, price decides"))


def cross_project_truth(projects: list[Project], loser: str, rejectee: str) -> list[dict]:
    """BID-LOSER and REJ-RATE cases from the finished projects (all of them finish).

    BID-LOSER is judged as each evaluation finishes, so a firm that has lost its first
    eight and wins the ninth was a case when the eighth finished: the tally runs in the
    order the evaluations finish, with the report's rank 1 as the winner."""
    bids: Counter[str] = Counter()
    wins: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    losers: set[str] = set()
    for p in sorted(projects, key=lambda q: (q.eval_end, q.pid)):
        ids = {b.company.id for b in p.bids}
        winner = _winner(p)
        for firm in ids:
            bids[firm] += 1
            wins[firm] += firm == winner
            if firm != winner and bids[firm] >= LOSER_PROJECTS and wins[firm] / bids[firm] <= 0.05:
                losers.add(firm)
        rejected.update(set(p.rejected) & ids)
    out = []
    for firm in sorted(bids):
        if firm in losers:
            note = "planted: bids everywhere, never wins" if firm == loser else "incidental"
            out.append(case("BID-LOSER", "*", [firm], note))
        if bids[firm] >= REJECTEE_PROJECTS and rejected[firm] / bids[firm] >= 0.5:
            note = "planted: rejected in most of its bids" if firm == rejectee else "incidental"
            out.append(case("REJ-RATE", "*", [firm], note))
    return out


def _winner(p: Project) -> str | None:
    """The report's rank-1 bidder (ties: the smallest id), as BID-LOSER reads it."""
    top = sorted(p.report, key=lambda r: (r["rank"], r["bidder_id"]))
    if top:
        return top[0]["bidder_id"]
    return p.ranking[0][0] if p.ranking else None
