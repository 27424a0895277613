"""Solvers of kernel mean matching's quadratic program.

The problem is a QP over a box and a slab:

    minimize    1/2 b' K b - kappa' b
    subject to  0 <= b_i <= upper,   sum_low <= sum(b) <= sum_high,

where ``sum_low == sum_high`` makes the slab an equality. Two solvers:

- :func:`solve_exact`: the full ``K`` in cvxpy with Clarabel (an
  interior-point solver that ships with cvxpy), its solution projected onto
  the constraints (:func:`project_onto_constraints`).
- :func:`solve_interior_point`: ``K = Phi Phi' + diag(d)`` given by a factor
  ``Phi`` of rank ``m`` and a diagonal, by a primal-dual interior-point method
  written for that structure: each Newton system is
  ``(Phi Phi' + D + rho 1 1') db = q`` with ``D`` diagonal, solved through the
  Sherman-Morrison-Woodbury identity in O(n m^2) time and O(n m) memory (an
  equality on the sum adds one more solve with the same factor). Every iterate
  is strictly feasible, so the weights satisfy the constraints whatever the
  iteration count, and the duality gap bounds how far the objective is from
  its minimum.

Both take plain arrays and keyword arguments and return a :class:`QPResult`
whose ``status`` the caller checks; neither warns nor raises on a status
(the estimator words that, with its own parameters).
"""

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
from scipy import linalg
from sklearn.utils import gen_batches

# Rows per block when accumulating Phi' D Phi.
_GRAM_BLOCK_ROWS = 65536
# Objective values below this fraction of the objective at b = 0 are rounding.
_ROUNDING_FLOOR = 1e-13
# Below this step length the interior-point method has stalled.
_SMALLEST_STEP = 1e-12
# Interior-point steps go this fraction of the way to the boundary.
_STEP_TO_BOUNDARY = 0.99
# A slab narrower than this fraction of its upper end is solved as an
# equality at its middle: its interior is too thin for slack variables (at
# 1e-9 the Newton steps ran out of precision far from the optimum).
_EQUALITY_WIDTH = 1e-7


@dataclass(frozen=True)
class QPResult:
    """What a solver returns.

    Attributes
    ----------
    weights : ndarray of shape (n,)
        Feasible weights (projected onto the constraints on the exact path).
    n_iter : int
        Iterations of the solver.
    status : str
        ``"optimal"``; on the exact path otherwise cvxpy's status (such as
        ``"optimal_inaccurate"`` or ``"infeasible"``) or ``"solver_error"``;
        on the interior-point path ``"max_iter"`` or ``"stalled"``.
    detail : str
        The solver's own message, when it failed.
    gap : float or None
        Interior-point path: certified bound on the objective's distance from
        its minimum, relative to its value at the uniform start.
    """

    weights: object
    n_iter: int
    status: str
    detail: str = ""
    gap: float | None = None


def _is_equality(sum_low, sum_high):
    return sum_high - sum_low <= _EQUALITY_WIDTH * max(sum_high, 1.0)


# -- exact path --------------------------------------------------------------------


def solve_exact(gram, kappa, *, upper, sum_low, sum_high):
    """Minimize ``1/2 b' gram b - kappa' b`` over the box and slab with Clarabel.

    The objective is divided by the largest diagonal entry of ``gram`` first
    (the minimizer does not change), so kernels of any scale reach the solver
    as numbers of order one; without it Clarabel fails on a linear kernel of
    features around 1e50 and returns uniform weights for features around
    1e-150.

    Parameters
    ----------
    gram : ndarray of shape (n, n)
        Symmetric positive semi-definite, finite.
    kappa : ndarray of shape (n,)
        Finite.
    upper : float
        Upper bound of each weight.
    sum_low, sum_high : float
        Bounds of ``sum(b)``; equal (or within ``1e-7`` relative) for an
        equality.

    Returns
    -------
    result : QPResult
        ``weights`` is None unless cvxpy returned a solution.
    """
    scale = float(np.max(np.diag(gram), initial=0.0))
    scale = scale if scale > 0 else 1.0
    n = gram.shape[0]
    b = cp.Variable(n)
    if _is_equality(sum_low, sum_high):
        on_sum = [cp.sum(b) == (sum_low + sum_high) / 2]
    else:
        on_sum = [cp.sum(b) >= sum_low, cp.sum(b) <= sum_high]
    problem = cp.Problem(
        cp.Minimize(
            0.5 * cp.quad_form(b, cp.psd_wrap(gram / scale)) - (kappa / scale) @ b
        ),
        [b >= 0, b <= upper, *on_sum],
    )
    try:
        problem.solve(solver=cp.CLARABEL)
    except (cp.error.SolverError, ValueError) as error:
        return QPResult(None, 0, "solver_error", detail=str(error))
    n_iter = int(problem.solver_stats.num_iters or 0)
    if b.value is None or problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        return QPResult(None, n_iter, str(problem.status))
    weights = project_onto_constraints(
        np.asarray(b.value, dtype=float),
        upper=upper,
        sum_low=sum_low,
        sum_high=sum_high,
    )
    return QPResult(weights, n_iter, str(problem.status))


def project_onto_constraints(weights, *, upper, sum_low, sum_high):
    """Euclidean projection onto ``{0 <= b <= upper, sum_low <= sum(b) <= sum_high}``.

    An interior-point solution misses the bounds by at most its tolerance; this
    removes that last bit so that the constraints hold exactly. The projection
    is ``clip(b - tau, 0, upper)`` with ``tau`` the root of a monotone
    piecewise linear function, found by bisection.

    Parameters
    ----------
    weights : ndarray of shape (n,)
    upper, sum_low, sum_high : float
        As in :func:`solve_exact`.

    Returns
    -------
    projected : ndarray of shape (n,)
    """
    clipped = np.clip(weights, 0, upper)
    total = clipped.sum()
    if sum_low <= total <= sum_high:
        return clipped
    goal = sum_high if total > sum_high else sum_low
    below, above = weights.min() - upper, weights.max()  # sums n * upper and 0
    for _ in range(200):
        tau = (below + above) / 2
        if np.clip(weights - tau, 0, upper).sum() > goal:
            below = tau
        else:
            above = tau
    # At `above` the sum is at most the goal: within the slab when it is
    # `sum_high`; for `sum_low` step back to `below`, whose sum is at least it.
    return np.clip(weights - (above if goal == sum_high else below), 0, upper)


# -- interior-point path: the constraints ------------------------------------------


class _Constraints:
    """``0 <= b <= upper`` and the slab on ``sum(b)``, as slacks ``h - G b >= 0``.

    The slacks are ``(b, upper - b, sum_high - sum b, sum b - sum_low)``, the
    rows of ``G`` ``(-e_i, e_i, 1', -1')``. An equality on the sum has no
    slacks (its interior is empty): it becomes a multiplier of ``1' b = total``
    and the last two entries are left out.
    """

    def __init__(self, n, upper, sum_low, sum_high):
        self.n, self.upper = n, upper
        self.sum_low, self.sum_high = sum_low, sum_high
        self.equality = _is_equality(sum_low, sum_high)
        self.total = (sum_low + sum_high) / 2 if self.equality else None

    def feasible_start(self):
        """Uniform weights strictly inside the constraints: 1 when it is."""
        n, upper = self.n, self.upper
        if self.equality:
            return np.full(n, self.total / n)
        if 0 < 1 < upper and self.sum_low < n < self.sum_high:
            return np.ones(n)
        return np.full(
            n, (max(self.sum_low / n, 0.0) + min(self.sum_high / n, upper)) / 2
        )

    def slacks(self, weights):
        box = [weights, self.upper - weights]
        if self.equality:
            return np.concatenate(box)
        total = weights.sum()
        return np.concatenate([*box, [self.sum_high - total, total - self.sum_low]])

    def slack_change(self, step):
        """Change of the slacks along ``step``: ``-G step``."""
        if self.equality:
            return np.concatenate([step, -step])
        total = step.sum()
        return np.concatenate([step, -step, [-total, total]])

    def adjoint(self, values):
        """``G' values``."""
        n = self.n
        result = -values[:n] + values[n : 2 * n]
        if not self.equality:
            result = result + (values[2 * n] - values[2 * n + 1])
        return result

    def sum_weight(self, ratios):
        """Weight of ``1 1'`` in the Newton matrix (the slab's two rows)."""
        n = self.n
        return 0.0 if self.equality else ratios[2 * n] + ratios[2 * n + 1]


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


class _KKTSystem:
    """The Newton system of one iteration, with the equality's row when there is one.

    ``M db + 1 dy = q, 1' db = 0`` (``dy`` the change of the equality's
    multiplier) is solved by ``db = M^-1 q - dy M^-1 1``,
    ``dy = 1' M^-1 q / 1' M^-1 1``; ``M^-1 1`` is computed once per iteration.
    """

    def __init__(self, features, diagonal, constraints, ratios):
        n = constraints.n
        self.constraints = constraints
        self.newton = _NewtonSystem(
            features,
            diagonal + ratios[:n] + ratios[n : 2 * n],
            constraints.sum_weight(ratios),
        )
        self.along_sum = self.newton.solve(np.ones(n)) if constraints.equality else None

    def direction(self, dual_residual, slacks, duals, complementarity):
        """Newton step of the KKT system for a complementarity target ``s * z``.

        Returns the changes of the weights, the slacks, the duals and the
        equality's multiplier (0 without an equality).
        """
        constraints = self.constraints
        rhs = -dual_residual - constraints.adjoint(complementarity / slacks)
        step = self.newton.solve(rhs)
        multiplier_step = 0.0
        if constraints.equality:
            multiplier_step = step.sum() / self.along_sum.sum()
            step = step - multiplier_step * self.along_sum
        slack_step = constraints.slack_change(step)
        dual_step = (complementarity - duals * slack_step) / slacks
        return step, slack_step, dual_step, multiplier_step


def _frank_wolfe_gap(gradient, weights, upper, sum_low, sum_high):
    """``max over feasible s of gradient' (weights - s)``: a bound on F(b) - F*.

    Convexity gives ``F(s) >= F(b) + gradient' (s - b)`` for all s, so the
    minimum is at least ``F(b)`` minus this gap. The minimizing ``s`` over
    the box-and-slab set fills the entries of smallest gradient up to
    ``upper``, in order, until the total reaches the best admissible one.
    """
    order = np.argsort(gradient)
    ranked = gradient[order]
    wanted = np.count_nonzero(ranked < 0) * upper
    total = min(max(wanted, sum_low), sum_high)
    full = min(int(total // upper), ranked.shape[0])
    best = upper * ranked[:full].sum()
    if full < ranked.shape[0]:
        best += (total - full * upper) * ranked[full]
    return float(gradient @ weights - best)


def _longest_step(values, changes):
    """Largest step in [0, 1] keeping ``values + step * changes`` nonnegative."""
    shrinking = changes < 0
    if not shrinking.any():
        return 1.0
    return min(1.0, float(np.min(-values[shrinking] / changes[shrinking])))


def solve_interior_point(
    features,
    target,
    *,
    upper,
    sum_low,
    sum_high,
    tol,
    max_iter,
    diagonal=None,
    diagonal_target=0.0,
    progress=None,
):
    """Minimize ``F(b) = 1/2 ||Phi' b - c||^2 + 1/2 sum_i d_i (b_i - t_i)^2``.

    over ``0 <= b <= upper``, ``sum_low <= sum(b) <= sum_high``: Mehrotra's
    predictor-corrector primal-dual method (Nocedal & Wright 2006, section
    16.6) on the QP with Hessian ``Phi Phi' + diag(d)``. The primal iterates
    stay strictly feasible (an equality on the sum, ``sum_low == sum_high``,
    holds at every iterate up to rounding). It stops when ``F(b) - min F`` is
    certified below ``tol`` times ``F`` at the start (uniform weights): by the
    duality gap with a small dual residual, or by the Frank-Wolfe gap, which
    needs no dual.

    Parameters
    ----------
    features : ndarray of shape (n, m)
        ``Phi``, finite.
    target : ndarray of shape (m,)
        ``c``.
    upper, sum_low, sum_high : float
        The constraints; ``sum_low < n * upper`` and ``sum_high > 0`` (the
        feasible set has points strictly inside the box).
    tol : float
        Relative accuracy of the objective to certify.
    max_iter : int
        Largest number of iterations.
    diagonal : ndarray of shape (n,), default=None
        ``d`` (zeros when None), non-negative.
    diagonal_target : ndarray of shape (n,) or float, default=0.0
        ``t``.
    progress : callable, default=None
        Called as ``progress(iteration, objective, gap, step)`` after each
        iteration.

    Returns
    -------
    result : QPResult
        ``status`` is ``"optimal"`` when ``tol`` was certified, else
        ``"max_iter"`` or ``"stalled"`` (the Newton directions ran out of
        precision), with ``gap`` the bound reached.
    """
    n = features.shape[0]
    diagonal = np.zeros(n) if diagonal is None else diagonal
    # The minimizer does not change when F is divided by the largest diagonal
    # entry of the Hessian; the iteration then works on numbers of order one
    # (kept as they are when they already are, as with the RBF kernel, to save
    # a copy of the features).
    scale = float(np.max(np.einsum("ij,ij->i", features, features) + diagonal))
    if scale > 0 and not 0.25 <= scale <= 4.0:
        root = np.sqrt(scale)
        features, target, diagonal = features / root, target / root, diagonal / scale
    else:
        scale = 1.0
    constraints = _Constraints(n, upper, sum_low, sum_high)
    weights = constraints.feasible_start()
    residual = features.T @ weights - target

    def objective(weights, residual):
        return (
            0.5 * residual @ residual
            + 0.5 * diagonal @ (weights - diagonal_target) ** 2
        )

    def gradient(weights, residual):
        return features @ residual + diagonal * (weights - diagonal_target)

    start_value = objective(weights, residual)
    # Objective values below this fraction of F(0) are rounding noise: uniform
    # weights below it are optimal (the target rows are the source rows), and
    # no certificate need go below it.
    wanted = max(tol * start_value, _ROUNDING_FLOOR * 0.5 * target @ target)
    if start_value <= wanted:
        return QPResult(weights, 0, "optimal", gap=0.0)
    slacks = constraints.slacks(weights)
    n_slacks = slacks.shape[0]
    duals = start_value / n_slacks / slacks
    first_gradient = gradient(weights, residual)
    # The equality's multiplier starts where it balances the gradient.
    multiplier = (
        -float(np.mean(first_gradient + constraints.adjoint(duals)))
        if constraints.equality
        else 0.0
    )
    linear_scale = max(np.abs(features @ target).max(), 1.0)
    status, size, iteration = "max_iter", 1.0, 0
    for iteration in range(1, max_iter + 1):
        current_gradient = gradient(weights, residual)
        dual_residual = current_gradient + constraints.adjoint(duals) + multiplier
        gap = slacks @ duals
        if gap <= wanted and (
            np.abs(dual_residual).max() <= tol * linear_scale
            or _frank_wolfe_gap(current_gradient, weights, upper, sum_low, sum_high)
            <= wanted
        ):
            return QPResult(weights, iteration - 1, "optimal", gap=gap / start_value)
        system = _KKTSystem(features, diagonal, constraints, duals / slacks)
        # Predictor (affine scaling), then the corrector aimed at sigma * mu.
        _, slack_aff, dual_aff, _ = system.direction(
            dual_residual, slacks, duals, -slacks * duals
        )
        size = min(_longest_step(slacks, slack_aff), _longest_step(duals, dual_aff))
        gap_aff = (slacks + size * slack_aff) @ (duals + size * dual_aff)
        centering = (gap_aff / gap) ** 3 * gap / n_slacks
        step, slack_step, dual_step, multiplier_step = system.direction(
            dual_residual,
            slacks,
            duals,
            centering - slacks * duals - slack_aff * dual_aff,
        )
        size = _STEP_TO_BOUNDARY * min(
            _longest_step(slacks, slack_step), _longest_step(duals, dual_step)
        )
        if progress is not None:
            progress(iteration, scale * objective(weights, residual), scale * gap, size)
        if size < _SMALLEST_STEP:
            status = "stalled"  # the Newton directions have run out of precision
            break
        weights = weights + size * step
        slacks = slacks + size * slack_step
        duals = duals + size * dual_step
        multiplier = multiplier + size * multiplier_step
        residual = features.T @ weights - target
    bound = _frank_wolfe_gap(
        gradient(weights, residual), weights, upper, sum_low, sum_high
    )
    if bound <= wanted:
        status = "optimal"
    return QPResult(weights, iteration, status, gap=bound / start_value)
