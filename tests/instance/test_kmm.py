"""Kernel mean matching: the QP's constraints and optimum on both paths, errors."""

import logging
import pickle
from functools import partial

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktransfer import KernelMeanMatching, make_transfer_pipeline, stack_domains
from sktransfer.instance import kmm_weights
from sktransfer.instance._kmm import _equal_rows_in


@pytest.fixture
def shifted(gaussian_domains):
    """Factory: ``(X_source, X_target)``; the target is shifted and narrower."""
    return partial(
        gaussian_domains, n_source=150, n_target=80, n_features=3, shift=0.7, scale=0.7
    )


def _sum_bounds(n_source, eps=None):
    eps = (np.sqrt(n_source) - 1) / np.sqrt(n_source) if eps is None else eps
    return max(n_source * (1 - eps), 0), n_source * (1 + eps)


def _paper_objective(weights, X_source, X_target, gamma):
    gram = rbf_kernel(X_source, gamma=gamma)
    kappa = len(X_source) / len(X_target) * rbf_kernel(X_source, X_target, gamma=gamma)
    return 0.5 * weights @ gram @ weights - kappa.sum(axis=1) @ weights


def _assert_feasible(weights, B, low, high):
    assert weights.min() >= 0
    assert weights.max() <= B
    assert low * (1 - 1e-12) <= weights.sum() <= high * (1 + 1e-12)


# -- the QP: constraints, optimality, closed forms ----------------------------------


@pytest.mark.parametrize("solver", ["exact", "fast"])
@pytest.mark.parametrize(
    ("B", "eps"),
    [(1000.0, None), (2.5, None), (1000.0, 0.001), (1.2, 0.01)],
    ids=["defaults", "B binds", "sum binds", "both bind"],
)
def test_weights_satisfy_the_constraints(shifted, solver, B, eps):
    X_source, X_target = shifted(shift=1.5)
    weights = kmm_weights(
        X_source, X_target, B=B, eps=eps, solver=solver, random_state=0
    )
    low, high = _sum_bounds(len(X_source), eps)
    _assert_feasible(weights, B, low, high)
    if B < 3:  # a strong shift pushes the largest weights onto the bound
        assert weights.max() == pytest.approx(B, rel=1e-6)
    if eps is not None:  # ... and the total to its lower end
        assert weights.sum() == pytest.approx(low, rel=1e-6)


def test_exact_weights_satisfy_the_kkt_conditions(shifted):
    # Independent optimality check: with g = K b - kappa and nu the multiplier of
    # the active sum bound (0 when inactive), g_i = -nu where 0 < b_i < B,
    # g_i >= -nu at b_i = 0 and g_i <= -nu at b_i = B.
    X_source, X_target = shifted(shift=1.0)
    B, gamma = 10.0, 0.2
    weights = kmm_weights(X_source, X_target, B=B, gamma=gamma, solver="exact")
    gram = rbf_kernel(X_source, gamma=gamma)
    kappa = len(X_source) / len(X_target) * rbf_kernel(X_source, X_target, gamma=gamma)
    gradient = gram @ weights - kappa.sum(axis=1)
    scale = np.abs(kappa.sum(axis=1)).max()
    free = (weights > 1e-4) & (weights < B - 1e-4)
    assert free.sum() >= 3
    nu = -np.median(gradient[free])
    assert_allclose(gradient[free], -nu, atol=1e-5 * scale)
    assert np.all(gradient[weights <= 1e-6] >= -nu - 1e-5 * scale)
    assert np.all(gradient[weights >= B - 1e-6] <= -nu + 1e-5 * scale)


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_identical_source_and_target_give_unit_weights(shifted, solver):
    # b = 1 makes K b - kappa = 0 exactly when the target rows are the source
    # rows, so it is the minimum. K's condition number is about 1e14 here: the
    # objective is flat along its near-null directions, where Clarabel's
    # tolerance leaves the weights off 1 by up to 0.02 at the same objective.
    X_source, _ = shifted()
    weights = kmm_weights(X_source, X_source, solver=solver, random_state=0)
    assert_allclose(weights, 1.0, atol=0.05)
    gamma = 1 / (
        2
        * np.median(
            np.linalg.norm(X_source[:, None] - X_source, axis=2)[
                np.triu_indices(150, k=1)
            ]
        )
        ** 2
    )
    at_one = _paper_objective(np.ones(150), X_source, X_source, gamma)
    assert _paper_objective(weights, X_source, X_source, gamma) == pytest.approx(
        at_one, rel=1e-9
    )


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_weights_follow_the_density_ratio(solver):
    # Source N(0, 1), target N(1, 0.5^2): the density ratio grows toward x = 1,
    # so the kernel mean's sign must favour source rows near the target.
    rng = np.random.RandomState(0)
    X_source = rng.normal(size=(400, 1))
    X_target = rng.normal(1.0, 0.5, size=(200, 1))
    weights = kmm_weights(X_source, X_target, solver=solver, random_state=0)
    x = X_source[:, 0]
    ratio = 2 * np.exp(-2 * (x - 1) ** 2 + x**2 / 2)
    assert np.corrcoef(weights, ratio)[0, 1] > 0.8
    assert weights[x > 0.5].mean() > 5 * weights[x < -0.5].mean()


def test_fast_path_with_every_row_as_landmark_is_the_exact_problem(shifted):
    X_source, X_target = shifted()
    exact = kmm_weights(X_source, X_target, gamma=0.3, solver="exact")
    fast = kmm_weights(X_source, X_target, gamma=0.3, solver="fast", n_components=1000)
    objective_exact = _paper_objective(exact, X_source, X_target, 0.3)
    objective_fast = _paper_objective(fast, X_source, X_target, 0.3)
    assert objective_fast == pytest.approx(objective_exact, rel=1e-7)
    # The weights agree as far as the kernel's conditioning lets them.
    assert_allclose(fast, exact, atol=5e-3 * exact.max())
    assert np.corrcoef(fast, exact)[0, 1] > 0.9999


def test_fast_path_objective_within_one_percent_of_exact(shifted):
    X_source, X_target = shifted(n_source=600, n_target=300, n_features=10)
    exact = kmm_weights(X_source, X_target, gamma=0.05, solver="exact")
    fast = kmm_weights(
        X_source, X_target, gamma=0.05, solver="fast", n_components=100, random_state=0
    )
    objective_exact = _paper_objective(exact, X_source, X_target, 0.05)
    objective_fast = _paper_objective(fast, X_source, X_target, 0.05)
    assert objective_exact <= objective_fast
    assert (objective_fast - objective_exact) / abs(objective_exact) < 0.01
    assert np.corrcoef(fast, exact)[0, 1] > 0.9


def test_fast_path_reports_its_iterations_and_rank(shifted):
    X_source, X_target = shifted()
    model = KernelMeanMatching(solver="fast", n_components=40, random_state=0)
    X, y, sample_domain = stack_domains(
        source=(X_source, np.arange(150) % 2), target=(X_target, None)
    )
    model.fit(X, y, sample_domain=sample_domain)
    assert model.solver_ == "fast"
    assert 1 <= model.n_iter_ <= 100
    assert model.n_components_ == 40
    features_objective = model.objective_
    assert features_objective < 0  # below the value 0 at b = 0


def test_auto_solver_chooses_by_size(shifted):
    X_source, X_target = shifted()
    X, y, sample_domain = stack_domains(
        source=(X_source, np.arange(150) % 2), target=(X_target, None)
    )
    model = KernelMeanMatching(random_state=0).fit(X, y, sample_domain=sample_domain)
    assert model.solver_ == "exact"
    assert model.n_components_ is None


def test_median_heuristic_sets_gamma(shifted):
    X_source, X_target = shifted()
    X, y, sample_domain = stack_domains(
        source=(X_source, np.arange(150) % 2), target=(X_target, None)
    )
    model = KernelMeanMatching(random_state=0).fit(X, y, sample_domain=sample_domain)
    distances = np.linalg.norm(X[:, None] - X[None], axis=2)
    sigma = np.median(distances[np.triu_indices(len(X), k=1)])
    assert model.gamma_ == pytest.approx(1 / (2 * sigma**2))
    linear = KernelMeanMatching(kernel="linear").fit(X, y, sample_domain=sample_domain)
    assert linear.gamma_ is None


# -- solver status and convergence ------------------------------------------------


def test_exact_solver_failure_raises(shifted, monkeypatch):
    def fail(self, *args, **kwargs):
        raise cp.error.SolverError("numerical trouble")

    monkeypatch.setattr(cp.Problem, "solve", fail)
    X_source, X_target = shifted()
    with pytest.raises(ValueError, match="Clarabel.*failed.*solver='fast'"):
        kmm_weights(X_source, X_target, solver="exact")


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(cp.INFEASIBLE_INACCURATE, ValueError), (cp.OPTIMAL_INACCURATE, Warning)],
)
def test_exact_solver_status_is_checked(shifted, monkeypatch, status, outcome):
    solve = cp.Problem.solve

    def solve_then_report(self, *args, **kwargs):
        value = solve(self, *args, **kwargs)
        self._status = status
        return value

    monkeypatch.setattr(cp.Problem, "solve", solve_then_report)
    X_source, X_target = shifted()
    if outcome is ValueError:
        with pytest.raises(ValueError, match="status 'infeasible_inaccurate'"):
            kmm_weights(X_source, X_target, solver="exact")
    else:
        with pytest.warns(ConvergenceWarning, match="inaccurate"):
            weights = kmm_weights(X_source, X_target, solver="exact")
        _assert_feasible(weights, 1000.0, *_sum_bounds(len(X_source)))


def test_fast_solver_warns_when_iterations_run_out(shifted):
    X_source, X_target = shifted(shift=1.5)
    with pytest.warns(ConvergenceWarning, match="raise max_iter") as record:
        weights = kmm_weights(X_source, X_target, solver="fast", max_iter=2)
    assert record[0].filename == __file__  # the warning points at the user's call
    # Interior-point iterates are feasible at every iteration.
    _assert_feasible(weights, 1000.0, *_sum_bounds(len(X_source)))
    X, y, sample_domain = stack_domains(
        source=(X_source, np.arange(150) % 2), target=(X_target, None)
    )
    model = KernelMeanMatching(solver="fast", max_iter=2)
    with pytest.warns(ConvergenceWarning, match="raise max_iter") as record:
        model.fit(X, y, sample_domain=sample_domain)
    assert record[0].filename == __file__


def test_verbose_logs_the_iterations_at_level_two(shifted, caplog):
    X_source, X_target = shifted()
    with caplog.at_level(logging.INFO, logger="sktransfer"):
        kmm_weights(X_source, X_target, solver="fast", verbose=1, random_state=0)
    assert not any("KMM interior point" in message for message in caplog.messages)
    assert any("fast solver done" in message for message in caplog.messages)
    with caplog.at_level(logging.INFO, logger="sktransfer"):
        kmm_weights(X_source, X_target, solver="fast", verbose=2, random_state=0)
    assert any("KMM interior point" in message for message in caplog.messages)


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_verbose_prints_progress_without_logging_configured(
    classification_task, solver, monkeypatch, capsys
):
    # pytest's logging plugin puts handlers on the root logger; cutting the
    # package's loggers off from it is what a user without logging set up has.
    monkeypatch.setattr(logging.getLogger("sktransfer"), "propagate", False)
    X, y, sample_domain = classification_task()
    model = KernelMeanMatching(solver=solver, verbose=1, random_state=0)
    model.fit(X, y, sample_domain=sample_domain)
    err = capsys.readouterr().err
    assert "KMM: weighting 150 source rows towards 80 target rows" in err
    assert f"KMM: {solver} solver done after {model.n_iter_} iterations" in err
    assert "fitting LogisticRegression on 150 labeled rows" in err
    KernelMeanMatching(solver=solver, random_state=0).fit(
        X, y, sample_domain=sample_domain
    )
    assert capsys.readouterr().err == ""


# -- determinism, parallelism, sparse input ----------------------------------------


def test_deterministic_given_random_state(shifted):
    X_source, X_target = shifted(n_source=1500, n_target=800)
    first = kmm_weights(X_source, X_target, n_components=50, random_state=3)
    again = kmm_weights(X_source, X_target, n_components=50, random_state=3)
    assert_array_equal(first, again)
    other = kmm_weights(X_source, X_target, n_components=50, random_state=4)
    assert not np.array_equal(first, other)


def test_n_jobs_does_not_change_the_weights(shifted):
    X_source, X_target = shifted()
    serial = kmm_weights(X_source, X_target, solver="fast", random_state=0)
    parallel = kmm_weights(X_source, X_target, solver="fast", n_jobs=2, random_state=0)
    assert_allclose(parallel, serial, rtol=1e-10)


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_sparse_input_equals_dense(solver):
    rng = np.random.RandomState(0)
    X_source = rng.binomial(1, 0.3, size=(120, 10)).astype(float)
    X_target = rng.binomial(1, 0.5, size=(60, 10)).astype(float)
    dense = kmm_weights(X_source, X_target, solver=solver, random_state=0)
    sparse = kmm_weights(
        sp.csr_matrix(X_source), sp.csr_matrix(X_target), solver=solver, random_state=0
    )
    assert_allclose(sparse, dense, rtol=1e-6, atol=1e-8)


# -- the meta-estimator ------------------------------------------------------------


@pytest.fixture
def classification_task(shifted):
    """Factory: stacked ``X, y, sample_domain`` with unlabeled target rows."""

    def build(seed=0):
        X_source, X_target = shifted(shift=1.0, seed=seed)
        y_source = (X_source[:, 0] + X_source[:, 1] ** 2 > 1).astype(int)
        return stack_domains(source=(X_source, y_source), target=(X_target, None))

    return build


def test_estimator_gets_the_weights_at_mean_one(classification_task):
    X, y, sample_domain = classification_task()
    model = KernelMeanMatching(random_state=0).fit(X, y, sample_domain=sample_domain)
    source = sample_domain >= 0
    assert model.weights_.shape == (source.sum(),)
    assert_allclose(model.sample_weight_[source].mean(), 1.0)
    assert_allclose(
        model.sample_weight_[source], model.weights_ / model.weights_.mean()
    )
    assert_array_equal(model.sample_weight_[~source], 0.0)
    reference = LogisticRegression().fit(
        X[source], y[source], sample_weight=model.sample_weight_[source]
    )
    assert_allclose(model.estimator_.coef_, reference.coef_)
    assert model.n_training_rows_ == source.sum()
    assert model.predict(X[~source]).shape == ((~source).sum(),)


def test_labeled_target_rows_get_weight_one(shifted):
    X_source, X_target = shifted()
    y_source = (X_source[:, 0] > 0).astype(int)
    y_target = np.full(len(X_target), -1)
    y_target[:10] = (X_target[:10, 0] > 0.7).astype(int)
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, y_target)
    )
    model = KernelMeanMatching(random_state=0).fit(X, y, sample_domain=sample_domain)
    target = np.flatnonzero(sample_domain < 0)
    assert_array_equal(model.sample_weight_[target[:10]], 1.0)
    assert_array_equal(model.sample_weight_[target[10:]], 0.0)
    assert model.n_training_rows_ == len(X_source) + 10


def test_user_sample_weight_multiplies_the_weights(classification_task):
    X, y, sample_domain = classification_task()
    sample_weight = np.linspace(0.5, 2.0, len(X))
    plain = KernelMeanMatching(random_state=0).fit(X, y, sample_domain=sample_domain)
    weighted = KernelMeanMatching(random_state=0).fit(
        X, y, sample_domain=sample_domain, sample_weight=sample_weight
    )
    assert_allclose(weighted.sample_weight_, plain.sample_weight_ * sample_weight)
    assert_allclose(weighted.weights_, plain.weights_)


def test_without_target_rows_it_is_the_unweighted_estimator(classification_task):
    X, y = classification_task()[0][:150], classification_task()[1][:150]
    model = KernelMeanMatching().fit(X, y)
    assert_array_equal(model.weights_, 1.0)
    assert model.solver_ is None
    assert_allclose(model.estimator_.coef_, LogisticRegression().fit(X, y).coef_)


def test_regressor_with_masked_target_rows(shifted):
    X_source, X_target = shifted()
    y_source = np.sin(X_source[:, 0]) + X_source[:, 1]
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, None), task="regression"
    )
    model = KernelMeanMatching(Ridge(), random_state=0).fit(
        X, y, sample_domain=sample_domain
    )
    assert np.isnan(y[sample_domain < 0]).all()
    assert model.predict(X_target).shape == (len(X_target),)
    assert model.score(X_source, y_source) == pytest.approx(
        model.estimator_.score(X_source, y_source)
    )


def test_reweighting_helps_a_misspecified_model():
    # The regression function is quadratic; a line fitted on the source is
    # wrong near the target unless the source is reweighted toward it.
    rng = np.random.RandomState(0)
    X_source = rng.normal(size=(400, 1))
    X_target = rng.normal(1.5, 0.3, size=(200, 1))

    def truth(X):
        return X[:, 0] ** 2

    X, y, sample_domain = stack_domains(
        source=(X_source, truth(X_source)), target=(X_target, None), task="regression"
    )
    kmm = KernelMeanMatching(LinearRegression(), random_state=0).fit(
        X, y, sample_domain=sample_domain
    )
    plain = LinearRegression().fit(X_source, truth(X_source))
    error_kmm = np.mean((kmm.predict(X_target) - truth(X_target)) ** 2)
    error_plain = np.mean((plain.predict(X_target) - truth(X_target)) ** 2)
    assert error_kmm < 0.2 * error_plain


def test_scaler_before_kmm_scales_the_target_rows_too(classification_task):
    X, y, sample_domain = classification_task()
    X = X * [1.0, 10.0, 100.0] + [0.0, 5.0, -3.0]
    pipe = make_pipeline(StandardScaler(), KernelMeanMatching(random_state=0))
    pipe.fit(X, y, kernelmeanmatching__sample_domain=sample_domain)
    scaled = StandardScaler().fit_transform(X)
    source = sample_domain >= 0
    expected = kmm_weights(scaled[source], scaled[~source], random_state=0)
    assert_allclose(pipe[-1].weights_, expected)
    # TransferPipeline hands sample_domain to the step without the prefix.
    transfer = make_transfer_pipeline(
        StandardScaler(), KernelMeanMatching(random_state=0)
    )
    transfer.fit(X, y, sample_domain=sample_domain)
    assert_allclose(transfer[-1].weights_, expected)


def test_pickle_keeps_the_fitted_model(classification_task):
    X, y, sample_domain = classification_task()
    model = KernelMeanMatching(random_state=0).fit(X, y, sample_domain=sample_domain)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict(X), model.predict(X))
    assert_array_equal(restored.weights_, model.weights_)


# -- errors ------------------------------------------------------------------------


def test_no_target_rows_is_an_error_when_sample_domain_says_so(
    classification_task, shifted
):
    X, y, _ = classification_task()
    with pytest.raises(ValueError, match="needs target rows"):
        KernelMeanMatching().fit(X[:150], y[:150], sample_domain=np.ones(150, int))
    X_source, _ = shifted()
    with pytest.raises(ValueError, match="0 sample"):
        kmm_weights(X_source, np.empty((0, 3)))


def test_infeasible_bounds_are_an_error(shifted):
    X_source, X_target = shifted()
    with pytest.raises(ValueError, match="infeasible.*Raise B above 1 - eps"):
        kmm_weights(X_source, X_target, B=0.5, eps=0.1)


def test_too_large_for_the_exact_path_names_the_fix():
    X_source = np.zeros((5001, 1))
    with pytest.raises(ValueError, match="limited to 5000 source rows.*solver='fast'"):
        kmm_weights(X_source, np.ones((3, 1)), gamma=1.0, solver="exact")


def test_feature_mismatch_between_domains():
    with pytest.raises(ValueError, match="3 features, but KernelMeanMatching is"):
        kmm_weights(np.zeros((5, 2)), np.zeros((5, 3)))


def test_nan_is_rejected(shifted, classification_task):
    X_source, X_target = shifted()
    X_target[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        kmm_weights(X_source, X_target)
    X, y, sample_domain = classification_task()
    X[0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        KernelMeanMatching().fit(X, y, sample_domain=sample_domain)


def test_estimator_without_sample_weight_is_a_type_error(classification_task):
    X, y, sample_domain = classification_task()
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        KernelMeanMatching(KNeighborsClassifier()).fit(
            X, y, sample_domain=sample_domain
        )


def test_other_input_errors(classification_task):
    X, y, sample_domain = classification_task()
    with pytest.raises(ValueError, match="requires y"):
        KernelMeanMatching().fit(X, None, sample_domain=sample_domain)
    unlabeled_source = y.copy()
    unlabeled_source[0] = -1
    with pytest.raises(ValueError, match="source rows .* carry the unlabeled marker"):
        KernelMeanMatching().fit(X, unlabeled_source, sample_domain=sample_domain)
    with pytest.raises(ValueError, match="kernel"):
        KernelMeanMatching(kernel="sigmoid").fit(X, y, sample_domain=sample_domain)
    with pytest.raises(ValueError, match="B"):
        kmm_weights(X[:10], X[10:20], B=-1.0)


def test_equal_rows_are_counted_dense_and_sparse():
    X_source = np.array([[0.0, 1.0], [2.0, 0.0], [5.0, 5.0]])
    X_target = np.array([[2.0, 0.0], [0.0, 1.0], [2.0, 0.0]])
    assert_array_equal(_equal_rows_in(X_source, X_target), [1, 2, 0])
    assert_array_equal(
        _equal_rows_in(sp.csr_matrix(X_source), sp.csr_matrix(X_target)), [1, 2, 0]
    )
