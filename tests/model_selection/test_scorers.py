import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from sktransfer import KernelMeanMatching, make_transfer_pipeline, stack_domains
from sktransfer.metrics import domain_classifier_ratio
from sktransfer.model_selection import (
    DomainShuffleSplit,
    ImportanceWeightedScorer,
    PredictionEntropyScorer,
    ReverseValidationScorer,
    TargetScorer,
)

SCORERS = [
    TargetScorer(),
    ImportanceWeightedScorer(),
    ReverseValidationScorer(),
    PredictionEntropyScorer(),
]


class _Threshold(ClassifierMixin, BaseEstimator):
    """Predicts 1 where the first feature exceeds ``at`` (or the reverse)."""

    def __init__(self, at=0.0, flip=False):
        self.at = at
        self.flip = flip

    def fit(self, X, y, sample_domain=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        above = (np.asarray(X)[:, 0] > self.at).astype(int)
        return 1 - above if self.flip else above


def _stack(X_source, y_source, X_target):
    X = np.vstack([X_source, X_target])
    y = np.r_[y_source, -np.ones(X_target.shape[0], dtype=int)]
    sample_domain = np.r_[np.ones(len(X_source)), -2 * np.ones(len(X_target))]
    return X, y, sample_domain.astype(int)


def test_scorers_request_sample_domain():
    for scorer in SCORERS:
        requests = scorer.get_metadata_routing().score.requests
        assert requests == {"sample_domain": True}
        assert repr(scorer).startswith(type(scorer).__name__ + "(")


def test_target_scorer_scores_only_labeled_target_rows():
    model = _Threshold().fit(None, None)
    X = np.array([[1.0], [-1.0], [1.0], [-1.0], [1.0]])
    # The two source rows are predicted wrongly, the target rows rightly.
    y = np.array([0, 1, 1, 0, -1])
    sample_domain = np.array([1, 1, -2, -2, -2])
    assert TargetScorer()(model, X, y, sample_domain=sample_domain) == 1.0
    assert TargetScorer("accuracy")(model, X, y) == 0.5
    with pytest.raises(ValueError, match="no labeled target row"):
        TargetScorer()(model, X, y, sample_domain=np.abs(sample_domain))


def _covariate_shift(n, seed):
    """Same p(y|x) in both domains; labels are noisy only where x > 1."""
    rng = np.random.RandomState(seed)
    X_source = rng.normal(0, 1, (n, 1))
    X_target = rng.normal(1.2, 1, (n, 1))

    def label(X):
        clean = (X[:, 0] > 0).astype(int)
        flip = (X[:, 0] > 1) & (rng.uniform(size=X.shape[0]) < 0.3)
        return np.where(flip, 1 - clean, clean)

    return X_source, label(X_source), X_target, label(X_target)


def test_density_ratio_of_two_gaussians():
    rng = np.random.RandomState(0)
    X_source, X_target = rng.normal(0, 1, (4000, 1)), rng.normal(1, 1, (4000, 1))
    ratio = domain_classifier_ratio(X_source, X_target)
    exact = np.exp(X_source[:, 0] - 0.5)
    exact /= exact.mean()
    central = np.abs(X_source[:, 0]) < 2
    assert_allclose(ratio[central], exact[central], rtol=0.15)


def test_importance_weighting_recovers_the_target_accuracy():
    X_source, y_source, X_target, y_target = _covariate_shift(3000, 0)
    model = _Threshold().fit(None, None)
    true_target = np.mean(model.predict(X_target) == y_target)
    source = np.mean(model.predict(X_source) == y_source)
    X, y, sample_domain = _stack(X_source, y_source, X_target)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the weights are not degenerate here
        weighted = ImportanceWeightedScorer()(model, X, y, sample_domain=sample_domain)
    assert abs(source - true_target) > 0.1
    assert abs(weighted - true_target) < 0.03
    # Routing off: the unlabeled rows are the target rows.
    assert ImportanceWeightedScorer()(model, X, y) == weighted


def test_importance_weighting_warns_when_domains_barely_overlap():
    rng = np.random.RandomState(0)
    X_source, X_target = rng.normal(0, 1, (300, 1)), rng.normal(4, 1, (300, 1))
    X, y, _ = _stack(X_source, (X_source[:, 0] > 0).astype(int), X_target)
    with pytest.warns(UserWarning, match="effective sample size"):
        ImportanceWeightedScorer()(_Threshold().fit(None, None), X, y)


def test_label_free_scorers_need_both_domains():
    X, y = np.zeros((4, 1)), np.array([0, 1, 0, 1])
    for scorer in (ImportanceWeightedScorer(), ReverseValidationScorer()):
        with pytest.raises(ValueError, match="labeled source rows and target rows"):
            scorer(_Threshold(), X, y)


def test_reverse_validation_rewards_right_target_labels():
    rng = np.random.RandomState(0)
    X_source, X_target = rng.normal(0, 1, (300, 2)), rng.normal(0.5, 1, (300, 2))
    X, y, sample_domain = _stack(X_source, (X_source[:, 0] > 0).astype(int), X_target)
    scorer = ReverseValidationScorer(reverse_estimator=LogisticRegression())
    right = scorer(_Threshold(), X, y, sample_domain=sample_domain)
    wrong = scorer(_Threshold(flip=True), X, y, sample_domain=sample_domain)
    assert right > 0.95
    assert wrong < 0.05


def test_reverse_validation_with_one_predicted_class_predicts_it():
    X_source = np.linspace(-1, 1, 10)[:, None]
    y_source = np.r_[np.zeros(7, dtype=int), np.ones(3, dtype=int)]
    X, y, _ = _stack(X_source, y_source, np.full((5, 1), 3.0))
    # Every target row is above 0: one class, so the reverse model predicts 1.
    assert ReverseValidationScorer()(_Threshold(), X, y) == pytest.approx(0.3)


def test_reverse_validation_transfers_back_with_a_transfer_estimator():
    rng = np.random.RandomState(1)
    X_source, X_target = rng.normal(0, 1, (200, 2)), rng.normal(0.5, 1, (200, 2))
    y_source = (X_source[:, 0] > 0).astype(int)
    X, y, sample_domain = _stack(X_source, y_source, X_target)
    model = KernelMeanMatching(LogisticRegression(), B=10).fit(
        X, y, sample_domain=sample_domain
    )
    score = ReverseValidationScorer()(model, X, y, sample_domain=sample_domain)
    assert 0.9 < score <= 1.0


class _RecordingReverse(_Threshold):
    calls = []

    def fit(self, X, y, sample_domain=None):
        type(self).calls.append((np.asarray(X)[:, 0], np.asarray(y), sample_domain))
        return super().fit(X, y)


def test_reverse_fit_swaps_the_domains():
    X = np.array([[-1.0], [1.0], [-2.0], [2.0], [3.0]])
    y = np.array([0, 1, 0, -1, -1])
    _RecordingReverse.calls = []
    ReverseValidationScorer(reverse_estimator=_RecordingReverse())(
        _Threshold(at=2.5), X, y, sample_domain=np.array([1, 1, 1, -2, -2])
    )
    ((rows, labels, domains),) = _RecordingReverse.calls
    # Target rows first, labeled by the model; source rows after, unlabeled.
    assert_allclose(rows, [2.0, 3.0, -1.0, 1.0, -2.0])
    assert labels.tolist() == [0, 1, -1, -1, -1]
    assert domains.tolist() == [1, 1, -2, -2, -2]


def test_reverse_validation_refuses_string_labels_for_transfer_estimators():
    X = np.r_[np.linspace(-1, 1, 6), np.linspace(-1, 1, 4)][:, None]
    y = np.array(["a", "b", "a", "b", "a", "b", -1, -1, -1, -1], dtype=object)
    model = DecisionTreeClassifier().fit(X[:6], y[:6].astype(str))
    scorer = ReverseValidationScorer(reverse_estimator=KernelMeanMatching())
    with pytest.raises(TypeError, match="LabelEncoder"):
        scorer(
            model, X, y, sample_domain=np.r_[np.ones(6), -2 * np.ones(4)].astype(int)
        )


def test_prediction_entropy_closed_forms():
    X = np.zeros((6, 1))
    uniform2 = DummyClassifier(strategy="prior").fit(X[:2], [0, 1])
    uniform3 = DummyClassifier(strategy="prior").fit(X[:3], [0, 1, 2])
    certain = DummyClassifier(strategy="constant", constant=1).fit(X[:2], [0, 1])
    y = np.array([0, 1, -1, -1, -1, -1])
    scorer = PredictionEntropyScorer()
    assert scorer(uniform2, X, y) == pytest.approx(-np.log(2))
    assert scorer(uniform3, X, y) == pytest.approx(-np.log(3))
    assert scorer(certain, X, y) == pytest.approx(0.0)


def test_prediction_entropy_uses_only_target_rows():
    # Probabilities depend on the row: sure on the source rows, unsure on target.
    X = np.r_[np.full((10, 1), -5.0), np.zeros((10, 1))]
    model = LogisticRegression().fit(np.r_[X[:10], -X[:10]], np.r_[[0] * 10, [1] * 10])
    sample_domain = np.r_[np.ones(10), -2 * np.ones(10)].astype(int)
    value = PredictionEntropyScorer()(model, X, None, sample_domain=sample_domain)
    proba = model.predict_proba(X[10:])
    assert value == pytest.approx(-np.mean(-np.sum(proba * np.log(proba), axis=1)))
    assert value < -0.6


def test_prediction_entropy_errors():
    X, y = np.zeros((3, 1)), np.array([0, 1, 0])
    with pytest.raises(TypeError, match="predict_proba"):
        PredictionEntropyScorer()(_Threshold(), X, y)
    model = DummyClassifier().fit(X, y)
    with pytest.raises(ValueError, match="no target row"):
        PredictionEntropyScorer()(model, X, y)


def test_importance_weighted_scorer_with_a_scoring_name():
    X_source, y_source, X_target, _ = _covariate_shift(400, 2)
    X, y, _ = _stack(X_source, y_source, X_target)
    model = LogisticRegression().fit(X_source, y_source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_name = ImportanceWeightedScorer("accuracy")(model, X, y)
        by_score = ImportanceWeightedScorer()(model, X, y)
    assert by_name == by_score


# -- tables, and failures inside a search --------------------------------------------


def _categorical_domains(seed=0):
    """A DataFrame with a categorical column whose frequencies shift."""
    rng = np.random.RandomState(seed)

    def frame(n, shift, web):
        return pd.DataFrame(
            {
                "amount": rng.normal(shift, 1, n),
                "channel": pd.Categorical(
                    rng.choice(["web", "shop"], n, p=[web, 1 - web])
                ),
            }
        )

    X_source, X_target = frame(300, 0.0, 0.3), frame(200, 0.5, 0.7)
    noise = rng.normal(0, 1, 300)
    y_source = X_source["amount"] + (X_source["channel"] == "web") + noise > 0.5
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source.astype(int).to_numpy()), target=(X_target, None)
    )
    return X, y, sample_domain


def _encoder():
    return ColumnTransformer(
        [("cat", OneHotEncoder(), ["channel"])], remainder=StandardScaler()
    )


def _search(scoring):
    pipe = make_transfer_pipeline(_encoder(), LogisticRegression())
    return GridSearchCV(
        pipe,
        {"logisticregression__estimator__C": [0.001, 1.0]},
        cv=DomainShuffleSplit(3, random_state=0),
        scoring=scoring,
    )


def test_importance_weighted_search_on_a_dataframe_with_categorical_columns():
    X, y, sample_domain = _categorical_domains()
    scorer = ImportanceWeightedScorer(
        domain_classifier=make_pipeline(_encoder(), LogisticRegression())
    )
    search = _search(scorer).fit(X, y, sample_domain=sample_domain)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    assert scores[1] > scores[0]  # C=0.001 underfits
    assert search.best_params_ == {"logisticregression__estimator__C": 1.0}


def test_a_failing_scorer_stops_the_search_instead_of_scoring_nan():
    X, y, sample_domain = _categorical_domains()
    # The default domain classifier needs numeric columns: every fold fails.
    with pytest.raises(ValueError, match=r"scoring must return a number.*'channel'"):
        _search(ImportanceWeightedScorer()).fit(X, y, sample_domain=sample_domain)
    # error_score="raise" gets the scorer's own error.
    search = _search(ImportanceWeightedScorer()).set_params(error_score="raise")
    with pytest.raises(ValueError, match=r"columns \['channel'\] are categorical"):
        search.fit(X, y, sample_domain=sample_domain)


@pytest.mark.parametrize("multimetric", [False, True])
def test_the_other_scorers_stop_cross_validation_too(multimetric):
    X_source, y_source, X_target, _ = _covariate_shift(200, 0)
    X, y, sample_domain = _stack(X_source, y_source, X_target)
    scorer = PredictionEntropyScorer()  # LinearSVC has no predict_proba
    scoring = {"entropy": scorer} if multimetric else scorer
    with pytest.raises(ValueError, match="PredictionEntropyScorer failed .TypeError"):
        cross_validate(
            make_transfer_pipeline(LinearSVC()),
            X,
            y,
            cv=DomainShuffleSplit(2, random_state=0),
            groups=sample_domain,
            params={"sample_domain": sample_domain},
            scoring=scoring,
        )
    # Called directly, a scorer raises its own error as before.
    with pytest.raises(TypeError, match="needs predict_proba"):
        scorer(LinearSVC().fit(X_source, y_source), X, y)


def test_importance_weighted_scorer_refuses_domains_that_do_not_overlap():
    rng = np.random.RandomState(0)
    X_source, X_target = rng.normal(0, 1, (200, 2)), rng.normal(10, 1, (200, 2))
    y_source = (X_source[:, 0] > 0).astype(int)
    X, y, _ = _stack(X_source, y_source, X_target)
    model = LogisticRegression().fit(X_source, y_source)
    with pytest.raises(ValueError, match="do not overlap"):
        ImportanceWeightedScorer()(model, X, y)


@pytest.mark.parametrize("scorer", SCORERS, ids=lambda s: type(s).__name__)
def test_scorers_refuse_labels_of_the_wrong_length(scorer):
    X_source, y_source, X_target, _ = _covariate_shift(50, 0)
    X, y, _ = _stack(X_source, y_source, X_target)
    model = LogisticRegression().fit(X_source, y_source)
    with pytest.raises(ValueError, match="X has 100 rows but y has 99 labels"):
        scorer(model, X, y[:-1])


@pytest.mark.parametrize("scorer", SCORERS[:3], ids=lambda s: type(s).__name__)
def test_scorers_that_read_labels_require_them(scorer):
    X_source, y_source, X_target, _ = _covariate_shift(50, 0)
    X, _, sample_domain = _stack(X_source, y_source, X_target)
    model = LogisticRegression().fit(X_source, y_source)
    with pytest.raises(ValueError, match="requires y to be passed"):
        scorer(model, X, None, sample_domain=sample_domain)
