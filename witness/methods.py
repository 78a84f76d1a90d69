"""Evaluation methods (评标办法): whether scores or the evaluated price decide.

Under 综合评分法/综合评估法 the committee's scores decide and a report's totals are scores;
under a lowest-price method (经评审的最低投标价法, 最低评标价法 …) the evaluated price
decides and the totals are prices, lowest first. Platforms spell the methods freely, so a
method is price-decided when its name says "最低" (lowest) or "lowest".
"""

from __future__ import annotations

#: Words that mark a lowest-price method.
LOWEST_PRICE_MARKS = ("最低", "lowest")


def lowest_price_method(method: str | None) -> bool:
    return bool(method) and any(m in method.lower() for m in LOWEST_PRICE_MARKS)
