"""Bad and edge inputs to the relational API: each gets a clear error (issue 14)."""

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

import sktransfer.relational as relational
from sktransfer.relational import (
    PathFeaturizer,
    PathRuleLearner,
    PredicateMapper,
    RelationalGraph,
    RelationalTransferClassifier,
    fit_prior_logistic,
    read_facts,
    read_modes,
)
from sktransfer.relational._mapping import Mapping

# -- 1. NotFittedError before fit -------------------------------------------------

_GRAPH = RelationalGraph.from_triples(
    [("ann", "friend", "bob"), ("bob", "bought", "book1")],
    schema={"friend": ("user", "user"), "bought": ("user", "item")},
)
_UNFITTED = {
    PathFeaturizer: PathFeaturizer(_GRAPH, relation="friend"),
    PathRuleLearner: PathRuleLearner(_GRAPH, relation="friend"),
    PredicateMapper: PredicateMapper(
        _GRAPH, _GRAPH, source_relation="friend", target_relation="friend"
    ),
    RelationalTransferClassifier: RelationalTransferClassifier(
        _GRAPH, _GRAPH, source_relation="friend", target_relation="friend"
    ),
}
_AFTER_FIT = [
    "predict",
    "predict_proba",
    "decision_function",
    "transform",
    "score",
    "get_feature_names_out",
]


def _public_estimators():
    return [
        cls
        for _, cls in inspect.getmembers(relational, inspect.isclass)
        if issubclass(cls, BaseEstimator)
    ]


def test_every_public_estimator_has_an_unfitted_instance_here():
    assert set(_public_estimators()) == set(_UNFITTED)


@pytest.mark.parametrize(
    ("estimator", "method"),
    [
        (estimator, method)
        for estimator in _UNFITTED.values()
        for method in _AFTER_FIT
        if hasattr(estimator, method)
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_methods_before_fit_raise_not_fitted_error(estimator, method):
    X = np.array([["ann", "bob"]], dtype=object)
    args = {"score": (X, [1]), "get_feature_names_out": ()}.get(method, (X,))
    with pytest.raises(NotFittedError):
        getattr(estimator, method)(*args)


@pytest.mark.parametrize("estimator", list(_UNFITTED.values()), ids=repr)
def test_parameter_constraints_name_exactly_the_parameters(estimator):
    assert set(estimator._parameter_constraints) == set(estimator.get_params())


def test_an_unfitted_source_model_is_not_fitted_error():
    mapper = _UNFITTED[PredicateMapper]
    X = np.array([["ann", "bob"], ["bob", "ann"]], dtype=object)
    with pytest.raises(NotFittedError):
        mapper.fit(X, [1, 0], source_model=PathRuleLearner(_GRAPH, relation="friend"))
    with pytest.raises(TypeError, match="fitted PathRuleLearner"):
        mapper.fit(X, [1, 0], source_model=object())


# -- 2. unknown relations ---------------------------------------------------------


def test_unknown_relation_lookups_are_value_errors_naming_the_known_ones():
    with pytest.raises(ValueError, match=r"'frend' is not in the graph.*'friend'"):
        _GRAPH.schema["frend"]
    with pytest.raises(KeyError):  # still a mapping: get, in and KeyError work
        _GRAPH.schema["frend"]
    assert _GRAPH.schema.get("frend") is None
    assert "frend" not in _GRAPH.schema
    with pytest.raises(ValueError, match="Did you mean 'friend'"):
        relational.relation_signature(_GRAPH, "frend")


def test_a_long_list_of_known_relations_is_truncated():
    graph = RelationalGraph.from_triples([("a", f"r{i:03d}", "b") for i in range(50)])
    with pytest.raises(ValueError, match=r"50 relation\(s\).*and 30 more") as error:
        graph.check_relation("nope")
    assert "r049" not in str(error.value)


# -- 3. the fact and mode parsers -------------------------------------------------


@pytest.mark.parametrize(
    ("line", "facts"),
    [
        ("p(a,b). q(c,d).", [("p", ("a", "b")), ("q", ("c", "d"))]),
        ('p("a, b", c).', [("p", ("a, b", "c"))]),
        ('p(\'x (1)\', "say \\"hi\\"").', [("p", ("x (1)", 'say "hi"'))]),
        ("p(a, b). % trailing comment", [("p", ("a", "b"))]),
        ("p( a , b )", [("p", ("a", "b"))]),
    ],
)
def test_read_facts_reads_several_and_quoted_facts(line, facts):
    assert read_facts([line]) == facts


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("p(a,(b).", "'\\(' inside the arguments"),
        ("p(a,b)).", "extra '\\)'"),
        ("p(a,b", "'\\)' is missing"),
        ("p(a,,b).", "empty argument"),
        ("p().", "empty argument"),
        ("p(a b).", "quote an argument"),
        ("p(a,b) q(c,d).", "expected '\\.'"),
        ('p("a, b).', "not closed"),
    ],
)
def test_read_facts_refuses_malformed_lines_with_their_number(line, reason):
    with pytest.raises(ValueError, match=f"line 2 as ground atoms: .*{reason}"):
        read_facts(["ok(a).", line])


def test_read_facts_errors_name_the_file_and_line(tmp_path):
    path = tmp_path / "facts.txt"
    path.write_text("p(a,b).\n\nq(c,d)) .\n")
    with pytest.raises(ValueError, match=r"line 3 of .*facts\.txt.*q\(c,d\)\)"):
        read_facts(path)
    with pytest.raises(ValueError, match="is not a file; pass the lines as a list"):
        read_facts("p(a, b).")


def test_read_modes_reads_background_files():
    lines = [
        "setParam: treeDepth=3.",
        "mode: hasposition(+Person, +Position!1).",
        "mode: hasposition(+Person, #Position).",
        "ta(+course, -person). vip(+person).",
        "common(A, B) :- p(A, C), q(C, B).",
        "queryPred: advisedby/2.",
    ]
    assert read_modes(lines) == {
        "hasposition": ("Person", "Position"),
        "ta": ("course", "person"),
        "vip": ("person",),
    }


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("mode: ta(+course, -person", "'\\)' is missing"),
        ("ta(+course, -person)) .", "extra"),
        ("ta(+course, person).", "needs a mode mark"),
    ],
)
def test_read_modes_refuses_broken_mode_declarations(line, reason):
    with pytest.raises(ValueError, match=f"line 1 as (a )?mode declaration.*{reason}"):
        read_modes([line])


# -- 4. from_srlearn(exclude=...) -------------------------------------------------

_FACTS = ["advisedby(ann, bob).", "publication(t1, ann)."]


def test_from_srlearn_refuses_a_misspelt_exclude():
    with pytest.raises(ValueError, match=r"'advisedyb'.*Did you mean 'advisedby'"):
        RelationalGraph.from_srlearn(_FACTS, exclude=["advisedyb"])
    with pytest.raises(ValueError, match=r"\['advisedyb', 'x'\].*publication"):
        RelationalGraph.from_srlearn(_FACTS, exclude=["advisedyb", "x"])


def test_from_srlearn_excludes_a_relation_given_as_one_string():
    graph = RelationalGraph.from_srlearn(_FACTS, exclude="advisedby")
    assert [relation for relation, _ in graph.facts] == ["publication"]
    # A relation of the modes only may be excluded (it has no facts to drop).
    RelationalGraph.from_srlearn(_FACTS, modes=["x(+a)."], exclude=["x"])


def test_graph_construction_refuses_bad_relation_names_and_missing_entities():
    with pytest.raises(TypeError, match="Relation names are non-empty strings"):
        RelationalGraph.from_triples([("a", 1, "b")])
    with pytest.raises(TypeError, match="non-empty strings"):
        RelationalGraph.from_facts({"": [("a", "b")]})
    with pytest.raises(ValueError, match="missing argument"):
        RelationalGraph.from_triples([("a", "r", None)])
    with pytest.raises(ValueError, match="missing argument"):
        RelationalGraph.from_facts({"vip": [float("nan")]})


# -- 5. relation names holding the separators of feature names --------------------


def _odd_names_graph():
    """Relations named with ``/``, ``:`` and ``^-1``: the features' separators."""
    return RelationalGraph.from_facts(
        {
            "acted/in": [("ann", "m1"), ("cat", "m1"), ("dan", "m2")],
            "dir:ected": [("bob", "m1"), ("bob", "m2")],
            "knows^-1": [("ann", "cat"), ("cat", "dan")],
            'vip:"x"': ["ann", "dan"],
            "workedunder": [("ann", "bob")],
        },
        schema={
            "acted/in": ("person", "movie"),
            "dir:ected": ("person", "movie"),
            "knows^-1": ("person", "person"),
            'vip:"x"': ("person",),
            "workedunder": ("person", "person"),
        },
    )


def test_feature_names_with_separators_round_trip_through_transform():
    graph = _odd_names_graph()
    X = np.array([["ann", "bob"], ["cat", "bob"], ["dan", "cat"]], dtype=object)
    featurizer = PathFeaturizer(graph, relation="workedunder", max_length=2)
    once = featurizer.fit_transform(X).toarray()
    names = list(featurizer.get_feature_names_out())
    assert '"acted/in"/"dir:ected"^-1' in " ".join(names)
    assert 'path:"knows^-1"^-1' in names
    assert 'head:"vip:\\"x\\""' in names
    assert_allclose(featurizer.transform(X).toarray(), once)
    assert (once.sum(axis=0) > 0).all()  # every kept feature is found again
    # A featurizer given the names (as a mapped source model is) finds them too.
    given = PathFeaturizer(graph, relation="workedunder", features=names)
    assert_allclose(given.fit(X).transform(X).toarray(), once)
    # Quotes where none are needed name the same feature.
    quoted = PathFeaturizer(graph, features=['head:"workedunder"']).fit(X)
    assert quoted.get_feature_names_out().tolist() == ["head:workedunder"]


@pytest.mark.parametrize(
    ("kind", "relations", "prop"),
    [
        ("path", [("a/b", False), ("c:d", True), ("e^-1", False)], None),
        ("path", [("e^-1", True)], "p:q"),
        ("head", [], "x/y"),
        ("self", [], 'q"\\'),
    ],
)
def test_parse_feature_name_inverts_feature_name(kind, relations, prop):
    from sktransfer.relational._paths import Step, feature_name, parse_feature_name

    path = tuple(Step(r, inverse) for r, inverse in relations)
    assert parse_feature_name(feature_name(kind, path, prop)) == (kind, path, prop)


def test_a_mapping_carries_features_with_odd_names():
    mapping = Mapping({}, {"acted/in": ("takes", False), "c:d": ("t^-1", True)}, 0.0)
    assert mapping.feature('path:"acted/in"/"c:d"^-1') == 'path:takes/"t^-1"'


@pytest.mark.parametrize("name", ["path:", "bogus:r", 'path:"open', "head:a/b"])
def test_malformed_feature_names_are_refused(name):
    with pytest.raises(ValueError, match="not a path featurizer's feature name"):
        PathFeaturizer(_GRAPH, features=[name]).fit([["ann", "bob"]])


# -- 6. the mapping search is counted before it runs ------------------------------


def test_count_type_mappings_is_the_number_enumerated():
    from sktransfer.relational._mapping import _injective_maps, count_type_mappings

    for n_source in range(5):
        for n_target in range(5):
            maps = list(_injective_maps(list(range(n_source)), list("abcd")[:n_target]))
            distinct = {tuple(sorted(m.items())) for m in maps}
            assert len(maps) == len(distinct) == count_type_mappings(n_source, n_target)
    assert count_type_mappings(8, 8) == 1_441_729


def _typed_graph(n_types, prefix, seed):
    """Entities of ``n_types`` types linked by one relation per pair of
    consecutive types; ``target`` links two ``t0`` entities."""
    rng = np.random.RandomState(seed)
    schema = {f"{prefix}target": ("t0", "t0")}
    triples = [(f"{prefix}t0_0", f"{prefix}target", f"{prefix}t0_1")]
    for i in range(n_types):
        head, tail = f"t{i}", f"t{(i + 1) % n_types}"
        relation = f"{prefix}r{i}"
        schema[relation] = (head, tail)
        triples += [
            (f"{prefix}{head}_{rng.randint(3)}", relation, f"{prefix}{tail}_{k}")
            for k in range(3)
        ]
    return RelationalGraph.from_triples(triples, schema=schema)


def test_a_search_over_nine_types_is_refused_with_the_count_and_advice():
    source, target = _typed_graph(9, "s", 0), _typed_graph(9, "t", 1)
    mapper = PredicateMapper(
        source, target, source_relation="starget", target_relation="ttarget"
    )
    with pytest.raises(
        ValueError, match=r"1,441,729 type mappings.*type_mapping=.*max_type_mappings"
    ):
        mapper.fit()
    clf = RelationalTransferClassifier(
        source, target, source_relation="starget", target_relation="ttarget"
    )
    X = np.array([["st0_0", "st0_1"], ["st0_1", "st0_0"], ["tt0_0", "tt0_1"]])
    with pytest.raises(ValueError, match="1,441,729 type mappings"):
        clf.fit(X, [1, 0, -1], sample_domain=[1, 1, -2])


def test_a_given_type_mapping_shrinks_the_search():
    from sktransfer.relational._mapping import count_type_mappings

    source, target = _typed_graph(9, "s", 0), _typed_graph(9, "t", 1)
    known = {f"t{i}": f"t{i}" for i in range(1, 6)}  # 3 of 8 types left
    mapper = PredicateMapper(
        source,
        target,
        source_relation="starget",
        target_relation="ttarget",
        type_mapping=known,
    ).fit()
    assert mapper.n_type_mappings_ == count_type_mappings(3, 3)
    assert all(mapper.type_mapping_[s] == t for s, t in known.items())
    assert mapper.mapping_["sr1"] == ("tr1", False)


def test_bad_type_mappings_are_refused():
    source, target = _typed_graph(3, "s", 0), _typed_graph(3, "t", 1)

    def fit(type_mapping):
        return PredicateMapper(
            source,
            target,
            source_relation="starget",
            target_relation="ttarget",
            type_mapping=type_mapping,
        ).fit()

    with pytest.raises(ValueError, match=r"source types .*\['t9'\]"):
        fit({"t9": "t1"})
    with pytest.raises(ValueError, match="one to one"):
        fit({"t1": "t1", "t2": "t1"})
    with pytest.raises(ValueError, match="predicted relations .* send it to 't0'"):
        fit({"t0": "t1"})


# -- 7. no import cycle, no function-level imports ---------------------------------


@pytest.mark.parametrize(
    "module", sorted(Path(relational.__file__).parent.glob("_*.py")), ids=str
)
def test_relational_modules_import_at_module_level_only(module):
    tree = ast.parse(module.read_text())
    functions = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    nested = [
        f"{function.name}: line {node.lineno}"
        for function in functions
        for node in ast.walk(function)
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    assert not nested


def test_the_mapping_module_does_not_import_the_transfer_module():
    source = Path(relational.__file__).with_name("_mapping.py").read_text()
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
    }
    assert "_transfer" not in imported


# -- other bad inputs -------------------------------------------------------------

_PAIRS = np.array([["ann", "bob"], ["bob", "ann"]], dtype=object)
X_EMPTY = np.empty((0, 2), dtype=object)
NO_IDS = np.array([], dtype=int)


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.array([["ann", None]], dtype=object), "missing entity ids"),
        (np.array([["ann", np.nan]], dtype=object), "missing entity ids"),
        (np.array([["ann", "zed"]], dtype=object), "'zed' is not in the graph"),
        (np.empty((0, 2), dtype=object), "no rows"),
        (np.array([["ann", "bob", "x"]], dtype=object), "shape \\(n, 2\\)"),
        (np.array(["ann", "bob"], dtype=object), "shape \\(n, 2\\)"),
    ],
)
def test_bad_rows_are_refused(X, message):
    with pytest.raises(ValueError, match=message):
        PathFeaturizer(_GRAPH).fit(X)
    with pytest.raises(ValueError, match=message):
        PathRuleLearner(_GRAPH, relation=None).fit(X, np.arange(len(X)) % 2)


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (None, "requires y to be passed"),
        ([1], "X has 2 rows but y has 1 labels"),
        ([1, 1], "two classes"),
        ([0.5, np.nan], "NaN"),
    ],
)
def test_bad_labels_for_the_rule_learner_are_refused(y, message):
    with pytest.raises(ValueError, match=message):
        PathRuleLearner(_GRAPH, relation=None).fit(_PAIRS, y)


def _transfer_data():
    source = RelationalGraph.from_triples(
        [(f"s{i}", r, f"s{i + 1}") for i in range(6) for r in ("link", "near")]
    )
    target = RelationalGraph.from_triples(
        [(f"t{i}", r, f"t{i + 1}") for i in range(6) for r in ("edge", "close")]
    )
    X = np.array(
        [["s0", "s1"], ["s1", "s2"], ["s0", "s3"], ["s1", "s4"], ["t0", "t1"]],
        dtype=object,
    )
    y = np.array([1, 1, 0, 0, -1])
    sample_domain = np.array([1, 1, 1, 1, -2])
    clf = RelationalTransferClassifier(
        source, target, source_relation="link", target_relation="edge", max_length=2
    )
    return clf, X, y, sample_domain


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"y": None}, "requires y to be passed"),
        ({"y": np.array([1, 1, 0, 0])}, "X has 5 rows but y has 4 labels"),
        ({"y": np.array([1, 1, 0, 0, 2])}, "two classes.*\\[0, 1, 2\\]"),
        ({"y": np.array([1, 1, 1, -1, 0])}, "source rows .* unlabeled marker"),
        ({"sample_domain": np.array([-2, 1, 1, 1, -2])}, "not in target_graph"),
        ({"X": np.empty((0, 2), dtype=object)}, "X has 0 rows but y has 5"),
        ({"X": X_EMPTY, "y": [], "sample_domain": NO_IDS}, "needs source rows"),
    ],
)
def test_bad_inputs_to_the_transfer_classifier_are_refused(change, message):
    clf, X, y, sample_domain = _transfer_data()
    arguments = {"X": X, "y": y, "sample_domain": sample_domain, **change}
    with pytest.raises(ValueError, match=message):
        clf.fit(**arguments)


def test_the_transfer_classifier_predicts_target_rows_only():
    clf, X, y, sample_domain = _transfer_data()
    clf.fit(X, y, sample_domain=sample_domain)
    assert clf.predict(X[-1:]).shape == (1,)
    with pytest.raises(ValueError, match="not in target_graph.*predicts rows"):
        clf.predict(X[:1])


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"y": [0, 1, 1]}, ValueError, "inconsistent numbers of samples"),
        ({"prior_coef": [0.0, 1.0, 2.0]}, ValueError, "3 weights but features has 2"),
        ({"features": [[np.nan, 0.0]] * 4}, ValueError, "NaN"),
        ({"C": 0.0}, ValueError, "'C' parameter"),
        ({"strength": -1.0}, ValueError, "'strength' parameter"),
    ],
)
def test_fit_prior_logistic_checks_its_inputs(arguments, error, message):
    inputs = {
        "features": np.eye(4)[:, :2],
        "y": [0, 1, 0, 1],
        "prior_coef": [0.0, 1.0],
        "prior_intercept": 0.0,
        "C": 1.0,
        "strength": 1.0,
        **arguments,
    }
    with pytest.raises(error, match=message):
        fit_prior_logistic(**inputs)
