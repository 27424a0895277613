"""Label shift: target class priors recovered, and what adjusting to them gains.

Protocol
--------
Data: the bundled ``load_credit_default()`` (29 532 rows, 22.4 % defaults,
integer columns) and ``load_mushroom()`` (8 124 rows, 48.2 % poisonous, 21
categorical columns), each pooled over its domains, so that ``p(x | y)`` is
the same on both sides and only the class priors differ (pure label shift,
the assumption of EM and BBSE). Per seed (``--seeds``, 0..9): the rows are
shuffled and halved; the first half is the labeled source, at its natural
prior; from the second half ``2 * --n-target`` rows (1500 + 1500) are drawn
without replacement with exactly ``round(p * n)`` positives for the target
prior ``p`` in ``--priors`` (2 %, 10 %, 30 %, 50 %), then split in two with the
same count of positives: unlabeled target rows given to ``fit``, and test
rows. Where the target half cannot supply that many rows at every prior
(Mushroom: too few edible rows for 98 % of 3000), ``n_t`` is lowered, the
same for every prior and seed of the data set (the tables give it).

Learners (``--learners``): ``logreg``, one-hot encoding of the categorical
columns and standardisation of the others, then
``LogisticRegression(max_iter=1000)``; ``hgb``,
``HistGradientBoostingClassifier(categorical_features="from_dtype",
random_state=seed)``.

Rows per (data set, learner, seed, prior):

- ``none``: the learner fitted on the source rows, unadjusted (source-only:
  without target labels there is no target-only or pooled baseline);
- ``em``, ``bbse``: ``LabelShiftAdapter(learner, method=...,
  n_bootstrap=--n-bootstrap, random_state=seed)`` fitted on the source rows
  and the unlabeled target rows; its ``target_priors_`` (error against the
  known prior), its 90 % bootstrap interval (covers the truth or not) and the
  test metrics of its adjusted ``predict_proba``;
- ``oracle``: the unadjusted posteriors moved by Bayes' rule to the true
  target prior (the source prior from the adapter): the most an adjustment can
  gain here, a reference and not a method.

Measured on the test rows: log-loss, Brier score and accuracy; the report
gives the prior's mean absolute error and the interval's coverage per
method, and the paired gain of each adjustment over ``none`` (mean ± standard
error over seeds; "better" or "worse" beyond two standard errors). About
10 minutes on 2 cores to themselves (21 minutes for the committed run,
which shared them)::

    python -m benchmarks run label_shift
    python -m benchmarks run label_shift --datasets mushroom --learners logreg
"""

import logging
import time

import numpy as np
import pandas as pd
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sktransfer import LabelShiftAdapter, stack_domains
from sktransfer.datasets import load_credit_default, load_mushroom

from ..harness import md_table, paired_gain, verdict
from ..harness.options import add_choice_list
from ..harness.stats import BETTER_TIE_WORSE, mean_se
from ..harness.tables import fmt_pm

CODE = ("instance/_label_shift.py", "instance/_label_shift_solvers.py")
SMOKE = {
    "seeds": 1,
    "priors": [0.1],
    "datasets": ["mushroom"],
    "learners": ["logreg"],
    "n_target": 150,
    "n_bootstrap": 5,
}
DATASETS = {"credit": load_credit_default, "mushroom": load_mushroom}
LEARNERS = ("logreg", "hgb")
METHODS = ("none", "em", "bbse", "oracle")
logger = logging.getLogger(__name__)


def add_arguments(parser):
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--priors", type=float, nargs="+", default=[0.02, 0.1, 0.3, 0.5]
    )
    add_choice_list(parser, "--datasets", tuple(DATASETS))
    add_choice_list(parser, "--learners", LEARNERS)
    parser.add_argument(
        "--n-target", type=int, default=1500, help="unlabeled rows, and test rows"
    )
    parser.add_argument("--n-bootstrap", type=int, default=200)


def learner(name, seed):
    if name == "hgb":
        return HistGradientBoostingClassifier(
            categorical_features="from_dtype", random_state=seed
        )
    encode = make_column_transformer(
        (
            OneHotEncoder(handle_unknown="ignore"),
            make_column_selector(dtype_include="category"),
        ),
        remainder=StandardScaler(),
    )
    return make_pipeline(encode, LogisticRegression(max_iter=1000))


def _draw_with_prior(y, rows, prior, n, rng):
    """``n`` of ``rows`` with exactly ``round(prior * n)`` positives."""
    n_positive = int(round(prior * n))
    positives = rng.permutation(rows[y[rows] == 1])[:n_positive]
    negatives = rng.permutation(rows[y[rows] == 0])[: n - n_positive]
    if len(positives) < n_positive or len(negatives) < n - n_positive:
        raise ValueError(
            f"the target half has too few rows for {n} rows at prior {prior}; "
            "lower --n-target"
        )
    return positives, negatives


def split(y, prior, n_target, seed):
    """Source rows, unlabeled target rows and test rows of one seed and prior."""
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(y))
    source, rest = order[: len(y) // 2], order[len(y) // 2 :]
    positives, negatives = _draw_with_prior(y, rest, prior, 2 * n_target, rng)
    half_p, half_n = len(positives) // 2, len(negatives) // 2
    target = np.r_[positives[:half_p], negatives[:half_n]]
    test = np.r_[positives[half_p:], negatives[half_n:]]
    return source, rng.permutation(target), test


def bayes_adjusted(proba, source_priors, target_priors):
    adjusted = proba * (np.asarray(target_priors) / np.asarray(source_priors))
    return adjusted / adjusted.sum(axis=1, keepdims=True)


def test_scores(proba, y):
    return {
        "log_loss": float(log_loss(y, proba, labels=[0, 1])),
        "brier": float(brier_score_loss(y, proba[:, 1])),
        "accuracy": float(accuracy_score(y, proba.argmax(axis=1))),
    }


def target_size(y, priors, n_target):
    """Unlabeled (and test) target rows per split: ``n_target``, or fewer when
    the target half of ``y`` cannot supply every prior of ``priors`` (the
    same for every prior and seed, with a 5 % margin for the halving)."""
    rest = (len(y) - len(y) // 2) * 0.95
    positives, negatives = rest * np.mean(y), rest * (1 - np.mean(y))
    largest = min(positives / max(priors), negatives / (1 - min(priors)))
    return min(n_target, int(largest) // 2)


def one_split(data, name, learner_name, seed, prior, n_target, n_bootstrap):
    X, y = data.X, np.asarray(data.y)
    source, target, test = split(y, prior, n_target, seed)
    Xs, Xt, X_test = (
        X.iloc[rows].reset_index(drop=True) for rows in (source, target, test)
    )
    X_fit, y_fit, sample_domain = stack_domains(
        source=(Xs, y[source]), target=(Xt, None)
    )
    base = {
        "dataset": name,
        "learner": learner_name,
        "seed": seed,
        "prior": prior,
        "n_target": n_target,
    }
    rows, fitted = [], {}
    for method in ("em", "bbse"):
        adapter = LabelShiftAdapter(
            learner(learner_name, seed),
            method=method,
            n_bootstrap=n_bootstrap,
            random_state=seed,
        )
        start = time.perf_counter()
        adapter.fit(X_fit, y_fit, sample_domain=sample_domain)
        seconds = time.perf_counter() - start
        fitted[method] = adapter
        estimate = float(adapter.target_priors_[1])
        interval = adapter.target_priors_interval_
        low, high = (
            (float(interval[0, 1]), float(interval[1, 1]))
            if interval is not None
            else (np.nan, np.nan)
        )
        rows.append(
            {
                **base,
                "method": method,
                "prior_estimate": estimate,
                "prior_error": abs(estimate - prior),
                "interval_low": low,
                "interval_high": high,
                "covered": bool(low <= prior <= high),
                "seconds": seconds,
                **test_scores(adapter.predict_proba(X_test), y[test]),
            }
        )
    proba = fitted["em"].estimator_.predict_proba(X_test)
    source_priors = fitted["em"].source_priors_
    rows.append({**base, "method": "none", **test_scores(proba, y[test])})
    oracle = bayes_adjusted(proba, source_priors, [1 - prior, prior])
    rows.append({**base, "method": "oracle", **test_scores(oracle, y[test])})
    for row in rows:
        row["source_prior"] = float(source_priors[1])
    return rows


def run(options, context):
    for name in options.datasets:
        data = DATASETS[name]()
        n_target = target_size(np.asarray(data.y), options.priors, options.n_target)
        for learner_name in options.learners:
            for prior in options.priors:
                for seed in range(options.seeds):
                    rows = one_split(
                        data,
                        name,
                        learner_name,
                        seed,
                        prior,
                        n_target,
                        options.n_bootstrap,
                    )
                    by = {r["method"]: r for r in rows}
                    logger.info(
                        "%s %s prior %.2f seed %d: em %.3f, bbse %.3f; log-loss "
                        "none %.4f em %.4f bbse %.4f",
                        name,
                        learner_name,
                        prior,
                        seed,
                        by["em"]["prior_estimate"],
                        by["bbse"]["prior_estimate"],
                        by["none"]["log_loss"],
                        by["em"]["log_loss"],
                        by["bbse"]["log_loss"],
                    )
                    yield from rows


def _gain_cell(frame, method, metric, lower_is_better):
    table = frame.pivot(index="seed", columns="method", values=metric)
    if method not in table:
        return "–"
    sign = -1 if lower_is_better else 1
    gain, se, _ = paired_gain(sign * table[method], sign * table["none"])
    spec = "+.4f" if metric != "accuracy" else "+.3f"
    return f"{fmt_pm(gain, se, spec)} {verdict(gain, se, BETTER_TIE_WORSE)}"


def table(rows, meta):
    frame = pd.DataFrame(rows)
    prior_cells, gain_cells = [], []
    for (name, learner_name, prior), group in frame.groupby(
        ["dataset", "learner", "prior"], sort=False
    ):
        head = [
            f"{name} (n_t {group['n_target'].iloc[0]})",
            learner_name,
            f"{group['source_prior'].iloc[0]:.3f}",
            f"{prior:.2f}",
        ]
        cells = list(head)
        for method in ("em", "bbse"):
            part = group[group["method"] == method]
            cells.append(fmt_pm(*mean_se(part["prior_estimate"]), ".3f"))
            cells.append(fmt_pm(*mean_se(part["prior_error"]), ".3f"))
            cells.append(f"{part['covered'].mean():.0%}")
        prior_cells.append(cells)
        for method in ("em", "bbse", "oracle"):
            gain_cells.append(
                [
                    *head,
                    method,
                    _gain_cell(group, method, "log_loss", True),
                    _gain_cell(group, method, "brier", True),
                    _gain_cell(group, method, "accuracy", False),
                ]
            )
    n_seeds = frame["seed"].nunique()
    return "\n".join(
        [
            f"## Target prior of the positive class ({n_seeds} seeds; mean ± "
            "standard error; coverage of the 90 % bootstrap interval)",
            "",
            md_table(
                [
                    "data",
                    "learner",
                    "source prior",
                    "target prior",
                    "EM estimate",
                    "EM abs. error",
                    "EM coverage",
                    "BBSE estimate",
                    "BBSE abs. error",
                    "BBSE coverage",
                ],
                prior_cells,
            ),
            "",
            "## Gain of the adjusted model over the unadjusted (source-only) one",
            "",
            "Paired over seeds on the same test rows: log-loss and Brier "
            "reductions (positive = the adjusted model is better), accuracy "
            "difference; better / worse: beyond two standard errors. The oracle "
            "row adjusts to the true prior: the gain available.",
            "",
            md_table(
                [
                    "data",
                    "learner",
                    "source prior",
                    "target prior",
                    "method",
                    "log-loss reduction",
                    "Brier reduction",
                    "accuracy gain",
                ],
                gain_cells,
            ),
        ]
    )
