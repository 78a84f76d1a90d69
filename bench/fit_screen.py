"""Fit the `witness screen` score on the Tsuchiura auctions and write its parameters.

    .venv/bin/python bench/fit_screen.py            # fit, print the figures, write fitted.py
    .venv/bin/python bench/fit_screen.py --check    # fit and compare with the shipped file

Data: ../shared/data/tsuchiura/tsuchiura_data.csv (Chassang, Kawai, Nakabayashi & Ortner,
MIT; see its README). One model per column set a file may have (prices only, + bidder
ids, + reserve price). Prices only is label-free (the rank average of the oriented
percentiles, `detectors/screening/score.py`): nothing is fitted, its figures are only
measured here. The others are sign-constrained logistic regressions over the file's own
oriented percentiles (`detectors/screening/fit.py`).

Figures printed, one table: every single screen's AUC against `auction_cartelized` (in
its literature direction, no fitting), the price score as main shipped it before the
label-free one (fitted weights, fixed directions: refitted here, the baseline of the same
run), and each shipped model; fitted ones out-of-fold, all with the same 5 folds grouped
by the tender's winner (no firm's wins on both sides of a split), pooled and per fold.

Read the label with care: in this file `is_cartel` is 1 exactly for the 68 firms that
bid in 30 or more of the auctions (the other 201 bid in at most 28), and
`auction_cartelized` is 1 exactly when every bidder of the auction is such a firm. A
feature counting participations restates the label (its AUC is printed as a warning,
and no shipped feature counts participations).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from detectors.screening.features import (  # noqa: E402
    FEATURES,
    directional_percentiles,
    tender_features,
)
from detectors.screening.fit import cross_validate, fit_logistic  # noqa: E402
from detectors.screening.metrics import auc, grouped_folds  # noqa: E402
from detectors.screening.score import (  # noqa: E402
    CONSENSUS,
    percentile_matrix,
    score_tenders,
    variant,
    variant_features,
)
from detectors.screening.table import BidTable, Columns, build_table  # noqa: E402

#: shared/ sits beside the clone (CI) or beside the folder of worktrees (development).
DATA = next(
    (
        p
        for base in (ROOT.parent, ROOT.parent.parent)
        if (p := base / "shared/data/tsuchiura/tsuchiura_data.csv").is_file()
    ),
    ROOT.parent / "shared/data/tsuchiura/tsuchiura_data.csv",
)
OUT = ROOT / "detectors/screening/fitted.py"
VARIANTS = [(False, False), (True, False), (False, True), (True, True)]
FOLDS = 5


def folded_auc(scores: list[float], y: np.ndarray, groups: list[str | None]) -> dict:
    """AUC of a score that is not fitted, pooled and on the same grouped folds."""
    folds = grouped_folds(groups, FOLDS)
    labels = list(y.astype(int))
    per = []
    for i in range(FOLDS):
        a = auc(
            [s for s, f in zip(scores, folds, strict=True) if f == i],
            [lab for lab, f in zip(labels, folds, strict=True) if f == i],
        )
        if a is not None:
            per.append(round(a[0], 4))
    return {"cv_auc": round(auc(scores, labels)[0], 4), "fold_aucs": per, "tenders": len(y)}


def load(path: Path, *, bidders: bool, reserve: bool) -> BidTable:
    cols = Columns(
        tender="pid",
        price="bid",
        bidder="bidder_id" if bidders else None,
        winner="winner",
        reserve="reserveprice" if reserve else None,
        label="auction_cartelized",
    )
    with path.open(newline="", encoding="utf-8") as fh:
        return build_table(csv.DictReader(fh), cols)


def fit_all(path: Path) -> dict:
    """Every model, its cross-validated AUC, and the single-screen AUCs."""
    full = load(path, bidders=True, reserve=True)
    keep = [t for t in full.tenders.values() if len(t.bids) >= 2 and t.label not in (None, "")]
    keep_ids = {t.tender for t in keep}
    groups = [t.winner for t in keep]
    y = np.array([1.0 if t.label.strip() in ("1", "1.0") else 0.0 for t in keep])
    models, report = {}, {}
    for has_b, has_r in VARIANTS:
        name = variant(has_b, has_r)
        table = load(path, bidders=has_b, reserve=has_r)
        table.tenders = {k: v for k, v in table.tenders.items() if k in keep_ids}
        rows = tender_features(table)
        names = variant_features(name)
        if name == CONSENSUS:
            scored = score_tenders(rows, [len(t.bids) for t in table.tenders.values()], name)
            report[name] = folded_auc([s.score for s in scored.tenders], y, groups)
            # before: weights fitted on this file, fixed literature directions, no turning
            pct = directional_percentiles(rows, names)
            x = np.column_stack([pct[m] - 0.5 for m in names])
            cv = cross_validate(x, y, names, groups, k=FOLDS)
            baseline = {
                "cv_auc": cv.pooled_auc,
                "fold_aucs": list(cv.fold_aucs),
                "tenders": cv.rows,
            }
            continue
        x = percentile_matrix(rows, names)
        fitted = fit_logistic(x, y, names)
        cv = cross_validate(x, y, names, groups, k=FOLDS)
        models[name] = {"intercept": fitted.intercept, "weights": fitted.weights}
        report[name] = {
            "cv_auc": cv.pooled_auc,
            "fold_aucs": list(cv.fold_aucs),
            "tenders": cv.rows,
        }
    rows = tender_features(full)
    rows = [r for r, t in zip(rows, full.tenders.values(), strict=True) if t.tender in keep_ids]
    labels = list(y.astype(int))
    single, single_folds = {}, {}
    whole = directional_percentiles(rows, list(FEATURES))
    for m, spec in FEATURES.items():
        # [AUC where defined, tenders where defined, AUC over all tenders (undefined = 0.5)]
        a = auc([None if r.get(m) is None else spec.direction * r[m] for r in rows], labels)
        everywhere = auc(list(whole[m]), labels)
        single[m] = None if a is None else [round(a[0], 4), a[1], round(everywhere[0], 4)]
        single_folds[m] = folded_auc(list(whole[m]), y, groups)["fold_aucs"]
    participation = {}
    for t in full.tenders.values():
        for b in t.bidders:
            participation[b] = participation.get(b, 0) + 1
    restated = auc([min(participation[b] for b in t.bidders) for t in keep], labels)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        "models": models,
        "report": report,
        "baseline": baseline,
        "single_folds": single_folds,
        "single": single,
        "label_restated_by_min_participation": round(restated[0], 4) if restated else None,
        "data_sha256": digest,
        "tenders": len(keep),
        "positives": int(y.sum()),
    }


def render(result: dict) -> str:
    import pprint

    header = (
        '"""Fitted parameters of the `witness screen` score. Written by bench/fit_screen.py;\n'
        "do not edit by hand (`bench/fit_screen.py --check` and a test compare them with a refit).\n\n"
        "Trained on the Tsuchiura auctions (sha256 of the CSV in DATA_SHA256), label\n"
        "`auction_cartelized`; REPORT holds the cross-validated AUCs (5 folds grouped by the\n"
        "tender's winner; prices only is label-free, not fitted: its AUC is measured on the same\n"
        "folds), BASELINE the price score fitted with fixed directions that it replaced, and\n"
        'SINGLE the AUC of each screen alone, in its literature direction.\n"""\n\n'
    )
    body = [
        f"DATA_SHA256 = {result['data_sha256']!r}",
        f"TENDERS = {result['tenders']}",
        f"POSITIVES = {result['positives']}",
        f"MODELS = {pprint.pformat(result['models'], sort_dicts=False, width=90)}",
        f"REPORT = {pprint.pformat(result['report'], sort_dicts=False, width=90)}",
        f"BASELINE = {pprint.pformat(result['baseline'], sort_dicts=False, width=90)}",
        f"SINGLE = {pprint.pformat(result['single'], sort_dicts=False, width=90)}",
        f"LABEL_RESTATED_BY_MIN_PARTICIPATION = {result['label_restated_by_min_participation']!r}",
    ]
    return header + "\n".join(body) + "\n"


def print_figures(result: dict) -> None:
    single = {k: v for k, v in result["single"].items() if v is not None}
    best = max(single.items(), key=lambda kv: kv[1][2])
    best_price = max(
        ((k, v) for k, v in single.items() if FEATURES[k].needs == "prices"),
        key=lambda kv: kv[1][2],
    )
    print(
        f"tenders with >= 2 bids and a label: {result['tenders']} ({result['positives']} cartelised)"
    )
    print("AUC against auction_cartelized; folds: 5, grouped by the tender's winner")
    print(f"  {'screen or score':52} {'AUC':>6}  folds          (where defined, n)")

    def line(name: str, a: float, folds: list[float], extra: str = "") -> None:
        spread = f"{min(folds):.3f}-{max(folds):.3f}" if folds else ""
        print(f"  {name:52} {a:6.3f}  {spread:13}  {extra}")

    for m, (a, n, a_all) in sorted(single.items(), key=lambda kv: -kv[1][2]):
        line(f"{m} ({FEATURES[m].needs})", a_all, result["single_folds"][m], f"{a:.3f}, {n}")
    base = result["baseline"]
    line("price score BEFORE: fitted, fixed directions", base["cv_auc"], base["fold_aucs"])
    for name, rep in result["report"].items():
        how = "label-free rank average" if name == CONSENSUS else "fitted, out-of-fold"
        line(f"score {name} ({how})", rep["cv_auc"], rep["fold_aucs"])
    print(
        f"best single screen: {best[0]} {best[1][2]:.3f}; of the price screens "
        f"{best_price[0]} {best_price[1][2]:.3f}"
    )
    print(
        "warning: min participation of the tender's bidders alone reaches AUC "
        f"{result['label_restated_by_min_participation']:.3f}: the label is a participation "
        "threshold (is_cartel <=> >= 30 auctions); no shipped feature counts participations"
    )


def values(result: dict) -> dict:
    """What fitted.py must hold for `result` (compared by value, not by formatting)."""
    return {
        "DATA_SHA256": result["data_sha256"],
        "TENDERS": result["tenders"],
        "POSITIVES": result["positives"],
        "MODELS": result["models"],
        "REPORT": result["report"],
        "BASELINE": result["baseline"],
        "SINGLE": result["single"],
        "LABEL_RESTATED_BY_MIN_PARTICIPATION": result["label_restated_by_min_participation"],
    }


def shipped() -> dict:
    from detectors.screening import fitted

    return {k: getattr(fitted, k, None) for k in values({k: None for k in _RESULT_KEYS})}


_RESULT_KEYS = (
    "data_sha256",
    "tenders",
    "positives",
    "models",
    "report",
    "baseline",
    "single",
    "label_restated_by_min_participation",
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--check", action="store_true", help="compare with the shipped fitted.py")
    args = p.parse_args(argv)
    result = fit_all(args.data)
    print_figures(result)
    text = render(result)
    if args.check:
        same = shipped() == values(result)
        print("fitted.py matches a refit" if same else "fitted.py differs from a refit")
        return 0 if same else 1
    OUT.write_text(text, "utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
