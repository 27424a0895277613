"""The one validator (check_domain_data) and the base classes built on it."""

import logging

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

from sktransfer import LabeledOnly, make_transfer_pipeline, stack_domains
from sktransfer._domain import check_domain_data, check_sample_domain
from sktransfer.base import report_progress, seed_nested_estimators


def _labeled_data(seed=0):
    rng = np.random.RandomState(seed)
    Xs, ys = rng.normal(size=(40, 3)), np.tile([0, 1], 20)
    Xt, yt = rng.normal(0.5, size=(20, 3)), np.tile([0, 1, -1, -1], 5)
    return stack_domains(source=(Xs, ys), target=(Xt, yt))


# -- check_domain_data ---------------------------------------------------------------


def test_record_holds_masks_and_inferred_domains():
    X, y, sample_domain = _labeled_data()
    data = check_domain_data(BaseEstimator(), X, y, task="classification")
    assert data.domain_inferred
    assert_array_equal(data.labeled, y != -1)
    assert_array_equal(data.is_target, y == -1)
    given = check_domain_data(BaseEstimator(), X, y, sample_domain)
    assert not given.domain_inferred
    assert_array_equal(given.labeled_target, (sample_domain < 0) & (y != -1))
    assert_array_equal(given.weights(), np.ones(X.shape[0]))


def test_requires_y_in_sklearn_words():
    with pytest.raises(ValueError, match="requires y to be passed, but the target y"):
        check_domain_data(BaseEstimator(), np.zeros((3, 2)))


def test_wrong_length_labels_and_weights_are_named():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="X has 4 rows but y has 3 labels"):
        check_domain_data(BaseEstimator(), X, [0, 1, 0])
    with pytest.raises(ValueError, match="sample_weight has 2 entries but X has 4"):
        check_domain_data(BaseEstimator(), X, [0, 1, 0, 1], sample_weight=[1, 2])


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, -1.0, 1.0, 1.0], "Negative values"),
        ([1.0, np.nan, 1.0, 1.0], "NaN"),
        ([1.0, np.inf, 1.0, 1.0], "infinity"),
        ([0.0, 0.0, 0.0, 0.0], "non-zero"),
        ([0.0, 0.0, 0.0, 1.0], "positive total weight"),
    ],
)
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(ValueError, match=message):
        check_domain_data(
            BaseEstimator(), np.zeros((4, 2)), [0, 1, 0, -1], sample_weight=weights
        )


def test_huge_unsigned_domain_ids_do_not_wrap_to_target():
    ids = np.array([1, 2**63 + 5], dtype=np.uint64)
    with pytest.raises(ValueError, match="wrap around to a negative"):
        check_sample_domain(ids, 2)


def test_minus_one_as_a_real_class_is_refused():
    # Labels {-1, 1} without sample_domain: -1 would silently become "unlabeled".
    X = np.random.RandomState(0).normal(size=(6, 2))
    with pytest.raises(ValueError, match="re-encode the labels"):
        LabeledOnly(LogisticRegression()).fit(X, [-1, 1, -1, 1, -1, 1])
    # With sample_domain marking them source, the collision is named too.
    with pytest.raises(ValueError, match="source rows .* carry the unlabeled marker"):
        LabeledOnly(LogisticRegression()).fit(
            X, [-1, 1, -1, 1, -1, 1], sample_domain=np.ones(6, dtype=int)
        )


def test_dataframe_with_text_columns_names_them_and_the_encoder():
    frame = pd.DataFrame(
        {"amount": [1.0, 2.0, 3.0, 4.0], "merchant": ["a", "b", "a", "c"]}
    )

    class Numeric(BaseEstimator):
        pass

    with pytest.raises(ValueError, match="'merchant'.*OneHotEncoder") as error:
        check_domain_data(Numeric(), frame, [0, 1, 0, 1], dtype=np.float64)
    assert "make_transfer_pipeline" in str(error.value)
    assert "could not convert" not in str(error.value)


def test_validate_X_false_keeps_documents_for_the_inner_estimator():
    docs = ["cheap phone", "great book", "phone case", "long novel"]
    data = check_domain_data(
        BaseEstimator(), docs, [0, 1, 0, -1], validate_X=False, task="classification"
    )
    assert docs == data.X
    assert_array_equal(data.sample_domain, [1, 1, 1, -2])


# -- stack_domains ---------------------------------------------------------------------


def test_stack_domains_takes_raw_text_and_labeled_only_fits_it():
    source = (["cheap phone", "great book", "phone case", "long novel"], [0, 1, 0, 1])
    target = ["tablet", "kindle book"]
    X, y, sample_domain = stack_domains(source=source, target=(target, None))
    assert [*source[0], *target] == X
    assert_array_equal(y, [0, 1, 0, 1, -1, -1])
    model = LabeledOnly(make_pipeline(TfidfVectorizer(), LogisticRegression()))
    model.fit(X, y, sample_domain=sample_domain)
    assert model.predict(target).shape == (2,)


def test_stack_domains_numbers_in_1d_still_get_reshape_advice():
    with pytest.raises(ValueError, match="reshape"):
        stack_domains(source=(np.arange(3.0), [0, 1, 0]))


def test_stack_domains_keeps_categorical_dtype_across_domains():
    source = pd.DataFrame({"product": pd.Categorical(["card", "loan"]), "v": [1, 2]})
    target = pd.DataFrame({"product": pd.Categorical(["bnpl"]), "v": [3]})
    X, _, _ = stack_domains(source=(source, [0, 1]), target=(target, None))
    assert isinstance(X["product"].dtype, pd.CategoricalDtype)
    assert list(X["product"].cat.categories) == ["card", "loan", "bnpl"]
    assert list(X["product"]) == ["card", "loan", "bnpl"]


def test_stack_domains_refuses_ordered_categories_that_differ():
    source = pd.DataFrame({"grade": pd.Categorical(["a", "b"], ordered=True)})
    target = pd.DataFrame({"grade": pd.Categorical(["c"], ordered=True)})
    with pytest.raises(ValueError, match="ordered categorical"):
        stack_domains(source=(source, [0, 1]), target=(target, None))


# -- base classes --------------------------------------------------------------------


def test_report_progress_prints_to_stderr_without_logging_configured(capsys):
    logger = logging.getLogger("sktransfer.tests.unconfigured")
    logger.propagate = False  # no handler anywhere above it
    report_progress(logger, 1, "round %d of %d", 3, 10)
    report_progress(logger, 0, "hidden")
    report_progress(logger, 1, "too detailed", level=2)
    assert capsys.readouterr().err == "round 3 of 10\n"


def test_report_progress_uses_logging_when_configured(caplog):
    logger = logging.getLogger("sktransfer.tests.configured")
    with caplog.at_level(logging.INFO, logger="sktransfer.tests.configured"):
        report_progress(logger, 1, "round %d", 1)
    assert [r.getMessage() for r in caplog.records] == ["round 1"]


def test_seed_nested_estimators_is_deterministic_and_keeps_given_seeds():
    pipe = make_pipeline(
        DecisionTreeClassifier(), DecisionTreeClassifier(random_state=7)
    )
    first = seed_nested_estimators(pipe, 0).get_params()
    again = seed_nested_estimators(
        make_pipeline(DecisionTreeClassifier(), DecisionTreeClassifier(random_state=7)),
        0,
    ).get_params()
    seeds = [
        (
            params["decisiontreeclassifier-1__random_state"],
            params["decisiontreeclassifier-2__random_state"],
        )
        for params in (first, again)
    ]
    assert seeds[0] == seeds[1]
    assert seeds[0][0] is not None
    assert seeds[0][1] == 7


def test_labeled_only_routes_sample_weight_with_routing_on():
    X, y, sample_domain = _labeled_data()
    weights = np.linspace(0.5, 2.0, X.shape[0])
    labeled = y != -1
    expected = LogisticRegression().fit(
        X[labeled], y[labeled], sample_weight=weights[labeled]
    )
    with config_context(enable_metadata_routing=True):
        inner = LogisticRegression().set_fit_request(sample_weight=True)
        model = LabeledOnly(inner).set_score_request(sample_weight=True)
        search = GridSearchCV(model, {"estimator__C": [1.0]}, cv=KFold(2))
        search.fit(X, y, sample_domain=sample_domain, sample_weight=weights)
        model = search.best_estimator_
    assert_allclose(model.estimator_.coef_, expected.coef_)


def test_labeled_only_refuses_unrequested_weights_with_routing_on():
    X, y, sample_domain = _labeled_data()
    with (
        config_context(enable_metadata_routing=True),
        pytest.raises(ValueError, match="sample_weight"),
    ):
        LabeledOnly(LogisticRegression()).fit(
            X, y, sample_domain=sample_domain, sample_weight=np.ones(X.shape[0])
        )


def test_transfer_pipeline_checks_sample_domain_before_any_step():
    X, y, sample_domain = _labeled_data()
    pipe = make_transfer_pipeline(LogisticRegression())
    with pytest.raises(ValueError, match="sample_domain has 3 entries but X has 60"):
        pipe.fit(X, y, sample_domain=sample_domain[:3])


@pytest.mark.parametrize("make", ["pipeline", "tradaboost"])
def test_text_columns_reaching_a_numeric_model_are_named(make):
    # The inner model fails deep in numpy; the error names the column instead.
    from sktransfer import TrAdaBoostClassifier

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {"amount": rng.normal(size=40), "merchant": rng.choice(list("abc"), 40)}
    )
    y = np.tile([0, 1, 0, -1], 10)
    sample_domain = np.where(y == -1, -2, 1)
    sample_domain[:4] = -2
    model = (
        make_transfer_pipeline(LogisticRegression())
        if make == "pipeline"
        else TrAdaBoostClassifier()
    )
    with pytest.raises(ValueError, match="'merchant'.*OneHotEncoder") as error:
        model.fit(frame, y, sample_domain=sample_domain)
    assert "could not convert" not in str(error.value)
