import numpy as np
import pytest
from numpy.testing import assert_allclose

from sktransfer.relational import PathRuleLearner, RelationalGraph


def _workedunder_world(n=12, seed=0):
    """Actors work under the director of a film they acted in."""
    rng = np.random.RandomState(seed)
    triples, positives = [], []
    for i in range(n):
        triples += [(f"a{i}", "actedin", f"m{i}"), (f"d{i}", "directed", f"m{i}")]
        positives.append([f"a{i}", f"d{i}"])
        if rng.uniform() < 0.5:  # some actors also appear in a second film
            triples.append((f"a{i}", "actedin", f"m{(i + 1) % n}"))
    people = [f"a{i}" for i in range(n)] + [f"d{i}" for i in range(n)]
    for _ in range(3 * n):  # acquaintances unrelated to who works under whom
        triples.append((rng.choice(people), "knows", rng.choice(people)))
    schema = {
        "actedin": ("person", "movie"),
        "directed": ("person", "movie"),
        "knows": ("person", "person"),
    }
    graph = RelationalGraph.from_triples(triples, schema=schema)
    negatives = [[f"a{i}", f"d{(i + 3) % n}"] for i in range(n)]
    X = np.array(positives + negatives, dtype=object)
    y = np.r_[np.ones(n, dtype=int), np.zeros(n, dtype=int)]
    return graph, X, y


def test_the_true_rule_comes_first_with_its_support_and_confidence():
    graph, X, y = _workedunder_world()
    learner = PathRuleLearner(graph, relation=None, max_length=2, C=10).fit(X, y)
    best = learner.rules_[0]
    assert best["rule"] == "path:actedin/directed^-1"
    assert best["weight"] > 0
    assert best["support"] == 12  # fires on every positive pair
    names = list(learner.featurizer_.get_feature_names_out())
    fires = learner.featurizer_.transform(X).toarray()[:, names.index(best["rule"])] > 0
    assert best["confidence"] == pytest.approx(y[fires].mean())
    assert learner.score(X, y) == 1.0


def test_l1_keeps_fewer_rules_than_l2():
    graph, X, y = _workedunder_world()
    l1 = PathRuleLearner(graph, relation=None, max_length=3, C=0.5).fit(X, y)
    l2 = PathRuleLearner(graph, relation=None, max_length=3, penalty="l2").fit(X, y)
    assert 0 < len(l1.rules_) < len(l2.rules_)
    assert [r["weight"] for r in l1.rules_] == sorted(
        (r["weight"] for r in l1.rules_), key=lambda w: -abs(w)
    )


def test_predictions_and_determinism():
    graph, X, y = _workedunder_world()
    first = PathRuleLearner(graph, relation=None, C=10, random_state=0).fit(X, y)
    again = PathRuleLearner(graph, relation=None, C=10, random_state=0).fit(X, y)
    proba = first.predict_proba(X)
    assert proba.shape == (24, 2)
    assert_allclose(proba.sum(axis=1), 1)
    assert_allclose(proba, again.predict_proba(X))
    assert (first.decision_function(X) > 0).tolist() == (first.predict(X) == 1).tolist()


def test_one_class_is_refused():
    graph, X, y = _workedunder_world()
    with pytest.raises(ValueError, match="two classes.*positive and negative"):
        PathRuleLearner(graph, relation=None).fit(X[y == 1], y[y == 1])
