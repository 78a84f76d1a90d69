"""Every rule's evidence for people: a short zh-CN explanation and tables (DESIGN §1:
"enough for a person to judge it without opening another system"); the raw JSON stays
one click away on the wall. `explain(view, names)` is the one entry point.

Rules without an explainer of their own (a rule added later) still get a sentence and
a table of their evidence's plain values, with known keys in words; the test suite
checks that every rule in the catalogue has its own.
"""

from __future__ import annotations

from typing import Any

import dashboards.explain.phrases  # noqa: F401  (registers the explanations' strings)
from dashboards.explain import of_bids, of_experts, of_process, of_review
from dashboards.explain.core import Explainer, Explanation, Names, Table, col, label, num
from witness.i18n import t
from witness.rules import rule

EXPLAINERS: dict[str, Explainer] = {
    "REL-34": of_bids.control,
    "REL-40-1": of_bids.shared_attribute,
    "REL-40-2": of_bids.shared_attribute,
    "REL-40-2-IP": of_bids.shared_attribute,
    "REL-40-3": of_bids.shared_attribute,
    "REL-40-6": of_bids.bond,
    "REL-RING": of_bids.ring,
    "DOC-40-4": of_bids.similar_documents,
    "DOC-40-5": of_bids.mixed_documents,
    "DOC-META": of_bids.same_metadata,
    "PRICE-40-4": of_bids.regular_prices,
    "PRICE-SCREEN": of_bids.price_screens,
    "EXP-AVOID": of_experts.avoid,
    "EXP-COMMITTEE": of_experts.committee,
    "EXP-DEV": of_experts.deviation,
    "EXP-OBJ": of_experts.objective,
    "EXP-CLIQUE": of_experts.clique,
    "EXP-FAVOR": of_experts.favour,
    "EXP-FAST": of_experts.fast,
    "EXP-FOCUS": of_experts.focus,
    "PROC-ORDER": of_process.order,
    "PROC-LATE": of_process.late,
    "PROC-FEW": of_process.few,
    "PROC-CAND": of_process.candidates,
    "VID-OFFLINE": of_process.offline,
    "VID-TAMPER": of_process.tamper,
    "VID-ABSENT": of_process.people,
    "VID-INTRUDER": of_process.people,
    "VID-AFTERHOURS": of_process.afterhours,
    "PROC-SHORT": of_review.short_period,
    "EVAL-TOTAL": of_review.eval_total,
    "EVAL-RANGE": of_review.eval_range,
    "EVAL-ORDER": of_review.eval_order,
    "EVAL-MISSING": of_review.eval_missing,
    "REJ-ALL": of_review.rejected_all,
    "REJ-LOW": of_review.rejected_low,
    "REJ-RATE": of_review.rejected_rate,
    "BID-LOSER": of_review.loser,
    "PRICE-CLOSE": of_review.close_prices,
    "PRICE-DISCOUNT": of_review.discount,
    "BOQ-SAME": of_review.boq_same,
    "BOQ-RATIO": of_review.boq_ratio,
    "BOQ-ERROR": of_review.boq_error,
    "BOQ-MIX": of_review.boq_mix,
    "BOQ-LOCK": of_review.boq_lock,
    "BOQ-UNBAL": of_review.boq_unbalanced,
}


def explain(view: Any, names: Names | None = None) -> Explanation:
    """What the (unsealed) alert's evidence says, for a person."""
    names = names or Names()
    evidence = view.evidence if isinstance(view.evidence, dict) else {}
    names.learn(evidence)
    fn = EXPLAINERS.get(view.rule)
    if fn is not None:
        try:
            return fn(view, evidence, names)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            pass  # an evidence shape this explainer does not know: the generic one below
    return generic(view, evidence, names)


def generic(view: Any, evidence: dict, names: Names) -> Explanation:
    """The rule's title as the sentence; plain values in a table, known keys in words."""
    try:
        title = rule(view.rule).title(t("ex.locale"))
    except KeyError:
        title = view.rule
    subjects = "、".join(names.bidder(s) for s in view.subjects) or "—"
    rows = [
        {col("field"): label("key", k), col("value"): num(v) if not isinstance(v, str) else v}
        for k, v in evidence.items()
        if isinstance(v, str | int | float | bool) and k != "thumbnail"
    ]
    return Explanation(
        t("ex.generic", title=title, subjects=subjects), [Table(t("ex.t.values"), rows)]
    )


__all__ = ["EXPLAINERS", "Explanation", "Names", "Table", "explain"]
