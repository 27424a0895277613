"""The demo experiment behind ``sktransfer demo``: baselines and transfer methods.

Protocol, per repeat (seed ``seed + repeat``): the target rows are split in half,
stratified by class. One half is the test set, never seen in ``fit``. From the
other half, ``target_labels * n_target`` rows keep their label; the others are
unlabeled (``y = -1``) target rows that unsupervised transfer methods may use.
Every method is fit on all source rows plus that target half and scored on the
test half. Features are encoded once per repeat, without labels, on the training
rows.

To add a method to the table, add one entry to ``METHODS``.
"""

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._domain import UNLABELED
from ._pipeline import LabeledOnly, make_transfer_pipeline
from .datasets import load_credit_default, load_mushroom
from .feature import (
    CORAL,
    JointDistributionAdaptation,
    SubspaceAlignment,
    TransferComponentAnalysis,
)
from .instance import (
    ULSIF,
    DiscriminativeReweighting,
    KernelMeanMatching,
    LabelShiftAdapter,
    TrAdaBoostClassifier,
)
from .parameter import (
    FeatureAugmentation,
    InterpolatedTransferClassifier,
    RegularTransferLogisticRegression,
    SourceBoostingClassifier,
    TransferTreeClassifier,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Method:
    """One row of the demo table: how to build the model from the base learner."""

    name: str
    build: Callable
    baseline: bool = False


# One line per row of the table.
METHODS = [
    Method("source only", lambda base: LabeledOnly(base, domains="source"), True),
    Method("target only", lambda base: LabeledOnly(base, domains="target"), True),
    Method("pooled", lambda base: LabeledOnly(base), True),
    Method("TrAdaBoost", lambda base: TrAdaBoostClassifier(base, random_state=0)),
    Method(
        "TrAdaBoost, proba + balanced",
        lambda base: TrAdaBoostClassifier(
            base, hypothesis="proba", initial_target_share=0.5, random_state=0
        ),
    ),
    Method("KMM", lambda base: KernelMeanMatching(base, random_state=0)),
    Method(
        "discriminative reweighting",
        lambda base: DiscriminativeReweighting(base, random_state=0),
    ),
    Method("uLSIF", lambda base: ULSIF(base, random_state=0)),
    Method(
        "source only, label-shift adjusted (EM)",
        lambda base: LabelShiftAdapter(base, n_bootstrap=0, random_state=0),
    ),
    Method("CORAL", lambda base: make_transfer_pipeline(CORAL(), base)),
    Method(
        "subspace alignment",
        lambda base: make_transfer_pipeline(SubspaceAlignment(), base),
    ),
    Method(
        "TCA (30 components)",
        lambda base: make_transfer_pipeline(
            TransferComponentAnalysis(30, random_state=0), base
        ),
    ),
    Method(
        "JDA (30 components)",
        lambda base: make_transfer_pipeline(
            JointDistributionAdaptation(30, random_state=0), base
        ),
    ),
    Method(
        "prior from source weights",
        lambda base: RegularTransferLogisticRegression(base, C=base.C),
    ),
    Method(
        "boosting from source margin",
        lambda base: SourceBoostingClassifier(base, random_state=0),
    ),
    Method(
        "feature augmentation",
        lambda base: make_transfer_pipeline(FeatureAugmentation(), base),
    ),
    Method(
        "tree transfer (STRUT, depth 6)",
        lambda base: TransferTreeClassifier(
            DecisionTreeClassifier(max_depth=6), algorithm="strut", random_state=0
        ),
    ),
    Method(
        "tree transfer (SER, depth 6)",
        lambda base: TransferTreeClassifier(
            DecisionTreeClassifier(max_depth=6),
            algorithm="ser",
            max_depth=6,
            random_state=0,
        ),
    ),
    Method(
        "source/target interpolation",
        lambda base: InterpolatedTransferClassifier(base, base, random_state=0),
    ),
]


@dataclass(frozen=True)
class DemoDataset:
    load: Callable
    encoder: Callable
    metric: str


def _accuracy(model, X, y):
    return accuracy_score(y, model.predict(X))


def _roc_auc(model, X, y):
    return roc_auc_score(y, model.predict_proba(X)[:, 1])


METRICS = {"accuracy": _accuracy, "ROC AUC": _roc_auc}

DATASETS = {
    "mushroom": DemoDataset(
        load_mushroom, lambda: OneHotEncoder(handle_unknown="ignore"), "accuracy"
    ),
    "credit": DemoDataset(load_credit_default, StandardScaler, "ROC AUC"),
}


def base_learner():
    """The learner every row of the table wraps, so rows differ only by method."""
    return LogisticRegression(max_iter=1000)


def _split_target(y, sample_domain, target_labels, rng):
    """Indices of training rows, labeled target rows and test rows."""
    source = np.flatnonzero(sample_domain >= 0)
    target = np.flatnonzero(sample_domain < 0)
    pool, test = train_test_split(
        target, test_size=0.5, stratify=y[target], random_state=rng
    )
    n_labeled = max(2, int(round(target_labels * target.shape[0])))
    if n_labeled >= pool.shape[0]:
        raise ValueError(
            f"--target-labels {target_labels} asks for {n_labeled} labeled target "
            f"rows, but only {pool.shape[0]} target rows are kept for training (half "
            "of the target; the other half is the test set). Use a fraction below "
            "0.5."
        )
    labeled, _ = train_test_split(
        pool, train_size=n_labeled, stratify=y[pool], random_state=rng
    )
    return np.concatenate([source, pool]), labeled, test


# numpy's RandomState takes seeds in [0, 2**32 - 1].
MAX_SEED = 2**32 - 1


def check_seed_range(seed, repeats):
    """Refuse a first seed whose later repeats would pass ``MAX_SEED``.

    Repeat ``r`` is seeded with ``seed + r``, so the last repeat needs
    ``seed + repeats - 1 <= MAX_SEED``.

    Raises
    ------
    ValueError
        When the last repeat's seed is out of range; the message gives the
        largest first seed that works with these repeats.
    """
    if seed + repeats - 1 > MAX_SEED:
        raise ValueError(
            f"seed {seed} with {repeats} repeats seeds the last repeat with "
            f"{seed + repeats - 1}, above the largest seed {MAX_SEED}; use a seed "
            f"of at most {MAX_SEED - repeats + 1}."
        )


@validate_params(
    {
        "dataset": [StrOptions(set(DATASETS))],
        "target_labels": [Interval(Real, 0, 0.5, closed="neither")],
        "seed": [Interval(Integral, 0, MAX_SEED, closed="both")],
        "repeats": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def run_demo(dataset="mushroom", *, target_labels=0.01, seed=0, repeats=5):
    """Run every method of ``METHODS`` on a bundled data set.

    Parameters
    ----------
    dataset : {"mushroom", "credit"}, default="mushroom"
        Bundled data set, with its default domain split.
    target_labels : float, default=0.01
        Fraction of the target rows that are labeled for training.
    seed : int, default=0
        Seed of the first repeat, in ``[0, 2**32 - 1]``; repeat ``r`` uses
        ``seed + r``, which must stay in that range.
    repeats : int, default=5
        Number of random splits, at least 1.

    Returns
    -------
    rows : list of dict
        One per method: ``method``, ``baseline``, ``scores`` (one per repeat),
        ``fit_times`` (seconds), the ``metric`` name, and ``refused``: None,
        or the reason the method refused the data (a ``ValueError`` of its
        ``fit``; its scores are then empty).

    Raises
    ------
    ValueError
        For an unknown ``dataset``, a ``target_labels`` outside (0, 0.5), a
        negative ``seed``, ``repeats`` below 1, or seeds past ``MAX_SEED``.
    """
    check_seed_range(seed, repeats)
    spec = DATASETS[dataset]
    data = spec.load()
    y, sample_domain = np.asarray(data.y), np.asarray(data.sample_domain)
    score = METRICS[spec.metric]
    results = {
        m.name: {"scores": [], "fit_times": [], "refused": None} for m in METHODS
    }
    for repeat in range(repeats):
        rng = np.random.RandomState(seed + repeat)
        train, labeled, test = _split_target(y, sample_domain, target_labels, rng)
        encoder = spec.encoder()
        X_train = encoder.fit_transform(data.X.iloc[train])
        X_test = encoder.transform(data.X.iloc[test])
        keeps_label = (sample_domain[train] >= 0) | np.isin(train, labeled)
        y_train = np.where(keeps_label, y[train], UNLABELED)
        for method in METHODS:
            if results[method.name]["refused"]:
                continue
            model = method.build(clone(base_learner()))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                start = time.perf_counter()
                try:
                    model.fit(X_train, y_train, sample_domain=sample_domain[train])
                except ValueError as error:
                    _refuse(results[method.name], method.name, error)
                    continue
                elapsed = time.perf_counter() - start
            for message in {str(w.message) for w in caught}:
                logger.warning("%s warned: %s", method.name, message)
            value = score(model, X_test, y[test])
            results[method.name]["scores"].append(value)
            results[method.name]["fit_times"].append(elapsed)
            logger.info(
                "repeat %d/%d  %s: %s %.4f, fit %.3f s",
                repeat + 1,
                repeats,
                method.name,
                spec.metric,
                value,
                elapsed,
            )
    return [
        {
            "method": m.name,
            "baseline": m.baseline,
            "metric": spec.metric,
            **results[m.name],
        }
        for m in METHODS
    ]


def _refuse(result, name, error):
    """Record that a method refused the data (a ``ValueError`` from ``fit``,
    such as domains that do not overlap): its row shows the reason instead of
    scores, in every repeat."""
    reason = str(error).split(". ")[0].split(": ")[0].rstrip(".")
    logger.warning("%s refused the data: %s", name, error)
    result.update(scores=[], fit_times=[], refused=reason)


def _gain_and_flag(row, best_baseline):
    """Gain over the best baseline, paired by repeat, and what it means.

    The flag says "negative transfer" only when the method is worse than the
    best baseline by more than two standard errors of the paired difference.
    """
    if row["baseline"]:
        return "", ""
    difference = np.asarray(row["scores"]) - np.asarray(best_baseline["scores"])
    gain = difference.mean()
    if difference.shape[0] > 1:
        noise = 2 * difference.std(ddof=1) / np.sqrt(difference.shape[0])
    else:
        noise = 0.0
    if gain + noise < 0:
        flag = "negative transfer"
    elif gain - noise > 0:
        flag = "gain"
    else:
        flag = "within noise"
    return f"{gain:+.4f}", flag


def format_table(rows):
    """Render ``run_demo`` rows as a text table.

    ``gain`` is a transfer method's mean score minus the best baseline's, paired
    by repeat; the flag reads "negative transfer" when it is below zero by more
    than two standard errors. A method that refused the data shows the reason.
    """
    metric = rows[0]["metric"]
    best_baseline = max(
        (row for row in rows if row["baseline"]), key=lambda row: np.mean(row["scores"])
    )
    width = max(len(row["method"]) for row in rows) + 2
    header = (
        f"{'method':<{width}}{metric + ' (mean ± std)':>24}{'fit time (s)':>14}"
        f"{'gain':>9}  flag"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        if row.get("refused"):
            lines.append(f"{row['method']:<{width}}refused: {row['refused']}")
            continue
        scores = np.asarray(row["scores"])
        gain, flag = _gain_and_flag(row, best_baseline)
        lines.append(
            f"{row['method']:<{width}}"
            f"{f'{scores.mean():.4f} ± {scores.std():.4f}':>24}"
            f"{np.median(row['fit_times']):>14.3f}"
            f"{gain:>9}  {flag}"
        )
    return "\n".join(lines)
