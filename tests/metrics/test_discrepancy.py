"""MMD estimators against closed forms and brute force; its tests, PAD, the summary."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktransfer import stack_domains
from sktransfer._kernels import gamma_from_bandwidth, median_bandwidth
from sktransfer.metrics import (
    MMDTestResult,
    TransferabilitySummary,
    _discrepancy,
    mmd2,
    mmd2_test,
    proxy_a_distance,
    transferability_summary,
)
from sktransfer.metrics._discrepancy import _paired_kernel

KERNELS = [
    ("rbf", {"gamma": 0.3}),
    ("laplacian", {"gamma": 0.2}),
    ("linear", {}),
    ("poly", {"gamma": 0.5, "kernel_params": {"degree": 2, "coef0": 0.5}}),
    ("cosine", {}),
]


def _brute_force(X_source, X_target, kernel, params, biased):
    """MMD^2 from the full kernel matrices, written from the definitions."""
    arguments = dict(params.get("kernel_params") or {})
    if "gamma" in params:
        arguments["gamma"] = params["gamma"]

    def k(A, B):
        return pairwise_kernels(A, B, metric=kernel, **arguments)

    m, n = X_source.shape[0], X_target.shape[0]
    K_ss, K_tt = k(X_source, X_source), k(X_target, X_target)
    across = 2 * k(X_source, X_target).sum() / (m * n)
    if biased:
        return K_ss.sum() / m**2 + K_tt.sum() / n**2 - across
    off = (K_ss.sum() - np.trace(K_ss)) / (m * (m - 1))
    return off + (K_tt.sum() - np.trace(K_tt)) / (n * (n - 1)) - across


# -- MMD^2: closed forms and brute force --------------------------------------------


def test_linear_kernel_biased_is_squared_distance_between_means(gaussian_domains):
    X_source, X_target = gaussian_domains(shift=0.8, n_features=3)
    difference = X_source.mean(axis=0) - X_target.mean(axis=0)
    value = mmd2(X_source, X_target, kernel="linear", method="biased")
    assert_allclose(value, difference @ difference, rtol=1e-12)


def test_linear_kernel_unbiased_matches_a_double_loop(gaussian_domains):
    X_source, X_target = gaussian_domains(
        n_source=5, n_target=4, n_features=3, shift=0.5
    )
    m, n = len(X_source), len(X_target)
    within_source = sum(
        X_source[i] @ X_source[j] for i in range(m) for j in range(m) if i != j
    )
    within_target = sum(
        X_target[i] @ X_target[j] for i in range(n) for j in range(n) if i != j
    )
    across = sum(X_source[i] @ X_target[j] for i in range(m) for j in range(n))
    expected = (
        within_source / (m * (m - 1))
        + within_target / (n * (n - 1))
        - 2 * across / (m * n)
    )
    assert_allclose(mmd2(X_source, X_target, kernel="linear"), expected, rtol=1e-12)


@pytest.mark.parametrize(("kernel", "params"), KERNELS, ids=[k for k, _ in KERNELS])
@pytest.mark.parametrize("method", ["unbiased", "biased"])
def test_quadratic_statistics_match_the_full_kernel_matrix(
    gaussian_domains, kernel, params, method, monkeypatch
):
    # Blocks of 7 rows: many blocks on both sides, and a ragged last one.
    monkeypatch.setattr(_discrepancy, "_BLOCK_ROWS", 7)
    X_source, X_target = gaussian_domains(n_source=40, n_target=33, shift=0.5)
    value = mmd2(X_source, X_target, kernel=kernel, method=method, n_jobs=2, **params)
    expected = _brute_force(X_source, X_target, kernel, params, method == "biased")
    assert_allclose(value, expected, rtol=1e-10, atol=1e-13)


def test_unbiased_beyond_the_default_block_size(gaussian_domains):
    X_source, X_target = gaussian_domains(n_source=2100, n_target=300, shift=0.3)
    value = mmd2(X_source, X_target, gamma=0.5)
    expected = _brute_force(X_source, X_target, "rbf", {"gamma": 0.5}, False)
    assert_allclose(value, expected, rtol=1e-10)


@pytest.mark.parametrize(("kernel", "params"), KERNELS, ids=[k for k, _ in KERNELS])
@pytest.mark.parametrize("as_sparse", [False, True], ids=["dense", "sparse"])
def test_paired_kernel_is_the_diagonal_of_the_kernel_matrix(
    gaussian_domains, kernel, params, as_sparse
):
    A, B = gaussian_domains(n_source=20, n_target=20, n_features=4, shift=0.3)
    A[3] = 0.0  # a zero row: cosine is 0 there, as in sklearn
    arguments = {**(params.get("kernel_params") or {})}
    if "gamma" in params:
        arguments["gamma"] = params["gamma"]
    expected = np.diag(pairwise_kernels(A, B, metric=kernel, **arguments))
    if as_sparse:
        A, B = sp.csr_matrix(A), sp.csr_matrix(B)
    assert_allclose(_paired_kernel(A, B, kernel, arguments), expected, rtol=1e-12)


def test_paired_kernel_defaults_follow_sklearn(gaussian_domains):
    A, B = gaussian_domains(n_source=10, n_target=10, n_features=3)
    for kernel in ("rbf", "laplacian", "poly"):
        expected = np.diag(pairwise_kernels(A, B, metric=kernel))
        assert_allclose(_paired_kernel(A, B, kernel, {}), expected, rtol=1e-12)


def test_population_value_of_two_gaussians():
    d, gamma, s1, s2 = 2, 0.5, 1.0, 1.5
    mu = np.array([0.5, 0.0])
    c = 1 + 2 * gamma * (s1**2 + s2**2)
    truth = (
        (1 + 4 * gamma * s1**2) ** (-d / 2)
        + (1 + 4 * gamma * s2**2) ** (-d / 2)
        - 2 * c ** (-d / 2) * np.exp(-gamma * mu @ mu / c)
    )
    rng = np.random.RandomState(0)
    X_source, X_target = rng.normal(0, s1, (20000, d)), rng.normal(mu, s2, (20000, d))
    # Standard deviations over 40 (unbiased, 2000 rows) and 100 (linear, 20000
    # rows) seeds: 0.0040 and 0.0051. The tolerances are four of them.
    unbiased = mmd2(X_source[:2000], X_target[:2000], gamma=gamma)
    assert abs(unbiased - truth) < 0.016
    linear = mmd2(X_source, X_target, gamma=gamma, method="linear", random_state=0)
    assert abs(linear - truth) < 0.02


def test_identical_distributions_give_mmd_near_zero(gaussian_domains):
    X_source, X_target = gaussian_domains(n_source=500, n_target=500)
    assert abs(mmd2(X_source, X_target, random_state=0)) < 0.01
    X_source, X_target = gaussian_domains(n_source=5000, n_target=5000)
    assert abs(mmd2(X_source, X_target, method="linear", random_state=0)) < 0.01


def test_biased_exceeds_unbiased_and_is_nonnegative(gaussian_domains):
    X_source, X_target = gaussian_domains(n_source=100, n_target=100)
    biased = mmd2(X_source, X_target, gamma=0.5, method="biased")
    assert biased >= 0
    assert biased > mmd2(X_source, X_target, gamma=0.5)


def test_median_heuristic_is_the_default_gamma(gaussian_domains):
    X_source, X_target = gaussian_domains(n_source=60, n_target=50, shift=0.5)
    gamma = gamma_from_bandwidth(median_bandwidth(X_source, X_target))
    assert_allclose(mmd2(X_source, X_target), mmd2(X_source, X_target, gamma=gamma))


@pytest.mark.parametrize("method", ["unbiased", "biased", "linear"])
def test_sparse_input_gives_the_dense_value(gaussian_domains, method):
    X_source, X_target = gaussian_domains(
        n_source=60, n_target=50, n_features=5, shift=0.5
    )
    X_source[X_source < 0.5] = 0.0
    X_target[X_target < 0.5] = 0.0
    for kernel in ("linear", "rbf"):
        dense = mmd2(X_source, X_target, kernel=kernel, method=method, random_state=0)
        sparse = mmd2(
            sp.csr_matrix(X_source),
            sp.csr_matrix(X_target),
            kernel=kernel,
            method=method,
            random_state=0,
        )
        assert_allclose(sparse, dense, rtol=1e-10)


def test_linear_statistic_uses_the_first_pairs_of_the_smaller_domain(gaussian_domains):
    # 7 source rows, 4 target rows: 2 pairs, so 4 rows of each domain enter.
    X_source, X_target = gaussian_domains(n_source=7, n_target=4, shift=1.0)
    rng = np.random.RandomState(0)
    rng.randint(np.iinfo(np.int32).max)  # the median heuristic's seed
    source = rng.permutation(7)[:4]
    target = rng.permutation(4)[:4]
    x, y = X_source[source], X_target[target]
    h = x[0::2] @ x[1::2].T + y[0::2] @ y[1::2].T
    h -= x[0::2] @ y[1::2].T + x[1::2] @ y[0::2].T
    expected = np.diag(h).mean()
    value = mmd2(X_source, X_target, kernel="linear", method="linear", random_state=0)
    assert_allclose(value, expected, rtol=1e-12)


# -- the two-sample test -------------------------------------------------------------


@pytest.mark.parametrize("method", ["unbiased", "biased", "linear"])
def test_mmd2_test_separates_same_from_shifted(gaussian_domains, method):
    n = 2000 if method == "linear" else 150
    X_source, X_target = gaussian_domains(n_source=n, n_target=n)
    same = mmd2_test(X_source, X_target, method=method, random_state=0)
    assert same.pvalue > 0.05
    X_source, X_target = gaussian_domains(n_source=n, n_target=n, shift=0.6)
    shifted = mmd2_test(X_source, X_target, method=method, random_state=0)
    assert shifted.pvalue < 0.01


def test_permutation_pvalue_counts_the_observed_value(gaussian_domains):
    X_source, X_target = gaussian_domains(n_source=80, n_target=60, shift=2.0)
    result = mmd2_test(X_source, X_target, n_permutations=99, random_state=0)
    assert isinstance(result, MMDTestResult)
    assert result.pvalue == pytest.approx(1 / 100)


@pytest.mark.parametrize("method", ["unbiased", "biased", "linear"])
def test_test_statistic_equals_mmd2(gaussian_domains, method):
    X_source, X_target = gaussian_domains(n_source=90, n_target=70, shift=0.4)
    statistic, _ = mmd2_test(X_source, X_target, method=method, random_state=3)
    expected = mmd2(X_source, X_target, method=method, random_state=3)
    assert_allclose(statistic, expected, rtol=1e-10)


def test_permuted_statistics_match_mmd2_on_the_permuted_split(gaussian_domains):
    X_source, X_target = gaussian_domains(n_source=12, n_target=9, shift=0.4)
    pooled = np.vstack([X_source, X_target])
    gram = pairwise_kernels(pooled, metric="rbf", gamma=0.5)
    order = np.random.RandomState(1).permutation(21)
    mask = np.zeros((21, 1))
    mask[order[:12], 0] = 1.0
    for biased in (False, True):
        value = _discrepancy._permutation_statistics(gram, mask, biased)[0]
        expected = _brute_force(
            pooled[order[:12]], pooled[order[12:]], "rbf", {"gamma": 0.5}, biased
        )
        assert_allclose(value, expected, rtol=1e-10)


# -- proxy A-distance ----------------------------------------------------------------


def test_pad_near_zero_for_identical_distributions(gaussian_domains):
    X_source, X_target = gaussian_domains(n_source=300, n_target=300)
    assert abs(proxy_a_distance(X_source, X_target, random_state=0)) < 0.3


def test_pad_near_two_for_separated_domains(gaussian_domains):
    X_source, X_target = gaussian_domains(n_source=200, n_target=200, shift=5.0)
    assert proxy_a_distance(X_source, X_target, random_state=0) > 1.9


@pytest.mark.parametrize(
    "estimator", [None, LogisticRegression()], ids=["default", "unbalanced"]
)
def test_unequal_sizes_do_not_make_identical_domains_apart(gaussian_domains, estimator):
    X_source, X_target = gaussian_domains(n_source=1000, n_target=100)
    pad = proxy_a_distance(X_source, X_target, estimator=estimator, random_state=0)
    assert abs(pad) < 0.3


def test_pad_accepts_sparse_input(gaussian_domains):
    X_source, X_target = gaussian_domains(
        n_source=100, n_target=100, n_features=4, shift=5.0
    )
    pad = proxy_a_distance(
        sp.csr_matrix(X_source), sp.csr_matrix(X_target), random_state=0
    )
    assert pad > 1.9


# -- summary -------------------------------------------------------------------------


def _labeled_pair(n_labeled=40, seed=0):
    rng = np.random.RandomState(seed)
    X_source = rng.normal(size=(200, 2))
    y_source = (X_source[:, 0] > 0).astype(int)
    X_target = rng.normal(0.8, 1.0, size=(120, 2))
    y_target = (X_target[:, 0] > 0.6).astype(int)
    y_target[n_labeled:] = -1
    return X_source, y_source, X_target, y_target


def test_summary_fields_on_a_constructed_pair():
    X_source, y_source, X_target, y_target = _labeled_pair()
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, y_target)
    )
    summary = transferability_summary(X, y, sample_domain, random_state=0)
    assert isinstance(summary, TransferabilitySummary)
    assert (summary.n_source, summary.n_target, summary.n_target_labeled) == (
        200,
        120,
        40,
    )
    labeled = y_target[:40]
    shift = 0.5 * sum(
        abs(np.mean(y_source == c) - np.mean(labeled == c)) for c in (0, 1)
    )
    assert_allclose(summary.class_prior_shift, shift)
    assert summary.mmd2 > 0
    assert summary.mmd2_pvalue < 0.01
    assert 0 < summary.proxy_a_distance <= 2
    assert -1 <= summary.source_to_target_gap <= 1
    with pytest.raises(AttributeError):
        summary.mmd2 = 0.0


def test_summary_gap_is_source_cv_minus_target_accuracy():
    X_source, y_source, X_target, y_target = _labeled_pair()
    # A margin around the source boundary: every fold's accuracy is 1.
    keep = np.abs(X_source[:, 0]) > 0.3
    X_source, y_source = X_source[keep], y_source[keep]
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, y_target)
    )
    estimator = LogisticRegression(C=100.0)
    summary = transferability_summary(
        X, y, sample_domain, estimator=estimator, random_state=0
    )
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    assert cross_val_score(clone(estimator), X_source, y_source, cv=folds).min() == 1
    fitted = clone(estimator).fit(X_source, y_source)
    target_accuracy = fitted.score(X_target[:40], y_target[:40])
    assert target_accuracy < 1
    assert_allclose(summary.source_to_target_gap, 1 - target_accuracy)


def test_summary_without_target_labels_has_no_label_terms():
    X_source, y_source, X_target, _ = _labeled_pair()
    X, y, sample_domain = stack_domains(source=(X_source, y_source), target=X_target)
    summary = transferability_summary(X, y, sample_domain, random_state=0)
    assert summary.n_target_labeled == 0
    assert summary.class_prior_shift is None
    assert summary.source_to_target_gap is None
    unlabeled = transferability_summary(X, None, sample_domain, random_state=0)
    assert unlabeled.n_target_labeled == 0
    assert unlabeled.class_prior_shift is None
    assert unlabeled.mmd2 == summary.mmd2


def test_summary_regression_has_no_label_terms():
    X_source, _, X_target, _ = _labeled_pair()
    y_source = X_source[:, 0] * 1.5 + 0.1
    y_target = X_target[:, 0] * 1.5 + 0.1
    y_target[60:] = np.nan
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, y_target)
    )
    for estimator in (None, LinearRegression()):
        summary = transferability_summary(
            X, y, sample_domain, estimator=estimator, random_state=0
        )
        assert summary.n_target_labeled == 60
        assert summary.class_prior_shift is None
        assert summary.source_to_target_gap is None


def test_summary_pools_several_domain_ids():
    X_source, y_source, X_target, y_target = _labeled_pair()
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, y_target)
    )
    several = sample_domain.copy()
    several[:100] = 3
    several[-50:] = -5
    pooled = transferability_summary(X, y, sample_domain, random_state=0)
    split = transferability_summary(X, y, several, random_state=0)
    assert pooled == split


def test_summary_subsamples_for_the_discrepancies():
    X_source, y_source, X_target, y_target = _labeled_pair()
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, y_target)
    )
    summary = transferability_summary(
        X, y, sample_domain, max_rows=50, n_permutations=20, random_state=0
    )
    assert (summary.n_source, summary.n_target) == (200, 120)
    assert summary.mmd2_pvalue >= 1 / 21
    full = transferability_summary(X, y, sample_domain, random_state=0)
    assert summary.mmd2 != full.mmd2


def test_summary_accepts_sparse_input():
    X_source, y_source, X_target, y_target = _labeled_pair()
    X, y, sample_domain = stack_domains(
        source=(sp.csr_matrix(X_source), y_source),
        target=(sp.csr_matrix(X_target), y_target),
    )
    dense = transferability_summary(X.toarray(), y, sample_domain, random_state=0)
    sparse = transferability_summary(X, y, sample_domain, random_state=0)
    assert_allclose(sparse.mmd2, dense.mmd2, rtol=1e-10)
    assert sparse.n_target_labeled == dense.n_target_labeled


def test_summary_str_is_a_table_of_the_fields():
    X_source, y_source, X_target, y_target = _labeled_pair()
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, y_target)
    )
    text = str(transferability_summary(X, y, sample_domain, random_state=0))
    lines = text.splitlines()
    assert len(lines) == 9
    for name in (
        "n_source",
        "n_target",
        "n_target_labeled",
        "mmd2",
        "mmd2_pvalue",
        "proxy_a_distance",
        "class_prior_shift",
        "source_to_target_gap",
    ):
        assert any(line.startswith(name + " ") for line in lines)
    none_text = str(transferability_summary(X, None, sample_domain, random_state=0))
    assert "None" in none_text


# -- errors --------------------------------------------------------------------------


ALL_PAIR_FUNCTIONS = [mmd2, mmd2_test, proxy_a_distance]


@pytest.mark.parametrize("function", ALL_PAIR_FUNCTIONS)
def test_feature_mismatch_is_refused(gaussian_domains, function):
    X_source, _ = gaussian_domains(n_features=3)
    _, X_target = gaussian_domains(n_features=2)
    with pytest.raises(ValueError, match="Feature mismatch"):
        function(X_source, X_target)


@pytest.mark.parametrize("function", ALL_PAIR_FUNCTIONS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_values_are_refused(gaussian_domains, function, bad):
    X_source, X_target = gaussian_domains()
    X_target[3, 1] = bad
    with pytest.raises(ValueError, match="X_target contains NaN or infinite.*Impute"):
        function(X_source, X_target)


def test_non_finite_sparse_values_are_refused(gaussian_domains):
    X_source, X_target = gaussian_domains()
    X_source[0, 0] = np.nan
    with pytest.raises(ValueError, match="X_source contains NaN"):
        mmd2(sp.csr_matrix(X_source), X_target, kernel="linear")


@pytest.mark.parametrize("method", ["unbiased", "biased", "linear"])
def test_one_row_is_refused(gaussian_domains, method):
    X_source, X_target = gaussian_domains()
    with pytest.raises(ValueError, match="at least 2 rows per domain.*target"):
        mmd2(X_source, X_target[:1], method=method)


def test_linear_test_needs_two_pairs(gaussian_domains):
    X_source, X_target = gaussian_domains()
    with pytest.raises(ValueError, match="at least 4 rows per domain"):
        mmd2_test(X_source, X_target[:3], method="linear")


def test_one_dimensional_input_is_refused(gaussian_domains):
    X_source, X_target = gaussian_domains()
    with pytest.raises(ValueError, match="reshape"):
        mmd2(X_source[:, 0], X_target)


@pytest.mark.parametrize("method", ["unbiased", "biased"])
def test_permutation_test_refuses_too_many_rows(method):
    rng = np.random.RandomState(0)
    X_source, X_target = rng.normal(size=(15000, 1)), rng.normal(size=(5001, 1))
    with pytest.raises(ValueError, match="limited to 20000 rows.*method='linear'"):
        mmd2_test(X_source, X_target, gamma=1.0, method=method)


def test_bad_parameters_are_refused(gaussian_domains):
    X_source, X_target = gaussian_domains()
    with pytest.raises(ValueError, match="'method' parameter of mmd2"):
        mmd2(X_source, X_target, method="quadratic")
    with pytest.raises(ValueError, match="'method' parameter of mmd2_test"):
        mmd2_test(X_source, X_target, method="exact")
    with pytest.raises(ValueError, match="'kernel' parameter"):
        mmd2(X_source, X_target, kernel="sigmoid")
    with pytest.raises(ValueError, match="'n_permutations' parameter"):
        mmd2_test(X_source, X_target, n_permutations=0)
    with pytest.raises(ValueError, match="'cv' parameter"):
        proxy_a_distance(X_source, X_target, cv=1)


def test_pad_needs_cv_rows_per_domain(gaussian_domains):
    X_source, X_target = gaussian_domains()
    with pytest.raises(ValueError, match="cv=5 needs at least 5 rows.*target"):
        proxy_a_distance(X_source, X_target[:4])


def test_summary_needs_both_kinds_of_domain():
    X_source, y_source, X_target, _ = _labeled_pair()
    with pytest.raises(ValueError, match="needs target rows"):
        transferability_summary(X_source, y_source)
    with pytest.raises(ValueError, match="needs target rows"):
        transferability_summary(X_source)
    with pytest.raises(ValueError, match="needs source rows"):
        transferability_summary(X_target, sample_domain=np.full(120, -2))


def test_summary_refuses_small_domains_and_unlabeled_source():
    X_source, y_source, X_target, _ = _labeled_pair()
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=X_target[:3]
    )
    with pytest.raises(ValueError, match="at least 5 rows per domain.*target"):
        transferability_summary(X, y, sample_domain)
    X, y, sample_domain = stack_domains(source=(X_source, y_source), target=X_target)
    y[0] = -1
    with pytest.raises(ValueError, match="source rows"):
        transferability_summary(X, y, sample_domain)
    X[5, 0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        transferability_summary(X, y, sample_domain)


# -- determinism ---------------------------------------------------------------------


def test_results_depend_only_on_random_state(gaussian_domains):
    X_source, X_target = gaussian_domains(n_source=1200, n_target=900, shift=0.2)
    # The global generator is not touched when random_state is given.
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    for method in ("unbiased", "linear"):
        first = mmd2(X_source, X_target, method=method, random_state=5)
        assert mmd2(X_source, X_target, method=method, random_state=5) == first
    small_source, small_target = X_source[:100], X_target[:100]
    first = mmd2_test(small_source, small_target, n_permutations=50, random_state=5)
    again = mmd2_test(small_source, small_target, n_permutations=50, random_state=5)
    assert first == again
    pad = proxy_a_distance(small_source, small_target, random_state=5)
    assert proxy_a_distance(small_source, small_target, random_state=5) == pad
    X_s, y_s, X_t, y_t = _labeled_pair()
    X, y, sample_domain = stack_domains(source=(X_s, y_s), target=(X_t, y_t))
    first = transferability_summary(X, y, sample_domain, random_state=5)
    assert transferability_summary(X, y, sample_domain, random_state=5) == first
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_linear_statistic_changes_with_the_seed(gaussian_domains):
    X_source, X_target = gaussian_domains(n_source=400, n_target=400, shift=0.5)
    values = {
        mmd2(X_source, X_target, method="linear", gamma=0.5, random_state=seed)
        for seed in range(3)
    }
    assert len(values) == 3


def test_default_estimators_scale_the_features(gaussian_domains):
    # Features on wildly different scales: the default pipeline standardizes,
    # so logistic regression converges and separates the domains.
    X_source, X_target = gaussian_domains(n_source=100, n_target=100, shift=5.0)
    scale = np.array([1e4, 1e-4])
    expected = proxy_a_distance(X_source, X_target, random_state=0)
    pad = proxy_a_distance(X_source * scale, X_target * scale, random_state=0)
    assert_allclose(pad, expected)
    explicit = make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000, class_weight="balanced")
    )
    assert_allclose(
        proxy_a_distance(X_source, X_target, estimator=explicit, random_state=0),
        expected,
    )
