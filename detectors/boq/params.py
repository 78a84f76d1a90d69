"""The BOQ rules' thresholds, read once per judgement from `witness/thresholds.toml`."""

from __future__ import annotations

from dataclasses import dataclass

from witness.config import Thresholds


@dataclass(frozen=True)
class BoqParams:
    fixed_names: tuple[str, ...]
    price_tol: float
    public_abs_tol: float
    public_rel_tol: float
    common_share: float
    common_min: int
    default_share: float
    max_rows: int
    same_share: float
    same_min: int
    ratio_share: float
    ratio_min: int
    ratio_abs_tol: float
    ratio_rel_tol: float
    error_min_shared: int
    error_qty_tol: float
    error_arith_tol: float
    error_common_share: float
    error_common_min: int
    mix_share: float
    mix_min: int
    mix_tol: float
    mix_min_base: int
    lock_generic: frozenset[str]
    unbal_deviation: float
    unbal_agree: float
    unbal_min: int
    unbal_overlap: float
    unbal_max_chance: float
    unbal_common_share: float
    unbal_common_min: int

    @classmethod
    def from_thresholds(cls, th: Thresholds) -> BoqParams:
        from detectors.boq.bills import norm_text

        g, s, r = th.section("BOQ"), th.section("BOQ-SAME"), th.section("BOQ-RATIO")
        e, m, u = th.section("BOQ-ERROR"), th.section("BOQ-MIX"), th.section("BOQ-UNBAL")
        return cls(
            fixed_names=tuple(g["fixed_names"]),
            price_tol=float(g["price_tolerance"]),
            public_abs_tol=float(g["public_abs_tol"]),
            public_rel_tol=float(g["public_rel_tol"]),
            common_share=float(g["common_share"]),
            common_min=int(g["common_min_bidders"]),
            default_share=float(g["default_share"]),
            max_rows=int(g["max_evidence_items"]),
            same_share=float(s["share"]),
            same_min=int(s["min_items"]),
            ratio_share=float(r["share"]),
            ratio_min=int(r["min_items"]),
            ratio_abs_tol=float(r["abs_tol"]),
            ratio_rel_tol=float(r["rel_tol"]),
            error_min_shared=int(e["min_shared"]),
            error_qty_tol=float(e["quantity_tolerance"]),
            error_arith_tol=float(e["arithmetic_tolerance"]),
            error_common_share=float(e["common_share"]),
            error_common_min=int(e["common_min_bidders"]),
            mix_share=float(m["share"]),
            mix_min=int(m["min_items"]),
            mix_tol=float(m["tolerance"]),
            mix_min_base=int(m["min_base_components"]),
            lock_generic=frozenset(norm_text(v) for v in th.get("BOQ-LOCK", "generic_values")),
            unbal_deviation=float(u["deviation"]),
            unbal_agree=float(u["agree"]),
            unbal_min=int(u["min_items"]),
            unbal_overlap=float(u["overlap"]),
            unbal_max_chance=float(u["max_chance"]),
            unbal_common_share=float(u["common_share"]),
            unbal_common_min=int(u["common_min_bidders"]),
        )
