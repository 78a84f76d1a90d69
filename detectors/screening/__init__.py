"""Batch screening of a historical bid table (the pure part of `witness screen`).

The command (`witness/commands/screen.py`) reads the CSV and writes the results; every
judgement is made here, from plain rows, so the same logic is tested without files:

- `table`     rows -> tenders, with a count per reason for every row left out;
- `subsets`   summary screens over every subset of 3 or 4 bids (Wallimann, Imhof & Huber);
- `features`  per-tender screens and bidder-history features, as percentiles of the file;
- `score`     the fitted, sign-constrained score and the screens that drove it;
- `fitted`    the shipped parameters (written by `bench/fit_screen.py`);
- `flags`     the rule flags, with fences taken from the file's own distribution;
- `batch`     all of the above for one table, plus the per-flag firing shares;
- `metrics`   AUC and the bidder-grouped folds used to report it.
"""
