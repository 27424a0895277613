"""Transfer component analysis: the eigenproblem on both paths, embedding, errors."""

import logging
import pickle
import tracemalloc
import warnings
from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy import linalg
from scipy.sparse.linalg import ArpackNoConvergence
from sklearn import config_context
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from sktransfer import (
    LabeledOnly,
    SemiSupervisedTCA,
    TransferComponentAnalysis,
    make_transfer_pipeline,
    stack_domains,
)
from sktransfer.feature._eigensolvers import symmetrize_in_place
from sktransfer.feature._tca import _knn_laplacian, _label_coding


@pytest.fixture
def shifted(gaussian_domains):
    """Factory: stacked ``(X, sample_domain)``; the target is shifted and wider."""

    def build(n_source=120, n_target=100, n_features=4, shift=0.8, seed=0):
        X_source, X_target = gaussian_domains(
            n_source, n_target, n_features, shift, scale=1.2, seed=seed
        )
        sample_domain = np.r_[np.ones(n_source, dtype=int), np.full(n_target, -2)]
        return np.vstack([X_source, X_target]), sample_domain

    return build


def _problem_matrices(
    X,
    sample_domain,
    gram,
    mu,
    labels=None,
    label_weight=0.0,
    laplacian=None,
    locality=0.0,
):
    """The paper's A and B, built densely from their definitions."""
    n = X.shape[0]
    is_source = sample_domain >= 0
    e = np.where(is_source, 1 / is_source.sum(), -1 / (~is_source).sum())
    centring = np.eye(n) - 1 / n
    label_kernel = np.eye(n)
    if labels is not None:
        label_kernel = (1 - label_weight) * np.eye(n) + label_weight * labels @ labels.T
    A = gram @ centring @ label_kernel @ centring @ gram
    structure = np.outer(e, e)
    if laplacian is not None:
        structure = structure + locality * laplacian.toarray()
    B = gram @ structure @ gram + mu * np.eye(n)
    return A, B


def _largest_angle(a, b):
    return float(linalg.subspace_angles(a - a.mean(axis=0), b - b.mean(axis=0)).max())


# -- the eigenproblem ---------------------------------------------------------------


@pytest.mark.parametrize("n_source", [90, 400], ids=["dense eigh", "ARPACK"])
def test_components_solve_the_generalized_eigenproblem(shifted, n_source):
    X, sample_domain = shifted(n_source=n_source, n_target=n_source)
    tca = TransferComponentAnalysis(n_components=4, gamma=0.3, mu=0.5, solver="exact")
    tca.fit(X, sample_domain=sample_domain)
    A, B = _problem_matrices(X, sample_domain, rbf_kernel(X, gamma=0.3), mu=0.5)
    W = tca.coefficients_
    residual = A @ W - (B @ W) * tca.eigenvalues_
    assert (
        np.linalg.norm(residual, axis=0).max()
        <= 1e-8 * np.linalg.norm(A @ W, axis=0).min()
    )
    assert np.all(np.diff(tca.eigenvalues_) <= 0)


def test_agrees_with_a_brute_force_eigensolver(shifted):
    X, sample_domain = shifted(n_source=60, n_target=50)
    gram = rbf_kernel(X, gamma=0.2)
    A, B = _problem_matrices(X, sample_domain, gram, mu=0.1)
    values, vectors = linalg.eig(np.linalg.solve(B, A))
    top = np.argsort(-values.real)[:5]
    tca = TransferComponentAnalysis(n_components=5, gamma=0.2, mu=0.1)
    embedding = tca.fit_transform(X, sample_domain=sample_domain)
    assert_allclose(tca.eigenvalues_, values.real[top], rtol=1e-8)
    assert _largest_angle(gram @ vectors[:, top].real, embedding) < 1e-6


def test_semi_supervised_agrees_with_a_brute_force_eigensolver(shifted):
    X, sample_domain = shifted(n_source=60, n_target=50)
    y = np.where(sample_domain >= 0, (X[:, 0] > 0).astype(int), -1)
    y[-5:] = 1  # a few labeled target rows take part too
    sstca = SemiSupervisedTCA(
        n_components=4, gamma=0.2, mu=0.3, label_weight=0.7, locality=500.0
    )
    embedding = sstca.fit_transform(X, y, sample_domain=sample_domain)
    gram = rbf_kernel(X, gamma=0.2)
    A, B = _problem_matrices(
        X,
        sample_domain,
        gram,
        mu=0.3,
        labels=_label_coding(y, y != -1),
        label_weight=0.7,
        laplacian=_knn_laplacian(X, 5),
        locality=500.0 / X.shape[0] ** 2,
    )
    values, vectors = linalg.eig(np.linalg.solve(B, A))
    top = np.argsort(-values.real)[:4]
    assert_allclose(sstca.eigenvalues_, values.real[top], rtol=1e-7)
    assert _largest_angle(gram @ vectors[:, top].real, embedding) < 1e-6


def test_semi_supervised_without_labels_or_locality_is_tca(shifted):
    X, sample_domain = shifted()
    y = np.where(sample_domain >= 0, (X[:, 0] > 0).astype(int), -1)
    tca = TransferComponentAnalysis(n_components=3, gamma=0.3)
    sstca = SemiSupervisedTCA(n_components=3, gamma=0.3, label_weight=0.0)
    assert_allclose(
        sstca.fit_transform(X, y, sample_domain=sample_domain),
        tca.fit_transform(X, sample_domain=sample_domain),
        atol=1e-8,
    )


def test_label_weight_pulls_the_first_component_towards_the_labels(shifted):
    X, sample_domain = shifted(n_features=6, seed=3)
    labels = (X[:, 5] > 0).astype(int)  # a low-variance direction among six
    X[:, 5] *= 0.3
    y = np.where(sample_domain >= 0, labels, -1)

    def separation(embedding):
        first = embedding[sample_domain >= 0, 0]
        classes = labels[sample_domain >= 0]
        return abs(first[classes == 1].mean() - first[classes == 0].mean())

    plain = TransferComponentAnalysis(n_components=2, gamma=0.1)
    guided = SemiSupervisedTCA(n_components=2, gamma=0.1, label_weight=1.0)
    before = separation(plain.fit_transform(X, sample_domain=sample_domain))
    after = separation(guided.fit_transform(X, y, sample_domain=sample_domain))
    assert after > 2 * before


def test_without_target_rows_it_is_pca_of_the_kernel_values(shifted):
    X, _ = shifted()
    tca = TransferComponentAnalysis(n_components=3, gamma=0.3, mu=1e-6)
    embedding = tca.fit_transform(X)
    reference = PCA(n_components=3).fit_transform(rbf_kernel(X, gamma=0.3))
    assert _largest_angle(reference, embedding) < 1e-6


def test_knn_laplacian_by_hand():
    # Four points on a line at 0, 1, 2, 4; each row's nearest other row.
    X = np.array([[0.0], [1.0], [2.0], [4.0]])
    laplacian = _knn_laplacian(X, 1).toarray()
    # Nearest: 0->1, 1->0 (tie with 2: the first found), 2->1, 3->2; all at
    # distance 1 except 3->2 at 2. sigma is the median, 1.
    near, far = np.exp(-0.5), np.exp(-2.0)
    affinity = np.zeros((4, 4))
    affinity[0, 1] = affinity[1, 0] = near
    affinity[1, 2] = affinity[2, 1] = near
    affinity[2, 3] = affinity[3, 2] = far
    assert_allclose(laplacian, np.diag(affinity.sum(axis=1)) - affinity)


def test_symmetrize_in_place_by_bands():
    matrix = np.random.RandomState(0).normal(size=(7, 7))
    expected = (matrix + matrix.T) / 2
    symmetrize_in_place(matrix, block_rows=3)
    assert_array_equal(matrix, expected)


def test_label_coding():
    labeled = np.array([True, True, False, True])
    coding = _label_coding(np.array([0, 2, -1, 2]), labeled)
    assert_array_equal(coding, [[1, 0], [0, 1], [0, 0], [0, 1]])
    continuous = _label_coding(np.array([1.5, np.nan, 3.5]), labeled[[0, 2, 3]])
    assert_allclose(continuous.ravel(), [-1.0, 0.0, 1.0])


# -- the embedding ------------------------------------------------------------------


@pytest.mark.parametrize("scaling", ["unit_norm", "unit_variance"])
@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_transform_of_training_rows_is_the_fitted_embedding(shifted, solver, scaling):
    X, sample_domain = shifted()
    tca = TransferComponentAnalysis(
        n_components=3, solver=solver, n_landmarks=50, random_state=0, scaling=scaling
    )
    embedding = tca.fit_transform(X, sample_domain=sample_domain)
    assert_allclose(tca.transform(X), embedding, atol=1e-9)
    assert_allclose(embedding.mean(axis=0), 0, atol=1e-9)
    if scaling == "unit_variance":
        assert_allclose(embedding.std(axis=0), 1)
    elif solver == "exact":
        assert_allclose(np.linalg.norm(tca.coefficients_, axis=0), 1)


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_shuffled_rows_give_shuffled_embedding(shifted, solver):
    X, sample_domain = shifted()
    order = np.random.RandomState(1).permutation(X.shape[0])
    make = dict(n_components=3, gamma=0.3, solver=solver, n_landmarks=500)
    embedding = TransferComponentAnalysis(**make).fit_transform(
        X, sample_domain=sample_domain
    )
    shuffled = TransferComponentAnalysis(**make).fit_transform(
        X[order], sample_domain=sample_domain[order]
    )
    assert_allclose(shuffled, embedding[order], atol=1e-8)


def test_new_rows_are_embedded_one_by_one(shifted):
    X, sample_domain = shifted()
    tca = TransferComponentAnalysis(n_components=2, random_state=0)
    tca.fit(X, sample_domain=sample_domain)
    rows = X[[5, 150, 7]]
    assert_allclose(
        tca.transform(rows), np.vstack([tca.transform(row[None]) for row in rows])
    )


def test_fast_equals_exact_when_every_row_is_a_landmark(shifted):
    X, sample_domain = shifted()
    make = dict(n_components=4, gamma=0.3)
    exact = TransferComponentAnalysis(solver="exact", **make)
    fast = TransferComponentAnalysis(solver="fast", n_landmarks=X.shape[0], **make)
    assert_allclose(
        fast.fit(X, sample_domain=sample_domain).eigenvalues_,
        exact.fit(X, sample_domain=sample_domain).eigenvalues_,
        rtol=1e-7,
    )
    assert _largest_angle(fast.transform(X), exact.transform(X)) < 1e-6


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_unit_norm_scaling_is_the_same_components_with_unit_norm_coefficients(
    shifted, solver
):
    X, sample_domain = shifted()
    make = dict(n_components=4, kernel="linear", solver=solver, random_state=0)
    variance = TransferComponentAnalysis(scaling="unit_variance", **make)
    norm = TransferComponentAnalysis(scaling="unit_norm", **make)
    by_variance = variance.fit_transform(X, sample_domain=sample_domain)
    by_norm = norm.fit_transform(X, sample_domain=sample_domain)
    assert_allclose(by_variance.std(axis=0), 1.0)
    # The same components, each rescaled (signs agree by the shared sign rule).
    ratio = by_norm / by_variance
    assert_allclose(ratio, np.broadcast_to(ratio[0], ratio.shape), rtol=1e-6)
    assert (ratio[0] > 0).all()
    # |w| = 1 over the training rows: the embedding of the rows is K w.
    gram = X @ X.T
    coefficients = np.linalg.lstsq(gram, by_norm + norm.mean_, rcond=None)[0]
    assert_allclose(np.linalg.norm(coefficients, axis=0), 1.0, rtol=1e-5)
    if solver == "exact":
        assert_allclose(np.linalg.norm(norm.coefficients_, axis=0), 1.0)


def test_unit_norm_scaling_of_tiny_kernel_values_is_not_a_collapse(shifted):
    """Kernel values of order 1e-10 give an embedding of order 1e-10, whose
    within-domain spread is small in absolute terms only: no warning."""
    X, sample_domain = shifted()
    tca = TransferComponentAnalysis(3, kernel="linear", scaling="unit_norm")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        embedded = tca.fit_transform(X * 1e-5, sample_domain=sample_domain)
    assert 0 < embedded.std() < 1e-8


def test_fast_with_few_landmarks_stays_close_to_exact(shifted):
    # Measured: largest principal angle 0.003 rad at 200 of 1200 rows; the
    # bounds leave a margin for other BLAS builds.
    X, sample_domain = shifted(n_source=600, n_target=600)
    make = dict(n_components=5, gamma=0.2, random_state=0)
    exact = TransferComponentAnalysis(solver="exact", **make).fit(
        X, sample_domain=sample_domain
    )
    fast = TransferComponentAnalysis(solver="fast", n_landmarks=200, **make).fit(
        X, sample_domain=sample_domain
    )
    assert _largest_angle(fast.transform(X), exact.transform(X)) < 0.05
    assert_allclose(fast.eigenvalues_, exact.eigenvalues_, rtol=0.01)


def test_auto_picks_the_path_by_size(shifted):
    X, sample_domain = shifted()
    tca = TransferComponentAnalysis(n_components=2).fit(X, sample_domain=sample_domain)
    assert tca.solver_ == "exact"
    assert tca.rank_ is None
    assert tca.n_landmarks_ == X.shape[0]
    rng = np.random.RandomState(0)
    big = rng.normal(size=(5001, 2))
    tca = TransferComponentAnalysis(n_components=2, n_landmarks=50, random_state=0)
    tca.fit(big, sample_domain=np.r_[np.ones(2500, int), -np.ones(2501, int)])
    assert tca.solver_ == "fast"
    assert tca.n_landmarks_ == 50


def test_fast_landmarks_come_from_both_domains(shifted):
    X, sample_domain = shifted(n_source=300, n_target=30)
    tca = TransferComponentAnalysis(
        n_components=2, solver="fast", n_landmarks=40, random_state=0
    ).fit(X, sample_domain=sample_domain)
    from_target = sum(
        np.any(np.all(X[sample_domain < 0] == row, axis=1)) for row in tca.landmarks_
    )
    assert from_target == 20


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_sparse_input_with_a_linear_kernel_matches_dense(shifted, solver):
    X, sample_domain = shifted(n_features=30)
    X[np.abs(X) < 1.0] = 0.0
    make = dict(n_components=3, kernel="linear", solver=solver, random_state=0)
    dense = TransferComponentAnalysis(**make).fit_transform(
        X, sample_domain=sample_domain
    )
    tca = TransferComponentAnalysis(**make)
    embedded = tca.fit_transform(sp.csr_matrix(X), sample_domain=sample_domain)
    assert_allclose(embedded, dense, atol=1e-8)
    assert_allclose(tca.transform(sp.csr_matrix(X)), dense, atol=1e-8)


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_sparse_text_is_never_densified(solver):
    # 300 rows x 1,000,000 columns would take 2.4 GB dense.
    rng = np.random.RandomState(0)
    n_rows, n_columns, per_row = 300, 1_000_000, 20
    columns = rng.randint(n_columns, size=n_rows * per_row)
    X = sp.csr_matrix(
        (
            rng.uniform(size=columns.size),
            columns,
            np.arange(0, columns.size + 1, per_row),
        ),
        shape=(n_rows, n_columns),
    )
    sample_domain = np.r_[np.ones(150, int), -np.ones(150, int)]
    tca = TransferComponentAnalysis(
        n_components=3, kernel="linear", solver=solver, n_landmarks=100, random_state=0
    )
    tracemalloc.start()
    try:
        tca.fit(X, sample_domain=sample_domain).transform(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20


def test_helps_when_the_source_has_a_shifted_spurious_feature(shortcut_pair):
    scores = []
    for seed in range(3):
        X_source, y_source, X_target, y_target = shortcut_pair(seed)
        X, y, sample_domain = stack_domains(
            source=(X_source, y_source), target=(X_target, None)
        )
        tca = TransferComponentAnalysis(n_components=1, kernel="linear")
        model = make_transfer_pipeline(tca, LogisticRegression())
        model.fit(X, y, sample_domain=sample_domain)
        source_only = LogisticRegression().fit(X_source, y_source)
        scores.append(
            (model.score(X_target, y_target), source_only.score(X_target, y_target))
        )
    transfer, baseline = np.mean(scores, axis=0)
    # Measured: 0.85 against 0.56.
    assert transfer > baseline + 0.15


def test_pandas_output_and_feature_names(shifted):
    pd = pytest.importorskip("pandas")
    X, sample_domain = shifted()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    tca = TransferComponentAnalysis(n_components=2, random_state=0)
    tca.set_output(transform="pandas")
    out = tca.fit_transform(frame, sample_domain=sample_domain)
    expected = ["transfercomponentanalysis0", "transfercomponentanalysis1"]
    assert list(out.columns) == expected
    assert list(tca.get_feature_names_out()) == expected
    assert list(tca.transform(frame).columns) == expected
    assert_array_equal(out.index, frame.index)


def test_target_rows_inferred_from_unlabeled_marker(shifted):
    X, sample_domain = shifted()
    y = np.where(sample_domain >= 0, 1, -1)
    y[:60] = 0
    make = dict(n_components=2, random_state=0)
    assert_allclose(
        TransferComponentAnalysis(**make).fit_transform(X, y),
        TransferComponentAnalysis(**make).fit_transform(X, sample_domain=sample_domain),
    )


def test_deterministic_and_n_jobs_independent(shifted):
    # Above 2048 rows the kernel values come in several blocks, shared out.
    X, sample_domain = shifted(n_source=2500, n_target=2500)
    make = dict(n_components=3, solver="fast", n_landmarks=80, random_state=4)
    first = TransferComponentAnalysis(**make).fit_transform(
        X, sample_domain=sample_domain
    )
    again = TransferComponentAnalysis(**make).fit_transform(
        X, sample_domain=sample_domain
    )
    parallel = TransferComponentAnalysis(n_jobs=2, **make)
    spread = parallel.fit_transform(X, sample_domain=sample_domain)
    assert_array_equal(first, again)
    assert_allclose(spread, first, atol=1e-9)


def test_pickle_round_trip(shifted):
    X, sample_domain = shifted()
    tca = TransferComponentAnalysis(n_components=2, random_state=0)
    tca.fit(X, sample_domain=sample_domain)
    assert_allclose(
        pickle.loads(pickle.dumps(tca)).transform(X), tca.transform(X), rtol=1e-12
    )


def test_verbose_logs_the_solver(shifted, caplog):
    X, sample_domain = shifted()
    with caplog.at_level(logging.INFO, logger="sktransfer"):
        TransferComponentAnalysis(n_components=2, verbose=1).fit(
            X, sample_domain=sample_domain
        )
    assert "exact solver" in caplog.text


# -- composition ----------------------------------------------------------------------


def test_grid_search_with_metadata_routing(shortcut_pair):
    X_source, y_source, X_target, y_target = shortcut_pair()
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, None)
    )
    with config_context(enable_metadata_routing=True):
        pipe = Pipeline(
            [
                ("tca", TransferComponentAnalysis(kernel="linear")),
                ("clf", LabeledOnly(LogisticRegression())),
            ]
        )
        search = GridSearchCV(pipe, {"tca__n_components": [1, 2]}, cv=2)
        search.fit(X, y, sample_domain=sample_domain)
    assert search.best_params_["tca__n_components"] in (1, 2)


def test_grid_search_with_routing_off(shortcut_pair):
    X_source, y_source, X_target, y_target = shortcut_pair()
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, None)
    )
    pipe = make_transfer_pipeline(
        TransferComponentAnalysis(n_components=1, kernel="linear"), LogisticRegression()
    )
    search = GridSearchCV(pipe, {"transfercomponentanalysis__mu": [0.1, 1.0]}, cv=2)
    search.fit(X, y, sample_domain=sample_domain)
    assert search.predict(X_target).shape == (X_target.shape[0],)


# -- errors ---------------------------------------------------------------------------


def test_explicit_sample_domain_without_target_rows_raises(shifted):
    X, _ = shifted()
    with pytest.raises(ValueError, match="needs target rows"):
        TransferComponentAnalysis(n_components=2).fit(
            X, sample_domain=np.ones(X.shape[0], dtype=int)
        )


def test_no_source_rows_raises(shifted):
    X, _ = shifted()
    with pytest.raises(ValueError, match="needs source rows"):
        TransferComponentAnalysis(n_components=2).fit(
            X, sample_domain=-np.ones(X.shape[0], dtype=int)
        )


def test_too_many_components_raises(shifted):
    X, sample_domain = shifted(n_source=5, n_target=4)
    with pytest.raises(ValueError, match="at most n_samples - 1 = 8"):
        TransferComponentAnalysis(n_components=9).fit(X, sample_domain=sample_domain)


def test_more_components_than_landmarks_raises(shifted):
    X, sample_domain = shifted()
    with pytest.raises(ValueError, match="n_landmarks=10"):
        TransferComponentAnalysis(n_components=12, solver="fast", n_landmarks=10).fit(
            X, sample_domain=sample_domain
        )


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_components_beyond_the_kernel_rank_raise(shifted, solver):
    X, sample_domain = shifted(n_features=2)
    with pytest.raises(ValueError, match="Set n_components <= 2"):
        TransferComponentAnalysis(n_components=3, kernel="linear", solver=solver).fit(
            X, sample_domain=sample_domain
        )


def test_too_large_for_the_exact_path_raises_before_computing():
    X = np.zeros((20_001, 1))
    with pytest.raises(ValueError, match="solver='fast'"):
        TransferComponentAnalysis(n_components=2, solver="exact").fit(X)


def test_arpack_failure_raises(shifted):
    X, sample_domain = shifted(n_source=400, n_target=400)
    failure = ArpackNoConvergence("no convergence", np.zeros(0), np.zeros((0, 0)))
    with (
        mock.patch("sktransfer.feature._eigensolvers.eigsh", side_effect=failure),
        pytest.raises(ValueError, match="did not converge"),
    ):
        TransferComponentAnalysis(n_components=3, solver="exact").fit(
            X, sample_domain=sample_domain
        )


def test_feature_mismatch_at_transform_raises(shifted):
    X, sample_domain = shifted()
    tca = TransferComponentAnalysis(n_components=2).fit(X, sample_domain=sample_domain)
    with pytest.raises(ValueError, match="features"):
        tca.transform(X[:, :2])


def test_nan_raises(shifted):
    X, sample_domain = shifted()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        TransferComponentAnalysis(n_components=2).fit(X, sample_domain=sample_domain)


def test_invalid_parameter_raises(shifted):
    X, sample_domain = shifted()
    with pytest.raises(InvalidParameterError, match="n_components"):
        TransferComponentAnalysis(n_components=0).fit(X, sample_domain=sample_domain)
    with pytest.raises(InvalidParameterError, match="label_weight"):
        SemiSupervisedTCA(label_weight=1.5).fit(X, np.zeros(X.shape[0]))


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (None, "requires y"),
        (np.full(220, -1), "source rows .* carry the unlabeled marker"),
        (np.r_[np.zeros(120, int), np.full(100, -1)], "one class"),
        (np.tile([[0, 1], [1, 0]], (110, 1)), "Unknown label type"),
    ],
    ids=["no y", "unlabeled source", "one class", "multilabel"],
)
def test_semi_supervised_label_errors(shifted, y, match):
    X, sample_domain = shifted()
    with pytest.raises(ValueError, match=match):
        SemiSupervisedTCA(n_components=2).fit(X, y, sample_domain=sample_domain)


def test_too_many_neighbours_raises(shifted):
    X, sample_domain = shifted(n_source=6, n_target=4)
    y = np.r_[np.arange(6) % 2, np.full(4, -1)]
    with pytest.raises(ValueError, match="n_neighbors=10"):
        SemiSupervisedTCA(n_components=2, locality=1.0, n_neighbors=10).fit(
            X, y, sample_domain=sample_domain
        )


def test_fast_linear_path_is_exact_with_few_features_even_when_rare():
    # Rare features (each non-zero in a handful of rows) are what landmarks
    # drawn from the rows miss; the unit-vector landmarks cannot.
    rng = np.random.RandomState(0)
    X = sp.random(600, 40, density=0.03, random_state=rng, format="csr")
    X = X + sp.csr_matrix(rng.normal(size=(600, 40)) * (rng.uniform(size=40) < 0.2))
    sample_domain = np.r_[np.ones(300, int), -2 * np.ones(300, int)]
    exact = TransferComponentAnalysis(5, kernel="linear", solver="exact")
    fast = TransferComponentAnalysis(5, kernel="linear", solver="fast", n_landmarks=50)
    Z_exact = exact.fit_transform(X, sample_domain=sample_domain)
    Z_fast = fast.fit_transform(X, sample_domain=sample_domain)
    assert fast.n_landmarks_ == 40
    assert_allclose(fast.eigenvalues_, exact.eigenvalues_, rtol=1e-8)
    assert np.degrees(linalg.subspace_angles(Z_exact, Z_fast).max()) < 1e-6
