"""KMM's QP solvers alone: the interior point, the exact solve, the projection."""

import cvxpy as cp
import numpy as np
import pytest
from numpy.testing import assert_allclose

from sktransfer.instance._interior_point import (
    project_onto_constraints,
    solve_exact,
    solve_interior_point,
)


def _structured_problem(n=40, rank=5, seed=0):
    """``Phi``, ``c`` and a diagonal ``d`` of a small QP with K = Phi Phi' + diag(d)."""
    rng = np.random.RandomState(seed)
    features = rng.normal(size=(n, rank))
    target = features.T @ rng.uniform(0, 3, size=n)
    diagonal = rng.uniform(0.01, 0.1, size=n)
    return features, target, diagonal


def _cvxpy_minimum(features, target, diagonal, *, upper, sum_low, sum_high):
    b = cp.Variable(features.shape[0])
    objective = 0.5 * cp.sum_squares(features.T @ b - target) + 0.5 * cp.sum(
        cp.multiply(diagonal, cp.square(b))
    )
    on_sum = (
        [cp.sum(b) == sum_low]
        if sum_low == sum_high
        else [cp.sum(b) >= sum_low, cp.sum(b) <= sum_high]
    )
    problem = cp.Problem(cp.Minimize(objective), [b >= 0, b <= upper, *on_sum])
    problem.solve(solver=cp.CLARABEL)
    return problem.value


def _objective(weights, features, target, diagonal):
    residual = features.T @ weights - target
    return 0.5 * residual @ residual + 0.5 * diagonal @ weights**2


@pytest.mark.parametrize(
    ("sum_low", "sum_high"),
    [(40.0, 40.0), (30.0, 30.0), (20.0, 60.0)],
    ids=["equality at n", "equality below n", "slab"],
)
def test_interior_point_reaches_the_cvxpy_minimum(sum_low, sum_high):
    features, target, diagonal = _structured_problem()
    result = solve_interior_point(
        features,
        target,
        upper=5.0,
        sum_low=sum_low,
        sum_high=sum_high,
        tol=1e-9,
        max_iter=100,
        diagonal=diagonal,
    )
    assert result.status == "optimal"
    weights = result.weights
    assert weights.min() > 0  # strictly feasible
    assert weights.max() < 5.0
    assert sum_low * (1 - 1e-12) <= weights.sum() <= sum_high * (1 + 1e-12)
    expected = _cvxpy_minimum(
        features, target, diagonal, upper=5.0, sum_low=sum_low, sum_high=sum_high
    )
    start = _objective(
        np.full(40, (sum_low + sum_high) / 80), features, target, diagonal
    )
    found = _objective(weights, features, target, diagonal)
    assert found - expected <= 1e-7 * start


def test_interior_point_with_one_feasible_point():
    # One row and sum(b) = 1: b = 1 is the only feasible point.
    result = solve_interior_point(
        np.array([[0.3, -1.0]]),
        np.array([2.0, 0.5]),
        upper=1000.0,
        sum_low=1.0,
        sum_high=1.0,
        tol=1e-6,
        max_iter=100,
    )
    assert result.status == "optimal"
    assert_allclose(result.weights, [1.0], rtol=1e-12)


def test_interior_point_reports_running_out_of_iterations():
    features, target, diagonal = _structured_problem()
    result = solve_interior_point(
        features,
        target,
        upper=5.0,
        sum_low=20.0,
        sum_high=60.0,
        tol=1e-12,
        max_iter=1,
        diagonal=diagonal,
    )
    assert result.status == "max_iter"
    assert result.n_iter == 1
    assert result.gap > 1e-12


@pytest.mark.parametrize("scale", [1e-200, 1e-50, 1e50, 1e200])
def test_both_solvers_ignore_the_objective_scale(scale):
    # Dividing the objective by a constant does not move its minimizer; the
    # solvers see it at order one either way (Clarabel fails at 1e100 without
    # that, and returns uniform weights at 1e-200).
    features, target, diagonal = _structured_problem()
    gram = features @ features.T + np.diag(diagonal)
    kappa = features @ target
    bounds = dict(upper=5.0, sum_low=20.0, sum_high=60.0)
    reference = solve_exact(gram, kappa, **bounds)
    scaled = solve_exact(gram * scale, kappa * scale, **bounds)
    assert scaled.status == "optimal"
    assert_allclose(scaled.weights, reference.weights, atol=1e-4)
    root = np.sqrt(scale)
    fast_reference = solve_interior_point(
        features, target, tol=1e-9, max_iter=100, diagonal=diagonal, **bounds
    )
    fast_scaled = solve_interior_point(
        features * root,
        target * root,
        tol=1e-9,
        max_iter=100,
        diagonal=diagonal * scale,
        **bounds,
    )
    assert fast_scaled.status == "optimal"
    assert_allclose(fast_scaled.weights, fast_reference.weights, rtol=1e-6)


def test_exact_solve_turns_cvxpy_errors_into_a_status(monkeypatch):
    def fail(self, *args, **kwargs):
        raise ValueError("Problem data contains NaN or Inf.")

    monkeypatch.setattr(cp.Problem, "solve", fail)
    result = solve_exact(np.eye(3), np.ones(3), upper=10.0, sum_low=1.0, sum_high=5.0)
    assert result.status == "solver_error"
    assert result.weights is None
    assert "NaN or Inf" in result.detail


def test_exact_solve_with_an_equality():
    features, target, diagonal = _structured_problem()
    gram = features @ features.T + np.diag(diagonal)
    result = solve_exact(
        gram, features @ target, upper=5.0, sum_low=40.0, sum_high=40.0
    )
    assert result.status == "optimal"
    assert result.weights.sum() == pytest.approx(40.0, rel=1e-9)
    expected = _cvxpy_minimum(
        features, target, diagonal, upper=5.0, sum_low=40.0, sum_high=40.0
    )
    found = _objective(result.weights, features, target, diagonal)
    assert found == pytest.approx(expected, rel=1e-6)


def test_projection_onto_the_constraints():
    rng = np.random.RandomState(0)
    values = rng.normal(2.0, 1.5, size=50)
    for low, high in [(0.0, 40.0), (120.0, 200.0), (80.0, 80.0)]:
        projected = project_onto_constraints(
            values, upper=3.0, sum_low=low, sum_high=high
        )
        assert projected.min() >= 0
        assert projected.max() <= 3.0
        assert low * (1 - 1e-12) <= projected.sum() <= high * (1 + 1e-12)
        # The projection is clip(v - tau, 0, B): one shift for every free entry.
        free = (projected > 0) & (projected < 3.0)
        shifts = values[free] - projected[free]
        assert_allclose(shifts, shifts[0], atol=1e-9)
        # ... and no feasible point is closer (checked against cvxpy).
        b = cp.Variable(50)
        cp.Problem(
            cp.Minimize(cp.sum_squares(b - values)),
            [b >= 0, b <= 3.0, cp.sum(b) >= low, cp.sum(b) <= high],
        ).solve(solver=cp.CLARABEL)
        assert_allclose(projected, b.value, atol=1e-5)
