"""Kernel mean matching (Huang et al. 2006): source weights that match the target.

KMM weights the source rows so that their weighted mean in the kernel's feature
space is as close as possible to the target rows' mean:

    minimize    1/2 b' K b - kappa' b
    subject to  0 <= b_i <= B,   |sum(b) - n_s| <= n_s * eps,

with ``K`` the source kernel matrix and ``kappa_i = (n_s / n_t) sum_j k(x_i, x'_j)``
over the target rows ``x'_j``. Up to a constant the objective is
``1/2 || sum_i b_i phi(x_i) - (n_s / n_t) sum_j phi(x'_j) ||^2``.

Two solvers share that problem (both in :mod:`._interior_point`; this module
computes the kernel statistics they take and checks their status):

- ``"exact"``: the QP with the full kernel matrix, in cvxpy with Clarabel
  (an interior-point solver that ships with cvxpy). O(n_s^2) memory.
- ``"fast"``: the same QP with the kernel approximated by a Nystroem factor
  of rank ``m`` plus the exact diagonal, ``K ~ Phi Phi' + Lambda`` with
  ``Lambda_ii = k(x_i, x_i) - |phi(x_i)|^2`` (and ``kappa`` by the same
  features), solved by a primal-dual interior-point method written for it
  in O(n_s m^2) time and O(n_s m) memory per iteration. A first-order method
  (accelerated projected gradient) was tried first; the problem's
  conditioning (eigenvalues of ``Phi' Phi`` spread over five orders of
  magnitude) left it thousands of iterations from the optimum where the
  interior-point method needs 10 to 40.

``eps=0`` (the default with one source row) makes the bound on the sum an
equality, which both solvers take as such.
"""

import logging
import numbers
import os
import warnings
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from .._kernels import (
    KERNEL_PARAMETERS,
    check_feature_scale,
    kernel_arguments,
    kernel_diagonal,
    kernel_features,
    kernel_overflow_error,
    kernel_row_sums,
    nystroem_basis,
    resolve_gamma,
)
from ..base import report_progress
from ..utils import _user_stacklevel
from ._interior_point import solve_exact, solve_interior_point
from ._reweighting import BaseReweighting, validated_domains

logger = logging.getLogger(__name__)

# solver="auto" takes the exact path up to this many source rows.
_AUTO_EXACT_MAX_SOURCE_ROWS = 1000
# The exact path holds the n_s x n_s kernel, cvxpy's copy and Clarabel's factor:
# at 5000 rows the process peaked at 3.3 GB and took about a minute on 2 cores
# (benchmarks/results/kmm_vs_peers.md), 132 bytes per kernel entry; beyond,
# use "fast".
_EXACT_MAX_SOURCE_ROWS = 5000
_EXACT_BYTES_PER_KERNEL_ENTRY = 132
# Used when the machine's memory cannot be read.
_DEFAULT_MEMORY_BYTES = 16 * 2**30

_KMM_PARAMETERS = {
    **KERNEL_PARAMETERS,
    "B": [Interval(numbers.Real, 0, None, closed="neither")],
    "eps": [Interval(numbers.Real, 0, None, closed="left"), None],
    "solver": [StrOptions({"auto", "exact", "fast"})],
    "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
    "tol": [Interval(numbers.Real, 0, None, closed="neither")],
    "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
    "n_jobs": [numbers.Integral, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


@dataclass
class _KMMSolution:
    weights: np.ndarray
    objective: float
    n_iter: int
    rank: int | None = None


# -- the problem's data ------------------------------------------------------------


def _sum_bounds(n_source, B, eps):
    """The eps default and the bounds on sum(b); raise when no weights fit them."""
    if eps is None:
        eps = (np.sqrt(n_source) - 1) / np.sqrt(n_source)
    low, high = max(n_source * (1 - eps), 0.0), n_source * (1 + eps)
    if B * n_source <= low:
        raise ValueError(
            f"The KMM constraints are infeasible: weights at most B={B} sum to at "
            f"most B * n_s = {B * n_source:g}, which does not exceed the required "
            f"minimum n_s * (1 - eps) = {low:g} (eps={eps:g}), so no weights lie "
            "strictly inside the bounds. Raise B above 1 - eps, or raise eps."
        )
    return eps, low, high


def _memory_budget():
    """Bytes of memory of this machine (the size at which KMM refuses to start)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return _DEFAULT_MEMORY_BYTES


def _fast_path_bytes(n_source, n_landmarks):
    """Peak memory of the fast path: the source features (twice: the solver
    may rescale a copy) and, for the landmarks, their kernel matrix, its
    eigenvectors and the projection."""
    return 8 * (2 * n_source * n_landmarks + 4 * n_landmarks**2)


def _refuse_memory(solver, needed, advice):
    budget = _memory_budget()
    if needed > budget:
        raise ValueError(
            f"solver={solver!r} would need about {needed / 2**30:.3g} GiB of memory "
            f"for this problem, more than this machine's {budget / 2**30:.3g} GiB. "
            f"{advice}"
        )


def _choose_solver(solver, n_source, n_target, n_components):
    """The solver to use; refuse, with an estimate, one that cannot fit in memory."""
    if solver == "auto":
        solver = "exact" if n_source <= _AUTO_EXACT_MAX_SOURCE_ROWS else "fast"
    if solver == "exact":
        if n_source > _EXACT_MAX_SOURCE_ROWS:
            gib = 8 * n_source**2 / 2**30
            raise ValueError(
                f"solver='exact' with {n_source} source rows needs the {n_source} x "
                f"{n_source} kernel matrix ({gib:.1f} GiB, several times that inside "
                "the solver) and cubic time; it is limited to "
                f"{_EXACT_MAX_SOURCE_ROWS} source rows. Use solver='fast' (or "
                "'auto'), whose memory is linear in the rows; raise n_components "
                "for a closer kernel approximation."
            )
        _refuse_memory(
            "exact",
            _EXACT_BYTES_PER_KERNEL_ENTRY * n_source**2,
            "Use solver='fast', whose memory is linear in the rows.",
        )
    else:
        n_landmarks = min(n_components, n_source + n_target)
        _refuse_memory(
            "fast",
            _fast_path_bytes(n_source, n_landmarks),
            f"Lower n_components (now {n_components}), or weight a sample of the "
            "source rows.",
        )
    return solver


def _check_kernel_scale(X_source, X_target, kernel, params):
    """Refuse a kernel whose values overflow float64, before any kernel matrix.

    For a positive semi-definite kernel ``|k(x, y)| <= sqrt(k(x, x) k(y, y))``,
    so finite diagonals, with room for the sums over rows, bound every value
    the solvers see.
    """
    n_rows = X_source.shape[0] + X_target.shape[0]
    for X in (X_source, X_target):
        with np.errstate(over="ignore", invalid="ignore"):
            diagonal = kernel_diagonal(X, kernel=kernel, **params)
            overflows = not np.isfinite(np.abs(diagonal).max() * n_rows)
        if overflows:
            raise kernel_overflow_error(X, kernel)


def _require_finite(X, kernel, *statistics):
    """Refuse kernel statistics of ``X`` that overflowed, before a solver sees them."""
    if not all(np.isfinite(values).all() for values in statistics):
        raise kernel_overflow_error(X, kernel)


# -- exact path --------------------------------------------------------------------


def _solve_exact(X_source, X_target, *, kernel, params, B, low, high, n_jobs, verbose):
    n_source, n_target = X_source.shape[0], X_target.shape[0]
    report_progress(
        logger,
        verbose,
        "KMM exact: %d x %d kernel matrix (%.1f MiB), then Clarabel",
        n_source,
        n_source,
        8 * n_source**2 / 2**20,
    )
    gram = pairwise_kernels(X_source, metric=kernel, filter_params=True, **params)
    gram = (gram + gram.T) / 2
    kappa = (n_source / n_target) * kernel_row_sums(
        X_source, X_target, kernel=kernel, n_jobs=n_jobs, **params
    )
    _require_finite(X_source, kernel, gram, kappa)
    result = solve_exact(gram, kappa, upper=B, sum_low=low, sum_high=high)
    _check_exact_status(result)
    weights = result.weights
    objective = 0.5 * weights @ gram @ weights - kappa @ weights
    return _KMMSolution(weights, float(objective), result.n_iter)


def _check_exact_status(result):
    """Raise when Clarabel left no weights to trust; warn when they are inexact."""
    if result.status == "solver_error":
        raise ValueError(
            f"The exact KMM solver (Clarabel) failed: {result.detail}. Use "
            "solver='fast', or check that the kernel matrix is positive "
            "semi-definite."
        )
    if result.weights is None or not result.status.startswith("optimal"):
        raise ValueError(
            f"The exact KMM solver (Clarabel) ended with status {result.status!r}, "
            "so there are no weights to trust. Use solver='fast', or check the "
            "kernel (positive semi-definite) and the bounds B and eps."
        )
    if result.status != "optimal":
        warnings.warn(
            f"The exact KMM solver (Clarabel) stopped with status "
            f"{result.status!r} after {result.n_iter} iterations: an inaccurate "
            "solution; the weights were moved onto the constraints but may be off "
            "the optimum. Scaling the features (StandardScaler), or "
            "solver='fast', may help.",
            ConvergenceWarning,
            stacklevel=_user_stacklevel(),
        )


# -- fast path ---------------------------------------------------------------------


def _sample_landmarks(X_source, X_target, n_components, rng):
    n_source, n_target = X_source.shape[0], X_target.shape[0]
    chosen = np.sort(
        rng.choice(n_source + n_target, min(n_components, n_source + n_target), False)
    )
    from_source, from_target = chosen[chosen < n_source], chosen[chosen >= n_source]
    parts = [X_source[from_source], X_target[from_target - n_source]]
    if any(sparse.issparse(part) for part in parts):
        return sparse.vstack(parts, format="csr")
    return np.vstack(parts)


def _solve_fast(
    X_source,
    X_target,
    *,
    kernel,
    params,
    B,
    low,
    high,
    n_components,
    tol,
    max_iter,
    n_jobs,
    random_state,
    verbose,
):
    landmarks = _sample_landmarks(X_source, X_target, n_components, random_state)
    projection = nystroem_basis(landmarks, kernel=kernel, **params)
    report_progress(
        logger,
        verbose,
        "KMM fast: %d landmarks, Nystroem kernel of rank %d",
        landmarks.shape[0],
        projection.shape[1],
    )
    features = kernel_features(
        X_source, landmarks, projection, kernel=kernel, n_jobs=n_jobs, **params
    )
    target_sum = kernel_features(
        X_target,
        landmarks,
        projection,
        kernel=kernel,
        sum_rows=True,
        n_jobs=n_jobs,
        **params,
    )
    ratio = X_source.shape[0] / X_target.shape[0]
    target_mean = ratio * target_sum
    # Nystroem underestimates k(x, x); putting the exact diagonal back makes
    # the approximate kernel matrix full rank, so weights the landmarks cannot
    # see are not left free (measured: closer to the exact weights, and better
    # downstream accuracy).
    missing = kernel_diagonal(X_source, kernel=kernel, **params) - np.einsum(
        "ij,ij->i", features, features
    )
    missing = np.clip(missing, 0, None)
    _require_finite(X_source, kernel, features, target_mean, missing)
    # The diagonal also enters kappa where a target row equals a source row
    # (with the target rows equal to the source rows, b = 1 stays optimal).
    diagonal_target = ratio * _equal_rows_in(X_source, X_target)
    result = solve_interior_point(
        features,
        target_mean,
        upper=B,
        sum_low=low,
        sum_high=high,
        tol=tol,
        max_iter=max_iter,
        diagonal=missing,
        diagonal_target=diagonal_target,
        progress=partial(_report_iteration, verbose),
    )
    _check_interior_point_status(result, tol)
    weights = result.weights
    projected = features.T @ weights
    objective = (
        0.5 * projected @ projected
        + 0.5 * missing @ weights**2
        - target_mean @ projected
        - missing @ (diagonal_target * weights)
    )
    return _KMMSolution(weights, float(objective), result.n_iter, projection.shape[1])


def _report_iteration(verbose, iteration, objective, gap, step):
    report_progress(
        logger,
        verbose,
        "KMM interior point %d: objective %.6g, duality gap %.3g, step %.3f",
        iteration,
        objective,
        gap,
        step,
        level=2,
    )


def _check_interior_point_status(result, tol):
    """Warn, with the iteration count, when the fast solver did not prove ``tol``."""
    if result.status == "optimal":
        return
    reason = "out of precision" if result.status == "stalled" else "max_iter reached"
    warnings.warn(
        f"The fast KMM solver stopped after {result.n_iter} iterations ({reason}) "
        f"with the objective at most {result.gap:.2g} (relative to uniform "
        f"weights) above its minimum, above tol={tol:g}. The weights satisfy the "
        "constraints but may be off the optimum: raise max_iter or tol.",
        ConvergenceWarning,
        stacklevel=_user_stacklevel(),
    )


def _row_keys(X):
    if sparse.issparse(X):
        X = X.tocsr(copy=True)
        X.sum_duplicates()
        return [
            X.indices[start:stop].tobytes() + X.data[start:stop].tobytes()
            for start, stop in zip(X.indptr[:-1], X.indptr[1:])
        ]
    return [row.tobytes() for row in np.ascontiguousarray(X)]


def _equal_rows_in(X_source, X_target):
    """For each source row, how many target rows are equal to it."""
    counts = {}
    for key in _row_keys(X_target):
        counts[key] = counts.get(key, 0) + 1
    return np.array([counts.get(key, 0) for key in _row_keys(X_source)], dtype=float)


# -- entry points ------------------------------------------------------------------


@validate_params(
    {
        "X_source": ["array-like", "sparse matrix"],
        "X_target": ["array-like", "sparse matrix"],
    }
    | _KMM_PARAMETERS,
    prefer_skip_nested_validation=True,
)
def kmm_weights(
    X_source,
    X_target,
    *,
    kernel="rbf",
    gamma=None,
    kernel_params=None,
    B=1000.0,
    eps=None,
    solver="auto",
    n_components=300,
    tol=1e-6,
    max_iter=100,
    n_jobs=None,
    random_state=None,
    verbose=0,
):
    """Kernel mean matching weights of source rows for a target sample.

    Solves Huang et al.'s QP (see :class:`KernelMeanMatching` for the problem,
    the solvers and the parameters) and returns the weights alone, for use with
    any estimator's ``sample_weight``.

    Parameters
    ----------
    X_source : {array-like, sparse matrix} of shape (n_source, n_features)
        Rows to weight.
    X_target : {array-like, sparse matrix} of shape (n_target, n_features)
        Rows whose kernel mean the weighted source should match.
    kernel, gamma, kernel_params, B, eps, solver, n_components, tol, max_iter, \
n_jobs, random_state, verbose
        As in :class:`KernelMeanMatching`.

    Returns
    -------
    weights : ndarray of shape (n_source,)
        ``0 <= weights <= B`` and ``|sum(weights) - n_source| <= n_source * eps``.

    Raises
    ------
    ValueError
        For rows the domain validator refuses (no rows, NaN, different feature
        counts, which name ``KernelMeanMatching``: these are its weights),
        infeasible bounds, features whose kernel values overflow, a problem
        too large for the solver's memory, or a failed exact solve.

    See Also
    --------
    KernelMeanMatching : Fits an estimator with these weights.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.instance import kmm_weights
    >>> rng = np.random.RandomState(0)
    >>> X_source = rng.normal(size=(200, 1))
    >>> X_target = rng.normal(1.0, 0.5, size=(100, 1))
    >>> weights = kmm_weights(X_source, X_target, random_state=0)
    >>> bool(weights[X_source[:, 0] > 1].mean() > weights[X_source[:, 0] < -1].mean())
    True
    """
    model = KernelMeanMatching(
        kernel=kernel,
        gamma=gamma,
        kernel_params=kernel_params,
        B=B,
        eps=eps,
        solver=solver,
        n_components=n_components,
        tol=tol,
        max_iter=max_iter,
        n_jobs=n_jobs,
        random_state=random_state,
        verbose=verbose,
    )
    model._fit_weights(*validated_domains(model, X_source, X_target))
    return model.weights_


class KernelMeanMatching(BaseReweighting):
    """Kernel mean matching: fit an estimator on source rows reweighted to the target.

    The weights ``b`` of the source rows solve Huang et al.'s QP::

        minimize    1/2 b' K b - kappa' b
        subject to  0 <= b_i <= B,   |sum(b) - n_s| <= n_s * eps,

    with ``K`` the kernel matrix of the source rows and
    ``kappa_i = (n_s / n_t) sum_j k(x_i, x'_j)`` over the target rows: the
    weighted source mean in the kernel's feature space is brought as close as
    the bounds allow to the target mean. The target rows' labels are not used,
    so the target can be entirely unlabeled. ``estimator`` is then fitted on
    the labeled rows: the source rows with their weights (rescaled to mean 1,
    sklearn's scale), and any labeled target rows with weight 1.

    Rows follow the ``sample_domain`` convention: ``sample_domain >= 0`` source,
    ``< 0`` target; unlabeled target rows carry ``y = -1`` (``NaN`` for
    regression). Without ``sample_domain`` and without unlabeled rows every row
    is source and the estimator is fitted unweighted (the no-transfer
    counterpart, which sklearn's common checks exercise).

    Parameters
    ----------
    estimator : estimator object, default=None
        Fitted on the weighted rows; must accept ``sample_weight``. ``None``
        means ``LogisticRegression()``. Classifier or regressor: the wrapper
        takes its kind.
    kernel : {"rbf", "laplacian", "linear", "poly", "cosine"}, default="rbf"
        A positive semi-definite kernel of
        :func:`sklearn.metrics.pairwise.pairwise_kernels`.
    gamma : float, default=None
        Kernel coefficient. ``None`` with ``kernel="rbf"``: the median heuristic
        ``gamma = 1 / (2 sigma^2)`` with ``sigma`` the median distance between
        rows of both domains (at most 1000 rows drawn with ``random_state``);
        with the other kernels, sklearn's default.
    kernel_params : dict, default=None
        Other kernel parameters (``degree``, ``coef0``); a key the kernel does
        not take is an error.
    B : float, default=1000.0
        Upper bound on each weight (the paper's ``B``): the largest ratio of
        target to source density that KMM may express.
    eps : float, default=None
        Tolerance on the mean weight: ``|sum(b) - n_s| <= n_s * eps``. ``None``
        means the paper's ``(sqrt(n_s) - 1) / sqrt(n_s)`` (0 with one source
        row). ``eps=0`` fixes the sum at ``n_s``: both solvers take it as an
        equality.
    solver : {"auto", "exact", "fast"}, default="auto"
        ``"exact"``: the QP with the full kernel matrix in cvxpy (Clarabel);
        O(n_s^2) memory (about 132 bytes per kernel entry at the peak), up to
        5000 source rows. ``"fast"``: the QP with a
        rank-``n_components`` Nystroem kernel (plus the exact diagonal), by an
        interior-point method in
        O(n_s n_components) memory, for any size. ``"auto"``: exact up to 1000
        source rows, fast beyond. A solver whose estimated memory exceeds the
        machine's is refused before it starts, with the estimate.
    n_components : int, default=300
        Landmarks of the fast path's Nystroem kernel, drawn from the rows of
        both domains with ``random_state``; more is closer to the exact kernel
        (and with at least ``n_s + n_t``, equal to it).
    tol : float, default=1e-6
        The fast path stops once the distance of its objective from the
        minimum is proven (by the duality gap, or by the Frank-Wolfe gap) to
        be below ``tol`` times its value at uniform weights. The objective is
        measured here as ``1/2 ||sum_i b_i phi(x_i) - (n_s / n_t) sum_j
        phi(x'_j)||^2``, the paper's plus a constant, which is 0 only when the
        means match, so ``tol`` is relative to the discrepancy to remove.
    max_iter : int, default=100
        Interior-point iterations of the fast path (10 to 40 are typical). A
        ``ConvergenceWarning`` says when they run out, or stall, before ``tol``
        is proven; the weights satisfy the constraints either way.
    n_jobs : int, default=None
        Parallel jobs over blocks of rows for the kernel sums and features
        (threads; a ``joblib.parallel_backend`` context such as Dask applies).
    random_state : int, RandomState instance or None, default=None
        Draws the rows of the median heuristic and the landmarks.
    verbose : int, default=0
        1 reports the solver's stages (solver, kernel, iterations), 2 also
        each interior-point iteration: to the ``sktransfer`` logger when
        logging is configured to show INFO, otherwise printed to stderr.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    weights_ : ndarray of shape (n_source_rows,)
        The KMM weights of the source rows, in their order in ``X`` (all 1
        without target rows).
    sample_weight_ : ndarray of shape (n_samples,)
        The weight each row of ``X`` got in the estimator's fit: source rows
        ``weights_`` rescaled to mean 1, labeled target rows 1, unlabeled rows
        0 (times the ``sample_weight`` passed to ``fit``).
    objective_ : float
        ``1/2 b' K b - kappa' b`` at the weights, with the kernel the solver
        used (on the fast path, the Nystroem kernel with the exact diagonal).
        None without target rows.
    solver_ : str or None
        ``"exact"`` or ``"fast"``; None without target rows.
    n_iter_ : int
        Iterations of the solver.
    gamma_ : float or None
        The kernel coefficient used.
    eps_ : float or None
        The tolerance on the mean weight used.
    n_components_ : int or None
        Rank of the fast path's kernel (landmarks kept after dropping
        numerically dependent ones); None on the exact path.
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
    kmm_weights : The weights alone.
    TrAdaBoostClassifier : Instance transfer with labeled target rows.

    Notes
    -----
    The exact path is the reference: Clarabel's status is checked (an
    inaccurate solution warns, a failure raises) and its solution is projected
    onto the constraints, removing the solver tolerance's last violation. The
    fast path replaces ``K`` and ``kappa`` by their Nystroem approximations
    (Williams & Seeger 2001), with the exact ``k(x_i, x_i)`` on the diagonal of
    ``K`` (without it, weights in the directions the landmarks miss are left
    free, and the weights drift from the exact ones), and solves that QP by a
    primal-dual interior-point method whose Newton systems cost O(n_s m^2)
    through the Sherman-Morrison-Woodbury identity; its weights satisfy the
    constraints at every iteration. Before either solver, features whose
    squared norms or kernel values overflow float64 are refused with a clear
    error (scale them, e.g. with ``StandardScaler`` in
    :func:`~sktransfer.make_transfer_pipeline`); each solver normalises the
    objective's scale, so kernels of any finite magnitude are solved alike.

    Metadata routing: ``KernelMeanMatching`` consumes ``sample_weight``
    itself (it multiplies the KMM weights, which always reach the
    estimator's ``fit``, as AdaBoost does) and ``sample_domain``; with
    routing on, other ``fit`` metadata reach the estimator as it requests
    them, through a :class:`~sklearn.utils.metadata_routing.MetadataRouter`.

    References
    ----------
    .. [1] J. Huang, A. Smola, A. Gretton, K. Borgwardt and B. Schoelkopf,
       "Correcting Sample Selection Bias by Unlabeled Data", NIPS 2006.
    .. [2] C. Williams and M. Seeger, "Using the Nystroem method to speed up
       kernel machines", NIPS 2001.
    .. [3] J. Nocedal and S. Wright, "Numerical Optimization", 2nd ed.,
       Springer 2006, section 16.6 (primal-dual interior-point methods for QP).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer import KernelMeanMatching, stack_domains
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(200, 2))
    >>> ys = (Xs[:, 0] + Xs[:, 1] ** 2 > 1).astype(int)
    >>> Xt = rng.normal(1.0, 0.5, size=(100, 2))
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, None))
    >>> model = KernelMeanMatching(LogisticRegression(), random_state=0)
    >>> model = model.fit(X, y, sample_domain=sample_domain)
    >>> model.weights_.shape
    (200,)
    >>> model.predict(Xt).shape
    (100,)
    """

    _method_name = "KMM"

    _parameter_constraints = {
        **BaseReweighting._parameter_constraints,
        **_KMM_PARAMETERS,
    }

    _domain_checks = {
        "accept_sparse": "csr",
        "dtype": np.float64,
        "need_target": "if_given",
    }

    def __init__(
        self,
        estimator=None,
        *,
        kernel="rbf",
        gamma=None,
        kernel_params=None,
        B=1000.0,
        eps=None,
        solver="auto",
        n_components=300,
        tol=1e-6,
        max_iter=100,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.kernel = kernel
        self.gamma = gamma
        self.kernel_params = kernel_params
        self.B = B
        self.eps = eps
        self.solver = solver
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _source_weights(self, data):
        self._fit_weights(data.X[data.is_source], data.X[data.is_target])
        return self.weights_

    def _fit_weights(self, X_source, X_target):
        """Solve the KMM problem for validated rows; set the weights' attributes."""
        n_source, n_target = X_source.shape[0], X_target.shape[0]
        if n_target == 0:
            self.weights_ = np.ones(n_source)
            self.objective_ = self.solver_ = self.gamma_ = self.eps_ = None
            self.n_components_ = None
            self.n_iter_ = 0
            return
        eps, low, high = _sum_bounds(n_source, self.B, self.eps)
        solver = _choose_solver(self.solver, n_source, n_target, self.n_components)
        check_feature_scale(X_source, X_target, self.kernel)
        rng = check_random_state(self.random_state)
        gamma = resolve_gamma(
            self.kernel, self.gamma, X_source, X_target, random_state=rng
        )
        params = kernel_arguments(self.kernel_params, gamma, kernel=self.kernel)
        _check_kernel_scale(X_source, X_target, self.kernel, params)
        report_progress(
            logger,
            self.verbose,
            "KMM: weighting %d source rows towards %d target rows (solver=%r, "
            "kernel=%r, gamma=%s, eps=%.3g)",
            n_source,
            n_target,
            solver,
            self.kernel,
            gamma,
            eps,
        )
        solve = partial(
            _solve_exact if solver == "exact" else _solve_fast,
            X_source,
            X_target,
            kernel=self.kernel,
            params=params,
            B=self.B,
            low=low,
            high=high,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        )
        if solver == "exact":
            solution = solve()
        else:
            solution = solve(
                n_components=self.n_components,
                tol=self.tol,
                max_iter=self.max_iter,
                random_state=rng,
            )
        report_progress(
            logger,
            self.verbose,
            "KMM: %s solver done after %d iterations, objective %.6g",
            solver,
            solution.n_iter,
            solution.objective,
        )
        self.weights_ = solution.weights
        self.objective_ = solution.objective
        self.solver_ = solver
        self.n_iter_ = solution.n_iter
        self.gamma_ = gamma
        self.eps_ = eps
        self.n_components_ = solution.rank

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
