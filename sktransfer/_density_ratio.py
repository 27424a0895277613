"""The density ratio p_target(x) / p_source(x) from a domain classifier.

One implementation, shared by :func:`sktransfer.metrics.domain_classifier_ratio`,
:class:`sktransfer.model_selection.ImportanceWeightedScorer` and
:class:`sktransfer.instance.DiscriminativeReweighting`. A probabilistic
classifier told source rows (0) from target rows (1) gives, by Bayes' rule,

    p_t(x) / p_s(x) = (n_s / n_t) * P(target | x) / P(source | x)

(Bickel, Brückner and Scheffer 2009). The rows reach the classifier as they
are: a DataFrame keeps its columns and dtypes, so a ``ColumnTransformer``
pipeline or ``HistGradientBoostingClassifier(categorical_features="from_dtype")``
sees its categorical columns.

The classifier's probabilities are clipped to
``[PROBABILITY_CLIP, 1 - PROBABILITY_CLIP]`` so that every ratio is finite;
:func:`check_overlap` refuses domains that the classifier separates by a wide
margin, and :func:`warn_if_low_effective_sample_size` warns when Kish's
effective sample size of the ratios is a small share of the source rows.
"""

import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples

from ._domain import _kind_of_container
from .utils import _user_stacklevel

# Bounds on the domain classifier's probabilities, so a row it is certain about
# gets a large but finite density ratio.
PROBABILITY_CLIP = 1e-6
# Kish's effective sample size of the ratios, as a share of the source rows,
# below which the ratio's users warn.
MIN_EFFECTIVE_SHARE = 0.1
# Gap between the domains' log-odds, in pooled within-domain standard
# deviations, above which the domains are taken not to overlap at all.
SEPARATION_MARGIN = 1.0


def default_domain_classifier(is_sparse, *, balanced=False):
    """Logistic regression on standardized features."""
    return make_pipeline(
        StandardScaler(with_mean=not is_sparse),
        LogisticRegression(
            max_iter=1000, class_weight="balanced" if balanced else None
        ),
    )


def check_rows_for_classifier(X_source, X_target, name="domain_classifier_ratio"):
    """Rows handed to a user's domain classifier as they are: only their count
    and, for tables, their columns are checked."""
    for role, X in (("X_source", X_source), ("X_target", X_target)):
        if _num_samples(X) == 0:
            raise ValueError(f"{name} needs rows in {role}; got 0.")
    kinds = {_kind_of_container(X) for X in (X_source, X_target)}
    if kinds == {"dataframe"} and list(X_source.columns) != list(X_target.columns):
        raise ValueError(
            "X_source and X_target must have the same columns, in the same "
            f"order; got {list(X_source.columns)} and {list(X_target.columns)}."
        )
    if len(kinds) > 1:
        raise TypeError(
            "X_source and X_target must be the same kind of container (both "
            f"DataFrames, arrays, sparse matrices or documents); got {sorted(kinds)}."
        )
    shapes = [getattr(X, "shape", None) for X in (X_source, X_target)]
    tables = all(shape is not None and len(shape) == 2 for shape in shapes)
    if tables and shapes[0][1] != shapes[1][1]:
        raise ValueError(
            f"Feature mismatch: X_source has {shapes[0][1]} features and "
            f"X_target has {shapes[1][1]}. Both domains must share the same "
            "features, in the same order."
        )


def stack_rows(X_source, X_target):
    """Stack the rows of two blocks of one kind, keeping DataFrame dtypes."""
    kind = _kind_of_container(X_source)
    if kind == "dataframe":
        return pd.concat([X_source, X_target], ignore_index=True)
    if kind == "sparse":
        return sparse.vstack([X_source, X_target], format="csr")
    if kind == "text" and isinstance(X_source, list):
        return list(X_source) + list(X_target)
    return np.concatenate([np.asarray(X_source), np.asarray(X_target)])


def log_odds(probability):
    """``log(p / (1 - p))`` of probabilities clipped to ``[c, 1 - c]``."""
    probability = np.clip(probability, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    return np.log(probability) - np.log1p(-probability)


def target_log_odds(classifier, X):
    """Log-odds of the target class (label 1) of a fitted domain classifier."""
    target_column = list(classifier.classes_).index(1)
    return log_odds(classifier.predict_proba(X)[:, target_column])


def _fit_and_score_fold(classifier, X, is_target, train, test):
    classifier = clone(classifier).fit(_safe_indexing(X, train), is_target[train])
    return test, target_log_odds(classifier, _safe_indexing(X, test))


def domain_log_odds(classifier, X, is_target, *, folds=None, n_jobs=None):
    """Log-odds ``log P(target|x) / P(source|x)`` at every row of ``X``.

    ``folds=None``: a clone of ``classifier`` fitted on all rows scores them
    (in-sample). Otherwise cross-fitted: ``folds`` (a splitter, split on
    ``is_target``) gives train/test pairs, and each row is scored by a clone
    fitted on the train part of the split whose test part holds it; the folds
    are fitted in parallel by joblib. Every row must be in exactly one test
    part.
    """
    if folds is None:
        return target_log_odds(clone(classifier).fit(X, is_target), X)
    splits = list(folds.split(np.zeros((is_target.shape[0], 1)), is_target))
    counts = np.bincount(
        np.concatenate([test for _, test in splits]), minlength=is_target.shape[0]
    )
    if not np.all(counts == 1):
        raise ValueError(
            "Cross-fitting needs every row in exactly one test fold, so that each "
            f"row is scored once by a classifier that did not train on it; "
            f"{int(np.sum(counts != 1))} of {counts.shape[0]} rows are not. Use a "
            "k-fold splitter (an int cv) over all the rows, source and target."
        )
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_score_fold)(classifier, X, is_target, train, test)
        for train, test in splits
    )
    scores = np.empty(is_target.shape[0])
    for test, fold_scores in results:
        scores[test] = fold_scores
    return scores


def check_overlap(log_odds_source, log_odds_target):
    """Refuse when the classifier separates the domains by a wide margin.

    The domains do not overlap when the lowest log-odds of a target row
    exceeds the highest of a source row by at least ``SEPARATION_MARGIN``
    pooled within-domain standard deviations of the log-odds.
    """
    gap = log_odds_target.min() - log_odds_source.max()
    spread = np.sqrt((log_odds_source.var() + log_odds_target.var()) / 2)
    if gap > 0 and gap >= SEPARATION_MARGIN * spread:
        raise ValueError(
            "The domains do not overlap: the domain classifier separates every "
            "source row from every target row, by a wide margin (log-odds gap "
            f"{gap:.2f}, {gap / max(spread, 1e-12):.1f} within-domain standard "
            "deviations). The density ratio is then ~0 on every source row and "
            "cannot be estimated; no reweighting of source rows estimates the "
            "target. Use target labels (TargetScorer), a representation in which "
            "the domains overlap (fit the ratio on transformed features), or a "
            "less flexible domain_classifier if it overfits."
        )


def ratio_from_log_odds(log_odds_source, n_source, n_target):
    """``(n_s / n_t) * exp(log-odds)``: the density ratio at the rows."""
    return np.exp(log_odds_source + np.log(n_source / n_target))


def effective_sample_size(weights):
    """Kish's effective sample size ``(sum w)^2 / sum w^2``."""
    return float(weights.sum() ** 2 / np.sum(weights**2))


def warn_if_low_effective_sample_size(weights):
    """Warn when Kish's effective sample size is below ``MIN_EFFECTIVE_SHARE``
    of the rows; return it."""
    effective = effective_sample_size(weights)
    if effective < MIN_EFFECTIVE_SHARE * weights.shape[0]:
        warnings.warn(
            f"The density ratios concentrate on few source rows: effective sample "
            f"size (sum w)^2 / sum w^2 = {effective:.1f} of {weights.shape[0]} rows "
            f"(below {MIN_EFFECTIVE_SHARE:.0%}). The domains barely overlap here, "
            "so anything weighted by these ratios (an importance-weighted score "
            "or fit) rests on a few rows and is noisy; prefer target labels or "
            "ReverseValidationScorer.",
            UserWarning,
            stacklevel=_user_stacklevel(),
        )
    return effective
