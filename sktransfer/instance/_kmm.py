"""Kernel mean matching (Huang et al. 2006): source weights that match the target.

KMM weights the source rows so that their weighted mean in the kernel's feature
space is as close as possible to the target rows' mean:

    minimize    1/2 b' K b - kappa' b
    subject to  0 <= b_i <= B,   |sum(b) - n_s| <= n_s * eps,

with ``K`` the source kernel matrix and ``kappa_i = (n_s / n_t) sum_j k(x_i, x'_j)``
over the target rows ``x'_j``. Up to a constant the objective is
``1/2 || sum_i b_i phi(x_i) - (n_s / n_t) sum_j phi(x'_j) ||^2``.

Two solvers share that problem:

- ``"exact"``: the QP with the full kernel matrix, in cvxpy with Clarabel
  (an interior-point solver that ships with cvxpy). O(n_s^2) memory.
- ``"fast"``: the same QP with the kernel approximated by a Nystroem factor
  of rank ``m`` plus the exact diagonal, ``K ~ Phi Phi' + Lambda`` with
  ``Lambda_ii = k(x_i, x_i) - |phi(x_i)|^2`` (and ``kappa`` by the same
  features), solved by a primal-dual interior-point method written for it:
  each Newton system is ``(Phi Phi' + D + rho 1 1') db = q`` with ``D`` diagonal,
  solved through the Sherman-Morrison-Woodbury identity in O(n_s m^2) time and
  O(n_s m) memory. Every iterate is strictly feasible, so the weights satisfy
  the constraints whatever the iteration count, and the duality gap bounds how
  far the objective is from its minimum. A first-order method (accelerated
  projected gradient) was tried first; the problem's conditioning (eigenvalues
  of ``Phi' Phi`` spread over five orders of magnitude) left it thousands of
  iterations from the optimum where the interior-point method needs 10 to 40.
"""

import logging
import numbers
import warnings
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
from scipy import linalg, sparse
from sklearn.base import _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    has_fit_parameter,
    indexable,
    validate_data,
)

from .._domain import (
    check_source_labeled,
    require_domains,
    resolve_sample_domain,
    unlabeled_mask,
)
from .._kernels import (
    KERNEL_PARAMETERS,
    kernel_arguments,
    kernel_diagonal,
    kernel_features,
    kernel_row_sums,
    nystroem_basis,
    resolve_gamma,
)
from .._pipeline import _label_task, _LabeledRowsMetaEstimator
from ..utils import _user_stacklevel

logger = logging.getLogger(__name__)

# solver="auto" takes the exact path up to this many source rows.
_AUTO_EXACT_MAX_SOURCE_ROWS = 1000
# The exact path holds the n_s x n_s kernel, cvxpy's copy and Clarabel's factor:
# at 5000 rows the process peaked at 3.3 GB and took about a minute on 2 cores
# (benchmarks/results/kmm_vs_peers.md); beyond, use "fast".
_EXACT_MAX_SOURCE_ROWS = 5000
# Rows per block when accumulating Phi' D Phi in the fast path.
_GRAM_BLOCK_ROWS = 65536
# Objective values below this fraction of the objective at b = 0 are rounding.
_ROUNDING_FLOOR = 1e-13
# Below this step length the interior-point method has stalled.
_SMALLEST_STEP = 1e-12
# Interior-point steps go this fraction of the way to the boundary.
_STEP_TO_BOUNDARY = 0.99

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
    solver: str
    n_iter: int
    gamma: float | None
    eps: float
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


def _choose_solver(solver, n_source):
    if solver == "auto":
        return "exact" if n_source <= _AUTO_EXACT_MAX_SOURCE_ROWS else "fast"
    if solver == "exact" and n_source > _EXACT_MAX_SOURCE_ROWS:
        gib = 8 * n_source**2 / 2**30
        raise ValueError(
            f"solver='exact' with {n_source} source rows needs the {n_source} x "
            f"{n_source} kernel matrix ({gib:.1f} GiB, several times that inside "
            "the solver) and "
            f"cubic time; it is limited to {_EXACT_MAX_SOURCE_ROWS} source rows. "
            "Use solver='fast' (or 'auto'), whose memory is linear in the rows; "
            "raise n_components for a closer kernel approximation."
        )
    return solver


# -- exact path --------------------------------------------------------------------


def _solve_exact(X_source, X_target, kernel, params, B, low, high, n_jobs):
    n_source, n_target = X_source.shape[0], X_target.shape[0]
    gram = pairwise_kernels(X_source, metric=kernel, filter_params=True, **params)
    gram = (gram + gram.T) / 2
    kappa = (n_source / n_target) * kernel_row_sums(
        X_source, X_target, kernel=kernel, n_jobs=n_jobs, **params
    )
    b = cp.Variable(n_source)
    problem = cp.Problem(
        cp.Minimize(0.5 * cp.quad_form(b, cp.psd_wrap(gram)) - kappa @ b),
        [b >= 0, b <= B, cp.sum(b) >= low, cp.sum(b) <= high],
    )
    try:
        problem.solve(solver=cp.CLARABEL)
    except cp.error.SolverError as error:
        raise ValueError(
            f"The exact KMM solver (Clarabel) failed: {error}. Use solver='fast', "
            "or check that the kernel matrix is positive semi-definite."
        ) from error
    if problem.status == cp.OPTIMAL_INACCURATE:
        warnings.warn(
            "The exact KMM solver (Clarabel) stopped with an inaccurate solution; "
            "the weights were moved onto the constraints but may be off the "
            "optimum. Scaling the features, or solver='fast', may help.",
            ConvergenceWarning,
            stacklevel=_user_stacklevel(),
        )
    elif problem.status != cp.OPTIMAL:
        raise ValueError(
            f"The exact KMM solver (Clarabel) ended with status {problem.status!r}, "
            "so there are no weights to trust. Use solver='fast', or check the "
            "kernel (positive semi-definite) and the bounds B and eps."
        )
    weights = _onto_constraints(np.asarray(b.value, dtype=float), B, low, high)
    objective = 0.5 * weights @ gram @ weights - kappa @ weights
    n_iter = problem.solver_stats.num_iters or 0
    return weights, float(objective), int(n_iter)


def _onto_constraints(weights, B, low, high):
    """Euclidean projection onto {0 <= b <= B, low <= sum(b) <= high}.

    An interior-point solution misses the bounds by at most its tolerance; this
    removes that last bit so that the constraints hold exactly. The projection
    is ``clip(b - tau, 0, B)`` with ``tau`` the root of a monotone piecewise
    linear function, found by bisection.
    """
    clipped = np.clip(weights, 0, B)
    total = clipped.sum()
    if low <= total <= high:
        return clipped
    goal = high if total > high else low
    below, above = weights.min() - B, weights.max()  # sums n_s * B and 0
    for _ in range(200):
        tau = (below + above) / 2
        if np.clip(weights - tau, 0, B).sum() > goal:
            below = tau
        else:
            above = tau
    # At `above` the sum is at most the goal: within [low, high] when it is
    # `high`; for `low` step back to `below`, whose sum is at least the goal.
    return np.clip(weights - (above if goal == high else below), 0, B)


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


def _solve_fast(X_source, X_target, kernel, params, B, low, high, settings):
    rng = check_random_state(settings["random_state"])
    landmarks = _sample_landmarks(X_source, X_target, settings["n_components"], rng)
    projection = nystroem_basis(landmarks, kernel=kernel, **params)
    features = kernel_features(
        X_source,
        landmarks,
        projection,
        kernel=kernel,
        n_jobs=settings["n_jobs"],
        **params,
    )
    target_sum = kernel_features(
        X_target,
        landmarks,
        projection,
        kernel=kernel,
        sum_rows=True,
        n_jobs=settings["n_jobs"],
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
    # The diagonal also enters kappa where a target row equals a source row
    # (with the target rows equal to the source rows, b = 1 stays optimal).
    diagonal_target = ratio * _equal_rows_in(X_source, X_target)
    weights, n_iter = _interior_point(
        features,
        target_mean,
        B,
        low,
        high,
        tol=settings["tol"],
        max_iter=settings["max_iter"],
        verbose=settings["verbose"],
        diagonal=missing,
        diagonal_target=diagonal_target,
    )
    projected = features.T @ weights
    objective = (
        0.5 * projected @ projected
        + 0.5 * missing @ weights**2
        - target_mean @ projected
        - missing @ (diagonal_target * weights)
    )
    return weights, float(objective), n_iter, projection.shape[1]


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


def _slack_change(step):
    """Change of the slacks (b, B - b, high - sum b, sum b - low) along ``step``."""
    total = step.sum()
    return np.concatenate([step, -step, [-total, total]])


def _constraint_adjoint(values, n):
    """A' v for the constraints' normals (-e_i, e_i, 1, -1) stacked as the slacks."""
    return -values[:n] + values[n : 2 * n] + (values[2 * n] - values[2 * n + 1])


def _slacks(weights, B, low, high):
    total = weights.sum()
    return np.concatenate([weights, B - weights, [high - total, total - low]])


def _feasible_start(n, B, low, high):
    """Uniform weights strictly inside the constraints: 1 when it is."""
    if 0 < 1 < B and low < n < high:
        return np.ones(n)
    return np.full(n, (max(low / n, 0.0) + min(high / n, B)) / 2)


class _NewtonSystem:
    """``(Phi Phi' + diag(d) + rho 1 1') x = q`` by Sherman-Morrison-Woodbury.

    With ``U = [Phi, sqrt(rho) 1]``, ``x = D^-1 (q - U w)`` where
    ``(I + U' D^-1 U) w = U' D^-1 q``: one Cholesky factor of size rank + 1,
    built in O(n rank^2) from blocks of rows.
    """

    def __init__(self, features, diagonal, rho):
        self.features, self.inverse = features, 1.0 / diagonal
        self.root_rho = np.sqrt(rho)
        rank = features.shape[1]
        small = np.zeros((rank + 1, rank + 1))
        for rows in gen_batches(features.shape[0], _GRAM_BLOCK_ROWS):
            scaled = features[rows] * np.sqrt(self.inverse[rows])[:, None]
            small[:rank, :rank] += scaled.T @ scaled
        cross = self.root_rho * (features.T @ self.inverse)
        small[:rank, rank] = small[rank, :rank] = cross
        small[rank, rank] = rho * self.inverse.sum()
        small[np.diag_indices_from(small)] += 1.0
        self.factor = linalg.cho_factor(small)

    def solve(self, rhs):
        """Solve, then refine once against the system's residual.

        Near the optimum ``diagonal`` spans many orders of magnitude and the
        identity loses digits to cancellation; one refinement step (O(n rank))
        recovers them.
        """
        solution = self._woodbury(rhs)
        return solution + self._woodbury(rhs - self._apply(solution))

    def _apply(self, x):
        return (
            self.features @ (self.features.T @ x)
            + x / self.inverse
            + self.root_rho**2 * x.sum()
        )

    def _woodbury(self, rhs):
        scaled = self.inverse * rhs
        small_rhs = np.append(self.features.T @ scaled, self.root_rho * scaled.sum())
        w = linalg.cho_solve(self.factor, small_rhs)
        return self.inverse * (rhs - self.features @ w[:-1] - self.root_rho * w[-1])


def _newton_direction(system, dual_residual, slacks, duals, complementarity):
    """Newton step of the KKT system for a complementarity target ``s * z``.

    Returns the changes of the weights, the slacks and the duals.
    """
    n = system.features.shape[0]
    rhs = -dual_residual - _constraint_adjoint(complementarity / slacks, n)
    step = system.solve(rhs)
    slack_step = _slack_change(step)
    return step, slack_step, (complementarity - duals * slack_step) / slacks


def _frank_wolfe_gap(gradient, weights, B, low, high):
    """``max over feasible s of gradient' (weights - s)``: a bound on F(b) - F*.

    Convexity gives ``F(s) >= F(b) + gradient' (s - b)`` for all s, so the
    minimum is at least ``F(b)`` minus this gap. The minimizing ``s`` over
    the box-and-slab set fills the entries of smallest gradient up to B, in
    order, until the total reaches the best admissible one.
    """
    order = np.argsort(gradient)
    ranked = gradient[order]
    wanted = np.count_nonzero(ranked < 0) * B
    total = min(max(wanted, low), high)
    full = min(int(total // B), ranked.shape[0])
    best = B * ranked[:full].sum()
    if full < ranked.shape[0]:
        best += (total - full * B) * ranked[full]
    return float(gradient @ weights - best)


def _longest_step(values, changes):
    """Largest step in [0, 1] keeping ``values + step * changes`` nonnegative."""
    shrinking = changes < 0
    if not shrinking.any():
        return 1.0
    return min(1.0, float(np.min(-values[shrinking] / changes[shrinking])))


def _interior_point(
    features,
    target_mean,
    B,
    low,
    high,
    *,
    tol,
    max_iter,
    verbose,
    diagonal=None,
    diagonal_target=0.0,
):
    """Minimize F(b) = 1/2 ||Phi' b - c||^2 + 1/2 sum_i diagonal_i (b_i - t_i)^2

    over 0 <= b <= B, low <= sum(b) <= high: Mehrotra's predictor-corrector
    primal-dual method (Nocedal & Wright 2006, section 16.6) on the QP with
    Hessian ``Phi Phi' + diag(diagonal)``, ``t = diagonal_target``. The primal
    iterates stay strictly feasible. It stops when F(b) - min F is certified
    below ``tol`` times F at the start (uniform weights): by the duality gap
    with a small dual residual, or by the Frank-Wolfe gap, which needs no dual.
    """
    n = features.shape[0]
    diagonal = np.zeros(n) if diagonal is None else diagonal
    weights = _feasible_start(n, B, low, high)
    residual = features.T @ weights - target_mean
    start_value = (
        0.5 * residual @ residual + 0.5 * diagonal @ (weights - diagonal_target) ** 2
    )
    # Objective values below this fraction of F(0) are rounding noise: uniform
    # weights below it are optimal (the target rows are the source rows), and
    # no certificate need go below it.
    wanted = max(tol * start_value, _ROUNDING_FLOOR * 0.5 * target_mean @ target_mean)
    if start_value <= wanted:
        return weights, 0
    slacks = _slacks(weights, B, low, high)
    duals = start_value / (2 * n + 2) / slacks
    linear_scale = max(np.abs(features @ target_mean).max(), 1.0)
    for iteration in range(1, max_iter + 1):
        gradient = features @ residual + diagonal * (weights - diagonal_target)
        dual_residual = gradient + _constraint_adjoint(duals, n)
        gap = slacks @ duals
        if gap <= wanted and (
            np.abs(dual_residual).max() <= tol * linear_scale
            or _frank_wolfe_gap(gradient, weights, B, low, high) <= wanted
        ):
            return weights, iteration - 1
        ratios = duals / slacks
        system = _NewtonSystem(
            features,
            diagonal + ratios[:n] + ratios[n : 2 * n],
            ratios[2 * n] + ratios[2 * n + 1],
        )
        # Predictor (affine scaling), then the corrector aimed at sigma * mu.
        _, slack_aff, dual_aff = _newton_direction(
            system, dual_residual, slacks, duals, -slacks * duals
        )
        size = min(_longest_step(slacks, slack_aff), _longest_step(duals, dual_aff))
        gap_aff = (slacks + size * slack_aff) @ (duals + size * dual_aff)
        centering = (gap_aff / gap) ** 3 * gap / (2 * n + 2)
        step, slack_step, dual_step = _newton_direction(
            system,
            dual_residual,
            slacks,
            duals,
            centering - slacks * duals - slack_aff * dual_aff,
        )
        size = _STEP_TO_BOUNDARY * min(
            _longest_step(slacks, slack_step), _longest_step(duals, dual_step)
        )
        if verbose:
            logger.info(
                "KMM interior point %d: objective %.6g, duality gap %.3g, step %.3f",
                iteration,
                0.5 * residual @ residual,
                gap,
                size,
            )
        if size < _SMALLEST_STEP:
            break  # stalled: the Newton directions have run out of precision
        weights = weights + size * step
        slacks = slacks + size * slack_step
        duals = duals + size * dual_step
        residual = features.T @ weights - target_mean
    bound = _frank_wolfe_gap(
        features @ residual + diagonal * (weights - diagonal_target),
        weights,
        B,
        low,
        high,
    )
    if bound > wanted:
        warnings.warn(
            f"The fast KMM solver stopped after {iteration} iterations "
            f"({'out of precision' if size < _SMALLEST_STEP else 'max_iter reached'})"
            f" with the objective at most {bound / start_value:.2g} (relative to "
            f"uniform weights) above its minimum, above tol={tol:g}. The weights "
            "satisfy the constraints but may be off the optimum: raise max_iter "
            "or tol.",
            ConvergenceWarning,
            stacklevel=_user_stacklevel(),
        )
    return weights, iteration


# -- entry points ------------------------------------------------------------------


def _solve_kmm(X_source, X_target, settings):
    """Validated source and target arrays -> a _KMMSolution."""
    n_source = X_source.shape[0]
    if X_target.shape[0] == 0:
        raise ValueError(
            "KMM needs target rows (sample_domain < 0); got only source rows. Pass "
            "sample_domain or mark target labels as -1 (NaN for regression)."
        )
    if X_source.shape[0] == 0:
        raise ValueError("KMM needs source rows (sample_domain >= 0); got none.")
    if X_source.shape[1] != X_target.shape[1]:
        raise ValueError(
            f"Source rows have {X_source.shape[1]} features and target rows "
            f"{X_target.shape[1]}; KMM compares them in one feature space, so give "
            "both domains the same features."
        )
    eps, low, high = _sum_bounds(n_source, settings["B"], settings["eps"])
    solver = _choose_solver(settings["solver"], n_source)
    rng = check_random_state(settings["random_state"])
    gamma = resolve_gamma(
        settings["kernel"], settings["gamma"], X_source, X_target, random_state=rng
    )
    params = kernel_arguments(settings["kernel_params"], gamma)
    kernel, B = settings["kernel"], settings["B"]
    if solver == "exact":
        weights, objective, n_iter = _solve_exact(
            X_source, X_target, kernel, params, B, low, high, settings["n_jobs"]
        )
        rank = None
    else:
        fast_settings = dict(settings, random_state=rng)
        weights, objective, n_iter, rank = _solve_fast(
            X_source, X_target, kernel, params, B, low, high, fast_settings
        )
    return _KMMSolution(weights, objective, solver, n_iter, gamma, eps, rank)


def _check_domain_rows(X, role):
    return check_array(
        X, accept_sparse="csr", dtype=np.float64, ensure_min_samples=0, input_name=role
    )


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
    settings = dict(
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
    X_source = _check_domain_rows(X_source, "X_source")
    X_target = _check_domain_rows(X_target, "X_target")
    return _solve_kmm(X_source, X_target, settings).weights


class KernelMeanMatching(_LabeledRowsMetaEstimator):
    """Kernel mean matching: fit an estimator on source rows reweighted to the target.

    The weights ``b`` of the source rows solve Huang et al.'s QP

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
        Other kernel parameters (``degree``, ``coef0``).
    B : float, default=1000.0
        Upper bound on each weight (the paper's ``B``): the largest ratio of
        target to source density that KMM may express.
    eps : float, default=None
        Tolerance on the mean weight: ``|sum(b) - n_s| <= n_s * eps``. ``None``
        means the paper's ``(sqrt(n_s) - 1) / sqrt(n_s)``.
    solver : {"auto", "exact", "fast"}, default="auto"
        ``"exact"``: the QP with the full kernel matrix in cvxpy (Clarabel);
        O(n_s^2) memory, up to 5000 source rows. ``"fast"``: the QP with a
        rank-``n_components`` Nystroem kernel (plus the exact diagonal), by an
        interior-point method in
        O(n_s n_components) memory, for any size. ``"auto"``: exact up to 1000
        source rows, fast beyond.
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
        Log the fast path's iterations (logger ``sktransfer``) when positive.

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
    constraints at every iteration.

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

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        **_KMM_PARAMETERS,
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

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_domain=None, sample_weight=None, **fit_params):
        """Compute the source weights, then fit the estimator with them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or ``NaN`` (regression) marks
            unlabeled target rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target); inferred from the
            label masks when None.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, multiplied into the weights the estimator gets (they
            do not enter the QP).
        **fit_params : dict
            Other parameters of the estimator's ``fit``; per-row arrays are
            subset like the rows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if y is None:
            raise ValueError(
                "KernelMeanMatching requires y to be passed, but the target y is "
                "None: the source rows' labels train the estimator."
            )
        estimator = clone(self._make_estimator())
        if not has_fit_parameter(estimator, "sample_weight"):
            raise TypeError(
                f"{type(estimator).__name__} does not accept sample_weight in fit, "
                "so it cannot use KMM's weights. Choose an estimator that does, or "
                "compute the weights with kmm_weights and resample by them."
            )
        task = _label_task(estimator)
        X_original, y = indexable(X, y)
        X = validate_data(self, X_original, accept_sparse="csr", dtype=np.float64)
        n_samples = X.shape[0]
        check_consistent_length(X, y)
        inferred = sample_domain is None
        sample_domain = resolve_sample_domain(y, sample_domain, n_samples, task=task)
        require_domains(sample_domain, source=True, method="KernelMeanMatching")
        if not inferred:
            require_domains(
                sample_domain, source=False, target=True, method="KernelMeanMatching"
            )
        check_source_labeled(y, sample_domain, task=task)
        is_source = sample_domain >= 0
        self._fit_weights(X[is_source], X[~is_source])
        labeled = ~unlabeled_mask(y, task)
        weights = np.where(labeled, 1.0, 0.0)
        weights[is_source] = self.weights_ / max(
            self.weights_.mean(), np.finfo(float).tiny
        )
        if sample_weight is not None:
            weights *= np.asarray(sample_weight, dtype=float)
        self.sample_weight_ = weights
        self._fit_on_rows(
            estimator,
            X_original,
            y,
            np.flatnonzero(labeled),
            {**fit_params, "sample_weight": weights},
        )
        return self

    def _fit_weights(self, X_source, X_target):
        if X_target.shape[0] == 0:
            self.weights_ = np.ones(X_source.shape[0])
            self.objective_ = self.solver_ = self.gamma_ = self.eps_ = None
            self.n_components_ = None
            self.n_iter_ = 0
            return
        settings = {name: getattr(self, name) for name in _KMM_PARAMETERS}
        solution = _solve_kmm(X_source, X_target, settings)
        self.weights_ = solution.weights
        self.objective_ = solution.objective
        self.solver_ = solution.solver
        self.n_iter_ = solution.n_iter
        self.gamma_ = solution.gamma
        self.eps_ = solution.eps
        self.n_components_ = solution.rank

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
