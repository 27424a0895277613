"""Discriminative reweighting: weights against the closed-form ratio of two
Gaussians, cross-fitting, the cap, the overlap checks, tables, searches."""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import spearmanr
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from sktransfer import DiscriminativeReweighting, make_transfer_pipeline, stack_domains
from sktransfer.instance._discriminative import _cap_at_mean_one
from sktransfer.model_selection import (
    DomainShuffleSplit,
    ImportanceWeightedScorer,
    NegativeTransferGuard,
)


def _gaussians(n_source=2000, n_target=2000, shift=(0.5, 0.5), seed=0):
    """Source N(0, I), target N(mu, I); the true ratio at the source rows,
    ``exp(mu.x - |mu|^2 / 2)``, with labels from a shared p(y|x)."""
    rng = np.random.RandomState(seed)
    mu = np.asarray(shift, dtype=float)
    X_source = rng.normal(size=(n_source, mu.shape[0]))
    X_target = rng.normal(size=(n_target, mu.shape[0])) + mu
    y_source = (X_source.sum(axis=1) + rng.normal(0, 0.5, n_source) > 0).astype(int)
    truth = np.exp(X_source @ mu - mu @ mu / 2)
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, None)
    )
    return X, y, sample_domain, truth


def _fit(X, y, sample_domain, **params):
    params.setdefault("random_state", 0)
    model = DiscriminativeReweighting(LogisticRegression(), **params)
    return model.fit(X, y, sample_domain=sample_domain)


# -- the ratio against the closed form ------------------------------------------------


@pytest.mark.parametrize("calibration", ["sigmoid", None])
def test_weights_follow_the_closed_form_ratio_of_two_gaussians(calibration):
    X, y, sample_domain, truth = _gaussians()
    model = _fit(X, y, sample_domain, calibration=calibration)
    weights = model.weights_
    assert spearmanr(weights, truth).statistic > 0.9
    truth = truth / truth.mean()
    # Relative L2 error of the mean-1 weights against the mean-1 true ratio
    # (measured 0.03 to 0.16 over seeds 0-2, both calibrations).
    error = np.linalg.norm(weights - truth) / np.linalg.norm(truth)
    assert error < 0.2
    assert_allclose(weights.mean(), 1.0)


def test_weights_are_the_ratio_formula_of_the_domain_classifier_odds():
    # A fixed "classifier" whose P(target|x) is known: the weights must be
    # (n_s / n_t) p / (1 - p), scaled to mean 1.
    class Known(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.classes_ = np.array([0, 1])
            return self

        def predict_proba(self, X):
            p = 1 / (1 + np.exp(-np.asarray(X)[:, 0]))
            return np.c_[1 - p, p]

    X, y, sample_domain, _ = _gaussians(300, 100)
    model = DiscriminativeReweighting(
        LogisticRegression(), Known(), calibration=None, random_state=0
    ).fit(X, y, sample_domain=sample_domain)
    source = sample_domain >= 0
    odds = np.exp(X[source, 0]) * 3.0
    assert_allclose(model.weights_, odds / odds.mean())
    assert_allclose(model.scale_, 1 / odds.mean())
    assert_allclose(model.predict_weights(X[source]), model.weights_)


def test_predict_weights_of_new_rows_follow_the_true_ratio():
    X, y, sample_domain, _ = _gaussians()
    model = _fit(X, y, sample_domain)
    rng = np.random.RandomState(1)
    X_new = rng.normal(size=(500, 2))
    truth = np.exp(X_new @ [0.5, 0.5] - 0.25)
    predicted = model.predict_weights(X_new)
    assert predicted.shape == (500,)
    assert spearmanr(predicted, truth).statistic > 0.95
    # Same scale as weights_: the mean over fresh source rows is near 1.
    assert abs(predicted.mean() - 1) < 0.1


# -- cross-fitting --------------------------------------------------------------------


def test_cross_fitting_scores_each_row_with_a_classifier_that_did_not_train_on_it():
    # A 1-nearest-neighbour domain classifier scores its own training rows as
    # certain: in-sample, every source row would get P(target) = 0 and the
    # domains would look perfectly separated (a ValueError). Held out, a
    # source row's nearest neighbour is a row of another fold: with equal
    # domains, a target row about half of the time.
    X, y, sample_domain, _ = _gaussians(400, 400, shift=(0.0, 0.0))
    model = DiscriminativeReweighting(
        LogisticRegression(),
        KNeighborsClassifier(n_neighbors=1),
        calibration=None,
        random_state=0,
    ).fit(X, y, sample_domain=sample_domain)
    values = np.unique(model.weights_)
    assert values.shape == (2,)
    share_high = np.mean(model.weights_ == values[1])
    assert 0.35 < share_high < 0.65
    # The refitted classifier, in-sample, sees every source row as source.
    source = sample_domain >= 0
    assert_allclose(model.predict_weights(X[source]), values[0])


def test_a_splitter_that_leaves_rows_unscored_is_refused():
    X, y, sample_domain, _ = _gaussians(100, 100)
    train, test = np.arange(150), np.arange(150, 200)
    with pytest.raises(ValueError, match="exactly one test fold"):
        _fit(X, y, sample_domain, cv=[(train, test)])
    with pytest.raises(ValueError, match="cv=5 folds need at least 5 rows"):
        _fit(*_gaussians(100, 3)[:3])


# -- cap and normalisation ------------------------------------------------------------


def test_the_cap_cuts_the_largest_weights_and_keeps_the_mean_at_one():
    X, y, sample_domain, _ = _gaussians(500, 500, shift=(1.0, 1.0))
    free = _fit(X, y, sample_domain)
    capped = _fit(X, y, sample_domain, clip=3.0)
    assert free.weights_.max() > 3.0
    assert capped.weights_.max() <= 3.0 + 1e-9
    assert_allclose(capped.weights_.mean(), 1.0)
    cut = capped.weights_ >= 3.0 - 1e-9
    assert cut.any()
    assert not cut.all()
    # The others are the free weights times one common factor above 1.
    factor = capped.weights_[~cut] / free.weights_[~cut]
    assert_allclose(factor, factor[0])
    assert factor[0] > 1
    assert np.all(free.weights_[cut] >= free.weights_[~cut].max())
    assert capped.predict_weights(X).max() <= 3.0 + 1e-9


def test_the_cap_scale_matches_a_bisection():
    rng = np.random.RandomState(0)
    weights = rng.lognormal(0, 1.5, 300)
    for cap in (1.0, 1.5, 4.0, 1e6):
        scale = _cap_at_mean_one(weights, cap)
        assert_allclose(np.minimum(scale * weights, cap).mean(), 1.0)
        low, high = 0.0, 1e6
        for _ in range(200):
            middle = (low + high) / 2
            if np.minimum(middle * weights, cap).mean() < 1:
                low = middle
            else:
                high = middle
        assert_allclose(scale, high, rtol=1e-9)


def test_fit_weights_source_rows_by_the_weights_and_labeled_target_rows_by_one():
    X, y, sample_domain, _ = _gaussians(300, 200)
    y = y.copy()
    y[-50:] = 1  # 50 labeled target rows
    user = np.random.RandomState(0).uniform(0.5, 2.0, y.shape[0])
    model = _fit(X, y, sample_domain)
    source = sample_domain >= 0
    assert_allclose(model.sample_weight_[source], model.weights_)
    assert_array_equal(model.sample_weight_[-50:], 1.0)
    assert_array_equal(model.sample_weight_[300:-50], 0.0)
    assert model.n_training_rows_ == 350
    weighted = DiscriminativeReweighting(random_state=0).fit(
        X, y, sample_domain=sample_domain, sample_weight=user
    )
    assert_allclose(weighted.sample_weight_[source], model.weights_ * user[source])
    # The estimator got those weights.
    reference = LogisticRegression().fit(
        X[: y.shape[0]][model.sample_weight_ > 0],
        y[model.sample_weight_ > 0],
        sample_weight=model.sample_weight_[model.sample_weight_ > 0],
    )
    assert_allclose(model.estimator_.coef_, reference.coef_)


def test_without_target_rows_the_weights_are_one():
    X, y, sample_domain, _ = _gaussians(200, 10)
    source = sample_domain >= 0
    model = DiscriminativeReweighting(Ridge()).fit(X[source], y[source])
    assert_array_equal(model.weights_, 1.0)
    assert model.effective_sample_size_ == 200
    assert model.domain_classifier_ is None
    assert_array_equal(model.predict_weights(X[:5]), 1.0)


# -- overlap --------------------------------------------------------------------------


def test_effective_sample_size_is_kish_and_barely_overlapping_domains_warn():
    X, y, sample_domain, _ = _gaussians(200, 200, shift=(3.0, 3.0))
    with pytest.warns(UserWarning, match=r"effective sample size .* of 200 rows"):
        model = _fit(X, y, sample_domain)
    weights = model.weights_
    kish = weights.sum() ** 2 / np.sum(weights**2)
    assert_allclose(model.effective_sample_size_, kish)
    assert kish < 0.1 * 200


def test_overlapping_domains_do_not_warn():
    X, y, sample_domain, _ = _gaussians(500, 500)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = _fit(X, y, sample_domain)
    assert model.effective_sample_size_ > 0.5 * 500


@pytest.mark.parametrize("shift", [8.0, 50.0])
def test_domains_that_do_not_overlap_are_refused(shift):
    X, y, sample_domain, _ = _gaussians(200, 200, shift=(shift, shift))
    with pytest.raises(ValueError, match="do not overlap.*representation"):
        _fit(X, y, sample_domain)


# -- determinism, inputs --------------------------------------------------------------


def test_deterministic_given_random_state_and_n_jobs():
    X, y, sample_domain, _ = _gaussians(300, 300)
    first = _fit(X, y, sample_domain, random_state=3)
    again = _fit(X, y, sample_domain, random_state=3, n_jobs=2)
    other = _fit(X, y, sample_domain, random_state=4)
    assert_array_equal(first.weights_, again.weights_)
    assert not np.array_equal(first.weights_, other.weights_)


def test_estimator_and_domain_classifier_errors():
    X, y, sample_domain, _ = _gaussians(100, 100)

    class NoWeights(LogisticRegression):
        def fit(self, X, y):
            return super().fit(X, y)

    with pytest.raises(TypeError, match="does not accept sample_weight"):
        DiscriminativeReweighting(NoWeights()).fit(X, y, sample_domain=sample_domain)
    with pytest.raises(TypeError, match="no predict_proba.*calibration='sigmoid'"):
        DiscriminativeReweighting(domain_classifier=LinearSVC(), calibration=None).fit(
            X, y, sample_domain=sample_domain
        )
    # Calibration makes a decision_function usable.
    model = DiscriminativeReweighting(domain_classifier=LinearSVC(), random_state=0)
    model.fit(X, y, sample_domain=sample_domain)
    assert_allclose(model.weights_.mean(), 1.0)


def _categorical_frame(n_source=600, n_target=400, seed=0):
    rng = np.random.RandomState(seed)

    def frame(n, shift, web):
        return pd.DataFrame(
            {
                "amount": rng.normal(shift, 1, n),
                "channel": pd.Categorical(
                    rng.choice(["web", "shop"], n, p=[web, 1 - web]),
                    categories=["shop", "web"],
                ),
            }
        )

    X_source, X_target = frame(n_source, 0.0, 0.3), frame(n_target, 0.3, 0.7)
    noise = rng.normal(0, 1, n_source)
    y_source = X_source["amount"] + (X_source["channel"] == "web") + noise > 0.5
    return stack_domains(
        source=(X_source, y_source.astype(int).to_numpy()), target=(X_target, None)
    )


class _RecordingHGB(HistGradientBoostingClassifier):
    """Records the kind of X each fit gets."""

    seen = []

    def fit(self, X, y, sample_weight=None):
        type(self).seen.append((type(X), dict(getattr(X, "dtypes", {}))))
        return super().fit(X, y, sample_weight=sample_weight)


def test_categorical_dataframe_reaches_the_domain_classifier_untouched():
    X, y, sample_domain = _categorical_frame()
    _RecordingHGB.seen = []
    hgb = _RecordingHGB(categorical_features="from_dtype", max_iter=30)
    model = DiscriminativeReweighting(
        HistGradientBoostingClassifier(categorical_features="from_dtype", max_iter=30),
        hgb,
        random_state=0,
    ).fit(X, y, sample_domain=sample_domain)
    assert _RecordingHGB.seen  # every fit: a DataFrame with its category column
    for kind, dtypes in _RecordingHGB.seen:
        assert kind is pd.DataFrame
        assert isinstance(dtypes["channel"], pd.CategoricalDtype)
    source = (sample_domain >= 0).nonzero()[0]
    web = (X["channel"].iloc[source] == "web").to_numpy()
    # "web" is more common in the target: its source rows weigh more.
    assert model.weights_[web].mean() > 1.5 * model.weights_[~web].mean()
    assert model.predict_weights(X.iloc[source]).shape == (source.shape[0],)
    assert model.predict(X.iloc[:5]).shape == (5,)


# -- pipelines and searches -----------------------------------------------------------


def test_in_a_transfer_pipeline_and_a_grid_search():
    X, y, sample_domain, _ = _gaussians(300, 200)
    pipe = make_transfer_pipeline(DiscriminativeReweighting(random_state=0))
    pipe.fit(X, y, sample_domain=sample_domain)
    assert pipe[-1].weights_.shape == (300,)
    with config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            DiscriminativeReweighting(random_state=0),
            {"clip": [2.0, None]},
            cv=KFold(3, shuffle=True, random_state=0),
        )
        search.fit(X, y, sample_domain=sample_domain)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["clip"] in (2.0, None)


def test_importance_weighted_search_with_a_gradient_boosting_domain_classifier():
    # The scorer hands the fold's DataFrame to the domain classifier as it is:
    # finite scores, and the underfitting candidate loses.
    X, y, sample_domain = _categorical_frame(400, 300)
    scorer = ImportanceWeightedScorer(
        domain_classifier=HistGradientBoostingClassifier(
            categorical_features="from_dtype", max_iter=20, random_state=0
        )
    )
    pipe = make_transfer_pipeline(
        DiscriminativeReweighting(
            HistGradientBoostingClassifier(categorical_features="from_dtype"),
            HistGradientBoostingClassifier(
                categorical_features="from_dtype", max_iter=20
            ),
            cv=2,
            calibration=None,
            random_state=0,
        )
    )
    search = GridSearchCV(
        pipe,
        {"discriminativereweighting__estimator__max_iter": [1, 30]},
        cv=DomainShuffleSplit(3, random_state=0),
        scoring=scorer,
    )
    search.fit(X, y, sample_domain=sample_domain)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    assert scores[1] > scores[0]
    assert search.best_params_ == {"discriminativereweighting__estimator__max_iter": 30}


def test_the_default_domain_classifier_names_categorical_columns():
    X, y, sample_domain = _categorical_frame(100, 100)
    with pytest.raises(ValueError, match=r"columns 'channel' are categorical"):
        DiscriminativeReweighting(random_state=0).fit(X, y, sample_domain=sample_domain)


def test_in_the_negative_transfer_guard():
    X, y, sample_domain, _ = _gaussians(400, 300)
    target_rows = np.flatnonzero(sample_domain < 0)
    y = y.copy()
    y[target_rows[:60]] = (X[target_rows[:60]].sum(axis=1) > 0).astype(int)
    guard = NegativeTransferGuard(
        DiscriminativeReweighting(random_state=0), cv=3, random_state=0
    )
    guard.fit(X, y, sample_domain=sample_domain)
    assert np.isfinite(guard.cv_results_["mean_score"]).all()
    assert guard.selected_ in ("transfer", "source_only", "target_only", "pooled")
    assert guard.predict(X[target_rows]).shape == (300,)
