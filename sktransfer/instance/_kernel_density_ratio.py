"""Kernel density-ratio estimators: uLSIF, RuLSIF (least squares) and KLIEP.

Each models the ratio ``r(x) = p_t(x) / p_s(x)`` as a non-negative
combination of Gaussian kernels centred at target rows,
``r(x) = sum_l theta_l exp(-gamma |x - c_l|^2)``, and fits ``theta`` from the
two samples without estimating either density:

- **uLSIF** (Kanamori, Hido & Sugiyama 2009) minimises the squared error
  ``1/2 E_s (r - r_true)^2`` plus ``reg/2 |theta|^2``: a linear system,
  solved in closed form; its leave-one-out score is closed-form too, so the
  kernel width and ``reg`` are chosen on a grid at little cost.
- **RuLSIF** (Yamada et al. 2013) fits the *relative* ratio
  ``p_t / (alpha p_t + (1 - alpha) p_s)``, bounded by ``1 / alpha``, by the
  same least squares: the weights of rows far from the target stay bounded,
  which makes it steadier than uLSIF when the source covers the target
  poorly.
- **KLIEP** (Sugiyama et al. 2008) maximises the target rows' likelihood
  ``mean_t log r(x)`` under ``mean_s r(x) = 1``, a concave problem; the width
  is chosen by likelihood cross-validation over folds of the target rows.

Memory is linear in the rows: the least-squares fits need only the
``n_centers x n_centers`` moments of the design, accumulated by blocks of
rows; KLIEP keeps the target rows' design (``n_t x n_centers``). The solvers
are in :mod:`._density_ratio_solvers`.
"""

import logging
import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_is_fitted, validate_data

from .._density_ratio import warn_if_low_effective_sample_size
from .._kernels import check_feature_scale, gamma_from_bandwidth, median_bandwidth
from ..base import report_progress
from ..utils import _refuse_beyond_memory, _user_stacklevel
from ._density_ratio_solvers import (
    design,
    design_moments,
    evaluate,
    kliep_theta,
    lsif_loo_scores,
    lsif_matrix,
    lsif_theta,
)
from ._reweighting import BaseReweighting, validated_domains

logger = logging.getLogger(__name__)

# gamma=None: kernel widths sigma = factor * the median distance between rows
# (gamma = 1 / (2 sigma^2)), from a quarter to four times the median.
WIDTH_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0)
# reg=None: the least-squares regularisers tried (Kanamori et al.'s range).
DEFAULT_REGS = tuple(np.logspace(-3, 1, 9))
# The leave-one-out score of the least-squares fits averages over at most this
# many (source, target) pairs, drawn at random: an unbiased estimate of the
# score over all pairs, at a cost linear in it.
MAX_LOO_PAIRS = 10_000
_LOO_BLOCK_PAIRS = 2048

_COMMON_PARAMETERS = {
    "n_centers": [Interval(numbers.Integral, 1, None, closed="left")],
    "gamma": [Interval(numbers.Real, 0, None, closed="neither"), "array-like", None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}
_LSIF_PARAMETERS = {
    **_COMMON_PARAMETERS,
    "reg": [Interval(numbers.Real, 0, None, closed="neither"), "array-like", None],
}
_RULSIF_PARAMETERS = {
    **_LSIF_PARAMETERS,
    "alpha": [Interval(numbers.Real, 0, 1, closed="left")],
}
_KLIEP_PARAMETERS = {
    **_COMMON_PARAMETERS,
    "n_folds": [Interval(numbers.Integral, 2, None, closed="left")],
    "tol": [Interval(numbers.Real, 0, None, closed="neither")],
    "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
}


def _candidates(value, name):
    """``value`` (a positive number or a sequence of them) as a 1-D array."""
    values = np.atleast_1d(np.asarray(value, dtype=float))
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"{name} must be a positive number or a non-empty 1-D sequence of "
            f"them; got shape {values.shape}."
        )
    if not (np.isfinite(values).all() and (values > 0).all()):
        raise ValueError(
            f"Every {name} must be positive and finite; got {values.tolist()}."
        )
    return values


class _KernelDensityRatio(BaseReweighting):
    """What the three estimators share: centres, widths, weights, new rows."""

    _domain_checks = {
        "accept_sparse": "csr",
        "dtype": np.float64,
        "need_target": "if_given",
    }

    def _source_weights(self, data):
        self._fit_weights(data.X[data.is_source], data.X[data.is_target])
        return self.weights_

    def _gammas(self, X_source, X_target, rng):
        if self.gamma is not None:
            return _candidates(self.gamma, "gamma")
        sigma = median_bandwidth(X_source, X_target, random_state=rng)
        return np.array([gamma_from_bandwidth(f * sigma) for f in WIDTH_FACTORS])

    def _fit_weights(self, X_source, X_target):
        """Fit the ratio model on validated rows; set the weights' attributes."""
        n_source, n_target = X_source.shape[0], X_target.shape[0]
        if n_target == 0:
            self.weights_ = np.ones(n_source)
            self.effective_sample_size_ = float(n_source)
            self.centers_ = self.coef_ = self.gamma_ = None
            self.cv_results_ = None
            self._no_ratio_attributes()
            return
        check_feature_scale(X_source, X_target, "rbf")
        rng = check_random_state(self.random_state)
        n_centers = min(self.n_centers, n_target)
        chosen = np.sort(rng.choice(n_target, n_centers, replace=False))
        self.centers_ = X_target[chosen]
        gammas = self._gammas(X_source, X_target, rng)
        report_progress(
            logger,
            self.verbose,
            "%s: ratio of %d target to %d source rows, %d centres, %d kernel widths",
            self._method_name,
            n_target,
            n_source,
            n_centers,
            gammas.size,
        )
        self._fit_ratio(X_source, X_target, gammas, rng)
        weights = evaluate(X_source, self.centers_, self.gamma_, self.coef_)
        if not weights.max() > 0:
            raise ValueError(
                f"Every density ratio {self._method_name} estimated at the source "
                f"rows is 0 (gamma={self.gamma_:.3g}): the kernels centred at "
                "target rows do not reach any source row. The domains may not "
                "overlap; try wider kernels (smaller gamma) or standardise the "
                "features."
            )
        self.weights_ = weights
        self.effective_sample_size_ = warn_if_low_effective_sample_size(weights)

    def predict_weights(self, X):
        """The estimated density ratio at new rows, on the scale of ``weights_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of any domain.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            The ratio model at ``X`` (all 1 when ``fit`` saw no target rows).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=np.float64)
        if self.coef_ is None:
            return np.ones(X.shape[0])
        return evaluate(X, self.centers_, self.gamma_, self.coef_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


# -- least squares ----------------------------------------------------------------


def _loo_score(X_source, X_target, centers, gamma, moments, alpha, regs, rng):
    """The leave-one-out loss of each ``reg`` at one width, over at most
    ``MAX_LOO_PAIRS`` random pairs of a source and a target row."""
    n_source, n_target = X_source.shape[0], X_target.shape[0]
    n_pairs = min(n_source, n_target, MAX_LOO_PAIRS)
    source_rows = rng.choice(n_source, n_pairs, replace=False)
    target_rows = rng.choice(n_target, n_pairs, replace=False)
    H_source, H_target, h = moments
    total = np.zeros(len(regs))
    for block in gen_batches(n_pairs, _LOO_BLOCK_PAIRS):
        size = block.stop - block.start
        total += size * lsif_loo_scores(
            design(X_source[source_rows[block]], centers, gamma),
            design(X_target[target_rows[block]], centers, gamma),
            H_source,
            H_target,
            h,
            n_source,
            n_target,
            alpha,
            regs,
        )
    return total / n_pairs


class RuLSIF(_KernelDensityRatio):
    """Fit an estimator on source rows weighted by the relative density ratio.

    RuLSIF (Yamada et al. 2013) estimates the relative ratio
    ``r_alpha(x) = p_t(x) / (alpha p_t(x) + (1 - alpha) p_s(x))`` as
    ``sum_l theta_l exp(-gamma |x - c_l|^2)`` over ``n_centers`` centres
    ``c_l`` drawn from the target rows, by least squares: ``theta`` minimises
    ``(1-alpha)/2 E_s r^2 + alpha/2 E_t r^2 - E_t r + reg/2 |theta|^2``, in
    closed form ``theta = max(0, (H + reg I)^-1 h)`` (Kanamori et al.'s
    uLSIF, which is ``alpha = 0``). ``r_alpha`` is at most ``1 / alpha``, so
    no source row far from the target takes all the weight. The kernel width
    and ``reg`` minimise the closed-form leave-one-out loss over the grid
    ``gamma x reg``; then ``estimator`` is fitted on the labeled rows, the
    source rows weighted by ``r_alpha`` at them (normalised to mean 1),
    labeled target rows by 1.

    Rows follow the ``sample_domain`` convention: ``sample_domain >= 0``
    source, ``< 0`` target; unlabeled target rows carry ``y = -1`` (``NaN``
    for regression). Without target rows every weight is 1.

    Parameters
    ----------
    estimator : estimator object, default=None
        Fitted on the weighted rows; must accept ``sample_weight``. ``None``
        means ``LogisticRegression()``.
    alpha : float in [0, 1), default=0.1
        The share of the target in the denominator (0: the plain ratio, as
        :class:`ULSIF`).
    n_centers : int, default=100
        Kernel centres, drawn at random from the target rows (all of them
        when there are fewer).
    gamma : float, array-like of float or None, default=None
        RBF coefficient (``gamma = 1 / (2 sigma^2)``), or the candidates to
        choose it from. None: the widths ``sigma = f * median`` for ``f`` in
        ``(0.25, 0.5, 1, 2, 4)``, ``median`` the median distance between rows
        of both domains (:func:`~sktransfer.metrics.median_bandwidth`).
    reg : float, array-like of float or None, default=None
        The regulariser of ``theta``, or its candidates. None:
        ``numpy.logspace(-3, 1, 9)``.
    random_state : int, RandomState instance or None, default=None
        Draws the centres, the rows of the median and of the leave-one-out
        score, and seeds the estimator's unset seeds.
    verbose : int, default=0
        1 reports the stages and the chosen parameters: to the ``sktransfer``
        logger when logging shows INFO, otherwise to stderr.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    weights_ : ndarray of shape (n_source_rows,)
        The estimated relative ratio at the source rows, in their order in
        ``X`` (not normalised; the estimator gets them scaled to mean 1).
    effective_sample_size_ : float
        Kish's ``(sum w)^2 / sum w^2`` of ``weights_``.
    centers_ : {ndarray, sparse matrix} of shape (n_centers, n_features) or None
        The kernel centres (target rows).
    coef_ : ndarray of shape (n_centers,) or None
        ``theta``, non-negative.
    gamma_ : float or None
        The chosen RBF coefficient.
    reg_ : float or None
        The chosen regulariser.
    cv_results_ : dict of ndarray or None
        One entry per candidate: ``"gamma"``, ``"reg"`` and ``"loo_loss"``
        (the leave-one-out loss; lower is better; NaN when there was a single
        candidate and nothing to choose).
    sample_weight_ : ndarray of shape (n_samples,)
        The weight each row of ``X`` got in the estimator's fit.
    n_training_rows_ : int
        Number of rows the estimator was fitted on.
    classes_ : ndarray
        Class labels, for classifiers.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has them.

    See Also
    --------
    ULSIF : The plain ratio (``alpha = 0``).
    KLIEP : The ratio by maximum likelihood.
    ulsif_weights : The ratio at the source rows alone.

    Notes
    -----
    The leave-one-out loss is Kanamori et al.'s closed form, extended to
    ``alpha > 0`` (where leaving a pair out changes both moments) by a rank-2
    Woodbury update. It leaves out pairs of one source and one target row;
    with more than 10 000 pairs possible it averages over 10 000 pairs drawn
    at random, an unbiased estimate of the full score. Time is
    ``O((n_s + n_t) n_centers d)`` per width for the moments plus
    ``O(n_pairs n_centers^2)`` per candidate; memory ``O(n_centers^2)`` plus
    a block of 4096 rows of the design.

    References
    ----------
    .. [1] M. Yamada, T. Suzuki, T. Kanamori, H. Hachiya and M. Sugiyama,
       "Relative Density-Ratio Estimation for Robust Distribution Comparison",
       Neural Computation 25(5), 2013.
    .. [2] T. Kanamori, S. Hido and M. Sugiyama, "A Least-squares Approach to
       Direct Importance Estimation", JMLR 10, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.instance import RuLSIF
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(300, 2))
    >>> ys = (Xs[:, 0] + Xs[:, 1] ** 2 > 1).astype(int)
    >>> Xt = rng.normal(0.5, 1.0, size=(200, 2))
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, None))
    >>> model = RuLSIF(alpha=0.1, random_state=0).fit(X, y, sample_domain=sample_domain)
    >>> bool(model.weights_.max() <= 1 / 0.1 + 1e-9)
    True
    >>> model.predict(Xt).shape
    (200,)
    """

    _method_name = "RuLSIF"

    _parameter_constraints = {
        **BaseReweighting._parameter_constraints,
        **_RULSIF_PARAMETERS,
    }

    def __init__(
        self,
        estimator=None,
        *,
        alpha=0.1,
        n_centers=100,
        gamma=None,
        reg=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.alpha = alpha
        self.n_centers = n_centers
        self.gamma = gamma
        self.reg = reg
        self.random_state = random_state
        self.verbose = verbose

    def _alpha(self):
        return float(self.alpha)

    def _no_ratio_attributes(self):
        self.reg_ = None

    def _fit_ratio(self, X_source, X_target, gammas, rng):
        alpha = self._alpha()
        regs = _candidates(DEFAULT_REGS if self.reg is None else self.reg, "reg")
        choose = gammas.size * regs.size > 1
        if choose and min(X_source.shape[0], X_target.shape[0]) < 2:
            raise ValueError(
                f"{self._method_name} chooses gamma and reg by leave-one-out, which "
                "needs at least 2 source and 2 target rows; got "
                f"{X_source.shape[0]} and {X_target.shape[0]}. Give a single "
                "gamma and reg, or more rows."
            )
        losses = np.full((gammas.size, regs.size), np.nan)
        moments = []
        for k, gamma in enumerate(gammas):
            _, H_source = design_moments(X_source, self.centers_, gamma)
            h, H_target = design_moments(
                X_target, self.centers_, gamma, second=alpha > 0
            )
            moments.append((H_source, H_target, h))
            if choose:
                losses[k] = _loo_score(
                    X_source,
                    X_target,
                    self.centers_,
                    gamma,
                    moments[k],
                    alpha,
                    regs,
                    rng,
                )
                report_progress(
                    logger,
                    self.verbose,
                    "%s: gamma=%.4g, leave-one-out loss %s",
                    self._method_name,
                    gamma,
                    np.array2string(losses[k], precision=4),
                    level=2,
                )
        if choose and not np.isfinite(losses).all():
            raise ValueError(
                f"{self._method_name}'s leave-one-out loss is not finite for some "
                "candidates (the kernel values underflow or overflow at these "
                "widths); standardise the features or give gamma explicitly."
            )
        best_gamma, best_reg = (
            np.unravel_index(np.argmin(losses), losses.shape) if choose else (0, 0)
        )
        H_source, H_target, h = moments[best_gamma]
        self.coef_, _ = lsif_theta(
            lsif_matrix(H_source, H_target, alpha), h, regs[best_reg]
        )
        self.gamma_, self.reg_ = float(gammas[best_gamma]), float(regs[best_reg])
        grid_gamma, grid_reg = np.meshgrid(gammas, regs, indexing="ij")
        self.cv_results_ = {
            "gamma": grid_gamma.ravel(),
            "reg": grid_reg.ravel(),
            "loo_loss": losses.ravel(),
        }
        report_progress(
            logger,
            self.verbose,
            "%s: chose gamma=%.4g, reg=%.4g",
            self._method_name,
            self.gamma_,
            self.reg_,
        )


class ULSIF(RuLSIF):
    """Fit an estimator on source rows weighted by uLSIF's density ratio.

    uLSIF (Kanamori, Hido & Sugiyama 2009) estimates the density ratio
    ``r(x) = p_t(x) / p_s(x)`` as ``sum_l theta_l exp(-gamma |x - c_l|^2)``
    over ``n_centers`` centres ``c_l`` drawn from the target rows, by least
    squares: ``theta`` minimises ``1/2 E_s r^2 - E_t r + reg/2 |theta|^2``
    (the squared error to the true ratio up to a constant), in closed form
    ``theta = max(0, (H + reg I)^-1 h)`` with ``H = E_s[phi phi']`` and
    ``h = E_t[phi]``. The kernel width and ``reg`` minimise the closed-form
    leave-one-out loss over the grid ``gamma x reg``. Then ``estimator`` is
    fitted on the labeled rows, the source rows weighted by ``r`` at them
    (normalised to mean 1), labeled target rows by 1.

    Rows follow the ``sample_domain`` convention: ``sample_domain >= 0``
    source, ``< 0`` target; unlabeled target rows carry ``y = -1`` (``NaN``
    for regression). Without target rows every weight is 1.

    Parameters
    ----------
    estimator : estimator object, default=None
        Fitted on the weighted rows; must accept ``sample_weight``. ``None``
        means ``LogisticRegression()``.
    n_centers : int, default=100
        Kernel centres, drawn at random from the target rows (all of them
        when there are fewer).
    gamma : float, array-like of float or None, default=None
        RBF coefficient (``gamma = 1 / (2 sigma^2)``), or the candidates to
        choose it from. None: the widths ``sigma = f * median`` for ``f`` in
        ``(0.25, 0.5, 1, 2, 4)``, ``median`` the median distance between rows
        of both domains (:func:`~sktransfer.metrics.median_bandwidth`).
    reg : float, array-like of float or None, default=None
        The regulariser of ``theta``, or its candidates. None:
        ``numpy.logspace(-3, 1, 9)``.
    random_state : int, RandomState instance or None, default=None
        Draws the centres, the rows of the median and of the leave-one-out
        score, and seeds the estimator's unset seeds.
    verbose : int, default=0
        1 reports the stages and the chosen parameters: to the ``sktransfer``
        logger when logging shows INFO, otherwise to stderr.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    weights_ : ndarray of shape (n_source_rows,)
        The estimated ratio at the source rows, in their order in ``X`` (not
        normalised; the estimator gets them scaled to mean 1).
    effective_sample_size_ : float
        Kish's ``(sum w)^2 / sum w^2`` of ``weights_``.
    centers_ : {ndarray, sparse matrix} of shape (n_centers, n_features) or None
        The kernel centres (target rows).
    coef_ : ndarray of shape (n_centers,) or None
        ``theta``, non-negative.
    gamma_ : float or None
        The chosen RBF coefficient.
    reg_ : float or None
        The chosen regulariser.
    cv_results_ : dict of ndarray or None
        One entry per candidate: ``"gamma"``, ``"reg"`` and ``"loo_loss"``
        (the leave-one-out loss; lower is better; NaN when there was a single
        candidate and nothing to choose).
    sample_weight_ : ndarray of shape (n_samples,)
        The weight each row of ``X`` got in the estimator's fit.
    n_training_rows_ : int
        Number of rows the estimator was fitted on.
    classes_ : ndarray
        Class labels, for classifiers.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has them.

    See Also
    --------
    RuLSIF : The relative ratio, bounded.
    KLIEP : The ratio by maximum likelihood.
    ulsif_weights : The ratio at the source rows alone.

    Notes
    -----
    The leave-one-out loss leaves out pairs of one source and one target row
    (Kanamori et al.'s closed form, a rank-1 update per pair); with more than
    10 000 pairs possible it averages over 10 000 pairs drawn at random, an
    unbiased estimate of the full score. Time is ``O((n_s + n_t) n_centers
    d)`` per width plus ``O(n_pairs n_centers^2)`` per candidate; memory
    ``O(n_centers^2)`` plus a block of 4096 rows of the design.

    References
    ----------
    .. [1] T. Kanamori, S. Hido and M. Sugiyama, "A Least-squares Approach to
       Direct Importance Estimation", JMLR 10, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.instance import ULSIF
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(300, 2))
    >>> ys = (Xs[:, 0] + Xs[:, 1] ** 2 > 1).astype(int)
    >>> Xt = rng.normal(0.5, 1.0, size=(200, 2))
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, None))
    >>> model = ULSIF(random_state=0).fit(X, y, sample_domain=sample_domain)
    >>> model.weights_.shape
    (300,)
    >>> # rows towards the target's mean (0.5, 0.5) weigh more
    >>> near = model.predict_weights(np.array([[0.5, 0.5]]))
    >>> far = model.predict_weights(np.array([[-2.0, -2.0]]))
    >>> bool(near[0] > far[0])
    True
    """

    _method_name = "uLSIF"

    _parameter_constraints = {
        **BaseReweighting._parameter_constraints,
        **_LSIF_PARAMETERS,
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_centers=100,
        gamma=None,
        reg=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.n_centers = n_centers
        self.gamma = gamma
        self.reg = reg
        self.random_state = random_state
        self.verbose = verbose

    def _alpha(self):
        return 0.0


# -- likelihood ---------------------------------------------------------------------


def _held_out_log_likelihood(Psi, b, folds, tol, max_iter):
    """Mean over the folds of the held-out rows' mean log ratio, and how many
    of the fold fits stopped short."""
    scores, short = [], 0
    for train, test in folds:
        solution = kliep_theta(Psi[train], b, tol=tol, max_iter=max_iter)
        short += not solution.converged
        with np.errstate(divide="ignore"):
            scores.append(float(np.mean(np.log(Psi[test] @ solution.theta))))
    return float(np.mean(scores)), short


class KLIEP(_KernelDensityRatio):
    """Fit an estimator on source rows weighted by KLIEP's density ratio.

    KLIEP (Sugiyama et al. 2008) estimates the density ratio
    ``r(x) = p_t(x) / p_s(x)`` as ``sum_l theta_l exp(-gamma |x - c_l|^2)``
    over ``n_centers`` centres ``c_l`` drawn from the target rows, by
    maximising the likelihood of the target rows under ``r p_s``:
    ``mean_t log r(x)`` over ``theta >= 0`` with ``mean_s r(x) = 1`` (the
    Kullback-Leibler divergence from ``p_t`` to ``r p_s``, minimised). The
    problem is concave; it is solved by a log-barrier Newton method whose
    stopping rule certifies the objective to within ``tol``. The kernel width
    maximises the held-out likelihood over ``n_folds`` folds of the target rows
    (Sugiyama et al.'s likelihood cross-validation). Then ``estimator`` is
    fitted on the labeled rows, the source rows weighted by ``r`` at them
    (mean 1 by the constraint), labeled target rows by 1.

    Rows follow the ``sample_domain`` convention: ``sample_domain >= 0``
    source, ``< 0`` target; unlabeled target rows carry ``y = -1`` (``NaN``
    for regression). Without target rows every weight is 1.

    Parameters
    ----------
    estimator : estimator object, default=None
        Fitted on the weighted rows; must accept ``sample_weight``. ``None``
        means ``LogisticRegression()``.
    n_centers : int, default=100
        Kernel centres, drawn at random from the target rows (all of them
        when there are fewer).
    gamma : float, array-like of float or None, default=None
        RBF coefficient (``gamma = 1 / (2 sigma^2)``), or the candidates to
        choose it from. None: the widths ``sigma = f * median`` for ``f`` in
        ``(0.25, 0.5, 1, 2, 4)``, ``median`` the median distance between rows
        of both domains (:func:`~sktransfer.metrics.median_bandwidth`).
    n_folds : int, default=5
        Folds of the target rows (shuffled, seeded by ``random_state``) for
        the likelihood cross-validation; unused with a single ``gamma``.
    tol : float, default=1e-6
        The solver stops once the objective is certified within ``tol`` of
        its maximum (the Frank-Wolfe duality gap).
    max_iter : int, default=200
        Newton iterations per fit; a ``ConvergenceWarning`` says when the
        final fit runs out of them.
    random_state : int, RandomState instance or None, default=None
        Draws the centres, the rows of the median and the folds, and seeds
        the estimator's unset seeds.
    verbose : int, default=0
        1 reports the stages and the chosen width: to the ``sktransfer``
        logger when logging shows INFO, otherwise to stderr.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    weights_ : ndarray of shape (n_source_rows,)
        The estimated ratio at the source rows, in their order in ``X``
        (mean 1, the constraint).
    effective_sample_size_ : float
        Kish's ``(sum w)^2 / sum w^2`` of ``weights_``.
    centers_ : {ndarray, sparse matrix} of shape (n_centers, n_features) or None
        The kernel centres (target rows).
    coef_ : ndarray of shape (n_centers,) or None
        ``theta``, non-negative.
    gamma_ : float or None
        The chosen RBF coefficient.
    objective_ : float or None
        ``mean_t log r(x)`` of the final fit.
    n_iter_ : int
        Newton iterations of the final fit (0 without target rows).
    cv_results_ : dict of ndarray or None
        One entry per candidate width: ``"gamma"`` and
        ``"held_out_log_likelihood"`` (higher is better; NaN with a single
        candidate).
    sample_weight_ : ndarray of shape (n_samples,)
        The weight each row of ``X`` got in the estimator's fit.
    n_training_rows_ : int
        Number of rows the estimator was fitted on.
    classes_ : ndarray
        Class labels, for classifiers.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has them.

    See Also
    --------
    ULSIF : The ratio by least squares, in closed form.
    kliep_weights : The ratio at the source rows alone.

    Notes
    -----
    Memory: the target rows' design, ``n_t x n_centers`` values, held three
    times during a Newton step (refused beforehand when that exceeds the
    machine's memory). Time per Newton step ``O(n_t n_centers^2)``; a fit
    takes some tens of steps. Centres where no source row has kernel mass
    (``mean_s k(x, c_l) = 0`` in float64) keep ``theta_l = 0``: there the
    likelihood would grow without bound.

    References
    ----------
    .. [1] M. Sugiyama, S. Nakajima, H. Kashima, P. von Buenau and
       M. Kawanabe, "Direct Importance Estimation with Model Selection and
       Its Application to Covariate Shift Adaptation", NIPS 2007 (and Annals
       of the Institute of Statistical Mathematics 60, 2008).
    .. [2] S. Boyd and L. Vandenberghe, "Convex Optimization", Cambridge
       University Press 2004, section 11.3 (barrier methods).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.instance import KLIEP
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(300, 2))
    >>> ys = (Xs[:, 0] + Xs[:, 1] ** 2 > 1).astype(int)
    >>> Xt = rng.normal(0.5, 1.0, size=(200, 2))
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, None))
    >>> model = KLIEP(random_state=0).fit(X, y, sample_domain=sample_domain)
    >>> round(float(model.weights_.mean()), 6)
    1.0
    >>> model.predict(Xt).shape
    (200,)
    """

    _method_name = "KLIEP"

    _parameter_constraints = {
        **BaseReweighting._parameter_constraints,
        **_KLIEP_PARAMETERS,
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_centers=100,
        gamma=None,
        n_folds=5,
        tol=1e-6,
        max_iter=200,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.n_centers = n_centers
        self.gamma = gamma
        self.n_folds = n_folds
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.verbose = verbose

    def _no_ratio_attributes(self):
        self.objective_ = None
        self.n_iter_ = 0

    def _fit_ratio(self, X_source, X_target, gammas, rng):
        n_target, n_centers = X_target.shape[0], self.centers_.shape[0]
        _refuse_beyond_memory(
            3 * 8 * n_target * n_centers,
            np.inf,
            f"KLIEP with {n_target} target rows and {n_centers} centres holds "
            f"{n_target} x {n_centers} kernel values three times and",
            "Lower n_centers, or fit on a sample of the target rows.",
        )
        choose = gammas.size > 1
        if choose and n_target < self.n_folds:
            raise ValueError(
                f"KLIEP chooses gamma by {self.n_folds}-fold likelihood "
                "cross-validation over the target rows, which needs at least "
                f"{self.n_folds} of them; got {n_target}. Lower n_folds, give a "
                "single gamma, or add target rows."
            )
        folds = (
            list(KFold(self.n_folds, shuffle=True, random_state=rng).split(X_target))
            if choose
            else []
        )
        scores = np.full(gammas.size, np.nan)
        # The source rows' kernel means, one pass over them per width, kept
        # for the final fit (n_centers values each).
        source_means = [None] * gammas.size
        for k, gamma in enumerate(gammas if choose else ()):
            source_means[k], _ = design_moments(
                X_source, self.centers_, gamma, second=False
            )
            Psi = design(X_target, self.centers_, gamma)
            scores[k], short = _held_out_log_likelihood(
                Psi, source_means[k], folds, self.tol, self.max_iter
            )
            report_progress(
                logger,
                self.verbose,
                "KLIEP: gamma=%.4g, held-out log-likelihood %.5g%s",
                gamma,
                scores[k],
                f" ({short} fold fits stopped at max_iter)" if short else "",
                level=2,
            )
        if choose and np.isneginf(scores).all():
            raise ValueError(
                "KLIEP's held-out likelihood is 0 at every kernel width: held-out "
                "target rows fall where the fitted ratio is 0. Try wider kernels "
                "(smaller gamma) or more centres."
            )
        best = int(np.nanargmax(scores)) if choose else 0
        gamma = float(gammas[best])
        b = source_means[best]
        if b is None:
            b, _ = design_moments(X_source, self.centers_, gamma, second=False)
        solution = kliep_theta(
            design(X_target, self.centers_, gamma),
            b,
            tol=self.tol,
            max_iter=self.max_iter,
        )
        if not solution.converged:
            warnings.warn(
                f"KLIEP stopped after max_iter={self.max_iter} Newton iterations "
                f"with the objective within {solution.gap:.3g} of its maximum, "
                f"above tol={self.tol:g}. Raise max_iter or tol.",
                ConvergenceWarning,
                stacklevel=_user_stacklevel(),
            )
        self.coef_, self.gamma_ = solution.theta, gamma
        self.objective_, self.n_iter_ = solution.objective, solution.n_iter
        self.cv_results_ = {"gamma": gammas, "held_out_log_likelihood": scores}
        report_progress(
            logger,
            self.verbose,
            "KLIEP: chose gamma=%.4g; %d Newton iterations, mean log ratio %.5g",
            gamma,
            solution.n_iter,
            solution.objective,
        )


# -- the ratios alone ----------------------------------------------------------------


@validate_params(
    {
        "X_source": ["array-like", "sparse matrix"],
        "X_target": ["array-like", "sparse matrix"],
    }
    | _RULSIF_PARAMETERS,
    prefer_skip_nested_validation=True,
)
def ulsif_weights(
    X_source,
    X_target,
    *,
    alpha=0.0,
    n_centers=100,
    gamma=None,
    reg=None,
    random_state=None,
    verbose=0,
):
    """The uLSIF (or, with ``alpha``, RuLSIF) density ratio at the source rows.

    ``p_t(x) / p_s(x)`` (with ``alpha > 0`` the relative ratio
    ``p_t / (alpha p_t + (1 - alpha) p_s)``) estimated by least squares with
    Gaussian kernels centred at target rows, the width and the regulariser
    chosen by the closed-form leave-one-out score; see :class:`ULSIF` and
    :class:`RuLSIF` for the model.

    Parameters
    ----------
    X_source : {array-like, sparse matrix} of shape (n_source, n_features)
        The rows to weight.
    X_target : {array-like, sparse matrix} of shape (n_target, n_features)
        The target rows (at least one).
    alpha : float in [0, 1), default=0.0
        0: the plain ratio (uLSIF); above: the relative ratio (RuLSIF).
    n_centers : int, default=100
        Kernel centres drawn from the target rows.
    gamma : float, array-like of float or None, default=None
        RBF coefficient or its candidates (None: widths around the median
        distance, as in :class:`ULSIF`).
    reg : float, array-like of float or None, default=None
        The regulariser or its candidates (None: ``numpy.logspace(-3, 1, 9)``).
    random_state : int, RandomState instance or None, default=None
        Draws the centres and the rows of the median and the leave-one-out score.
    verbose : int, default=0
        1 reports the stages.

    Returns
    -------
    weights : ndarray of shape (n_source,)
        The estimated ratio at each source row (non-negative, not normalised).

    See Also
    --------
    ULSIF, RuLSIF : Fit an estimator with these weights.
    kliep_weights : The ratio by maximum likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.instance import ulsif_weights
    >>> rng = np.random.RandomState(0)
    >>> X_source = rng.normal(size=(500, 1))
    >>> X_target = rng.normal(1.0, 0.5, size=(300, 1))
    >>> weights = ulsif_weights(X_source, X_target, random_state=0)
    >>> bool(weights[X_source[:, 0] > 0.5].mean() > weights[X_source[:, 0] < -1].mean())
    True
    """
    model = RuLSIF(
        alpha=alpha,
        n_centers=n_centers,
        gamma=gamma,
        reg=reg,
        random_state=random_state,
        verbose=verbose,
    )
    model._fit_weights(*validated_domains(model, X_source, X_target))
    return model.weights_


@validate_params(
    {
        "X_source": ["array-like", "sparse matrix"],
        "X_target": ["array-like", "sparse matrix"],
    }
    | _KLIEP_PARAMETERS,
    prefer_skip_nested_validation=True,
)
def kliep_weights(
    X_source,
    X_target,
    *,
    n_centers=100,
    gamma=None,
    n_folds=5,
    tol=1e-6,
    max_iter=200,
    random_state=None,
    verbose=0,
):
    """The KLIEP density ratio at the source rows.

    ``p_t(x) / p_s(x)`` estimated by maximum likelihood with Gaussian kernels
    centred at target rows, the width chosen by likelihood cross-validation;
    see :class:`KLIEP` for the model.

    Parameters
    ----------
    X_source : {array-like, sparse matrix} of shape (n_source, n_features)
        The rows to weight.
    X_target : {array-like, sparse matrix} of shape (n_target, n_features)
        The target rows (at least one).
    n_centers : int, default=100
        Kernel centres drawn from the target rows.
    gamma : float, array-like of float or None, default=None
        RBF coefficient or its candidates (None: widths around the median
        distance, as in :class:`KLIEP`).
    n_folds : int, default=5
        Folds of the likelihood cross-validation.
    tol : float, default=1e-6
        Certified distance of the objective from its maximum.
    max_iter : int, default=200
        Newton iterations per fit.
    random_state : int, RandomState instance or None, default=None
        Draws the centres, the rows of the median and the folds.
    verbose : int, default=0
        1 reports the stages.

    Returns
    -------
    weights : ndarray of shape (n_source,)
        The estimated ratio at each source row (non-negative, mean 1).

    See Also
    --------
    KLIEP : Fits an estimator with these weights.
    ulsif_weights : The ratio by least squares.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.instance import kliep_weights
    >>> rng = np.random.RandomState(0)
    >>> X_source = rng.normal(size=(500, 1))
    >>> X_target = rng.normal(1.0, 0.5, size=(300, 1))
    >>> weights = kliep_weights(X_source, X_target, random_state=0)
    >>> round(float(weights.mean()), 6)
    1.0
    """
    model = KLIEP(
        n_centers=n_centers,
        gamma=gamma,
        n_folds=n_folds,
        tol=tol,
        max_iter=max_iter,
        random_state=random_state,
        verbose=verbose,
    )
    model._fit_weights(*validated_domains(model, X_source, X_target))
    return model.weights_
