"""Bidders and the enterprise registry behind them.

A `Company` is one firm as the registry and its bids see it: credit code, people,
contacts, office network, the computers and CA dongle it prepares bids with, its bank
account. Honest companies never share any of these by chance (`Unique`); shared
values come only from planting, or from the deliberate honest traps (same office
building behind one NAT address).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from witness.simulator import names
from witness.simulator.identity import make_id_no, make_uscc

PROVINCE_ABBR = {"江苏省": "苏", "浙江省": "浙", "安徽省": "皖", "上海市": "沪", "山东省": "鲁"}
_IP_FIRST = [58, 61, 114, 117, 121, 180, 183, 218, 221, 222]


@dataclass
class Device:
    mac: str
    cpu_id: str
    disk_id: str


@dataclass
class Company:
    id: str
    name: str
    division: tuple[str, str, str, str]
    category: str
    legal_rep: dict[str, str]
    shareholders: list[dict[str, Any]]
    directors: list[dict[str, str]]
    address: str
    building: str
    phone: str
    email: str
    domain: str
    ip: str
    device: Device
    machine_code: str
    dongle_id: str
    bank_account: str
    bank: str
    staff: list[str]
    contact: dict[str, str]
    managers: list[dict[str, str]]
    performance: int  # similar past projects, drives the objective 业绩 score
    creator: tuple[str, str]  # (creator, producer) of its office documents
    #: registry facts beyond the party record (holding chains planted for REL-34)
    extra_facts: list[dict[str, Any]] = field(default_factory=list)
    #: when the registry feed publishes this firm's facts (None: with everyone, before the
    #: first project); a late feed is how a holding chain can surface after the bids
    published_at: int | None = None

    def party(self) -> dict[str, Any]:
        """The `party` shape of DESIGN §4 as it appears in bid.submitted."""
        return {
            "id": self.id,
            "name": self.name,
            "legal_rep": dict(self.legal_rep),
            "shareholders": [dict(s) for s in self.shareholders],
            "directors": [dict(d) for d in self.directors],
            "address": self.address,
            "phone": self.phone,
            "email": self.email,
        }


def hexid(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789ABCDEF") for _ in range(n))


def public_ip(rng: random.Random) -> str:
    return (
        f"{rng.choice(_IP_FIRST)}.{rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(2, 254)}"
    )


def new_device(rng: random.Random, uniq: names.Unique) -> Device:
    mac = uniq.draw(lambda: "-".join(hexid(rng, 2) for _ in range(6)))
    cpu = uniq.draw(
        lambda: (
            "BFEBFBFF000"
            + rng.choice(["906EA", "A0655", "806EC", "306C3", "90672"])
            + hexid(rng, 4)
        )
    )
    disk = uniq.draw(
        lambda: rng.choice(["WD-WCC6Y", "S4EVNX0N", "ZA4", "Z9A0", "50026B77"]) + hexid(rng, 8)
    )
    return Device(mac, cpu, disk)


def person(rng: random.Random, uniq: names.Unique, div: str) -> dict[str, str]:
    return {"name": names.person_name(rng), "id_no": uniq.draw(lambda: make_id_no(rng, div))}


def cert_no(rng: random.Random, uniq: names.Unique, province: str) -> str:
    abbr = PROVINCE_ABBR.get(province, "苏")
    return uniq.draw(
        lambda: f"{abbr}1{rng.randint(10, 99)}{rng.randint(2008, 2022)}{rng.randint(0, 99999):05d}"
    )


def bank_account(rng: random.Random, uniq: names.Unique) -> tuple[str, str]:
    bank, prefix = rng.choice(
        [
            ("中国工商银行", "4301"),
            ("中国建设银行", "3205"),
            ("中国农业银行", "1010"),
            ("中国银行", "4711"),
            ("交通银行", "3200"),
            ("江苏银行", "3101"),
            ("南京银行", "0150"),
        ]
    )
    return bank, uniq.draw(lambda: prefix + "".join(str(rng.randint(0, 9)) for _ in range(15)))


def new_company(
    rng: random.Random,
    uniq: names.Unique,
    category: str,
    *,
    division: tuple[str, str, str, str] | None = None,
    building: str | None = None,
    ip: str | None = None,
) -> Company:
    """One honest firm; `building`/`ip` let two firms share an office (the NAT trap)."""
    div = division or names.division(rng)
    code = uniq.draw(lambda: make_uscc(rng, div[0]))
    name = uniq.draw(lambda: names.company_name(rng, div, category))
    rep = person(rng, uniq, div[0])
    holders: list[dict[str, Any]] = [{"id": rep["id_no"], "name": rep["name"], "share": 0.0}]
    for _ in range(rng.choice((0, 1, 1, 2))):
        p = person(rng, uniq, div[0])
        holders.append({"id": p["id_no"], "name": p["name"], "share": 0.0})
    weights = [rng.uniform(1.0, 3.0) for _ in holders]
    total = sum(weights)
    shares = [round(w / total, 2) for w in weights]
    shares[0] = round(1.0 - sum(shares[1:]), 2)
    for h, s in zip(holders, shares, strict=True):
        h["share"] = s
    directors = [dict(rep)] + [person(rng, uniq, div[0]) for _ in range(rng.choice((0, 1, 2)))]
    building = building or names.street_building(rng)
    domain = uniq.draw(
        lambda: names.handle(rng, rng.randint(4, 8)) + rng.choice([".com", ".com.cn", ".cn"])
    )
    bank, account = bank_account(rng, uniq)
    staff = [
        uniq.draw(lambda: names.person_name(rng)) for _ in range(3)
    ]  # authors never collide by chance
    contact = {
        "name": staff[0],
        "phone": uniq.draw(lambda: names.mobile(rng)),
        "email": uniq.draw(lambda: names.email(rng, domain)),
    }
    managers = [
        {"name": names.person_name(rng), "cert_no": cert_no(rng, uniq, div[1])}
        for _ in range(rng.randint(1, 3))
    ]
    creator = rng.choice(
        [
            ("Microsoft Office Word", "Microsoft® Word 2016"),
            ("Microsoft Office Word", "Microsoft® Word 2019"),
            ("WPS 文字", "WPS Office"),
            ("Microsoft Office Word", "Microsoft® Word for Microsoft 365"),
        ]
    )
    return Company(
        id=code,
        name=name,
        division=div,
        category=category,
        legal_rep=rep,
        shareholders=holders,
        directors=directors,
        address=names.address(rng, div, building),
        building=building,
        phone=uniq.draw(lambda: names.landline(rng, div[2])),
        email=uniq.draw(lambda: names.email(rng, domain)),
        domain=domain,
        ip=ip or uniq.draw(lambda: public_ip(rng)),
        device=new_device(rng, uniq),
        machine_code=uniq.draw(lambda: hexid(rng, 32)),
        dongle_id=uniq.draw(
            lambda: f"CA{PROVINCE_ABBR.get(div[1], '苏')}{rng.randint(10**9, 10**10 - 1)}"
        ),
        bank_account=account,
        bank=bank,
        staff=staff,
        contact=contact,
        managers=managers,
        performance=rng.randint(0, 5),
        creator=creator,
    )


@dataclass
class Roster:
    """Every firm of one run, in creation order (the registry streams them in this order)."""

    uniq: names.Unique
    companies: list[Company] = field(default_factory=list)

    def new(self, rng: random.Random, category: str, **kw: Any) -> Company:
        """A new honest firm (`new_company`), recorded in the roster."""
        c = new_company(rng, self.uniq, category, **kw)
        self.companies.append(c)
        return c


def registry_facts(company: Company, since_year: int = 2016) -> list[dict[str, Any]]:
    """The registry's view of one firm as `registry.relation` payloads (a is KIND of b)."""
    src = "国家企业信用信息公示系统"
    since = f"{since_year}-0{1 + len(company.name) % 9}-1{len(company.id) % 9}"
    facts: list[dict[str, Any]] = [
        {
            "a": company.legal_rep["id_no"],
            "b": company.id,
            "kind": "legal_rep",
            "since": since,
            "source": src,
        }
    ]
    for h in company.shareholders:
        facts.append(
            {
                "a": h["id"],
                "b": company.id,
                "kind": "shareholder",
                "share": h["share"],
                "since": since,
                "source": src,
            }
        )
    for d in company.directors:
        facts.append(
            {"a": d["id_no"], "b": company.id, "kind": "director", "since": since, "source": src}
        )
    facts.extend(company.extra_facts)
    return facts
