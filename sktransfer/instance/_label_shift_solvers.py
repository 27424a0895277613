"""Target class priors under label shift: EM and black-box shift estimation.

Label shift: ``p_t(x | y) = p_s(x | y)`` while the class priors differ, so
``p_t(y | x)`` is ``p_s(y | x) * w_y`` renormalised, with
``w_y = pi_t(y) / pi_s(y)``. Both estimators here take the classifier's
outputs on the rows (posteriors or predicted class indices) and trust them:
:class:`~sktransfer.instance.LabelShiftAdapter` validates its input once.
"""

from dataclasses import dataclass

import numpy as np

# BBSE refuses a confusion matrix whose 2-norm condition number exceeds this:
# the error of the solved weights grows with it (Lipton et al. 2018, Theorem 3,
# through the smallest singular value), and beyond it the classifier's
# predictions barely tell the classes apart.
MAX_CONDITION_NUMBER = 1e3


@dataclass
class PriorEstimate:
    """Target priors of one estimation; ``n_iter`` and ``converged`` for EM,
    ``clipped`` (classes whose solved weight was negative) for BBSE."""

    priors: np.ndarray
    n_iter: int = 0
    converged: bool = True
    clipped: np.ndarray | None = None


def adjust_posteriors(proba, class_weights):
    """``proba * class_weights`` with rows renormalised to sum to 1.

    A row whose adjusted mass is 0 (all its probability on classes of weight
    0) keeps its unadjusted probabilities rather than becoming NaN.
    """
    adjusted = proba * class_weights
    totals = adjusted.sum(axis=1, keepdims=True)
    return np.divide(
        adjusted, totals, out=np.array(proba, dtype=float), where=totals > 0
    )


def em_priors(proba, source_priors, *, weights, max_iter, tol, start=None):
    """Saerens, Latinne & Decaestecker's EM for the target priors.

    Starting from the source priors (or ``start``), alternate the E step (the posteriors
    adjusted to the current priors) and the M step (the priors as the
    weighted mean of the adjusted posteriors), until no prior moves by more
    than ``tol`` or ``max_iter`` iterations.

    Parameters
    ----------
    proba : ndarray of shape (n_target, n_classes)
        The source classifier's posteriors on the target rows.
    source_priors : ndarray of shape (n_classes,)
        Positive, summing to 1.
    weights : ndarray of shape (n_target,)
        Row weights (positive total).
    max_iter : int
        Largest number of EM iterations.
    tol : float
        Stop once ``max |pi_new - pi_old| <= tol``.
    start : ndarray of shape (n_classes,), default=None
        Where the iterations start; None means the source priors. The
        log-likelihood is concave in the priors, so the start changes the
        iterations needed, not the maximum (the bootstrap starts at the
        full sample's estimate).

    Returns
    -------
    estimate : PriorEstimate
    """
    weights = weights / weights.sum()
    priors = (source_priors if start is None else start).copy()
    for iteration in range(1, max_iter + 1):
        posteriors = adjust_posteriors(proba, priors / source_priors)
        updated = weights @ posteriors
        updated /= updated.sum()
        change = np.max(np.abs(updated - priors))
        priors = updated
        if change <= tol:
            return PriorEstimate(priors, iteration, True)
    return PriorEstimate(priors, max_iter, False)


def confusion_matrix_joint(y_pred, y_true, n_classes, weights):
    """``C[i, j]``: the weighted share of rows predicted ``i`` whose class is ``j``."""
    joint = np.zeros((n_classes, n_classes))
    np.add.at(joint, (y_pred, y_true), weights)
    return joint / weights.sum()


def predicted_distribution(y_pred, n_classes, weights):
    """``mu[i]``: the weighted share of rows predicted ``i``."""
    return np.bincount(y_pred, weights=weights, minlength=n_classes) / weights.sum()


def condition_number(joint):
    """2-norm condition number of the confusion matrix (inf when singular)."""
    singular_values = np.linalg.svd(joint, compute_uv=False)
    if singular_values[-1] <= singular_values[0] * np.finfo(float).eps:
        return np.inf
    return float(singular_values[0] / singular_values[-1])


def bbse_priors(joint, target_predicted):
    """Lipton, Wang & Smola's black-box shift estimate of the target priors.

    Solves ``C w = mu_t`` for the class weights, clips negative weights to 0
    and returns the priors ``w * pi_s`` normalised, with ``pi_s`` the class
    shares of the rows ``C`` was counted on (its column sums). The caller
    checks the condition number of ``C`` first.

    Parameters
    ----------
    joint : ndarray of shape (n_classes, n_classes)
        ``C[i, j] = P_s(yhat = i, y = j)`` on held-out source rows.
    target_predicted : ndarray of shape (n_classes,)
        ``mu_t[i] = P_t(yhat = i)``.

    Returns
    -------
    estimate : PriorEstimate
        ``clipped`` marks the classes whose weight was negative. With every
        weight clipped the source priors are returned.
    """
    source_priors = joint.sum(axis=0)
    class_weights = np.linalg.solve(joint, target_predicted)
    clipped = class_weights < 0
    class_weights = np.clip(class_weights, 0, None)
    priors = class_weights * source_priors
    if not priors.sum() > 0:
        return PriorEstimate(source_priors.copy(), clipped=clipped)
    return PriorEstimate(priors / priors.sum(), clipped=clipped)
