"""What every parameter-transfer estimator does: both source paths, the exact
source-model end, a grid search on target folds, and the guard."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone, is_classifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV

from sktransfer import make_transfer_pipeline
from sktransfer.datasets import make_domain_shift
from sktransfer.model_selection import (
    NegativeTransferGuard,
    NegativeTransferWarning,
    TargetKFold,
    TargetStratifiedKFold,
)
from sktransfer.parameter import (
    FeatureAugmentation,
    InterpolatedTransferClassifier,
    InterpolatedTransferRegressor,
    RegularTransferLogisticRegression,
    RegularTransferRidge,
    SourceBoostingClassifier,
    SourceBoostingRegressor,
)

# (estimator with a linear source, the parameters of its source-model end,
#  the grid users search)
_FAMILY = {
    "prior-logistic": (
        RegularTransferLogisticRegression(),
        {"strength": np.inf},
        {"strength": [0.1, 10.0]},
    ),
    "prior-ridge": (
        RegularTransferRidge(),
        {"strength": np.inf},
        {"strength": [0.1, 10.0]},
    ),
    "boosting-classifier": (
        SourceBoostingClassifier(LogisticRegression(), n_estimators=10, random_state=0),
        {"n_estimators": 0},
        {"n_estimators": [0, 10], "learning_rate": [0.1, 0.5]},
    ),
    "boosting-regressor": (
        SourceBoostingRegressor(Ridge(), n_estimators=10, random_state=0),
        {"n_estimators": 0},
        {"n_estimators": [0, 10]},
    ),
    "interpolation-classifier": (
        InterpolatedTransferClassifier(LogisticRegression(), random_state=0),
        {"weights": [1.0]},
        {"cv": [3, 4]},
    ),
    "interpolation-regressor": (
        InterpolatedTransferRegressor(Ridge(), random_state=0),
        {"weights": [1.0]},
        {"cv": [3, 4]},
    ),
}


def _data(estimator, seed=0, n_labeled=40):
    task = "classification" if is_classifier(estimator) else "regression"
    X, y, _ = make_domain_shift(
        200, n_labeled + 100, 5, shift="concept", strength=0.5, noise=0.3,
        task=task, random_state=seed,
    )  # fmt: skip
    sd = np.r_[np.ones(200, int), np.full(n_labeled, -2)]
    n_train = 200 + n_labeled
    return X[:n_train], y[:n_train], sd, X[n_train:], y[n_train:]


def _output(model, X):
    if is_classifier(model):
        return model.predict_proba(X)
    return model.predict(X)


def _source_model(estimator, X, y, sd):
    source = LogisticRegression() if is_classifier(estimator) else Ridge()
    return source.fit(X[sd >= 0], y[sd >= 0])


@pytest.mark.parametrize("name", list(_FAMILY))
def test_the_source_end_is_the_source_model_both_ways(name):
    estimator, source_end, _ = _FAMILY[name]
    X, y, sd, X_test, _ = _data(estimator)
    inside = clone(estimator).set_params(**source_end).fit(X, y, sample_domain=sd)
    assert_allclose(
        _output(inside, X_test), _output(inside.source_estimator_, X_test), atol=1e-6
    )
    production = _source_model(estimator, X, y, sd)
    frozen = clone(estimator).set_params(
        source_estimator=FrozenEstimator(production), **source_end
    )
    frozen.fit(X[sd < 0], y[sd < 0])  # target rows only, sample_domain=None
    assert_allclose(_output(frozen, X_test), _output(production, X_test), atol=1e-6)


@pytest.mark.parametrize("name", list(_FAMILY))
def test_frozen_and_fitted_inside_agree_when_the_models_do(name):
    estimator, _, _ = _FAMILY[name]
    X, y, sd, X_test, _ = _data(estimator, seed=1)
    inside = clone(estimator).fit(X, y, sample_domain=sd)
    frozen = clone(estimator).set_params(
        source_estimator=FrozenEstimator(_source_model(estimator, X, y, sd))
    )
    frozen.fit(X[sd < 0], y[sd < 0])
    assert_allclose(_output(frozen, X_test), _output(inside, X_test), atol=1e-6)


@pytest.mark.parametrize("name", list(_FAMILY))
def test_grid_search_on_target_folds(name):
    estimator, _, grid = _FAMILY[name]
    X, y, sd, X_test, _ = _data(estimator, seed=2)
    splitter = TargetStratifiedKFold if is_classifier(estimator) else TargetKFold
    search = GridSearchCV(
        clone(estimator), grid, cv=splitter(3, shuffle=True, random_state=0)
    )
    search.fit(X, y, sample_domain=sd, groups=sd)
    assert set(search.best_params_) == set(grid)
    assert _output(search, X_test).shape[0] == X_test.shape[0]


@pytest.mark.parametrize("name", list(_FAMILY))
def test_the_guard_compares_with_the_baselines(name):
    estimator, _, _ = _FAMILY[name]
    X, y, sd, X_test, _ = _data(estimator, seed=3)
    guard = NegativeTransferGuard(clone(estimator), cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegativeTransferWarning)
        guard.fit(X, y, sample_domain=sd)
    assert set(guard.cv_results_["candidate"]) == {
        "transfer",
        "target_only",
        "source_only",
        "pooled",
    }
    assert np.all(np.isfinite(guard.cv_results_["mean_score"]))
    assert _output(guard, X_test).shape[0] == X_test.shape[0]


def test_feature_augmentation_in_a_pipeline_under_the_guard_and_a_search():
    X, y, sd, X_test, _ = _data(LogisticRegression(), seed=4)
    pipeline = make_transfer_pipeline(FeatureAugmentation(), LogisticRegression())
    search = GridSearchCV(
        pipeline,
        {"logisticregression__estimator__C": [0.1, 1.0]},
        cv=TargetStratifiedKFold(3, shuffle=True, random_state=0),
    )
    search.fit(X, y, sample_domain=sd, groups=sd)
    assert search.predict(X_test).shape == (100,)
    guard = NegativeTransferGuard(pipeline, cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegativeTransferWarning)
        guard.fit(X, y, sample_domain=sd)
    assert len(set(guard.cv_results_["candidate"])) == 4
