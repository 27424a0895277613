"""Out-of-fold target predictions, calibration on target folds, and the error
where sklearn's wrappers would take the -1 marker for a class."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import StandardScaler

from sktransfer import LabeledOnly, make_transfer_pipeline, stack_domains
from sktransfer._callers import check_marker_safe_caller
from sktransfer.model_selection import (
    TargetCalibratedClassifier,
    TargetKFold,
    TargetShuffleSplit,
    TargetStratifiedKFold,
    cross_val_predict_target,
)
from sktransfer.model_selection._calibration import _SigmoidCalibrator


def _pipe():
    return make_transfer_pipeline(StandardScaler(), LogisticRegression())


class _RowRecorder(ClassifierMixin, BaseEstimator):
    """Records the row ids (column 0 of X) of every fit; predicts the row id."""

    fits = []

    def fit(self, X, y, sample_domain=None):
        _RowRecorder.fits.append(np.asarray(X)[:, 0].astype(int))
        self.classes_ = np.unique(y[y != -1])
        return self

    def predict(self, X):
        return np.asarray(X)[:, 0]


class _Guarded(LabeledOnly):
    """LabeledOnly running the marker check in fit and clone, as the base
    class will."""

    def fit(self, X, y, sample_domain=None, sample_weight=None, **fit_params):
        check_marker_safe_caller(self, y)
        return super().fit(X, y, sample_domain, sample_weight, **fit_params)

    def __sklearn_clone__(self):
        check_marker_safe_caller(self)
        return super().__sklearn_clone__()


# -- cross_val_predict_target --------------------------------------------------------


def test_each_labeled_target_row_is_predicted_once_by_a_model_blind_to_it(
    shortcut_domains,
):
    X, y, sample_domain, _, _ = shortcut_domains(0, n=60, n_labeled=12, n_noise=0)
    X = np.c_[np.arange(X.shape[0]), X]
    _RowRecorder.fits = []
    predictions, rows = cross_val_predict_target(
        _RowRecorder(), X, y, sample_domain=sample_domain, cv=TargetKFold(4)
    )
    labeled_target = np.flatnonzero((sample_domain < 0) & (y != -1))
    assert_array_equal(rows, labeled_target)
    assert_array_equal(predictions, rows)  # each row predicted by its own fold
    always_train = np.flatnonzero((sample_domain >= 0) | (y == -1))
    tested = []
    for trained in _RowRecorder.fits:
        assert np.isin(always_train, trained).all()
        held_out = np.setdiff1d(labeled_target, trained)
        assert held_out.shape[0] == 3
        tested.extend(held_out)
    assert_array_equal(np.sort(tested), labeled_target)


def test_predictions_equal_fold_by_fold_fits(shortcut_domains):
    X, y, sample_domain, _, _ = shortcut_domains(1, n=150, n_labeled=30)
    proba, rows = cross_val_predict_target(
        _pipe(), X, y, sample_domain=sample_domain, cv=3, method="predict_proba"
    )
    expected = np.empty((rows.shape[0], 2))
    for train, test in TargetStratifiedKFold(3).split(
        X, y, sample_domain=sample_domain
    ):
        fitted = _pipe().fit(X[train], y[train], sample_domain=sample_domain[train])
        expected[np.searchsorted(rows, test)] = fitted.predict_proba(X[test])
    assert_allclose(proba, expected)
    parallel, _ = cross_val_predict_target(
        _pipe(),
        X,
        y,
        sample_domain=sample_domain,
        cv=3,
        method="predict_proba",
        n_jobs=2,
    )
    assert_allclose(parallel, proba)


def test_a_class_missing_from_a_fold_gets_probability_zero():
    rng = np.random.RandomState(0)
    Xs, ys = rng.normal(size=(30, 2)), np.repeat([0, 1, 2], 10)
    Xt, yt = rng.normal(size=(9, 2)), np.repeat([0, 1, 2], 3)
    X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt))
    # Unshuffled target K-fold on rows sorted by class: the first fold tests all
    # of class 0, which the target-only model of that fold never sees.
    proba, rows = cross_val_predict_target(
        LabeledOnly(LogisticRegression(), domains="target"),
        X,
        y,
        sample_domain=sample_domain,
        cv=TargetKFold(3),
        method="predict_proba",
    )
    assert proba.shape == (9, 3)
    assert_allclose(proba[:3, 0], 0.0)
    assert_allclose(proba.sum(axis=1), 1.0)


def test_cross_val_predict_target_errors(shortcut_domains):
    X, y, sample_domain, _, _ = shortcut_domains(0, n=60, n_labeled=12, n_noise=0)
    with pytest.raises(ValueError, match="exactly once"):
        cross_val_predict_target(
            _pipe(), X, y, sample_domain=sample_domain, cv=TargetShuffleSplit(3)
        )
    with pytest.raises(ValueError, match="Pass sample_domain"):
        cross_val_predict_target(_pipe(), X, y)
    with pytest.raises(ValueError, match="requires y"):
        cross_val_predict_target(_pipe(), X, None, sample_domain=sample_domain)
    with pytest.raises(ValueError, match="X has 120 rows but y has 119"):
        cross_val_predict_target(_pipe(), X, y[1:], sample_domain=sample_domain)
    with pytest.raises(TypeError, match="has no decision_function"):
        cross_val_predict_target(
            LabeledOnly(StandardScaler()),
            X,
            y,
            sample_domain=sample_domain,
            method="decision_function",
        )


# -- TargetCalibratedClassifier -------------------------------------------------------


def test_sigmoid_calibrator_recovers_a_logistic_link():
    rng = np.random.RandomState(0)
    scores = rng.normal(size=20000)
    labels = rng.uniform(size=scores.shape[0]) < 1 / (1 + np.exp(-(2 * scores - 1)))
    calibrator = _SigmoidCalibrator().fit(scores, labels)
    assert calibrator.coef_ == pytest.approx(2.0, abs=0.1)
    assert calibrator.intercept_ == pytest.approx(-1.0, abs=0.06)


def _noisy_target(seed=0, n_labeled=200):
    """Source labels clean; target labels flipped 30% of the time, so a model
    fitted on the source is overconfident on the target."""
    rng = np.random.RandomState(seed)
    Xs, Xt = rng.normal(size=(300, 2)), rng.normal(size=(600, 2))
    ys = (Xs[:, 0] > 0).astype(int)
    yt = np.where(rng.uniform(size=600) < 0.3, Xt[:, 0] <= 0, Xt[:, 0] > 0)
    yt = yt.astype(int)
    yt_train = np.full(600, -1)
    yt_train[:n_labeled] = yt[:n_labeled]
    X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt_train))
    return X, y, sample_domain, Xt[n_labeled:], yt[n_labeled:]


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_on_target_folds_fixes_overconfidence(method):
    X, y, sample_domain, X_test, y_test = _noisy_target()
    model = TargetCalibratedClassifier(_pipe(), method=method)
    model.fit(X, y, sample_domain=sample_domain)
    assert_array_equal(model.classes_, [0, 1])
    proba = model.predict_proba(X_test)
    assert proba.shape == (X_test.shape[0], 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    raw = _pipe().fit(X, y, sample_domain=sample_domain).predict_proba(X_test)
    # Far from the boundary the target's P(y = 1 | x) is 0.7; the source-fitted
    # model says over 0.9.
    far = X_test[:, 0] > 1
    assert raw[far, 1].mean() > 0.9
    assert abs(proba[far, 1].mean() - 0.7) < 0.1
    if method == "sigmoid":
        assert log_loss(y_test, proba) < log_loss(y_test, raw) - 0.05
    else:  # isotonic steps reach 0 and 1, which log loss punishes without bound
        brier = brier_score_loss(y_test, proba[:, 1])
        assert brier < brier_score_loss(y_test, raw[:, 1]) - 0.005
    assert_array_equal(model.calibration_rows_, np.arange(300, 500))


def test_calibrator_is_fitted_on_the_out_of_fold_target_scores():
    X, y, sample_domain, X_test, _ = _noisy_target(n_labeled=60)
    model = TargetCalibratedClassifier(_pipe(), cv=4)
    model.fit(X, y, sample_domain=sample_domain)
    scores, rows = cross_val_predict_target(
        _pipe(), X, y, sample_domain=sample_domain, cv=4, method="decision_function"
    )
    calibrator = _SigmoidCalibrator().fit(scores, y[rows] == 1)
    full = _pipe().fit(X, y, sample_domain=sample_domain)
    expected = calibrator.predict(full.decision_function(X_test))
    assert_allclose(model.predict_proba(X_test)[:, 1], expected, rtol=1e-6)
    assert model.response_method_ == "decision_function"


def test_without_target_rows_it_is_sklearns_calibration():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] + rng.normal(0, 1, 120) > 0).astype(int)
    ours = TargetCalibratedClassifier(LogisticRegression(), cv=3).fit(X, y)
    sklearn = CalibratedClassifierCV(
        LogisticRegression(), cv=StratifiedKFold(3), ensemble=False
    ).fit(X, y)
    assert_allclose(ours.predict_proba(X), sklearn.predict_proba(X), atol=1e-4)


def test_multiclass_calibration_gives_normalized_probabilities():
    rng = np.random.RandomState(0)
    Xs, Xt = rng.normal(size=(150, 2)), rng.normal(0.3, 1, size=(150, 2))
    ys = np.digitize(Xs[:, 0], [-0.5, 0.5])
    yt = np.where(np.arange(150) < 90, np.digitize(Xt[:, 0], [-0.5, 0.5]), -1)
    X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt))
    model = TargetCalibratedClassifier(_pipe(), cv=3)
    model.fit(X, y, sample_domain=sample_domain)
    proba = model.predict_proba(Xt)
    assert_array_equal(model.classes_, [0, 1, 2])
    assert len(model.calibrators_) == 3
    assert_allclose(proba.sum(axis=1), 1.0)
    assert model.score(Xt[:90], yt[:90]) > 0.7


def test_calibrated_classifier_pipelines_clones_and_pickles():
    X, y, sample_domain, X_test, _ = _noisy_target(n_labeled=60)
    pipe = make_transfer_pipeline(
        StandardScaler(), TargetCalibratedClassifier(LogisticRegression(), cv=3)
    )
    assert isinstance(pipe.steps[-1][1], TargetCalibratedClassifier)
    pipe.fit(X, y, sample_domain=sample_domain)
    restored = pickle.loads(pickle.dumps(pipe))
    assert_allclose(restored.predict_proba(X_test), pipe.predict_proba(X_test))
    again = clone(pipe).fit(X, y, sample_domain=sample_domain)
    assert_allclose(again.predict_proba(X_test), pipe.predict_proba(X_test))
    # score leaves the unlabeled rows out instead of counting -1 as a class
    model = pipe.steps[-1][1]
    labeled = y != -1
    assert model.score(StandardScaler().fit(X).transform(X), y) == model.score(
        StandardScaler().fit(X).transform(X)[labeled], y[labeled]
    )


def test_calibration_refuses_a_class_without_target_labels():
    X, y, sample_domain, _, _ = _noisy_target(n_labeled=60)
    y = y.copy()
    y[(sample_domain < 0) & (y == 1)] = -1
    with pytest.raises(ValueError, match=r"no row of the classes \[1\]"):
        TargetCalibratedClassifier(_pipe(), cv=3).fit(X, y, sample_domain=sample_domain)
    with pytest.raises(ValueError, match="there are none"):
        TargetCalibratedClassifier(_pipe()).fit(X, np.where(sample_domain < 0, -1, y))


# -- sklearn's wrappers around a transfer estimator ----------------------------------


def _wrapper_fits(estimator, X, y):
    return {
        "CalibratedClassifierCV": lambda: CalibratedClassifierCV(estimator).fit(X, y),
        "CalibratedClassifierCV(ensemble=False)": lambda: CalibratedClassifierCV(
            estimator, ensemble=False
        ).fit(X, y),
        "cross_val_predict": lambda: cross_val_predict(estimator, X, y),
        "cross_val_predict(n_jobs=2)": lambda: cross_val_predict(
            estimator, X, y, method="predict_proba", n_jobs=2
        ),
    }


@pytest.mark.parametrize(
    "wrapper",
    _wrapper_fits(None, None, None),
)
def test_marker_check_refuses_sklearn_wrappers_that_misuse_it(
    shortcut_domains, wrapper
):
    X, y, _, _, _ = shortcut_domains(0, n=100, n_labeled=20, n_noise=0)
    estimator = make_transfer_pipeline(StandardScaler(), _Guarded(LogisticRegression()))
    with pytest.raises(ValueError, match="cross_val_predict_target"):
        _wrapper_fits(estimator, X, y)[wrapper]()
    # Without unlabeled rows, or fitted directly, nothing is refused.
    labeled = y != -1
    _wrapper_fits(estimator, X[labeled], y[labeled])[wrapper]()
    clone(estimator).fit(X, y)


def test_target_calibrated_classifier_refuses_sklearn_wrappers(shortcut_domains):
    X, y, _, _, _ = shortcut_domains(0, n=100, n_labeled=20, n_noise=0)
    model = TargetCalibratedClassifier(_pipe())
    for method in ("predict", "predict_proba"):
        with pytest.raises(ValueError, match="TargetCalibratedClassifier is used by"):
            cross_val_predict(model, X, y, method=method, n_jobs=2)


@pytest.mark.parametrize("wrapper", _wrapper_fits(None, None, None))
def test_sklearn_wrappers_around_a_transfer_pipeline_are_refused(
    shortcut_domains, wrapper
):
    X, y, _, _, _ = shortcut_domains(0, n=100, n_labeled=20, n_noise=0)
    with pytest.raises(ValueError, match="cross_val_predict_target"):
        _wrapper_fits(_pipe(), X, y)[wrapper]()
