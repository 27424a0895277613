"""KMM at the edges: eps=0, overflow, kernel_params, status, memory, routing."""

import warnings
from functools import partial

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics.pairwise import linear_kernel
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktransfer import KernelMeanMatching, stack_domains
from sktransfer.instance import _kmm, kmm_weights


@pytest.fixture
def shifted(gaussian_domains):
    """Factory: ``(X_source, X_target)``; the target is shifted and narrower."""
    return partial(
        gaussian_domains, n_source=60, n_target=40, n_features=3, shift=0.7, scale=0.7
    )


@pytest.fixture
def task(shifted):
    X_source, X_target = shifted()
    y_source = (X_source[:, 0] + X_source[:, 1] > 0).astype(int)
    return stack_domains(source=(X_source, y_source), target=(X_target, None))


def _linear_objective(weights, X_source, X_target):
    gram = linear_kernel(X_source)
    kappa = len(X_source) / len(X_target) * linear_kernel(X_source, X_target).sum(1)
    return 0.5 * weights @ gram @ weights - kappa @ weights


# -- eps = 0: the sum of the weights is fixed -------------------------------------


@pytest.mark.parametrize("solver", ["exact", "fast"])
@pytest.mark.parametrize("eps", [0.0, 1e-9])
def test_eps_zero_fixes_the_sum_of_the_weights(shifted, solver, eps):
    # eps=1e-9 leaves a slab too thin for the interior point's slacks (it
    # stalled far from the optimum): it is solved as the equality.
    X_source, X_target = shifted()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        weights = kmm_weights(
            X_source, X_target, eps=eps, gamma=0.3, solver=solver, n_components=1000
        )
    assert weights.min() >= 0
    assert weights.sum() == pytest.approx(len(X_source), rel=1e-9)
    # With every row a landmark the fast path solves the exact problem.
    exact = kmm_weights(X_source, X_target, eps=eps, gamma=0.3, solver="exact")
    assert_allclose(weights, exact, atol=0.05)


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_one_source_row_gets_weight_one(shifted, solver):
    # The default eps is (sqrt(n_s) - 1) / sqrt(n_s) = 0 with one source row.
    X_source, X_target = shifted()
    X, y, sample_domain = stack_domains(
        source=(X_source[:1], [0.5]), target=(X_target, None), task="regression"
    )
    model = KernelMeanMatching(Ridge(), solver=solver, random_state=0)
    model.fit(X, y, sample_domain=sample_domain)
    assert model.eps_ == 0.0
    assert_allclose(model.weights_, [1.0])


# -- overflowing features ----------------------------------------------------------


@pytest.mark.parametrize("solver", ["exact", "fast"])
@pytest.mark.parametrize(
    ("kernel", "gamma", "magnitude"),
    [
        ("rbf", None, 1e200),
        ("rbf", 1.0, 1e200),
        ("linear", None, 1e200),
        ("poly", None, 1e120),
    ],
)
def test_overflowing_features_get_a_clear_error(
    shifted, solver, kernel, gamma, magnitude
):
    X_source, X_target = shifted()
    with pytest.raises(ValueError, match="overflow float64.*StandardScaler"):
        kmm_weights(
            X_source * magnitude,
            X_target * magnitude,
            kernel=kernel,
            gamma=gamma,
            solver=solver,
            random_state=0,
        )


def test_overflow_error_reaches_the_estimator_user(task):
    X, y, sample_domain = task
    with pytest.raises(ValueError, match="overflow float64.*make_transfer_pipeline"):
        KernelMeanMatching().fit(X * 1e200, y, sample_domain=sample_domain)


@pytest.mark.parametrize("solver", ["exact", "fast"])
@pytest.mark.parametrize("magnitude", [1e-120, 1e60])
def test_weights_do_not_depend_on_the_kernel_scale(shifted, solver, magnitude):
    # A linear kernel of features times s is s^2 times the kernel: the same
    # problem. Clarabel failed at 1e60 and returned uniform weights at 1e-120
    # before the objective was normalised.
    X_source, X_target = shifted()
    solve = partial(kmm_weights, kernel="linear", solver=solver, random_state=0)
    reference = solve(X_source, X_target)
    scaled = solve(X_source * magnitude, X_target * magnitude)
    best = _linear_objective(reference, X_source, X_target)
    found = _linear_objective(scaled, X_source, X_target)
    assert found == pytest.approx(best, rel=1e-5)


# -- kernel_params -----------------------------------------------------------------


@pytest.mark.parametrize("solver", ["exact", "fast"])
@pytest.mark.parametrize(
    ("kernel", "kernel_params"),
    [("poly", {"degre": 2}), ("rbf", {"degree": 2}), ("linear", {"coef0": 1.0})],
)
def test_unknown_kernel_params_are_refused(
    shifted, task, solver, kernel, kernel_params
):
    X_source, X_target = shifted()
    with pytest.raises(ValueError, match="kernel_params has the unknown key"):
        kmm_weights(
            X_source,
            X_target,
            kernel=kernel,
            kernel_params=kernel_params,
            solver=solver,
        )
    X, y, sample_domain = task
    model = KernelMeanMatching(
        kernel=kernel, kernel_params=kernel_params, solver=solver
    )
    with pytest.raises(ValueError, match="kernel_params has the unknown key"):
        model.fit(X, y, sample_domain=sample_domain)


def test_known_kernel_params_are_used(shifted):
    X_source, X_target = shifted()
    degree_two = kmm_weights(
        X_source, X_target, kernel="poly", kernel_params={"degree": 2}
    )
    degree_three = kmm_weights(X_source, X_target, kernel="poly")
    assert not np.allclose(degree_two, degree_three, atol=1e-3)


# -- solver status -----------------------------------------------------------------


def test_inexact_exact_solve_warns_with_its_status(shifted, monkeypatch):
    solve = cp.Problem.solve

    def solve_inaccurately(self, *args, **kwargs):
        value = solve(self, *args, **kwargs)
        self._status = cp.OPTIMAL_INACCURATE
        return value

    monkeypatch.setattr(cp.Problem, "solve", solve_inaccurately)
    X_source, X_target = shifted()
    with pytest.warns(ConvergenceWarning, match="status 'optimal_inaccurate'"):
        kmm_weights(X_source, X_target, solver="exact")


def test_cvxpy_value_error_becomes_a_clear_error(shifted, monkeypatch):
    def fail(self, *args, **kwargs):
        raise ValueError("Problem data contains NaN or Inf.")

    monkeypatch.setattr(cp.Problem, "solve", fail)
    X_source, X_target = shifted()
    with pytest.raises(ValueError, match="Clarabel.*failed.*solver='fast'"):
        kmm_weights(X_source, X_target, solver="exact")


def test_fast_solver_warning_gives_the_iteration_count(shifted):
    X_source, X_target = shifted(shift=1.5)
    with pytest.warns(ConvergenceWarning, match="stopped after 3 iterations"):
        kmm_weights(X_source, X_target, solver="fast", max_iter=3, random_state=0)


# -- memory ------------------------------------------------------------------------


def _no_kernel_matrix(*args, **kwargs):
    raise AssertionError("the kernel matrix was computed before the refusal")


def test_exact_path_refuses_before_the_kernel_when_memory_is_short(task, monkeypatch):
    # 60 source rows: 3600 kernel entries, about 0.44 MiB at the solver's peak.
    monkeypatch.setattr(_kmm, "_memory_budget", lambda: 2**18)
    monkeypatch.setattr(_kmm, "pairwise_kernels", _no_kernel_matrix)
    X, y, sample_domain = task
    model = KernelMeanMatching(solver="exact")
    message = r"about 0\.000443 GiB of memory.*0\.000244 GiB\. Use solver='fast'"
    with pytest.raises(ValueError, match=message):
        model.fit(X, y, sample_domain=sample_domain)


def test_fast_path_refuses_too_many_landmarks(task, monkeypatch):
    # 100 landmarks (every row): about 0.37 MB.
    monkeypatch.setattr(_kmm, "_memory_budget", lambda: 2**18)
    monkeypatch.setattr(_kmm, "nystroem_basis", _no_kernel_matrix)
    X, y, sample_domain = task
    model = KernelMeanMatching(solver="fast", n_components=1000)
    with pytest.raises(ValueError, match="Lower n_components .now 1000."):
        model.fit(X, y, sample_domain=sample_domain)
    # A rank that fits is accepted.
    monkeypatch.undo()
    KernelMeanMatching(solver="fast", n_components=20, random_state=0).fit(
        X, y, sample_domain=sample_domain
    )


# -- kmm_weights validates as the estimator does ----------------------------------


def test_kmm_weights_checks_dataframe_columns(shifted):
    X_source, X_target = shifted()
    source = pd.DataFrame(X_source, columns=["a", "b", "c"])
    target = pd.DataFrame(X_target, columns=["a", "b", "c"])
    weights = kmm_weights(source, target, random_state=0)
    assert_allclose(weights, kmm_weights(X_source, X_target, random_state=0))
    with pytest.raises(ValueError, match="feature names"):
        kmm_weights(source, target[["c", "b", "a"]])
    text = source.assign(c=["x", "y", "z"] * 20)
    with pytest.raises(ValueError, match="'c'.*OneHotEncoder"):
        kmm_weights(text, target)


# -- metadata routing --------------------------------------------------------------


def test_routing_on_in_a_pipeline_and_a_grid_search(task):
    X, y, sample_domain = task
    weights = np.linspace(0.5, 1.5, len(X))
    plain = make_pipeline(StandardScaler(), KernelMeanMatching(random_state=0)).fit(
        X, y, kernelmeanmatching__sample_domain=sample_domain
    )
    with config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            KernelMeanMatching(LogisticRegression(), random_state=0),
        )
        pipe.fit(X, y, sample_domain=sample_domain)
        assert_allclose(pipe[-1].weights_, plain[-1].weights_)
        # sample_weight is consumed by KMM (the inner estimator need not ask).
        pipe.fit(X, y, sample_domain=sample_domain, sample_weight=weights)
        source = sample_domain >= 0
        assert_allclose(
            pipe[-1].sample_weight_[source],
            weights[source] * plain[-1].weights_ / plain[-1].weights_.mean(),
        )
        search = GridSearchCV(
            KernelMeanMatching(random_state=0),
            {"B": [2.0, 1000.0]},
            cv=KFold(3, shuffle=True, random_state=0),
        )
        search.fit(X, y, sample_domain=sample_domain)
    assert search.best_params_["B"] in (2.0, 1000.0)
