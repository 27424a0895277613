"""CORAL and subspace alignment against their closed forms and by hand."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from scipy.linalg import sqrtm
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from sktransfer import make_transfer_pipeline, stack_domains
from sktransfer.feature import CORAL, SubspaceAlignment
from sktransfer.model_selection import (
    NegativeTransferGuard,
    NegativeTransferWarning,
    TargetShuffleSplit,
)


def _domains(n_source=400, n_target=300, seed=0, dim=4):
    """Correlated source and target Gaussians with different covariances."""
    rng = np.random.RandomState(seed)
    mix_s, mix_t = rng.normal(size=(dim, dim)), rng.normal(size=(dim, dim))
    X_source = rng.normal(size=(n_source, dim)) @ mix_s
    X_target = rng.normal(size=(n_target, dim)) @ mix_t + 0.3
    y_source = (X_source[:, 0] > 0).astype(int)
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, None)
    )
    return X, y, sample_domain, X_source, X_target


@pytest.mark.parametrize("reg", [1.0, 1e-3])
def test_coral_recoloured_source_covariance_is_the_target_covariance(reg):
    X, y, sd, X_source, X_target = _domains()
    moved = CORAL(reg=reg).fit_transform(X, sample_domain=sd)
    ridge = reg * np.eye(4)
    # The closed form: A' (C_s + reg I) A = C_t + reg I.
    recoloured = np.cov(moved[sd >= 0], rowvar=False) + (
        CORAL(reg=reg).fit(X, sample_domain=sd).alignment_.T
        @ ridge
        @ CORAL(reg=reg).fit(X, sample_domain=sd).alignment_
    )
    assert_allclose(recoloured, np.cov(X_target, rowvar=False) + ridge, atol=1e-8)
    # Target rows are unchanged.
    assert_array_equal(moved[sd < 0], X_target)


def test_coral_alignment_is_the_papers_formula():
    X, y, sd, X_source, X_target = _domains()
    model = CORAL(reg=1.0).fit(X, sample_domain=sd)
    C_s = np.cov(X_source, rowvar=False) + np.eye(4)
    C_t = np.cov(X_target, rowvar=False) + np.eye(4)
    expected = np.linalg.inv(sqrtm(C_s)).real @ sqrtm(C_t).real
    assert_allclose(model.alignment_, expected, atol=1e-10)
    assert_allclose(model.source_covariance_, C_s)
    assert_allclose(
        model.transform(X_source, sample_domain=np.ones(400, int)),
        X_source @ expected,
        atol=1e-10,
    )


def test_coral_unknown_rows_are_target_rows():
    X, y, sd, X_source, X_target = _domains()
    model = CORAL().fit(X, sample_domain=sd)
    assert_array_equal(model.transform(X_source), X_source)
    mixed = model.transform(X, sample_domain=sd)
    assert_allclose(mixed[sd >= 0], X_source @ model.alignment_)


def test_coral_sparse_input_gives_the_dense_result():
    X, y, sd, *_ = _domains()
    X[np.abs(X) < 0.7] = 0.0
    dense = CORAL().fit_transform(X, sample_domain=sd)
    from_sparse = CORAL().fit_transform(sparse.csr_matrix(X), sample_domain=sd)
    assert_allclose(from_sparse, dense, atol=1e-10)


def test_coral_without_target_rows_is_the_identity():
    X, y, sd, X_source, _ = _domains()
    model = CORAL().fit(X_source, np.zeros(400))
    assert_array_equal(model.alignment_, np.eye(4))
    assert model.source_covariance_ is None


def test_coral_refuses_a_singular_covariance_without_reg():
    X, y, sd, *_ = _domains()
    X = np.column_stack([X, X[:, 0]])  # a collinear feature
    with pytest.raises(ValueError, match="not positive definite.*Raise reg"):
        CORAL(reg=0.0).fit(X, sample_domain=sd)
    CORAL(reg=1e-6).fit(X, sample_domain=sd)


def test_coral_helps_a_linear_model_when_the_features_are_rescaled():
    # The target's sensors have other gains: each feature rescaled, the label
    # rule the same on the underlying signal. The source's line is wrong in
    # the target's units; CORAL's recolouring puts the source in them.
    rng = np.random.RandomState(0)
    Z_source, Z_target = rng.normal(size=(2000, 3)), rng.normal(size=(2000, 3))
    weights = np.array([1.0, -1.0, 0.5])
    X_source = Z_source * [1.0, 2.0, 0.5]
    X_target = Z_target * [3.0, 0.5, 2.0]
    y_source = (Z_source @ weights > 0).astype(int)
    y_target = (Z_target @ weights > 0).astype(int)
    X, y, sd = stack_domains(
        source=(X_source, y_source), target=(X_target[:1000], None)
    )
    plain = LogisticRegression().fit(X_source, y_source)
    pipe = make_transfer_pipeline(CORAL(reg=1e-3), LogisticRegression())
    pipe.fit(X, y, sample_domain=sd)
    test_rows = slice(1000, None)
    before = plain.score(X_target[test_rows], y_target[test_rows])
    after = pipe.score(X_target[test_rows], y_target[test_rows])
    assert after > before + 0.05
    assert after > 0.95


def _hand_made_sa(X_source, X_target, k):
    def basis(X):
        centred = X - X.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        return vt[:k].T

    P_s, P_t = basis(X_source), basis(X_target)
    M = P_s.T @ P_t
    return P_s, P_t, M


def test_subspace_alignment_equals_a_hand_computed_alignment():
    X, y, sd, X_source, X_target = _domains()
    model = SubspaceAlignment(n_components=2).fit(X, sample_domain=sd)
    P_s, P_t, _ = _hand_made_sa(X_source, X_target, 2)
    # Principal directions are defined up to sign: compare the projectors.
    assert_allclose(
        model.source_components_ @ model.source_components_.T, P_s @ P_s.T, atol=1e-8
    )
    assert_allclose(
        model.target_components_ @ model.target_components_.T, P_t @ P_t.T, atol=1e-8
    )
    assert_allclose(
        model.alignment_, model.source_components_.T @ model.target_components_
    )
    embedded = model.transform(X, sample_domain=sd)
    expected_source = (X_source - X_source.mean(0)) @ (
        model.source_components_ @ model.alignment_
    )
    expected_target = (X_target - X_target.mean(0)) @ model.target_components_
    assert_allclose(embedded[sd >= 0], expected_source, atol=1e-10)
    assert_allclose(embedded[sd < 0], expected_target, atol=1e-10)
    # Without sample_domain every row is a target row.
    assert_allclose(model.transform(X_target), expected_target, atol=1e-10)
    assert_allclose(model.fit_transform(X, sample_domain=sd), embedded)


def test_subspace_alignment_with_all_components_aligns_the_whole_space():
    X, y, sd, X_source, X_target = _domains()
    model = SubspaceAlignment(n_components=4).fit(X, sample_domain=sd)
    # Full bases: P_s M = P_t, so a source row lands in the target's
    # coordinates of the same vector.
    assert_allclose(
        model.source_components_ @ model.alignment_,
        model.target_components_,
        atol=1e-10,
    )


def _spiked_domains(spectrum_s, spectrum_t, n=2000, seed=0):
    """Rows with the given covariance spectra along the coordinate axes."""
    rng = np.random.RandomState(seed)
    X_source = rng.normal(size=(n, len(spectrum_s))) * np.sqrt(spectrum_s)
    X_target = rng.normal(size=(n, len(spectrum_t))) * np.sqrt(spectrum_t) + 1.0
    X, _, sd = stack_domains(source=(X_source, np.zeros(n)), target=(X_target, None))
    return X, sd, X_source, X_target


def test_subspace_alignment_bound_takes_the_largest_dimension_that_passes():
    spectrum = [100.0, 90.0, 30.0, 28.0, 1.0, 0.9]
    X, sd, X_source, X_target = _spiked_domains(spectrum, spectrum[::-1][::-1])
    delta, gamma = 0.1, 200.0
    model = SubspaceAlignment("bound", bound_confidence=delta, bound_tolerance=gamma)
    model.fit(X, sample_domain=sd)
    # By hand: eigenvalues of each domain, the smaller per rank, their gaps.
    smaller = np.minimum(
        *[
            np.linalg.eigvalsh(np.cov(rows, rowvar=False))[::-1]
            for rows in (X_source, X_target)
        ]
    )
    radius = max(
        np.linalg.norm(rows - rows.mean(0), axis=1).max()
        for rows in (X_source, X_target)
    )
    d = np.arange(1, 6)
    needed = (
        (1 + np.sqrt(np.log(2 / delta) / 2))
        * 16
        * d**1.5
        * radius
        / (gamma * np.sqrt(2000))
    )
    expected = d[(smaller[:-1] - smaller[1:]) >= needed].max()
    assert model.n_components_ == expected
    assert_allclose(
        model.eigenvalues_[0],
        np.sort(np.linalg.eigvalsh(np.cov(X_source, rowvar=False)))[::-1],
        rtol=1e-10,
    )
    # The large gaps of this spectrum are after ranks 2 and 4.
    assert expected in (2, 4)
    assert model.transform(X_target).shape == (2000, expected)


def test_subspace_alignment_bound_warns_when_no_dimension_passes():
    X, sd, *_ = _spiked_domains([1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    with pytest.warns(UserWarning, match="No subspace dimension passes"):
        model = SubspaceAlignment("bound", bound_tolerance=1.0).fit(X, sample_domain=sd)
    assert model.n_components_ == 1


def test_subspace_alignment_bound_grows_with_the_tolerance():
    spectrum = [50.0, 40.0, 20.0, 10.0, 5.0, 2.0, 1.0, 0.5]
    X, sd, *_ = _spiked_domains(spectrum, spectrum)
    dims = [
        SubspaceAlignment("bound", bound_tolerance=gamma)
        .fit(X, sample_domain=sd)
        .n_components_
        for gamma in (100.0, 1e3, 1e5)
    ]
    assert dims == sorted(dims)
    assert dims[0] < dims[-1]


def test_subspace_alignment_sparse_feature_names_and_errors():
    X, y, sd, *_ = _domains()
    model = SubspaceAlignment(n_components=3)
    dense = model.fit_transform(X, sample_domain=sd)
    from_sparse = SubspaceAlignment(n_components=3).fit_transform(
        sparse.csr_matrix(X), sample_domain=sd
    )
    assert_allclose(from_sparse, dense, atol=1e-10)
    assert list(model.get_feature_names_out()) == [
        "subspacealignment0",
        "subspacealignment1",
        "subspacealignment2",
    ]
    with pytest.raises(ValueError, match="n_components=5 exceeds"):
        SubspaceAlignment(n_components=5).fit(X, sample_domain=sd)
    with pytest.raises(ValueError, match="4 features"):
        model.transform(np.zeros((2, 3)))


def test_in_a_pipeline_a_grid_search_a_guard_and_a_pickle():
    X, y, sd, X_source, X_target = _domains(600, 400)
    y = y.copy()
    target_rows = np.flatnonzero(sd < 0)
    y[target_rows[:80]] = (X_target[:80, 0] > 0.3).astype(int)
    for step, grid in (
        (CORAL(), {"coral__reg": [0.1, 1.0]}),
        (SubspaceAlignment(), {"subspacealignment__n_components": [2, 3]}),
    ):
        pipe = make_transfer_pipeline(StandardScaler(), step, LogisticRegression())
        search = GridSearchCV(
            pipe, grid, cv=TargetShuffleSplit(n_splits=2, random_state=0)
        )
        search.fit(X, y, groups=sd, sample_domain=sd)
        assert np.isfinite(search.cv_results_["mean_test_score"]).all()
        guard = NegativeTransferGuard(search.best_estimator_, cv=3, random_state=0)
        # Which one it keeps on this toy data is not the point; the warning
        # that it kept a baseline is expected either way.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NegativeTransferWarning)
            guard.fit(X, y, sample_domain=sd)
        assert np.isfinite(guard.cv_results_["mean_score"]).all()
        restored = pickle.loads(pickle.dumps(search.best_estimator_))
        assert_array_equal(
            restored.predict(X_target), search.best_estimator_.predict(X_target)
        )
        assert guard.selected_ in ("transfer", "source_only", "target_only", "pooled")
