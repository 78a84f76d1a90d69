"""Orchestration: plan every project up front, then stream its events in time order.

Planning decides everything the truth depends on (who bids, prices, fingerprints,
committees, score sheets, schedules, camera anomalies) using one seeded generator per
project, so the truth is known before the first event is written. Rendering (document
text, envelopes, frames) happens lazily while streaming; `heapq.merge` interleaves the
projects, the registry and the cameras by (time, stream, sequence), which makes the
output byte-identical for the same seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from operator import itemgetter
from typing import Any

from witness.events import canonical_json
from witness.simulator import documents, experts, names, oracle
from witness.simulator.companies import Company, hexid, new_company, public_ip, registry_facts
from witness.simulator.identity import make_id_no
from witness.simulator.planting import ALL_RULES, GROUP_KINDS, Spec, deal, rings
from witness.simulator.video import RoomWindow, Window, frame_json, frame_payload, frames

TZ = timezone(timedelta(hours=8))
BASE = datetime(2026, 9, 1, tzinfo=TZ)  # a Tuesday
DAY = 86_400
OPENING_ROOMS = {f"KB-10{k}": [f"KB-10{k}-C{c}" for c in (1, 2)] for k in (1, 2, 3)}
EVAL_ROOMS = {f"PB-20{k}": [f"PB-20{k}-C{c}" for c in range(1, 3 + k % 2)] for k in range(1, 7)}
VENUE_IP = "218.94.136.18"
CATEGORIES = ["工程", "工程", "工程", "货物", "服务"]


_DAYS: dict[int, str] = {}


def iso(t: int) -> str:
    """ISO-8601 with +08:00 for a simulated second (fast: one date format per day)."""
    day, sec = divmod(t, DAY)
    date = _DAYS.get(day)
    if date is None:
        date = _DAYS[day] = (BASE + timedelta(days=day)).date().isoformat()
    h, rem = divmod(sec, 3600)
    return f"{date}T{h:02d}:{rem // 60:02d}:{rem % 60:02d}+08:00"


def _weekday(day: int) -> int:
    return (BASE.weekday() + day) % 7


@dataclass
class Bid:
    company: Company
    price: float
    quality: float
    at: int  # event time
    submitted_at: int
    submission: dict[str, Any]
    bond: dict[str, Any]
    pm: dict[str, str]
    contact: dict[str, str]
    docs: dict[str, Any] = field(default_factory=dict)  # how to render its documents


@dataclass
class Project:
    idx: int
    pid: str
    spec: Spec
    category: str
    name: str
    short: str
    tenderer: str
    ceiling: float
    registered: int
    deadline: int
    opening_room: str
    eval_room: str
    opening_start: int = 0
    opening_end: int = 0
    eval_start: int = 0
    eval_end: int = 0
    planned_minutes: int = 120
    archived: int = 0
    bids: list[Bid] = field(default_factory=list)
    committee: list[experts.ExpertPlan] = field(default_factory=list)
    scores: oracle.Scores = field(default_factory=dict)
    ranking: list[tuple[str, float]] = field(default_factory=list)
    candidates: int = 3
    assigned_at: int = 0
    early_score: tuple[str, str, str] | None = None
    activity: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    windows: list[RoomWindow] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)


class Scheduler:
    """Rooms are the centre's, shared by projects: no two sessions overlap in a room."""

    def __init__(self) -> None:
        self.busy: dict[str, list[tuple[int, int]]] = {}

    def free(self, room: str, t0: int, t1: int) -> bool:
        return all(t1 <= a or t0 >= b for a, b in self.busy.get(room, []))

    def take(self, room: str, t0: int, t1: int) -> None:
        self.busy.setdefault(room, []).append((t0, t1))


class Simulation:
    """`Simulation(projects, seed)`: `.truth` (list of cases) and `.events()` (time-ordered dicts)."""

    def __init__(self, projects: int = 20, seed: int = 7, *, frame_interval: int = 10) -> None:
        if projects < 1:
            raise ValueError("projects must be >= 1")
        self.n = projects
        self.seed = seed
        self.frame_interval = frame_interval
        self.rng = random.Random(f"witness-sim:{seed}")
        self.uniq = names.Unique()
        self.companies: list[Company] = []  # every firm that appears, in creation order
        self.projects: list[Project] = []
        self.truth: list[dict[str, Any]] = []
        self._plan()

    # ------------------------------------------------------------------ planning

    def _company(self, rng: random.Random, category: str, **kw: Any) -> Company:
        c = new_company(rng, self.uniq, category, **kw)
        self.companies.append(c)
        return c

    def _plan(self) -> None:
        rng = self.rng
        specs = deal(self.n, rng)
        pool = {
            cat: [self._company(rng, cat) for _ in range(10 + (2 * self.n) // len(set(CATEGORIES)))]
            for cat in ("工程", "货物", "服务")
        }
        self.rings = [[self._company(rng, "工程") for _ in range(3)] for _ in range(rings(self.n))]
        for ring in self.rings:
            for c in ring:
                c.performance = 5
        self.ring = self.rings[0]
        self.trio = [self._company(rng, "工程") for _ in range(3)]
        old = [c.id for cs in pool.values() for c in cs]
        self.expert_pool = {
            cat: experts.expert_pool(rng, self.uniq, max(24, self.n), cat, old, BASE.year)
            for cat in ("工程", "货物", "服务")
        }
        self.sched = Scheduler()
        ring_seen = [0] * len(self.rings)
        for idx, spec in enumerate(specs):
            prng = random.Random(f"witness-sim:{self.seed}:project:{idx}")
            category = "工程" if spec.ring else prng.choice(CATEGORIES)
            p = self._project(idx, spec, category, prng, self.sched)
            winner = None
            if spec.ring == "ring":
                ring = self.rings[spec.ring_id]
                winner = ring[ring_seen[spec.ring_id] % 3]
                ring_seen[spec.ring_id] += 1
            self._bidders(p, prng, pool[category], winner)
            self._committee(p, prng)
            self._sessions(p, prng)
            self._video(p, prng)
            self.projects.append(p)
            self.truth.extend(p.truth)
        self._ring_truth()
        self.truth.sort(key=lambda c: (c["project_id"], c["rule"], c["subjects"]))

    def _project(
        self, idx: int, spec: Spec, category: str, rng: random.Random, sched: Scheduler
    ) -> Project:
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
        day = reg_day + 20
        while True:
            if _weekday(day) < 5:
                for slot in rng.sample(
                    [9 * 3600, 9 * 3600 + 1800, 10 * 3600, 14 * 3600, 14 * 3600 + 1800], 5
                ):
                    t = day * DAY + slot
                    for room in OPENING_ROOMS:
                        if sched.free(room, t - 1800, t + 5400):
                            sched.take(room, t - 1800, t + 5400)
                            return Project(
                                idx,
                                f"JY-2026-{idx + 1:04d}",
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
                            )
            day += 1

    # ---------------------------------------------------------------- bidders

    def _bidders(
        self, p: Project, rng: random.Random, pool: list[Company], winner: Company | None
    ) -> None:
        spec = p.spec
        n = rng.choices([3, 4, 5, 6, 7, 8], weights=[10, 20, 25, 20, 15, 10])[0]
        if spec.price == "regular" or spec.price == "geometric":
            n = 3
        elif (
            spec.price in ("cover", "identical")
            or {"favor", "favor_conflict"} & set(spec.exp)
            or "cand" in spec.proc
        ):
            n = max(n, 5)
        if spec.ring:
            n = max(n, 4)
        if "few" in spec.proc:
            n = 2
        firms: list[Company] = []
        group: list[Company] = []
        if spec.group:
            group = [self._company(rng, p.category) for _ in range(spec.group[0])]
            firms += group
        if spec.ring == "ring":
            firms += self.rings[spec.ring_id]
        elif spec.ring == "trio":
            firms += self.trio
        traps: list[str] = []
        if len(firms) + 2 <= n and rng.random() < 0.12:
            b = names.street_building(rng)
            div = names.division(rng)
            ip = self.uniq.draw(lambda: public_ip(rng))
            nat = [
                self._company(rng, p.category, division=div, building=b, ip=ip) for _ in range(2)
            ]
            firms += nat
            p.truth.append(
                _case(
                    "REL-40-2-IP",
                    p.pid,
                    [c.id for c in nat],
                    "honest firms behind one office NAT: the IP screen's condition holds",
                )
            )
        if len(firms) + 2 <= n and rng.random() < 0.05:
            a, b = self._company(rng, p.category), self._company(rng, p.category)
            share = round(rng.uniform(0.1, 0.3), 2)
            b.shareholders[0]["share"] = round(b.shareholders[0]["share"] - share, 2)
            if b.shareholders[0]["share"] < 0:
                b.shareholders[0]["share"] = 0.0
            b.shareholders.append({"id": a.id, "name": a.name, "share": share})
            firms += [a, b]
            traps.append("minority_stake")
        others = [c for c in pool if c not in firms]
        firms += rng.sample(others, max(0, n - len(firms)))
        rng.shuffle(firms)
        p.bids = [self._bid(p, rng, c) for c in firms]
        self._plant_group(p, rng, group)
        self._prices(p, rng, winner)
        self._fingerprint_traps(p, rng)

    def _bid(self, p: Project, rng: random.Random, c: Company) -> Bid:
        window = p.deadline - p.registered - 6 * DAY
        at = p.registered + 5 * DAY + int(window * rng.random() ** 0.5)
        at = min(at, p.deadline - 600)
        pm = rng.choice(c.managers)
        return Bid(
            company=c,
            price=0.0,
            quality=rng.uniform(0.55, 0.9),
            at=at,
            submitted_at=at,
            submission={
                "ip": c.ip,
                "mac": c.device.mac,
                "cpu_id": c.device.cpu_id,
                "disk_id": c.device.disk_id,
                "dongle_id": c.dongle_id,
                "machine_code": c.machine_code,
                "file_creation_id": self.uniq.draw(lambda: hexid(rng, 32)),
                "at_venue": False,
            },
            bond={"payer_account": c.bank_account, "payer_name": c.name, "bank": c.bank},
            pm=dict(pm),
            contact=dict(c.contact),
            docs={
                "author": None,
                "rsid": None,
                "xmp": None,
                "copy_from": None,
                "errors": [],
                "mix": None,
            },
        )

    def _plant_group(self, p: Project, rng: random.Random, group: list[Company]) -> None:
        if not group:
            return
        size, kinds = p.spec.group
        bids = {b.company.id: b for b in p.bids}
        a = bids[group[0].id]
        members = [bids[c.id] for c in group]
        rules: dict[str, list[str]] = {}
        for kind in kinds:
            rule = GROUP_KINDS[kind]
            involved = (
                members if not kind.startswith("rel34") and kind != "doc_mix" else members[:2]
            )
            rules.setdefault(rule, [])
            rules[rule] = sorted(set(rules[rule]) | {b.company.id for b in involved})
            for b in involved[1:]:
                self._share(kind, a, b, rng)
        if "doc_meta" in kinds:
            mode = rng.choice(["author", "rsid", "xmp", "all"])
            author = names.person_name(rng) if mode in ("author", "all") else None
            rsid = hexid(rng, 8) if mode in ("rsid", "all") else None
            xmp = "xmp.did:" + hexid(rng, 32).lower() if mode in ("xmp", "all") else None
            for b in members:
                b.docs.update(author=author, rsid=rsid, xmp=xmp)
        if "doc_copy" in kinds:
            errs = rng.sample(documents.RARE_ERRORS, rng.randint(3, 4))
            a.docs["errors"] = errs
            for b in members[1:]:
                b.docs["copy_from"] = a.company
        for rule, subjects in sorted(rules.items()):
            p.truth.append(
                _case(
                    rule,
                    p.pid,
                    subjects,
                    "planted: " + ", ".join(k for k in kinds if GROUP_KINDS[k] == rule),
                )
            )

    def _share(self, kind: str, a: Bid, b: Bid, rng: random.Random) -> None:
        """Make bid b share `kind` with bid a."""
        s_a, s_b = a.submission, b.submission
        if kind == "machine_code":
            s_b["machine_code"] = s_a["machine_code"]
        elif kind == "file_creation_id":
            s_b["file_creation_id"] = s_a["file_creation_id"]
        elif kind == "dongle":
            s_b["dongle_id"] = s_a["dongle_id"]
        elif kind == "device":
            for f in ("mac", "cpu_id", "disk_id"):
                s_b[f] = s_a[f]
            s_b["ip"] = self.uniq.draw(lambda: public_ip(rng))  # carried elsewhere: a 4G hotspot
        elif kind == "contact_phone":
            b.contact["phone"] = a.contact["phone"]
        elif kind == "contact_email":
            b.contact["email"] = a.contact["email"]
        elif kind == "contact_person":
            b.contact = dict(a.contact)
        elif kind == "ip":
            s_b["ip"] = s_a["ip"]
        elif kind == "pm":
            b.pm = dict(a.pm)
        elif kind == "bond":
            acct = a.company.bank_account
            b.bond = {
                "payer_account": " ".join(acct[i : i + 4] for i in range(0, len(acct), 4)),
                "payer_name": a.company.name,
                "bank": a.company.bank,
            }
        elif kind == "rel34_legal_rep":
            b.company.legal_rep = dict(a.company.legal_rep)
            b.company.directors[0] = dict(a.company.legal_rep)
        elif kind == "rel34_control":
            share = round(rng.uniform(0.55, 0.8), 2)
            rest = round(1 - share, 2)
            b.company.shareholders = [
                {"id": a.company.id, "name": a.company.name, "share": share},
                {**b.company.shareholders[0], "share": rest},
            ]
        elif kind == "rel34_chain":
            holding = self._company(rng, "服务")
            holding.name = (
                holding.name[:2] + "".join(rng.sample(names.BRAND_CHARS, 2)) + "投资控股有限公司"
            )
            s1, s2 = round(rng.uniform(0.6, 0.9), 2), round(rng.uniform(0.51, 0.7), 2)
            holding.shareholders = [
                {"id": a.company.id, "name": a.company.name, "share": s1},
                {**holding.shareholders[0], "share": round(1 - s1, 2)},
            ]
            b.company.shareholders = [
                {"id": holding.id, "name": holding.name, "share": s2},
                {**b.company.shareholders[0], "share": round(1 - s2, 2)},
            ]
        elif kind == "doc_mix":
            b.docs["mix"] = a.company

    def _prices(self, p: Project, rng: random.Random, winner: Company | None) -> None:
        c = p.ceiling
        kind = p.spec.price
        for _ in range(500):
            for b in p.bids:
                b.price = round(c * rng.uniform(0.80, 0.99), 2)
            if winner is not None or p.spec.ring == "trio":
                champ = next((b for b in p.bids if b.company is winner), None)
                if champ is None:  # trio: an outsider wins
                    champ = next(b for b in p.bids if b.company not in self.trio)
                for b in p.bids:
                    b.quality = 0.97 if b is champ else rng.uniform(0.55, 0.7)
                    if b is not champ:
                        b.price = round(c * rng.uniform(0.84, 0.99), 2)
                champ.price = round(c * rng.uniform(0.80, 0.88), 2)
            prices = [b.price for b in p.bids]
            if kind == "regular" or kind == "geometric":
                p1 = c * rng.uniform(0.74, 0.78)
                step = rng.uniform(0.105, 0.12)
                seq = (
                    [p1 + k * step * p1 * (1 + rng.uniform(-0.001, 0.001)) for k in range(3)]
                    if kind == "regular"
                    else [
                        p1 * (1 + step) ** k * (1 + rng.uniform(-0.0002, 0.0002)) for k in range(3)
                    ]
                )
                for b, v in zip(p.bids, seq, strict=True):
                    b.price = round(v, 2)
                prices = [b.price for b in p.bids]
                ok = oracle.price_regular(prices) and not oracle.identical_prices(
                    {b.company.id: b.price for b in p.bids}
                )
            elif kind == "identical":
                p.bids[1].price = p.bids[0].price
                prices = [b.price for b in p.bids]
                ok = not oracle.price_regular(prices, 0.05) and not oracle.price_screen(
                    prices, 0.04
                )
                ok = (
                    ok
                    and len(oracle.identical_prices({b.company.id: b.price for b in p.bids})) == 1
                )
            elif kind == "cover":
                level = rng.uniform(0.94, 0.97)
                for k, b in enumerate(p.bids):
                    b.price = round(
                        c
                        * (
                            rng.uniform(0.84, 0.88)
                            if k == 0
                            else level * (1 + rng.uniform(-0.006, 0.006))
                        ),
                        2,
                    )
                    b.quality = 0.93 if k == 0 else rng.uniform(0.55, 0.75)
                prices = [b.price for b in p.bids]
                ok = (
                    oracle.price_screen(prices)
                    and not oracle.price_regular(prices, 0.05)
                    and not oracle.identical_prices({b.company.id: b.price for b in p.bids})
                )
            else:
                ok = (
                    not oracle.price_regular(prices, 0.05)
                    and not oracle.price_screen(prices, 0.04)
                    and not oracle.identical_prices({b.company.id: b.price for b in p.bids})
                )
            if ok:
                break
        ids = sorted(b.company.id for b in p.bids)
        if kind in ("regular", "geometric"):
            p.truth.append(_case("PRICE-40-4", p.pid, ids, f"planted: {kind} price steps"))
        elif kind == "identical":
            p.truth.append(
                _case(
                    "PRICE-40-4",
                    p.pid,
                    oracle.identical_prices({b.company.id: b.price for b in p.bids})[0],
                    "planted: identical prices",
                )
            )
        elif kind == "cover":
            p.truth.append(
                _case("PRICE-SCREEN", p.pid, ids, "planted: cover bids clustered above the winner")
            )

    def _fingerprint_traps(self, p: Project, rng: random.Random) -> None:
        planted = {b.company.id for c in p.truth for b in p.bids if b.company.id in c["subjects"]}
        honest = [b for b in p.bids if b.company.id not in planted]
        if (
            len(honest) >= 2 and rng.random() < 0.12
        ):  # two honest bids uploaded on one venue terminal
            terminal = (
                f"00-1B-21-{hexid(rng, 2)}-{hexid(rng, 2)}-0{rng.randint(1, 3)}",
                "BFEBFBFF000906EAVENUE",
                f"VENUE-SSD-{rng.randint(1, 3)}",
            )
            for b in rng.sample(honest, 2):
                b.submission.update(
                    ip=VENUE_IP,
                    mac=terminal[0],
                    cpu_id=terminal[1],
                    disk_id=terminal[2],
                    at_venue=True,
                )
        for b in honest:
            if not b.submission["at_venue"] and rng.random() < 0.05:  # a lone venue upload
                b.submission.update(
                    ip=VENUE_IP,
                    mac="00-1B-21-00-00-09",
                    cpu_id="BFEBFBFF000906EAVENUE",
                    disk_id="VENUE-SSD-9",
                    at_venue=True,
                )
                break
        if len(honest) >= 2 and rng.random() < 0.04:  # two different people named 王伟
            name = rng.choice(names.COMMON_NAMES)
            for b in rng.sample(honest, 2):
                b.contact["name"] = name
        if len(honest) >= 2 and rng.random() < 0.04:
            name = rng.choice(names.COMMON_NAMES)
            for b in rng.sample(honest, 2):
                b.pm["name"] = name
        if honest and rng.random() < 0.2:
            b = rng.choice(honest)  # last-minute, still in time
            b.at = b.submitted_at = p.deadline - rng.randint(20, 90)
        if honest and rng.random() < 0.05 and "order" not in p.spec.proc:
            b = rng.choice(honest)  # platform delivered late, submitted in time
            b.submitted_at = p.deadline - rng.randint(5, 30)
            b.at = p.deadline + rng.randint(5, 40)

    # ---------------------------------------------------------------- committee and scores

    def _committee(self, p: Project, rng: random.Random) -> None:
        spec = p.spec
        size = rng.choices([5, 7], weights=[7, 3])[0]
        reps = rng.choice([0, 1]) if size == 5 else rng.choice([0, 1, 2])
        if "committee" in spec.exp:
            size, reps = rng.choice([(4, 0), (5, 2), (6, 1), (3, 0)])
        pool = self.expert_pool[p.category]
        chosen = [
            experts.ExpertPlan(
                {
                    **e.record,
                    "past_employers": list(e.record["past_employers"]),
                    "relatives": list(e.record["relatives"]),
                },
                e.bias,
            )
            for e in rng.sample(pool, size - reps)
        ]
        for k in range(reps):
            chosen.append(
                experts.ExpertPlan(
                    {
                        "id": f"ZBR{p.idx + 1:04d}{k + 1}",
                        "name": names.person_name(rng),
                        "employer": None,
                        "employer_name": p.tenderer,
                        "past_employers": [],
                        "relatives": [],
                        "specialty": "招标人代表",
                        "role": "tenderer_rep",
                    },
                    rng.choice([-0.3, 0.0, 0.4]),
                )
            )
        rng.shuffle(chosen)
        p.committee = chosen
        bidder_ids = {b.company.id for b in p.bids}
        for e in chosen:  # an honest pool expert may have left a bidder years ago: no conflict
            e.record["past_employers"] = [
                x
                for x in e.record["past_employers"]
                if x["id"] not in bidder_ids or int(x["until"][:4]) <= BASE.year - 5
            ]
        if "committee" in spec.exp:
            p.truth.append(
                _case(
                    "EXP-COMMITTEE",
                    p.pid,
                    [e.id for e in chosen],
                    f"planted: {size} members, {reps} tenderer reps",
                )
            )
        self._conflicts(p, rng)
        self._scores(p, rng)

    def _conflicts(self, p: Project, rng: random.Random) -> None:
        spec = p.spec
        pool_experts = [e for e in p.committee if e.record["role"] == "expert"]
        kinds = [k for k in spec.exp if k.startswith("avoid")]
        self.favored: tuple[str, str] | None = None
        for kind in kinds:
            e = rng.choice(pool_experts)
            b = rng.choice(p.bids).company
            if kind == "avoid_employed":
                e.record["employer"] = b.id
                e.record["employer_name"] = b.name
            elif kind == "avoid_past":
                e.record["past_employers"].append(
                    {"id": b.id, "until": f"{BASE.year - rng.randint(1, 2)}-12-31"}
                )
            elif kind == "avoid_kin":
                e.record["relatives"].append(
                    {
                        "name": b.legal_rep["name"],
                        "id_no": b.legal_rep["id_no"],
                        "relation": rng.choice(["配偶", "兄弟姐妹", "子女"]),
                    }
                )
            p.truth.append(_case("EXP-AVOID", p.pid, [e.id, b.id], f"planted: {kind}"))
            pool_experts.remove(e)
            if "favor_conflict" in spec.exp and self.favored is None:
                self.favored = (e.id, b.id)
        if rng.random() < 0.04 and pool_experts:  # trap: same name as a legal rep, another person
            e = rng.choice(pool_experts)
            b = rng.choice(p.bids).company
            e.record["relatives"].append(
                {
                    "name": b.legal_rep["name"],
                    "id_no": make_other_id(rng, b.legal_rep["id_no"]),
                    "relation": "兄弟姐妹",
                }
            )
        if rng.random() < 0.04 and pool_experts:  # trap: left a bidder more than three years ago
            e = rng.choice(pool_experts)
            e.record["past_employers"].append(
                {
                    "id": rng.choice(p.bids).company.id,
                    "until": f"{BASE.year - rng.randint(4, 8)}-03-31",
                }
            )

    def _scores(self, p: Project, rng: random.Random) -> None:
        spec = p.spec
        ids = [e.id for e in p.committee]
        pool_ids = [e.id for e in p.committee if e.record["role"] == "expert"]
        plan_rng = random.Random(rng.random())
        dev_e = obj_e = None
        clique: list[str] = []
        if "clique" in spec.exp:
            clique = plan_rng.sample(
                [i for i in ids if not self.favored or i != self.favored[0]], 3
            )
        free = [
            i for i in pool_ids if i not in clique and (not self.favored or i != self.favored[0])
        ]
        if "dev" in spec.exp and free:
            dev_e = plan_rng.choice(free)
            free.remove(dev_e)
        if "obj" in spec.exp and free:
            obj_e = plan_rng.choice(free)
            free.remove(obj_e)
        favor_e = (
            self.favored[0]
            if self.favored
            else (plan_rng.choice(free) if "favor" in spec.exp and free else None)
        )
        scores: oracle.Scores = {}
        ok = False
        for attempt in range(400):
            quality = {
                b.company.id: b.quality if attempt < 200 else rng.uniform(0.55, 0.9) for b in p.bids
            }
            if spec.ring:
                quality = {b.company.id: b.quality for b in p.bids}
            objective = experts.objective_scores(
                {b.company.id: b.price for b in p.bids},
                {b.company.id: b.company.performance for b in p.bids},
                {b.company.id: (5.0 if rng.random() < 0.85 else 4.0) for b in p.bids},
            )
            target = None
            if favor_e is not None:
                # the favoured bidder sits third by quality, close behind the top two
                order = sorted(quality, key=lambda k: (-quality[k], k))
                target = self.favored[1] if self.favored else order[2]
                rest = [k for k in order if k != target]
                q = min(0.82, quality[rest[0]])
                quality[target] = q
                quality[rest[0]] = q + rng.uniform(0.03, 0.05)
                quality[rest[1]] = q + rng.uniform(0.01, 0.025)
                for k in rest[2:]:
                    quality[k] = min(quality[k], q - rng.uniform(0.04, 0.2))
            scores = experts.honest_sheet(rng, p.committee, quality, objective)
            planted_dev = planted_obj = None
            favored = None
            if favor_e is not None:
                favored = target
                experts.plant_favor(scores, favor_e, favored)
            if dev_e is not None:
                b = rng.choice(sorted(quality))
                planted_dev = (dev_e, b, rng.choice(sorted(experts.SUBJECTIVE)))
                experts.plant_dev(scores, *planted_dev)
            if obj_e is not None:
                planted_obj = (obj_e, rng.choice(sorted(quality)))
                experts.plant_obj(scores, *planted_obj)
            if clique:
                experts.plant_clique(scores, clique[0], clique[1:])
            dev_found = oracle.exp_dev(scores, experts.SUBJECTIVE)
            dev_margin = oracle.exp_dev(scores, experts.SUBJECTIVE, margin=0.4)
            obj_found = oracle.exp_obj(scores, experts.OBJECTIVE)
            cliques = oracle.exp_clique(scores, experts.SUBJECTIVE)
            fav_planted = oracle.exp_favor(scores)
            fav_honest = oracle.exp_favor(scores, honest=True)
            ok = (
                ({planted_dev} if planted_dev else set()) == dev_found == dev_margin
                and obj_found == ({obj_e} if obj_e else set())
                and all(set(g) <= set(clique) for g in cliques)
                and (not clique or sorted(clique) in cliques)
                and (favored is None or (favor_e, favored) in fav_planted)
                and fav_honest <= ({(favor_e, favored)} if favored else set())
            )
            if ok:
                break
        if not ok:  # keep the last draw, but tell the truth about it
            dev_found = oracle.exp_dev(scores, experts.SUBJECTIVE)
            planted_dev = None
        p.scores = scores
        for e in sorted({e for e, _, _ in dev_found}):
            p.truth.append(
                _case(
                    "EXP-DEV",
                    p.pid,
                    [e],
                    "planted: one subjective score far from the others" if ok else "incidental",
                )
            )
        # Truth says only what the DESIGN oracle confirms on the final draw.
        if obj_e and obj_e in obj_found:
            p.truth.append(_case("EXP-OBJ", p.pid, [obj_e], "planted: different objective score"))
        if clique and sorted(clique) in cliques:
            p.truth.append(
                _case("EXP-CLIQUE", p.pid, sorted(clique), "planted: three identical score sheets")
            )
        if favor_e is not None and favored is not None and (favor_e, favored) in fav_planted:
            p.truth.append(
                _case(
                    "EXP-FAVOR",
                    p.pid,
                    [favor_e, favored],
                    "planted: one bidder pushed up within the deviation limit",
                )
            )
        p.ranking = experts.ranking(scores)
        p.candidates = min(len(p.bids), rng.choice([4, 5]) if "cand" in spec.proc else 3)
        if "cand" in spec.proc:
            p.truth.append(
                _case("PROC-CAND", p.pid, [], f"planted: {p.candidates} ranked candidates")
            )

    # ---------------------------------------------------------------- schedule

    def _sessions(self, p: Project, rng: random.Random) -> None:
        spec = p.spec
        n = len(p.bids)
        variant = rng.choice(["early_opening", "early_score"]) if "order" in spec.proc else None
        p.opening_start = p.deadline + rng.randint(60, 180)
        if "late" in spec.proc:
            late = rng.choice(
                [b for b in p.bids if not any(b.company.id in c["subjects"] for c in p.truth)]
                or p.bids
            )
            late.at = late.submitted_at = p.deadline + rng.randint(90, 300)
            p.opening_start = p.deadline + rng.randint(480, 600)
            p.truth.append(
                _case(
                    "PROC-LATE",
                    p.pid,
                    [late.company.id],
                    "planted: bid accepted after the deadline",
                )
            )
        if variant == "early_opening":
            p.opening_start = p.deadline - rng.randint(900, 1500)
            for b in p.bids:
                b.at = b.submitted_at = min(b.at, p.opening_start - rng.randint(600, 3600))
        if "few" in spec.proc:
            p.truth.append(_case("PROC-FEW", p.pid, [], "planted: opening with 2 bids"))
        p.opening_end = p.opening_start + 300 + n * 90 + 300
        fast = "fast_finish" in spec.exp
        p.planned_minutes = rng.choice([90, 120, 150])
        dur = int(
            p.planned_minutes * 60 * (rng.uniform(0.3, 0.4) if fast else rng.uniform(0.8, 0.95))
        )
        start = p.opening_end + rng.randint(1800, 3000)
        while True:
            rooms = [r for r in EVAL_ROOMS if self.sched.free(r, start - 1800, start + dur + 5400)]
            if rooms:
                p.eval_room = rooms[0]
                self.sched.take(p.eval_room, start - 1800, start + dur + 5400)
                break
            start += 1800
        p.eval_start, p.eval_end = start, start + dur
        p.assigned_at = p.eval_start - 1500
        if variant == "early_score":
            p.assigned_at = p.opening_start - 2400
        p.archived = (p.eval_end // DAY + 3) * DAY + 10 * 3600 + rng.randint(0, 3600)
        if fast:
            p.truth.append(
                _case(
                    "EXP-FAST",
                    p.pid,
                    [e.id for e in p.committee],
                    "planted: scoring finished far faster than planned",
                )
            )
        if variant:
            p.truth.append(_case("PROC-ORDER", p.pid, [], f"planted: {variant}"))
        self._activity(p, rng, variant == "early_score")

    def _activity(self, p: Project, rng: random.Random, early_score: bool) -> None:
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
        acts: list[tuple[int, str, dict[str, Any]]] = []
        early = None
        if early_score:
            e = p.committee[0].id
            b = bidders[0]
            early = (e, b, "tech_plan")
            p.early_score = early
            t = p.opening_start - 600
            acts.append((t, "score.submitted", self._score_payload(p, *early)))
        for e in p.committee:
            steps: list[tuple[str, dict[str, Any]]] = []
            order = list(bidders)
            rng.shuffle(order)
            for b in order:
                for _ in range(1 if focus and focus[0] == e.id else rng.randint(1, 2)):
                    steps.append(
                        (
                            "expert.activity",
                            {"expert_id": e.id, "action": "open_file", "bidder_id": b},
                        )
                    )
                    steps.append(
                        (
                            "expert.activity",
                            {"expert_id": e.id, "action": "page_view", "bidder_id": b},
                        )
                    )
                for item, _, _ in experts.ITEMS:
                    if early and (e.id, b, item) == early:
                        continue
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
                    acts.extend(self._score_click(p, e.id, ts, payload))
                else:
                    acts.append((ts, kind, payload))
            if burst is not None:
                k = 0
                for kind, payload in steps:
                    if kind == "score":
                        ts = burst + k
                        acts.extend(self._score_click(p, e.id, ts, payload))
                        k += 1
        acts.sort(key=lambda a: a[0])
        p.activity = acts
        if click_e:
            p.truth.append(_case("EXP-FAST", p.pid, [click_e], "planted: click-through scoring"))
        if focus:
            p.truth.append(
                _case(
                    "EXP-FOCUS",
                    p.pid,
                    list(focus),
                    "planted: one bidder's file opened over and over",
                )
            )

    def _score_click(self, p, expert_id: str, ts: int, payload: dict) -> list[tuple]:
        """A score as the platform logs it: the click, then the submitted score."""
        bidder = payload["bidder_id"]
        return [
            (
                ts,
                "expert.activity",
                {"expert_id": expert_id, "action": "score_click", "bidder_id": bidder},
            ),
            (ts, "score.submitted", self._score_payload(p, expert_id, bidder, payload["item_id"])),
        ]

    def _score_payload(self, p: Project, e: str, b: str, item: str) -> dict[str, Any]:
        kind = "objective" if item in experts.OBJECTIVE else "subjective"
        return {
            "expert_id": e,
            "bidder_id": b,
            "item_id": item,
            "kind": kind,
            "score": p.scores[(e, b, item)],
            "max_score": experts.MAX[item],
        }

    # ---------------------------------------------------------------- video

    def _video(self, p: Project, rng: random.Random) -> None:
        spec = p.spec
        ocams, ecams = OPENING_ROOMS[p.opening_room], EVAL_ROOMS[p.eval_room]
        opening = RoomWindow(
            p.opening_room,
            ocams,
            p.opening_start,
            p.opening_end,
            4 + len(p.bids),
            False,
            motion=(0.01, 0.06),
        )
        roster = len(p.committee)
        ev = RoomWindow(p.eval_room, ecams, p.eval_start, p.eval_end, roster, True)
        dur = p.eval_end - p.eval_start
        at = lambda f: p.eval_start + int(dur * f)  # noqa: E731
        room_all = [p.eval_room, *ecams]
        for kind in spec.vid:
            cam = rng.choice(ecams)
            if kind == "offline":
                t0 = at(rng.uniform(0.45, 0.6))
                ev.windows.append(
                    Window(rng.choice(["offline", "silent"]), t0, t0 + rng.randint(150, 300), cam)
                )
                p.truth.append(
                    _case(
                        "VID-OFFLINE", p.pid, [p.eval_room, cam], "planted: camera dark for minutes"
                    )
                )
            elif kind == "tamper":
                t0 = at(rng.uniform(0.62, 0.7))
                mode = rng.choice(["black", "blur", "frozen", "covered"])
                ev.windows.append(Window("tamper", t0, t0 + rng.randint(90, 180), cam, mode))
                p.truth.append(
                    _case("VID-TAMPER", p.pid, [p.eval_room, cam], f"planted: {mode} picture")
                )
            elif kind == "absent":
                t0 = at(rng.uniform(0.15, 0.3))
                ev.windows.append(
                    Window(
                        "persons",
                        t0,
                        t0 + rng.randint(840, 1080),
                        None,
                        delta=-rng.choice([1, 1, 2]),
                    )
                )
                p.truth.append(
                    _case(
                        "VID-ABSENT", p.pid, room_all, "planted: member(s) away for over 10 minutes"
                    )
                )
            elif kind == "intruder":
                t0 = at(rng.uniform(0.75, 0.8))
                ev.windows.append(Window("persons", t0, t0 + rng.randint(150, 300), None, delta=1))
                p.truth.append(
                    _case("VID-INTRUDER", p.pid, room_all, "planted: an extra person for minutes")
                )
        windows = [opening, ev]
        if "afterhours" in spec.vid:
            t0 = p.eval_end + 1200
            windows.append(
                RoomWindow(
                    p.eval_room,
                    ecams,
                    t0,
                    t0 + rng.randint(360, 480),
                    rng.choice([1, 2]),
                    False,
                    motion=(0.06, 0.3),
                    status_events=False,
                )
            )
            p.truth.append(
                _case(
                    "VID-AFTERHOURS",
                    p.pid,
                    room_all,
                    "planted: people moving in the room after evaluation",
                )
            )
        # honest traps
        if rng.random() < 0.2:
            t0 = at(rng.uniform(0.05, 0.1))
            ev.windows.append(Window("offline", t0, t0 + 15, rng.choice(ecams)))  # blinks once
        if rng.random() < 0.15:
            t0 = at(rng.uniform(0.1, 0.14))
            ev.windows.append(
                Window(
                    "glitch",
                    t0,
                    t0 + self.frame_interval,
                    rng.choice(ecams),
                    rng.choice(["black", "scene"]),
                )
            )
        if rng.random() < 0.1:
            t0 = at(rng.uniform(0.35, 0.4))
            ev.windows.append(
                Window("persons", t0, t0 + 25, None, delta=1)
            )  # staff hands over papers
        if rng.random() < 0.15 and "absent" not in spec.vid:
            t0 = at(rng.uniform(0.4, 0.5))
            ev.windows.append(
                Window("persons", t0, t0 + rng.randint(240, 420), None, delta=-1)
            )  # a short break
        if rng.random() < 0.05 and "afterhours" not in spec.vid:
            t0 = p.eval_end + 2400
            windows.append(
                RoomWindow(
                    p.eval_room,
                    ecams,
                    t0,
                    t0 + 50,
                    1,
                    False,
                    motion=(0.05, 0.2),
                    status_events=False,
                )
            )
        p.windows = windows

    # ---------------------------------------------------------------- truth across projects

    def _ring_truth(self) -> None:
        parts = []
        for p in self.projects:
            winner = p.ranking[0][0] if p.ranking else None
            parts.append(([b.company.id for b in p.bids], winner))
        groups = oracle.ring_groups(parts)
        planted = [tuple(sorted(c.id for c in ring)) for ring in self.rings]
        for ring_ids in planted:
            if ring_ids in groups:
                self.truth.append(
                    _case(
                        "REL-RING",
                        "*",
                        list(ring_ids),
                        "planted: three firms bid together and take turns winning",
                    )
                )
        for g in groups:
            if g not in planted:
                self.truth.append(_case("REL-RING", "*", list(g), "incidental"))

    # ---------------------------------------------------------------- streaming

    def _phase_register(self, p: Project) -> list[tuple[int, str, dict[str, Any]]]:
        rooms = [
            {
                "room_id": p.opening_room,
                "kind": "opening",
                "cameras": OPENING_ROOMS[p.opening_room],
            },
            {"room_id": p.eval_room, "kind": "evaluation", "cameras": EVAL_ROOMS[p.eval_room]},
        ]
        reg = {
            "name": p.name,
            "category": p.category,
            "ceiling_price": p.ceiling,
            "currency": "CNY",
            "bid_deadline": iso(p.deadline),
            "opening_at": iso(p.deadline),
            "evaluation_method": "综合评估法",
            "rooms": rooms,
            "tenderer": p.tenderer,
        }
        tender = documents.Doc(
            f"{p.pid}-T",
            "tender",
            "tender",
            documents.tender_template(self._pinfo(p)),
            {
                "author": "招标代理",
                "last_modified_by": "招标代理",
                "creator": "Microsoft Office Word",
                "producer": "Microsoft® Word 2016",
                "created": iso(p.registered - 3 * DAY),
                "modified": iso(p.registered - 3600),
                "rsid_root": hexid(random.Random(p.pid), 8),
                "xmp_document_id": None,
            },
        )
        return [
            (p.registered, "project.registered", reg),
            (p.registered + 300, "document.submitted", tender.payload()),
        ]

    def _pinfo(self, p: Project) -> dict[str, Any]:
        return {
            "pid": p.pid,
            "name": p.name,
            "short": p.short,
            "tenderer": p.tenderer,
            "ceiling": p.ceiling,
            "deadline_text": (BASE + timedelta(seconds=p.deadline)).strftime(
                "%Y年%m月%d日%H时%M分"
            ),
        }

    def _phase_bids(self, p: Project) -> list[tuple[int, str, dict[str, Any]]]:
        rng = random.Random(f"witness-sim:{self.seed}:docs:{p.idx}")
        info = self._pinfo(p)
        template = documents.tender_template(info)
        own: dict[str, str] = {}
        out = []
        for b in p.bids:
            c = b.company
            text = documents.own_content(rng, c, info, b.pm["name"])
            if b.docs["errors"]:
                text = documents.with_errors(text, b.docs["errors"])
            own[c.id] = text
        for k, b in enumerate(p.bids):
            c = b.company
            src = b.docs["copy_from"]
            text = own[c.id]
            if src is not None:
                text = documents.copy_with_edits(rng, own[src.id], src.name, c.name)
                text = text.replace(src.id[-6:], c.id[-6:])
            suppliers = [names.supplier_name(rng) for _ in range(2)]
            commercial = documents.commercial_text(rng, c, info, b.price, b.pm["name"], suppliers)
            if b.docs["mix"] is not None:
                m = b.docs["mix"]
                # the other bidder's name or its credit code, left in a reused file
                commercial += rng.choice(
                    [
                        f"\n附件：{m.name}营业执照副本",
                        f"\n授权委托书（委托单位统一社会信用代码{m.id}）",
                    ]
                )
            created = iso(b.at - rng.randint(2, 9) * DAY)
            modified = iso(b.at - rng.randint(600, 20_000))
            rsid = b.docs["rsid"] or hexid(rng, 8)
            xmp = b.docs["xmp"] or "xmp.did:" + hexid(rng, 32).lower()
            meta = documents.metadata(
                rng, c, created, modified, author=b.docs["author"], rsid_root=rsid, xmp_id=xmp
            )
            tech = documents.Doc(
                f"{p.pid}-D{k + 1:02d}T", c.id, "technical", template + "\n" + text, meta
            )
            comm = documents.Doc(
                f"{p.pid}-D{k + 1:02d}C", c.id, "commercial", commercial, dict(meta)
            )
            out.append((b.at - 90, "document.submitted", tech.payload()))
            out.append((b.at - 60, "document.submitted", comm.payload()))
            sub = dict(b.submission, submitted_at=iso(b.submitted_at))
            out.append(
                (
                    b.at,
                    "bid.submitted",
                    {
                        "bidder": c.party(),
                        "price": b.price,
                        "bond": b.bond,
                        "submission": sub,
                        "project_manager": b.pm,
                        "contact": b.contact,
                        "document_ids": [tech.doc_id, comm.doc_id],
                    },
                )
            )
        return out

    def _phase_session(self, p: Project) -> list[tuple[int, str, dict[str, Any]]]:
        out: list[tuple[int, str, dict[str, Any]]] = []
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
        ranking = [
            {"bidder_id": b, "total": total, "rank": r + 1}
            for r, (b, total) in enumerate(p.ranking[: p.candidates])
        ]
        out.append(
            (p.eval_end, "evaluation.finished", {"room_id": p.eval_room, "ranking": ranking})
        )
        out.append((p.archived, "project.archived", {}))
        return out

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event of the run as a contract dict, in time order."""
        for _, obj in self._timeline():
            if isinstance(obj, dict):
                yield obj
            else:
                yield self._camera_dict(obj)

    def lines(self) -> Iterator[str]:
        """The same events as canonical JSON lines (frames rendered without a dict round-trip)."""
        for _, obj in self._timeline():
            if isinstance(obj, dict):
                yield canonical_json(obj)
            elif len(obj) == 4:
                yield canonical_json(self._camera_dict(obj))
            else:
                yield frame_json(obj, iso(obj[0]), "camera-agent")

    def _camera_dict(self, obj: tuple) -> dict[str, Any]:
        if len(obj) == 4:
            t, cam, room, status = obj
            return _envelope(
                f"cs:{cam}:{t}:{status}",
                "camera.status",
                "*",
                t,
                {"camera_id": cam, "room_id": room, "status": status},
                "camera-agent",
            )
        return _envelope(
            f"fa:{obj[1]}:{obj[0]}",
            "frame.analyzed",
            "*",
            obj[0],
            frame_payload(obj),
            "camera-agent",
        )

    def _timeline(self) -> Iterator[tuple[tuple, Any]]:
        """(sort key, event) in time order, built one simulated day at a time.

        Each project phase and camera window is rendered when the day it starts is
        reached and its events are dropped into per-day buckets; a day is sorted and
        emitted once no later-starting source can add to it. Memory stays bounded by
        the projects active around one day.
        """
        triggers: list[tuple[int, int, str, Any]] = [(-DAY + 8 * 3600, 0, "registry", None)]
        for p in self.projects:
            first_bid = min(b.at for b in p.bids) - 90
            first_session = min([p.opening_start, p.assigned_at] + [a[0] for a in p.activity[:1]])
            triggers += [
                (p.registered, 1 + p.idx, "phase", (p, 0)),
                (first_bid, 1 + p.idx, "phase", (p, 1)),
                (first_session, 1 + p.idx, "phase", (p, 2)),
            ]
            for k, rw in enumerate(p.windows):
                triggers.append((rw.start, 1 + self.n + 4 * p.idx + k, "frames", (p, k, rw)))
        triggers.sort(key=lambda tr: (tr[0], tr[1], tr[2]))
        buckets: dict[int, list[tuple[tuple, Any]]] = {}
        i = 0
        while i < len(triggers) or buckets:
            next_trigger_day = triggers[i][0] // DAY if i < len(triggers) else None
            day = min(
                [d for d in (next_trigger_day, min(buckets) if buckets else None) if d is not None]
            )
            while i < len(triggers) and triggers[i][0] // DAY <= day:
                t, rank, kind, ref = triggers[i]
                for key, obj in self._render(kind, rank, ref):
                    buckets.setdefault(key[0] // DAY, []).append((key, obj))
                i += 1
            todays = buckets.pop(day, [])
            todays.sort(key=itemgetter(0))
            yield from todays

    def _render(self, kind: str, rank: int, ref: Any) -> Iterator[tuple[tuple, Any]]:
        if kind == "registry":
            t = -DAY + 8 * 3600
            n = 0
            for c in self.companies:
                for fact in registry_facts(c):
                    yield (
                        (t, 0, 0, n),
                        _envelope(
                            f"reg:{n:06d}", "registry.relation", "*", t, fact, "enterprise-registry"
                        ),
                    )
                    n += 1
        elif kind == "phase":
            p, phase = ref
            build = (self._phase_register, self._phase_bids, self._phase_session)[phase]
            items = build(p)
            items.sort(key=lambda it: it[0])
            for n, (t, etype, payload) in enumerate(items):
                yield (
                    (t, rank, phase, n),
                    _envelope(
                        f"{p.pid}:{phase}{n:04d}", etype, p.pid, t, payload, "trading-platform"
                    ),
                )
        else:
            p, k, rw = ref
            for n, obj in enumerate(
                frames(rw, f"witness-sim:{self.seed}:frames:{p.idx}:{k}", self.frame_interval)
            ):
                yield (obj[0], rank, 0, n), obj


def make_other_id(rng: random.Random, id_no: str) -> str:
    while True:
        other = make_id_no(rng, id_no[:6])
        if other != id_no:
            return other


def _case(rule: str, project_id: str, subjects: list[str], note: str) -> dict[str, Any]:
    return {"rule": rule, "project_id": project_id, "subjects": sorted(subjects), "note": note}


def _envelope(
    event_id: str, etype: str, project_id: str, t: int, payload: dict[str, Any], source: str
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": etype,
        "project_id": project_id,
        "ts": iso(t),
        "source": source,
        "payload": payload,
    }


def truth_header(sim: Simulation) -> dict[str, Any]:
    """First line of a truth file: what it covers, so evaluate can count false positives."""
    return {
        "complete_rules": list(ALL_RULES),
        "generator": "witness simulate",
        "seed": sim.seed,
        "projects": sim.n,
    }
