"""Joint distribution adaptation: TCA as its special cases, the class terms by
hand, both paths, the pseudo-label rounds, errors and the sklearn tools."""

import logging
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sktransfer import (
    TransferComponentAnalysis,
    make_transfer_pipeline,
    stack_domains,
)
from sktransfer.feature import JointDistributionAdaptation
from sktransfer.feature._jda import _class_contrasts
from sktransfer.model_selection import (
    NegativeTransferGuard,
    NegativeTransferWarning,
    TargetShuffleSplit,
)


def _class_shift(n_source=150, n_target=120, seed=0, n_features=5, n_labeled=0):
    """Three Gaussian classes; in the target each class moves its own way (a
    class-conditional shift the domains' means alone do not describe)."""
    rng = np.random.RandomState(seed)
    centres = 3 * rng.normal(size=(3, n_features))
    moves = rng.normal(size=(3, n_features))
    y_source = rng.randint(3, size=n_source)
    y_target = rng.randint(3, size=n_target)
    X_source = centres[y_source] + rng.normal(size=(n_source, n_features))
    X_target = (
        centres[y_target] + moves[y_target] + rng.normal(size=(n_target, n_features))
    )
    target_labels = np.full(n_target, -1)
    target_labels[:n_labeled] = y_target[:n_labeled]
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, target_labels)
    )
    return X, y, sample_domain, y_target


def _tca_like(jda):
    params = {
        key: value
        for key, value in jda.get_params().items()
        if key in TransferComponentAnalysis().get_params()
    }
    return TransferComponentAnalysis(**params)


@pytest.mark.parametrize("solver", ["exact", "fast"])
@pytest.mark.parametrize("settings", [{"n_iter": 0}, {"balance": 0.0}])
def test_without_rounds_or_class_terms_it_is_tca(solver, settings):
    X, y, sd, _ = _class_shift()
    jda = JointDistributionAdaptation(
        3, solver=solver, n_landmarks=60, random_state=0, **settings
    )
    embedded = jda.fit_transform(X, y, sample_domain=sd)
    tca = _tca_like(jda).fit(X, sample_domain=sd)
    assert_allclose(embedded, tca.transform(X), atol=1e-10)
    assert_allclose(jda.coefficients_, tca.coefficients_, atol=1e-10)
    assert jda.n_iter_ == 0
    assert jda.label_changes_.shape == (0,)


def test_class_contrasts_by_hand():
    codes = np.array([0, 0, 1, -1, 0, 1, 1, 2])
    is_source = np.array([True, True, True, True, False, False, False, False])
    contrasts = _class_contrasts(codes, is_source, 3)
    expected = np.array(
        [
            [0.5, 0.5, 0, 0, -1, 0, 0, 0],
            [0, 0, 1, 0, 0, -0.5, -0.5, 0],
            [0, 0, 0, 0, 0, 0, 0, 0],  # class 2 is in the target only
        ]
    ).T
    assert_allclose(contrasts, expected)


def test_components_solve_the_joint_eigenproblem():
    """With every target row labeled there are no pseudo-labels: the
    components solve K H K w = lambda (K M K + mu I) w, M built densely."""
    X, y, sd, y_target = _class_shift(n_source=60, n_target=50, n_labeled=50)
    balance, mu = 0.7, 0.5
    jda = JointDistributionAdaptation(
        4, kernel="linear", mu=mu, balance=balance, solver="exact", random_state=0
    ).fit(X, y, sample_domain=sd)
    n, is_source = X.shape[0], sd >= 0
    e0 = np.where(is_source, 1 / is_source.sum(), -1 / (~is_source).sum())
    M = (1 - balance) * np.outer(e0, e0)
    for c in range(3):
        e = np.zeros(n)
        e[is_source & (y == c)] = 1 / (is_source & (y == c)).sum()
        e[~is_source & (y == c)] = -1 / (~is_source & (y == c)).sum()
        M += balance / 3 * np.outer(e, e)
    K = X @ X.T
    A = K @ (np.eye(n) - 1 / n) @ K
    B = K @ M @ K + mu * np.eye(n)
    W = jda.coefficients_
    assert_allclose(A @ W, B @ W * jda.eigenvalues_, rtol=1e-6, atol=1e-8)
    assert jda.n_iter_ == 1  # one solve with the true labels; nothing changes


def test_fast_equals_exact_when_the_linear_fast_path_is_exact():
    X, y, sd, _ = _class_shift()
    settings = dict(kernel="linear", n_iter=3, random_state=0, scaling="unit_norm")
    exact = JointDistributionAdaptation(3, solver="exact", **settings)
    fast = JointDistributionAdaptation(3, solver="fast", **settings)
    assert_allclose(
        exact.fit_transform(X, y, sample_domain=sd),
        fast.fit_transform(X, y, sample_domain=sd),
        atol=1e-8,
    )
    assert_array_equal(exact.pseudo_labels_, fast.pseudo_labels_)


def test_rounds_improve_the_pseudo_labels_and_stop_when_they_settle():
    X, y, sd, y_target = _class_shift(seed=4)
    jda = JointDistributionAdaptation(
        3, kernel="linear", n_iter=20, balance=0.9, random_state=0
    ).fit(X, y, sample_domain=sd)
    first = (
        JointDistributionAdaptation(3, kernel="linear", n_iter=0, random_state=0)
        .fit(X, y, sample_domain=sd)
        .pseudo_labels_
    )
    assert np.mean(jda.pseudo_labels_ == y_target) > np.mean(first == y_target)
    assert 0 < jda.n_iter_ < 20
    assert jda.label_changes_[-1] == 0
    assert (jda.label_changes_[:-1] > 0).all()


def test_tol_stops_the_rounds_when_few_labels_still_change():
    X, y, sd, _ = _class_shift(seed=5)
    settings = dict(
        kernel="linear", n_iter=20, balance=0.9, random_state=0, scaling="unit_variance"
    )
    exhaustive = JointDistributionAdaptation(3, **settings).fit(X, y, sample_domain=sd)
    # Three of the 120 target rows keep flipping: tol=0 runs every round.
    assert exhaustive.n_iter_ == 20
    assert_allclose(exhaustive.label_changes_[-5:], 3 / 120)
    tolerant = JointDistributionAdaptation(3, tol=0.05, **settings).fit(
        X, y, sample_domain=sd
    )
    first_small = int(np.argmax(exhaustive.label_changes_ <= 0.05)) + 1
    assert tolerant.n_iter_ == first_small < 20
    assert_allclose(tolerant.label_changes_, exhaustive.label_changes_[:first_small])


def test_class_terms_bring_class_means_closer_than_tca():
    """Against the true target classes, the per-class discrepancy of the
    embedding (relative to its spread) is smaller with the class terms."""
    X, y, sd, y_target = _class_shift(seed=1)
    labels = np.r_[y[sd >= 0], y_target]

    def class_gap(embedded):
        source, target = embedded[sd >= 0], embedded[sd < 0]
        gaps = [
            np.linalg.norm(
                source[labels[sd >= 0] == c].mean(0)
                - target[labels[sd < 0] == c].mean(0)
            )
            for c in range(3)
        ]
        return np.mean(gaps) / embedded.std(axis=0).sum()

    settings = dict(kernel="linear", random_state=0)
    jda = JointDistributionAdaptation(2, balance=0.9, **settings)
    tca = TransferComponentAnalysis(2, **settings)
    assert class_gap(jda.fit_transform(X, y, sample_domain=sd)) < class_gap(
        tca.fit_transform(X, sample_domain=sd)
    )


def test_labeled_target_rows_keep_their_labels_and_train_the_labeler():
    X, y, sd, y_target = _class_shift(n_labeled=30)
    jda = JointDistributionAdaptation(3, n_iter=2, random_state=0).fit(
        X, y, sample_domain=sd
    )
    assert jda.pseudo_labels_.shape == (90,)
    # The labeler saw the 150 source rows and the 30 labeled target rows.
    assert jda.estimator_.n_samples_fit_ == 180


def test_a_given_estimator_is_the_pseudo_labeler():
    X, y, sd, _ = _class_shift()
    jda = JointDistributionAdaptation(
        3, estimator=LogisticRegression(), n_iter=2, random_state=0
    ).fit(X, y, sample_domain=sd)
    assert isinstance(jda.estimator_, LogisticRegression)
    assert set(jda.pseudo_labels_) <= {0, 1, 2}


def test_sparse_input_with_a_linear_kernel_matches_dense():
    X, y, sd, _ = _class_shift()
    X = np.abs(X) * (np.abs(X) > 1)
    jda = JointDistributionAdaptation(3, kernel="linear", n_iter=3, random_state=0)
    dense = jda.fit_transform(X, y, sample_domain=sd)
    assert_allclose(
        jda.fit_transform(sp.csr_matrix(X), y, sample_domain=sd), dense, atol=1e-8
    )


def test_verbose_reports_each_round(caplog):
    X, y, sd, _ = _class_shift()
    with caplog.at_level(logging.INFO, logger="sktransfer"):
        JointDistributionAdaptation(3, n_iter=2, verbose=1, random_state=0).fit(
            X, y, sample_domain=sd
        )
    rounds = [r.getMessage() for r in caplog.records if "round" in r.getMessage()]
    assert rounds
    assert "pseudo-labels changed" in rounds[0]


def test_deterministic_and_picklable():
    X, y, sd, _ = _class_shift()
    jda = JointDistributionAdaptation(3, n_iter=3, random_state=0)
    first = jda.fit_transform(X, y, sample_domain=sd)
    assert_array_equal(jda.fit_transform(X, y, sample_domain=sd), first)
    restored = pickle.loads(pickle.dumps(jda))
    assert_allclose(restored.transform(X), jda.transform(X), atol=1e-12)


def test_in_a_pipeline_a_grid_search_and_a_guard():
    X, y, sd, y_target = _class_shift(n_labeled=40)
    pipe = make_transfer_pipeline(
        StandardScaler(),
        JointDistributionAdaptation(3, n_iter=2, random_state=0),
        LogisticRegression(),
    )
    grid = {"jointdistributionadaptation__balance": [0.0, 0.5, 1.0]}
    search = GridSearchCV(pipe, grid, cv=TargetShuffleSplit(n_splits=2, random_state=0))
    search.fit(X, y, groups=sd, sample_domain=sd)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    guard = NegativeTransferGuard(search.best_estimator_, cv=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegativeTransferWarning)
        guard.fit(X, y, sample_domain=sd)
    assert np.isfinite(guard.cv_results_["mean_score"]).all()


@pytest.mark.parametrize(
    ("y_kind", "match"),
    [("continuous", "continuous"), ("one class", "one class")],
)
def test_label_errors(y_kind, match):
    X, y, sd, _ = _class_shift()
    y = y.astype(float)
    if y_kind == "continuous":
        y[sd >= 0] += 0.5
    else:
        y[sd >= 0] = 1
    with pytest.raises(ValueError, match=match):
        JointDistributionAdaptation(3).fit(X, y, sample_domain=sd)


def test_parameter_errors():
    X, y, sd, _ = _class_shift()
    for bad in (
        {"balance": 1.5},
        {"n_iter": -1},
        {"scaling": "unit"},
        {"estimator": StandardScaler()},
    ):
        with pytest.raises(InvalidParameterError):
            JointDistributionAdaptation(3, **bad).fit(X, y, sample_domain=sd)
    # A regressor as the labeler predicts values that are not classes.
    with pytest.raises(ValueError, match="not classes"):
        JointDistributionAdaptation(3, estimator=LinearRegression()).fit(
            X, y, sample_domain=sd
        )
