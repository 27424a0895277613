"""Relation-path features of entity pairs and entities (PRA / SFE style)."""

import logging
import numbers
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..base import report_progress
from ._graph import UNTYPED, _is_missing

logger = logging.getLogger(__name__)

INVERSE = "^-1"
_KINDS = ("path", "head", "tail", "self")
# The separators of feature names, and the quote and escape that protect a
# relation name holding one of them.
_RESERVED = frozenset('/:^"\\')


@dataclass(frozen=True)
class Step:
    """One hop along a relation, forwards (head to tail) or backwards."""

    relation: str
    inverse: bool = False

    def __str__(self):
        return _quoted(self.relation) + (INVERSE if self.inverse else "")


def _quoted(relation):
    """A relation name as written in a feature name: as is, or in double
    quotes (``\\`` escaping ``"`` and ``\\``) when it holds a separator."""
    if not _RESERVED.intersection(relation):
        return relation
    escaped = relation.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


class _BadName(Exception):
    """Why a string is not a feature name (the caller says which string)."""


def _read_relation(name, i):
    """The relation name at ``name[i]``, bare or quoted, and the index after it."""
    if name.startswith('"', i):
        characters, i = [], i + 1
        while i < len(name):
            if name[i] == "\\" and i + 1 < len(name):
                characters.append(name[i + 1])
                i += 2
            elif name[i] == '"':
                return "".join(characters), i + 1
            else:
                characters.append(name[i])
                i += 1
        raise _BadName("a quote is not closed")
    end = i
    while end < len(name) and name[end] not in _RESERVED:
        end += 1
    if end == i:
        raise _BadName(f"a relation name is missing at character {i + 1}")
    return name[i:end], end


def _read_path(name, i):
    """The steps ``r/s^-1/...`` from ``name[i]``, and the index after them."""
    steps = []
    while True:
        relation, i = _read_relation(name, i)
        inverse = name.startswith(INVERSE, i)
        i += len(INVERSE) if inverse else 0
        steps.append(Step(relation, inverse))
        if not name.startswith("/", i):
            return tuple(steps), i
        i += 1


def path_name(path):
    """``(Step("movie", True), Step("movie"))`` -> ``"movie^-1/movie"``.

    A relation name holding ``/``, ``:``, ``^``, ``"`` or ``\\`` is quoted,
    so :func:`parse_path` reads every name back.
    """
    return "/".join(map(str, path))


def parse_path(name):
    """The inverse of :func:`path_name`."""
    try:
        path, end = _read_path(name, 0)
        if end != len(name):
            raise _BadName(f"unexpected {name[end]!r} at character {end + 1}")
    except _BadName as reason:
        raise ValueError(f"{name!r} is not a relation path ({reason}).") from None
    return path


def feature_name(kind, path=(), prop=None):
    """A feature's name: ``path:π``, ``path:π:p``, ``head:p``, ``tail:p``, ``self:p``.

    Relation names holding a separator are quoted, so that
    :func:`parse_feature_name` gives back ``(kind, path, prop)``.
    """
    if kind == "path":
        return f"path:{path_name(path)}" + (f":{_quoted(prop)}" if prop else "")
    return f"{kind}:{_quoted(prop)}"


def parse_feature_name(name):
    """``(kind, path, prop)`` of a feature name (the inverse of :func:`feature_name`).

    ``path`` is a tuple of :class:`Step` (empty unless ``kind`` is ``"path"``),
    ``prop`` a unary relation or None.
    """
    kind, _, rest = str(name).partition(":")
    try:
        if kind not in _KINDS:
            raise _BadName(f"it starts with {kind!r}")
        path, i = _read_path(rest, 0) if kind == "path" else ((), 0)
        prop = None
        if kind != "path" or rest.startswith(":", i):
            prop, i = _read_relation(rest, i + (kind == "path"))
        if i != len(rest):
            raise _BadName(f"unexpected {rest[i]!r} after {kind}:{rest[:i]}")
    except _BadName as reason:
        raise ValueError(
            f"Feature {name!r} is not a path featurizer's feature name "
            f"(path:..., path:...:p, head:p, tail:p or self:p): {reason}."
        ) from None
    return kind, path, prop


def check_entity_rows(X, graph=None, *, where="the graph", hint=""):
    """``X`` as an object array of entity ids: ``(n, 2)`` pairs or ``(n, 1)``
    entities, none missing, and all entities of ``graph`` when one is given.

    Parameters
    ----------
    X : array-like
    graph : RelationalGraph, default=None
    where : str, default="the graph"
        How the graph is named in the error.
    hint : str, default=""
        Appended to the unknown-entity error.

    Returns
    -------
    X : ndarray of object of shape (n, 2) or (n, 1)
    """
    X = np.asarray(X, dtype=object)
    if X.ndim != 2 or X.shape[1] not in (1, 2):
        raise ValueError(
            "X must hold entity names: shape (n, 2) for (head, tail) pairs of a "
            f"link task or (n, 1) for a node task; got shape {X.shape}."
        )
    if X.shape[0] == 0:
        raise ValueError("X has no rows.")
    missing = np.array([_is_missing(v) for v in X.ravel()]).reshape(X.shape)
    if missing.any():
        rows = np.flatnonzero(missing.any(axis=1))
        raise ValueError(
            f"X has missing entity ids (None or NaN) in {len(rows)} row(s), "
            f"e.g. rows {rows[:5].tolist()}; drop those rows or name the entities."
        )
    if graph is not None:
        unknown = graph.unknown_entities(X.ravel())
        if unknown:
            raise ValueError(graph._unknown_entities_message(unknown, where) + hint)
    return X


def _compatible(kind, wanted):
    return kind == wanted or UNTYPED in (kind, wanted)


def _steps_from(graph, kind, relations):
    """Steps that can leave an entity of type ``kind``."""
    steps = []
    for relation in relations:
        head, tail = graph.schema[relation]
        if _compatible(head, kind):
            steps.append((Step(relation), tail))
        if _compatible(tail, kind):
            steps.append((Step(relation, True), head))
    return steps


def count_typed_paths(graph, start_type, max_length, relations):
    """How many typed relation paths of length 1..max_length leave ``start_type``.

    The number of candidate features before any data is looked at: what
    :class:`PathFeaturizer` checks against ``max_paths``.
    """
    frontier = {start_type: 1}
    total = 0
    for _ in range(max_length):
        following = {}
        for kind, count in frontier.items():
            for _, next_kind in _steps_from(graph, kind, relations):
                following[next_kind] = following.get(next_kind, 0) + count
        total += sum(following.values())
        frontier = following
    return total


def _step_matrix(graph, step, value, masked):
    matrix = masked.get(step.relation)
    if matrix is None:
        matrix = graph.adjacency(step.relation)
    if step.inverse:
        matrix = matrix.T.tocsr()
    if value == "random_walk":
        out_degree = np.asarray(matrix.sum(axis=1)).ravel()
        scale = np.divide(
            1.0, out_degree, out=np.zeros_like(out_degree), where=out_degree > 0
        )
        matrix = sparse.diags(scale) @ matrix
    return matrix.tocsr()


class PathFeaturizer(TransformerMixin, BaseEstimator):
    """Relation-path features of entity pairs (link tasks) or entities (node tasks).

    For a link task ``X`` is an ``(n, 2)`` array of ``(head, tail)`` entity
    names. Each feature is a *relation path*, a sequence of up to
    ``max_length`` relations, each followed forwards or backwards (``r^-1``),
    that leads from the head to the tail (Lao and Cohen, 2010; Gardner and
    Mitchell, 2015). Its value for a pair is whether such a path exists
    (``"binary"``), how many there are (``"count"``), or the probability that
    a random walk from the head that follows the path's relations, choosing
    uniformly among the edges at each step, ends at the tail
    (``"random_walk"``, the Path Ranking Algorithm's feature). With
    ``include_properties``, ``head:p`` and ``tail:p`` features say which unary
    relations hold for the head and the tail.

    For a node task ``X`` is an ``(n, 1)`` array of entity names; a feature
    ``path:π`` is the value of the paths π from the entity to any entity, and
    ``path:π:p`` of those that end at an entity where the unary relation ``p``
    holds; ``self:p`` says whether ``p`` holds for the entity itself.

    Leakage is ruled out by construction. In a link task every edge of the
    target ``relation`` (so the queried edge of every pair) is hidden from
    the paths (``hide="relation"``), or, with ``hide="query"``, only the edge
    between each queried pair: other known edges of the relation stay usable
    ("a friend bought it"), and the rows' own answers do not. In a node task,
    the entity's own value of the target unary ``relation`` is hidden (a path
    back to itself does not count it, and there is no ``self:`` feature of
    it); other entities' values are used.
    Relations named in ``hidden_relations`` (say, an inverse copy of the
    label) are hidden everywhere.

    Parameters
    ----------
    graph : RelationalGraph
        The graph the entities live in. Deep copies return the same graph, so
        :func:`~sklearn.base.clone` is cheap.
    relation : str, default=None
        The target relation: binary for a link task, unary for a node task.
        Its edges (link task) or the queried entity's value (node task) are
        hidden. None hides nothing but ``hidden_relations``.
    max_length : int, default=3
        Longest path, in relations.
    value : {"binary", "count", "random_walk"}, default="binary"
        What a path feature holds.
    hide : {"relation", "query"}, default="relation"
        In a link task, hide every edge of ``relation``, or only the edges
        between the queried pairs of the rows being featurized (all of them
        at once, so a row's features also miss the other rows' edges: meant
        for examples held out of the graph, where the known edges of the
        relation are evidence, as in recommendation).
    hidden_relations : tuple of str, default=()
        Relations never used.
    include_properties : bool, default=True
        Add the unary-relation features (``head:``, ``tail:``, ``self:``,
        ``path:π:p``).
    min_support : int, default=1
        Keep the features that are non-zero for at least this many of the
        rows given to ``fit``.
    max_paths : int, default=20000
        Refuse (with advice) when the schema allows more typed paths than
        this: the work grows with their number.
    features : list of str, default=None
        A fixed list of feature names (as :meth:`get_feature_names_out` gives
        them), in the output's order: ``fit`` then looks for nothing else and
        keeps every one, whatever its support (what a mapped source model
        needs). None finds the features among the rows given to ``fit``.
    n_jobs : int, default=None
        Paths that start with different steps are followed in parallel
        (joblib threads).
    verbose : int, default=0
        Report progress when positive: through ``logging`` (INFO) when it is
        configured to show it, else on stderr.

    Attributes
    ----------
    paths_ : list of tuple of Step
        The relation paths kept, in feature order (properties excluded).
    feature_names_ : ndarray of str
        Names of all features, as :meth:`get_feature_names_out` returns them.
    task_ : {"link", "node"}
        From the width of ``X`` in ``fit``.
    n_typed_paths_ : int
        Typed paths the schema allows (before looking at the data).

    References
    ----------
    .. [1] N. Lao and W. W. Cohen. Relational retrieval using a combination of
       path-constrained random walks. *Machine Learning*, 81, 2010.
    .. [2] M. Gardner and T. Mitchell. Efficient and expressive knowledge base
       completion using subgraph feature extraction. *EMNLP*, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.relational import PathFeaturizer, RelationalGraph
    >>> graph = RelationalGraph.from_triples([
    ...     ("ann", "actedin", "m1"), ("bob", "directed", "m1"),
    ...     ("ann", "workedunder", "bob"),
    ... ])
    >>> featurizer = PathFeaturizer(graph, relation="workedunder", max_length=2)
    >>> features = featurizer.fit_transform(np.array([["ann", "bob"]]))
    >>> dict(zip(featurizer.get_feature_names_out(), features.toarray()[0]))
    {'path:actedin/directed^-1': np.float64(1.0)}
    """

    _parameter_constraints = {
        "graph": [HasMethods(["adjacency", "indices"])],
        "relation": [str, None],
        "max_length": [Interval(numbers.Integral, 1, None, closed="left")],
        "value": [StrOptions({"binary", "count", "random_walk"})],
        "hide": [StrOptions({"relation", "query"})],
        "hidden_relations": [tuple, list],
        "include_properties": ["boolean"],
        "min_support": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_paths": [Interval(numbers.Integral, 1, None, closed="left")],
        "features": [list, tuple, None],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        graph,
        *,
        relation=None,
        max_length=3,
        value="binary",
        hide="relation",
        hidden_relations=(),
        include_properties=True,
        min_support=1,
        max_paths=20000,
        features=None,
        n_jobs=None,
        verbose=0,
    ):
        self.graph = graph
        self.relation = relation
        self.max_length = max_length
        self.value = value
        self.hide = hide
        self.hidden_relations = hidden_relations
        self.include_properties = include_properties
        self.min_support = min_support
        self.max_paths = max_paths
        self.features = features
        self.n_jobs = n_jobs
        self.verbose = verbose

    # -- input ------------------------------------------------------------------------

    def _check_X(self, X, width=None):
        X = check_entity_rows(X, self.graph)
        if width is not None and X.shape[1] != width:
            raise ValueError(
                f"X has {X.shape[1]} column(s) but the featurizer was fitted on "
                f"{width} ({self.task_} task)."
            )
        return X

    def _usable_relations(self, task):
        graph = self.graph
        hidden = set(self.hidden_relations)
        for relation in hidden:
            graph.check_relation(relation)
        if self.relation is not None:
            graph.check_relation(self.relation)
            arity = len(graph.schema[self.relation])
            if arity != (2 if task == "link" else 1):
                raise ValueError(
                    f"A {task} task needs a {'binary' if task == 'link' else 'unary'} "
                    f"target relation; {self.relation!r} has {arity} argument(s)."
                )
            if task == "link" and self.hide == "relation":
                hidden.add(self.relation)
        binary = [r for r in graph.binary_relations() if r not in hidden]
        unary = [
            r for r in graph.unary_relations() if r not in hidden or r == self.relation
        ]
        return binary, [r for r in unary if r not in set(self.hidden_relations)]

    def _masked_query_edges(self, X):
        """With ``hide="query"``: the target relation without the rows' own edges."""
        if self.task_ != "link" or self.relation is None or self.hide != "query":
            return {}
        graph = self.graph
        adjacency = graph.adjacency(self.relation)
        queried = sparse.csr_matrix(
            (np.ones(X.shape[0]), (graph.indices(X[:, 0]), graph.indices(X[:, 1]))),
            shape=adjacency.shape,
        )
        masked = adjacency - adjacency.multiply(queried > 0)
        masked.eliminate_zeros()
        return {self.relation: masked.tocsr()}

    def _start_type(self, X, column):
        kinds = {self.graph.entity_type(name) for name in np.unique(X[:, column])}
        return kinds.pop() if len(kinds) == 1 else UNTYPED

    # -- path values ------------------------------------------------------------------

    def _follow(self, first, starts, relations, keep, step_matrices):
        """Values of every path beginning with ``first``, as ``(path, matrix)``.

        ``matrix`` has one row per start entity and one column per entity.
        Only paths in ``keep`` are returned (all if ``keep`` is None); a path
        no start entity can follow is not extended.
        """
        found = []
        stack = [((first[0],), first[1], starts @ step_matrices[first[0]])]
        while stack:
            path, kind, values = stack.pop()
            if values.nnz == 0:
                continue
            if keep is None or path in keep:
                found.append((path, values))
            if len(path) == self.max_length:
                continue
            for step, next_kind in _steps_from(self.graph, kind, relations):
                prefix = path + (step,)
                if keep is not None and prefix not in keep.prefixes:
                    continue
                stack.append((prefix, next_kind, values @ step_matrices[step]))
        return found

    def _path_values(self, X, keep=None):
        """``[(path, values of the rows of X)]`` for every path (in ``keep``)."""
        graph = self.graph
        relations, _ = self._usable_relations(self.task_)
        starts, rows = np.unique(X[:, 0], return_inverse=True)
        n = len(graph.entities)
        start_matrix = sparse.csr_matrix(
            (np.ones(len(starts)), (np.arange(len(starts)), graph.indices(starts))),
            shape=(len(starts), n),
        )
        start_type = self._start_type(X, 0)
        firsts = _steps_from(graph, start_type, relations)
        if keep is not None:
            firsts = [f for f in firsts if (f[0],) in keep.prefixes]
        # Each step's matrix once (transposed, normalized, query edges masked),
        # not once per path that takes it.
        masked = self._masked_query_edges(X)
        step_matrices = {
            Step(r, inverse): _step_matrix(graph, Step(r, inverse), self.value, masked)
            for r in relations
            for inverse in (False, True)
        }
        batches = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(self._follow)(first, start_matrix, relations, keep, step_matrices)
            for first in firsts
        )
        found = [item for batch in batches for item in batch]
        report_progress(
            logger,
            self.verbose,
            "PathFeaturizer: followed %d relation paths from %d entities",
            len(found),
            len(starts),
        )
        return [(path, self._row_values(X, rows, values)) for path, values in found]

    def _row_values(self, X, rows, values):
        """Per row of X: the value at its tail (link) or per end property (node)."""
        values = values.tocsr()
        if self.task_ == "link":
            tails = self.graph.indices(X[:, 1])
            out = np.asarray(values[rows, tails]).ravel()
            return {"": out}
        out = {"": np.asarray(values.sum(axis=1)).ravel()[rows]}
        if self.include_properties:
            own = self.graph.indices(X[:, 0])
            for prop in self._properties:
                mask = self.graph.property_mask(prop).astype(float)
                reach = np.asarray(values @ mask).ravel()[rows]
                if prop == self.relation:
                    # The entity's own label, reached by a path back to itself.
                    reach = reach - np.asarray(values[rows, own]).ravel() * mask[own]
                out[prop] = reach
        return out

    def _property_columns(self, X):
        graph = self.graph
        columns = {}
        ends = (("head", 0), ("tail", 1)) if self.task_ == "link" else (("self", 0),)
        for prefix, column in ends:
            entities = graph.indices(X[:, column])
            for prop in self._properties:
                if self.task_ == "node" and prop == self.relation:
                    continue
                columns[feature_name(prefix, prop=prop)] = graph.property_mask(prop)[
                    entities
                ].astype(float)
        return columns

    def _all_columns(self, X, keep=None):
        columns = {}
        for path, by_property in self._path_values(X, keep):
            for prop, values in by_property.items():
                columns[feature_name("path", path, prop or None)] = values
        if self.include_properties:
            columns.update(self._property_columns(X))
        return columns

    def _finish(self, values):
        if self.value == "binary":
            return (values > 0).astype(float)
        return values

    # -- estimator API ----------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Find the path features present among the rows of ``X``.

        Parameters
        ----------
        X : array-like of str of shape (n, 2) or (n, 1)
            Entity pairs (link task) or entities (node task).
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._fit(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit and transform the same rows, following their paths once.

        Parameters
        ----------
        X : array-like of str of shape (n, 2) or (n, 1)
            Entity pairs (link task) or entities (node task).
        y : None
            Ignored.

        Returns
        -------
        features : sparse matrix of shape (n, n_features)
            As :meth:`transform` of the same rows gives.
        """
        X, columns = self._fit(X)
        return self._matrix(columns, X.shape[0])

    def _fit(self, X):
        """Fit on ``X``; return the checked ``X`` and its feature columns."""
        X = self._check_X(X)
        self.task_ = "link" if X.shape[1] == 2 else "node"
        relations, self._properties = self._usable_relations(self.task_)
        self.n_typed_paths_ = count_typed_paths(
            self.graph, self._start_type(X, 0), self.max_length, relations
        )
        if self.n_typed_paths_ > self.max_paths:
            raise ValueError(
                f"max_length={self.max_length} allows {self.n_typed_paths_} typed "
                f"relation paths from the {self._start_type(X, 0)!r} entities, more "
                f"than max_paths={self.max_paths}; the work grows with their number. "
                "Lower max_length, hide relations (hidden_relations=...), or raise "
                "max_paths if you can afford it."
            )
        if self.features is not None:
            names = self._checked_features()
            columns = self._all_columns(X, _Vocabulary(_paths_of(names)))
            support = {n: int(np.count_nonzero(columns.get(n, 0))) for n in names}
        else:
            columns = self._all_columns(X)
            support = {
                name: int(np.count_nonzero(values)) for name, values in columns.items()
            }
            names = [n for n in columns if support[n] >= self.min_support]
        self.feature_names_ = np.array(names, dtype=object)
        self.paths_ = list(dict.fromkeys(_paths_of(names)))
        self.support_ = np.array([support[n] for n in names])
        self.n_features_in_ = X.shape[1]
        return X, columns

    def _checked_features(self):
        """The given feature names, in their canonical spelling (quotes only
        where needed), every relation they use checked."""
        names = []
        for name in self.features:
            kind, path, prop = parse_feature_name(name)
            for relation in [s.relation for s in path] + ([prop] if prop else []):
                self.graph.check_relation(relation)
            names.append(feature_name(kind, path, prop))
        return list(dict.fromkeys(names))

    def transform(self, X):
        """Path features of the rows of ``X``, as a sparse matrix.

        Parameters
        ----------
        X : array-like of str of shape (n, 2) or (n, 1)
            Entity pairs (link task) or entities (node task), of the width
            seen in ``fit``.

        Returns
        -------
        features : sparse matrix of shape (n, n_features)
            CSR; columns as :meth:`get_feature_names_out`.
        """
        check_is_fitted(self)
        X = self._check_X(X, width=self.n_features_in_)
        return self._matrix(self._all_columns(X, _Vocabulary(self.paths_)), X.shape[0])

    def _matrix(self, columns, n):
        """The fitted features of ``n`` rows from their computed columns."""
        blocks = [
            sparse.csc_matrix(self._finish(columns[name]).reshape(-1, 1))
            if name in columns
            else sparse.csc_matrix((n, 1))
            for name in self.feature_names_
        ]
        if not blocks:
            return sparse.csr_matrix((n, 0))
        return sparse.hstack(blocks, format="csr")

    def get_feature_names_out(self, input_features=None):
        """Names: ``path:...``, ``path:...:p``, ``head:p``, ``tail:p``, ``self:p``.

        A relation name holding ``/``, ``:``, ``^``, ``"`` or ``\\`` is quoted
        (see :func:`feature_name`).

        Parameters
        ----------
        input_features : None
            Ignored (the features are relation paths, not input columns).

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self)
        return self.feature_names_.copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = True
        tags.transformer_tags.preserves_dtype = []
        return tags


def _paths_of(names):
    """The relation paths of the ``path:`` feature names, in order."""
    return [parse_feature_name(n)[1] for n in names if n.startswith("path:")]


class _Vocabulary:
    """The paths kept at fit, and all their prefixes, for transform."""

    def __init__(self, paths):
        self.paths = set(paths)
        self.prefixes = {p[:k] for p in self.paths for k in range(1, len(p) + 1)}

    def __contains__(self, path):
        return path in self.paths
