"""Kernel density-ratio estimators: closed forms and brute force as the references."""

import pickle
from unittest import mock

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV

from sktransfer import make_transfer_pipeline, stack_domains
from sktransfer.instance import (
    KLIEP,
    ULSIF,
    RuLSIF,
    kliep_weights,
    ulsif_weights,
)
from sktransfer.instance._density_ratio_solvers import (
    design,
    design_moments,
    evaluate,
    kliep_objective,
    kliep_theta,
    lsif_loo_scores,
    lsif_matrix,
    lsif_theta,
)
from sktransfer.model_selection import NegativeTransferGuard, TargetShuffleSplit


@pytest.fixture
def small_case():
    rng = np.random.RandomState(0)
    X_source = rng.normal(size=(30, 2))
    X_target = rng.normal(0.5, 0.7, size=(20, 2))
    return X_source, X_target, X_target[:8], 0.5


def test_ulsif_theta_is_the_closed_form(small_case):
    X_source, X_target, centers, gamma = small_case
    # The design computed independently with numpy.
    distances = ((X_source[:, None, :] - centers[None]) ** 2).sum(axis=2)
    Phi = np.exp(-gamma * distances)
    Psi = np.exp(-gamma * ((X_target[:, None, :] - centers[None]) ** 2).sum(axis=2))
    H, h = Phi.T @ Phi / len(Phi), Psi.mean(axis=0)
    expected = np.maximum(np.linalg.solve(H + 0.1 * np.eye(8), h), 0)
    h_fit, H_fit = design_moments(X_target, centers, gamma)[0], None
    H_fit = design_moments(X_source, centers, gamma)[1]
    theta, _ = lsif_theta(lsif_matrix(H_fit, None, 0.0), h_fit, 0.1)
    assert_allclose(theta, expected, rtol=1e-10, atol=1e-12)
    assert_allclose(evaluate(X_source, centers, gamma, theta), Phi @ expected)


@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_loo_closed_form_equals_brute_force(small_case, alpha):
    X_source, X_target, centers, gamma = small_case
    Phi, Psi = design(X_source, centers, gamma), design(X_target, centers, gamma)
    _, H_source = design_moments(X_source, centers, gamma)
    h, H_target = design_moments(X_target, centers, gamma)
    n_s, n_t, n_pairs, lambdas = len(Phi), len(Psi), 20, [0.01, 0.1, 1.0]
    scores = lsif_loo_scores(
        Phi[:n_pairs], Psi[:n_pairs], H_source, H_target, h, n_s, n_t, alpha, lambdas
    )
    for lam, score in zip(lambdas, scores):
        losses = []
        for i in range(n_pairs):
            keep_s, keep_t = np.delete(np.arange(n_s), i), np.delete(np.arange(n_t), i)
            H = (1 - alpha) * Phi[keep_s].T @ Phi[keep_s] / (n_s - 1) + alpha * Psi[
                keep_t
            ].T @ Psi[keep_t] / (n_t - 1)
            theta = np.maximum(
                np.linalg.solve(H + lam * np.eye(8), Psi[keep_t].mean(0)), 0
            )
            r_s, r_t = Phi[i] @ theta, Psi[i] @ theta
            losses.append((1 - alpha) / 2 * r_s**2 + alpha / 2 * r_t**2 - r_t)
        assert_allclose(score, np.mean(losses), rtol=1e-10)


def test_kliep_is_feasible_and_not_beaten_by_perturbations(small_case):
    X_source, X_target, centers, gamma = small_case
    b, _ = design_moments(X_source, centers, gamma, second=False)
    Psi = design(X_target, centers, gamma)
    solution = kliep_theta(Psi, b, tol=1e-6, max_iter=200)
    assert solution.converged
    assert solution.theta.min() >= 0
    assert_allclose(evaluate(X_source, centers, gamma, solution.theta).mean(), 1.0)
    rng = np.random.RandomState(1)
    for _ in range(50):
        other = np.maximum(solution.theta * np.exp(rng.normal(0, 0.3, 8)), 0)
        other /= b @ other
        assert kliep_objective(Psi, other) <= solution.objective + 1e-6
    # The certificate: the objective is within the final gap of the maximum.
    assert solution.gap <= 1e-6


def test_kliep_matches_a_convex_solver(small_case):
    cp = pytest.importorskip("cvxpy")
    X_source, X_target, centers, gamma = small_case
    b, _ = design_moments(X_source, centers, gamma, second=False)
    Psi = design(X_target, centers, gamma)
    theta = cp.Variable(8, nonneg=True)
    problem = cp.Problem(
        cp.Maximize(cp.sum(cp.log(Psi @ theta)) / len(Psi)), [b @ theta == 1]
    )
    problem.solve(solver="CLARABEL")
    solution = kliep_theta(Psi, b, tol=1e-9, max_iter=200)
    assert_allclose(solution.objective, problem.value, atol=1e-6)


def test_kliep_reports_when_it_stops_short(small_case):
    X_source, X_target, centers, gamma = small_case
    b, _ = design_moments(X_source, centers, gamma, second=False)
    solution = kliep_theta(design(X_target, centers, gamma), b, tol=1e-12, max_iter=2)
    assert not solution.converged
    assert solution.n_iter == 2


# -- the estimators ------------------------------------------------------------------


def _true_ratio(X, alpha=0.0, mean=0.5, scale=0.7):
    """The relative ratio p_t / (alpha p_t + (1 - alpha) p_s) of the target
    N(mean, scale^2 I) to the source N(0, I), in closed form (alpha=0: the
    plain ratio)."""
    dim = X.shape[1]

    def log_density(mu, s):
        return -((X - mu) ** 2).sum(axis=1) / (2 * s**2) - dim * np.log(s)

    p_t, p_s = np.exp(log_density(mean, scale)), np.exp(log_density(0.0, 1.0))
    return p_t / (alpha * p_t + (1 - alpha) * p_s)


def _gaussians(n_source=2000, n_target=1000, seed=0, dim=2):
    """Source N(0, I), target N(0.5, 0.7^2 I), and the true ratio at the
    source rows."""
    rng = np.random.RandomState(seed)
    X_source = rng.normal(size=(n_source, dim))
    X_target = rng.normal(0.5, 0.7, size=(n_target, dim))
    return X_source, X_target, _true_ratio(X_source)


def _stacked(X_source, X_target, seed=0):
    rng = np.random.RandomState(seed)
    y_source = (
        X_source[:, 0] - X_source[:, 1] ** 2 / 2 + rng.normal(0, 0.2, len(X_source)) > 0
    )
    return stack_domains(
        source=(X_source, y_source.astype(int)), target=(X_target, None)
    )


@pytest.mark.parametrize(
    "estimate",
    [
        lambda Xs, Xt: ulsif_weights(Xs, Xt, random_state=0),
        lambda Xs, Xt: kliep_weights(Xs, Xt, random_state=0),
    ],
    ids=["ulsif", "kliep"],
)
def test_ratio_follows_the_closed_form_of_two_gaussians(estimate):
    X_source, X_target, truth = _gaussians()
    weights = estimate(X_source, X_target)
    assert spearmanr(weights, truth)[0] > 0.98
    assert np.corrcoef(weights, truth)[0, 1] > 0.97
    # Not only the order: the scale too (root mean squared error against the
    # true ratio, relative to its spread).
    assert np.sqrt(np.mean((weights - truth) ** 2)) < 0.25 * truth.std()


def test_relative_ratio_follows_its_closed_form_and_its_bound():
    X_source, X_target, _ = _gaussians()
    for alpha in (0.1, 0.5):
        weights = ulsif_weights(X_source, X_target, alpha=alpha, random_state=0)
        truth = _true_ratio(X_source, alpha)
        assert np.corrcoef(weights, truth)[0, 1] > 0.97
        assert np.sqrt(np.mean((weights - truth) ** 2)) < 0.4 * truth.std()
        # The fit is not constrained to the bound, but lands near it.
        assert weights.max() < 1.2 / alpha


def test_relative_ratio_selection_ranks_well_against_the_truth():
    # RuLSIF's criterion is the squared error under the mixture
    # alpha p_t + (1 - alpha) p_s; its leave-one-out choice should be among
    # the best of its grid by that error, measured against the closed form.
    X_source, X_target, _ = _gaussians()
    X, y, sample_domain = _stacked(X_source, X_target)
    alpha = 0.5

    def mixture_error(model):
        return sum(
            share
            * np.mean((model.predict_weights(rows) - _true_ratio(rows, alpha)) ** 2)
            for share, rows in ((1 - alpha, X_source), (alpha, X_target))
        )

    chosen = RuLSIF(alpha=alpha, random_state=0).fit(X, y, sample_domain=sample_domain)
    results = chosen.cv_results_
    errors = np.array(
        [
            mixture_error(
                RuLSIF(alpha=alpha, gamma=g, reg=r, random_state=0).fit(
                    X, y, sample_domain=sample_domain
                )
            )
            for g, r in zip(results["gamma"], results["reg"])
        ]
    )
    assert np.mean(errors >= mixture_error(chosen)) > 0.8


def test_ulsif_at_fixed_parameters_is_the_exact_solution():
    X_source, X_target, _ = _gaussians(60, 40)
    X, y, sample_domain = _stacked(X_source, X_target)
    model = ULSIF(Ridge(), n_centers=15, gamma=0.4, reg=0.05, random_state=0)
    model.fit(X, y, sample_domain=sample_domain)
    C = model.centers_
    assert C.shape == (15, 2)
    # The centres are target rows.
    assert all((np.abs(X_target - c).sum(axis=1) == 0).any() for c in C)
    Phi = np.exp(-0.4 * ((X_source[:, None] - C[None]) ** 2).sum(axis=2))
    Psi = np.exp(-0.4 * ((X_target[:, None] - C[None]) ** 2).sum(axis=2))
    theta = np.maximum(
        np.linalg.solve(Phi.T @ Phi / 60 + 0.05 * np.eye(15), Psi.mean(axis=0)), 0
    )
    assert_allclose(model.coef_, theta, rtol=1e-10, atol=1e-12)
    assert_allclose(model.weights_, Phi @ theta, rtol=1e-10, atol=1e-12)
    # The estimator got the ratios scaled to mean 1 on the source rows.
    assert_allclose(
        model.sample_weight_[sample_domain >= 0], Phi @ theta / (Phi @ theta).mean()
    )
    assert_allclose(model.predict_weights(X_source[:5]), (Phi @ theta)[:5])
    assert np.isnan(model.cv_results_["loo_loss"]).all()


def test_rulsif_at_alpha_zero_is_ulsif():
    X_source, X_target, _ = _gaussians(300, 200)
    X, y, sample_domain = _stacked(X_source, X_target)
    plain = ULSIF(random_state=1).fit(X, y, sample_domain=sample_domain)
    relative = RuLSIF(alpha=0.0, random_state=1).fit(X, y, sample_domain=sample_domain)
    assert_allclose(plain.weights_, relative.weights_)
    assert (plain.gamma_, plain.reg_) == (relative.gamma_, relative.reg_)


def test_lsif_chooses_the_smallest_leave_one_out_loss():
    X_source, X_target, truth = _gaussians(800, 400)
    X, y, sample_domain = _stacked(X_source, X_target)
    model = ULSIF(random_state=0).fit(X, y, sample_domain=sample_domain)
    results = model.cv_results_
    assert results["loo_loss"].shape == (5 * 9,)
    best = np.argmin(results["loo_loss"])
    assert (results["gamma"][best], results["reg"][best]) == (model.gamma_, model.reg_)
    # The choice is no worse, against the truth, than most of the grid.
    errors = [
        np.mean(
            (ulsif_weights(X_source, X_target, gamma=g, reg=r, random_state=0) - truth)
            ** 2
        )
        for g, r in zip(results["gamma"], results["reg"])
    ]
    assert np.mean(np.asarray(errors) >= errors[best]) > 0.8


def test_loo_over_a_sample_of_pairs_beyond_the_cap():
    X_source, X_target, _ = _gaussians(300, 200)
    X, y, sample_domain = _stacked(X_source, X_target)
    with mock.patch("sktransfer.instance._kernel_density_ratio.MAX_LOO_PAIRS", 50):
        sampled = ULSIF(random_state=0).fit(X, y, sample_domain=sample_domain)
    full = ULSIF(random_state=0).fit(X, y, sample_domain=sample_domain)
    # The sampled score estimates the full one.
    assert (
        np.corrcoef(sampled.cv_results_["loo_loss"], full.cv_results_["loo_loss"])[0, 1]
        > 0.9
    )


def test_kliep_satisfies_its_constraint_and_chooses_the_best_held_out_likelihood():
    X_source, X_target, _ = _gaussians(600, 400)
    X, y, sample_domain = _stacked(X_source, X_target)
    model = KLIEP(random_state=0).fit(X, y, sample_domain=sample_domain)
    assert_allclose(model.weights_.mean(), 1.0, atol=1e-9)
    assert model.coef_.min() >= 0
    scores = model.cv_results_["held_out_log_likelihood"]
    assert model.gamma_ == model.cv_results_["gamma"][np.argmax(scores)]
    assert model.n_iter_ >= 1
    assert_allclose(model.objective_, np.mean(np.log(model.predict_weights(X_target))))


def test_kliep_that_stops_short_warns():
    X_source, X_target, _ = _gaussians(200, 100)
    X, y, sample_domain = _stacked(X_source, X_target)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        KLIEP(gamma=0.5, max_iter=2).fit(X, y, sample_domain=sample_domain)


@pytest.mark.parametrize(
    "model", [ULSIF(), RuLSIF(), KLIEP()], ids=["ulsif", "rulsif", "kliep"]
)
def test_sparse_input_gives_the_dense_result(model):
    X_source, X_target, _ = _gaussians(200, 100)
    X, y, sample_domain = _stacked(X_source, X_target)
    X[np.abs(X) < 0.5] = 0.0
    dense = (
        clone(model).set_params(random_state=0).fit(X, y, sample_domain=sample_domain)
    )
    sparse_fit = (
        clone(model)
        .set_params(random_state=0)
        .fit(sparse.csr_matrix(X), y, sample_domain=sample_domain)
    )
    assert_allclose(sparse_fit.weights_, dense.weights_, rtol=1e-8)
    assert sparse.issparse(sparse_fit.centers_)
    assert_allclose(
        sparse_fit.predict_weights(sparse.csr_matrix(X[:7])),
        dense.predict_weights(X[:7]),
    )


@pytest.mark.parametrize("model", [ULSIF(), KLIEP()], ids=["ulsif", "kliep"])
def test_without_target_rows_the_weights_are_one(model):
    X_source, _, _ = _gaussians(100, 10)
    y = (X_source[:, 0] > 0).astype(int)
    fitted = clone(model).fit(X_source, y)
    assert_array_equal(fitted.weights_, np.ones(100))
    assert_array_equal(fitted.predict_weights(X_source[:3]), np.ones(3))
    plain = LogisticRegression().fit(X_source, y)
    assert_allclose(fitted.predict_proba(X_source), plain.predict_proba(X_source))


def test_weighting_helps_a_linear_model_under_covariate_shift():
    # A parabola boundary: the source's best line is wrong where the target is.
    rng = np.random.RandomState(0)
    X_source = rng.normal(size=(2000, 2))
    X_target = rng.normal((1.5, 0.0), 0.7, size=(2000, 2))

    def label(X):
        return (X[:, 1] - X[:, 0] ** 2 / 2 + 0.5 > 0).astype(int)

    X, y, sample_domain = stack_domains(
        source=(X_source, label(X_source)), target=(X_target[:1000], None)
    )
    X_test, y_test = X_target[1000:], label(X_target[1000:])
    plain = LogisticRegression().fit(X_source, label(X_source)).score(X_test, y_test)
    for model in (ULSIF(random_state=0), RuLSIF(random_state=0), KLIEP(random_state=0)):
        model.fit(X, y, sample_domain=sample_domain)
        assert model.score(X_test, y_test) > plain + 0.05, type(model).__name__


def test_deterministic_given_random_state():
    X_source, X_target, _ = _gaussians(300, 200)
    X, y, sample_domain = _stacked(X_source, X_target)
    for model in (ULSIF(), KLIEP()):
        first = (
            clone(model)
            .set_params(random_state=3)
            .fit(X, y, sample_domain=sample_domain)
        )
        again = (
            clone(model)
            .set_params(random_state=3)
            .fit(X, y, sample_domain=sample_domain)
        )
        other = (
            clone(model)
            .set_params(random_state=4)
            .fit(X, y, sample_domain=sample_domain)
        )
        assert_array_equal(first.weights_, again.weights_)
        assert not np.array_equal(first.weights_, other.weights_)


def test_in_a_pipeline_a_grid_search_a_guard_and_a_pickle():
    X_source, X_target, _ = _gaussians(300, 300)
    X, y, sample_domain = _stacked(X_source, X_target)
    y_target = (X_target[:, 0] - X_target[:, 1] ** 2 / 2 > 0).astype(int)
    y = y.copy()
    target_rows = np.flatnonzero(sample_domain < 0)
    y[target_rows[:60]] = y_target[:60]
    pipe = make_transfer_pipeline(ULSIF(LogisticRegression(), random_state=0))
    pipe.fit(X, y, ulsif__sample_domain=sample_domain)
    search = GridSearchCV(
        ULSIF(random_state=0),
        {"gamma": [0.1, 1.0], "reg": [0.01, 1.0]},
        cv=TargetShuffleSplit(n_splits=2, random_state=0),
    )
    search.fit(X, y, groups=sample_domain, sample_domain=sample_domain)
    assert search.best_params_["gamma"] in (0.1, 1.0)
    guard = NegativeTransferGuard(KLIEP(random_state=0), cv=3, random_state=0)
    guard.fit(X, y, sample_domain=sample_domain)
    assert guard.selected_ in ("transfer", "source_only", "target_only", "pooled")
    assert np.isfinite(guard.cv_results_["mean_score"]).all()
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    assert_array_equal(
        restored.predict(X_target), search.best_estimator_.predict(X_target)
    )


class _NoWeights(LogisticRegression):
    def fit(self, X, y):
        return super().fit(X, y)


def test_bad_input_is_refused_with_the_reason():
    X_source, X_target, _ = _gaussians(100, 50)
    X, y, sample_domain = _stacked(X_source, X_target)
    with pytest.raises(ValueError, match="positive and finite"):
        ULSIF(gamma=[0.5, -1.0]).fit(X, y, sample_domain=sample_domain)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        ULSIF(reg=[]).fit(X, y, sample_domain=sample_domain)
    with pytest.raises(ValueError, match="at least 5 of them"):
        KLIEP().fit(X[:104], y[:104], sample_domain=sample_domain[:104])
    with pytest.raises(ValueError, match="at least 2 source and 2 target rows"):
        ULSIF().fit(X[99:101], y[99:101], sample_domain=sample_domain[99:101])
    with pytest.raises(ValueError, match="2 features"):
        ulsif_weights(X_source, X_target[:, :1])
    with pytest.raises(ValueError, match="3 features"):
        ULSIF().fit(X, y, sample_domain=sample_domain).predict_weights(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        KLIEP(_NoWeights()).fit(X, y, sample_domain=sample_domain)
    with pytest.raises(ValueError, match="alpha"):
        RuLSIF(alpha=1.0).fit(X, y, sample_domain=sample_domain)


def test_domains_far_apart_are_refused_not_weighted_by_zero():
    rng = np.random.RandomState(0)
    X_source, X_target = rng.normal(size=(100, 2)), rng.normal(60, 1, size=(50, 2))
    with pytest.raises(ValueError, match="do not reach any source row"):
        ulsif_weights(X_source, X_target, gamma=1.0, reg=0.1)


def test_kliep_refuses_before_exhausting_memory():
    X_source, X_target, _ = _gaussians(100, 50)
    with (
        mock.patch("sktransfer.utils._physical_memory_bytes", return_value=1000),
        pytest.raises(ValueError, match="Lower n_centers"),
    ):
        kliep_weights(X_source, X_target)


def test_verbose_reports_the_choice_on_stderr(capsys):
    X_source, X_target, _ = _gaussians(100, 50)
    ulsif_weights(X_source, X_target, random_state=0, verbose=1)
    kliep_weights(X_source, X_target, random_state=0, verbose=1)
    err = capsys.readouterr().err
    assert "uLSIF: chose gamma=" in err
    assert "KLIEP: chose gamma=" in err
