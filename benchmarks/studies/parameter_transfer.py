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
  by ``benchmarks.harness.newsgroups.load_20newsgroups_task_long``: two
  sub-groups of each top category are the source, the two others the target
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
  (Dai et al.'s source -> target direction;
  ``benchmarks.harness.reuters.load_reuters_task``),
  documents scaled to unit length.

The data sets are read from ``--data-dir`` (default ``../shared/data``); a
task whose data folder is missing is not run and gives one row saying so
(the report lists it).

Protocol, per task and seed: the target rows are split in half (stratified
by class, seeded): the *test* half is only scored, the *pool* half gives the
labeled target rows. For each n in ``--n-labeled``, n rows of the pool are
labeled (``benchmarks.harness.labeled_target_split``: stratified, at least one
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

Diagnostic (no choice made from it): on ``20ng_rec_vs_sci``
(``--diagnostic-task``), seed 0, n = 20,
RegularTransferLR at C = 10 along the strength grid with the inner-CV
log-loss and accuracy and the test accuracy and log-loss side by side.

Each (task, seed) is one job; ``--n-jobs`` worker processes (at most 2) with
``--blas-threads`` BLAS threads each (1: on a shared 2-core machine, two
threads per process made a 10-row fit 10-50x slower). The ``sktransfer``
package is copied at the start and every process imports the copy.

Results: one record per task, n, seed and method.

Commands (from the project root; the defaults take 11-12 minutes on 2 shared
cores, the committed result, 10 seeds on every task, 41.5 minutes)::

    python -m benchmarks run parameter_transfer
    python -m benchmarks run parameter_transfer --text-seeds 10 --newsgroups-seeds 10
    python -m benchmarks run parameter_transfer --smoke
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..harness import (
    SHARED_DATA,
    labeled_target_split,
    md_table,
    newsgroups,
    paired_gain,
    reuters,
    verdict,
)
from ..harness.missing import not_run_lines
from ..harness.options import add_data_dir
from ..harness.processes import caught_warnings, parallel_rows
from ..harness.tables import fmt_pm
from ..harness.tabular_tasks import (
    AMAZON_FOLDER,
    concept_shift,
    load_amazon,
    stack_domains,
    test_score,
)

logger = logging.getLogger(__name__)

CODE = (
    "parameter/_linear.py",
    "parameter/_prior_solvers.py",
    "parameter/_boosting.py",
    "parameter/_margin.py",
    "parameter/_augmentation.py",
    "parameter/_source.py",
    "model_selection/_split.py",
    "_pipeline.py",
)
# Smoke: the synthetic tasks only (a text task adds 3-5 s; check one with
# ``--smoke --tasks reuters_orgs_vs_people``), the diagnostic on the concept
# task, in this process (starting the two worker processes doubles the time;
# ``--smoke --n-jobs 2`` checks them).
SMOKE = {
    "tasks": ["concept_s1_n0.1_d20", "concept_reg_s1_n0.1_d20"],
    "n_labeled": [20],
    "seeds": 1,
    "text_seeds": 1,
    "newsgroups_seeds": 1,
    "diagnostic_task": "concept_s1_n0.1_d20",
    "n_jobs": 1,
}
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
EXTRA_ROWS = ("check", "diagnostic", "missing")
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


DATA_FOLDERS = {
    "20ng": newsgroups.LONG_DIR,
    "amazon": AMAZON_FOLDER,
    "reuters": reuters.REUTERS_DIR,
}


@lru_cache(maxsize=4)
def _text_arrays(family, name, data_dir):
    """Source and target rows of a text task (cached per worker process)."""
    from sklearn.preprocessing import normalize

    if family == "20ng":
        Xs, ys, Xt, yt = newsgroups.load_20newsgroups_task_long(name, data_dir)
        return normalize(Xs), ys, normalize(Xt), yt
    if family == "reuters":
        return reuters.load_reuters_task(name, 1, data_dir, normalize="l2")
    source, target = name.split("->")
    return (*load_amazon(source, data_dir), *load_amazon(target, data_dir))


def task_arrays(task, seed, data_dir=None):
    """``(Xs, ys, Xt, yt)`` of a task; synthetic tasks are drawn per seed."""
    family, kind, params = task_spec(task)
    if family != "synthetic":
        return _text_arrays(family, params["name"], data_dir)
    return concept_shift(
        N_SOURCE_SYNTHETIC,
        N_TARGET_SYNTHETIC,
        params["n_features"],
        task=kind,
        strength=params["strength"],
        noise=params["noise"],
        seed=seed,
    )


def data_folder(task, data_dir=None):
    """The data folder of a task (None for the synthetic ones)."""
    folder = DATA_FOLDERS.get(task_spec(task)[0])
    if folder is None:
        return None
    return Path(data_dir or SHARED_DATA) / folder


def data_available(task, data_dir=None):
    folder = data_folder(task, data_dir)
    return folder is None or folder.is_dir()


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
        chosen, _ = labeled_target_split(yt[pool], int(n), seed)
        return pool[chosen]
    rng = np.random.default_rng([seed, n])
    return np.sort(rng.choice(pool, n, replace=False))


# ---------------------------------------------------------------- helpers ---


def stack(Xs, ys, X_lab, y_lab):
    """Source rows then labeled target rows, with ``sample_domain`` (1 / -2)."""
    return stack_domains(Xs, ys, X_lab, y_lab, source_domain=1)


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
        model, seconds, warned = caught_warnings(estimator.fit, Xs, ys)
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


def transfer_classes(kind):
    """The regular transfer, source boosting and interpolated estimators of a
    ``kind`` ("classification" or "regression")."""
    from sktransfer.parameter import (
        InterpolatedTransferClassifier,
        InterpolatedTransferRegressor,
        RegularTransferLogisticRegression,
        RegularTransferRidge,
        SourceBoostingClassifier,
        SourceBoostingRegressor,
    )

    if kind == "classification":
        return (
            RegularTransferLogisticRegression,
            SourceBoostingClassifier,
            InterpolatedTransferClassifier,
        )
    return RegularTransferRidge, SourceBoostingRegressor, InterpolatedTransferRegressor


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
    from sktransfer.parameter import FeatureAugmentation

    frozen = FrozenEstimator(source)
    regular, boosting, interpolated = transfer_classes(kind)
    if kind == "classification":

        def base():
            return LogisticRegression(C=1.0, max_iter=1000)

        param, step = "C", "logisticregression"
    else:
        base, param, step = Ridge, "alpha", "ridge"
    grid = {f"estimator__{param}": C_GRID}
    regular_grid = {param: C_GRID, "strength": STRENGTH_GRID}
    specs = {
        "target_only": (LabeledOnly(base(), domains="target"), grid, "stacked"),
        "pooled": (LabeledOnly(base()), grid, "stacked"),
        "regular_transfer": (regular(frozen), regular_grid, "target"),
    }
    if kind == "classification":
        specs["regular_transfer_acc"] = (
            regular(frozen),
            regular_grid,
            "target",
            "accuracy",
        )
    specs["source_boosting"] = (
        boosting(frozen, random_state=seed),
        {"n_estimators": BOOSTING_ROUNDS},
        "target",
    )
    specs["feature_augmentation"] = (
        make_transfer_pipeline(FeatureAugmentation(), base()),
        {f"{step}__estimator__{param}": C_GRID},
        "stacked",
    )
    specs["interpolated"] = (
        interpolated(frozen, base(), random_state=seed),
        None,
        "target",
    )
    return specs


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
    return test_score(kind, model.predict(X), y)


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
        model, seconds, warned = caught_warnings(estimator.fit, X, y, sample_domain=sd)
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
        model, seconds, warned = caught_warnings(
            search.fit, X, y, groups=sd, sample_domain=sd
        )
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

    classes = kind == "classification"
    regular, boosting, interpolated = transfer_classes(kind)
    makers = {
        "regular_transfer": lambda s: regular(s, strength=1.0),
        "source_boosting": lambda s: boosting(s, n_estimators=30, random_state=seed),
        "interpolated": lambda s: interpolated(s, random_state=seed),
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
    Xs, ys, Xt, yt = task_arrays(task, seed, settings["data_dir"])
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
        if task == settings["diagnostic_task"] and seed == 0 and n == check_n:
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
    """Mean, standard error and seed count per (task, n, method).

    pandas' grouped mean, not :func:`benchmarks.harness.mean_se`: the means
    are often k / 20000 exactly, and NumPy's summation order rounds some of
    them the other way at 3 decimals (the committed tables used pandas').
    """
    grouped = frame.groupby(["task", "n_labeled", "method"])["score"]
    stats = grouped.agg(["mean", "std", "count"])
    stats["se"] = stats["std"] / np.sqrt(stats["count"])
    return stats


def signed_gain(table, a, b, sign):
    """Mean and SE of ``sign * (a - b)`` over the seeds of a pivoted cell."""
    return paired_gain(sign * table[a], sign * table[b])


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
            gain, se, pairs = signed_gain(table, method, best, sign)
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
                g, s, _ = signed_gain(table, method, b, sign)
                row[f"gain_vs_{b}"] = g
                row[f"se_vs_{b}"] = s
                row[f"verdict_vs_{b}"] = verdict(g, s)
            row["beats_all"] = all(row[f"verdict_vs_{b}"] == "win" for b in present)
            out.append(row)
    return pd.DataFrame(out)


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
            text = fmt_pm(values[m]["mean"], values[m]["se"], missing=None)
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
            row.append(f"{fmt_pm(g.gain, g.se, '+.3f', None)} {g.verdict}{mark}")
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
            gain = fmt_pm(g[f"gain_vs_{b}"], g[f"se_vs_{b}"], "+.3f", None)
            cells.append(f"{gain} {g[f'verdict_vs_{b}']}")
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


def table(rows, meta):
    s = meta["settings"]
    rows = sorted_rows(rows, meta.get("tasks") or [])
    frame = _frame(rows)
    checks = [r for r in rows if r["method"] == "check"]
    missing = [r for r in rows if r["method"] == "missing"]
    lines = [
        f"- {s['n_jobs']} worker process(es) x {s['blas_threads']} BLAS thread(s), "
        "the machine shared with other jobs; every process used the package copy",
        f"- labeled target rows n: {', '.join(map(str, s['n_labeled']))}; seeds: "
        f"synthetic 0..{s['seeds'] - 1} ({s['seeds']}), Amazon and Reuters "
        f"0..{s['text_seeds'] - 1} ({s['text_seeds']}), 20 Newsgroups "
        f"0..{s['newsgroups_seeds'] - 1} ({s['newsgroups_seeds']})",
    ]
    lines += not_run_lines(missing, "task")
    if frame.empty:
        return "\n".join([*lines, "", "No task ran: no result table."]) + "\n"
    stats = cell_stats(frame)
    all_gains = gains(frame)
    tasks = [t for t in meta["tasks"] if t in set(frame.task)]
    lines += [
        "",
        "In short: per task and seed the target rows are halved (stratified); the "
        "test half is only scored, n labeled rows are drawn from the other half "
        "(stratified). "
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
        "baselines**. win / loss = beyond 2 standard errors "
        "(`benchmarks.harness.verdict`); ★ = a win against each of the three "
        "baselines separately.",
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
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------- run ---


def default_tasks(options):
    tasks = concept_tasks(options.concept_settings)
    if options.regression:
        tasks += concept_tasks(options.concept_settings, regression=True)
    tasks += [f"20ng_{t}" for t in NEWSGROUPS]
    tasks += [f"amazon_{t}" for t in AMAZON]
    tasks += [f"reuters_{t}" for t in REUTERS]
    return tasks


def seeds_of(task, options):
    family = task_spec(task)[0]
    count = {
        "synthetic": options.seeds,
        "20ng": options.newsgroups_seeds,
    }.get(family, options.text_seeds)
    return range(count)


def add_arguments(parser):
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
    parser.add_argument(
        "--n-jobs", type=int, default=2, help="worker processes (at most 2)"
    )
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument(
        "--diagnostic-task",
        default=DIAGNOSTIC_TASK,
        help="classification task of the strength diagnostic (seed 0)",
    )
    add_data_dir(parser)


def run(options, context):
    if options.n_jobs > 2:
        raise ValueError("the machine is shared: at most 2 worker processes")
    for item in options.concept_settings:
        parse_setting(item)
    tasks = list(options.tasks or default_tasks(options))
    for task in tasks:
        task_spec(task)
    context.meta["tasks"] = tasks
    for task in tasks:
        if not data_available(task, options.data_dir):
            family, kind, _ = task_spec(task)
            folder = data_folder(task, options.data_dir)
            logger.warning("%s skipped: data folder %s not found", task, folder)
            yield {
                "task": task,
                "family": family,
                "kind": kind,
                "seed": None,
                "n_labeled": None,
                "method": "missing",
                "note": f"data folder {folder} not found",
            }
    settings = {
        "n_labeled": options.n_labeled,
        "blas_threads": options.blas_threads,
        "methods": set(METHODS),
        "check": True,
        "diagnostic_task": options.diagnostic_task,
        "data_dir": options.data_dir,
    }
    # The slowest jobs first (20 Newsgroups), so the two workers end together.
    order = {"20ng": 0, "reuters": 1, "amazon": 2, "synthetic": 3}
    jobs = sorted(
        (
            (run_job, (task, seed, settings))
            for task in tasks
            if data_available(task, options.data_dir)
            for seed in seeds_of(task, options)
        ),
        key=lambda job: order[task_spec(job[1][0])[0]],
    )
    # run_job keeps a per-process data cache.
    yield from parallel_rows(
        jobs, options.n_jobs, describe, logger, what="jobs (task, seed)"
    )


def sorted_rows(rows, tasks):
    """Rows by task (in ``tasks`` order), seed, n labeled and method."""
    task_order = {t: i for i, t in enumerate(tasks)}
    method_order = {m: i for i, m in enumerate((*METHODS, *EXTRA_ROWS))}
    return sorted(
        rows,
        key=lambda r: (
            task_order.get(r["task"], 99),
            -1 if r["seed"] is None else r["seed"],
            -1 if r["n_labeled"] is None else r["n_labeled"],
            method_order[r["method"]],
        ),
    )
