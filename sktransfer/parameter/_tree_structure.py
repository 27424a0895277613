"""Decision trees as editable nodes, and back to a fitted scikit-learn tree.

Tree transfer (:mod:`._tree`) edits a source tree with target rows: it grows
leaves, prunes subtrees, moves thresholds and re-estimates class
distributions. The edits are made on :class:`Node` objects (one per node,
children linked), read from a fitted ``DecisionTreeClassifier``; the result is
written back as a new ``sklearn.tree._tree.Tree`` in scikit-learn's own state
format, so the transferred model is a ``DecisionTreeClassifier`` like any
other: ``predict_proba``, ``apply``, ``decision_path``, ``export_text`` and
``plot_tree`` work on it.

Rows are routed as scikit-learn routes them: features cast to float32, a row
goes left when its value is ``<= threshold``.
"""

import copy
from dataclasses import dataclass, field

import numpy as np
from sklearn.tree._tree import TREE_LEAF, TREE_UNDEFINED, Tree

__all__ = [
    "Node",
    "impurity",
    "nodes_from_tree",
    "route",
    "tree_classifier_from_nodes",
]


@dataclass(eq=False)
class Node:
    """One node of an editable classification tree.

    ``source_value`` is the class distribution the source tree holds at the
    node (None for nodes the transfer grew); ``counts`` the weighted class
    counts of the target rows that reach it (set by :func:`route`);
    ``source_id`` the node's id in the source tree (None when grown);
    ``status`` what the transfer did to it.
    """

    feature: int = TREE_UNDEFINED
    threshold: float = float(TREE_UNDEFINED)
    left: "Node | None" = None
    right: "Node | None" = None
    source_value: np.ndarray | None = None
    counts: np.ndarray | None = None
    n_rows: int = 0
    source_id: int | None = None
    status: str = "kept"
    extra: dict = field(default_factory=dict)

    @property
    def is_leaf(self):
        return self.left is None

    def make_leaf(self):
        self.feature, self.threshold = TREE_UNDEFINED, float(TREE_UNDEFINED)
        self.left = self.right = None

    def walk(self):
        """The nodes of the subtree in scikit-learn's order (depth first,
        left before right)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            if not node.is_leaf:
                stack.extend((node.right, node.left))

    def leaves(self):
        return [node for node in self.walk() if node.is_leaf]


def nodes_from_tree(tree, first=0, *, source=True):
    """The :class:`Node` graph of a fitted ``sklearn.tree._tree.Tree`` below
    node ``first``; class distributions as ``source_value`` when ``source``
    (else in ``extra["value"]``)."""
    values = tree.value[:, 0, :]
    nodes = {}
    for node_id in range(tree.node_count):
        node = Node(source_id=node_id if source else None)
        if tree.children_left[node_id] != TREE_LEAF:
            node.feature = int(tree.feature[node_id])
            node.threshold = float(tree.threshold[node_id])
        distribution = values[node_id] / max(values[node_id].sum(), 1e-300)
        if source:
            node.source_value = distribution
        else:
            node.extra["value"] = distribution
        nodes[node_id] = node
    for node_id, node in nodes.items():
        if tree.children_left[node_id] != TREE_LEAF:
            node.left = nodes[int(tree.children_left[node_id])]
            node.right = nodes[int(tree.children_right[node_id])]
    return nodes[first]


def route(root, X, codes, weights, n_classes):
    """Set ``counts`` and ``n_rows`` of every node from the rows that reach it.

    ``X`` is float32 (as scikit-learn compares), ``codes`` the rows' class
    indices, ``weights`` their weights. Returns the leaf reached by each row,
    as a dict of node to row indices.
    """
    reached = {}
    stack = [(root, np.arange(X.shape[0]))]
    while stack:
        node, rows = stack.pop()
        node.counts = np.bincount(codes[rows], weights[rows], minlength=n_classes)
        node.n_rows = rows.shape[0]
        if node.is_leaf:
            reached[node] = rows
            continue
        # np.float64: a Python float would be cast to X's float32 (NEP 50).
        goes_left = X[rows, node.feature] <= np.float64(node.threshold)
        stack.append((node.right, rows[~goes_left]))
        stack.append((node.left, rows[goes_left]))
    return reached


def impurity(counts, criterion):
    """Gini or entropy (base 2) of each row of class counts; 0 for a row of
    zero counts (a node no target row reaches)."""
    total = counts.sum(axis=-1, keepdims=True)
    shares = counts / np.maximum(total, 1e-300)
    if criterion == "gini":
        values = 1.0 - (shares**2).sum(axis=-1)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(shares > 0, shares * np.log2(shares), 0.0)
        values = -terms.sum(axis=-1)
    return np.where(total[..., 0] > 0, values, 0.0)


def node_value(node):
    """The class distribution a node predicts: its target rows' when some
    reach it, else the source tree's (or the grown tree's) distribution."""
    if node.counts is not None and node.counts.sum() > 0:
        return node.counts / node.counts.sum()
    if node.source_value is not None:
        return node.source_value
    return node.extra["value"]


def tree_classifier_from_nodes(root, template, criterion="gini"):
    """A fitted ``DecisionTreeClassifier``: a copy of ``template`` (the source
    tree, whose classes and features it keeps) holding the tree of ``root``.

    Node statistics (``n_node_samples``, ``weighted_n_node_samples``,
    ``impurity``) are those of the target rows; ``value`` is
    :func:`node_value`.
    """
    ordered = list(root.walk())
    index = {node: i for i, node in enumerate(ordered)}
    n_classes = template.n_classes_
    nodes = np.zeros(len(ordered), dtype=template.tree_.__getstate__()["nodes"].dtype)
    values = np.zeros((len(ordered), 1, n_classes))
    depth = {root: 0}
    for i, node in enumerate(ordered):
        counts = node.counts if node.counts is not None else np.zeros(n_classes)
        record = nodes[i]
        if node.is_leaf:
            record["left_child"] = record["right_child"] = TREE_LEAF
            record["feature"] = TREE_UNDEFINED
            record["threshold"] = TREE_UNDEFINED
        else:
            record["left_child"] = index[node.left]
            record["right_child"] = index[node.right]
            record["feature"] = node.feature
            record["threshold"] = node.threshold
            depth[node.left] = depth[node.right] = depth[node] + 1
        record["impurity"] = float(impurity(counts, criterion))
        record["n_node_samples"] = node.n_rows
        record["weighted_n_node_samples"] = counts.sum()
        record["missing_go_to_left"] = 1
        values[i, 0] = node_value(node)
    tree = Tree(template.n_features_in_, np.array([n_classes], dtype=np.intp), 1)
    tree.__setstate__(
        {
            "max_depth": max(depth.values()),
            "node_count": len(ordered),
            "nodes": nodes,
            "values": values,
        }
    )
    model = copy.deepcopy(template)
    model.tree_ = tree
    return model
