"""An immutable, typed multi-relational graph for relational transfer."""

import difflib
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

import networkx as nx
import numpy as np
from scipy import sparse

UNTYPED = "entity"
_NAME = re.compile(r"[A-Za-z_]\w*")
_BARE_ARGUMENT = re.compile(r"[^\s,()\"']+")
_QUOTED = {q: re.compile(q + r"((?:[^\\" + q + r"]|\\.)*)" + q) for q in "\"'"}
_ESCAPED = re.compile(r"\\(.)")
# A line holding one atom whose arguments are bare or quoted without escapes,
# the common case, is read by one regular expression instead of the scanner.
_SIMPLE_ARGUMENT = r"""(?:[^\s,()"']+|"[^"\\]*"|'[^'\\]*')"""
_SIMPLE_ATOM = re.compile(
    rf"\s*([A-Za-z_]\w*)\s*\(\s*({_SIMPLE_ARGUMENT}(?:\s*,\s*{_SIMPLE_ARGUMENT})*)"
    r"\s*\)\s*\.?\s*"
)
_SIMPLE_ARGUMENTS = re.compile(_SIMPLE_ARGUMENT)
_COMMENT_MARKS = ("%", "//", "#")
_MODE_MARKS = "+-#`"
# BoostSRL's ``+type!k`` (at most k values) says nothing about the type.
_MODE_CARDINALITY = re.compile(r"!\d*$")
_LOOKS_LIKE_MODE = re.compile(r"^\s*[A-Za-z_]\w*\s*\(\s*[+\-#`]")
_LISTED = 20  # names shown in an error message before "... and N more"
_SHOWN_TEXT = 200  # characters of an unreadable line shown in its error


def _listed(names, limit=_LISTED):
    """``['a', 'b', ...]`` with at most ``limit`` names and how many were left out."""
    names = sorted(map(str, names))
    shown = ", ".join(map(repr, names[:limit]))
    more = f", ... and {len(names) - limit} more" if len(names) > limit else ""
    return f"[{shown}{more}]"


def _unknown_relations_message(unknown, known, where="the graph"):
    """Which relations are unknown, which are known, and the near misses."""
    close = {
        name: difflib.get_close_matches(str(name), list(known), n=2) for name in unknown
    }
    hints = [
        " or ".join(map(repr, c)) + ("" if len(unknown) == 1 else f" for {name!r}")
        for name, c in close.items()
        if c
    ]
    hint = f" Did you mean {'; '.join(hints)}?" if hints else ""
    subject = (
        f"Relation {unknown[0]!r} is"
        if len(unknown) == 1
        else f"Relations {_listed(unknown)} are"
    )
    return (
        f"{subject} not in {where}; it has {len(known)} relation(s): "
        f"{_listed(known)}.{hint}"
    )


class UnknownRelationError(ValueError, KeyError):
    """A relation the graph does not have.

    A :class:`ValueError` (the input is wrong) that is also a
    :class:`KeyError`, so ``graph.schema`` keeps the mapping protocol.
    """

    __str__ = BaseException.__str__  # KeyError's would quote the message


class _Schema(Mapping):
    """Read-only ``{relation: types}``; an unknown relation is a clear error."""

    def __init__(self, types):
        self._types = dict(types)

    def __getitem__(self, relation):
        try:
            return self._types[relation]
        except KeyError:
            raise UnknownRelationError(
                _unknown_relations_message([relation], self._types)
            ) from None

    def __contains__(self, relation):
        return relation in self._types

    def get(self, relation, default=None):
        return self._types.get(relation, default)

    def __iter__(self):
        return iter(self._types)

    def __len__(self):
        return len(self._types)

    def __repr__(self):
        return repr(self._types)


# -- reading srlearn/BoostSRL files ------------------------------------------------


class _Unreadable(Exception):
    """Why a line is not a sequence of ground atoms (the caller adds where)."""


def _skip_space(text, i):
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _scan_quoted(text, i):
    """A quoted argument starting at ``text[i]``; backslash escapes the next
    character. Returns the argument and the index after its closing quote."""
    match = _QUOTED[text[i]].match(text, i)
    if match is None:
        raise _Unreadable(f"the quote {text[i]} opened at column {i + 1} is not closed")
    return _ESCAPED.sub(r"\1", match.group(1)), match.end()


def _scan_argument(text, i):
    if i < len(text) and text[i] in "\"'":
        return _scan_quoted(text, i)
    match = _BARE_ARGUMENT.match(text, i)
    if match is not None:
        return match.group(), match.end()
    if i == len(text):
        raise _Unreadable("unbalanced parentheses: ')' is missing")
    if text[i] == "(":
        raise _Unreadable(
            f"'(' inside the arguments at column {i + 1}: unbalanced parentheses "
            "or a nested term (quote an argument that holds a parenthesis)"
        )
    raise _Unreadable(f"an empty argument at column {i + 1}")


def _scan_arguments(text, i):
    """The arguments after the ``(`` at ``text[i - 1]``, up to the matching
    ``)``; returns them and the index after it."""
    arguments = []
    while True:
        argument, i = _scan_argument(text, _skip_space(text, i))
        arguments.append(argument)
        i = _skip_space(text, i)
        if i == len(text):
            raise _Unreadable("unbalanced parentheses: ')' is missing")
        if text[i] == ")":
            return tuple(arguments), i + 1
        if text[i] != ",":
            raise _Unreadable(
                f"{text[i]!r} at column {i + 1} where ',' or ')' was expected "
                "(quote an argument that holds a space, a comma or a quote)"
            )
        i += 1


def _scan_atoms(text):
    """The ground atoms of one line: ``p(a, b). q("c, d", e).`` -> two atoms.

    Blank and comment lines have none; a trailing comment is allowed. Raises
    ``_Unreadable`` saying why when the line is not a sequence of atoms.
    """
    simple = _SIMPLE_ATOM.fullmatch(text)
    if simple is not None:
        arguments = _SIMPLE_ARGUMENTS.findall(simple.group(2))
        return [
            (
                simple.group(1),
                tuple(a[1:-1] if a[0] in "\"'" else a for a in arguments),
            )
        ]
    atoms, i = [], 0
    while True:
        i = _skip_space(text, i)
        if i == len(text) or text.startswith(_COMMENT_MARKS, i):
            return atoms
        match = _NAME.match(text, i)
        if match is None:
            raise _Unreadable(f"expected a relation name at column {i + 1}")
        relation, i = match.group(), _skip_space(text, match.end())
        if i == len(text) or text[i] != "(":
            raise _Unreadable(f"expected '(' after {relation!r}")
        arguments, i = _scan_arguments(text, i + 1)
        atoms.append((relation, arguments))
        i = _skip_space(text, i)
        if i < len(text) and text[i] == ".":
            i += 1
        elif i < len(text) and text[i] == ")":
            raise _Unreadable(f"unbalanced parentheses: an extra ')' at column {i + 1}")
        elif i < len(text) and not text.startswith(_COMMENT_MARKS, i):
            raise _Unreadable(
                f"expected '.' after {relation}(...) at column {i + 1} (facts on "
                "one line are each ended by '.')"
            )


def _shown(text):
    text = text.strip()
    return text if len(text) <= _SHOWN_TEXT else text[:_SHOWN_TEXT] + "..."


def _is_file(name):
    try:
        return Path(name).is_file()
    except (OSError, ValueError):  # a name too long, or holding a NUL
        return False


def _file_lines(path):
    text = Path(path).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        yield f"line {number} of {path}", line


def _lines(source):
    """``(where, text)`` of the lines of a file, of several files (paths of
    existing files), or of the lines themselves."""
    if isinstance(source, (str, Path)):
        if isinstance(source, str) and not _is_file(source) and "(" in source:
            raise ValueError(
                f"{_shown(source)!r} is not a file; pass the lines as a list "
                "(text.splitlines()) or the path of a file."
            )
        return list(_file_lines(source))
    if not isinstance(source, Iterable):
        raise TypeError(
            "Expected a path, several paths or the lines (an iterable of str); got "
            f"{type(source).__name__}."
        )
    lines = []
    for number, item in enumerate(source, start=1):
        if isinstance(item, Path) or (isinstance(item, str) and _is_file(item)):
            lines.extend(_file_lines(item))
        elif isinstance(item, str):
            pieces = item.splitlines() or [""]
            for k, piece in enumerate(pieces, start=1):
                where = (
                    f"line {number}"
                    if len(pieces) == 1
                    else (f"line {k} of item {number}")
                )
                lines.append((where, piece))
        else:
            raise TypeError(
                f"Item {number} of the lines is a {type(item).__name__}, not a str "
                "or a path."
            )
    return lines


def _mode_declarations(where, text):
    """``(relation, types)`` of the mode declarations on one line; none for the
    other lines of a background file (``setParam:``, clauses, ...)."""
    line = text.strip()
    declared = line.startswith("mode:")
    if declared:
        line = line[len("mode:") :]
    try:
        atoms = _scan_atoms(line)
    except _Unreadable as reason:
        if declared or _LOOKS_LIKE_MODE.match(line):
            raise ValueError(
                f"Cannot read {where} as mode declarations: {_shown(text)!r} "
                f"({reason}). Expected pred(+type, -type). as in srlearn/BoostSRL "
                "background files."
            ) from None
        return []
    declarations = []
    for relation, arguments in atoms:
        marked = [len(a) > 1 and a[0] in _MODE_MARKS for a in arguments]
        if not any(marked) and not declared:
            continue
        if not all(marked):
            raise ValueError(
                f"Cannot read {where} as a mode declaration: {_shown(text)!r}; every "
                f"argument of {relation}(...) needs a mode mark (+, -, # or `) "
                "before its type."
            )
        types = tuple(
            _MODE_CARDINALITY.sub("", a.lstrip(_MODE_MARKS)) for a in arguments
        )
        declarations.append((relation, types))
    return declarations


def read_modes(source):
    """Argument types of each relation from srlearn/BoostSRL mode declarations.

    ``advisedby(+person,-person).`` gives ``{"advisedby": ("person", "person")}``;
    the marks ``+ - # ``` and a cardinality suffix (``+type!1``) are dropped,
    and the declarations of one relation must agree on its types. Lines that
    are not mode declarations (``setParam``, clauses and the like) are
    skipped; a line that starts as one (``mode:``, or ``pred(+...``) but
    cannot be read is an error.

    Parameters
    ----------
    source : str, Path or iterable of str
        A file, several files (paths of existing files), or the lines
        themselves.

    Returns
    -------
    schema : dict of str to tuple of str

    Raises
    ------
    ValueError
        A mode declaration that cannot be read (the error names its line), or
        two declarations of a relation with different types.

    Examples
    --------
    >>> from sktransfer.relational import read_modes
    >>> read_modes(["mode: ta(+course, -person).", "setParam: treeDepth=3."])
    {'ta': ('course', 'person')}
    """
    schema = {}
    for where, text in _lines(source):
        for relation, types in _mode_declarations(where, text):
            if schema.setdefault(relation, types) != types:
                raise ValueError(
                    f"The mode declarations of {relation!r} disagree on its types: "
                    f"{schema[relation]} and {types} ({where})."
                )
    return schema


def read_facts(source):
    """Ground atoms of srlearn/BoostSRL fact files as ``(relation, args)`` pairs.

    A line holds one fact or several, each ended by ``.`` (the last one's is
    optional), and may end with a comment (``%``, ``//`` or ``#``). An
    argument is a bare name (no space, comma, parenthesis or quote) or quoted
    (``"a, b"`` or ``'a, b'``, a backslash escaping the next character).

    Parameters
    ----------
    source : str, Path or iterable of str
        A file, several files, or the lines themselves.

    Returns
    -------
    facts : list of (str, tuple of str)

    Raises
    ------
    ValueError
        A line that is not ground atoms (unbalanced parentheses, an empty
        argument, two facts without ``.`` between them, ...); the error gives
        its line number and text.

    Examples
    --------
    >>> from sktransfer.relational import read_facts
    >>> read_facts(['advisedby(ann, bob). taughtby("c1, autumn", bob).'])
    [('advisedby', ('ann', 'bob')), ('taughtby', ('c1, autumn', 'bob'))]
    """
    facts = []
    for where, text in _lines(source):
        try:
            facts.extend(_scan_atoms(text))
        except _Unreadable as reason:
            raise ValueError(
                f"Cannot read {where} as ground atoms: {_shown(text)!r} ({reason}). "
                "Expected facts such as pred(a, b). as in srlearn/BoostSRL fact "
                "files; facts on one line are each ended by '.', and an argument "
                'that holds a comma, a space or a parenthesis is quoted: pred("a, '
                'b", c).'
            ) from None
    return facts


def _projections(relation, arguments):
    """Binary facts standing for an n-ary one: one per pair of positions."""
    for i in range(len(arguments)):
        for j in range(i + 1, len(arguments)):
            yield f"{relation}[{i + 1},{j + 1}]", (arguments[i], arguments[j])


def _is_missing(name):
    return name is None or (isinstance(name, float) and math.isnan(name))


def _checked_facts(facts):
    """Each fact as ``(relation, arguments)``; a relation name that is not a
    non-empty string, or a missing argument, is refused."""
    for fact in facts:
        try:
            relation, arguments = fact
        except (TypeError, ValueError):
            raise ValueError(
                f"A fact is a (relation, arguments) pair; got {fact!r}."
            ) from None
        if not isinstance(relation, str) or not relation:
            raise TypeError(
                f"Relation names are non-empty strings (feature names are built "
                f"from them); got {relation!r} in the fact {fact!r}."
            )
        if isinstance(arguments, str):
            arguments = (arguments,)
        arguments = tuple(arguments)
        if any(_is_missing(a) for a in arguments):
            raise ValueError(
                f"The fact {relation}{arguments} has a missing argument (None or "
                "NaN); drop it or name the entity."
            )
        yield relation, arguments


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
        facts = list(_binarized(_checked_facts(facts)))
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
        self.schema = _Schema(full_schema)
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
                if isinstance(arguments, str) or not isinstance(arguments, Iterable):
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
        exclude : str or iterable of str, default=()
            Relations whose facts are left out (the target relation, or
            relations that copy the label); the schema keeps their types.
            Each must be a relation of the facts or the modes.

        Returns
        -------
        graph : RelationalGraph

        Raises
        ------
        ValueError
            A line that cannot be read, or an ``exclude`` name that is not a
            relation of the facts or modes (a misspelt name would leave the
            label in the graph).

        Examples
        --------
        >>> from sktransfer.relational import RelationalGraph
        >>> graph = RelationalGraph.from_srlearn(
        ...     ["advisedby(ann, bob).", "publication(t1, ann)."],
        ...     modes=["advisedby(+person, -person).", "publication(+title, -person)."],
        ...     exclude=["advisedby"],
        ... )
        >>> graph
        RelationalGraph(2 entities, 1 facts, relations: advisedby, publication)
        """
        exclude = [exclude] if isinstance(exclude, str) else list(exclude)
        facts = read_facts(facts)
        schema = read_modes(modes) if modes is not None else None
        known = {relation for relation, _ in facts} | set(schema or {})
        unknown = [name for name in dict.fromkeys(exclude) if name not in known]
        if unknown:
            raise ValueError(
                "exclude names relations the facts and modes do not have, so "
                "nothing would be left out: "
                + _unknown_relations_message(unknown, known, "the facts or modes")
            )
        excluded = set(exclude)
        return cls([f for f in facts if f[0] not in excluded], schema=schema)

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
        state["schema"] = _Schema(state["schema"])
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
        """Relations of one argument (entity properties), sorted.

        Returns
        -------
        relations : tuple of str
        """
        return tuple(r for r in self.relations if len(self.schema[r]) == 1)

    def binary_relations(self):
        """Relations of two arguments (edges), sorted.

        Returns
        -------
        relations : tuple of str
        """
        return tuple(r for r in self.relations if len(self.schema[r]) == 2)

    def check_relation(self, relation):
        """Raise a ValueError naming the known relations if ``relation`` is unknown.

        Parameters
        ----------
        relation : str
            The name to look up.

        Raises
        ------
        UnknownRelationError
            A :class:`ValueError` naming the relation, the graph's relations
            (the first 20) and near misses.
        """
        self.schema[relation]  # raises with the message when unknown

    def entity_type(self, name):
        """The type of entity ``name``.

        Parameters
        ----------
        name : str
            An entity of the graph.

        Returns
        -------
        type : str
        """
        return self._types[self._checked(name)]

    def properties(self, name):
        """The unary relations that hold for entity ``name``.

        Parameters
        ----------
        name : str
            An entity of the graph.

        Returns
        -------
        properties : frozenset of str
        """
        return self.nx_graph.nodes[self._checked(name)]["properties"]

    def _checked(self, name):
        if name not in self._index:
            raise ValueError(self._unknown_entities_message([name]))
        return name

    def indices(self, names):
        """Row indices of entity ``names``; raises on an unknown one.

        Parameters
        ----------
        names : iterable of str
            Entities of the graph.

        Returns
        -------
        indices : ndarray of int
        """
        names = list(names)
        missing = self.unknown_entities(names)
        if missing:
            raise ValueError(self._unknown_entities_message(missing))
        return np.fromiter((self._index[n] for n in names), dtype=np.int64)

    def unknown_entities(self, names):
        """The distinct ``names`` that are not entities of the graph, in order.

        Parameters
        ----------
        names : iterable of str
            Candidate entity names.

        Returns
        -------
        unknown : list of str
        """
        return [n for n in dict.fromkeys(names) if n not in self._index]

    def _unknown_entities_message(self, unknown, where="the graph"):
        """The error message for ``unknown`` entities (a few are named)."""
        subject = (
            f"Entity {unknown[0]!r} is"
            if len(unknown) == 1
            else f"{len(unknown)} entities are"
        )
        example = "" if len(unknown) == 1 else f", e.g. {unknown[:5]}"
        return (
            f"{subject} not in {where} ({len(self.entities)} entities){example}. "
            "Every queried entity must appear in some fact; check the spelling."
        )

    def adjacency(self, relation):
        """Sparse ``n x n`` count matrix of a binary relation's edges (cached).

        Parameters
        ----------
        relation : str
            A binary relation of the graph.

        Returns
        -------
        matrix : scipy.sparse.csr_matrix of shape (n_entities, n_entities)
            Entry ``(i, j)`` counts the edges from entity ``i`` to ``j``.
        """
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
        (cached, read-only).

        Parameters
        ----------
        relation : str
            A unary relation of the graph.

        Returns
        -------
        mask : ndarray of bool of shape (n_entities,)
        """
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
        """The type of every entity, in index order.

        Returns
        -------
        types : ndarray of object of shape (n_entities,)
        """
        return np.array([self._types[n] for n in self.entities], dtype=object)

    def without(self, relations):
        """A new graph without the facts of ``relations``.

        Parameters
        ----------
        relations : iterable of str
            Relations of the graph.

        Returns
        -------
        graph : RelationalGraph
        """
        relations = set(relations)
        for relation in relations:
            self.check_relation(relation)
        kept = [(r, a) for r, a in self._facts if r not in relations]
        schema = {r: t for r, t in self.schema.items() if r not in relations}
        return RelationalGraph(kept, schema=schema)
