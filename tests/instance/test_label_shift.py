"""Label shift: target priors recovered on data resampled to known priors, the
adjustment, the frozen-model path, the errors, the bootstrap interval."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from sktransfer import LabelShiftAdapter, make_transfer_pipeline, stack_domains
from sktransfer.instance._label_shift_solvers import (
    adjust_posteriors,
    bbse_priors,
    condition_number,
    confusion_matrix_joint,
    em_priors,
)
from sktransfer.model_selection import NegativeTransferGuard

_TWO_MEANS = (-1.5, 1.5)
_THREE_MEANS = (-2.5, 0.0, 2.5)
# Over 20 seeds the spread of the estimated prior was 1.3 to 1.6 times the
# binomial standard error sqrt(p (1 - p) / n_target) (the classes overlap, and
# the source side is estimated too); the tolerance is 4 such spreads.
_SPREAD_FACTOR = 1.6


def _tolerance(priors, n_target):
    priors = np.asarray(priors)
    return 4 * _SPREAD_FACTOR * np.sqrt(priors * (1 - priors) / n_target)


def _label_shift_data(
    target_priors, *, n_source=2000, n_target=2000, seed=0, means=_TWO_MEANS
):
    """Unit-variance 1-d Gaussians per class; balanced source, target drawn
    with ``target_priors``: p(x | y) is shared, only the priors differ."""
    rng = np.random.RandomState(seed)
    means = np.asarray(means)
    n_classes = means.shape[0]
    y_source = rng.choice(n_classes, n_source)
    y_target = rng.choice(n_classes, n_target, p=target_priors)
    X_source = rng.normal(means[y_source], 1.0)[:, None]
    X_target = rng.normal(means[y_target], 1.0)[:, None]
    return X_source, y_source, X_target, y_target


def _stacked(target_priors, **kwargs):
    X_source, y_source, X_target, y_target = _label_shift_data(target_priors, **kwargs)
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, None)
    )
    return X, y, sample_domain, X_source, y_source, X_target, y_target


# -- priors recovered ----------------------------------------------------------


@pytest.mark.parametrize("method", ["em", "bbse"])
@pytest.mark.parametrize("positive", [0.1, 0.5, 0.8])
def test_priors_recovered_on_data_resampled_to_known_priors(method, positive):
    n_target = 4000
    truth = np.array([1 - positive, positive])
    X, y, sd, *_ = _stacked(truth, n_source=4000, n_target=n_target, seed=1)
    model = LabelShiftAdapter(method=method, n_bootstrap=0).fit(X, y, sample_domain=sd)
    assert np.all(np.abs(model.target_priors_ - truth) <= _tolerance(truth, n_target))
    assert_allclose(model.target_priors_.sum(), 1.0)
    assert_allclose(model.class_weights_, model.target_priors_ / model.source_priors_)
    # The source priors are the source rows' class shares.
    assert_allclose(model.source_priors_, np.bincount(y[sd >= 0]) / (sd >= 0).sum())


@pytest.mark.parametrize("method", ["em", "bbse"])
def test_priors_recovered_with_three_classes(method):
    truth = np.array([0.6, 0.3, 0.1])
    n_target = 4000
    X, y, sd, *_ = _stacked(
        truth, n_source=4000, n_target=n_target, seed=2, means=_THREE_MEANS
    )
    model = LabelShiftAdapter(method=method, n_bootstrap=0).fit(X, y, sample_domain=sd)
    assert_array_equal(model.classes_, [0, 1, 2])
    assert np.all(np.abs(model.target_priors_ - truth) <= _tolerance(truth, n_target))
    assert model.predict_proba(X[sd < 0]).shape == (n_target, 3)


def test_em_reaches_its_fixed_point():
    # Saerens et al.'s stationarity condition: the priors equal the mean of
    # the posteriors adjusted to them.
    X, y, sd, *_ = _stacked([0.7, 0.3], seed=3)
    model = LabelShiftAdapter(n_bootstrap=0, tol=1e-12).fit(X, y, sample_domain=sd)
    adjusted = model.predict_proba(X[sd < 0])
    assert_allclose(adjusted.mean(axis=0), model.target_priors_, atol=1e-9)
    assert model.n_iter_ > 1


# -- the adjustment ------------------------------------------------------------


@pytest.mark.parametrize("method", ["em", "bbse"])
@pytest.mark.parametrize("positive", [0.1, 0.8])
def test_adjusted_model_has_lower_target_log_loss(method, positive):
    X, y, sd, Xs, ys, Xt, yt = _stacked([1 - positive, positive], seed=4)
    model = LabelShiftAdapter(method=method, n_bootstrap=0).fit(X, y, sample_domain=sd)
    unadjusted = LogisticRegression().fit(Xs, ys)
    assert_allclose(model.estimator_.coef_, unadjusted.coef_)
    adjusted_loss = log_loss(yt, model.predict_proba(Xt))
    unadjusted_loss = log_loss(yt, unadjusted.predict_proba(Xt))
    assert adjusted_loss < unadjusted_loss - 0.01
    # predict is the argmax of the adjusted probabilities, and moves towards
    # the majority class of the target.
    assert_array_equal(model.predict(Xt), np.argmax(model.predict_proba(Xt), axis=1))
    majority = int(positive > 0.5)
    assert (model.predict(Xt) == majority).mean() > (
        unadjusted.predict(Xt) == majority
    ).mean()
    assert_allclose(model.predict_log_proba(Xt), np.log(model.predict_proba(Xt)))


@pytest.mark.parametrize("method", ["em", "bbse"])
def test_identical_priors_leave_the_probabilities_unchanged(method):
    X, y, sd, Xs, ys, Xt, _ = _stacked([0.5, 0.5], n_target=4000, seed=5)
    model = LabelShiftAdapter(method=method, n_bootstrap=0).fit(X, y, sample_domain=sd)
    assert_allclose(model.class_weights_, 1.0, atol=0.08)
    unadjusted = LogisticRegression().fit(Xs, ys).predict_proba(Xt)
    assert np.abs(model.predict_proba(Xt) - unadjusted).max() < 0.03


def test_without_target_rows_the_adapter_is_the_classifier():
    Xs, ys, _, _ = _label_shift_data([0.5, 0.5], n_source=300)
    model = LabelShiftAdapter(n_bootstrap=50).fit(Xs, ys)
    assert_allclose(model.class_weights_, 1.0)
    assert model.target_priors_interval_ is None
    assert model.n_iter_ == 0
    reference = LogisticRegression().fit(Xs, ys)
    assert_allclose(model.predict_proba(Xs), reference.predict_proba(Xs))


def test_adjust_posteriors_closed_form():
    proba = np.array([[0.5, 0.5], [0.2, 0.8], [1.0, 0.0]])
    adjusted = adjust_posteriors(proba, np.array([3.0, 1.0]))
    assert_allclose(adjusted, [[0.75, 0.25], [0.6 / 1.4, 0.8 / 1.4], [1.0, 0.0]])
    # All mass on a class of weight 0: the row keeps its probabilities.
    assert_allclose(adjust_posteriors(proba[2:], np.array([0.0, 1.0])), proba[2:])


# -- solvers against closed forms ----------------------------------------------


def test_bbse_solver_closed_form():
    joint = np.array([[0.4, 0.1], [0.1, 0.4]])  # source priors (0.5, 0.5)
    weights = np.array([1.6, 0.4])
    estimate = bbse_priors(joint, joint @ weights)
    assert_allclose(estimate.priors, [0.8, 0.2])
    assert not estimate.clipped.any()
    # A predicted-label distribution outside what C can produce: w_1 < 0.
    estimate = bbse_priors(joint, np.array([0.9, 0.1]))
    assert_array_equal(estimate.clipped, [False, True])
    assert_allclose(estimate.priors, [1.0, 0.0])


def test_confusion_matrix_and_condition_number():
    joint = confusion_matrix_joint(
        np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2, np.array([1.0, 1, 1, 1])
    )
    assert_allclose(joint, [[0.25, 0.25], [0.0, 0.5]])
    assert condition_number(np.array([[0.5, 0.5], [0.0, 0.0]])) == np.inf
    assert condition_number(np.eye(2) / 2) == pytest.approx(1.0)


def test_em_solver_with_exact_posteriors():
    # Posteriors that are exactly the source's Bayes posteriors of two known
    # Gaussians, on a large target sample: EM finds the target priors.
    rng = np.random.RandomState(6)
    y = rng.rand(20000) < 0.25
    x = rng.normal(np.where(y, 1.5, -1.5), 1.0)
    positive = 1 / (1 + np.exp(-3 * x))  # log-odds 3x under balanced priors
    proba = np.c_[1 - positive, positive]
    estimate = em_priors(
        proba,
        np.array([0.5, 0.5]),
        weights=np.ones(x.shape[0]),
        max_iter=1000,
        tol=1e-10,
    )
    assert estimate.converged
    assert estimate.priors[1] == pytest.approx(0.25, abs=_tolerance(0.25, 20000))


# -- the frozen model ----------------------------------------------------------


def test_frozen_model_equals_the_model_fitted_inside():
    X, y, sd, Xs, ys, Xt, _ = _stacked([0.8, 0.2], seed=7)
    inside = LabelShiftAdapter(n_bootstrap=0).fit(X, y, sample_domain=sd)
    frozen_model = FrozenEstimator(LogisticRegression().fit(Xs, ys))
    frozen = LabelShiftAdapter(frozen_model, n_bootstrap=0).fit(X, y, sample_domain=sd)
    assert frozen.estimator_ is frozen_model
    assert_allclose(frozen.target_priors_, inside.target_priors_)
    assert_allclose(frozen.predict_proba(Xt), inside.predict_proba(Xt))
    # Without source rows: the source priors given, every row a target row.
    targets_only = LabelShiftAdapter(
        frozen_model, source_priors=inside.source_priors_, n_bootstrap=0
    ).fit(Xt)
    assert_allclose(targets_only.target_priors_, inside.target_priors_)


def test_frozen_model_with_held_out_source_rows_for_bbse():
    truth = np.array([0.3, 0.7])
    Xs, ys, Xt, _ = _label_shift_data(truth, n_source=4000, n_target=4000, seed=8)
    model = FrozenEstimator(LogisticRegression().fit(Xs[:2000], ys[:2000]))
    X, y, sd = stack_domains(source=(Xs[2000:], ys[2000:]), target=(Xt, None))
    adapter = LabelShiftAdapter(model, method="bbse", n_bootstrap=0)
    adapter.fit(X, y, sample_domain=sd)
    assert np.all(np.abs(adapter.target_priors_ - truth) <= _tolerance(truth, 4000))
    assert adapter.confusion_matrix_.shape == (2, 2)
    assert_allclose(adapter.confusion_matrix_.sum(), 1.0)
    with pytest.raises(ValueError, match="held-out source rows"):
        LabelShiftAdapter(model, method="bbse").fit(Xt)


def test_frozen_model_without_source_priors_is_refused():
    Xs, ys, Xt, _ = _label_shift_data([0.5, 0.5], n_source=200, n_target=100)
    model = FrozenEstimator(LogisticRegression().fit(Xs, ys))
    with pytest.raises(ValueError, match="source_priors"):
        LabelShiftAdapter(model).fit(Xt)
    with pytest.raises(ValueError, match="one prior per class"):
        LabelShiftAdapter(model, source_priors=[1.0]).fit(Xt)
    with pytest.raises(ValueError, match="positive"):
        LabelShiftAdapter(model, source_priors=[1.0, 0.0]).fit(Xt)


# -- errors and warnings -------------------------------------------------------


def test_singular_confusion_matrix_is_a_clear_error():
    X, y, sd, *_ = _stacked([0.3, 0.7], n_source=200, n_target=100)
    # Always predicting class 0: the row of C for class 1 is 0.
    dummy = DummyClassifier(strategy="constant", constant=0)
    adapter = LabelShiftAdapter(dummy, method="bbse")
    with pytest.raises(ValueError, match="condition number inf.*method='em'"):
        adapter.fit(X, y, sample_domain=sd)


@pytest.mark.parametrize(
    "estimator",
    [SVC(), LinearSVC(), FrozenEstimator(SVC().fit([[0], [1]], [0, 1]))],
    ids=["SVC", "LinearSVC", "frozen SVC"],
)
def test_non_probabilistic_classifier_is_a_type_error(estimator):
    X, y, sd, *_ = _stacked([0.3, 0.7], n_source=100, n_target=50)
    with pytest.raises(TypeError, match="has no predict_proba"):
        LabelShiftAdapter(estimator).fit(X, y, sample_domain=sd)


def test_negative_bbse_weights_are_clipped_with_a_warning():
    Xs, ys, _, _ = _label_shift_data([0.5, 0.5], n_source=1000)
    Xt = np.full((50, 1), -6.0)  # every target row predicted class 0
    X, y, sd = stack_domains(source=(Xs, ys), target=(Xt, None))
    adapter = LabelShiftAdapter(method="bbse", n_bootstrap=0)
    with pytest.warns(UserWarning, match=r"negative weights for the classes \[1\]"):
        adapter.fit(X, y, sample_domain=sd)
    assert_allclose(adapter.target_priors_, [1.0, 0.0])
    assert_allclose(adapter.predict_proba(Xs)[:, 1], 0.0)


def test_em_warns_when_a_class_prior_vanishes():
    Xs, ys, _, _ = _label_shift_data([0.5, 0.5], n_source=1000)
    Xt = np.full((50, 1), -6.0)  # every target row deep in class 0
    X, y, sd = stack_domains(source=(Xs, ys), target=(Xt, None))
    with pytest.warns(
        UserWarning, match=r"EM put the target priors of the classes \[1\]"
    ):
        adapter = LabelShiftAdapter(n_bootstrap=0).fit(X, y, sample_domain=sd)
    assert adapter.target_priors_[1] < 0.01
    # A present class does not warn.
    X, y, sd, *_ = _stacked([0.9, 0.1], n_source=300, n_target=300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LabelShiftAdapter(n_bootstrap=0).fit(X, y, sample_domain=sd)


def test_em_that_stops_short_warns():
    X, y, sd, *_ = _stacked([0.9, 0.1], n_source=300, n_target=300)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        model = LabelShiftAdapter(max_iter=2, n_bootstrap=0).fit(X, y, sample_domain=sd)
    assert model.n_iter_ == 2


def test_labels_are_required_without_a_frozen_model():
    X, *_ = _stacked([0.5, 0.5], n_source=50, n_target=50)
    with pytest.raises(ValueError, match="requires y"):
        LabelShiftAdapter().fit(X)
    with pytest.raises(ValueError, match="no labeled source rows|there are none"):
        LabelShiftAdapter().fit(X, np.full(X.shape[0], -1), np.full(X.shape[0], -2))


# -- bootstrap interval --------------------------------------------------------


@pytest.mark.parametrize("method", ["em", "bbse"])
def test_bootstrap_interval_contains_the_truth_and_is_reproducible(method):
    truth = np.array([0.75, 0.25])
    X, y, sd, *_ = _stacked(truth, n_source=1500, n_target=1500, seed=9)
    model = LabelShiftAdapter(method=method, n_bootstrap=100, random_state=0)
    model.fit(X, y, sample_domain=sd)
    lower, upper = model.target_priors_interval_
    assert np.all((lower <= truth) & (truth <= upper))
    assert np.all((lower <= model.target_priors_) & (model.target_priors_ <= upper))
    assert np.all(upper - lower < 0.1)
    again = clone(model).fit(X, y, sample_domain=sd)
    assert_array_equal(again.target_priors_interval_, model.target_priors_interval_)
    other = clone(model).set_params(random_state=1).fit(X, y, sample_domain=sd)
    assert not np.array_equal(
        other.target_priors_interval_, model.target_priors_interval_
    )
    narrower = clone(model).set_params(confidence=0.5).fit(X, y, sample_domain=sd)
    assert np.all(np.diff(narrower.target_priors_interval_, axis=0) < upper - lower)
    skipped = clone(model).set_params(n_bootstrap=0).fit(X, y, sample_domain=sd)
    assert skipped.target_priors_interval_ is None


# -- sample weights and sklearn composition ------------------------------------


def test_target_weights_equal_repeated_target_rows():
    X, y, sd, *_ = _stacked([0.8, 0.2], n_source=300, n_target=200, seed=10)
    weights = np.where(sd < 0, 2.0, 1.0)
    weighted = LabelShiftAdapter(n_bootstrap=0).fit(X, y, sd, sample_weight=weights)
    target = sd < 0
    repeated = LabelShiftAdapter(n_bootstrap=0).fit(
        np.vstack([X, X[target]]),
        np.r_[y, y[target]],
        np.r_[sd, sd[target]],
    )
    assert_allclose(weighted.target_priors_, repeated.target_priors_, atol=1e-7)


def test_pipeline_grid_search_clone_and_pickle():
    X, y, sd, _, _, Xt, yt = _stacked([0.8, 0.2], n_source=400, n_target=300, seed=11)
    pipe = make_transfer_pipeline(StandardScaler(), LabelShiftAdapter(n_bootstrap=0))
    pipe.fit(X, y, labelshiftadapter__sample_domain=sd)
    adapter = pipe[-1]
    assert adapter.target_priors_[1] < 0.35
    search = GridSearchCV(
        LabelShiftAdapter(n_bootstrap=0), {"method": ["em", "bbse"]}, cv=3
    )
    search.fit(X, y, sample_domain=sd)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.target_priors_[1] < 0.35
    # score: accuracy on the labeled rows only.
    fitted = LabelShiftAdapter(n_bootstrap=0).fit(X, y, sample_domain=sd)
    labeled = y != -1
    assert fitted.score(X, y) == pytest.approx(
        (fitted.predict(X[labeled]) == y[labeled]).mean()
    )
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(restored.predict_proba(Xt), fitted.predict_proba(Xt))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert clone(fitted).get_params() == fitted.get_params()


def test_in_the_negative_transfer_guard():
    X, y, sd, _, _, Xt, yt = _stacked([0.9, 0.1], n_source=600, n_target=400, seed=5)
    target_rows = np.flatnonzero(sd < 0)
    y = y.copy()
    y[target_rows[:80]] = yt[:80]
    guard = NegativeTransferGuard(
        LabelShiftAdapter(n_bootstrap=0), cv=3, scoring="neg_log_loss", random_state=0
    )
    guard.fit(X, y, sample_domain=sd)
    assert np.isfinite(guard.cv_results_["mean_score"]).all()
    assert guard.selected_ in ("transfer", "source_only", "target_only", "pooled")
    assert guard.predict_proba(Xt).shape == (400, 2)
