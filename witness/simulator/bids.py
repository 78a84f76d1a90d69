"""Bids: who bids, at what price, from which machine, and the documents they upload.

Planning (`plan_bidders`) picks the bidders of a project, plants shared fingerprints,
relations and document hooks for collusion groups, draws prices until the DESIGN
oracle confirms exactly the planted price condition, and sets the honest traps.
Rendering (`tender_event`, `bid_events`) turns the plan into `document.submitted`
and `bid.submitted` events with their Chinese texts (`bid_texts`).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from witness.simulator import bid_texts, names, oracle
from witness.simulator.clock import BASE, DAY, iso
from witness.simulator.companies import Company, Roster, hexid, public_ip
from witness.simulator.plan import Bid, Event, Project, case
from witness.simulator.planting import GROUP_KINDS

#: The trading centre's own upload terminals (bids made there are exempt from REL-40-2).
VENUE_IP = "218.94.136.18"


# ---------------------------------------------------------------- planning


def plan_bidders(
    p: Project,
    rng: random.Random,
    pool: list[Company],
    roster: Roster,
    cartel: list[Company],
    winner: Company | None,
    extra: list[Company] | None = None,
) -> None:
    """Fill `p.bids`; `cartel` is the ring (or honest trio) that bids in this project;
    `extra` are firms that bid across projects (the usual loser, the often-rejected firm)."""
    spec = p.spec
    n = rng.choices([3, 4, 5, 6, 7, 8], weights=[10, 20, 25, 20, 15, 10])[0]
    if spec.price == "regular" or spec.price == "geometric":
        n = rng.choice([3, 5, 6, 7])  # three colluders' ladder, alone or among honest bids
    elif (
        spec.price in ("cover", "identical", "close", "discount")
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
        group = [roster.new(rng, p.category) for _ in range(spec.group[0])]
        firms += group
    firms += cartel
    firms += [c for c in extra or [] if c not in firms]
    n = max(n, len(firms))
    if len(firms) + 2 <= n and rng.random() < 0.12:
        b = names.street_building(rng)
        div = names.division(rng)
        ip = roster.uniq.draw(lambda: public_ip(rng))
        nat = [roster.new(rng, p.category, division=div, building=b, ip=ip) for _ in range(2)]
        firms += nat
        p.truth.append(
            case(
                "REL-40-2-IP",
                p.pid,
                [c.id for c in nat],
                "honest firms behind one office NAT: the IP screen's condition holds",
            )
        )
    if len(firms) + 2 <= n and rng.random() < 0.05:
        a, b = roster.new(rng, p.category), roster.new(rng, p.category)
        share = round(rng.uniform(0.1, 0.3), 2)
        b.shareholders[0]["share"] = round(b.shareholders[0]["share"] - share, 2)
        if b.shareholders[0]["share"] < 0:
            b.shareholders[0]["share"] = 0.0
        b.shareholders.append({"id": a.id, "name": a.name, "share": share})
        firms += [a, b]
    others = [c for c in pool if c not in firms]
    firms += rng.sample(others, max(0, n - len(firms)))
    rng.shuffle(firms)
    p.bids = [_new_bid(p, rng, c, roster.uniq) for c in firms]
    _plant_group(p, rng, group, roster)
    _prices(p, rng, winner, cartel)
    for b in p.bids:  # the cross-project firms bid high and weak: they lose
        if b.company in (extra or []):
            b.quality = rng.uniform(0.35, 0.45)
    if "rej_low" in spec.proc:  # the lowest bid, about to be rejected, is a weak one
        min(p.bids, key=lambda b: b.price).quality = rng.uniform(0.4, 0.5)
    _fingerprint_traps(p, rng)


def _new_bid(p: Project, rng: random.Random, c: Company, uniq: names.Unique) -> Bid:
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
            "file_creation_id": uniq.draw(lambda: hexid(rng, 32)),
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


def _plant_group(p: Project, rng: random.Random, group: list[Company], roster: Roster) -> None:
    if not group:
        return
    size, kinds = p.spec.group
    bids = {b.company.id: b for b in p.bids}
    a = bids[group[0].id]
    members = [bids[c.id] for c in group]
    rules: dict[str, list[str]] = {}
    for kind in kinds:
        rule = GROUP_KINDS[kind]
        involved = members if not kind.startswith("rel34") and kind != "doc_mix" else members[:2]
        rules.setdefault(rule, [])
        rules[rule] = sorted(set(rules[rule]) | {b.company.id for b in involved})
        for b in involved[1:]:
            _share(kind, a, b, rng, roster, deadline=p.deadline)
    if "doc_meta" in kinds:
        mode = rng.choice(["author", "rsid", "xmp", "all"])
        author = names.person_name(rng) if mode in ("author", "all") else None
        rsid = hexid(rng, 8) if mode in ("rsid", "all") else None
        xmp = "xmp.did:" + hexid(rng, 32).lower() if mode in ("xmp", "all") else None
        for b in members:
            b.docs.update(author=author, rsid=rsid, xmp=xmp)
    if "doc_copy" in kinds:
        errs = rng.sample(bid_texts.RARE_ERRORS, rng.randint(3, 4))
        a.docs["errors"] = errs
        for b in members[1:]:
            b.docs["copy_from"] = a.company
    for rule, subjects in sorted(rules.items()):
        p.truth.append(
            case(
                rule,
                p.pid,
                subjects,
                "planted: " + ", ".join(k for k in kinds if GROUP_KINDS[k] == rule),
            )
        )


def _share(kind: str, a: Bid, b: Bid, rng: random.Random, roster: Roster, *, deadline: int) -> None:
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
        s_b["ip"] = roster.uniq.draw(lambda: public_ip(rng))  # carried elsewhere: a 4G hotspot
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
        holding = roster.new(rng, "服务")
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
        if rng.random() < 0.5:  # the registry feed reports the holding only after the bids
            holding.published_at = deadline + rng.randint(60, 600)
    elif kind == "doc_mix":
        b.docs["mix"] = a.company


def _prices(p: Project, rng: random.Random, winner: Company | None, cartel: list[Company]) -> None:
    """Draw prices until the oracle sees exactly the planted price condition (if any)."""
    c = p.ceiling
    kind = p.spec.price
    for _ in range(500):
        for b in p.bids:
            b.price = round(c * rng.uniform(0.80, 0.99), 2)
        if winner is not None or p.spec.ring == "trio":
            champ = next((b for b in p.bids if b.company is winner), None)
            if champ is None:  # trio: an outsider wins
                champ = next(b for b in p.bids if b.company not in cartel)
            for b in p.bids:
                b.quality = 0.97 if b is champ else rng.uniform(0.55, 0.7)
                if b is not champ:
                    b.price = round(c * rng.uniform(0.84, 0.99), 2)
            champ.price = round(c * rng.uniform(0.80, 0.88), 2)
        prices = [b.price for b in p.bids]
        if kind == "regular" or kind == "geometric":
            # three colluders one even step apart (报价呈规律性差异), among honest bids
            p1 = c * rng.uniform(0.80, 0.90)
            step = round(p1 * rng.uniform(0.01, 0.04), -2)
            seq = (
                [p1 + k * step for k in range(3)]
                if kind == "regular"
                else [p1 * (1 + step / p1) ** k for k in range(3)]
            )
            for b, v in zip(p.bids[:3], seq, strict=True):
                b.price = round(v, 2)
            prices = [b.price for b in p.bids]
            ladder = oracle.price_regular(prices)
            ok = (
                ladder is not None
                and sorted(ladder) == sorted(round(v, 2) for v in seq)
                and not oracle.price_regular([b.price for b in p.bids[3:]], 0.05)
                and not oracle.price_screen(prices, 0.04)
                and not oracle.identical_prices({b.company.id: b.price for b in p.bids})
            )
        elif kind == "identical":
            p.bids[1].price = p.bids[0].price
            prices = [b.price for b in p.bids]
            ok = not oracle.price_regular(prices, 0.05) and not oracle.price_screen(prices, 0.04)
            ok = ok and _plain_gap(prices)
            ok = ok and len(oracle.identical_prices({b.company.id: b.price for b in p.bids})) == 1
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
                oracle.price_screen(prices, chance_factor=0.5)
                and not oracle.price_regular(prices, 0.05)
                and not oracle.identical_prices({b.company.id: b.price for b in p.bids})
                and _plain_gap(prices)
            )
        elif kind in ("close", "discount"):
            low = min(p.bids, key=lambda b: b.price)
            rest = sorted((b for b in p.bids if b is not low), key=lambda b: b.price)
            if kind == "close":  # the runner-up a hair above the winner
                rest[0].price = round(low.price * (1 + rng.uniform(0.0004, 0.0015)), 2)
            else:  # the lowest bid far below everyone else
                low.price = round(rest[0].price * rng.uniform(0.62, 0.72), 2)
            prices = [b.price for b in p.bids]
            planted = (
                oracle.price_close(prices) if kind == "close" else oracle.price_discount(prices)
            )
            ok = (
                planted
                and not oracle.price_regular(prices, 0.05)
                and not oracle.price_screen(prices, 0.04)
                and not oracle.identical_prices({b.company.id: b.price for b in p.bids})
            )
        else:
            ok = (
                not oracle.price_regular(prices, 0.05)
                and not oracle.price_screen(prices, 0.04)
                and not oracle.identical_prices({b.company.id: b.price for b in p.bids})
                and _plain_gap(prices)
            )
        if ok:
            break
    ids = sorted(b.company.id for b in p.bids)
    if kind in ("regular", "geometric"):
        trio = sorted(b.company.id for b in p.bids[:3])
        p.truth.append(case("PRICE-40-4", p.pid, trio, f"planted: {kind} price steps"))
    elif kind == "identical":
        p.truth.append(
            case(
                "PRICE-40-4",
                p.pid,
                oracle.identical_prices({b.company.id: b.price for b in p.bids})[0],
                "planted: identical prices",
            )
        )
    elif kind == "cover":
        p.truth.append(
            case("PRICE-SCREEN", p.pid, ids, "planted: cover bids clustered above the winner")
        )
    pair = [b.company.id for b in sorted(p.bids, key=lambda b: (b.price, b.company.id))[:2]]
    prices = [b.price for b in p.bids]
    if oracle.price_close(prices):
        note = "planted: runner-up a hair above" if kind == "close" else "incidental"
        p.truth.append(case("PRICE-CLOSE", p.pid, pair, note))
    if oracle.price_discount(prices):
        note = "planted: lowest bid far below" if kind == "discount" else "incidental"
        p.truth.append(case("PRICE-DISCOUNT", p.pid, pair, note))


def _plain_gap(prices: list[float]) -> bool:
    """Neither PRICE-CLOSE nor PRICE-DISCOUNT, with a margin either side."""
    return not oracle.price_close(prices, 0.001) and not oracle.price_discount(prices, 0.03)


def _fingerprint_traps(p: Project, rng: random.Random) -> None:
    """Honest look-alikes among the bids nothing was planted on."""
    planted = {b.company.id for c in p.truth for b in p.bids if b.company.id in c["subjects"]}
    honest = [b for b in p.bids if b.company.id not in planted]
    if len(honest) >= 2 and rng.random() < 0.12:  # two honest bids uploaded on one venue terminal
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
    if len(honest) >= 2 and rng.random() < 0.1:  # namesakes: 王伟 heads two unrelated firms
        name = rng.choice(names.COMMON_NAMES)
        for b in rng.sample(honest, 2):
            b.company.legal_rep = {**b.company.legal_rep, "name": name}
    if honest and rng.random() < 0.2:
        b = rng.choice(honest)  # last-minute, still in time
        b.at = b.submitted_at = p.deadline - rng.randint(20, 90)
    if honest and rng.random() < 0.08 and "order" not in p.spec.proc:
        b = rng.choice(honest)  # a modification (修改投标) accepted before the deadline
        at = p.deadline - rng.randint(60, 1800)
        if at > b.at:
            b.modifications.append((at, at - rng.randint(0, 20)))


# ---------------------------------------------------------------- rendering


def doc_facts(p: Project) -> dict[str, Any]:
    """The project facts the tender and bid texts quote."""
    return {
        "pid": p.pid,
        "name": p.name,
        "short": p.short,
        "tenderer": p.tenderer,
        "ceiling": p.ceiling,
        "deadline_text": (BASE + timedelta(seconds=p.deadline)).strftime("%Y年%m月%d日%H时%M分"),
    }


def tender_event(p: Project) -> Event:
    """The tender document, uploaded by the agency five minutes after registration."""
    tender = bid_texts.Doc(
        f"{p.pid}-T",
        "tender",
        "tender",
        bid_texts.tender_template(doc_facts(p)),
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
    return (p.registered + 300, "document.submitted", tender.payload())


def bid_events(p: Project, seed: int) -> list[Event]:
    """Each bid's technical and commercial documents, then the bid itself."""
    rng = random.Random(f"witness-sim:{seed}:docs:{p.idx}")
    info = doc_facts(p)
    template = bid_texts.tender_template(info)
    own: dict[str, str] = {}
    out = []
    for b in p.bids:
        c = b.company
        text = bid_texts.own_content(rng, c, info, b.pm["name"])
        if b.docs["errors"]:
            text = bid_texts.with_errors(text, b.docs["errors"])
        own[c.id] = text
    for k, b in enumerate(p.bids):
        c = b.company
        src = b.docs["copy_from"]
        text = own[c.id]
        if src is not None:
            text = bid_texts.copy_with_edits(rng, own[src.id], src.name, c.name)
            text = text.replace(src.id[-6:], c.id[-6:])
        suppliers = [names.supplier_name(rng) for _ in range(2)]
        commercial = bid_texts.commercial_text(rng, c, info, b.price, b.pm["name"], suppliers)
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
        meta = bid_texts.metadata(
            rng, c, created, modified, author=b.docs["author"], rsid_root=rsid, xmp_id=xmp
        )
        tech = bid_texts.Doc(
            f"{p.pid}-D{k + 1:02d}T", c.id, "technical", template + "\n" + text, meta
        )
        comm = bid_texts.Doc(f"{p.pid}-D{k + 1:02d}C", c.id, "commercial", commercial, dict(meta))
        out.append((b.at - 90, "document.submitted", tech.payload()))
        out.append((b.at - 60, "document.submitted", comm.payload()))
        for at, submitted_at in [(b.at, b.submitted_at), *b.modifications]:
            sub = dict(b.submission, submitted_at=iso(submitted_at))
            out.append(
                (
                    at,
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
