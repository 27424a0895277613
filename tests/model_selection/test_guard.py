import logging
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sktransfer import (
    KernelMeanMatching,
    LabeledOnly,
    TrAdaBoostClassifier,
    TransferComponentAnalysis,
    make_transfer_pipeline,
    stack_domains,
)
from sktransfer.model_selection import (
    DomainShuffleSplit,
    ImportanceWeightedScorer,
    NegativeTransferGuard,
    NegativeTransferWarning,
    TargetKFold,
    TargetStratifiedKFold,
    TargetStratifiedShuffleSplit,
)
from sktransfer.model_selection._guard import (
    baseline_learner,
    corrected_standard_error,
)


def _tca_pipeline():
    return make_transfer_pipeline(
        TransferComponentAnalysis(2, kernel="linear"), LogisticRegression()
    )


def _guard(**params):
    cv = TargetStratifiedShuffleSplit(20, test_size=0.25, random_state=0)
    return NegativeTransferGuard(_tca_pipeline(), cv=cv, **params)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_guard_falls_back_when_source_labels_contradict_the_target(
    shortcut_domains, seed
):
    X, y, sample_domain, Xt, yt = shortcut_domains(seed, contradicting=True)
    with pytest.warns(NegativeTransferWarning, match="kept target_only"):
        guard = _guard().fit(X, y, sample_domain=sample_domain)
    assert guard.negative_transfer_
    assert guard.selected_ == "target_only"
    assert guard.transfer_gain_ < -0.2
    assert guard.transfer_gain_se_ > 0
    # The kept model is the target-only baseline refitted on all rows.
    expected = LabeledOnly(LogisticRegression(), domains="target")
    expected.fit(X, y, sample_domain=sample_domain)
    assert_array_equal(guard.predict(Xt), expected.predict(Xt))
    unguarded = _tca_pipeline().fit(X, y, sample_domain=sample_domain)
    assert guard.score(Xt, yt) > unguarded.score(Xt, yt) + 0.2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_guard_keeps_transfer_when_it_helps(shortcut_domains, seed):
    X, y, sample_domain, Xt, yt = shortcut_domains(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NegativeTransferWarning)
        guard = _guard().fit(X, y, sample_domain=sample_domain)
    assert not guard.negative_transfer_
    assert guard.selected_ == "transfer"
    assert guard.transfer_gain_ > 0
    unguarded = _tca_pipeline().fit(X, y, sample_domain=sample_domain)
    assert_array_equal(guard.predict(Xt), unguarded.predict(Xt))
    target_only = LabeledOnly(LogisticRegression(), domains="target")
    target_only.fit(X, y, sample_domain=sample_domain)
    assert guard.score(Xt, yt) > target_only.score(Xt, yt)


def test_gain_and_its_standard_error_come_from_the_fold_scores(shortcut_domains):
    X, y, sample_domain, _, _ = shortcut_domains(0)
    guard = _guard().fit(X, y, sample_domain=sample_domain)
    results = guard.cv_results_
    assert results["candidate"] == ["transfer", "target_only", "source_only", "pooled"]
    assert results["fold_scores"].shape == (4, 20)
    best = int(np.argmax(results["mean_score"][1:])) + 1
    assert guard.best_baseline_ == results["candidate"][best]
    differences = results["fold_scores"][0] - results["fold_scores"][best]
    assert guard.transfer_gain_ == pytest.approx(differences.mean())
    # 4 labeled target rows test, the other 12 train: n_test / n_train = 1/3.
    expected_se = np.sqrt((1 / 20 + 1 / 3) * differences.var(ddof=1))
    assert guard.transfer_gain_se_ == pytest.approx(expected_se)


def test_corrected_standard_error():
    differences = np.array([0.1, 0.3, 0.2, 0.0])
    assert corrected_standard_error(differences, 0.25) == pytest.approx(
        np.sqrt(0.5 * np.var(differences, ddof=1))
    )
    assert np.isnan(corrected_standard_error(np.array([0.1]), 0.25))


def test_default_cv_is_stratified_target_kfold(shortcut_domains):
    X, y, sample_domain, _, _ = shortcut_domains(0, n_labeled=30)
    guard = NegativeTransferGuard(_tca_pipeline(), random_state=0)
    guard.fit(X, y, sample_domain=sample_domain)
    assert guard.n_splits_ == 5
    assert guard.cv_results_["fold_scores"].shape == (4, 5)


def test_without_target_labels_the_guard_warns_and_fits_unguarded(shortcut_domains):
    X, y, sample_domain, Xt, _ = shortcut_domains(0, n_labeled=0)
    with pytest.warns(UserWarning, match="0 labeled target rows"):
        guard = _guard().fit(X, y, sample_domain=sample_domain)
    assert guard.selected_ == "transfer"
    assert np.isnan(guard.transfer_gain_)
    assert not guard.negative_transfer_
    assert "unguarded" in guard.report()
    unguarded = _tca_pipeline().fit(X, y, sample_domain=sample_domain)
    assert_array_equal(guard.predict(Xt), unguarded.predict(Xt))


def test_label_free_guard_leaves_out_the_target_only_baseline(shortcut_domains):
    X, y, sample_domain, _, _ = shortcut_domains(0, n_labeled=0)
    guard = NegativeTransferGuard(
        KernelMeanMatching(LogisticRegression(), B=10),
        cv=DomainShuffleSplit(3, random_state=0),
        scoring=ImportanceWeightedScorer(),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        guard.fit(X, y, sample_domain=sample_domain)
    assert any(
        "target_only baseline could not be scored" in str(w.message) for w in caught
    )
    assert guard.best_baseline_ in ("source_only", "pooled")
    assert np.isnan(guard.cv_results_["mean_score"][1])
    assert "not scored" in guard.report()


def test_baselines_can_be_chosen_and_given_a_learner(shortcut_domains):
    X, y, sample_domain, _, _ = shortcut_domains(0)
    guard = _guard(baselines=("source_only",), baseline=DecisionTreeClassifier())
    guard.fit(X, y, sample_domain=sample_domain)
    assert guard.cv_results_["candidate"] == ["transfer", "source_only"]
    assert guard.best_baseline_ == "source_only"


def test_baseline_learner_is_found_inside_the_transfer_estimator():
    assert isinstance(baseline_learner(KernelMeanMatching(Ridge())), Ridge)
    stump = baseline_learner(TrAdaBoostClassifier())
    assert isinstance(stump, DecisionTreeClassifier)
    assert stump.max_depth == 1
    pipe = make_transfer_pipeline(
        StandardScaler(), TransferComponentAnalysis(2), LogisticRegression(C=3)
    )
    stripped = baseline_learner(pipe)
    assert isinstance(stripped, Pipeline)
    assert [type(step) for _, step in stripped.steps] == [
        StandardScaler,
        LogisticRegression,
    ]
    assert stripped.steps[-1][1].C == 3
    assert isinstance(baseline_learner(LogisticRegression()), LogisticRegression)
    with pytest.raises(TypeError, match="pass it as baseline="):
        baseline_learner(TransferComponentAnalysis())


def test_guard_errors(shortcut_domains):
    X, y, sample_domain, _, _ = shortcut_domains(0)
    with pytest.raises(ValueError, match="Unknown baselines"):
        _guard(baselines=("target",)).fit(X, y, sample_domain=sample_domain)
    with pytest.raises(ValueError, match="requires y"):
        _guard().fit(X, None)
    with pytest.raises(ValueError, match="cv"):
        _guard().set_params(cv=1).fit(X, y, sample_domain=sample_domain)


def test_guard_is_deterministic_and_parallel_gives_the_same_result(shortcut_domains):
    X, y, sample_domain, _, _ = shortcut_domains(1)
    first = _guard().fit(X, y, sample_domain=sample_domain)
    again = _guard(n_jobs=2).fit(X, y, sample_domain=sample_domain)
    assert_allclose(first.cv_results_["fold_scores"], again.cv_results_["fold_scores"])
    assert first.transfer_gain_ == again.transfer_gain_


def test_guard_clones_pickles_and_reports(shortcut_domains, caplog):
    X, y, sample_domain, Xt, _ = shortcut_domains(2)
    with caplog.at_level(logging.INFO, logger="sktransfer.model_selection._guard"):
        guard = clone(_guard(verbose=1)).fit(X, y, sample_domain=sample_domain)
    assert "kept transfer" in caplog.text
    assert "target_only:" in caplog.text
    restored = pickle.loads(pickle.dumps(guard))
    assert_array_equal(restored.predict(Xt), guard.predict(Xt))
    report = guard.report()
    assert "transfer gain over" in report
    assert "negative transfer: no" in report
    assert guard.n_features_in_ == X.shape[1]
    assert_array_equal(guard.classes_, [0, 1])


def test_guard_on_a_regression_with_a_contradicting_source():
    rng = np.random.RandomState(0)
    Xs, Xt = rng.normal(size=(200, 3)), rng.normal(0.3, 1, (100, 3))
    coef = np.array([1.0, -2.0, 0.5])
    ys = -(Xs @ coef) + rng.normal(0, 0.1, 200)  # the opposite relation
    yt = Xt @ coef + rng.normal(0, 0.1, 100)
    yt_train = np.where(np.arange(100) < 30, yt, np.nan)
    X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt_train))
    guard = NegativeTransferGuard(KernelMeanMatching(Ridge()), random_state=0)
    with pytest.warns(NegativeTransferWarning, match="kept target_only"):
        guard.fit(X, y, sample_domain=sample_domain)
    assert guard.n_splits_ == 5  # TargetKFold for a regressor
    assert guard.score(Xt[30:], yt[30:]) > 0.95


# -- scores that are NaN on some folds ----------------------------------------------


def _target_folds_of_one_class():
    """24 labeled target rows in 4 unshuffled folds of 6: folds 1 and 2 hold
    both classes, fold 3 only class 0 and fold 4 only class 1."""
    rng = np.random.RandomState(0)
    ys = rng.randint(2, size=100)
    Xs = np.c_[2 * ys - 1 + rng.normal(0, 1, 100), rng.normal(0, 1, 100)]
    labels = np.r_[np.tile([0, 1], 6), np.zeros(6, dtype=int), np.ones(6, dtype=int)]
    yt = np.r_[labels, rng.randint(2, size=16)]
    Xt = np.c_[yt - 0.5 + rng.normal(0, 1, 40), rng.normal(0.5, 1, 40)]
    yt_train = np.r_[labels, np.full(16, -1)]
    return stack_domains(source=(Xs, ys), target=(Xt, yt_train))


def _roc_auc_guard(cv):
    return NegativeTransferGuard(
        KernelMeanMatching(LogisticRegression()), cv=cv, scoring="roc_auc"
    )


def test_guard_refuses_a_verdict_when_every_fold_score_is_nan():
    X, y, sample_domain = _target_folds_of_one_class()
    # One labeled target row per fold: roc_auc is undefined on every fold.
    with (
        pytest.warns(UndefinedMetricWarning),
        pytest.raises(ValueError, match="scored NaN on all 24 splits"),
    ):
        _roc_auc_guard(TargetKFold(24)).fit(X, y, sample_domain=sample_domain)


def test_guard_compares_only_the_folds_where_every_candidate_scored():
    X, y, sample_domain = _target_folds_of_one_class()
    guard = _roc_auc_guard(TargetKFold(4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        guard.fit(X, y, sample_domain=sample_domain)
    messages = [str(w.message) for w in caught]
    assert any("2 of 4 splits gave a NaN score" in m for m in messages)
    assert_array_equal(guard.valid_splits_, [True, True, False, False])
    scores = guard.cv_results_["fold_scores"]
    assert np.isnan(scores[:, 2:]).all()
    assert np.isfinite(scores[:, :2]).all()
    assert_allclose(guard.cv_results_["mean_score"], scores[:, :2].mean(axis=1))
    best = guard.cv_results_["candidate"].index(guard.best_baseline_)
    assert guard.transfer_gain_ == pytest.approx(
        (scores[0, :2] - scores[best, :2]).mean()
    )
    assert np.isfinite(guard.transfer_gain_se_)
    assert "2 of 4 splits, the others NaN" in guard.report()


# -- a search inside the guard: tune, then guard ------------------------------------


def _tca_search():
    return GridSearchCV(
        _tca_pipeline(),
        {"transfercomponentanalysis__n_components": [1, 2]},
        cv=TargetStratifiedKFold(3, shuffle=True, random_state=0),
    )


@pytest.mark.parametrize("routing", [False, True])
def test_guard_wraps_a_grid_search_over_a_transfer_pipeline(shortcut_domains, routing):
    X, y, sample_domain, Xt, _ = shortcut_domains(0, n=150, n_labeled=40, n_noise=3)
    cv = TargetStratifiedShuffleSplit(5, test_size=0.25, random_state=0)
    with config_context(enable_metadata_routing=routing):
        guard = NegativeTransferGuard(_tca_search(), cv=cv)
        guard.fit(X, y, sample_domain=sample_domain)
        direct = _tca_search().fit(
            X,
            y,
            sample_domain=sample_domain,
            **({} if routing else {"groups": sample_domain}),
        )
    assert np.isfinite(guard.cv_results_["fold_scores"]).all()
    assert guard.selected_ == "transfer"
    assert isinstance(guard.estimator_, GridSearchCV)
    # The search got the domains: it equals the search fitted directly.
    assert guard.estimator_.best_params_ == direct.best_params_
    assert_array_equal(guard.predict(Xt), direct.predict(Xt))
    assert isinstance(baseline_learner(_tca_search()), LogisticRegression)


def test_guard_refuses_an_empty_list_of_baselines(shortcut_domains):
    X, y, sample_domain, _, _ = shortcut_domains(0, n=60, n_labeled=10, n_noise=0)
    with pytest.raises(ValueError, match="needs at least one baseline"):
        _guard(baselines=()).fit(X, y, sample_domain=sample_domain)
