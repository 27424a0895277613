import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from sktransfer.model_selection import NegativeTransferWarning
from sktransfer.relational import (
    PredicateMapper,
    RelationalGraph,
    RelationalTransferClassifier,
    fit_prior_logistic,
)
from sktransfer.relational._mapping import Mapping, mapped_model

SOURCE_NAMES = {"acted": "actedin", "directed": "directed", "knows": "knows"}
TARGET_NAMES = {"acted": "takes", "directed": "teaches", "knows": "friend"}


def _world(names, *, kinds, target, n=60, seed=0, prefix="", reverse_directed=False):
    """People ``a*`` take part in 1-2 items; each ``d*`` leads two items.

    ``(a, d)`` holds when ``d`` leads the first item ``a`` takes part in.
    """
    rng = np.random.RandomState(seed)
    acted, directed, knows = names["acted"], names["directed"], names["knows"]
    triples = []
    for m in range(n):
        lead = (f"{prefix}d{m // 2}", directed, f"{prefix}m{m}")
        triples.append(lead[::-1] if reverse_directed else lead)
    positives = []
    for i in range(n):
        items = rng.choice(n, 1 + rng.randint(2), replace=False)
        triples += [(f"{prefix}a{i}", acted, f"{prefix}m{m}") for m in items]
        positives.append([f"{prefix}a{i}", f"{prefix}d{items[0] // 2}"])
    people = [f"{prefix}a{i}" for i in range(n)] + [
        f"{prefix}d{j}" for j in range(n // 2)
    ]
    triples += [(rng.choice(people), knows, rng.choice(people)) for _ in range(n)]
    item = kinds
    schema = {
        acted: ("person", item),
        directed: (item, "person") if reverse_directed else ("person", item),
        knows: ("person", "person"),
        target: ("person", "person"),
    }
    graph = RelationalGraph.from_triples(triples, schema=schema)
    negatives = [[f"{prefix}a{i}", f"{prefix}d{rng.randint(n // 2)}"] for i in range(n)]
    negatives = [pair for pair in negatives if pair not in positives]
    X = np.array(positives + negatives, dtype=object)
    y = np.r_[np.ones(len(positives), int), np.zeros(len(negatives), int)]
    return graph, X, y


def _pair(**target_options):
    source = _world(SOURCE_NAMES, kinds="movie", target="workedunder", prefix="s")
    target = _world(
        TARGET_NAMES,
        kinds="course",
        target="advisedby",
        seed=1,
        prefix="t",
        **target_options,
    )
    return source, target


def _stacked(source, target, n_target_labels, seed=0, flip_source=False):
    (_, Xs, ys), (_, Xt, yt) = source, target
    rng = np.random.RandomState(seed)
    half = n_target_labels // 2
    few = np.r_[
        rng.choice(np.flatnonzero(yt == 1), half, replace=False),
        rng.choice(np.flatnonzero(yt == 0), half, replace=False),
    ]
    ys = 1 - ys if flip_source else ys
    X = np.vstack([Xs, Xt[few]])
    y = np.r_[ys, yt[few]]
    sample_domain = np.r_[np.ones(len(ys), int), -2 * np.ones(len(few), int)]
    test = np.setdiff1d(np.arange(len(yt)), few)
    return X, y, sample_domain, Xt[test], yt[test]


def _classifier(source, target, **params):
    return RelationalTransferClassifier(
        source[0],
        target[0],
        source_relation="workedunder",
        target_relation="advisedby",
        random_state=0,
        **params,
    )


def test_structural_mapping_recovers_a_renamed_graph():
    source, target = _pair()
    mapper = PredicateMapper(
        source[0], target[0], source_relation="workedunder", target_relation="advisedby"
    ).fit()
    assert mapper.mapping_ == {
        "actedin": ("takes", False),
        "directed": ("teaches", False),
        "knows": ("friend", False),
        "workedunder": ("advisedby", False),
    }
    assert mapper.type_mapping_ == {"person": "person", "movie": "course"}
    structural = [s["structural"] for s in mapper.scores_]
    assert structural == sorted(structural, reverse=True)


def test_mapping_reads_a_reversed_relation_backwards():
    source, target = _pair(reverse_directed=True)
    mapper = PredicateMapper(
        source[0], target[0], source_relation="workedunder", target_relation="advisedby"
    ).fit()
    assert mapper.mapping_["directed"] == ("teaches", True)
    mapping = Mapping({}, mapper.mapping_, 0.0)
    assert mapping.feature("path:actedin/directed^-1") == "path:takes/teaches"


def test_supervised_mapping_scores_each_candidate():
    source, target = _pair()
    X, y, sample_domain, _, _ = _stacked(source, target, 10)
    clf = _classifier(source, target).fit(X, y, sample_domain=sample_domain)
    assert all("auc" in s for s in clf.mapper_.scores_)
    assert clf.mapping_["directed"] == ("teaches", False)


def test_strength_zero_is_learning_from_scratch():
    source, target = _pair()
    X, y, sample_domain, X_test, _ = _stacked(source, target, 16)
    clf = _classifier(source, target, strength=0.0).fit(
        X, y, sample_domain=sample_domain
    )
    scratch = clf.scratch().fit(X[sample_domain < 0], y[sample_domain < 0])
    assert_allclose(
        clf.decision_function(X_test), scratch.decision_function(X_test), atol=1e-3
    )


def test_large_strength_is_the_mapped_source_model():
    source, target = _pair()
    X, y, sample_domain, X_test, _ = _stacked(source, target, 16)
    clf = _classifier(source, target, strength=1e7, revise=False)
    clf.fit(X, y, sample_domain=sample_domain)
    prior = mapped_model(
        clf.source_model_, Mapping({}, clf.mapping_, 0.0), target[0], "advisedby"
    )
    assert_allclose(
        clf.decision_function(X_test), prior.decision_function(X_test), atol=1e-4
    )


def test_infinite_strength_is_exactly_the_mapped_source_model():
    source, target = _pair()
    X, y, sample_domain, X_test, _ = _stacked(source, target, 16)
    transfer = _classifier(source, target).fit(X, y, sample_domain=sample_domain)
    clf = _classifier(source, target, strength=np.inf, revise=False)
    clf.fit(X, y, sample_domain=sample_domain)
    assert clf.mapping_ == transfer.mapping_
    prior = mapped_model(
        clf.source_model_, Mapping({}, clf.mapping_, 0.0), target[0], "advisedby"
    )
    assert list(clf.featurizer_.get_feature_names_out()) == prior.featurizer.features
    np.testing.assert_array_equal(clf.coef_, prior.coef)
    assert clf.intercept_ == prior.intercept
    np.testing.assert_array_equal(
        clf.decision_function(X_test), prior.decision_function(X_test)
    )
    features = np.array([[0.0], [1.0], [0.0], [1.0]])
    coef, intercept = fit_prior_logistic(
        features, [0, 1, 0, 0], [2.0], -1.0, C=1.0, strength=np.inf
    )
    assert coef.tolist() == [2.0]
    assert intercept == -1.0


def test_without_target_labels_the_mapped_source_model_predicts():
    source, target = _pair()
    (_, Xs, ys), (_, Xt, yt) = source, target
    X = np.vstack([Xs, Xt])
    y = np.r_[ys, -np.ones(len(yt), int)]
    sample_domain = np.r_[np.ones(len(ys), int), -2 * np.ones(len(yt), int)]
    clf = _classifier(source, target).fit(X, y, sample_domain=sample_domain)
    assert_allclose(clf.coef_, clf.prior_coef_)
    assert roc_auc_score(yt, clf.decision_function(Xt)) > 0.9


def test_prior_logistic_limits():
    rng = np.random.RandomState(0)
    features = rng.normal(size=(40, 3))
    y = (features[:, 0] + rng.normal(0, 0.5, 40) > 0).astype(int)
    prior = np.array([-1.0, 2.0, 0.5])
    coef, intercept = fit_prior_logistic(features, y, prior, 0.3, C=1.0, strength=1e8)
    assert_allclose(coef, prior, atol=1e-5)
    assert intercept == pytest.approx(0.3, abs=1e-5)
    sk = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(features, y)
    coef, intercept = fit_prior_logistic(features, y, prior, 0.3, C=1.0, strength=0)
    assert_allclose(coef, sk.coef_[0], atol=1e-4)
    assert intercept == pytest.approx(sk.intercept_[0], abs=1e-4)


def test_guard_falls_back_to_scratch_on_a_contradicting_source():
    source, target = _pair()
    X, y, sample_domain, X_test, y_test = _stacked(source, target, 20, flip_source=True)
    clf = _classifier(source, target, guard=True, strength=100.0, mapping="structural")
    with pytest.warns(NegativeTransferWarning):
        clf.fit(X, y, sample_domain=sample_domain)
    assert clf.negative_transfer_
    assert clf.guard_.selected_ == "target_only"
    assert roc_auc_score(y_test, clf.decision_function(X_test)) > 0.8


def test_given_mappings_are_checked():
    source, target = _pair()
    X, y, sample_domain, _, _ = _stacked(source, target, 10)
    good = {"actedin": "takes", "directed": "teaches"}
    clf = _classifier(source, target, mapping=good).fit(
        X, y, sample_domain=sample_domain
    )
    assert clf.mapping_["actedin"] == ("takes", False)
    with pytest.raises(ValueError, match="not one to one"):
        _classifier(
            source, target, mapping={"actedin": "takes", "directed": "takes"}
        ).fit(X, y, sample_domain=sample_domain)
    with pytest.raises(ValueError, match="Type mismatch"):
        _classifier(source, target, mapping={"knows": "takes"}).fit(
            X, y, sample_domain=sample_domain
        )
    with pytest.raises(ValueError, match="'enemy' is not in the graph"):
        _classifier(source, target, mapping={"actedin": "enemy"}).fit(
            X, y, sample_domain=sample_domain
        )


def test_errors_name_the_problem():
    source, target = _pair()
    X, y, sample_domain, _, _ = _stacked(source, target, 10)
    with pytest.raises(ValueError, match="needs target rows"):
        _classifier(source, target).fit(X, y, sample_domain=np.abs(sample_domain))
    only_negative = np.where(sample_domain >= 0, 0, y)
    with pytest.raises(ValueError, match="positive and negative"):
        _classifier(source, target).fit(X, only_negative, sample_domain=sample_domain)
    with pytest.raises(ValueError, match="Arity mismatch"):
        PredicateMapper(
            RelationalGraph.from_facts({"vip": ["x"]}),
            target[0],
            source_relation="vip",
            target_relation="advisedby",
        ).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _classifier(source, target).fit(X, y, sample_domain=sample_domain)


def _rings(prefix, n=120, n_rings=6, seed=0, known=None):
    """Accounts; fraud rings of 5 share one device, the rest have their own."""
    rng = np.random.RandomState(seed)
    accounts = [f"{prefix}a{i}" for i in range(n)]
    fraud = np.zeros(n, dtype=bool)
    members = rng.permutation(n)[: n_rings * 5]
    device = {i: f"{prefix}d{i}" for i in range(n)}
    for ring, chunk in enumerate(np.split(members, n_rings)):
        fraud[chunk] = True
        device.update({i: f"{prefix}ring{ring}" for i in chunk})
    known = range(n) if known is None else known
    graph = RelationalGraph.from_facts(
        {
            f"{prefix}_device": [(accounts[i], device[i]) for i in range(n)],
            f"{prefix}_fraud": [accounts[i] for i in known if fraud[i]],
        },
        schema={
            f"{prefix}_device": ("account", "device"),
            f"{prefix}_fraud": ("account",),
        },
    )
    return graph, np.array(accounts, dtype=object)[:, None], fraud.astype(int)


def test_node_task_transfer_beats_scratch_with_two_fraud_labels():
    source, X_source, y_source = _rings("card")
    _, X_target, y_target = _rings("loan", seed=1)
    labeled = np.r_[
        np.flatnonzero(y_target == 1)[:2], np.flatnonzero(y_target == 0)[:2]
    ]
    target, _, _ = _rings("loan", seed=1, known=labeled)
    y_fit = np.full(len(y_target), -1)
    y_fit[labeled] = y_target[labeled]
    clf = RelationalTransferClassifier(
        source,
        target,
        source_relation="card_fraud",
        target_relation="loan_fraud",
        max_length=2,
        random_state=0,
    ).fit(
        np.vstack([X_source, X_target]),
        np.r_[y_source, y_fit],
        sample_domain=np.r_[np.ones(len(y_source), int), -2 * np.ones(len(y_fit), int)],
    )
    assert clf.mapping_["card_device"] == ("loan_device", False)
    test = np.setdiff1d(np.arange(len(y_target)), labeled)
    scratch = clf.scratch().fit(X_target[labeled], y_target[labeled])
    transfer_auc = roc_auc_score(y_target[test], clf.decision_function(X_target[test]))
    scratch_auc = roc_auc_score(
        y_target[test], scratch.decision_function(X_target[test])
    )
    assert transfer_auc > scratch_auc + 0.05


@pytest.mark.parametrize("routing", [False, True])
def test_grid_search_over_strength_on_target_folds(routing):
    from sklearn import config_context
    from sklearn.model_selection import GridSearchCV

    from sktransfer.model_selection import TargetScorer, TargetStratifiedKFold

    source, target = _pair()
    X, y, sample_domain, X_test, _ = _stacked(source, target, 12)
    search = GridSearchCV(
        _classifier(source, target),
        {"strength": [0.0, 10.0]},
        cv=TargetStratifiedKFold(3, shuffle=True, random_state=0),
        scoring=TargetScorer("roc_auc"),
    )
    with config_context(enable_metadata_routing=routing):
        params = {"sample_domain": sample_domain}
        if not routing:
            params["groups"] = sample_domain
        search.fit(X, y, **params)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.predict(X_test).shape == (len(X_test),)
