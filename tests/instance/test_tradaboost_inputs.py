"""The TrAdaBoost family on bad and extreme inputs, in sklearn wrappers, verbose.

Each test here failed on the code before issue 14 (an internal error, a NaN,
a numpy message or a silently wrong result), except the routing tests, which
pin behaviour that already held.
"""

import logging

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from sktransfer import (
    TrAdaBoostClassifier,
    TrAdaBoostRegressor,
    TwoStageTrAdaBoostRegressor,
)

# The clipping warning is asserted in the tests about it; here it is incidental
# (a dozen labeled target rows).
pytestmark = pytest.mark.filterwarnings("ignore:Target error clipped:UserWarning")

SMALL = {
    TrAdaBoostClassifier: {"n_estimators": 4},
    TrAdaBoostRegressor: {"n_estimators": 4},
    TwoStageTrAdaBoostRegressor: {"n_estimators": 3, "n_steps": 3, "cv": 2},
}
ALL = list(SMALL)
REGRESSORS = [TrAdaBoostRegressor, TwoStageTrAdaBoostRegressor]


def _small(cls, **params):
    return cls(**{**SMALL[cls], "random_state": 0, **params})


@pytest.fixture
def rows(shortcut_domains):
    """Factory: ``X, y, sample_domain`` for the estimator's task, 12 labeled targets."""
    X, y_class, sample_domain, _, _ = shortcut_domains(0, n=40, n_labeled=12, n_noise=0)

    def build(estimator):
        if estimator is TrAdaBoostClassifier:
            return X, y_class, sample_domain
        y = X[:, 0] + np.where(sample_domain < 0, X[:, 1], 0.0)
        return X, np.where(y_class == -1, np.nan, y), sample_domain

    return build


# -- a huge learning_rate: exp overflow -----------------------------------------------


@pytest.mark.parametrize(
    "learning_rate", [1e6, 1e300, np.finfo(np.float64).max, 10**400]
)
@pytest.mark.parametrize(
    ("estimator", "params"),
    [
        (TrAdaBoostClassifier, {"hypothesis": "label"}),
        (TrAdaBoostClassifier, {"hypothesis": "proba"}),
        (TrAdaBoostClassifier, {"correct_weight_drift": True}),
        (TrAdaBoostRegressor, {}),
        (TwoStageTrAdaBoostRegressor, {}),
    ],
)
def test_huge_learning_rate_keeps_weights_and_predictions_finite(
    rows, estimator, params, learning_rate
):
    X, y, sample_domain = rows(estimator)
    model = _small(estimator, learning_rate=learning_rate, **params)
    model.fit(X, y, sample_domain=sample_domain)
    used = ~np.isnan(y) if estimator in REGRESSORS else y != -1
    assert np.isfinite(model.sample_weight_).all()
    assert_allclose(model.sample_weight_[used].mean(), 1.0)
    assert np.isfinite(model.estimator_weights_).all()
    assert (model.estimator_weights_ > 0).all()
    predicted = model.predict(X)
    if estimator is TrAdaBoostClassifier:
        proba = model.predict_proba(X)
        assert np.isfinite(proba).all()
        assert_allclose(proba.sum(axis=1), 1.0)
        assert set(predicted) <= {0, 1}
    else:
        # A weighted median of the rounds' predictions, each within the labels.
        assert np.isfinite(predicted).all()
        assert predicted.min() >= np.nanmin(y) - 1
        assert predicted.max() <= np.nanmax(y) + 1


def test_huge_learning_rates_reach_the_same_limit_with_label_hypotheses(rows):
    # With 0/1 losses, a round moves all weight onto the rows it got wrong
    # once the learning rate is large; the vote weights scale alike, so every
    # such learning rate gives the same model.
    X, y, sample_domain = rows(TrAdaBoostClassifier)
    fits = [
        _small(TrAdaBoostClassifier, learning_rate=rate).fit(
            X, y, sample_domain=sample_domain
        )
        for rate in (1e6, 1e300)
    ]
    assert_array_equal(fits[0].sample_weight_, fits[1].sample_weight_)
    assert_allclose(
        fits[0].estimator_weights_ / 1e6, fits[1].estimator_weights_ / 1e300
    )
    assert_array_equal(fits[0].predict(X), fits[1].predict(X))


# -- wrong lengths, wrong kinds ----------------------------------------------------


@pytest.mark.parametrize("estimator", ALL)
def test_wrong_length_y_or_sample_weight_is_named(rows, estimator):
    X, y, sample_domain = rows(estimator)
    with pytest.raises(ValueError, match="X has 80 rows but y has 79 labels"):
        _small(estimator).fit(X, y[:-1], sample_domain=sample_domain)
    with pytest.raises(ValueError, match="sample_weight has 5 entries but X has 80"):
        _small(estimator).fit(X, y, sample_domain=sample_domain, sample_weight=[1] * 5)


@pytest.mark.parametrize(
    ("estimator", "base", "advice"),
    [
        (TrAdaBoostClassifier, LinearRegression(), "use TrAdaBoostRegressor"),
        (TrAdaBoostClassifier, DecisionTreeRegressor(), "use TrAdaBoostRegressor"),
        (TrAdaBoostRegressor, LogisticRegression(), "use TrAdaBoostClassifier"),
        (TwoStageTrAdaBoostRegressor, LogisticRegression(), "TrAdaBoostClassifier"),
    ],
)
def test_base_estimator_of_the_other_kind_is_refused(rows, estimator, base, advice):
    # Before: an IndexError (a regressor's values as class indices), or a
    # classifier fitted on integer-valued regression targets without a word.
    X, y, sample_domain = rows(estimator)
    if estimator in REGRESSORS:
        y = np.round(y)
    kind = "regressor" if estimator is TrAdaBoostClassifier else "classifier"
    with pytest.raises(ValueError, match=f"{type(base).__name__}, a {kind}.*{advice}"):
        _small(estimator, estimator=base).fit(X, y, sample_domain=sample_domain)


class ThresholdScorer(BaseEstimator):
    """An untyped estimator whose ``predict`` returns scores, not labels."""

    def fit(self, X, y, sample_weight=None):
        return self

    def predict(self, X):
        return X[:, 0] * 0.37


def test_base_estimator_predicting_non_classes_is_refused(rows):
    X, y, sample_domain = rows(TrAdaBoostClassifier)
    with pytest.raises(ValueError, match="predicted .* not a class of y"):
        _small(TrAdaBoostClassifier, estimator=ThresholdScorer()).fit(
            X, y, sample_domain=sample_domain
        )


def test_nan_labels_for_the_classifier_get_the_marker_advice(rows):
    X, y, sample_domain = rows(TrAdaBoostClassifier)
    y = np.where(y == -1, np.nan, y)
    with pytest.raises(ValueError, match="NaN values. Mark unlabeled rows with -1"):
        _small(TrAdaBoostClassifier).fit(X, y, sample_domain=sample_domain)


# -- weights that leave nothing to boost on -----------------------------------------


@pytest.mark.parametrize("estimator", ALL)
def test_zero_weight_on_every_labeled_target_row_is_refused(rows, estimator):
    # Before: 0 / 0 in the target error, then "sample_weight contains NaN".
    X, y, sample_domain = rows(estimator)
    weights = np.where(sample_domain < 0, 0.0, 1.0)
    with pytest.raises(ValueError, match="gives every one of them weight 0"):
        _small(estimator).fit(X, y, sample_domain=sample_domain, sample_weight=weights)


@pytest.mark.parametrize("estimator", [TrAdaBoostClassifier, TrAdaBoostRegressor])
def test_initial_target_share_without_source_weight_is_refused(rows, estimator):
    X, y, sample_domain = rows(estimator)
    weights = np.where(sample_domain < 0, 1.0, 0.0)
    model = _small(estimator, initial_target_share=0.5)
    with pytest.raises(ValueError, match="initial_target_share=0.5 cannot be met"):
        model.fit(X, y, sample_domain=sample_domain, sample_weight=weights)
    # Without the share, a weightless source is boosting on the target alone.
    model.set_params(initial_target_share=None)
    model.fit(X, y, sample_domain=sample_domain, sample_weight=weights)
    assert_array_equal(model.sample_weight_[sample_domain >= 0], 0)


# -- the two-stage cross-validation -------------------------------------------------


@pytest.mark.parametrize(
    ("cv", "match"),
    [
        (KFold(13), "cannot split the 12 labeled target rows: Cannot have number"),
        ([(np.arange(6), np.arange(6, 20))], "not indices of the 12 labeled target"),
        ([(np.array([], dtype=int), np.arange(12))], "no training target row"),
    ],
)
def test_two_stage_cv_that_cannot_split_the_target_is_explained(rows, cv, match):
    # Before: sklearn's message without the context, an IndexError, and NaN
    # weights from a fold without training target rows.
    X, y, sample_domain = rows(TwoStageTrAdaBoostRegressor)
    with pytest.raises(ValueError, match=match):
        _small(TwoStageTrAdaBoostRegressor, cv=cv).fit(
            X, y, sample_domain=sample_domain
        )


# -- score and grid search on data with unlabeled rows --------------------------------


@pytest.mark.parametrize("estimator", ALL)
def test_score_leaves_out_unlabeled_rows(rows, estimator):
    X, y, sample_domain = rows(estimator)
    model = _small(estimator).fit(X, y, sample_domain=sample_domain)
    labeled = ~np.isnan(y) if estimator in REGRESSORS else y != -1
    expected = super(type(model), model).score(X[labeled], y[labeled])
    assert model.score(X, y) == pytest.approx(expected)
    weights = np.linspace(0.5, 2, y.shape[0])
    expected = super(type(model), model).score(
        X[labeled], y[labeled], sample_weight=weights[labeled]
    )
    assert model.score(X, y, sample_weight=weights) == pytest.approx(expected)
    with pytest.raises(ValueError, match="score needs labeled rows"):
        model.score(X[~labeled], y[~labeled])


def test_score_on_rows_of_one_class_and_unlabeled_rows(rows):
    # A test fold may hold one real class besides -1: that is scoring, not a
    # collision of a real class with the marker (which fit refuses).
    X, y, sample_domain = rows(TrAdaBoostClassifier)
    model = _small(TrAdaBoostClassifier).fit(X, y, sample_domain=sample_domain)
    fold = np.flatnonzero((y == 1) | (y == -1))
    expected = (model.predict(X[y == 1]) == 1).mean()
    assert model.score(X[fold], y[fold]) == pytest.approx(expected)


def test_grid_search_scores_regressors_on_labeled_rows(rows):
    # Before: R^2 of NaN targets failed in every fold; every score was NaN.
    X, y, sample_domain = rows(TrAdaBoostRegressor)
    search = GridSearchCV(
        _small(TrAdaBoostRegressor),
        {"learning_rate": [0.5, 1.0]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, y, sample_domain=sample_domain)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


# -- metadata routing ----------------------------------------------------------------


@pytest.mark.parametrize("estimator", ALL)
def test_sample_domain_routed_through_pipeline_and_grid_search(rows, estimator):
    X, y, sample_domain = rows(estimator)
    direct = _small(estimator).fit(
        StandardScaler().fit_transform(X), y, sample_domain=sample_domain
    )
    with config_context(enable_metadata_routing=True):
        pipe = make_pipeline(StandardScaler(), _small(estimator))
        pipe.fit(X, y, sample_domain=sample_domain)
        search = GridSearchCV(
            _small(estimator),
            {"n_estimators": [2, 3]},
            cv=KFold(2, shuffle=True, random_state=0),
        ).fit(X, y, sample_domain=sample_domain)
    assert_allclose(pipe[-1].sample_weight_, direct.sample_weight_)
    # The refit on every row got the domains: labeled target rows count as
    # target (an inferred domain would take them for source rows).
    best = search.best_estimator_
    refit = _small(estimator, **search.best_params_).fit(
        X, y, sample_domain=sample_domain
    )
    assert_array_equal(best.sample_weight_, refit.sample_weight_)


@pytest.mark.parametrize("estimator", ALL)
def test_sample_weight_with_routing_follows_sklearn_consumer_rules(rows, estimator):
    # sample_weight is consumed here, not routed to the base estimator: with
    # routing on it must be requested, as for any sklearn consumer.
    X, y, sample_domain = rows(estimator)
    weights = np.linspace(0.5, 2, y.shape[0])
    identity = FunctionTransformer()
    with config_context(enable_metadata_routing=True):
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            make_pipeline(identity, _small(estimator)).fit(
                X, y, sample_domain=sample_domain, sample_weight=weights
            )
        requested = _small(estimator).set_fit_request(sample_weight=True)
        pipe = make_pipeline(clone(identity), requested)
        pipe.fit(X, y, sample_domain=sample_domain, sample_weight=weights)
    direct = _small(estimator).fit(
        X, y, sample_domain=sample_domain, sample_weight=weights
    )
    assert_array_equal(pipe[-1].sample_weight_, direct.sample_weight_)


# -- seeds and the resolved base estimator --------------------------------------


def test_nested_random_states_are_seeded_each_round(rows):
    # Before: only a top-level random_state was seeded; a pipeline's tree drew
    # its features from the global RNG, so two fits with one seed differed.
    X, y, sample_domain = rows(TrAdaBoostClassifier)
    X = np.c_[X, np.random.RandomState(1).normal(size=(X.shape[0], 6))]
    base = make_pipeline(StandardScaler(), DecisionTreeClassifier(max_features=1))
    fits = [
        TrAdaBoostClassifier(base, n_estimators=8, random_state=0).fit(
            X, y, sample_domain=sample_domain
        )
        for _ in range(2)
    ]
    assert_array_equal(fits[0].sample_weight_, fits[1].sample_weight_)
    seeds = {fit[-1].random_state for fit in fits[0].estimators_}
    assert None not in seeds
    assert len(seeds) == 8


@pytest.mark.parametrize(
    ("estimator", "default"),
    [
        (TrAdaBoostClassifier, DecisionTreeClassifier(max_depth=1)),
        (TrAdaBoostRegressor, DecisionTreeRegressor(max_depth=3)),
        (TwoStageTrAdaBoostRegressor, DecisionTreeRegressor(max_depth=3)),
    ],
)
def test_estimator_is_resolved_once(rows, estimator, default):
    X, y, sample_domain = rows(estimator)
    model = _small(estimator).fit(X, y, sample_domain=sample_domain)
    assert type(model.estimator_) is type(default)
    assert model.estimator_.get_params() == default.get_params()
    assert not hasattr(model.estimator_, "tree_")  # the template, never fitted
    assert model.estimator is None


# -- verbose ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimator", "expected"),
    [
        (TrAdaBoostClassifier, ["TrAdaBoostClassifier round 4/4: target error"]),
        (TrAdaBoostRegressor, ["TrAdaBoostRegressor round 4/4: target error"]),
        (
            TwoStageTrAdaBoostRegressor,
            [
                "stage one: target share",
                "stage two: 3 steps x 2 folds",
                "step 3/3: target share 1.0000, cross-validated MSE",
                "Chosen step",
                "refit round 3/3",
            ],
        ),
    ],
)
def test_verbose_prints_progress_to_stderr(rows, capsys, estimator, expected):
    # report_progress prints when logging shows no INFO for sktransfer, as in
    # a fresh session (pytest leaves the root logger at WARNING); with logging
    # configured it logs instead (test_verbose_logs_rounds_and_steps).
    assert not logging.getLogger("sktransfer.instance").isEnabledFor(logging.INFO)
    X, y, sample_domain = rows(estimator)
    _small(estimator, verbose=1).fit(X, y, sample_domain=sample_domain)
    err = capsys.readouterr().err
    for message in expected:
        assert message in err
    _small(estimator).fit(X, y, sample_domain=sample_domain)
    assert capsys.readouterr().err == ""
