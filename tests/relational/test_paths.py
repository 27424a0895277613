import logging
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sktransfer.relational import PathFeaturizer, RelationalGraph
from sktransfer.relational._paths import Step, count_typed_paths, parse_path, path_name

SCHEMA = {
    "actedin": ("person", "movie"),
    "directed": ("person", "movie"),
    "workedunder": ("person", "person"),
    "female": ("person",),
}


def _movies():
    """ann and cat act in m1, dan in m2 (and ann in m2); bob directs both."""
    return RelationalGraph.from_facts(
        {
            "actedin": [("ann", "m1"), ("cat", "m1"), ("dan", "m2"), ("ann", "m2")],
            "directed": [("bob", "m1"), ("bob", "m2")],
            "workedunder": [("ann", "bob"), ("dan", "bob")],
            "female": ["ann", "cat"],
        },
        schema=SCHEMA,
    )


def _values(featurizer, X):
    features = featurizer.transform(np.array(X, dtype=object)).toarray()
    return [dict(zip(featurizer.get_feature_names_out(), row)) for row in features]


PAIRS = [["ann", "bob"], ["cat", "bob"], ["ann", "cat"], ["dan", "ann"]]


def test_link_features_by_hand():
    featurizer = PathFeaturizer(
        _movies(), relation="workedunder", max_length=2, value="count"
    )
    featurizer.fit(np.array(PAIRS, dtype=object))
    ann_bob, cat_bob, ann_cat, dan_ann = _values(featurizer, PAIRS)
    # ann -actedin-> m1 <-directed- bob, and the same through m2: two paths.
    assert ann_bob["path:actedin/directed^-1"] == 2
    assert cat_bob["path:actedin/directed^-1"] == 1
    # ann -actedin-> m1 <-actedin- cat.
    assert ann_cat["path:actedin/actedin^-1"] == 1
    assert dan_ann["path:actedin/actedin^-1"] == 1
    assert ann_bob["head:female"] == 1
    assert ann_bob["tail:female"] == 0
    assert ann_cat["tail:female"] == 1


def test_the_queried_relation_is_hidden_from_every_path():
    X = np.array(PAIRS, dtype=object)
    hidden = PathFeaturizer(_movies(), relation="workedunder", max_length=2).fit(X)
    assert not any("workedunder" in name for name in hidden.get_feature_names_out())
    # Without naming the target relation its edges leak the label.
    leaking = PathFeaturizer(_movies(), max_length=2).fit(X)
    ann_bob = _values(leaking, PAIRS)[0]
    assert ann_bob["path:workedunder"] == 1


def test_hidden_relations_are_never_used():
    X = np.array(PAIRS, dtype=object)
    featurizer = PathFeaturizer(
        _movies(), relation="workedunder", hidden_relations=("directed",), max_length=2
    ).fit(X)
    assert not any("directed" in name for name in featurizer.get_feature_names_out())


def test_random_walk_probabilities_by_hand():
    featurizer = PathFeaturizer(
        _movies(), relation="workedunder", max_length=2, value="random_walk"
    )
    featurizer.fit(np.array(PAIRS, dtype=object))
    ann_bob, cat_bob, ann_cat, _ = _values(featurizer, PAIRS)
    # From ann: m1 or m2 (1/2 each); each movie's director is bob.
    assert ann_bob["path:actedin/directed^-1"] == pytest.approx(1.0)
    # From ann: m1 (1/2), whose actors are ann and cat (1/2 each).
    assert ann_cat["path:actedin/actedin^-1"] == pytest.approx(0.25)
    assert cat_bob["path:actedin/directed^-1"] == pytest.approx(1.0)


def test_binary_values_and_min_support():
    X = np.array(PAIRS, dtype=object)
    featurizer = PathFeaturizer(_movies(), relation="workedunder", max_length=2).fit(X)
    values = featurizer.transform(X).toarray()
    assert set(np.unique(values)) <= {0.0, 1.0}
    names = list(featurizer.get_feature_names_out())
    assert_allclose(featurizer.support_, (values > 0).sum(axis=0))
    strict = PathFeaturizer(
        _movies(), relation="workedunder", max_length=2, min_support=2
    ).fit(X)
    kept = set(strict.get_feature_names_out())
    assert kept == {n for n, s in zip(names, featurizer.support_) if s >= 2}


def test_node_task_hides_the_entitys_own_label():
    featurizer = PathFeaturizer(
        _movies(), relation="female", max_length=2, value="count"
    )
    X = [["ann"], ["cat"], ["dan"]]
    featurizer.fit(np.array(X, dtype=object))
    names = set(featurizer.get_feature_names_out())
    assert "self:female" not in names
    ann, cat, dan = _values(featurizer, X)
    # ann's co-actors: herself (hidden) and cat in m1, dan and herself in m2.
    assert ann["path:actedin/actedin^-1:female"] == 1
    assert cat["path:actedin/actedin^-1:female"] == 1  # ann, not herself
    assert dan["path:actedin/actedin^-1:female"] == 1  # ann, through m2
    assert ann["path:actedin/actedin^-1"] == 4  # every path, any end


def test_transform_of_new_rows_uses_the_fitted_features():
    X = np.array(PAIRS, dtype=object)
    featurizer = PathFeaturizer(_movies(), relation="workedunder", max_length=2).fit(
        X[:2]
    )
    features = featurizer.transform(X)
    assert features.shape == (4, len(featurizer.get_feature_names_out()))
    assert_allclose(features[:2].toarray(), featurizer.transform(X[:2]).toarray())


def test_path_names_round_trip_and_typed_counts():
    path = (Step("movie", True), Step("movie"))
    assert path_name(path) == "movie^-1/movie"
    assert parse_path("movie^-1/movie") == path
    graph = _movies()
    relations = ["actedin", "directed"]
    # From a person: actedin, directed (to movies); then back: actedin^-1,
    # directed^-1 from each movie.
    assert count_typed_paths(graph, "person", 1, relations) == 2
    assert count_typed_paths(graph, "person", 2, relations) == 2 + 4


def test_errors_name_the_problem():
    graph = _movies()
    X = np.array(PAIRS, dtype=object)
    with pytest.raises(ValueError, match="'enemy' is not in the graph"):
        PathFeaturizer(graph, relation="enemy").fit(X)
    with pytest.raises(ValueError, match="needs a unary target relation"):
        PathFeaturizer(graph, relation="workedunder").fit(X[:, :1])
    with pytest.raises(ValueError, match="'eve' is not in the graph"):
        PathFeaturizer(graph).fit(np.array([["eve", "bob"]], dtype=object))
    with pytest.raises(ValueError, match="shape \\(n, 2\\)"):
        PathFeaturizer(graph).fit(np.array([["a", "b", "c"]], dtype=object))
    with pytest.raises(ValueError, match="max_paths=3.*Lower max_length"):
        PathFeaturizer(graph, max_length=3, max_paths=3).fit(X)
    fitted = PathFeaturizer(graph, max_length=2).fit(X)
    with pytest.raises(ValueError, match="fitted on 2"):
        fitted.transform(X[:, :1])


def test_clone_keeps_the_graph_and_pickles(caplog):
    graph = _movies()
    featurizer = PathFeaturizer(graph, relation="workedunder", verbose=1, n_jobs=2)
    assert clone(featurizer).graph is graph
    X = np.array(PAIRS, dtype=object)
    with caplog.at_level(logging.INFO, logger="sktransfer.relational._paths"):
        featurizer.fit(X)
    assert "relation paths" in caplog.text
    restored = pickle.loads(pickle.dumps(featurizer))
    assert_allclose(restored.transform(X).toarray(), featurizer.transform(X).toarray())


def test_verbose_prints_progress_to_stderr_without_logging_configured(
    capsys, monkeypatch
):
    monkeypatch.setattr(logging.getLogger("sktransfer"), "propagate", False)
    X = np.array(PAIRS, dtype=object)
    PathFeaturizer(_movies(), relation="workedunder", verbose=1).fit(X)
    assert "PathFeaturizer: followed" in capsys.readouterr().err
    PathFeaturizer(_movies(), relation="workedunder").fit(X)
    assert capsys.readouterr().err == ""


def test_in_a_pipeline_and_grid_search():
    graph = _movies()
    X = np.array(PAIRS * 3, dtype=object)
    y = np.array([1, 0, 0, 1] * 3)
    pipe = make_pipeline(
        PathFeaturizer(graph, relation="workedunder"), LogisticRegression()
    )
    search = GridSearchCV(pipe, {"pathfeaturizer__max_length": [1, 2]}, cv=3)
    search.fit(X, y)
    assert search.predict(X).shape == (12,)


def test_hide_query_keeps_the_other_edges_of_the_relation():
    graph = RelationalGraph.from_facts(
        {
            "bought": [("u1", "i1"), ("u2", "i1"), ("u2", "i2")],
            "friend": [("u1", "u2")],
        },
        schema={"bought": ("user", "item"), "friend": ("user", "user")},
    )
    X = np.array([["u1", "i1"], ["u1", "i2"]], dtype=object)
    query = PathFeaturizer(graph, relation="bought", hide="query", max_length=2)
    u1_i1, u1_i2 = _values(query.fit(X), X)
    # u1's own purchase of i1 is hidden; a friend's purchase of it is not.
    assert u1_i1.get("path:bought", 0) == 0
    assert u1_i1["path:friend/bought"] == 1
    assert u1_i2["path:friend/bought"] == 1
    relation = PathFeaturizer(graph, relation="bought", max_length=2).fit(X)
    assert not any("bought" in n for n in relation.get_feature_names_out())


@pytest.mark.parametrize("value", ["binary", "count", "random_walk"])
@pytest.mark.parametrize(
    "X", [PAIRS, [["ann"], ["cat"], ["dan"]]], ids=["link", "node"]
)
def test_fit_transform_equals_fit_then_transform(value, X):
    X = np.array(X, dtype=object)
    relation = "workedunder" if X.shape[1] == 2 else "female"
    featurizer = PathFeaturizer(_movies(), relation=relation, value=value)
    once = featurizer.fit_transform(X).toarray()
    assert_allclose(once, clone(featurizer).fit(X).transform(X).toarray())
    assert once.shape[1] == len(featurizer.get_feature_names_out()) > 0
