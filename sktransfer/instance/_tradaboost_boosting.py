"""The boosting loop of the TrAdaBoost family and its numerics.

:func:`boost` fits the base estimator on weighted rows (or on a weighted
resample), scores each row's loss in [0, 1] and updates the weights. A large
``learning_rate``, whose factors ``exp(learning_rate * ln(1 / beta_t))``
overflow a float, still gives finite weights: the factors are shifted by a
common amount first (:func:`updated_weights`). Vote weights are rescaled by a
power of two before they are summed, which is exact, so votes are unchanged
and cannot overflow either.
The estimators in :mod:`._tradaboost` keep the statistics (the source factor,
the voting rounds, the target share); this module keeps the arithmetic.
"""

import logging
from collections import namedtuple

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.ensemble._base import _set_random_states
from sklearn.utils.validation import has_fit_parameter

from ..base import report_progress

logger = logging.getLogger(__name__)

# Target errors are clipped into [MIN_ERROR, 0.5 - MIN_ERROR]: see clip_error.
MIN_ERROR = 1e-10
MAX_SEED = np.iinfo(np.int32).max
_LARGEST = float(np.finfo(np.float64).max)
# exp overflows above 709.78; weight factors are kept below exp(_MAX_EXPONENT).
_MAX_EXPONENT = 700.0

# What one run of the boosting loop leaves behind.
Boosted = namedtuple(
    "Boosted", ["estimators", "vote_weights", "errors", "sample_weight"]
)


def clip_error(error):
    """Keep the round's target error inside (0, 1/2), where the paper's rule holds.

    At 0 the vote weight ln(1/beta_t) is infinite; at 1/2 or more the target
    update would shrink the weights of misclassified target rows. Clipping gives
    a perfect round a large finite vote and a round at or beyond chance a vote
    of almost zero, with no change to the target weights.
    """
    return float(np.clip(error, MIN_ERROR, 0.5 - MIN_ERROR))


def vote_weight(learning_rate, error):
    """``learning_rate * ln((1 - error) / error)``, at most the largest float.

    The cap binds only for learning rates above about 1e307, where the product
    would be infinite (and ``infinity * 0`` a NaN weight); an integer learning
    rate beyond the float range is taken as the largest float.
    """
    rate = float(min(learning_rate, _LARGEST))
    return min(rate * float(np.log((1.0 - error) / error)), _LARGEST)


def resample_by_weight(y, weights, rng, *, stratified=True):
    """Row indices drawn with replacement in proportion to the weights.

    Stratified (classification): each class gets ``round(n * its total
    weight)`` draws, at least one, so that no class disappears. Otherwise
    (regression) ``n`` draws over all rows, as sklearn's AdaBoostRegressor.
    """
    n_rows = y.shape[0]
    if not stratified:
        return rng.choice(n_rows, size=n_rows, replace=True, p=weights / weights.sum())
    indices = []
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        mass = weights[rows].sum()
        n_draws = max(1, int(round(n_rows * mass / weights.sum())))
        if mass > 0:
            probabilities = weights[rows] / mass
        else:
            probabilities = np.full(rows.shape[0], 1.0 / rows.shape[0])
        indices.append(rng.choice(rows, size=n_draws, p=probabilities))
    return np.concatenate(indices)


def fit_weighted(estimator, X, y, weights, rng, *, stratified=True):
    """Fit with weights on sklearn's scale (mean 1), resampling when unsupported."""
    if has_fit_parameter(estimator, "sample_weight"):
        return estimator.fit(X, y, sample_weight=weights * (y.shape[0] / weights.sum()))
    rows = resample_by_weight(y, weights, rng, stratified=stratified)
    return estimator.fit(X[rows], y[rows])


def seeded_clone(estimator, rng):
    """A clone whose ``random_state`` parameters, nested ones too, come from ``rng``.

    One seed per parameter, in sorted order, as sklearn's ensembles seed their
    members: every round gets fresh seeds, deterministic given ``rng``.
    """
    estimator = clone(estimator)
    _set_random_states(estimator, rng)
    return estimator


def misclassified(estimator, X, y, weights):
    """0/1 loss of each row: the paper's |h(x) - c(x)| for a label h."""
    predicted = estimator.predict(X)
    known = np.isin(predicted, y)
    if not known.all():
        unknown = predicted[~known][0]
        raise ValueError(
            f"The base estimator {type(estimator).__name__} predicted {unknown!r}, "
            "which is not a class of y: TrAdaBoostClassifier needs a classifier "
            "that predicts class labels as its base estimator."
        )
    return (predicted != y).astype(float)


def class_confidences(estimator, X):
    """Confidence in [0, 1] of each of the estimator's classes, one column each.

    ``predict_proba`` when the estimator has it; otherwise its
    ``decision_function`` through the logistic function (two classes) or the
    softmax (more classes).
    """
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)
    scores = estimator.decision_function(X)
    if scores.ndim == 1:
        positive = expit(scores)
        return np.column_stack([1.0 - positive, positive])
    return softmax(scores, axis=1)


def unconfidence(estimator, X, y, weights):
    """1 - confidence in the true class: the paper's |h(x) - c(x)| for h in [0, 1]."""
    true_column = np.searchsorted(estimator.classes_, y)
    confidences = class_confidences(estimator, X)
    return 1.0 - confidences[np.arange(y.shape[0]), true_column]


def regression_loss(estimator, X, y, weights, kind="linear"):
    """AdaBoost.R2's loss: each row's error over the largest one, then shaped.

    The largest error is taken over the rows of positive weight.
    """
    error = np.abs(estimator.predict(X) - y)
    largest = error[weights > 0].max(initial=0.0)
    if largest > 0:
        error = error / largest
    if kind == "square":
        return error**2
    if kind == "exponential":
        return 1.0 - np.exp(-error)
    return error


def _overflow_shift(exponents, weights):
    """How far the largest exponent of a row with weight exceeds ``_MAX_EXPONENT``."""
    largest = exponents[weights > 0].max(initial=0.0)
    return max(0.0, largest - _MAX_EXPONENT)


def updated_weights(
    weights, losses, is_target, log_factor, source_factor, correct_weight_drift
):
    """One round's weight update, normalised to sum 1.

    Target rows are multiplied by ``exp(log_factor * loss)``, source rows by
    ``source_factor ** loss``; with ``correct_weight_drift`` the source rows
    are also multiplied by the growth of the target's total weight
    (Al-Stouhi & Reddy's ``C_t``). ``source_factor=None`` holds the source
    still: the target rows then share out their unchanged total.

    A factor above ``exp(709)`` overflows (a huge ``learning_rate``). Then
    every factor is divided by the same ``exp(shift)``, which keeps the
    weights' ratios: rows far below the largest underflow to 0, their limit.
    Otherwise ``shift`` is 0 and the arithmetic is the plain one.
    """
    is_source = ~is_target
    # Only rows of weight 0 can have a loss above 1 (a regression loss is
    # relative to the largest error among weighted rows); capped, it cannot
    # overflow, and it multiplies 0 anyway.
    exponents = log_factor * np.minimum(losses[is_target], 1.0)
    shift = _overflow_shift(exponents, weights[is_target])
    weights = weights.copy()
    target_mass = weights[is_target].sum()
    weights[is_target] *= np.exp(np.minimum(exponents - shift, _MAX_EXPONENT))
    # The target's growth carries the factor exp(-shift), as the targets do.
    scaled_growth = weights[is_target].sum() / target_mass
    if source_factor is None:
        weights[is_target] /= scaled_growth
        return weights / weights.sum()
    weights[is_source] *= source_factor ** losses[is_source]
    # C_t = 2 (1 - error_t) is the growth of the target mass; measured here,
    # so clipped rounds get C_t = 1.
    weights[is_source] *= scaled_growth if correct_weight_drift else np.exp(-shift)
    return weights / weights.sum()


def boost(
    X,
    y,
    is_target,
    weights,
    base,
    *,
    n_rounds,
    learning_rate,
    row_losses,
    source_factor,
    rng,
    stratified=True,
    correct_weight_drift=False,
    verbose=0,
    name="TrAdaBoost",
):
    """The boosting loop shared by the TrAdaBoost family.

    Each round fits a clone of ``base`` on all rows with the current weights
    and computes ``error``, the weighted mean loss on the target rows. Target
    rows are multiplied by ``exp(learning_rate * ln((1 - error) / error) *
    loss)`` and source rows by ``source_factor ** loss``.

    ``source_factor=None`` freezes the source rows (AdaBoost.R2' of the
    two-stage algorithm): the error is AdaBoost.R2's, over all rows, and the
    target rows share out their unchanged total weight, so the source keeps
    its share. With every row a target row this is AdaBoost.R2.
    """
    estimators = []
    vote_weights = np.zeros(n_rounds)
    errors = np.zeros(n_rounds)
    scored = is_target if source_factor is not None else slice(None)
    for round_ in range(n_rounds):
        estimator = fit_weighted(
            seeded_clone(base, rng), X, y, weights, rng, stratified=stratified
        )
        losses = row_losses(estimator, X, y, weights)
        error = float(weights[scored] @ losses[scored] / weights[scored].sum())
        log_factor = vote_weight(learning_rate, clip_error(error))
        weights = updated_weights(
            weights, losses, is_target, log_factor, source_factor, correct_weight_drift
        )
        estimators.append(estimator)
        vote_weights[round_] = log_factor
        errors[round_] = error
        report_progress(
            logger,
            verbose,
            "%s round %d/%d: target error %.4f, vote weight %.4g, "
            "source weight share %.4f",
            name,
            round_ + 1,
            n_rounds,
            error,
            log_factor,
            weights[~is_target].sum(),
        )
    return Boosted(estimators, vote_weights, errors, weights)


def adaboost_r2_prime(X, y, is_target, weights, base, *, rng, **boost_params):
    """AdaBoost.R2 with the source weights held fixed (Pardoe & Stone's R2')."""
    return boost(
        X,
        y,
        is_target,
        weights,
        base,
        source_factor=None,
        rng=rng,
        stratified=False,
        **boost_params,
    )


def exactly_rescaled(weights):
    """Vote weights times the power of two that brings the largest into [0.5, 1).

    Multiplying by a power of two is exact in floating point, so weighted
    votes and medians are unchanged, while sums of weights near the largest
    float can no longer overflow. Weights that are all 0 (a learning rate so
    small that every vote underflowed) become equal votes.
    """
    largest = weights.max(initial=0.0)
    if not largest > 0:
        return np.ones_like(weights)
    return np.ldexp(weights, -np.frexp(largest)[1])


def weighted_median(predictions, weights):
    """Per row, the prediction at which the cumulative vote weight reaches half.

    ``predictions`` has one column per round. Ties go to the smaller value,
    as in sklearn's AdaBoostRegressor.
    """
    order = np.argsort(predictions, axis=1)
    cumulative = np.cumsum(exactly_rescaled(weights)[order], axis=1)
    at_half = (cumulative >= 0.5 * cumulative[:, -1:]).argmax(axis=1)
    rows = np.arange(predictions.shape[0])
    return predictions[rows, order[rows, at_half]]


def median_prediction(estimators, vote_weights, X):
    """Weighted median of the estimators' predictions on ``X``."""
    predictions = np.column_stack([estimator.predict(X) for estimator in estimators])
    return weighted_median(predictions, vote_weights)


def shrink_source_to_share(weights, losses, is_target, share):
    """Source weights times ``beta ** loss``, with beta making the target share.

    Pardoe & Stone choose ``beta_t`` so that the target rows hold ``share`` of
    the total weight afterwards; it is found by root finding on [0, 1], where
    the source mass is increasing in beta. When even ``beta = 0`` leaves too
    much source mass (rows the round predicted exactly keep ``beta ** 0 =
    1``), the remaining source weights are scaled down uniformly. Returns the
    new weights and beta.
    """
    source_weights, source_losses = weights[~is_target], losses[~is_target]
    target_mass = weights[is_target].sum()
    wanted = target_mass * (1.0 - share) / share

    def source_mass(beta):
        return float(source_weights @ beta**source_losses)

    weights = weights.copy()
    if share >= 1.0:
        beta, source_weights = 0.0, np.zeros_like(source_weights)
    elif source_mass(1.0) <= wanted:
        beta = 1.0
    elif source_mass(0.0) > wanted:
        beta = 0.0
        kept = source_weights * 0.0**source_losses
        source_weights = kept * (wanted / kept.sum())
    else:
        beta = brentq(lambda b: source_mass(b) - wanted, 0.0, 1.0, xtol=1e-12)
        source_weights = source_weights * beta**source_losses
    weights[~is_target] = source_weights
    return weights, beta
