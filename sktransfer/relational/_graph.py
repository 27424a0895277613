"""An immutable, typed multi-relational graph for relational transfer."""

import re
from collections import defaultdict
from pathlib import Path
from types import MappingProxyType

import networkx as nx
import numpy as np
from scipy import sparse

UNTYPED = "entity"
_ATOM = re.compile(r"^\s*([A-Za-z_][\w]*)\s*\((.*)\)\s*\.?\s*$")
_MODE_MARKS = "+-#`"


def _parse_atom(line):
    """``pred(a, b).`` -> ``("pred", ("a", "b"))``; None for blank or comment lines."""
    line = line.strip()
    if not line or line.startswith(("%", "//", "#")):
        return None
    match = _ATOM.match(line)
    if match is None:
        raise ValueError(
            f"Cannot read {line!r} as a ground atom; expected pred(a, b). as in "
            "srlearn/BoostSRL fact files."
        )
    relation, arguments = match.groups()
    return relation, tuple(a.strip().strip('"') for a in arguments.split(","))


def _lines(source):
    """Lines of a path, of several paths, or of an iterable of strings."""
    if isinstance(source, (str, Path)):
        return Path(source).read_text().splitlines()
    lines = []
    for item in source:
        if isinstance(item, Path) or (isinstance(item, str) and Path(item).is_file()):
            lines.extend(Path(item).read_text().splitlines())
        else:
            lines.append(item)
    return lines


def read_modes(source):
    """Argument types of each relation from srlearn/BoostSRL mode declarations.

    ``advisedby(+person,-person).`` gives ``{"advisedby": ("person", "person")}``;
    the marks ``+ - # ``` are dropped, and the declarations of one relation
    must agree on its types. Lines that are not mode declarations (``setParam``
    and the like) are skipped.

    Parameters
    ----------
    source : str, Path or iterable of str
        A file, several files (paths of existing files), or the lines
        themselves.

    Returns
    -------
    schema : dict of str to tuple of str
    """
    schema = {}
    for line in _lines(source):
        line = line.strip()
        if line.startswith("mode:"):
            line = line[len("mode:") :]
        try:
            parsed = _parse_atom(line)
        except ValueError:
            continue
        if parsed is None:
            continue
        relation, arguments = parsed
        if not all(a[:1] in _MODE_MARKS for a in arguments):
            continue
        types = tuple(a.lstrip(_MODE_MARKS) for a in arguments)
        if schema.setdefault(relation, types) != types:
            raise ValueError(
                f"The mode declarations of {relation!r} disagree on its types: "
                f"{schema[relation]} and {types}."
            )
    return schema


def read_facts(source):
    """Ground atoms of srlearn/BoostSRL fact files as ``(relation, args)`` pairs.

    Parameters
    ----------
    source : str, Path or iterable of str
        A file, several files, or the lines themselves.

    Returns
    -------
    facts : list of (str, tuple of str)
    """
    return [atom for atom in map(_parse_atom, _lines(source)) if atom is not None]


def _projections(relation, arguments):
    """Binary facts standing for an n-ary one: one per pair of positions."""
    for i in range(len(arguments)):
        for j in range(i + 1, len(arguments)):
            yield f"{relation}[{i + 1},{j + 1}]", (arguments[i], arguments[j])


def _binarized(facts):
    """Unary and binary facts kept; an n-ary one becomes its pairwise projections."""
    for relation, arguments in facts:
        if len(arguments) == 0:
            raise ValueError(f"The fact {relation}() has no argument.")
        if len(arguments) <= 2:
            yield relation, tuple(arguments)
        else:
            yield from _projections(relation, tuple(arguments))


def _binarized_schema(schema):
    out = {}
    for relation, types in schema.items():
        types = tuple(types)
        if len(types) <= 2:
            out[relation] = types
        else:
            out.update(_projections(relation, types))
    return out


class RelationalGraph:
    """An immutable graph of typed entities linked by named relations.

    Facts are ground atoms ``relation(a)`` (unary: a property of entity
    ``a``) or ``relation(a, b)`` (binary: a directed edge from ``a`` to ``b``).
    An n-ary fact ``r(a, b, c)`` is stored as its pairwise projections
    ``r[1,2](a, b)``, ``r[1,3](a, c)`` and ``r[2,3](b, c)``. Entities are
    identified by name (a string); each has a type, taken from the schema
    (the argument types of each relation) when one is given, else inferred
    from the other relations the entity appears in, else ``"entity"``.

    The graph wraps a :class:`networkx.MultiDiGraph` (``nx_graph``, frozen;
    edge keys are relation names, node attributes ``type`` and ``properties``,
    the set of unary relations that hold). It never changes after it is
    built, so ``copy.deepcopy`` (and hence :func:`sklearn.base.clone` of an
    estimator holding it) returns the same object.

    Parameters
    ----------
    facts : iterable of (str, tuple)
        ``(relation, arguments)`` pairs; arguments are entity names.
    schema : dict of str to tuple of str, default=None
        Argument types per relation (as :func:`read_modes` returns). A fact
        whose arity differs from its relation's schema is an error.

    Attributes
    ----------
    schema : mapping of str to tuple of str
        Argument types of every relation (binary projections of n-ary ones
        included), the given ones and the inferred ones.
    relations : tuple of str
        Every relation, sorted.
    entities : tuple of str
        Every entity, in index order.

    See Also
    --------
    RelationalGraph.from_triples, RelationalGraph.from_facts,
    RelationalGraph.from_srlearn : Other ways to build one.

    Examples
    --------
    >>> from sktransfer.relational import RelationalGraph
    >>> graph = RelationalGraph.from_triples(
    ...     [("ann", "friend", "bob"), ("bob", "bought", "book1")],
    ...     schema={"friend": ("user", "user"), "bought": ("user", "item")},
    ... )
    >>> graph
    RelationalGraph(3 entities, 2 facts, relations: bought, friend)
    >>> graph.entity_type("book1")
    'item'
    """

    def __init__(self, facts, *, schema=None):
        facts = list(_binarized(facts))
        given = _binarized_schema(schema or {})
        arity = {}
        for relation, arguments in facts:
            expected = len(given[relation]) if relation in given else None
            if expected is not None and expected != len(arguments):
                raise ValueError(
                    f"Arity mismatch: the schema gives {relation!r} {expected} "
                    f"argument(s), but a fact has {len(arguments)}: "
                    f"{relation}{arguments}."
                )
            if arity.setdefault(relation, len(arguments)) != len(arguments):
                raise ValueError(
                    f"Relation {relation!r} is used with {arity[relation]} and with "
                    f"{len(arguments)} arguments; a relation has one arity."
                )
        entity_types = self._entity_types(facts, given)
        full_schema = dict(given)
        for relation, n_arguments in arity.items():
            if relation not in full_schema:
                types = self._inferred_types(relation, n_arguments, facts, entity_types)
                full_schema[relation] = types
                self._type_untyped(relation, types, facts, entity_types)
        self.schema = MappingProxyType(full_schema)
        self.relations = tuple(sorted(full_schema))
        self.entities = tuple(entity_types)
        self._types = entity_types
        self._index = {name: i for i, name in enumerate(self.entities)}
        self._facts = tuple(dict.fromkeys(facts))
        self._adjacency = {}
        self._masks = {}
        self.nx_graph = self._build_nx()
        self._frozen = True

    # -- construction ----------------------------------------------------------------

    @staticmethod
    def _entity_types(facts, schema):
        types = {}
        for relation, arguments in facts:
            for position, name in enumerate(arguments):
                kind = schema[relation][position] if relation in schema else None
                known = types.get(name)
                if kind is None:
                    types.setdefault(name, None)
                elif known is None:
                    types[name] = kind
                elif known != kind:
                    raise ValueError(
                        f"Entity {name!r} has type {known!r} in one relation and "
                        f"{kind!r} in {relation!r}; an entity has one type. Rename "
                        "one of them or fix the schema."
                    )
        return {name: kind or UNTYPED for name, kind in types.items()}

    @staticmethod
    def _inferred_types(relation, n_arguments, facts, entity_types):
        """Each position's type: the one type its typed entities share, else
        ``"entity"``."""
        seen = [set() for _ in range(n_arguments)]
        for name, arguments in facts:
            if name == relation:
                for position, entity in enumerate(arguments):
                    seen[position].add(entity_types[entity])
        kinds = [kinds - {UNTYPED} for kinds in seen]
        return tuple(next(iter(k)) if len(k) == 1 else UNTYPED for k in kinds)

    @staticmethod
    def _type_untyped(relation, types, facts, entity_types):
        """Untyped entities at a position of known type take that type."""
        for name, arguments in facts:
            if name == relation:
                for kind, entity in zip(types, arguments):
                    if entity_types[entity] == UNTYPED:
                        entity_types[entity] = kind

    def _build_nx(self):
        graph = nx.MultiDiGraph()
        properties = defaultdict(set)
        for relation, arguments in self._facts:
            if len(arguments) == 1:
                properties[arguments[0]].add(relation)
        for name in self.entities:
            graph.add_node(
                name, type=self._types[name], properties=frozenset(properties[name])
            )
        for relation, arguments in self._facts:
            if len(arguments) == 2:
                graph.add_edge(arguments[0], arguments[1], key=relation)
        return nx.freeze(graph)

    @classmethod
    def from_triples(cls, triples, *, schema=None):
        """Build from ``(head, relation, tail)`` triples (binary relations).

        Parameters
        ----------
        triples : iterable of (str, str, str)
        schema : dict of str to tuple of str, default=None

        Returns
        -------
        graph : RelationalGraph
        """
        facts = []
        for triple in triples:
            if len(triple) != 3:
                raise ValueError(
                    f"A triple is (head, relation, tail); got {triple!r}. Use "
                    "RelationalGraph.from_facts for unary or n-ary facts."
                )
            head, relation, tail = triple
            facts.append((relation, (head, tail)))
        return cls(facts, schema=schema)

    @classmethod
    def from_facts(cls, facts, *, schema=None):
        """Build from ``{relation: [arguments, ...]}``.

        Parameters
        ----------
        facts : dict of str to iterable of tuple
            Each relation's facts; an argument tuple of length 1 is a unary
            fact, a plain string too.
        schema : dict of str to tuple of str, default=None

        Returns
        -------
        graph : RelationalGraph

        Examples
        --------
        >>> from sktransfer.relational import RelationalGraph
        >>> graph = RelationalGraph.from_facts(
        ...     {"female": ["ann"], "workedunder": [("ann", "bob")]}
        ... )
        >>> sorted(graph.properties("ann"))
        ['female']
        """
        pairs = []
        for relation, rows in facts.items():
            for arguments in rows:
                if isinstance(arguments, str):
                    arguments = (arguments,)
                pairs.append((relation, tuple(arguments)))
        return cls(pairs, schema=schema)

    @classmethod
    def from_srlearn(cls, facts, *, modes=None, exclude=()):
        """Build from srlearn/BoostSRL fact files and, optionally, mode files.

        Parameters
        ----------
        facts : str, Path or iterable of str
            Fact file(s) (``pred(a,b).`` per line), or the lines.
        modes : str, Path or iterable of str, default=None
            Mode declarations (``pred(+type,-type).``) giving the schema.
        exclude : iterable of str, default=()
            Relations whose facts are left out (the target relation, or
            relations that copy the label); the schema keeps their types.

        Returns
        -------
        graph : RelationalGraph
        """
        exclude = set(exclude)
        kept = [fact for fact in read_facts(facts) if fact[0] not in exclude]
        schema = read_modes(modes) if modes is not None else None
        return cls(kept, schema=schema)

    # -- immutability ----------------------------------------------------------------

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError("RelationalGraph is immutable; build a new one.")
        super().__setattr__(name, value)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_adjacency"] = {}
        state["_masks"] = {}
        state["schema"] = dict(self.schema)
        return state

    def __setstate__(self, state):
        state["schema"] = MappingProxyType(state["schema"])
        self.__dict__.update(state)  # bypasses __setattr__, so frozen stays frozen

    # -- queries ---------------------------------------------------------------------

    def __repr__(self):
        names = ", ".join(self.relations[:6]) + (
            ", ..." if len(self.relations) > 6 else ""
        )
        return (
            f"RelationalGraph({len(self.entities)} entities, {len(self._facts)} facts, "
            f"relations: {names})"
        )

    @property
    def facts(self):
        """Every fact as ``(relation, arguments)``, n-ary ones as projections."""
        return self._facts

    def unary_relations(self):
        """Relations of one argument (entity properties), sorted."""
        return tuple(r for r in self.relations if len(self.schema[r]) == 1)

    def binary_relations(self):
        """Relations of two arguments (edges), sorted."""
        return tuple(r for r in self.relations if len(self.schema[r]) == 2)

    def check_relation(self, relation):
        """Raise a ValueError naming the known relations if ``relation`` is unknown."""
        if relation not in self.schema:
            raise ValueError(
                f"Relation {relation!r} is not in the graph; it has "
                f"{list(self.relations)}."
            )

    def entity_type(self, name):
        """The type of entity ``name``."""
        return self._types[self._checked(name)]

    def properties(self, name):
        """The unary relations that hold for entity ``name``."""
        return self.nx_graph.nodes[self._checked(name)]["properties"]

    def _checked(self, name):
        if name not in self._index:
            raise ValueError(
                f"Entity {name!r} is not in the graph ({len(self.entities)} "
                "entities). Check the spelling, or add the facts that mention it."
            )
        return name

    def indices(self, names):
        """Row indices of entity ``names``; raises on an unknown one.

        Parameters
        ----------
        names : iterable of str

        Returns
        -------
        indices : ndarray of int
        """
        names = list(names)
        missing = [n for n in dict.fromkeys(names) if n not in self._index]
        if missing:
            raise ValueError(
                f"{len(missing)} entities are not in the graph, e.g. "
                f"{missing[:5]}. Every queried entity must appear in some fact."
            )
        return np.fromiter((self._index[n] for n in names), dtype=np.int64)

    def adjacency(self, relation):
        """Sparse ``n x n`` count matrix of a binary relation's edges (cached)."""
        self.check_relation(relation)
        if relation not in self._adjacency:
            pairs = [a for r, a in self._facts if r == relation and len(a) == 2]
            n = len(self.entities)
            rows = [self._index[h] for h, _ in pairs]
            cols = [self._index[t] for _, t in pairs]
            matrix = sparse.csr_matrix(
                (np.ones(len(pairs)), (rows, cols)), shape=(n, n)
            )
            self._adjacency[relation] = matrix
        return self._adjacency[relation]

    def property_mask(self, relation):
        """Boolean vector over entities: whether the unary ``relation`` holds
        (cached, read-only)."""
        self.check_relation(relation)
        if relation not in self._masks:
            mask = np.zeros(len(self.entities), dtype=bool)
            for r, arguments in self._facts:
                if r == relation and len(arguments) == 1:
                    mask[self._index[arguments[0]]] = True
            mask.flags.writeable = False
            self._masks[relation] = mask
        return self._masks[relation]

    def entity_types_array(self):
        """The type of every entity, in index order."""
        return np.array([self._types[n] for n in self.entities], dtype=object)

    def without(self, relations):
        """A new graph without the facts of ``relations``."""
        relations = set(relations)
        for relation in relations:
            self.check_relation(relation)
        kept = [(r, a) for r, a in self._facts if r not in relations]
        schema = {r: t for r, t in self.schema.items() if r not in relations}
        return RelationalGraph(kept, schema=schema)
