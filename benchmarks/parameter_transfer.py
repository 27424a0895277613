"""Parameter transfer on the learning curve: few labeled target rows, a source model.

Measures the estimators of :mod:`sktransfer.parameter` against the three
no-transfer baselines when 10, 20, 50, 100 or 200 target rows are labeled.

Tasks (``--tasks``; all by default):

* ``concept_s<S>_n<NOISE>_d<D>`` -- :func:`sktransfer.datasets.make_domain_shift`
  with ``shift="concept"``: ``x ~ N(0, I_D)`` in both domains, label
  ``1[w(theta) . x + NOISE * eps > 0]`` with ``w(theta) = cos(theta) e1 +
  sin(theta) e2``, ``theta = 0`` in the source and ``S * pi / 4`` in the
  target; the other ``D - 2`` features are irrelevant. 2000 source rows and
  4000 target rows, drawn afresh for every seed (``random_state=seed``). The
  settings are those of ``--concept-settings`` (``S:NOISE:D``; default
  ``0.5:0.1:20`` and ``1.0:0.1:20``, rotations by 22.5 and 45 degrees).
* ``concept_reg_...`` -- the same generator with ``task="regression"``
  (``y = w(theta) . x + NOISE * eps``), the same settings, with Ridge.
* ``20ng_rec_vs_talk``, ``20ng_rec_vs_sci``, ``20ng_sci_vs_talk`` -- 20
  Newsgroups top categories as in Dai et al. (2007), built from Long et al.'s
  ``20newsgroups_tl_topcats_long`` .mat files (words x documents, transposed)
  by ``_tradaboost_data.load_20newsgroups_task_long``: two sub-groups of each
  top category are the source, the two others the target
  (``rec.autos, rec.motorcycles`` / ``rec.sport.*``; ``sci.crypt,
  sci.electronics`` / ``sci.med, sci.space``; ``talk.politics.guns,
  talk.politics.misc`` / ``talk.politics.mideast, talk.religion.misc``).
  The stored weights, each document scaled to unit Euclidean length.
* ``amazon_books->dvd``, ``amazon_books->elec``, ``amazon_dvd->kitchen``,
  ``amazon_elec->kitchen`` -- ``amazon_review_400`` (400 word features, rows
  are term frequencies summing to 1; about 2000 reviews per domain),
  standardized with a ``StandardScaler`` fitted on the source rows and the
  target pool (below; no labels, no test row).
* ``reuters_people_vs_places``, ``reuters_orgs_vs_people``,
  ``reuters_orgs_vs_places`` -- ``reuters_tl_splits_long`` ``*_1.mat``
  (Dai et al.'s source -> target direction; ``_reuters.load_reuters_task``),
  documents scaled to unit length.

Protocol, per task and seed: the target rows are split in half (stratified
by class, seeded): the *test* half is only scored, the *pool* half gives the
labeled target rows. For each n in ``--n-labeled``, n rows of the pool are
labeled (``_tradaboost_data.labeled_target_split``: stratified, at least one
per class); the other pool rows are not used. Every method is trained on the
source rows and those n target rows and scored on the same test half, so
methods are paired by (task, n, seed). Seeds: ``--seeds`` for the synthetic
tasks, ``--text-seeds`` for Amazon and Reuters, ``--newsgroups-seeds`` for 20
Newsgroups (fewer: their 22k features make the boosting's trees slow).

Methods (classification; base learner ``LogisticRegression(max_iter=1000)``
everywhere):

* ``source_only`` -- ``LR(C)`` on the source rows, one model per C of the
  C grid, the one whose inner-CV log-loss on the labeled target folds is best
  (what ``GridSearchCV(LabeledOnly(LR, domains="source"))`` over the same
  folds would choose: its every fold refits the same source model, so the
  driver fits each candidate once). The chosen model is also the source
  model of the three estimators below that take one, given as
  ``FrozenEstimator(source)`` (identical to passing the unfitted ``LR(C)``,
  which is then fitted on the same rows inside ``fit``; checked once, see
  "Check" in the report);
* ``target_only`` -- ``LabeledOnly(LR, domains="target")``, C tuned;
* ``pooled`` -- ``LabeledOnly(LR)`` on source + labeled target rows, C tuned;
* ``regular_transfer`` -- ``RegularTransferLogisticRegression(source, C=C,
  strength=strength)``, strength on ``np.logspace(-2, 3, 6)`` and C on the C
  grid tuned together (``strength -> 0``: target-only LR(C); ``-> inf``: the
  source model). Its C is tuned too because the source model's C, chosen
  for the source model's own log-loss, can be far too strong a penalty for
  the target fit (seed 0 of the 45-degree rotation picks C = 0.01, and with
  that C the strength search falls back on the source model);
* ``regular_transfer_acc`` -- the same estimator and grid, chosen by the
  inner-CV accuracy, ties (frequent with 2-10 rows per fold) broken by the
  log-loss. Added because log-loss favours the source prior where the
  target-only fit is accurate but unconfident (20 Newsgroups: see the
  diagnostic below);
* ``source_boosting`` -- ``SourceBoostingClassifier(source)`` (boosting from
  the LR margin; learning_rate 0.1, max_depth 3, min_samples_leaf 5,
  l2_regularization 1, the defaults), n_estimators tuned on {0, 10, 30, 100}
  (0 is the source model). Sparse tasks: CSR rows (5x faster than the same
  rows dense for 20 Newsgroups at n = 200);
* ``feature_augmentation`` -- ``make_transfer_pipeline(FeatureAugmentation(),
  LR)`` on source + labeled target rows, C tuned;
* ``interpolated`` -- ``InterpolatedTransferClassifier(source, LR(C))``, C
  the one target-only chose (Daume's LININT mixes the tuned source-only and
  target-only models), with its own defaults: mixing weight in
  ``linspace(0, 1, 11)`` chosen by its internal 5-fold CV (log-loss) on the
  labeled target rows.

"Tuned" = ``GridSearchCV(refit=True)`` over the labeled target rows only:
``TargetStratifiedKFold(k, shuffle=True, random_state=seed)`` with ``k = min(5,
rows of the smallest class)`` below 100 labeled rows and ``k = 3`` from 100 on
(to keep the boosting's search affordable) (source rows always train; each test fold is
labeled target rows), scored by ``TargetScorer("neg_log_loss")`` (accuracy on
2-10 rows per fold ties too often to choose), ``sample_domain`` passed as a fit
parameter and ``groups=sample_domain`` for the splitter (metadata routing
off). C grid: {0.01, 0.1, 1, 10}. The test half never takes part.

Regression (``concept_reg_*``): the same with ``Ridge`` (alpha on the C grid,
chosen like C: for the source model, target-only, pooled and
FeatureAugmentation + Ridge), ``RegularTransferRidge(source, alpha,
strength)`` (both tuned as above), ``SourceBoostingRegressor(source)`` (n_estimators
tuned as above), ``InterpolatedTransferRegressor(source, Ridge())``;
``TargetKFold(min(5, n), shuffle=True)``, ``TargetScorer(
"neg_mean_squared_error")``; the score is the test RMSE (lower is better).

Diagnostic (no choice made from it): on ``20ng_rec_vs_sci``, seed 0, n = 20,
RegularTransferLR at C = 10 along the strength grid with the inner-CV
log-loss and accuracy and the test accuracy and log-loss side by side.

Each (task, seed) is one job; ``--n-jobs`` worker processes (at most 2) with
``--blas-threads`` BLAS threads each (1: on a shared 2-core machine, two
threads per process made a 10-row fit 10-50x slower). The ``sktransfer``
package is copied at the start and every process imports the copy.

Results: ``<out-dir>/<name>.json`` (meta + one record per task, n, seed and
method) and ``<name>.md``; ``--report-only`` rewrites the ``.md``.

Full run (from the project root; 11-12 minutes on 2 shared cores)::

    .venv/bin/python benchmarks/parameter_transfer.py

Smoke run (about a minute; writes ``parameter_transfer_quick.*``)::

    .venv/bin/python benchmarks/parameter_transfer.py --quick
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import time
import warnings
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _run  # noqa: E402
from _provenance import run_header, snapshot_package  # noqa: E402
from _report import command_line, fmt_load, machine_line, md_table, verdict  # noqa: E402

logger = logging.getLogger("parameter_transfer")

DATA_DIR = HERE.parent.parent / "shared" / "data"
N_LABELED = (10, 20, 50, 100, 200)
CONCEPT_SETTINGS = ("0.5:0.1:20", "1.0:0.1:20")
N_SOURCE_SYNTHETIC, N_TARGET_SYNTHETIC = 2000, 4000
NEWSGROUPS = ("rec_vs_talk", "rec_vs_sci", "sci_vs_talk")
AMAZON = ("books->dvd", "books->elec", "dvd->kitchen", "elec->kitchen")
REUTERS = ("people_vs_places", "orgs_vs_people", "orgs_vs_places")

C_GRID = (0.01, 0.1, 1.0, 10.0)
STRENGTH_GRID = tuple(float(s) for s in np.logspace(-2, 3, 6))
BOOSTING_ROUNDS = (0, 10, 30, 100)
# Inner folds: at most 5 below 100 labeled rows, 3 from 100 on (cost).
MAX_FOLDS, MAX_FOLDS_LARGE, LARGE_N = 5, 3, 100

BASELINES = ("source_only", "target_only", "pooled")
TRANSFER = (
    "regular_transfer",
    "regular_transfer_acc",
    "source_boosting",
    "feature_augmentation",
    "interpolated",
)
# Rows that are not a method's score.
EXTRA_ROWS = ("check", "diagnostic")
METHODS = BASELINES + TRANSFER
LABELS = {
    "classification": {
        "source_only": "source-only LR",
        "target_only": "target-only LR",
        "pooled": "pooled LR",
        "regular_transfer": "RegularTransferLR",
        "regular_transfer_acc": "RegularTransferLR, accuracy-tuned",
        "source_boosting": "SourceBoosting (LR source)",
        "feature_augmentation": "FeatureAugmentation + LR",
        "interpolated": "Interpolated (LININT)",
    },
    "regression": {
        "source_only": "source-only Ridge",
        "target_only": "target-only Ridge",
        "pooled": "pooled Ridge",
        "regular_transfer": "RegularTransferRidge",
        "regular_transfer_acc": "–",
        "source_boosting": "SourceBoostingRegressor (Ridge source)",
        "feature_augmentation": "FeatureAugmentation + Ridge",
        "interpolated": "InterpolatedTransferRegressor",
    },
}
SHORT = {
    "source_only": "src",
    "target_only": "tgt",
    "pooled": "pool",
    "regular_transfer": "RT",
    "regular_transfer_acc": "RT-acc",
    "source_boosting": "SB",
    "feature_augmentation": "FA",
    "interpolated": "LININT",
}
# What each method's hyperparameter is and how it is set (for the report).
HYPERPARAMETERS = {
    "source_only": f"C chosen on {list(C_GRID)}: one source model per C, the one "
    "with the best inner-CV log-loss on the labeled target folds",
    "target_only": f"C tuned on {list(C_GRID)}",
    "pooled": f"C tuned on {list(C_GRID)}",
    "regular_transfer": "strength on np.logspace(-2, 3, 6) and C on "
    f"{list(C_GRID)} tuned together (24 pairs)",
    "regular_transfer_acc": "the same grid, chosen by inner-CV accuracy, ties "
    "broken by log-loss",
    "source_boosting": f"n_estimators tuned on {list(BOOSTING_ROUNDS)}; learning_rate "
    "0.1, max_depth 3, min_samples_leaf 5, l2_regularization 1 (defaults)",
    "feature_augmentation": f"C tuned on {list(C_GRID)}",
    "interpolated": "mixing weight chosen by the estimator's internal 5-fold CV "
    "(log-loss) on linspace(0, 1, 11); target model LR(C) with target-only's "
    "chosen C",
}
HYPERPARAMETERS_REGRESSION = {
    "source_only": f"alpha chosen on {list(C_GRID)} as C for classes",
    "target_only": f"alpha tuned on {list(C_GRID)}",
    "pooled": f"alpha tuned on {list(C_GRID)}",
    "regular_transfer": "strength on np.logspace(-2, 3, 6) and alpha on "
    f"{list(C_GRID)} tuned together",
    "regular_transfer_acc": "not run (classification only)",
    "source_boosting": f"n_estimators tuned on {list(BOOSTING_ROUNDS)}; other "
    "parameters the defaults",
    "feature_augmentation": f"alpha tuned on {list(C_GRID)}",
    "interpolated": "mixing weight by the estimator's internal 5-fold CV (squared "
    "error) on linspace(0, 1, 11); target model Ridge(alpha) with target-only's "
    "chosen alpha",
}
# The parameter reported as "chosen" for each method.
CHOSEN = {
    "source_only": "C",
    "target_only": "C",
    "pooled": "C",
    "regular_transfer": "strength",
    "regular_transfer_acc": "strength",
    "source_boosting": "n_estimators",
    "feature_augmentation": "C",
    "interpolated": "weight",
}


# ------------------------------------------------------------------ tasks ---


def concept_tasks(settings, regression=False):
    """Task names of the ``S:NOISE:D`` concept-shift settings."""
    prefix = "concept_reg" if regression else "concept"
    names = []
    for item in settings:
        strength, noise, n_features = parse_setting(item)
        names.append(f"{prefix}_s{strength:g}_n{noise:g}_d{n_features}")
    return names


def parse_setting(item):
    try:
        strength, noise, n_features = item.split(":")
        return float(strength), float(noise), int(n_features)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected STRENGTH:NOISE:N_FEATURES, got {item!r}"
        ) from None


def task_spec(task):
    """``(family, kind, parameters)`` of a task name."""
    match = re.fullmatch(r"concept(_reg)?_s([0-9.]+)_n([0-9.]+)_d([0-9]+)", task)
    if match:
        kind = "regression" if match.group(1) else "classification"
        return (
            "synthetic",
            kind,
            {
                "strength": float(match.group(2)),
                "noise": float(match.group(3)),
                "n_features": int(match.group(4)),
            },
        )
    family, _, name = task.partition("_")
    if family == "20ng" and name in NEWSGROUPS:
        return "20ng", "classification", {"name": name}
    if family == "amazon" and name in AMAZON:
        return "amazon", "classification", {"name": name}
    if family == "reuters" and name in REUTERS:
        return "reuters", "classification", {"name": name}
    raise argparse.ArgumentTypeError(f"unknown task {task!r}")


@lru_cache(maxsize=4)
def _text_arrays(family, name):
    """Source and target rows of a text task (cached per worker process)."""
    from scipy.io import loadmat
    from sklearn.preprocessing import normalize

    if family == "20ng":
        import _tradaboost_data

        Xs, ys, Xt, yt = _tradaboost_data.load_20newsgroups_task_long(name)
        return normalize(Xs), ys, normalize(Xt), yt
    if family == "reuters":
        import _reuters

        return _reuters.load_reuters_task(name, 1, normalize="l2")
    source, target = name.split("->")

    def load(domain):
        mat = loadmat(DATA_DIR / "amazon_review_400" / f"{domain}_400.mat")
        return mat["fts"].astype(np.float64), mat["labels"].ravel().astype(np.int64)

    return (*load(source), *load(target))


def task_arrays(task, seed):
    """``(Xs, ys, Xt, yt)`` of a task; synthetic tasks are drawn per seed."""
    family, kind, params = task_spec(task)
    if family != "synthetic":
        return _text_arrays(family, params["name"])
    from sktransfer.datasets import make_domain_shift

    X, y, sd = make_domain_shift(
        N_SOURCE_SYNTHETIC,
        N_TARGET_SYNTHETIC,
        params["n_features"],
        shift="concept",
        task=kind,
        strength=params["strength"],
        noise=params["noise"],
        random_state=seed,
    )
    return X[sd >= 0], y[sd >= 0], X[sd < 0], y[sd < 0]


def data_available(task):
    family, _, _ = task_spec(task)
    folder = {
        "20ng": "20newsgroups_tl_topcats_long",
        "amazon": "amazon_review_400",
        "reuters": "reuters_tl_splits_long",
    }.get(family)
    return folder is None or (DATA_DIR / folder).is_dir()


# ----------------------------------------------------------------- splits ---


def split_target(yt, seed, kind):
    """Pool and test halves of the target rows (stratified for classes)."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(yt.shape[0])
    pool, test = train_test_split(
        rows,
        test_size=0.5,
        stratify=yt if kind == "classification" else None,
        random_state=seed,
    )
    return np.sort(pool), np.sort(test)


def labeled_rows(yt, pool, n, seed, kind):
    """``n`` labeled rows of the pool (stratified for classes)."""
    if kind == "classification":
        import _tradaboost_data

        chosen, _ = _tradaboost_data.labeled_target_split(yt[pool], int(n), seed)
        return pool[chosen]
    rng = np.random.default_rng([seed, n])
    return np.sort(rng.choice(pool, n, replace=False))


# ---------------------------------------------------------------- helpers ---


def recorded(function, *args, **kwargs):
    """Call; return (result, seconds, warnings as [{category, message, count}])."""
    with warnings.catch_warnings(record=True) as found:
        warnings.simplefilter("always")
        start = time.perf_counter()
        result = function(*args, **kwargs)
        seconds = time.perf_counter() - start
    counts = Counter((w.category.__name__, str(w.message)[:300]) for w in found)
    return (
        result,
        seconds,
        [{"category": c, "message": m, "count": n} for (c, m), n in counts.items()],
    )


def stack(Xs, ys, X_lab, y_lab):
    """Source rows then labeled target rows, with ``sample_domain`` (1 / -2)."""
    import scipy.sparse as sp

    if sp.issparse(Xs):
        X = sp.vstack([Xs, X_lab], format="csr")
    else:
        X = np.vstack([Xs, X_lab])
    y = np.concatenate([ys, y_lab])
    sd = np.r_[np.ones(ys.shape[0], np.int64), -2 * np.ones(y_lab.shape[0], np.int64)]
    return X, y, sd


def jsonable(value):
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    return value


# ---------------------------------------------------------------- methods ---


def source_models(kind, Xs, ys):
    """One source model per value of ``C_GRID`` (C, or Ridge's alpha)."""
    from sklearn.linear_model import LogisticRegression, Ridge

    out = {}
    for value in C_GRID:
        estimator = (
            LogisticRegression(C=value, max_iter=1000)
            if kind == "classification"
            else Ridge(alpha=value)
        )
        model, seconds, warned = recorded(estimator.fit, Xs, ys)
        out[value] = {"model": model, "seconds": seconds, "warnings": warned}
    return out


def choose_source(kind, candidates, data, seed):
    """The source model's C (alpha), chosen as GridSearchCV would choose it.

    ``GridSearchCV(LabeledOnly(LR, domains="source"), {"estimator__C": C_GRID},
    cv=inner folds)`` refits the same source model in every fold (its training
    rows are all the source rows, whatever the fold), so the search reduces
    to scoring each candidate on the same test folds: the mean over folds of
    the same scorer, ties to the first value of the grid.
    """
    cv, scorer, _ = inner_cv(kind, data["y_lab"], seed)
    X, y, sd = data["X_stacked"], data["y_stacked"], data["sd_stacked"]
    folds = [test for _, test in cv.split(X, y, groups=sd)]
    scores = {
        value: float(np.mean([scorer(c["model"], X[test], y[test]) for test in folds]))
        for value, c in candidates.items()
    }
    best = max(scores, key=scores.get)
    return best, scores[best]


def method_specs(kind, source, seed):
    """``{method: (estimator, grid or None, training rows)}``.

    Training rows: ``"stacked"`` (source + labeled target, with
    ``sample_domain``) or ``"target"`` (the labeled target rows alone: the
    source model is frozen, so the estimator needs no source row). The
    interpolation's target model gets its C (alpha) from target-only's
    search, in ``_run_job``.
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LogisticRegression, Ridge

    from sktransfer import LabeledOnly, make_transfer_pipeline
    from sktransfer.parameter import (
        FeatureAugmentation,
        InterpolatedTransferClassifier,
        InterpolatedTransferRegressor,
        RegularTransferLogisticRegression,
        RegularTransferRidge,
        SourceBoostingClassifier,
        SourceBoostingRegressor,
    )

    frozen = FrozenEstimator(source)
    if kind == "classification":

        def base(C=1.0):
            return LogisticRegression(C=C, max_iter=1000)

        return {
            "target_only": (
                LabeledOnly(base(), domains="target"),
                {"estimator__C": C_GRID},
                "stacked",
            ),
            "pooled": (LabeledOnly(base()), {"estimator__C": C_GRID}, "stacked"),
            "regular_transfer": (
                RegularTransferLogisticRegression(frozen),
                {"C": C_GRID, "strength": STRENGTH_GRID},
                "target",
            ),
            "regular_transfer_acc": (
                RegularTransferLogisticRegression(frozen),
                {"C": C_GRID, "strength": STRENGTH_GRID},
                "target",
                "accuracy",
            ),
            "source_boosting": (
                SourceBoostingClassifier(frozen, random_state=seed),
                {"n_estimators": BOOSTING_ROUNDS},
                "target",
            ),
            "feature_augmentation": (
                make_transfer_pipeline(FeatureAugmentation(), base()),
                {"logisticregression__estimator__C": C_GRID},
                "stacked",
            ),
            "interpolated": (
                InterpolatedTransferClassifier(frozen, base(), random_state=seed),
                None,
                "target",
            ),
        }
    return {
        "target_only": (
            LabeledOnly(Ridge(), domains="target"),
            {"estimator__alpha": C_GRID},
            "stacked",
        ),
        "pooled": (LabeledOnly(Ridge()), {"estimator__alpha": C_GRID}, "stacked"),
        "regular_transfer": (
            RegularTransferRidge(frozen),
            {"alpha": C_GRID, "strength": STRENGTH_GRID},
            "target",
        ),
        "source_boosting": (
            SourceBoostingRegressor(frozen, random_state=seed),
            {"n_estimators": BOOSTING_ROUNDS},
            "target",
        ),
        "feature_augmentation": (
            make_transfer_pipeline(FeatureAugmentation(), Ridge()),
            {"ridge__estimator__alpha": C_GRID},
            "stacked",
        ),
        "interpolated": (
            InterpolatedTransferRegressor(frozen, Ridge(), random_state=seed),
            None,
            "target",
        ),
    }


def inner_cv(kind, y_lab, seed):
    from sktransfer.model_selection import (
        TargetKFold,
        TargetScorer,
        TargetStratifiedKFold,
    )

    most = MAX_FOLDS if y_lab.shape[0] < LARGE_N else MAX_FOLDS_LARGE
    if kind == "classification":
        k = int(min(most, np.bincount(y_lab).min()))
        cv = TargetStratifiedKFold(k, shuffle=True, random_state=seed)
        return cv, TargetScorer("neg_log_loss"), k
    k = int(min(most, y_lab.shape[0]))
    return (
        TargetKFold(k, shuffle=True, random_state=seed),
        (TargetScorer("neg_mean_squared_error")),
        k,
    )


def chosen_value(method, model):
    """The hyperparameter the fit chose, for the report (RT: its strength)."""
    if method == "interpolated":
        return float(model.weight_)
    params = model.best_params_
    if method in ("regular_transfer", "regular_transfer_acc"):
        return jsonable(params["strength"])
    (value,) = params.values()
    return jsonable(value)


def score(kind, model, X, y):
    pred = model.predict(X)
    if kind == "classification":
        return float(np.mean(pred == y))
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def accuracy_then_log_loss(cv_results):
    """``GridSearchCV`` refit rule: best mean accuracy, ties by log-loss."""
    accuracy = np.round(cv_results["mean_test_accuracy"], 12)
    tied = np.flatnonzero(accuracy == accuracy.max())
    return int(tied[np.argmax(cv_results["mean_test_log_loss"][tied])])


def fit_method(method, spec, kind, data, seed):
    """Fit (tuned or not) one method; return the fitted model and record."""
    from sklearn.model_selection import GridSearchCV

    from sktransfer.model_selection import TargetScorer

    estimator, grid, rows, *selection = spec
    if rows == "stacked":
        X, y, sd = data["X_stacked"], data["y_stacked"], data["sd_stacked"]
    else:
        X = data["X_lab"]
        y = data["y_lab"]
        sd = -2 * np.ones(y.shape[0], dtype=np.int64)
    record = {"n_train_rows": int(y.shape[0])}
    if grid is None:
        model, seconds, warned = recorded(estimator.fit, X, y, sample_domain=sd)
        record["cv_score"] = (
            float(np.max(model.cv_scores_)) if model.cv_scores_ is not None else None
        )
    else:
        cv, scorer, k = inner_cv(kind, data["y_lab"], seed)
        refit = True
        if selection == ["accuracy"]:
            scorer = {
                "accuracy": TargetScorer("accuracy"),
                "log_loss": TargetScorer("neg_log_loss"),
            }
            refit = accuracy_then_log_loss
        search = GridSearchCV(
            estimator, grid, cv=cv, scoring=scorer, refit=refit, error_score="raise"
        )
        model, seconds, warned = recorded(search.fit, X, y, groups=sd, sample_domain=sd)
        if refit is True:
            record["cv_score"] = float(model.best_score_)
        else:
            record["cv_score"] = float(
                model.cv_results_["mean_test_accuracy"][model.best_index_]
            )
        record["folds"] = k
        record["best_params"] = {
            key.rsplit("__", 1)[-1]: jsonable(value)
            for key, value in model.best_params_.items()
        }
    record.update(
        {
            "fit_seconds": seconds,
            "chosen": chosen_value(method, model),
            "warnings": warned,
        }
    )
    return model, record


DIAGNOSTIC_TASK = "20ng_rec_vs_sci"
DIAGNOSTIC_C = 10.0


def strength_diagnostic(source, data, y_test, seed):
    """RegularTransferLR along the strength grid at C = 10 on one cell.

    Inner-CV log-loss and accuracy (the search's folds) next to the test
    accuracy and test log-loss, to show what each tuning score prefers;
    strength 0 is target-only LR(C = 10). Not used to choose anything.
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.metrics import log_loss
    from sklearn.model_selection import GridSearchCV

    from sktransfer.model_selection import TargetScorer
    from sktransfer.parameter import RegularTransferLogisticRegression

    X, y = data["X_lab"], data["y_lab"]
    sd = -2 * np.ones(y.shape[0], dtype=np.int64)
    cv, _, _ = inner_cv("classification", y, seed)
    strengths = [0.0, *STRENGTH_GRID]
    search = GridSearchCV(
        RegularTransferLogisticRegression(FrozenEstimator(source), C=DIAGNOSTIC_C),
        {"strength": strengths},
        cv=cv,
        scoring={
            "accuracy": TargetScorer("accuracy"),
            "log_loss": TargetScorer("neg_log_loss"),
        },
        refit=False,
    ).fit(X, y, groups=sd, sample_domain=sd)
    out = []
    X_test = data["X_test"]
    for i, strength in enumerate(strengths):
        model = RegularTransferLogisticRegression(
            FrozenEstimator(source), C=DIAGNOSTIC_C, strength=strength
        ).fit(X, y)
        proba = model.predict_proba(X_test)
        out.append(
            {
                "strength": strength,
                "cv_log_loss": -float(search.cv_results_["mean_test_log_loss"][i]),
                "cv_accuracy": float(search.cv_results_["mean_test_accuracy"][i]),
                "test_accuracy": float(np.mean(model.predict(X_test) == y_test)),
                "test_log_loss": float(log_loss(y_test, proba, labels=model.classes_)),
                "mean_confidence": float(np.mean(np.max(proba, axis=1))),
            }
        )
    proba = source.predict_proba(X_test)
    out.append(
        {
            "strength": "source model",
            "cv_log_loss": None,
            "cv_accuracy": None,
            "test_accuracy": float(np.mean(source.predict(X_test) == y_test)),
            "test_log_loss": float(log_loss(y_test, proba, labels=source.classes_)),
            "mean_confidence": float(np.mean(np.max(proba, axis=1))),
        }
    )
    return out


def consistency_check(kind, Xs, ys, data, source, seed):
    """Frozen source model against the unfitted one fitted inside ``fit``.

    Fixed hyperparameters (strength 1, 30 rounds, the default weights): the
    largest absolute difference of the test predictions (probabilities for
    classes).
    """
    from sklearn.base import clone
    from sklearn.frozen import FrozenEstimator

    from sktransfer.parameter import (
        InterpolatedTransferClassifier,
        InterpolatedTransferRegressor,
        RegularTransferLogisticRegression,
        RegularTransferRidge,
        SourceBoostingClassifier,
        SourceBoostingRegressor,
    )

    classes = kind == "classification"
    makers = {
        "regular_transfer": lambda s: (
            RegularTransferLogisticRegression(s, strength=1.0)
            if classes
            else RegularTransferRidge(s, strength=1.0)
        ),
        "source_boosting": lambda s: (
            SourceBoostingClassifier(s, n_estimators=30, random_state=seed)
            if classes
            else SourceBoostingRegressor(s, n_estimators=30, random_state=seed)
        ),
        "interpolated": lambda s: (
            InterpolatedTransferClassifier(s, random_state=seed)
            if classes
            else InterpolatedTransferRegressor(s, random_state=seed)
        ),
    }
    out = {}
    X_test = data["X_test"]
    for method, make in makers.items():
        fitted_inside = make(clone(source)).fit(
            data["X_stacked"], data["y_stacked"], sample_domain=data["sd_stacked"]
        )
        frozen = make(FrozenEstimator(source)).fit(data["X_lab"], data["y_lab"])
        predict = "predict_proba" if classes else "predict"
        a = getattr(fitted_inside, predict)(X_test)
        b = getattr(frozen, predict)(X_test)
        out[method] = float(np.max(np.abs(a - b)))
    return out


# ------------------------------------------------------------------- jobs ---


def run_job(task, seed, settings):
    """Every n and method of one task and seed; one record per (n, method)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(settings["blas_threads"]):
        return _run_job(task, seed, settings)


def _run_job(task, seed, settings):
    from sklearn.preprocessing import StandardScaler

    start = time.perf_counter()
    load = os.getloadavg()[0]
    family, kind, params = task_spec(task)
    Xs, ys, Xt, yt = task_arrays(task, seed)
    pool, test = split_target(yt, seed, kind)
    if family == "amazon":
        scaler = StandardScaler().fit(np.vstack([Xs, Xt[pool]]))
        Xs, Xt = scaler.transform(Xs), scaler.transform(Xt)
    candidates = source_models(kind, Xs, ys)
    X_test, y_test = Xt[test], yt[test]
    common = {
        "task": task,
        "family": family,
        "kind": kind,
        "seed": seed,
        "n_source": int(ys.shape[0]),
        "n_target": int(yt.shape[0]),
        "n_test": int(test.shape[0]),
        "n_features": int(Xs.shape[1]),
        "load1_at_start": load,
    }
    records = []
    for n in settings["n_labeled"]:
        if n > pool.shape[0] - 2:
            continue
        lab = labeled_rows(yt, pool, n, seed, kind)
        X_lab, y_lab = Xt[lab], yt[lab]
        X_stacked, y_stacked, sd_stacked = stack(Xs, ys, X_lab, y_lab)
        data = {
            "X_lab": X_lab,
            "y_lab": y_lab,
            "X_stacked": X_stacked,
            "y_stacked": y_stacked,
            "sd_stacked": sd_stacked,
            "X_test": X_test,
        }
        cell = {**common, "n_labeled": int(n)}
        value, cv_score = choose_source(kind, candidates, data, seed)
        source = candidates[value]["model"]
        records.append(
            {
                **cell,
                "method": "source_only",
                "score": score(kind, source, X_test, y_test),
                "fit_seconds": sum(c["seconds"] for c in candidates.values()),
                "n_train_rows": int(ys.shape[0]),
                "chosen": value,
                "cv_score": cv_score,
                "warnings": candidates[value]["warnings"],
            }
        )
        target_value = None
        for method, spec in method_specs(kind, source, seed).items():
            if method not in settings["methods"]:
                continue
            if method == "interpolated" and target_value is not None:
                name = "C" if kind == "classification" else "alpha"
                spec[0].set_params(**{f"target_estimator__{name}": target_value})
            model, record = fit_method(method, spec, kind, data, seed)
            if method == "target_only":
                target_value = record["chosen"]
            record["score"] = score(kind, model, X_test, y_test)
            records.append({**cell, "method": method, **record})
        check_n = 20 if 20 in settings["n_labeled"] else settings["n_labeled"][0]
        if task == DIAGNOSTIC_TASK and seed == 0 and n == check_n:
            records.append(
                {
                    **cell,
                    "method": "diagnostic",
                    "curve": strength_diagnostic(source, data, y_test, seed),
                }
            )
        if settings["check"] and family == "synthetic" and seed == 0 and n == check_n:
            records.append(
                {
                    **cell,
                    "method": "check",
                    "frozen_vs_unfitted": consistency_check(
                        kind, Xs, ys, data, source, seed
                    ),
                }
            )
    seconds = time.perf_counter() - start
    for r in records:
        r["job_seconds"] = seconds
    return records


def describe(records):
    r = records[0]
    scores = Counter()
    counts = Counter()
    for x in records:
        if x["method"] not in EXTRA_ROWS:
            scores[x["method"]] += x["score"]
            counts[x["method"]] += 1
    return (
        f"{r['task']} seed {r['seed']}: "
        + ", ".join(f"{SHORT[m]} {scores[m] / counts[m]:.3f}" for m in counts)
        + f" (mean over n; {r['job_seconds']:.0f} s)"
    )


# ---------------------------------------------------------------- summary ---


def _frame(rows):
    import pandas as pd

    frame = pd.DataFrame([r for r in rows if r["method"] not in EXTRA_ROWS])
    return frame


def higher_is_better(kind):
    return kind == "classification"


def cell_stats(frame):
    """Mean, standard error and seed count per (task, n, method)."""
    grouped = frame.groupby(["task", "n_labeled", "method"])["score"]
    stats = grouped.agg(["mean", "std", "count"])
    stats["se"] = stats["std"] / np.sqrt(stats["count"])
    return stats


def paired_gain(table, a, b, sign):
    """Mean and SE of ``sign * (a - b)`` over the seeds of a pivoted cell."""
    diff = (sign * (table[a] - table[b])).dropna()
    n = diff.shape[0]
    se = float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return float(diff.mean()), se, n


def gains(frame):
    """Per (task, n, transfer method): gain over the best baseline and over each."""
    import pandas as pd

    out = []
    for (task, n), cell in frame.groupby(["task", "n_labeled"], sort=False):
        kind = cell["kind"].iloc[0]
        sign = 1.0 if higher_is_better(kind) else -1.0
        table = cell.pivot(index="seed", columns="method", values="score")
        present = [b for b in BASELINES if b in table]
        means = table[present].mean()
        best = means.idxmax() if sign > 0 else means.idxmin()
        for method in TRANSFER:
            if method not in table:
                continue
            gain, se, pairs = paired_gain(table, method, best, sign)
            row = {
                "task": task,
                "kind": kind,
                "n_labeled": n,
                "method": method,
                "best_baseline": best,
                "gain": gain,
                "se": se,
                "pairs": pairs,
                "verdict": verdict(gain, se),
            }
            for b in present:
                g, s, _ = paired_gain(table, method, b, sign)
                row[f"gain_vs_{b}"] = g
                row[f"se_vs_{b}"] = s
                row[f"verdict_vs_{b}"] = verdict(g, s)
            row["beats_all"] = all(row[f"verdict_vs_{b}"] == "win" for b in present)
            out.append(row)
    return pd.DataFrame(out)


def _ms(mean, se, digits=3):
    if not np.isfinite(se):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def _pm(mean, se, digits=3):
    if not np.isfinite(se):
        return f"{mean:+.{digits}f}"
    return f"{mean:+.{digits}f} ± {se:.{digits}f}"


def score_table(stats, task, methods, kind):
    header = ["n labeled"] + [LABELS[kind][m] for m in methods]
    rows = []
    ns = sorted({n for (t, n, _) in stats.index if t == task})
    for n in ns:
        row = [str(n)]
        values = {
            m: stats.loc[(task, n, m)] for m in methods if (task, n, m) in stats.index
        }
        present = [m for m in BASELINES if m in values]
        pick = max if higher_is_better(kind) else min
        best = pick(present, key=lambda m: values[m]["mean"]) if present else None
        for m in methods:
            if m not in values:
                row.append("–")
                continue
            text = _ms(values[m]["mean"], values[m]["se"])
            row.append(f"**{text}**" if m == best else text)
        rows.append(row)
    return md_table(header, rows)


def gain_table(task_gains, kind):
    methods = [m for m in TRANSFER if m in set(task_gains.method)]
    header = ["n labeled", "best baseline"] + [LABELS[kind][m] for m in methods]
    rows = []
    for n, cell in task_gains.groupby("n_labeled"):
        cell = cell.set_index("method")
        row = [str(n), SHORT[cell.best_baseline.iloc[0]]]
        for m in methods:
            g = cell.loc[m]
            mark = " ★" if g.beats_all else ""
            row.append(f"{_pm(g.gain, g.se)} {g.verdict}{mark}")
        rows.append(row)
    return md_table(header, rows)


def chosen_table(frame, task, kind):
    """Median (range) over seeds of each method's chosen hyperparameter."""
    part = frame[frame.task == task]
    c = "C" if kind == "classification" else "alpha"
    pulled = ("regular_transfer", "regular_transfer_acc")
    columns = []
    for m, name in CHOSEN.items():
        if m not in set(part.method):
            continue
        if m in pulled:
            columns += [(m, "strength"), (m, c)]
        else:
            columns.append((m, name))
    header = ["n labeled"] + [
        f"{SHORT[m]}: {c if name in ('C', 'estimator__C') else name}"
        for m, name in columns
    ]
    rows = []
    for n, cell in part.groupby("n_labeled"):
        row = [str(n)]
        for m, name in columns:
            block = cell[cell.method == m]
            if m in pulled:
                values = block["best_params"].map(lambda p, key=name: p[key])
            else:
                values = block["chosen"]
            values = values.dropna().astype(float)
            if values.empty:
                row.append("–")
            elif m == "interpolated":
                row.append(f"{values.mean():.2f}")
            else:
                row.append(f"{values.median():g} ({_spread(values)})")
        rows.append(row)
    return md_table(header, rows)


def _spread(values):
    return f"{values.min():g}-{values.max():g}"


def summary_table(all_gains, tasks):
    methods = [m for m in TRANSFER if m in set(all_gains.method)]
    header = ["task"] + [SHORT[m] for m in methods]
    rows = []
    totals = {m: Counter() for m in methods}
    for task in tasks:
        part = all_gains[all_gains.task == task]
        if part.empty:
            continue
        row = [task]
        for m in methods:
            counts = part[part.method == m].verdict.value_counts()
            totals[m].update(counts.to_dict())
            row.append(
                " / ".join(str(int(counts.get(v, 0))) for v in ("win", "tie", "loss"))
                if counts.sum()
                else "–"
            )
        rows.append(row)
    rows.append(
        ["**all**"]
        + [
            " / ".join(str(totals[m].get(v, 0)) for v in ("win", "tie", "loss"))
            for m in methods
        ]
    )
    return md_table(header, rows)


def concept_answer(all_gains, stats, frame):
    """The concept-shift question: beats all three baselines at 20-50 labels?"""
    part = all_gains[
        all_gains.task.str.startswith("concept_")
        & ~all_gains.task.str.startswith("concept_reg")
        & all_gains.n_labeled.isin([20, 50])
    ]
    if part.empty:
        return None
    header = [
        "setting",
        "n",
        "method",
        "vs target-only",
        "vs pooled",
        "vs source-only",
        "beats all three",
    ]
    rows = []
    winners = []
    for _, g in part.iterrows():
        cells = []
        for b in ("target_only", "pooled", "source_only"):
            cells.append(
                f"{_pm(g[f'gain_vs_{b}'], g[f'se_vs_{b}'])} {g[f'verdict_vs_{b}']}"
            )
        rows.append(
            [
                g.task,
                str(g.n_labeled),
                SHORT[g.method],
                *cells,
                "**yes**" if g.beats_all else "no",
            ]
        )
        if g.beats_all:
            winners.append((g.task, int(g.n_labeled), g.method))
    regime_rows = []
    for task in sorted(set(part.task), key=_task_order_key):
        ns = sorted({n for (t, n, _) in stats.index if t == task})
        src = stats.loc[(task, ns[0], "source_only")]["mean"]
        tgt = {n: stats.loc[(task, n, "target_only")]["mean"] for n in ns}
        pooled = {n: stats.loc[(task, n, "pooled")]["mean"] for n in ns}
        best_any = {
            n: max(
                stats.loc[(task, n, m)]["mean"]
                for m in METHODS
                if (task, n, m) in stats.index
            )
            for n in ns
        }
        _, _, p = task_spec(task)
        regime_rows.append(
            [
                task,
                f"{p['strength'] * 45:g}°",
                f"{src:.3f}",
                " / ".join(f"{tgt[n]:.3f}" for n in ns),
                " / ".join(f"{pooled[n]:.3f}" for n in ns),
                " / ".join(f"{best_any[n]:.3f}" for n in ns),
            ]
        )
    crossings, gap = [], 0.0
    for task in sorted(set(part.task), key=_task_order_key):
        ns = sorted({n for (t, n, _) in stats.index if t == task})
        gap = max(
            gap,
            *(
                abs(
                    stats.loc[(task, n, "pooled")]["mean"]
                    - stats.loc[(task, n, "source_only")]["mean"]
                )
                for n in ns
            ),
        )
        ns = sorted({n for (t, n, _) in stats.index if t == task})
        over = [
            n
            for n in ns
            if stats.loc[(task, n, "target_only")]["mean"]
            > max(
                stats.loc[(task, n, "source_only")]["mean"],
                stats.loc[(task, n, "pooled")]["mean"],
            )
        ]
        crossings.append(
            f"{task}: target-only passes source-only and pooled from n = "
            f"{over[0] if over else 'never (in the n run)'}"
        )
    regime = md_table(
        [
            "setting",
            "rotation",
            "source-only",
            "target-only at n = " + " / ".join(map(str, ns)),
            "pooled",
            "best method (any)",
        ],
        regime_rows,
    )
    regime += (
        "\n\nWhere the curves cross: "
        + "; ".join(crossings)
        + f". Pooled is within {gap:.3f} of source-only in every cell (2000 source "
        "rows outweigh at most 200 target rows), so the three baselines reduce to "
        "two regimes: below the crossing the source model is the best baseline "
        "and transfer can only win by correcting it with few rows; above it "
        "target-only is, and transfer can only win by regularising it."
    )
    return md_table(header, rows), winners, regime


def _diagnostic_reading(curve):
    """One generated sentence on the strength diagnostic."""
    points = [c for c in curve if c["cv_log_loss"] is not None]
    by_loss = min(points, key=lambda c: c["cv_log_loss"])
    by_accuracy = max(points, key=lambda c: c["cv_accuracy"])
    zero = points[0]
    source = curve[-1]
    return (
        f"Target-only (strength 0) reaches test accuracy {zero['test_accuracy']:.3f} "
        f"with a mean confidence of only {zero['mean_confidence']:.3f}; the source "
        f"model reaches {source['test_accuracy']:.3f} at confidence "
        f"{source['mean_confidence']:.3f}. The inner-CV log-loss is lowest at "
        f"strength {by_loss['strength']:g} (test accuracy "
        f"{by_loss['test_accuracy']:.3f}), the inner-CV accuracy highest at "
        f"strength {by_accuracy['strength']:g} (test accuracy "
        f"{by_accuracy['test_accuracy']:.3f})"
        + (
            ": an accurate but unconfident target fit loses on log-loss to a "
            "confident prior, so log-loss tuning pulls towards the source here."
            if by_loss["strength"] > by_accuracy["strength"]
            and zero["mean_confidence"] < source["mean_confidence"]
            else "."
        )
    )


def _task_order_key(task):
    return task


def warning_section(rows):
    counts, where, example = Counter(), {}, {}
    for r in rows:
        for w in r.get("warnings") or []:
            key = (
                w["category"],
                r["method"],
                re.sub(r"[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?", "#", w["message"]),
            )
            counts[key] += w["count"]
            where.setdefault(key, Counter())[r["task"]] += w["count"]
            example.setdefault(key, w["message"])
    if not counts:
        return ["- none"]
    lines = []
    for key, count in counts.most_common():
        places = ", ".join(f"{t} ×{c}" for t, c in where[key].most_common(6))
        lines.append(
            f"- {key[0]} ×{count}, {key[1]} ({places}"
            f"{', ...' if len(where[key]) > 6 else ''}). Example: {example[key][:240]}"
        )
    return lines


# --------------------------------------------------------------- markdown ---


def write_markdown(path, rows, meta):
    frame = _frame(rows)
    checks = [r for r in rows if r["method"] == "check"]
    s = meta["settings"]
    v = meta["versions"]
    stats = cell_stats(frame)
    all_gains = gains(frame)
    tasks = [t for t in meta["tasks"] if t in set(frame.task)]
    lines = [
        "# Parameter transfer on the learning curve (10-200 labeled target rows)",
        "",
        command_line(meta),
        f"- started {meta['started']}, finished {meta.get('finished', '?')} "
        f"({meta.get('seconds', 0) / 60:.1f} min wall time, {s['n_jobs']} worker "
        f"process(es) x {s['blas_threads']} BLAS thread(s))",
        machine_line(meta),
        f"- load averages (1, 5, 15 min): {fmt_load(meta['loadavg_start'])} at start, "
        f"{fmt_load(meta.get('loadavg_end'))} at end (the machine was shared)",
        f"- sktransfer {v['sktransfer']} (working tree at {meta['git_head'][:10]}"
        f"{', sktransfer/ modified vs HEAD' if meta['source_modified'] else ''}; "
        "copied at the start, every process used the copy; sha1 "
        + ", ".join(
            f"`{name}` {meta[key][:12]}"
            for key, name in (
                ("linear_sha1", "parameter/_linear.py"),
                ("solvers_sha1", "parameter/_prior_solvers.py"),
                ("boosting_sha1", "parameter/_boosting.py"),
                ("margin_sha1", "parameter/_margin.py"),
                ("augmentation_sha1", "parameter/_augmentation.py"),
                ("source_sha1", "parameter/_source.py"),
            )
        )
        + f"), scikit-learn {v['scikit-learn']}, scipy {v['scipy']}, numpy "
        f"{v['numpy']}, Python {v['python']}",
        f"- labeled target rows n: {', '.join(map(str, s['n_labeled']))}; seeds: "
        f"synthetic 0..{s['seeds'] - 1} ({s['seeds']}), Amazon and Reuters "
        f"0..{s['text_seeds'] - 1} ({s['text_seeds']}), 20 Newsgroups "
        f"0..{s['newsgroups_seeds'] - 1} ({s['newsgroups_seeds']})"
        + (" — **quick smoke run, not a result**" if s.get("quick") else ""),
        "",
        "Protocol (details in the docstring of `benchmarks/parameter_transfer.py`): "
        "per task and seed the target rows are halved (stratified); the test half "
        "is only scored, n labeled rows are drawn from the other half (stratified). "
        "Every method is trained on the source rows and those n target rows and "
        "scored on the same test half; cells are paired by seed. Accuracy "
        "(regression: RMSE) on the test half, mean ± standard error over seeds.",
        "",
        'Hyperparameters (no value is chosen on the test half): "tuned" = '
        "`GridSearchCV` over the labeled target rows only, "
        "`TargetStratifiedKFold(min(5, smallest class), shuffle=True)`, 3 folds "
        "from n = 100 on (regression: `TargetKFold`, the same fold counts), the "
        "same folds for every method of a cell, scored by "
        '`TargetScorer("neg_log_loss")` (regression: negative MSE); source rows '
        "always train.",
        "",
        md_table(
            ["method", "classification", "regression"],
            [
                [
                    f"{LABELS['classification'][m]} / {LABELS['regression'][m]}",
                    HYPERPARAMETERS[m],
                    HYPERPARAMETERS_REGRESSION[m],
                ]
                for m in METHODS
            ],
        ),
        "",
        "The source model of the three parameter-transfer estimators is the "
        "source-only baseline itself, passed as `FrozenEstimator` (fitting the "
        "unfitted LR inside `fit` gives the same model: check below).",
        "",
        "**Gain** = paired difference method − best baseline (regression: best "
        "baseline RMSE − method RMSE), mean ± standard error over seeds; positive "
        "= the method is better. The best baseline is picked per cell among "
        "source-only, target-only and pooled **on the test mean, which favours the "
        "baselines**. win / loss = beyond 2 standard errors (`_report.verdict`); "
        "★ = a win against each of the three baselines separately.",
        "",
        "## Summary: win / tie / loss against the best baseline (cells = n values)",
        "",
        summary_table(all_gains, tasks),
        "",
    ]
    answer = concept_answer(all_gains, stats, frame)
    if answer is not None:
        table, winners, regime = answer
        lines += [
            "## Concept shift: does a parameter-transfer method beat all three "
            "baselines at 20-50 labels?",
            "",
        ]
        if winners:
            by_task = {}
            for task, n, m in winners:
                by_task.setdefault(task, []).append(f"{SHORT[m]} at n = {n}")
            lines.append(
                "**Yes.** Beyond two standard errors against target-only, pooled "
                "and source-only separately (paired over seeds): "
                + "; ".join(f"{t}: {', '.join(w)}" for t, w in by_task.items())
                + "."
            )
        else:
            lines.append(
                "**No.** No method beats target-only, pooled and source-only each "
                "beyond two standard errors at n = 20 or 50 in any setting run."
            )
        lines += [
            "",
            "Regime of each setting (accuracy, mean over seeds):",
            "",
            regime,
            "",
            "Paired gains at n = 20 and 50 against each baseline:",
            "",
            table,
            "",
        ]
    family_titles = {
        "synthetic": "Synthetic concept shift",
        "20ng": "20 Newsgroups (Dai et al. splits, Long et al.'s copy)",
        "amazon": "Amazon reviews, 400 features",
        "reuters": "Reuters-21578 (Dai et al. splits, direction 1)",
    }
    for family, title in family_titles.items():
        fam_tasks = [t for t in tasks if task_spec(t)[0] == family]
        if not fam_tasks:
            continue
        lines += [f"## {title}", ""]
        for task in fam_tasks:
            part = frame[frame.task == task]
            kind = part.kind.iloc[0]
            r = part.iloc[0]
            methods = [m for m in METHODS if m in set(part.method)]
            metric = (
                "accuracy" if kind == "classification" else "RMSE (lower is better)"
            )
            lines += [
                f"### {task}",
                "",
                f"{r.n_source} source rows, {r.n_target} target rows ({r.n_test} "
                f"test), {r.n_features} features; {part.seed.nunique()} seeds. Test "
                f"{metric}, mean ± se (bold: the best baseline):",
                "",
                score_table(stats, task, methods, kind),
                "",
                "Gain over the best baseline (src / tgt / pool):",
                "",
                gain_table(all_gains[all_gains.task == task], kind),
                "",
                "Chosen hyperparameters, median (range) over seeds (alpha for "
                "regression); LININT: mean source weight:",
                "",
                chosen_table(frame, task, kind),
                "",
            ]
    times = frame.groupby(["family", "method"])["fit_seconds"].mean().unstack()
    lines += [
        "## Fit time",
        "",
        "Mean seconds per fit, including the inner grid search (one BLAS thread, "
        "while the other worker ran):",
        "",
        md_table(
            ["family"] + [SHORT[m] for m in METHODS if m in times.columns],
            [
                [family]
                + [f"{times.loc[family, m]:.3f}" for m in METHODS if m in times]
                for family in times.index
            ],
        ),
        "",
        "## Check: frozen source model = unfitted source model fitted in `fit`",
        "",
    ]
    if checks:
        for c in checks:
            diffs = ", ".join(
                f"{k} {v:.1e}" for k, v in c["frozen_vs_unfitted"].items()
            )
            lines.append(
                f"- {c['task']}, seed {c['seed']}, n = {c['n_labeled']}: largest "
                f"|difference| of the test predictions: {diffs}"
            )
    else:
        lines.append("- not run")
    diagnostics = [r for r in rows if r["method"] == "diagnostic"]
    for d in diagnostics:
        lines += [
            "",
            f"## Diagnostic: what the tuning score prefers ({d['task']}, seed "
            f"{d['seed']}, n = {d['n_labeled']})",
            "",
            f"`RegularTransferLogisticRegression(source, C={DIAGNOSTIC_C:g})` along "
            "the strength grid (strength 0 = target-only LR with the same C), the "
            "source model being this cell's source-only model. Inner-CV columns use "
            "the search's folds; the test columns are shown for explanation only and "
            "chose nothing. Mean confidence = mean over test rows of the largest "
            "class probability.",
            "",
            _diagnostic_reading(d["curve"]),
            "",
            md_table(
                [
                    "strength",
                    "inner-CV log-loss",
                    "inner-CV accuracy",
                    "test accuracy",
                    "test log-loss",
                    "mean confidence",
                ],
                [
                    [
                        str(c["strength"]),
                        "–" if c["cv_log_loss"] is None else f"{c['cv_log_loss']:.3f}",
                        "–" if c["cv_accuracy"] is None else f"{c['cv_accuracy']:.3f}",
                        f"{c['test_accuracy']:.3f}",
                        f"{c['test_log_loss']:.3f}",
                        f"{c['mean_confidence']:.3f}",
                    ]
                    for c in d["curve"]
                ],
            ),
        ]
    lines += [
        "",
        "## Published numbers",
        "",
        "None quoted. `../shared/data/README.md` lists no published figure for "
        "Chelba & Acero (2006), Daumé III (2007) or these learning-curve "
        "protocols; the papers report their own tasks, which are not in the shared "
        "data, and no figure from them was checked.",
        "",
        "## Warnings recorded",
        "",
        *warning_section(rows),
        "",
    ]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


# ------------------------------------------------------------------- main ---


SETTINGS = (
    "tasks",
    "n_labeled",
    "seeds",
    "text_seeds",
    "newsgroups_seeds",
    "concept_settings",
    "regression",
    "n_jobs",
    "blas_threads",
    "quick",
)


def default_tasks(args):
    tasks = concept_tasks(args.concept_settings)
    if args.regression:
        tasks += concept_tasks(args.concept_settings, regression=True)
    tasks += [f"20ng_{t}" for t in NEWSGROUPS]
    tasks += [f"amazon_{t}" for t in AMAZON]
    tasks += [f"reuters_{t}" for t in REUTERS]
    return tasks


def seeds_of(task, args):
    family = task_spec(task)[0]
    count = {
        "synthetic": args.seeds,
        "20ng": args.newsgroups_seeds,
    }.get(family, args.text_seeds)
    return range(count)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--tasks", nargs="+", default=None, help="default: all")
    parser.add_argument(
        "--concept-settings",
        nargs="+",
        default=list(CONCEPT_SETTINGS),
        help="STRENGTH:NOISE:N_FEATURES of the concept-shift tasks",
    )
    parser.add_argument(
        "--regression",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also the regression variant of each concept setting",
    )
    parser.add_argument("--n-labeled", nargs="+", type=int, default=list(N_LABELED))
    parser.add_argument("--seeds", type=int, default=10, help="synthetic tasks")
    parser.add_argument("--text-seeds", type=int, default=5, help="Amazon, Reuters")
    parser.add_argument("--newsgroups-seeds", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run (~1 min): 2 tasks, n = 10 and 50, 2 seeds",
    )
    parser.add_argument("--out-dir", default=str(HERE / "results"))
    parser.add_argument("--name", default=None)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    args.argv = _run.script_argv(__file__, argv)
    if args.n_jobs > 2:
        parser.error("the machine is shared: at most 2 worker processes")
    if args.name is None:
        args.name = "parameter_transfer_quick" if args.quick else "parameter_transfer"
    for item in args.concept_settings:
        parse_setting(item)
    if args.quick:
        args.n_labeled = [10, 50]
        args.seeds = args.text_seeds = args.newsgroups_seeds = 2
        if args.tasks is None:
            args.tasks = concept_tasks(args.concept_settings[:1]) + [
                "amazon_books->dvd"
            ]
    if args.tasks is None:
        args.tasks = default_tasks(args)
    for task in args.tasks:
        task_spec(task)
    return args


def main(argv=None):
    args = parse_args(argv)
    _run.setup_logging()
    json_path, md_path = _run.result_paths(args)
    if args.report_only:
        _run.rewrite_report(json_path, md_path, write_markdown, logger)
        return 0
    missing = [t for t in args.tasks if not data_available(t)]
    if missing:
        logger.warning("skipped (shared data folder missing): %s", ", ".join(missing))
    tasks = [t for t in args.tasks if t not in missing]
    from joblib import Parallel, delayed

    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="parameter-transfer-") as tmp:
        root = snapshot_package(tmp)
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [root, str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        meta = run_header(
            args,
            SETTINGS,
            linear_sha1="parameter/_linear.py",
            solvers_sha1="parameter/_prior_solvers.py",
            boosting_sha1="parameter/_boosting.py",
            margin_sha1="parameter/_margin.py",
            augmentation_sha1="parameter/_augmentation.py",
            source_sha1="parameter/_source.py",
            split_sha1="model_selection/_split.py",
            pipeline_sha1="_pipeline.py",
        )
        meta["tasks"] = tasks
        settings = {
            "n_labeled": args.n_labeled,
            "blas_threads": args.blas_threads,
            "methods": set(METHODS),
            "check": True,
        }
        # The slowest jobs first (20 Newsgroups), so the two workers end together.
        order = {"20ng": 0, "reuters": 1, "amazon": 2, "synthetic": 3}
        jobs = sorted(
            ((task, seed) for task in tasks for seed in seeds_of(task, args)),
            key=lambda job: order[task_spec(job[0])[0]],
        )
        logger.info("%d jobs (task, seed) on %d worker(s)", len(jobs), args.n_jobs)
        # Workers import this file as a module (HERE is on their path), so the
        # job function travels by reference, with its per-process data cache.
        import parameter_transfer as module

        results = Parallel(n_jobs=args.n_jobs, return_as="generator_unordered")(
            delayed(module.run_job)(task, seed, settings) for task, seed in jobs
        )
        for done, records in enumerate(results, 1):
            rows += records
            logger.info("[%d/%d] %s", done, len(jobs), describe(records))
            _run.save_results(json_path, meta, sorted_rows(rows, tasks))
    _run.finish_meta(meta, t0)
    meta["loadavg_end"] = list(os.getloadavg())
    _run.write_results(
        json_path, md_path, meta, sorted_rows(rows, tasks), write_markdown, logger
    )
    return 0


def sorted_rows(rows, tasks):
    task_order = {t: i for i, t in enumerate(tasks)}
    method_order = {m: i for i, m in enumerate((*METHODS, *EXTRA_ROWS))}
    return sorted(
        rows,
        key=lambda r: (
            task_order.get(r["task"], 99),
            r["seed"],
            r["n_labeled"],
            method_order[r["method"]],
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
