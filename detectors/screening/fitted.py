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
        "intercept": 0.4433,
        "weights": {
            "cv": 0.578,
            "spd": 0.0,
            "diffp": 0.0,
            "rd": 0.0,
            "kurt": 0.0,
            "skew": 0.0,
            "ks": 0.3776,
            "cv3_min": 0.2157,
            "cv4_min": 0.4427,
            "spd4_min": 0.1834,
            "rd3_med": 0.0214,
            "rd4_mean": 0.0491,
            "diffp3_max": 0.5963,
            "skew4_med": 0.2735,
            "near_share": 0.0,
            "loss_rate": 0.1485,
            "winner_loss": 0.0,
            "cobid_mean": 0.8328,
            "cobid_min": 1.5738,
        },
    },
    "prices+reserve": {
        "intercept": 0.405,
        "weights": {
            "cv": 0.0,
            "spd": 0.0,
            "diffp": 0.0,
            "rd": 0.0,
            "kurt": 0.0,
            "skew": 0.0,
            "ks": 0.3104,
            "cv3_min": 0.2417,
            "cv4_min": 0.3055,
            "spd4_min": 0.0,
            "rd3_med": 0.1126,
            "rd4_mean": 0.0167,
            "diffp3_max": 0.6804,
            "skew4_med": 0.1545,
            "near_share": 0.0787,
            "win_ratio": 0.8316,
            "mean_ratio": 0.3814,
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
            "ks": 0.4112,
            "cv3_min": 0.1789,
            "cv4_min": 0.4662,
            "spd4_min": 0.1815,
            "rd3_med": 0.0,
            "rd4_mean": 0.0765,
            "diffp3_max": 0.848,
            "skew4_med": 0.1351,
            "near_share": 0.0,
            "win_ratio": 0.5119,
            "mean_ratio": 0.5455,
            "loss_rate": 0.1544,
            "winner_loss": 0.0,
            "cobid_mean": 0.9515,
            "cobid_min": 1.4479,
        },
    },
}
REPORT = {
    "prices": {
        "cv_auc": 0.5512,
        "fold_aucs": [0.5436, 0.521, 0.5865, 0.6087, 0.5074],
        "tenders": 1466,
    },
    "prices+bidders": {
        "cv_auc": 0.6697,
        "fold_aucs": [0.5888, 0.6557, 0.7186, 0.685, 0.7078],
        "tenders": 1466,
    },
    "prices+reserve": {
        "cv_auc": 0.5714,
        "fold_aucs": [0.5649, 0.5334, 0.639, 0.6094, 0.5358],
        "tenders": 1466,
    },
    "prices+bidders+reserve": {
        "cv_auc": 0.6758,
        "fold_aucs": [0.6002, 0.6493, 0.7331, 0.6876, 0.716],
        "tenders": 1466,
    },
}
BASELINE = {
    "cv_auc": 0.5483,
    "fold_aucs": [0.5239, 0.5456, 0.6138, 0.5934, 0.4977],
    "tenders": 1466,
}
SINGLE = {
    "cv": [0.5525, 1466, 0.5525],
    "spd": [0.5511, 1466, 0.5511],
    "diffp": [0.4754, 1466, 0.4754],
    "rd": [0.531, 1197, 0.5213],
    "kurt": [0.5127, 794, 0.5083],
    "skew": [0.5434, 1219, 0.5382],
    "ks": [0.5258, 1219, 0.5232],
    "cv3_min": [0.5506, 1219, 0.5471],
    "cv4_min": [0.5579, 794, 0.5424],
    "spd4_min": [0.5567, 794, 0.5381],
    "rd3_med": [0.5412, 1197, 0.5378],
    "rd4_mean": [0.5492, 790, 0.5306],
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
