"""TrAdaBoostRegressor and TwoStageTrAdaBoostRegressor."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import AdaBoostRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeRegressor

from sktransfer import (
    TrAdaBoostRegressor,
    TwoStageTrAdaBoostRegressor,
    stack_domains,
)
from sktransfer.instance._tradaboost_boosting import (
    adaboost_r2_prime,
    regression_loss,
    shrink_source_to_share,
    weighted_median,
)

BOTH = [TrAdaBoostRegressor, TwoStageTrAdaBoostRegressor]

# The clipping warning is asserted in the tests about it; elsewhere it is
# incidental (few labeled target rows, or a base estimator that fits them).
pytestmark = pytest.mark.filterwarnings("ignore:Target error clipped:UserWarning")


class ColumnZeroRegressor(RegressorMixin, BaseEstimator):
    """Predicts column 0, whatever the weights."""

    def fit(self, X, y, sample_weight=None):
        return self

    def predict(self, X):
        return X[:, 0].astype(float)


def _scripted_rows():
    # Column 0 is the prediction, every label is 0: source row 2 is off by 2
    # (the largest error), target row 3 by 1.
    source_predictions = np.array([0.0, 0.0, 2.0])
    target_predictions = np.array([0.0, 0.0, 0.0, 1.0])
    return stack_domains(
        source=(source_predictions[:, None], np.zeros(3)),
        target=(target_predictions[:, None], np.zeros(4)),
    )


@pytest.mark.parametrize(
    ("loss", "source_loss", "target_loss"),
    [
        ("linear", 1, 0.5),
        ("square", 1, 0.25),
        ("exponential", 1 - np.exp(-1), 1 - np.exp(-0.5)),
    ],
)
def test_three_rounds_by_hand(loss, source_loss, target_loss):
    X, y, sample_domain = _scripted_rows()
    model = TrAdaBoostRegressor(ColumnZeroRegressor(), n_estimators=3, loss=loss)
    model.fit(X, y, sample_domain=sample_domain)
    beta = 1 / (1 + np.sqrt(2 * np.log(3) / 3))
    assert model.source_factor_ == pytest.approx(beta)
    # Adjusted losses (error / largest error 2, then shaped): source row 2 has
    # `source_loss` in every round, target row 3 has `target_loss`, the rest 0.
    # Target weights start at 1 each; only row 3 moves.
    row3, errors, votes = 1.0, [], []
    for _ in range(3):
        error = target_loss * row3 / (3 + row3)
        vote = np.log((1 - error) / error)
        row3 *= np.exp(vote * target_loss)
        errors.append(error)
        votes.append(vote)
    assert_allclose(model.estimator_errors_, errors)
    assert_allclose(model.estimator_weights_, votes)
    unnormalised = np.array([1, 1, beta ** (3 * source_loss), 1, 1, 1, row3])
    assert_allclose(model.sample_weight_, unnormalised * 7 / unnormalised.sum())
    assert model.voting_start_ == 1
    assert_allclose(model.predict(X), X[:, 0])


def test_weighted_median_by_hand():
    predictions = np.array([[3.0, 1.0, 2.0], [5.0, 5.0, 0.0]])
    # Sorted row 0: 1 (w 0.2), 2 (w 0.3), 3 (w 0.5): half (0.5) reached at 2.
    assert_allclose(weighted_median(predictions, np.array([0.5, 0.2, 0.3])), [2, 5])
    # A single heavy round decides.
    assert_allclose(weighted_median(predictions, np.array([0.1, 0.1, 5.0])), [2, 0])


def _regression_data(n=150, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n, 3))
    return X, np.sin(X[:, 0]) + 0.5 * X[:, 1] + 0.1 * rng.normal(size=n)


@pytest.mark.parametrize("estimator", BOTH)
def test_without_target_rows_it_is_sklearn_adaboost_r2(estimator):
    # KNeighborsRegressor has no sample_weight: both fit on weighted
    # resamples drawn from the same random stream.
    X, y = _regression_data()
    knn = KNeighborsRegressor(n_neighbors=5)
    ours = estimator(knn, n_estimators=8, random_state=0).fit(X, y)
    reference = AdaBoostRegressor(knn, n_estimators=8, random_state=0).fit(X, y)
    assert len(reference.estimators_) == 8
    assert_allclose(ours.estimator_errors_, reference.estimator_errors_)
    assert_allclose(ours.estimator_weights_, reference.estimator_weights_)
    assert_allclose(ours.predict(X), reference.predict(X))


def _shifted_regression(seed=0, n_source=200, n_labeled=30, n_test=300, slope=1.0):
    """Source y = sin(x0) + slope * x1; target y = sin(x0) - x1 (slope -1 agrees)."""
    rng = np.random.RandomState(seed)
    Xs = rng.uniform(-2, 2, size=(n_source, 2))
    Xt = rng.uniform(-2, 2, size=(n_labeled + n_test, 2))
    ys = np.sin(Xs[:, 0]) + slope * Xs[:, 1] + 0.1 * rng.normal(size=n_source)
    yt = np.sin(Xt[:, 0]) - Xt[:, 1] + 0.1 * rng.normal(size=Xt.shape[0])
    y_train = yt.copy()
    y_train[n_labeled:] = np.nan
    X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, y_train))
    test = np.flatnonzero(np.isnan(y))
    return X, y, sample_domain, test, yt[n_labeled:]


def _mse(model, X, y):
    return np.mean((model.predict(X) - y) ** 2)


def test_source_rows_the_target_disagrees_with_lose_weight():
    # Half the source agrees with the target concept, half contradicts it.
    X, y, sample_domain, _, _ = _shifted_regression(slope=1.0)
    agreeing, _, _, _, _ = _shifted_regression(seed=1, slope=-1.0)
    X = np.vstack([agreeing[:200], X])
    y_agree = np.sin(agreeing[:200, 0]) - agreeing[:200, 1]
    y = np.r_[y_agree, y]
    sample_domain = np.r_[np.full(200, 1), sample_domain]
    model = TrAdaBoostRegressor(n_estimators=20, random_state=0).fit(
        X, y, sample_domain=sample_domain
    )
    weights = model.sample_weight_
    assert weights[400:][np.isnan(y[400:])].sum() == 0
    assert weights[200:400].mean() < 0.5 * weights[:200].mean()


def test_two_stage_beats_source_only_and_weights_move_to_target():
    X, y, sample_domain, test, y_test = _shifted_regression(slope=1.0)
    source = sample_domain >= 0
    source_only = DecisionTreeRegressor(max_depth=3).fit(X[source], y[source])
    model = TwoStageTrAdaBoostRegressor(
        n_steps=5, n_estimators=10, cv=3, random_state=0
    ).fit(X, y, sample_domain=sample_domain)
    assert _mse(model, X[test], y_test) < 0.5 * _mse(source_only, X[test], y_test)
    # The source contradicts the target: a late, target-heavy step wins.
    assert model.best_step_ >= 2
    shares = model.target_shares_
    assert shares[0] == pytest.approx(30 / 230)
    assert shares[-1] == pytest.approx(1.0)
    labeled_target = (sample_domain < 0) & ~np.isnan(y)
    chosen = model.sample_weight_
    assert chosen[labeled_target].sum() / chosen.sum() == pytest.approx(
        shares[model.best_step_]
    )


def test_two_stage_keeps_a_helpful_source():
    X, y, sample_domain, test, y_test = _shifted_regression(slope=-1.0, n_labeled=10)
    labeled_target = (sample_domain < 0) & ~np.isnan(y)
    target_only = DecisionTreeRegressor(max_depth=3).fit(
        X[labeled_target], y[labeled_target]
    )
    model = TwoStageTrAdaBoostRegressor(
        n_steps=5, n_estimators=10, cv=3, random_state=0
    ).fit(X, y, sample_domain=sample_domain)
    assert model.best_step_ < 4
    assert _mse(model, X[test], y_test) < 0.5 * _mse(target_only, X[test], y_test)


def testshrink_source_to_share():
    rng = np.random.RandomState(0)
    is_target = np.r_[np.zeros(50, bool), np.ones(10, bool)]
    weights = rng.uniform(0.5, 1.5, size=60)
    losses = rng.uniform(0.01, 1, size=60)
    shrunk, beta = shrink_source_to_share(weights, losses, is_target, 0.6)
    assert 0 < beta < 1
    assert shrunk[is_target].sum() / shrunk.sum() == pytest.approx(0.6)
    assert_array_equal(shrunk[is_target], weights[is_target])
    assert_allclose(shrunk[~is_target], weights[~is_target] * beta ** losses[:50])
    # Rows predicted exactly keep beta ** 0 = 1: beyond reach, scaled down.
    losses[:40] = 0
    shrunk, beta = shrink_source_to_share(weights, losses, is_target, 0.99)
    assert beta == 0
    assert shrunk[is_target].sum() / shrunk.sum() == pytest.approx(0.99)
    assert_array_equal(shrunk[40:50], 0)
    shrunk, _ = shrink_source_to_share(weights, losses, is_target, 1.0)
    assert_array_equal(shrunk[~is_target], 0)


def test_two_stage_parallel_equals_serial():
    X, y, sample_domain, test, _ = _shifted_regression(n_source=80, n_test=20)
    fits = [
        TwoStageTrAdaBoostRegressor(
            n_steps=3, n_estimators=4, cv=3, n_jobs=n_jobs, random_state=0
        ).fit(X, y, sample_domain=sample_domain)
        for n_jobs in (1, 2)
    ]
    assert_array_equal(fits[0].cv_errors_, fits[1].cv_errors_)
    assert_array_equal(fits[0].predict(X[test]), fits[1].predict(X[test]))


def test_two_stage_cv_splitters():
    X, y, sample_domain, test, _ = _shifted_regression(n_source=80, n_test=20)
    n_labeled = int(np.sum((sample_domain < 0) & ~np.isnan(y)))
    splits = list(KFold(3).split(np.zeros((n_labeled, 1))))
    by_splitter = TwoStageTrAdaBoostRegressor(
        n_steps=3, n_estimators=4, cv=KFold(3), random_state=0
    ).fit(X, y, sample_domain=sample_domain)
    by_list = TwoStageTrAdaBoostRegressor(
        n_steps=3, n_estimators=4, cv=splits, random_state=0
    ).fit(X, y, sample_domain=sample_domain)
    assert_array_equal(by_splitter.cv_errors_, by_list.cv_errors_)


@pytest.mark.parametrize("estimator", BOTH)
def test_deterministic_and_sparse(estimator):
    X, y, sample_domain, test, _ = _shifted_regression(n_source=80, n_test=20)
    params = {"n_estimators": 5, "random_state": 2}
    if estimator is TwoStageTrAdaBoostRegressor:
        params.update(n_steps=3, cv=3)
    dense = [estimator(**params).fit(X, y, sample_domain=sample_domain) for _ in "ab"]
    assert_array_equal(dense[0].predict(X[test]), dense[1].predict(X[test]))
    assert_array_equal(dense[0].sample_weight_, dense[1].sample_weight_)
    sparse = estimator(**params).fit(sp.csr_matrix(X), y, sample_domain=sample_domain)
    assert_allclose(sparse.predict(sp.csr_matrix(X[test])), dense[0].predict(X[test]))


def test_resampling_path_for_estimators_without_sample_weight():
    X, y, sample_domain, test, y_test = _shifted_regression()
    model = TrAdaBoostRegressor(
        KNeighborsRegressor(n_neighbors=3), n_estimators=5, random_state=0
    ).fit(X, y, sample_domain=sample_domain)
    assert np.isfinite(model.predict(X[test])).all()
    assert np.isfinite(model.sample_weight_).all()


def test_staged_predict_ends_at_predict():
    X, y, sample_domain, test, _ = _shifted_regression()
    model = TrAdaBoostRegressor(LinearRegression(), n_estimators=6).fit(
        X, y, sample_domain=sample_domain
    )
    stages = list(model.staged_predict(X[test]))
    assert len(stages) == 6
    assert_allclose(stages[-1], model.predict(X[test]))


def test_sample_weight_is_the_initial_weight():
    X, y, sample_domain = _scripted_rows()
    model = TrAdaBoostRegressor(ColumnZeroRegressor(), n_estimators=1)
    model.fit(X, y, sample_domain=sample_domain, sample_weight=[1, 1, 2, 1, 1, 1, 3])
    beta = model.source_factor_
    error = 0.5 * 3 / 6
    row3 = 3 * np.exp(np.log((1 - error) / error) * 0.5)
    expected = np.array([1, 1, 2 * beta, 1, 1, 1, row3])
    assert_allclose(model.sample_weight_, expected * 7 / expected.sum())


@pytest.mark.parametrize("estimator", BOTH)
@pytest.mark.parametrize(
    ("y", "sample_domain", "match"),
    [
        ([0.0, 1, 0, 1], [-2, -2, -2, -2], "needs source rows"),
        ([0.0, 1, np.nan, np.nan], [1, 1, -2, -2], "needs labeled target rows"),
        ([0.0, np.nan, 0, 1], [1, 1, -2, -2], "source rows .* carry the unlabeled"),
        ([0.0, 1, np.inf, 1], [1, 1, -2, -2], "infinity"),
    ],
)
def test_errors(estimator, y, sample_domain, match):
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match=match):
        estimator().fit(X, y, sample_domain=sample_domain)


def test_two_stage_needs_two_labeled_target_rows():
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match="at least 2 of them; got 1"):
        TwoStageTrAdaBoostRegressor().fit(
            X, [0.0, 1, 2, np.nan], sample_domain=[1, 1, -2, -2]
        )


def test_verbose_logs_rounds_and_steps(caplog):
    X, y, sample_domain, _, _ = _shifted_regression(n_source=60, n_test=10)
    with caplog.at_level("INFO", logger="sktransfer"):
        TwoStageTrAdaBoostRegressor(
            n_steps=3, n_estimators=2, cv=2, random_state=0, verbose=1
        ).fit(X, y, sample_domain=sample_domain)
    messages = [record.getMessage() for record in caplog.records]
    assert sum("stage one: target share" in m for m in messages) == 2
    assert sum("cross-validated MSE" in m for m in messages) == 3
    assert sum("round 2/2" in m for m in messages) == 1  # the refit


def test_adaboost_r2_prime_freezes_the_source():
    # Pardoe & Stone's AdaBoost.R2': source weights never change, so the
    # target rows keep the share that stage one gave them, and the error is
    # AdaBoost.R2's over all rows.
    X, y, sample_domain = _scripted_rows()
    is_target = sample_domain < 0
    weights = np.array([2.0, 1, 1, 1, 1, 1, 1]) / 8
    boosted = adaboost_r2_prime(
        X,
        y,
        is_target,
        weights,
        ColumnZeroRegressor(),
        rng=np.random.RandomState(0),
        n_rounds=1,
        learning_rate=1.0,
        row_losses=regression_loss,
    )
    assert_allclose(boosted.sample_weight[~is_target], weights[~is_target])
    # Round 1: losses 0, 0, 1 (source), 0, 0, 0, 0.5 (target).
    assert boosted.errors[0] == pytest.approx((1 * 1 + 0.5 * 1) / 8)
    row3 = np.exp(np.log((1 - 1.5 / 8) / (1.5 / 8)) * 0.5)
    target = np.array([1, 1, 1, row3]) * 4 / 8 / (3 + row3)
    assert_allclose(boosted.sample_weight[is_target], target)


def test_initial_target_share():
    X, y, sample_domain = _scripted_rows()
    model = TrAdaBoostRegressor(
        ColumnZeroRegressor(), n_estimators=1, initial_target_share=0.25
    ).fit(X, y, sample_domain=sample_domain)
    # Source 1, 1, 1 (mass 3) and target rows 0.25 each (mass 1): the error
    # is a weighted mean over the target rows, unchanged at 0.5 / 4.
    error = 0.5 / 4
    row3 = 0.25 * np.exp(np.log((1 - error) / error) * 0.5)
    beta = model.source_factor_
    expected = np.array([1, 1, beta, 0.25, 0.25, 0.25, row3])
    assert_allclose(model.sample_weight_, expected * 7 / expected.sum())
