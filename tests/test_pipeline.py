"""LabeledOnly, TransferPipeline and sample_domain through sklearn's tools."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktransfer import (
    KernelMeanMatching,
    LabeledOnly,
    TrAdaBoostClassifier,
    TransferPipeline,
    make_transfer_pipeline,
    stack_domains,
)


class DomainRecorder(TransformerMixin, BaseEstimator):
    """A pass-through consumer that remembers the sample_domain it was fit with."""

    __metadata_request__fit = {"sample_domain": True}

    def fit(self, X, y=None, sample_domain=None):
        self.sample_domain_ = None if sample_domain is None else np.array(sample_domain)
        return self

    def transform(self, X):
        return X


@pytest.fixture
def domains():
    rng = np.random.RandomState(0)
    Xs = rng.normal(size=(30, 3))
    ys = (Xs[:, 0] > 0).astype(int)
    Xt = rng.normal(loc=0.5, size=(20, 3))
    yt = (Xt[:, 0] > 0.5).astype(int)
    yt[10:] = -1
    return stack_domains(source=(Xs, ys), target=(Xt, yt))


ROUTING = pytest.mark.parametrize("routing", [False, True], ids=["routing-off", "on"])


def test_labeled_only_drops_unlabeled_rows(domains):
    X, y, sample_domain = domains
    model = LabeledOnly(LogisticRegression()).fit(X, y, sample_domain=sample_domain)
    labeled = y != -1
    reference = LogisticRegression().fit(X[labeled], y[labeled])
    assert model.n_training_rows_ == labeled.sum() == 40
    assert_allclose(model.estimator_.coef_, reference.coef_)
    assert_array_equal(model.classes_, [0, 1])
    assert model.predict(X).shape == (50,)


@pytest.mark.parametrize(
    ("domains_param", "expected_rows"),
    [("all", 40), ("source", 30), ("target", 10)],
)
def test_labeled_only_domain_baselines(domains, domains_param, expected_rows):
    X, y, sample_domain = domains
    model = LabeledOnly(LogisticRegression(), domains=domains_param)
    model.fit(X, y, sample_domain=sample_domain)
    assert model.n_training_rows_ == expected_rows


def test_labeled_only_infers_domains_from_masks(domains):
    X, y, _ = domains
    # Without sample_domain, the labeled target rows count as source.
    model = LabeledOnly(LogisticRegression(), domains="source").fit(X, y)
    assert model.n_training_rows_ == 40
    with pytest.raises(ValueError, match="no labeled rows to fit on"):
        LabeledOnly(LogisticRegression(), domains="target").fit(X, y)


def test_labeled_only_regression_masks_nan():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 2))
    y = X @ [1.0, -2.0]
    y[::4] = np.nan
    y[1] = -1.0  # a real value for a regressor, not a marker
    model = LabeledOnly(LinearRegression()).fit(X, y)
    assert model.n_training_rows_ == 15


def test_labeled_only_subsets_sample_weight_and_fit_params(domains):
    X, y, sample_domain = domains
    weights = np.linspace(0.5, 2.0, X.shape[0])
    model = LabeledOnly(LogisticRegression()).fit(
        X, y, sample_domain=sample_domain, sample_weight=weights
    )
    labeled = y != -1
    reference = LogisticRegression().fit(
        X[labeled], y[labeled], sample_weight=weights[labeled]
    )
    assert_allclose(model.estimator_.coef_, reference.coef_)


def test_labeled_only_score_ignores_unlabeled(domains):
    X, y, sample_domain = domains
    model = LabeledOnly(LogisticRegression()).fit(X, y, sample_domain=sample_domain)
    labeled = y != -1
    assert model.score(X, y) == pytest.approx(
        model.estimator_.score(X[labeled], y[labeled])
    )
    with pytest.raises(ValueError, match="needs labeled rows"):
        model.score(X[~labeled], y[~labeled])


def test_labeled_only_errors(domains):
    X, y, sample_domain = domains
    with pytest.raises(ValueError, match="requires y to be passed"):
        LabeledOnly(StandardScaler()).fit(X, None)
    with pytest.raises(ValueError, match="found no labeled rows"):
        LabeledOnly(LogisticRegression()).fit(X, np.full(X.shape[0], -1))
    with pytest.raises(ValueError, match="X has 50 rows but y has 49 labels"):
        LabeledOnly().fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_domain has 3 entries"):
        LabeledOnly(domains="source").fit(X, y, sample_domain=[1, 1, -2])
    with pytest.raises(TypeError, match="integer domain ids"):
        LabeledOnly(domains="source").fit(X, y, sample_domain=sample_domain * 1.0)
    with pytest.raises(ValueError, match="domains"):
        LabeledOnly(domains="both").fit(X, y)


def test_labeled_only_default_estimator_and_pickle(domains):
    X, y, sample_domain = domains
    model = LabeledOnly().fit(X, y, sample_domain=sample_domain)
    assert isinstance(model.estimator_, LogisticRegression)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict(X), model.predict(X))
    assert clone(model).get_params()["estimator"] is None


def test_labeled_only_tags_follow_estimator():
    assert sklearn.base.is_classifier(LabeledOnly(LogisticRegression()))
    assert sklearn.base.is_regressor(LabeledOnly(LinearRegression()))
    assert not hasattr(LabeledOnly(LogisticRegression()), "transform")
    assert hasattr(LabeledOnly(StandardScaler()), "transform")


def test_make_transfer_pipeline_wraps_final_predictor():
    pipe = make_transfer_pipeline(StandardScaler(), LogisticRegression())
    assert isinstance(pipe, TransferPipeline)
    assert [name for name, _ in pipe.steps] == ["standardscaler", "logisticregression"]
    assert isinstance(pipe.steps[-1][1], LabeledOnly)
    already = make_transfer_pipeline(
        LabeledOnly(LogisticRegression(), domains="source")
    )
    assert already.steps[-1][1].domains == "source"
    transformer_only = make_transfer_pipeline(StandardScaler())
    assert isinstance(transformer_only.steps[-1][1], StandardScaler)
    # Transfer estimators read sample_domain and the unlabeled rows themselves.
    for transfer in (TrAdaBoostClassifier(), KernelMeanMatching()):
        kept = make_transfer_pipeline(StandardScaler(), transfer)
        assert kept.steps[-1][1] is transfer
    with pytest.raises(ValueError, match="at least one step"):
        make_transfer_pipeline()


@ROUTING
def test_transfer_pipeline_hands_sample_domain_to_every_consumer(domains, routing):
    X, y, sample_domain = domains
    pipe = make_transfer_pipeline(DomainRecorder(), LogisticRegression())
    with sklearn.config_context(enable_metadata_routing=routing):
        pipe.fit(X, y, sample_domain=sample_domain)
    assert_array_equal(pipe.named_steps["domainrecorder"].sample_domain_, sample_domain)
    assert pipe.steps[-1][1].n_training_rows_ == 40


@ROUTING
def test_sample_domain_accepted_at_predict_time(domains, routing):
    X, y, sample_domain = domains
    pipe = make_transfer_pipeline(StandardScaler(), LogisticRegression())
    with sklearn.config_context(enable_metadata_routing=routing):
        pipe.fit(X, y, sample_domain=sample_domain)
        expected = pipe.predict(X)
        assert_array_equal(pipe.predict(X, sample_domain=sample_domain), expected)
        proba = pipe.predict_proba(X, sample_domain=sample_domain)
    assert_array_equal(proba.argmax(axis=1), expected)


def test_transfer_pipeline_without_consumer_raises(domains):
    X, y, sample_domain = domains
    pipe = TransferPipeline([("scale", StandardScaler())])
    with pytest.raises(TypeError, match="no step of this pipeline accepts it"):
        pipe.fit(X, y, sample_domain=sample_domain)


@ROUTING
def test_plain_pipeline(domains, routing):
    X, y, sample_domain = domains
    pipe = Pipeline(
        [("rec", DomainRecorder()), ("clf", LabeledOnly(LogisticRegression()))]
    )
    with sklearn.config_context(enable_metadata_routing=routing):
        if routing:
            pipe.fit(X, y, sample_domain=sample_domain)
        else:
            pipe.fit(X, y, rec__sample_domain=sample_domain)
    assert_array_equal(pipe.named_steps["rec"].sample_domain_, sample_domain)


@ROUTING
def test_cross_validate_routes_fold_subsets(domains, routing):
    X, y, sample_domain = domains
    pipe = make_transfer_pipeline(DomainRecorder(), LogisticRegression())
    cv = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=routing):
        result = cross_validate(
            pipe,
            X,
            y,
            params={"sample_domain": sample_domain},
            cv=cv,
            return_estimator=True,
            return_indices=True,
        )
    for fitted, train in zip(result["estimator"], result["indices"]["train"]):
        seen = fitted.named_steps["domainrecorder"].sample_domain_
        assert_array_equal(seen, sample_domain[train])


@ROUTING
@pytest.mark.parametrize("wrap", ["transfer_pipeline", "estimator"])
def test_grid_search_routes_sample_domain(domains, routing, wrap):
    X, y, sample_domain = domains
    if wrap == "estimator":
        search = GridSearchCV(
            LabeledOnly(LogisticRegression(), domains="source"),
            {"estimator__C": [0.1, 1.0]},
            cv=3,
        )
    else:
        search = GridSearchCV(
            make_transfer_pipeline(DomainRecorder(), LogisticRegression()),
            {"logisticregression__estimator__C": [0.1, 1.0]},
            cv=3,
        )
    with sklearn.config_context(enable_metadata_routing=routing):
        search.fit(X, y, sample_domain=sample_domain)
    best = search.best_estimator_
    if wrap == "estimator":
        # Refit on all rows: only the 30 labeled source rows are used.
        assert best.n_training_rows_ == 30
    else:
        assert_array_equal(
            best.named_steps["domainrecorder"].sample_domain_, sample_domain
        )


def test_grid_search_without_sample_domain_differs(domains):
    # Guard against a vacuous pass: without sample_domain, domains="source"
    # treats the labeled target rows as source.
    X, y, _ = domains
    search = GridSearchCV(
        LabeledOnly(LogisticRegression(), domains="source"), {"estimator__C": [1.0]}
    )
    search.fit(X, y)
    assert search.best_estimator_.n_training_rows_ == 40


def test_import_changes_no_global_state():
    code = (
        "import numpy as np, sklearn, random\n"
        "before = sklearn.get_config(); np.random.seed(7); r = np.random.rand()\n"
        "np.random.seed(7); py = random.getstate()\n"
        "import sktransfer, sktransfer.datasets, sktransfer.utils\n"
        "assert sklearn.get_config() == before, 'sklearn config changed'\n"
        "assert np.random.rand() == r, 'numpy global RNG touched'\n"
        "assert random.getstate() == py, 'random module RNG touched'\n"
        "sktransfer.utils.all_estimators()\n"
        "assert sklearn.get_config() == before\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
