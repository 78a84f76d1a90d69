"""The BOQ rules' thresholds: one typed section per rule plus [BOQ] for what they share.

The defaults and bounds live here; `witness/thresholds.toml` is the commented copy a
centre edits (a test keeps the two equal). `BoqParams` is what one judgement reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from witness.config import Thresholds
from witness.thresholds import RuleThresholds, thresholds_section


@thresholds_section("BOQ")
class BoqSharedThresholds(RuleThresholds):
    """[BOQ]: fixed items, what counts as the same price, what is public, evidence size."""

    fixed_names: tuple[str, ...] = (
        "暂列金额",
        "暂估价",
        "安全文明施工费",
        "安全文明施工措施费",
        "规费",
        "税金",
    )
    price_tolerance: float = Field(0.005, ge=0, le=1, description="yuan")
    public_abs_tol: float = Field(0.03, ge=0, le=10, description="yuan")
    public_rel_tol: float = Field(0.001, ge=0, le=0.1)
    common_share: float = Field(0.6, ge=0, le=1)
    common_min_bidders: int = Field(3, ge=2)
    default_share: float = Field(0.5, ge=0, le=1)
    max_evidence_items: int = Field(30, ge=1, le=1000)


class _ShareOfItems(RuleThresholds):
    """A pair rule that fires on a share of the items compared, given enough of them."""

    share: float = Field(0.80, gt=0, le=1)
    min_items: int = Field(10, ge=1)


@thresholds_section("BOQ-SAME")
class SamePricesThresholds(_ShareOfItems):
    """BOQ-SAME: identical unit prices on most items both priced."""


@thresholds_section("BOQ-RATIO")
class ScaledPricesThresholds(_ShareOfItems):
    """BOQ-RATIO: one bill a constant ratio or difference of another."""

    abs_tol: float = Field(0.03, ge=0, le=10, description="yuan")
    rel_tol: float = Field(0.001, ge=0, le=0.1)
    #: A fit this close to b = a says "nearly the same prices", which two honest bills on
    #: the same quota and 信息价 reach (profit rates of 13.4 % and 13.5 %); identical
    #: prices are BOQ-SAME's to judge, to the fen.
    min_departure: float = Field(0.005, ge=0, le=0.5)


@thresholds_section("BOQ-ERROR")
class SharedErrorsThresholds(RuleThresholds):
    """BOQ-ERROR: the same deviations from the tender bill."""

    min_shared: int = Field(2, ge=1)
    quantity_tolerance: float = Field(0.0001, ge=0, le=1)
    arithmetic_tolerance: float = Field(0.015, ge=0, le=100, description="yuan")
    common_share: float = Field(0.6, ge=0, le=1)
    common_min_bidders: int = Field(3, ge=2)


@thresholds_section("BOQ-MIX")
class SameMixThresholds(_ShareOfItems):
    """BOQ-MIX: the same cost build-up item by item."""

    tolerance: float = Field(0.005, ge=0, le=1)
    #: Yuan: what rounding five components to the fen, in both bills, can move an item
    #: (the shares may differ by this over the item's price, up to `tolerance`).
    rounding: float = Field(0.06, ge=0, le=10, description="yuan")
    #: Items whose two prices are nearly (not to the fen) the same, within this share of
    #: each other, are left out: there the shares agree because the prices do (nearly
    #: equal rates), which says nothing of a build-up kept while the prices were moved.
    min_repricing: float = Field(0.005, ge=0, le=0.5)
    min_base_components: int = Field(2, ge=1, le=3)


@thresholds_section("BOQ-LOCK")
class SameLockThresholds(RuleThresholds):
    """BOQ-LOCK: values that name no licence are never a match."""

    generic_values: tuple[str, ...] = (
        "",
        "0",
        "00000000",
        "0000000000000000",
        "none",
        "null",
        "n/a",
        "无",
        "试用版",
        "trial",
        "demo",
        "演示版",
        "免费版",
        "unknown",
        "未知",
    )


@thresholds_section("BOQ-UNBAL")
class UnbalancedThresholds(RuleThresholds):
    """BOQ-UNBAL: several bidders unbalanced the same items the same way."""

    deviation: float = Field(0.40, gt=0, le=10)
    agree: float = Field(0.15, ge=0, le=5, description="log ratio")
    min_items: int = Field(6, ge=1)
    overlap: float = Field(0.5, ge=0, le=1)
    max_chance: float = Field(1e-6, gt=0, le=1)
    common_share: float = Field(0.6, ge=0, le=1)
    common_min_bidders: int = Field(3, ge=2)
    lean: float = Field(
        0.75, gt=0, le=1, description="share of the deviation that counts as leaning the same way"
    )
    follower_share: float = Field(
        0.9,
        gt=0,
        le=1,
        description="a bill at the control price on this share of its items priced nothing itself",
    )
    min_each_way: int = Field(
        2, ge=0, description="shared items raised and shared items lowered, each at least"
    )
    field_off: float = Field(
        0.5,
        ge=0,
        le=10,
        description="share of the deviation: where the median bidder is this far off the "
        "control price, deviations are measured from the median bidder",
    )


@dataclass(frozen=True)
class BoqParams:
    """Every section a judgement reads, validated once."""

    shared: BoqSharedThresholds
    same: SamePricesThresholds
    ratio: ScaledPricesThresholds
    error: SharedErrorsThresholds
    mix: SameMixThresholds
    lock: SameLockThresholds
    unbal: UnbalancedThresholds

    @classmethod
    def from_thresholds(cls, th: Thresholds) -> BoqParams:
        return cls(
            th.typed(BoqSharedThresholds),
            th.typed(SamePricesThresholds),
            th.typed(ScaledPricesThresholds),
            th.typed(SharedErrorsThresholds),
            th.typed(SameMixThresholds),
            th.typed(SameLockThresholds),
            th.typed(UnbalancedThresholds),
        )

    @property
    def lock_generic(self) -> frozenset[str]:
        from detectors.boq.bills import norm_text

        return frozenset(norm_text(v) for v in self.lock.generic_values)
