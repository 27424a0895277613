import copy
import pickle

import networkx as nx
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sktransfer.relational import RelationalGraph, read_facts, read_modes

MODES = [
    "advisedby(+person,-person).",
    "advisedby(-person,+person).",
    "ta(+course,-person,#quarter).",
    "professor(+person).",
    "recursion_x(`person,+person).",
    "setParam: treeDepth=3.",
]
FACTS = [
    "professor(bob).",
    "advisedby(ann,bob).",
    "ta(c1, ann, autumn).",
    "",
    "% a comment",
]


def test_read_modes_strips_marks_and_skips_other_lines():
    schema = read_modes(MODES)
    assert schema == {
        "advisedby": ("person", "person"),
        "ta": ("course", "person", "quarter"),
        "professor": ("person",),
        "recursion_x": ("person", "person"),
    }


def test_read_modes_refuses_disagreeing_declarations():
    with pytest.raises(ValueError, match="disagree on its types"):
        read_modes(["r(+a,+b).", "r(+a,+c)."])


def test_read_facts_parses_atoms_and_skips_blanks():
    assert read_facts(FACTS) == [
        ("professor", ("bob",)),
        ("advisedby", ("ann", "bob")),
        ("ta", ("c1", "ann", "autumn")),
    ]
    with pytest.raises(ValueError, match="ground atom"):
        read_facts(["not an atom"])


def test_from_srlearn_files_types_and_projections(tmp_path):
    (tmp_path / "facts.txt").write_text("\n".join(FACTS))
    (tmp_path / "modes.txt").write_text("\n".join(MODES))
    graph = RelationalGraph.from_srlearn(
        tmp_path / "facts.txt", modes=tmp_path / "modes.txt"
    )
    assert set(graph.relations) == {
        "advisedby",
        "professor",
        "recursion_x",
        "ta[1,2]",
        "ta[1,3]",
        "ta[2,3]",
    }
    assert graph.schema["ta[1,3]"] == ("course", "quarter")
    assert graph.entity_type("autumn") == "quarter"
    assert graph.entity_type("c1") == "course"
    assert graph.properties("bob") == {"professor"}
    assert graph.unary_relations() == ("professor",)
    # The same graph from the lines, and with the target relation left out.
    same = RelationalGraph.from_srlearn(FACTS, modes=MODES)
    assert same.facts == graph.facts
    hidden = RelationalGraph.from_srlearn(FACTS, modes=MODES, exclude=["advisedby"])
    assert not any(relation == "advisedby" for relation, _ in hidden.facts)
    assert hidden.schema["advisedby"] == ("person", "person")  # types are kept
    assert hidden.adjacency("advisedby").nnz == 0


def test_from_triples_and_from_facts_agree():
    triples = RelationalGraph.from_triples([("ann", "friend", "bob")])
    facts = RelationalGraph.from_facts({"friend": [("ann", "bob")]})
    assert triples.facts == facts.facts == (("friend", ("ann", "bob")),)
    assert triples.entity_type("ann") == "entity"
    with pytest.raises(ValueError, match="head, relation, tail"):
        RelationalGraph.from_triples([("ann", "friend")])


def test_types_are_inferred_from_other_relations():
    graph = RelationalGraph.from_facts(
        {"friend": [("ann", "bob")], "likes": [("ann", "x"), ("cat", "y")]},
        schema={"friend": ("user", "user")},
    )
    assert graph.schema["likes"] == ("user", "entity")
    assert graph.entity_type("cat") == "user"


def test_conflicting_types_and_arities_are_refused():
    with pytest.raises(ValueError, match="has type 'user'.*one type"):
        RelationalGraph.from_facts(
            {"friend": [("ann", "bob")], "sells": [("ann", "x")]},
            schema={"friend": ("user", "user"), "sells": ("shop", "item")},
        )
    with pytest.raises(ValueError, match="Arity mismatch"):
        RelationalGraph.from_facts(
            {"friend": [("ann",)]}, schema={"friend": ("u", "u")}
        )
    with pytest.raises(ValueError, match="one arity"):
        RelationalGraph.from_facts({"friend": [("ann",), ("ann", "bob")]})


def test_adjacency_property_mask_and_indices():
    graph = RelationalGraph.from_facts(
        {"friend": [("ann", "bob"), ("bob", "cat")], "vip": ["cat"]}
    )
    a = graph.adjacency("friend").toarray()
    i = dict(zip(graph.entities, range(3)))
    assert a[i["ann"], i["bob"]] == 1
    assert a.sum() == 2
    assert_array_equal(graph.property_mask("vip"), [n == "cat" for n in graph.entities])
    assert_array_equal(graph.indices(["cat", "ann"]), [i["cat"], i["ann"]])
    with pytest.raises(ValueError, match="'dan' is not in the graph"):
        graph.indices(["dan"])
    with pytest.raises(ValueError, match="Relation 'enemy' is not in the graph"):
        graph.adjacency("enemy")


def test_graph_is_immutable_and_copies_are_itself():
    graph = RelationalGraph.from_triples([("ann", "friend", "bob")])
    assert copy.deepcopy(graph) is graph
    assert copy.copy(graph) is graph
    with pytest.raises(AttributeError, match="immutable"):
        graph.schema = {}
    with pytest.raises(nx.NetworkXError):
        graph.nx_graph.add_edge("x", "y")
    restored = pickle.loads(pickle.dumps(graph))
    assert restored.facts == graph.facts
    assert (restored.adjacency("friend") != graph.adjacency("friend")).nnz == 0


def test_nx_graph_holds_edges_types_and_properties():
    graph = RelationalGraph.from_facts(
        {"friend": [("ann", "bob")], "vip": ["ann"]}, schema={"friend": ("u", "u")}
    )
    assert list(graph.nx_graph.edges(keys=True)) == [("ann", "bob", "friend")]
    assert graph.nx_graph.nodes["ann"] == {"type": "u", "properties": {"vip"}}
    assert "2 entities, 2 facts" in repr(graph)


def test_without_drops_a_relation():
    graph = RelationalGraph.from_facts({"friend": [("a", "b")], "vip": ["a"]})
    assert graph.without(["vip"]).relations == ("friend",)
    assert np.all(graph.without(["vip"]).adjacency("friend").toarray().sum() == 1)
