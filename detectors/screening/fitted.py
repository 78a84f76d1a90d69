"""Fitted parameters of the `witness screen` score. Written by bench/fit_screen.py;
do not edit by hand (`bench/fit_screen.py --check` and a test compare them with a refit).

Trained on the Tsuchiura auctions (sha256 of the CSV in DATA_SHA256), label
`auction_cartelized`; REPORT holds the cross-validated AUCs (5 folds grouped by the
tender's winner; prices only is label-free, not fitted: its AUC is measured on the same
folds), BASELINE the price score fitted with fixed directions that it replaced, and
SINGLE the AUC of each screen alone, in its literature direction.
"""

DATA_SHA256 = "6a3e4dfb8284abd76550f6a8cf3822c34e31fe0d9100f730c46372942ac02853"
TENDERS = 1466
POSITIVES = 876
MODELS = {
    "prices+bidders": {
        "intercept": 0.4434,
        "weights": {
            "cv": 0.5672,
            "spd": 0.0,
            "diffp": 0.0,
            "rd": 0.0,
            "kurt": 0.0,
            "skew": 0.0,
            "ks": 0.373,
            "cv3_min": 0.2182,
            "cv4_min": 0.441,
            "spd4_min": 0.1862,
            "rd3_med": 0.0632,
            "rd4_mean": 0.0435,
            "diffp3_max": 0.5808,
            "skew4_med": 0.248,
            "near_share": 0.0,
            "loss_rate": 0.1478,
            "winner_loss": 0.0,
            "cobid_mean": 0.834,
            "cobid_min": 1.5711,
        },
    },
    "prices+reserve": {
        "intercept": 0.4051,
        "weights": {
            "cv": 0.0,
            "spd": 0.0,
            "diffp": 0.0,
            "rd": 0.0,
            "kurt": 0.0,
            "skew": 0.0,
            "ks": 0.3082,
            "cv3_min": 0.2428,
            "cv4_min": 0.3059,
            "spd4_min": 0.0,
            "rd3_med": 0.1501,
            "rd4_mean": 0.0124,
            "diffp3_max": 0.6696,
            "skew4_med": 0.1317,
            "near_share": 0.0744,
            "win_ratio": 0.8259,
            "mean_ratio": 0.3775,
        },
    },
    "prices+bidders+reserve": {
        "intercept": 0.4472,
        "weights": {
            "cv": 0.0,
            "spd": 0.0,
            "diffp": 0.0,
            "rd": 0.0,
            "kurt": 0.0,
            "skew": 0.0,
            "ks": 0.4126,
            "cv3_min": 0.1784,
            "cv4_min": 0.467,
            "spd4_min": 0.1807,
            "rd3_med": 0.0,
            "rd4_mean": 0.0779,
            "diffp3_max": 0.8476,
            "skew4_med": 0.1328,
            "near_share": 0.0,
            "win_ratio": 0.5125,
            "mean_ratio": 0.5454,
            "loss_rate": 0.154,
            "winner_loss": 0.0,
            "cobid_mean": 0.9514,
            "cobid_min": 1.4479,
        },
    },
}
REPORT = {
    "prices": {
        "cv_auc": 0.5517,
        "fold_aucs": [0.5446, 0.521, 0.5865, 0.609, 0.5076],
        "tenders": 1466,
    },
    "prices+bidders": {
        "cv_auc": 0.6696,
        "fold_aucs": [0.5888, 0.6557, 0.7186, 0.6847, 0.7073],
        "tenders": 1466,
    },
    "prices+reserve": {
        "cv_auc": 0.5718,
        "fold_aucs": [0.5654, 0.534, 0.6398, 0.6096, 0.5364],
        "tenders": 1466,
    },
    "prices+bidders+reserve": {
        "cv_auc": 0.6758,
        "fold_aucs": [0.6, 0.6491, 0.7329, 0.6877, 0.7157],
        "tenders": 1466,
    },
}
BASELINE = {
    "cv_auc": 0.5486,
    "fold_aucs": [0.5241, 0.5456, 0.6143, 0.5958, 0.4983],
    "tenders": 1466,
}
SINGLE = {
    "cv": [0.5525, 1466, 0.5525],
    "spd": [0.5511, 1466, 0.5511],
    "diffp": [0.4754, 1466, 0.4754],
    "rd": [0.5313, 1197, 0.5217],
    "kurt": [0.5128, 794, 0.5083],
    "skew": [0.5434, 1219, 0.5382],
    "ks": [0.526, 1219, 0.5233],
    "cv3_min": [0.5506, 1219, 0.5471],
    "cv4_min": [0.5579, 794, 0.5424],
    "spd4_min": [0.5567, 794, 0.5381],
    "rd3_med": [0.5428, 1197, 0.5389],
    "rd4_mean": [0.5492, 790, 0.5307],
    "diffp3_max": [0.4746, 1219, 0.4778],
    "skew4_med": [0.5547, 794, 0.5369],
    "near_share": [0.4656, 1466, 0.4656],
    "win_ratio": [0.5723, 1466, 0.5723],
    "mean_ratio": [0.5759, 1466, 0.5759],
    "loss_rate": [0.5676, 1466, 0.5676],
    "winner_loss": [0.4965, 1451, 0.4964],
    "cobid_mean": [0.6535, 1466, 0.6535],
    "cobid_min": [0.6691, 1466, 0.6691],
}
LABEL_RESTATED_BY_MIN_PARTICIPATION = 0.9971
