"""TrAdaBoostClassifier: the paper's updates, the AdaBoost fallback, edge cases."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.ensemble import AdaBoostClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from sktransfer import TrAdaBoostClassifier, stack_domains
from sktransfer.datasets import make_domain_shift
from sktransfer.instance._tradaboost_boosting import resample_by_weight

# The clipping warning is asserted in the tests about it; elsewhere it is
# incidental (few labeled target rows, or a base estimator that fits them).
pytestmark = pytest.mark.filterwarnings("ignore:Target error clipped:UserWarning")


class ColumnZeroClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the label written in column 0, whatever the weights."""

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return X[:, 0].astype(int)


def _scripted_rows():
    # Column 0 is what the base predicts; source row 0 and target row 0 are wrong.
    source_labels = np.array([1, 0, 1, 0])
    target_labels = np.array([1, 0, 1, 0, 1])
    source_predictions = np.array([0, 0, 1, 0])
    target_predictions = np.array([0, 0, 1, 0, 1])
    return stack_domains(
        source=(source_predictions[:, None], source_labels),
        target=(target_predictions[:, None], target_labels),
    )


def test_three_rounds_by_hand():
    X, y, sample_domain = _scripted_rows()
    model = TrAdaBoostClassifier(ColumnZeroClassifier(), n_estimators=3)
    with pytest.warns(UserWarning, match="in 2 of 3 rounds: 2 were at or below chance"):
        model.fit(X, y, sample_domain=sample_domain)
    beta = 1 / (1 + np.sqrt(2 * np.log(4) / 3))
    assert model.source_factor_ == pytest.approx(beta)
    # Round 1: target error 1/5, so the wrong target row is multiplied by
    # (1 - 0.2) / 0.2 = 4 and the wrong source row by beta. After it, the
    # same hypothesis has target error 4 / 8 = 1/2 exactly (AdaBoost's
    # property): rounds 2 and 3 are clipped, leave the target weights alone
    # and still multiply the wrong source row by beta.
    assert_allclose(model.estimator_errors_, [0.2, 0.5, 0.5], atol=1e-8)
    assert_allclose(model.estimator_weights_, [np.log(4), 0, 0], atol=1e-8)
    unnormalised = np.array([beta**3, 1, 1, 1, 4, 1, 1, 1, 1])
    assert_allclose(model.sample_weight_, unnormalised * 9 / unnormalised.sum())
    assert model.voting_start_ == 1  # the paper's ceil(3/2) = 2nd round
    assert_array_equal(model.predict(X), X[:, 0])


def test_weight_drift_correction_by_hand():
    X, y, sample_domain = _scripted_rows()
    model = TrAdaBoostClassifier(
        ColumnZeroClassifier(), n_estimators=3, correct_weight_drift=True
    )
    with pytest.warns(UserWarning, match="Target error clipped") as record:
        model.fit(X, y, sample_domain=sample_domain)
    assert record[0].filename == __file__  # the warning points at the user's call
    beta = model.source_factor_
    # C_t = 2 (1 - error_t): 1.6 after round 1, 1 after the clipped rounds.
    unnormalised = np.array([1.6 * beta**3, 1.6, 1.6, 1.6, 4, 1, 1, 1, 1])
    assert_allclose(
        model.sample_weight_, unnormalised * 9 / unnormalised.sum(), rtol=1e-7
    )


def test_weight_drift_correction_is_one_in_perfect_rounds():
    # The target rows are all predicted right: every round is clipped, the
    # target weights do not grow, so C_t = 1 and the correction changes nothing
    # (C_t = 2 (1 - clipped error) ~ 2 would double the source each round).
    X, y, sample_domain = stack_domains(
        source=(np.array([[0], [0], [1], [0]]), np.array([1, 0, 1, 0])),
        target=(np.array([[0], [1], [1], [0]]), np.array([0, 1, 1, 0])),
    )
    fits = [
        TrAdaBoostClassifier(
            ColumnZeroClassifier(), n_estimators=4, correct_weight_drift=drift
        )
        for drift in (False, True)
    ]
    for model in fits:
        with pytest.warns(UserWarning, match="4 fit every labeled target row"):
            model.fit(X, y, sample_domain=sample_domain)
    assert_allclose(fits[1].sample_weight_, fits[0].sample_weight_)
    beta = fits[0].source_factor_
    unnormalised = np.array([beta**4, 1, 1, 1, 1, 1, 1, 1])
    assert_allclose(fits[0].sample_weight_, unnormalised * 8 / unnormalised.sum())


def test_without_target_rows_it_is_adaboost():
    X, y = make_classification(
        n_samples=120, n_features=5, flip_y=0.1, random_state=0, shuffle=True
    )
    stump = DecisionTreeClassifier(max_depth=1)
    ours = TrAdaBoostClassifier(stump, n_estimators=8, random_state=0).fit(X, y)
    reference = AdaBoostClassifier(stump, n_estimators=8, random_state=0).fit(X, y)
    assert ours.voting_start_ == 0
    assert_allclose(ours.estimator_errors_, reference.estimator_errors_)
    assert_allclose(ours.estimator_weights_, reference.estimator_weights_)
    assert_array_equal(ours.predict(X), reference.predict(X))


def _concept_shift(seed=0):
    X, y, sample_domain = make_domain_shift(
        300,
        300,
        n_features=2,
        shift="concept",
        strength=1.5,
        noise=0.0,
        random_state=seed,
    )
    target = np.flatnonzero(sample_domain < 0)
    rng = np.random.RandomState(seed)
    labeled = rng.choice(target, size=30, replace=False)
    test = np.setdiff1d(target, labeled)
    y_train = y.copy()
    y_train[test] = -1
    return X, y, y_train, sample_domain, test


def test_source_rows_the_target_disagrees_with_lose_weight():
    X, y, y_train, sample_domain, _ = _concept_shift()
    model = TrAdaBoostClassifier(
        LogisticRegression(), n_estimators=20, random_state=0
    ).fit(X, y_train, sample_domain=sample_domain)
    source = np.flatnonzero(sample_domain >= 0)
    # Label the source rows with a model of the target concept, trained on
    # every target row (an oracle, for the test only).
    oracle = LogisticRegression().fit(X[sample_domain < 0], y[sample_domain < 0])
    agrees = oracle.predict(X[source]) == y[source]
    assert 0.2 < agrees.mean() < 0.95
    weights = model.sample_weight_[source]
    assert weights[~agrees].mean() < 0.5 * weights[agrees].mean()
    assert_array_equal(model.sample_weight_[y_train == -1], 0)


def test_beats_source_only_under_concept_shift():
    X, y, y_train, sample_domain, test = _concept_shift(seed=1)
    source = sample_domain >= 0
    source_only = LogisticRegression().fit(X[source], y[source])
    model = TrAdaBoostClassifier(
        LogisticRegression(), n_estimators=20, random_state=0
    ).fit(X, y_train, sample_domain=sample_domain)
    assert model.score(X[test], y[test]) > source_only.score(X[test], y[test]) + 0.05


def test_deterministic_under_random_state():
    X, y, y_train, sample_domain, test = _concept_shift()
    fits = [
        TrAdaBoostClassifier(n_estimators=10, random_state=3).fit(
            X, y_train, sample_domain=sample_domain
        )
        for _ in range(2)
    ]
    assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))
    assert_array_equal(fits[0].sample_weight_, fits[1].sample_weight_)


def test_sparse_input_matches_dense():
    X, y, y_train, sample_domain, test = _concept_shift()
    kwargs = {"n_estimators": 6, "random_state": 0}
    dense = TrAdaBoostClassifier(**kwargs).fit(X, y_train, sample_domain=sample_domain)
    sparse = TrAdaBoostClassifier(**kwargs).fit(
        sp.csr_matrix(X), y_train, sample_domain=sample_domain
    )
    assert_allclose(sparse.sample_weight_, dense.sample_weight_)
    assert_array_equal(sparse.predict(sp.csr_matrix(X)), dense.predict(X))


def test_resampling_path_for_estimators_without_sample_weight():
    X, y, y_train, sample_domain, test = _concept_shift()
    model = TrAdaBoostClassifier(
        KNeighborsClassifier(n_neighbors=3), n_estimators=5, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(X, y_train, sample_domain=sample_domain)
    assert model.score(X[test], y[test]) > 0.6
    assert all(len(e.classes_) == 2 for e in model.estimators_)


def test_resampling_keeps_every_class():
    y = np.array([0] * 50 + [1] * 50 + [2])
    weights = np.r_[np.full(100, 1.0), 1e-9]
    rows = resample_by_weight(y, weights, np.random.RandomState(0))
    assert set(y[rows]) == {0, 1, 2}
    assert rows.shape[0] == pytest.approx(101, abs=2)


def test_multiclass():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    sample_domain = np.where(np.arange(300) < 240, 1, -2)
    model = TrAdaBoostClassifier(
        DecisionTreeClassifier(max_depth=2), n_estimators=10, random_state=0
    ).fit(X, y, sample_domain=sample_domain)
    proba = model.predict_proba(X)
    assert proba.shape == (300, 3)
    assert_allclose(proba.sum(axis=1), 1)
    assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X))
    assert model.score(X, y) > 0.6


def test_staged_predict_ends_at_predict():
    X, y, y_train, sample_domain, _ = _concept_shift()
    model = TrAdaBoostClassifier(n_estimators=7, random_state=0).fit(
        X, y_train, sample_domain=sample_domain
    )
    stages = list(model.staged_predict(X))
    assert len(stages) == 7
    assert_array_equal(stages[-1], model.predict(X))


def test_sample_weight_is_the_initial_weight():
    X, y, sample_domain = _scripted_rows()
    weights = np.array([2.0, 1, 1, 1, 1, 1, 1, 1, 1])
    model = TrAdaBoostClassifier(ColumnZeroClassifier(), n_estimators=1)
    model.fit(X, y, sample_domain=sample_domain, sample_weight=weights)
    # One round, error 1/5 on the target (unchanged by source weights).
    beta = model.source_factor_
    expected = np.array([2 * beta, 1, 1, 1, 4, 1, 1, 1, 1])
    assert_allclose(model.sample_weight_, expected * 9 / expected.sum())


@pytest.mark.parametrize(
    ("y", "sample_domain", "match"),
    [
        ([0, 1, 0, 1], [-2, -2, -2, -2], "needs source rows"),
        ([0, 1, -1, -1], [1, 1, -2, -2], "needs labeled target rows"),
        ([1, 1, 1, 1], [1, 1, -2, -2], "one class"),
        ([0, -1, 0, 1], [1, 1, -2, -2], "source rows .* carry the unlabeled"),
    ],
)
def test_errors(y, sample_domain, match):
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match=match):
        TrAdaBoostClassifier().fit(X, y, sample_domain=sample_domain)


def test_negative_sample_weight_raises():
    X, y, sample_domain = _scripted_rows()
    with pytest.raises(ValueError, match="Negative values .* `sample_weight`"):
        TrAdaBoostClassifier().fit(
            X, y, sample_domain=sample_domain, sample_weight=-np.ones(9)
        )


class ScriptedProbaClassifier(ClassifierMixin, BaseEstimator):
    """P(class 1) is column 0 of X, whatever the weights."""

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.column_stack([1 - X[:, 0], X[:, 0]])

    def predict(self, X):
        return (X[:, 0] >= 0.5).astype(int)


def test_proba_hypothesis_by_hand():
    # Losses are 1 - confidence in the true class: source 0.1, 0.2, 0.6;
    # target 0.3, 0.1 (uniform weights, so the target error is 0.2).
    X, y, sample_domain = stack_domains(
        source=(np.array([[0.9], [0.2], [0.4]]), np.array([1, 0, 1])),
        target=(np.array([[0.7], [0.1]]), np.array([1, 0])),
    )
    model = TrAdaBoostClassifier(
        ScriptedProbaClassifier(), n_estimators=1, hypothesis="proba"
    ).fit(X, y, sample_domain=sample_domain)
    beta = model.source_factor_
    assert model.estimator_errors_[0] == pytest.approx(0.2)
    assert model.estimator_weights_[0] == pytest.approx(np.log(4))
    unnormalised = np.r_[beta ** np.array([0.1, 0.2, 0.6]), 4 ** np.array([0.3, 0.1])]
    assert_allclose(model.sample_weight_, unnormalised * 5 / unnormalised.sum())
    # One voting round: its confidences are the model's.
    assert_allclose(model.predict_proba(X)[:, 1], X[:, 0])


def test_proba_hypothesis_averages_the_voting_rounds_confidences():
    X, y, y_train, sample_domain, test = _concept_shift()
    model = TrAdaBoostClassifier(
        LogisticRegression(), n_estimators=6, hypothesis="proba", random_state=0
    ).fit(X, y_train, sample_domain=sample_domain)
    start, weights = model.voting_start_, model.estimator_weights_
    expected = (
        sum(
            w * e.predict_proba(X[test])
            for e, w in zip(model.estimators_[start:], weights[start:])
        )
        / weights[start:].sum()
    )
    assert_allclose(model.predict_proba(X[test]), expected)
    assert_array_equal(model.predict(X[test]), model.classes_[expected.argmax(axis=1)])
    # Graded scores, where a hard vote gives a few values.
    assert np.unique(expected[:, 1]).shape[0] > 100


def test_proba_hypothesis_uses_decision_function_without_predict_proba():
    X, y, y_train, sample_domain, test = _concept_shift()
    model = TrAdaBoostClassifier(
        LinearSVC(), n_estimators=4, hypothesis="proba", random_state=0
    ).fit(X, y_train, sample_domain=sample_domain)
    first = model.estimators_[0]
    labeled_target = (sample_domain < 0) & (y_train != -1)
    confidence = 1 / (1 + np.exp(-first.decision_function(X[labeled_target])))
    true = y_train[labeled_target]
    loss = np.where(true == 1, 1 - confidence, confidence)
    assert model.estimator_errors_[0] == pytest.approx(loss.mean())
    assert model.score(X[test], y[test]) > 0.6


def test_proba_hypothesis_needs_confidences():
    X, y, sample_domain = _scripted_rows()
    with pytest.raises(ValueError, match="hypothesis='proba' needs .* predict_proba"):
        TrAdaBoostClassifier(ColumnZeroClassifier(), hypothesis="proba").fit(
            X, y, sample_domain=sample_domain
        )


def test_initial_target_share_scales_the_target_rows():
    X, y, sample_domain = _scripted_rows()
    weights = np.array([2.0, 1, 1, 1, 1, 1, 1, 1, 1])
    model = TrAdaBoostClassifier(
        ColumnZeroClassifier(), n_estimators=1, initial_target_share=0.5
    ).fit(X, y, sample_domain=sample_domain, sample_weight=weights)
    # Start: source 2, 1, 1, 1 (mass 5); the 5 target rows share 5 too, 1
    # each. Round 1 (target error 1/5, as before) multiplies the wrong target
    # row by 4 and the wrong source row by beta.
    beta = model.source_factor_
    expected = np.array([2 * beta, 1, 1, 1, 4, 1, 1, 1, 1])
    assert_allclose(model.sample_weight_, expected * 9 / expected.sum())


def test_initial_target_share_lets_a_swamped_target_count():
    # The source (300 rows of another concept, stacked twice) outweighs the 30
    # labeled target rows 20 to 1; a balanced start follows the target concept.
    X, y, y_train, sample_domain, test = _concept_shift()
    source = sample_domain >= 0
    labeled_target = (sample_domain < 0) & (y_train != -1)
    X_train, y_train, domain = stack_domains(
        source=[(X[source], y[source])] * 2,
        target=(X[labeled_target], y[labeled_target]),
    )
    scores = {}
    for share in (None, 0.5):
        model = TrAdaBoostClassifier(
            LogisticRegression(),
            n_estimators=10,
            hypothesis="proba",
            initial_target_share=share,
            random_state=0,
        ).fit(X_train, y_train, sample_domain=domain)
        scores[share] = model.score(X[test], y[test])
    assert scores[0.5] > scores[None] + 0.05
