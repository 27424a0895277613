import logging
import pickle
import warnings

import numpy as np
import pytest
from _data import shortcut_domains
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
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
def test_guard_falls_back_when_source_labels_contradict_the_target(seed):
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
def test_guard_keeps_transfer_when_it_helps(seed):
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


def test_gain_and_its_standard_error_come_from_the_fold_scores():
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


def test_default_cv_is_stratified_target_kfold():
    X, y, sample_domain, _, _ = shortcut_domains(0, n_labeled=30)
    guard = NegativeTransferGuard(_tca_pipeline(), random_state=0)
    guard.fit(X, y, sample_domain=sample_domain)
    assert guard.n_splits_ == 5
    assert guard.cv_results_["fold_scores"].shape == (4, 5)


def test_without_target_labels_the_guard_warns_and_fits_unguarded():
    X, y, sample_domain, Xt, _ = shortcut_domains(0, n_labeled=0)
    with pytest.warns(UserWarning, match="0 labeled target rows"):
        guard = _guard().fit(X, y, sample_domain=sample_domain)
    assert guard.selected_ == "transfer"
    assert np.isnan(guard.transfer_gain_)
    assert not guard.negative_transfer_
    assert "unguarded" in guard.report()
    unguarded = _tca_pipeline().fit(X, y, sample_domain=sample_domain)
    assert_array_equal(guard.predict(Xt), unguarded.predict(Xt))


def test_label_free_guard_leaves_out_the_target_only_baseline():
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


def test_baselines_can_be_chosen_and_given_a_learner():
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


def test_guard_errors():
    X, y, sample_domain, _, _ = shortcut_domains(0)
    with pytest.raises(ValueError, match="Unknown baselines"):
        _guard(baselines=("target",)).fit(X, y, sample_domain=sample_domain)
    with pytest.raises(ValueError, match="requires y"):
        _guard().fit(X, None)
    with pytest.raises(ValueError, match="cv"):
        _guard().set_params(cv=1).fit(X, y, sample_domain=sample_domain)


def test_guard_is_deterministic_and_parallel_gives_the_same_result():
    X, y, sample_domain, _, _ = shortcut_domains(1)
    first = _guard().fit(X, y, sample_domain=sample_domain)
    again = _guard(n_jobs=2).fit(X, y, sample_domain=sample_domain)
    assert_allclose(first.cv_results_["fold_scores"], again.cv_results_["fold_scores"])
    assert first.transfer_gain_ == again.transfer_gain_


def test_guard_clones_pickles_and_reports(caplog):
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
