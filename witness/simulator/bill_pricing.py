"""Priced bills of quantities (工程量清单) the way bidders really make them.

Every bidder prices the same standard quota items (定额): an item's base costs are its
quota consumption at the guide labour rate, the information prices (信息价) of its main
material and the standard machine rates; management fee and profit are rates on labour
plus machine (Jiangsu-style base). The control bill (招标控制价) uses the defaults; an
honest bidder changes some of them (its own labour rate, the prices it buys materials
at, its fee rates), or scales the control bill as a whole (整体下浮), may front-load a few
early-paid items (strategic 不平衡报价) and makes the odd slip. The traps honest bills set
are deliberate: default rates kept, the control bill copied or scaled by a round
coefficient (two bidders may pick the same one), a shared addendum, a control price
that is plainly off. Cartels copy, scale, re-weight or front-load one file.

Pure functions of a `random.Random`: the simulator, the tests and `bench/boq.py` use them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

#: Main material classes and their information price scale (yuan per quota unit).
MATERIALS = (
    "商品混凝土",
    "钢筋",
    "水泥砂浆",
    "标准砖",
    "木模板",
    "防水卷材",
    "块料",
    "涂料",
    "铝合金型材",
    "PPR管",
    "镀锌钢管",
    "电缆",
    "配电设备",
    "脚手架材料",
)

#: (9-digit code, name, unit, labour, (material, cost) or None, machine, quantity range).
ITEM_TYPES: tuple[tuple[str, str, str, float, tuple[str, float] | None, float, tuple], ...] = (
    ("010101001", "平整场地", "m2", 1.6, None, 0.9, (200, 5000)),
    ("010101002", "挖一般土方", "m3", 8.0, None, 9.5, (100, 8000)),
    ("010101004", "挖基坑土方", "m3", 28.0, None, 4.0, (50, 2000)),
    ("010103001", "回填方", "m3", 14.0, None, 5.0, (50, 5000)),
    ("010301002", "预制钢筋混凝土管桩", "m", 18.0, ("商品混凝土", 160.0), 35.0, (500, 9000)),
    ("010401001", "砖基础", "m3", 115.0, ("标准砖", 290.0), 6.0, (10, 300)),
    ("010401003", "实心砖墙", "m3", 135.0, ("标准砖", 300.0), 6.0, (20, 900)),
    ("010501001", "垫层", "m3", 48.0, ("商品混凝土", 420.0), 2.0, (10, 400)),
    ("010502001", "矩形柱", "m3", 118.0, ("商品混凝土", 455.0), 3.0, (10, 600)),
    ("010503002", "矩形梁", "m3", 96.0, ("商品混凝土", 455.0), 3.0, (10, 600)),
    ("010505001", "有梁板", "m3", 88.0, ("商品混凝土", 450.0), 3.0, (20, 2000)),
    ("010515001", "现浇构件钢筋", "t", 880.0, ("钢筋", 4150.0), 95.0, (5, 600)),
    ("010902001", "屋面卷材防水", "m2", 7.5, ("防水卷材", 36.0), 0.0, (100, 5000)),
    ("010802001", "金属（塑钢）门", "m2", 42.0, ("铝合金型材", 310.0), 0.0, (10, 500)),
    ("010807001", "金属（塑钢、断桥）窗", "m2", 45.0, ("铝合金型材", 420.0), 1.5, (20, 2000)),
    ("011101001", "水泥砂浆楼地面", "m2", 14.0, ("水泥砂浆", 11.0), 0.8, (100, 9000)),
    ("011102003", "块料楼地面", "m2", 31.0, ("块料", 62.0), 1.0, (100, 9000)),
    ("011201001", "墙面一般抹灰", "m2", 18.5, ("水泥砂浆", 6.5), 0.9, (200, 20000)),
    ("011204003", "块料墙面", "m2", 42.0, ("块料", 58.0), 1.0, (100, 8000)),
    ("011406001", "抹灰面油漆", "m2", 9.5, ("涂料", 8.5), 0.0, (200, 20000)),
    ("011701001", "综合脚手架", "m2", 9.0, ("脚手架材料", 7.5), 1.2, (500, 30000)),
    ("011702001", "基础模板", "m2", 26.0, ("木模板", 21.0), 1.1, (100, 5000)),
    ("011703001", "垂直运输", "m2", 1.8, None, 21.0, (500, 30000)),
    ("031001006", "塑料给水管 PPR", "m", 9.5, ("PPR管", 14.0), 0.3, (100, 4000)),
    ("031001001", "镀锌钢管", "m", 15.0, ("镀锌钢管", 36.0), 2.2, (100, 3000)),
    ("030408001", "电力电缆 YJV", "m", 7.8, ("电缆", 82.0), 1.1, (100, 6000)),
    ("030411001", "配管 PC", "m", 6.2, ("PPR管", 3.8), 0.0, (200, 9000)),
    ("030404017", "配电箱", "台", 210.0, ("配电设备", 2100.0), 12.0, (2, 60)),
)
SPECS = (
    "C30",
    "C35",
    "C25",
    "M7.5",
    "DN25",
    "DN50",
    "800×800",
    "1.5mm",
    "地上",
    "地下",
    "一层",
    "标准层",
)
#: Items every bidder copies from the tender (其他项目 / 安全文明施工费): (code, name, amount).
FIXED_ITEMS = (
    ("011707001001", "安全文明施工费", None),
    ("ZLJE-001", "暂列金额", 300_000.0),
    ("ZYGC-001", "专业工程暂估价（智能化）", 180_000.0),
)
#: Early-paid items a front-loading bidder raises (土方、桩基、基础) and late ones it lowers.
EARLY = ("0101", "0103", "0104")
LATE = ("0111", "0112", "0114")
SOFTWARE = (("广联达云计价平台GCCP", "6.0"), ("斯维尔清单计价", "2024"), ("品茗胜算造价", "8.2"))


@dataclass(frozen=True)
class QuotaItem:
    code: str
    name: str
    unit: str
    quantity: float
    labour: float
    material: str | None
    material_cost: float
    machine: float


@dataclass(frozen=True)
class Works:
    """One project's bill skeleton and its default (control) fee rates."""

    items: tuple[QuotaItem, ...]
    management: float
    profit: float
    safety_rate: float = 0.03  # 安全文明施工费 as a share of the priced items


@dataclass(frozen=True)
class Pricing:
    """How one bill turns base costs into prices."""

    labour: float = 1.0
    materials: dict[str, float] = field(default_factory=dict)  # class -> factor (1 = 信息价)
    machine: float = 1.0
    management: float | None = None  # None: the control rate
    profit: float | None = None
    scale: float = 1.0  # 整体下浮 of the control bill (applied to every component)


def _r2(v: float) -> float:
    return round(v + 1e-9, 2)


def make_works(rng: random.Random, n_items: int) -> Works:
    """A skeleton of `n_items` quota items (codes unique, GB 50500 style)."""
    seq: dict[str, int] = {}
    items = []
    for _ in range(n_items):
        code9, name, unit, lab, mat, mach, (q0, q1) = rng.choice(ITEM_TYPES)
        seq[code9] = seq.get(code9, 0) + 1
        if seq[code9] > 999:
            continue
        spec = rng.uniform(0.75, 1.35)
        items.append(
            QuotaItem(
                code=f"{code9}{seq[code9]:03d}",
                name=f"{name} {rng.choice(SPECS)}",
                unit=unit,
                quantity=round(rng.uniform(q0, q1) * rng.uniform(0.2, 1.0), 2),
                labour=round(lab * spec, 4),
                material=mat[0] if mat else None,
                material_cost=round(mat[1] * spec, 4) if mat else 0.0,
                machine=round(mach * spec, 4),
            )
        )
    return Works(
        items=tuple(items),
        management=rng.choice((0.21, 0.25, 0.28, 0.31)),
        profit=rng.choice((0.10, 0.12)),
    )


def price_item(it: QuotaItem, w: Works, pr: Pricing) -> dict[str, float]:
    """The five components of one unit, rounded to the fen as pricing software does."""
    lab = it.labour * pr.labour
    mat = it.material_cost * pr.materials.get(it.material or "", 1.0)
    mach = it.machine * pr.machine
    m = w.management if pr.management is None else pr.management
    p = w.profit if pr.profit is None else pr.profit
    raw = (lab, mat, mach, m * (lab + mach), p * (lab + mach))
    keys = ("labour", "material", "machine", "management", "profit")
    return {k: _r2(v * pr.scale) for k, v in zip(keys, raw, strict=True)}


def _line(it: QuotaItem, comps: dict[str, float], with_components: bool) -> dict[str, Any]:
    up = _r2(sum(comps.values()))
    line: dict[str, Any] = {
        "code": it.code,
        "name": it.name,
        "unit": it.unit,
        "quantity": it.quantity,
        "unit_price": up,
        "total": _r2(up * it.quantity),
    }
    if with_components:
        line["components"] = dict(comps)
    return line


def fixed_lines(w: Works, priced: float) -> list[dict[str, Any]]:
    out = []
    for code, name, amount in FIXED_ITEMS:
        value = _r2(amount if amount is not None else priced * w.safety_rate)
        out.append(
            {
                "code": code,
                "name": name,
                "unit": "项",
                "quantity": 1.0,
                "unit_price": value,
                "total": value,
                "fixed": True,
            }
        )
    return out


def bill(w: Works, pr: Pricing, *, with_components: bool = True) -> list[dict[str, Any]]:
    """A whole priced bill: every quota item priced by `pr`, then the fixed items."""
    lines = [_line(it, price_item(it, w, pr), with_components) for it in w.items]
    return lines + fixed_lines(w, _control_sum(w))


def _control_sum(w: Works) -> float:
    return sum(_r2(sum(price_item(it, w, Pricing()).values())) * it.quantity for it in w.items)


def control_bill(w: Works, *, with_components: bool = True) -> list[dict[str, Any]]:
    """The tender's bill: default prices (招标控制价), fixed items flagged."""
    return bill(w, Pricing(), with_components=with_components)


# ---------------------------------------------------------------- honest bidders


def honest_pricing(rng: random.Random) -> Pricing:
    """An honest bidder's own rates: each default kept with a realistic probability."""
    if rng.random() < 0.25:  # 整体下浮: the control bill scaled, often by a round figure
        k = (
            rng.choice((0.85, 0.88, 0.9, 0.92, 0.95))
            if rng.random() < 0.6
            else rng.uniform(0.82, 0.98)
        )
        return Pricing(scale=round(k, 4))
    mats = {m: 1.0 if rng.random() < 0.35 else round(rng.uniform(0.85, 1.12), 3) for m in MATERIALS}
    return Pricing(
        labour=1.0 if rng.random() < 0.4 else round(rng.uniform(0.9, 1.3), 3),
        materials=mats,
        machine=1.0 if rng.random() < 0.6 else round(rng.uniform(0.9, 1.15), 3),
        management=None if rng.random() < 0.4 else round(rng.uniform(0.12, 0.40), 3),
        profit=None if rng.random() < 0.4 else round(rng.uniform(0.04, 0.16), 3),
    )


def own_pricing(rng: random.Random) -> Pricing:
    """An honest bidder with rates of its own (never the control bill scaled), as a
    cartel's master file or a bidder that prices every item itself."""
    while True:
        pr = honest_pricing(rng)
        if pr.scale == 1.0 and (pr.labour != 1.0 or pr.management is not None):
            return pr


def reweight(line: dict[str, Any], factor: float) -> None:
    """Change one item's price by `factor`, every component alike (调价 of one item)."""
    comps = line.get("components")
    if comps:
        for k in comps:
            comps[k] = _r2(comps[k] * factor)
        up = _r2(sum(comps.values()))
    else:
        up = _r2(line["unit_price"] * factor)
    line["unit_price"] = up
    line["total"] = _r2(up * line["quantity"])


def front_load(rng: random.Random, lines: list[dict[str, Any]], n: int = 3) -> list[str]:
    """Strategic unbalancing: raise some early-paid items, lower some late ones."""
    early = [ln for ln in lines if ln["code"].startswith(EARLY)]
    late = [ln for ln in lines if ln["code"].startswith(LATE)]
    touched = []
    for ln in rng.sample(early, min(n, len(early))):
        reweight(ln, rng.uniform(1.3, 1.8))
        touched.append(ln["code"])
    for ln in rng.sample(late, min(n, len(late))):
        reweight(ln, rng.uniform(0.55, 0.75))
        touched.append(ln["code"])
    return touched


def slip(rng: random.Random, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One honest slip: a mistyped quantity or unit, or an item left out."""
    i = rng.randrange(len(lines) - len(FIXED_ITEMS))
    ln = lines[i]
    kind = rng.choice(("quantity", "unit", "missing"))
    if kind == "quantity":
        ln["quantity"] = round(ln["quantity"] * rng.choice((10, 0.1, 1.1)), 2)
        ln["total"] = _r2(ln["unit_price"] * ln["quantity"])
    elif kind == "unit":
        ln["unit"] = {"m2": "m3", "m3": "m2", "m": "km", "t": "kg"}.get(ln["unit"], "个")
    else:
        return lines[:i] + lines[i + 1 :]
    return lines


def addendum(rng: random.Random, w: Works, n: int = 3) -> Works:
    """A 补遗 changing some quantities: bidders price it, the tender bill event is older."""
    items = list(w.items)
    for i in rng.sample(range(len(items)), min(n, len(items))):
        items[i] = replace(items[i], quantity=round(items[i].quantity * 1.2, 2))
    return replace(w, items=tuple(items))


def requantify(lines: list[dict[str, Any]], w: Works) -> list[dict[str, Any]]:
    """The quantities of `w` (an addendum's) in a copied bill, totals recomputed."""
    qty = {it.code: it.quantity for it in w.items}
    for ln in lines:
        q = qty.get(ln["code"])
        if q is not None and q != ln["quantity"]:
            ln["quantity"] = q
            ln["total"] = _r2(ln["unit_price"] * q)
    return lines


def honest_bill(
    rng: random.Random,
    w: Works,
    *,
    with_components: bool = True,
    control: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One honest bidder's bill: own rates (or the published `control` bill scaled),
    maybe front-loaded, maybe a slip."""
    pricing = honest_pricing(rng)
    if pricing.scale != 1.0 and control is not None:
        lines = scaled(control, pricing.scale)
    else:
        lines = bill(w, pricing, with_components=with_components)
    if rng.random() < 0.2:
        front_load(rng, lines, n=rng.randint(1, 4))
    if rng.random() < 0.3:
        for _ in range(rng.randint(1, 2)):
            lines = slip(rng, lines)
    return lines


def software(rng: random.Random) -> dict[str, str]:
    """The bidder's own licence: a lock number and a machine code of its own."""
    name, version = rng.choice(SOFTWARE)
    return {
        "name": name,
        "version": version,
        "lock_id": f"{rng.getrandbits(40):010X}",
        "machine_code": "-".join(f"{rng.getrandbits(16):04X}" for _ in range(4)),
    }


# ---------------------------------------------------------------- cartel files


def copy_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for ln in lines:
        c = dict(ln)
        if "components" in ln:
            c["components"] = dict(ln["components"])
        out.append(c)
    return out


def copied(
    rng: random.Random, master: list[dict[str, Any]], reprice: float
) -> list[dict[str, Any]]:
    """BOQ-SAME: the master file with exactly `reprice` of its items re-priced by hand.

    An exact count, not a coin per item: on a 20-item bill a coin at 12.5 % re-prices five
    items one time in eight, which is a different (and rightly unflagged) file.
    """
    lines = copy_lines(master)
    own = [ln for ln in lines if not ln.get("fixed")]
    for ln in rng.sample(own, round(reprice * len(own))):
        reweight(ln, rng.uniform(0.85, 1.15))
    return lines


def scaled(master: list[dict[str, Any]], k: float) -> list[dict[str, Any]]:
    """BOQ-RATIO: the master file scaled by k (every component, rounded to the fen)."""
    lines = copy_lines(master)
    for ln in lines:
        if not ln.get("fixed"):
            reweight(ln, k)
    return lines


def remixed(rng: random.Random, master: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """BOQ-MIX: the master's build-up kept, each item's price moved on its own."""
    lines = copy_lines(master)
    for ln in lines:
        if not ln.get("fixed"):
            reweight(ln, rng.uniform(0.82, 1.18))
    return lines


def skeleton_slips(rng: random.Random, w: Works, n: int) -> tuple[Works, list[str], dict[str, str]]:
    """BOQ-ERROR: one edited skeleton (changed quantities, dropped items, wrong units)."""
    items = list(w.items)
    picks = rng.sample(range(len(items)), min(3 * n, len(items)))
    dropped, units = [], {}
    for j, i in enumerate(picks[: n * 3]):
        it = items[i]
        if j % 3 == 0:
            items[i] = replace(it, quantity=round(it.quantity * 1.37 + 1, 2))
        elif j % 3 == 1:
            dropped.append(it.code)
        else:
            units[it.code] = {"m2": "m3", "m3": "m2", "m": "km", "t": "kg"}.get(it.unit, "个")
    kept = tuple(it for it in items if it.code not in dropped)
    return replace(w, items=kept), dropped, units


def apply_units(lines: list[dict[str, Any]], units: dict[str, str]) -> list[dict[str, Any]]:
    for ln in lines:
        if ln["code"] in units:
            ln["unit"] = units[ln["code"]]
    return lines


def unbalance_plan(rng: random.Random, w: Works, n: int) -> dict[str, float]:
    """BOQ-UNBAL: the items a cartel moves together and by how much."""
    early = [it.code for it in w.items if it.code.startswith(EARLY)]
    late = [it.code for it in w.items if it.code.startswith(LATE)]
    plan = {c: rng.uniform(1.45, 1.9) for c in rng.sample(early, min(n, len(early)))}
    plan.update({c: rng.uniform(0.45, 0.62) for c in rng.sample(late, min(n, len(late)))})
    return plan


def unbalanced(rng: random.Random, lines: list[dict[str, Any]], plan: dict[str, float]) -> None:
    for ln in lines:
        f = plan.get(ln["code"])
        if f is not None:
            reweight(ln, f * rng.uniform(0.98, 1.02))
