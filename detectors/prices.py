"""Price rules: PRICE-40-4 (regular or identical prices), PRICE-SCREEN (Imhof screens),
PRICE-CLOSE (second-lowest bid within `max_gap` of the lowest, and that close rarely by
chance at the tender's rounding and spread, cardinal-rs R024) and
PRICE-DISCOUNT (lowest bid `min_gap` or more below the second-lowest, R058).

PRICE-CLOSE and PRICE-DISCOUNT judge one project against fixed thresholds; over a
historical table `witness screen` takes the fences from the file's own gaps instead.

When: prices are judged once the opening session closes (`opening.closed`), when every
bid has been read out (唱标), so each case is raised once on the full set of prices and
its id is stable; a `bid.opened` arriving after that re-judges the project (the same
ids update). The price read out at `bid.opened` wins over the submitted one (it is the
figure the bidders heard); bids never read out keep their submitted price. Nothing is
raised before opening, so no alert can reveal a price while bids are sealed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field

from detectors.base import Context, ProjectDetector
from detectors.price_ladders import (
    Ladder,
    close_gap_chance,
    collision_chance,
    find_ladder,
    unit_of_most,
)
from detectors.price_screens import identical_prices, imhof_flag, rd_chance, screens
from witness.alerts import Alert, make_alert
from witness.events import Event
from witness.thresholds import RuleThresholds, thresholds_section


@thresholds_section("PRICE-40-4")
class RegularPricesThresholds(RuleThresholds):
    """PRICE-40-4: a subset of bids in regular differences or ratios (price_ladders.py)."""

    min_bids: int = Field(3, ge=3)
    max_irregularity: float = Field(
        0.05, gt=0, le=1, description="(max gap - min gap) / mean gap never above this"
    )
    base_3: float = Field(
        0.002, gt=0, le=1, description="tolerance of a 3-bid ladder before C(n,k)"
    )
    base_4: float = Field(0.035, gt=0, le=1)
    base_5: float = Field(0.12, gt=0, le=1)
    search_tolerance: float = Field(
        0.2, gt=0, le=1, description="where the next rung is looked for"
    )
    min_gap_units: float = Field(
        50, ge=0, description="gaps below this many rounding units are not judged"
    )
    rounding_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="a ladder is judged at the rounding this share of the other bids use",
    )
    identical_max_chance: float = Field(
        0.01,
        gt=0,
        le=1,
        description="identical prices fire only when chance alone makes any collision this rare",
    )
    identical_min_range: float = Field(
        0.1,
        ge=0,
        le=1,
        description="the spread chance is judged over: the bids' own, at least this share of the top bid",
    )

    def ladder(self, prices: list[float]) -> Ladder | None:
        if len(set(prices)) < self.min_bids:
            return None
        return find_ladder(
            prices,
            base=(self.base_3, self.base_4, self.base_5),
            max_irregularity=self.max_irregularity,
            search_tolerance=self.search_tolerance,
            min_gap_units=self.min_gap_units,
            rounding_share=self.rounding_share,
        )


@thresholds_section("PRICE-SCREEN")
class PriceScreenThresholds(RuleThresholds):
    """PRICE-SCREEN: Imhof's variance and cover-bid screens."""

    min_bids: int = Field(4, ge=3)
    cv_max: float = Field(0.06, gt=0, le=1, description="CV at or below this ...")
    rd_min: float = Field(1.0, ge=0, description="... with RD above this ...")
    max_chance: float = Field(
        0.005,
        gt=0,
        le=1,
        description="... that independent normal bids reach this rarely flags cover bidding",
    )


@thresholds_section("PRICE-CLOSE")
class CloseBidThresholds(RuleThresholds):
    """PRICE-CLOSE (R024): the second-lowest bid unusually close to the lowest."""

    min_bids: int = Field(3, ge=2)
    max_gap: float = Field(0.002, ge=0, le=1, description="live: gap at or below this")
    max_chance: float = Field(
        0.05,
        gt=0,
        le=1,
        description="live: ... and chance puts the two lowest this close this rarely",
    )
    fence_k: float = Field(1.5, ge=0, le=10, description="witness screen: Q1 - k*IQR")
    min_tenders: int = Field(30, ge=4, description="witness screen: gaps needed for a fence")


@thresholds_section("PRICE-DISCOUNT")
class DiscountBidThresholds(RuleThresholds):
    """PRICE-DISCOUNT (R058): the lowest bid unusually far below the others."""

    min_bids: int = Field(3, ge=2)
    min_gap: float = Field(0.25, gt=0, le=10, description="live: gap at or above this")
    fence_k: float = Field(1.5, ge=0, le=10, description="witness screen: Q3 + k*IQR")
    min_tenders: int = Field(30, ge=4, description="witness screen: gaps needed for a fence")


@dataclass
class PriceState:
    prices: dict[str, float] = field(default_factory=dict)  # bidder -> price
    event_ids: dict[str, str] = field(default_factory=dict)  # bidder -> event of that price
    names: dict[str, str] = field(default_factory=dict)
    read_out: set[str] = field(default_factory=set)  # bidders whose price came from bid.opened
    closed: bool = False


class PriceDetector(ProjectDetector):
    """PRICE-40-4 and PRICE-SCREEN over one project's bid prices."""

    name = "prices"
    rules = ("PRICE-40-4", "PRICE-SCREEN", "PRICE-CLOSE", "PRICE-DISCOUNT")
    types = frozenset({"bid.submitted", "bid.opened", "opening.closed"})

    def initial(self) -> PriceState:
        return PriceState()

    def step(self, state: PriceState, event: Event, ctx: Context) -> tuple[PriceState, list[Alert]]:
        p = event.payload
        if event.type == "bid.submitted":
            bidder = p.bidder.id
            state.names[bidder] = p.bidder.name
            if bidder not in state.read_out:
                state.prices[bidder] = p.price
                state.event_ids[bidder] = event.event_id
            return state, []
        if event.type == "bid.opened":
            state.prices[p.bidder_id] = p.price
            state.event_ids[p.bidder_id] = event.event_id
            state.read_out.add(p.bidder_id)
            if not state.closed:
                return state, []
        else:
            state.closed = True
        return state, self._judge(state, event, ctx)

    def _judge(self, state: PriceState, event: Event, ctx: Context) -> list[Alert]:
        th = ctx.thresholds
        alerts: list[Alert] = []

        def table(bidders) -> list[dict]:
            return [
                {
                    "bidder_id": b,
                    "bidder_name": state.names.get(b),
                    "price": state.prices[b],
                    "event_id": state.event_ids[b],
                }
                for b in sorted(bidders, key=lambda b: (state.prices[b], b))
            ]

        def alert(rule_id: str, identity: dict, bidders, evidence: dict) -> Alert:
            members = sorted(bidders)
            return make_alert(
                rule_id,
                event.project_id,
                identity=identity,
                subjects=members,
                evidence={**evidence, "bids": table(members)},
                event_ids=[state.event_ids[b] for b in members],
                first_seen=event.ts,
                locale=ctx.locale,
            )

        sec = th.typed(RegularPricesThresholds)
        for price, bidders, odds in unlikely_identical_prices(state.prices, sec):
            alerts.append(
                alert(
                    "PRICE-40-4",
                    {"kind": "identical", "price": price},
                    bidders,
                    {"kind": "identical", "price": price, **odds},
                )
            )
        ladder = sec.ladder(list(state.prices.values()))
        if ladder is not None:
            rungs = set(ladder.prices)
            members = {b: p for b, p in state.prices.items() if p in rungs}
            alerts.append(
                alert(
                    "PRICE-40-4",
                    {"kind": "regular"},
                    members,
                    {
                        "kind": "regular",
                        "pattern": ladder.pattern,
                        "ladder_prices": list(ladder.prices),
                        "ladder_bids": len(members),
                        "distinct_prices": len(set(state.prices.values())),
                        "irregularity": round(ladder.irregularity, 6),
                        "tolerance": float(f"{ladder.tolerance:.3g}"),
                        "subsets_considered": ladder.subsets_considered,
                        "rounding_unit": ladder.resolution,
                        "measure": "irregularity = (max gap - min gap + one rounding unit) / "
                        "mean gap over the ladder, the unit being the rounding the other "
                        "bids share (up to the ladder's own); tolerance shrinks with the "
                        "number of subsets of this size the tender holds (C(n, k))",
                        "thresholds": sec.model_dump(),
                    },
                )
            )
        sec = th.section("PRICE-SCREEN")
        s = screens(list(state.prices.values()))
        if imhof_flag(
            s,
            min_bids=sec["min_bids"],
            cv_max=sec["cv_max"],
            rd_min=sec["rd_min"],
            max_chance=sec["max_chance"],
        ):
            alerts.append(
                alert(
                    "PRICE-SCREEN",
                    {"kind": "imhof"},
                    state.prices,
                    {
                        "kind": "imhof",
                        "screens": s.as_dict(),
                        "rd_chance": float(f"{rd_chance(s.rd, s.n):.3g}"),
                        "measure": "rd_chance = share of simulated tenders of as many "
                        "independent normal bids whose RD is at least this tender's",
                        "thresholds": {
                            "cv_max": sec["cv_max"],
                            "rd_min": sec["rd_min"],
                            "max_chance": sec["max_chance"],
                            "min_bids": sec["min_bids"],
                        },
                    },
                )
            )
        alerts.extend(self._gap(state, th, alert))
        return alerts

    @staticmethod
    def _gap(state: PriceState, th, alert) -> list[Alert]:
        """PRICE-CLOSE / PRICE-DISCOUNT on the gap between the two lowest bids."""
        ranked = sorted(state.prices, key=lambda b: (state.prices[b], b))
        n = len(ranked)
        if n < 2:
            return []
        low, second = ranked[0], ranked[1]
        gap = (state.prices[second] - state.prices[low]) / state.prices[low]
        out = []
        close, disc = th.typed(CloseBidThresholds), th.typed(DiscountBidThresholds)
        rounding = th.typed(RegularPricesThresholds).rounding_share
        chance, unit = close_gap_chance(list(state.prices.values()), rounding)
        for rule_id, sec, key, hit, extra in (
            (
                "PRICE-CLOSE",
                close,
                "max_gap",
                gap <= close.max_gap and chance <= close.max_chance,
                {"chance": float(f"{chance:.3g}"), "rounding_unit": unit},
            ),
            ("PRICE-DISCOUNT", disc, "min_gap", gap >= disc.min_gap, {}),
        ):
            if n >= sec.min_bids and hit:
                limits = {key: getattr(sec, key)}
                if extra:
                    limits["max_chance"] = close.max_chance
                evidence = {"gap": round(gap, 6), "bidders": n, **extra, "thresholds": limits}
                out.append(alert(rule_id, {"kind": "gap"}, [low, second], evidence))
        return out


def unlikely_identical_prices(
    prices: dict[str, float], sec: RegularPricesThresholds
) -> list[tuple[float, list[str], dict]]:
    """Identical prices that chance does not explain.

    Round bids over a narrow spread collide by arithmetic (ten bids in whole 10,000s over
    500,000 share a price more often than not; Tsuchiura has such pairs in 14 % of its
    uncartelised auctions); two bids equal to the fen do not. Chance is the birthday
    problem over the grid the tender's bids are rounded to, across their spread.
    """
    same = identical_prices(prices)
    if not same:
        return []
    values = [float(p) for p in prices.values()]
    unit = unit_of_most(values, sec.rounding_share)
    high = max(values)
    low = min(min(values), high * (1 - sec.identical_min_range))
    chance, slots = collision_chance(len(values), low, high, unit)
    if chance > sec.identical_max_chance:
        return []
    odds = {"chance": float(f"{chance:.3g}"), "rounding_unit": unit, "price_slots": slots}
    return [(price, bidders, odds) for price, bidders in same]
