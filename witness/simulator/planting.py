"""Which misconduct goes where: a plan of plants per project, and the truth it implies.

A default run must contain every DESIGN §6 rule at least once, so a fixed set of
bundles is dealt to projects first (several rules that naturally travel together per
bundle: colluders who share a shell company's legal representative also pay bonds from
one account); the remaining projects get misconduct at realistic rates, and honest
traps everywhere. Truth subjects follow DESIGN §5.

Honest traps (never in the truth unless DESIGN's condition literally holds):
- two firms in one office building behind one NAT address: REL-40-2-IP's condition holds,
  so the truth lists it (note "honest ..."); REL-40-2 (red) must stay quiet;
- bids uploaded on the same venue terminal (at_venue): same IP and device, exempt;
- every bid copies the tender template; honest own texts are worded independently;
- a minority shareholding (< 50 %) between two bidders; two contacts or project
  managers with the same common name but different phones / certificates;
- experts who score strictly or leniently but within EXP-DEV's limit; an expert who
  left a bidder more than three years ago; a relative who shares a legal
  representative's name but not the id number; an expert who re-opens one file 5-8 times;
- a camera that blinks offline for 15 s, one black or scene-change frame, a visitor for
  25 s, a member out for 4-7 minutes, 50 s of cleaning after hours;
- a bid in the last minute before the deadline, or a modification (修改投标) accepted
  before the deadline;
- three firms that often bid together while outsiders win (the REL-RING look-alike);
- a runner-up 0.3-1 % above the winner, a lowest bid 12-20 % below the next (the
  PRICE-CLOSE / PRICE-DISCOUNT look-alikes, from the ordinary draws);
- tenders published 20-22 days before the deadline (PROC-SHORT's limit is 20);
- every 工程 bidder prices the same quota items: default rates kept, the control bill
  scaled by a round coefficient (two bidders may pick the same), early items front-loaded,
  slips, an honest pair under one trial licence ("试用版" is no lock number);
- one bid rejected in about one project in eight, never the lowest under a price-decides
  method and never all but the winner; a firm that bids in few projects and never wins
  (BID-LOSER needs many tenders).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

#: group kind -> the rule whose condition it creates
GROUP_KINDS: dict[str, str] = {
    "rel34_legal_rep": "REL-34",
    "rel34_control": "REL-34",
    "rel34_chain": "REL-34",
    "machine_code": "REL-40-1",
    "file_creation_id": "REL-40-1",
    "dongle": "REL-40-1",
    "contact_phone": "REL-40-2",
    "contact_email": "REL-40-2",
    "contact_person": "REL-40-2",
    "device": "REL-40-2",
    "ip": "REL-40-2-IP",
    "pm": "REL-40-3",
    "bond": "REL-40-6",
    "doc_copy": "DOC-40-4",
    "doc_mix": "DOC-40-5",
    "doc_meta": "DOC-META",
}
_REL402 = {"contact_phone", "contact_email", "contact_person", "device"}

ALL_RULES = [
    "REL-34",
    "REL-40-1",
    "REL-40-2",
    "REL-40-2-IP",
    "REL-40-3",
    "REL-40-6",
    "REL-RING",
    "DOC-40-4",
    "DOC-40-5",
    "DOC-META",
    "PRICE-40-4",
    "PRICE-SCREEN",
    "PRICE-CLOSE",
    "PRICE-DISCOUNT",
    "BID-LOSER",
    "EXP-AVOID",
    "EXP-COMMITTEE",
    "EXP-DEV",
    "EXP-OBJ",
    "EXP-CLIQUE",
    "EXP-FAVOR",
    "EXP-FAST",
    "EXP-FOCUS",
    "PROC-ORDER",
    "PROC-LATE",
    "PROC-FEW",
    "PROC-CAND",
    "PROC-SHORT",
    "REJ-ALL",
    "REJ-LOW",
    "REJ-RATE",
    "EVAL-TOTAL",
    "EVAL-RANGE",
    "EVAL-ORDER",
    "EVAL-MISSING",
    "BOQ-SAME",
    "BOQ-RATIO",
    "BOQ-ERROR",
    "BOQ-MIX",
    "BOQ-LOCK",
    "BOQ-UNBAL",
    "VID-OFFLINE",
    "VID-TAMPER",
    "VID-ABSENT",
    "VID-INTRUDER",
    "VID-AFTERHOURS",
]


@dataclass
class Spec:
    """What one project carries. Empty = a clean project (traps only)."""

    group: tuple[int, list[str]] | None = None  # (size, kinds)
    price: str | None = None  # regular | geometric | identical | cover | close | discount
    ring: str | None = None  # ring | trio (the honest look-alike)
    ring_id: int = 0  # which ring, when a long run has several
    exp: list[str] = field(default_factory=list)
    vid: list[str] = field(default_factory=list)
    proc: list[str] = field(default_factory=list)
    report: list[str] = field(default_factory=list)  # EVAL-* errors (simulator/report.py)
    boq: list[str] = field(default_factory=list)  # bill plants, set by priced_bills.plan_bills

    def dirty(self) -> bool:
        return bool(
            self.group
            or self.price
            or self.ring == "ring"
            or self.exp
            or self.vid
            or self.proc
            or self.report
            or self.boq
        )


# Bundles that guarantee every rule in a default run (>= 12 projects).
COLLUSION_BUNDLES: list[dict] = [
    {"group": (2, ["rel34_legal_rep", "bond"]), "price": "close"},
    {"group": (3, ["ip", "doc_copy"]), "price": "discount"},
    {"group": (2, ["rel34_chain", "contact_phone", "doc_mix"])},
    {"group": (2, ["pm", "file_creation_id", "doc_meta"])},
    {"group": (2, ["dongle", "device"])},
    {"price": "regular"},
    {"price": "cover"},
]
OTHER_BUNDLES: list[dict] = [
    {"exp": ["avoid_employed", "favor_conflict"]},
    {"vid": ["offline", "intruder"]},
    {"proc": ["order"]},
    {"exp": ["dev", "focus"]},
    {"vid": ["tamper", "absent"]},
    {"proc": ["late"]},
    {"exp": ["clique", "obj"]},
    {"vid": ["afterhours"]},
    {"proc": ["few"]},
    {"exp": ["committee", "fast_click"]},
    {"proc": ["cand"]},
    {"proc": ["short"]},
    {"proc": ["rej_all"]},
    {"proc": ["rej_low"]},
    {"report": ["total", "missing"]},
    {"report": ["range", "order"]},
]
#: Plants added with issues 16-17 (procedure, evaluation report): placed on projects that
#: are dirty already, so a default run keeps most projects clean.
PACKED = {"short", "rej_all", "rej_low", "total", "missing", "range", "order"}
#: Expert plants whose whole-sheet oracles an EVAL sheet edit would disturb.
REPORT_INCOMPATIBLE = {"favor", "favor_conflict", "clique"}
RING_PROJECTS = 5
TRIO_PROJECTS = 4


def _compatible(spec: Spec, bundle: dict) -> bool:
    exp = set(spec.exp) | set(bundle.get("exp", []))
    proc = set(spec.proc) | set(bundle.get("proc", []))
    if (spec.report or bundle.get("report")) and (
        exp & REPORT_INCOMPATIBLE or proc & {"few", "rej_low"}
    ):
        return False  # see simulator/report.py
    if "few" in proc:
        if spec.price or spec.ring or (spec.group and spec.group[0] > 2):
            return False
        if exp & {"favor_conflict", "favor", "clique"} or proc & {"cand", "late"}:
            return False
    if spec.ring and exp & {"favor", "favor_conflict"}:
        return False
    if proc & {"rej_all", "rej_low"} and (
        spec.ring
        or spec.price
        or exp
        or proc & {"few", "cand"}
        or len(proc & {"rej_all", "rej_low"}) > 1
    ):
        return False
    return not (
        "order" in proc
        and "late" in proc
        or spec.price == "regular"
        and (exp & {"favor", "favor_conflict"} or "cand" in proc)
    )


def rings(n: int) -> int:
    """How many bid rings a run of n projects holds (each bids in RING_PROJECTS projects)."""
    return 1 + max(0, (n - 20) // 60)


def deal(n: int, rng: random.Random) -> list[Spec]:
    """Assign the guaranteed bundles, the ring, then extras at realistic rates."""
    specs = [Spec() for _ in range(n)]
    order = list(range(n))
    rng.shuffle(order)
    for k, bundle in enumerate(COLLUSION_BUNDLES):
        s = specs[order[k % n]]
        if "group" in bundle and s.group is None and s.price is None:
            s.group = bundle["group"]
            s.price = bundle.get("price")  # a group may also bid a gap pattern
        elif "price" in bundle and s.price is None and s.group is None:
            s.price = bundle["price"]
    if n >= 5:
        start = len(COLLUSION_BUNDLES) % n if n >= len(COLLUSION_BUNDLES) + RING_PROJECTS else 0
        ring_idx = [order[(start + k) % n] for k in range(RING_PROJECTS)]
        for i in ring_idx:
            if specs[i].price is None:
                specs[i].ring = "ring"
    dirty_first = [i for i in order if specs[i].dirty()] + [
        i for i in order if not specs[i].dirty()
    ]
    for bundle in OTHER_BUNDLES:
        family = next(iter(bundle))
        packed = set(bundle[family]) <= PACKED  # rides on a dirty project, whatever its load
        load = sorted(
            dirty_first,
            key=lambda i: (
                packed and not specs[i].dirty(),
                len(specs[i].exp) + len(specs[i].vid) + len(specs[i].proc),
            ),
        )
        for i in load:  # at most one bundle per family and project; small runs skip the rest
            if not getattr(specs[i], family) and _compatible(specs[i], bundle):
                getattr(specs[i], family).extend(bundle[family])
                break
    for r in range(1, rings(n)):  # long runs: one more ring per 60 projects, on clean projects
        for i in [i for i in order if not specs[i].dirty()][:RING_PROJECTS]:
            specs[i].ring, specs[i].ring_id = "ring", r
    clean = [i for i in order if not specs[i].dirty()]
    if len(clean) >= TRIO_PROJECTS + 2:
        for i in clean[:TRIO_PROJECTS]:
            specs[i].ring = "trio"
    for i in order:
        if not specs[i].dirty() and specs[i].ring is None:
            _extras(specs[i], rng)
    return specs


def _extras(spec: Spec, rng: random.Random) -> None:
    """Misconduct at realistic rates for projects beyond the guaranteed bundles."""
    r = rng.random()
    if r < 0.08:
        kinds = rng.sample(sorted(GROUP_KINDS), rng.randint(1, 3))
        if "ip" in kinds:
            kinds = [k for k in kinds if k not in _REL402]
        size = 3 if rng.random() < 0.3 else 2
        spec.group = (size, sorted(kinds))
    elif r < 0.095:
        spec.price = rng.choice(["regular", "geometric", "identical"])
    elif r < 0.11:
        spec.price = "cover"
    for kind, rate in [
        ("avoid_employed", 0.006),
        ("avoid_past", 0.005),
        ("avoid_kin", 0.005),
        ("dev", 0.02),
        ("obj", 0.012),
        ("clique", 0.006),
        ("favor", 0.01),
        ("fast_click", 0.01),
        ("fast_finish", 0.005),
        ("focus", 0.012),
        ("committee", 0.006),
    ]:
        if rng.random() < rate:
            spec.exp.append(kind)
    if "fast_finish" in spec.exp:
        spec.exp = [k for k in spec.exp if k != "fast_click"]
    for kind, rate in [
        ("offline", 0.02),
        ("tamper", 0.015),
        ("absent", 0.01),
        ("intruder", 0.01),
        ("afterhours", 0.008),
    ]:
        if rng.random() < rate:
            spec.vid.append(kind)
    if "fast_finish" in spec.exp:
        spec.vid = [v for v in spec.vid if v != "absent"]
    for kind, rate in [("order", 0.01), ("late", 0.01), ("few", 0.015), ("cand", 0.01)]:
        if rng.random() < rate and _compatible(spec, {"proc": [kind]}):
            spec.proc.append(kind)
    if {"favor", "clique"} & set(spec.exp) and "few" in spec.proc:
        spec.proc.remove("few")
