"""Tree transfer (Segev et al. 2017): refine a source tree or forest on target rows.

Three ways to carry a source tree's rules to the target, all returning a
fitted scikit-learn ``DecisionTreeClassifier``:

- **relabel**: the structure kept, each leaf's class distribution
  re-estimated from the target rows that reach it;
- **SER** (structure expansion/reduction): each leaf the target rows reach is
  expanded by a tree grown on those rows, then, bottom up, every subtree
  whose target error is no lower than its root's as a leaf is cut to a leaf;
- **STRUT** (structure transfer): the features of the splits kept, top down
  each threshold re-chosen on the target rows so that the target's class
  distributions in the two children stay closest to the source's (the
  divergence gain); a node the target rows do not reach, or reach with one
  class, becomes a leaf.
"""

import copy
import difflib
import numbers
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier, export_text
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import LabeledRowsScoreMixin
from ._source import BaseSourceTransfer, unfrozen
from ._tree_structure import (
    impurity,
    nodes_from_tree,
    route,
    tree_classifier_from_nodes,
)

_STATUSES = ("kept", "relabeled", "rethresholded", "expanded", "pruned")


def _dense_rows(X, rows):
    """The target rows as a dense float32 array (scikit-learn's tree dtype);
    a sparse ``X`` is densified for these rows only, which are few."""
    part = X[rows]
    part = part.toarray() if sparse.issparse(part) else part
    return np.asarray(part, dtype=np.float32)


def _class_codes(tree, y):
    """Each target label's index among the source tree's classes."""
    classes = tree.classes_
    unknown = ~np.isin(y, classes)
    if unknown.any():
        raise ValueError(
            f"Target labels {sorted(set(np.asarray(y)[unknown].tolist()))!r} are "
            f"not classes of the source tree ({classes.tolist()!r}); tree transfer "
            "keeps the source's classes. Relabel the target, or fit the source "
            "tree on every class."
        )
    return np.searchsorted(classes, y)


# -- SER ------------------------------------------------------------------------------


def _depths(root):
    depth = {root: 0}
    for node in root.walk():
        if not node.is_leaf:
            depth[node.left] = depth[node.right] = depth[node] + 1
    return depth


def _expand(root, X, codes, weights, n_classes, *, grow, max_depth, min_rows):
    """SER's expansion: grow each reached, impure leaf with a tree of its rows."""
    depth = _depths(root)
    for leaf, rows in route(root, X, codes, weights, n_classes).items():
        room = None if max_depth is None else max_depth - depth[leaf]
        if rows.size < 2 * min_rows or np.unique(codes[rows]).size < 2:
            continue
        if room is not None and room < 1:
            continue
        local = grow(room).fit(X[rows], codes[rows], sample_weight=weights[rows])
        if local.tree_.node_count == 1:
            continue
        grown = nodes_from_tree(local.tree_, source=False)
        for node in grown.walk():
            # The grown tree knows only the classes of its rows.
            full = np.zeros(n_classes)
            full[local.classes_] = node.extra["value"]
            node.extra["value"] = full
            node.status = "expanded"
        leaf.feature, leaf.threshold = grown.feature, grown.threshold
        leaf.left, leaf.right = grown.left, grown.right
        leaf.status = "expanded"


def _error(counts):
    """Weighted target rows a leaf with these counts misclassifies."""
    return counts.sum() - counts.max() if counts.sum() > 0 else 0.0


def _reduce(node):
    """SER's reduction, bottom up; returns the subtree's target error.

    A subtree the target rows reach is cut to a leaf when the leaf would
    misclassify no more of them: the split changes no target prediction.
    Subtrees no target row reaches keep the source's structure.
    """
    if node.is_leaf:
        return _error(node.counts)
    below = _reduce(node.left) + _reduce(node.right)
    as_leaf = _error(node.counts)
    if node.n_rows > 0 and as_leaf <= below:
        node.make_leaf()
        node.status = "pruned"
        return as_leaf
    return below


# -- STRUT ----------------------------------------------------------------------------


def _jensen_shannon(p, q):
    """Jensen-Shannon divergence (base 2) between the rows of ``p`` and ``q``."""
    middle = (p + q) / 2

    def kl(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(a > 0, a * np.log2(a / b), 0.0)
        return terms.sum(axis=-1)

    return (kl(p, middle) + kl(q, middle)) / 2


def _candidate_thresholds(values):
    """Midpoints between consecutive distinct values, as scikit-learn computes
    its own thresholds (so that the source's thresholds are among them)."""
    distinct = np.unique(values).astype(np.float64)
    middle = distinct[:-1] / 2.0 + distinct[1:] / 2.0
    hits = (middle == distinct[1:]) | ~np.isfinite(middle)
    middle[hits] = distinct[:-1][hits]
    return middle


class _SplitCounts:
    """Weighted class counts on each side of every candidate threshold."""

    def __init__(self, values, codes, weights, thresholds, n_classes):
        order = np.argsort(values, kind="stable")
        one_hot = np.zeros((order.size, n_classes))
        one_hot[np.arange(order.size), codes[order]] = weights[order]
        cumulative = np.cumsum(one_hot, axis=0)
        cut = np.searchsorted(values[order], thresholds, side="right")
        self.left = cumulative[cut - 1]
        self.right = cumulative[-1] - self.left
        self.parent = cumulative[-1]
        self.w_left = np.maximum(self.left.sum(axis=1), 1e-300)
        self.w_right = np.maximum(self.right.sum(axis=1), 1e-300)
        self.total = self.parent.sum()

    def gains(self, criterion):
        """The impurity decrease of each threshold (the tree's criterion)."""
        return (
            impurity(self.parent[None], criterion)[0]
            - (
                self.w_left * impurity(self.left, criterion)
                + self.w_right * impurity(self.right, criterion)
            )
            / self.total
        )

    def divergence_gains(self, source_left, source_right):
        """``DG = 1 - (w_L / w) JSD(Q_L, P_L) - (w_R / w) JSD(Q_R, P_R)``, with
        ``Q`` the source tree's class distributions of the children and ``P``
        the target rows' on each side of each threshold."""
        return (
            1
            - self.w_left
            / self.total
            * _jensen_shannon(source_left, self.left / self.w_left[:, None])
            - self.w_right
            / self.total
            * _jensen_shannon(source_right, self.right / self.w_right[:, None])
        )


def _local_maxima(gains):
    """Indices of the thresholds whose gain is a local maximum (not below
    either neighbour; the two ends excluded unless alone), gain above 0."""
    if gains.size <= 2:
        return np.flatnonzero(gains > 0)
    inner = np.arange(1, gains.size - 1)
    peak = (gains[inner] >= gains[inner - 1]) & (gains[inner] >= gains[inner + 1])
    return inner[peak & (gains[inner] > 0)]


@dataclass
class _TargetRows:
    """What STRUT reads at every node: the target rows and the tree's terms."""

    X: np.ndarray
    codes: np.ndarray
    weights: np.ndarray
    n_classes: int
    criterion: str
    prior_ratio: np.ndarray | None = None  # target / source class priors

    def source_distribution(self, node):
        """The source tree's class distribution at ``node``, reweighted to the
        target's class priors when ``prior_ratio`` is set."""
        value = (
            node.source_value if node.source_value is not None else node.extra["value"]
        )
        if self.prior_ratio is None:
            return value
        adjusted = value * self.prior_ratio
        total = adjusted.sum()
        return adjusted / total if total > 0 else value


def _prior_ratio(root, codes, weights, n_classes):
    """Target class priors over the source tree's root distribution (0 where
    the source has no row of a class)."""
    target = np.bincount(codes, weights, minlength=n_classes)
    target = target / target.sum()
    source = root.source_value
    return np.divide(target, source, out=np.zeros(n_classes), where=source > 0)


def _strut(node, rows, target):
    """Re-threshold ``node``'s subtree top down on the target rows ``rows``."""
    if node.is_leaf:
        return
    codes = target.codes[rows]
    if rows.size < 2 or np.unique(codes).size < 2:
        node.make_leaf()
        node.status = "pruned"
        return
    values = target.X[rows, node.feature]
    thresholds = _candidate_thresholds(values)
    split = _SplitCounts(
        values, codes, target.weights[rows], thresholds, target.n_classes
    )
    eligible = _local_maxima(split.gains(target.criterion))
    if eligible.size == 0:
        node.make_leaf()
        node.status = "pruned"
        return
    left = target.source_distribution(node.left)
    right = target.source_distribution(node.right)
    in_order = split.divergence_gains(left, right)[eligible]
    swapped = split.divergence_gains(right, left)[eligible]
    thresholds = thresholds[eligible]
    best = max(in_order.max(), swapped.max())
    tied = np.flatnonzero(np.maximum(in_order, swapped) >= best - 1e-12)
    choice = tied[np.argmin(np.abs(thresholds[tied] - node.threshold))]
    if swapped[choice] > in_order[choice] + 1e-12:
        node.left, node.right = node.right, node.left
        node.extra["swapped"] = True
    if thresholds[choice] != node.threshold or node.extra.get("swapped"):
        node.extra["source_threshold"] = node.threshold
        node.threshold = float(thresholds[choice])
        node.status = "rethresholded"
    goes_left = values <= np.float64(node.threshold)  # as sklearn: in float64
    _strut(node.left, rows[goes_left], target)
    _strut(node.right, rows[~goes_left], target)


class _BaseTreeTransfer(LabeledRowsScoreMixin, ClassifierMixin, BaseSourceTransfer):
    """What tree and forest transfer share: parameters, the source model's
    check, the target rows in the trees' terms, and input validation."""

    _parameter_constraints = {
        "source_estimator": [HasMethods(["fit", "predict_proba"]), None],
        "algorithm": [StrOptions({"ser", "strut", "relabel"})],
        "max_depth": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "min_samples_leaf": [Interval(numbers.Integral, 1, None, closed="left")],
        "adapt_priors": ["boolean"],
        "random_state": ["random_state"],
    }
    _domain_checks = {"need_labeled_target": True, "accept_sparse": "csr"}
    _source_class = None  # DecisionTreeClassifier or RandomForestClassifier

    def _checked_source(self, data):
        source = unfrozen(self._fit_source_model(data))
        kind = self._source_class.__name__
        if not isinstance(source, self._source_class) or source.n_outputs_ != 1:
            raise TypeError(
                f"{type(self).__name__} refines a single-output {kind}; got "
                f"{type(source).__name__}. Give a {kind} (fitted, as "
                "FrozenEstimator(model), or not); TransferTreeClassifier refines "
                "one DecisionTreeClassifier, TransferForestClassifier a "
                "RandomForestClassifier."
            )
        self.classes_ = source.classes_
        return source

    def _target_rows(self, data, source):
        """The labeled target rows (dense float32), their class indices among
        the source's classes, and their weights."""
        if data.X.shape[1] != source.n_features_in_:
            raise ValueError(
                f"X has {data.X.shape[1]} features, but the source model was "
                f"fitted on {source.n_features_in_}; tree transfer keeps the "
                "source's splits, so the target rows need the same features in "
                "the same order."
            )
        rows = np.flatnonzero(data.labeled_target)
        codes = _class_codes(source, data.y[rows])
        return _dense_rows(data.X, rows), codes, data.weights()[rows]

    def _settings(self):
        return dict(
            algorithm=self.algorithm,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            adapt_priors=self.adapt_priors,
        )

    def _rows(self, X):
        check_is_fitted(self)
        return validate_data(
            self, X, reset=False, dtype=np.float32, accept_sparse="csr"
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class TransferTreeClassifier(_BaseTreeTransfer):
    """Carry a source decision tree to the target: relabel, SER or STRUT.

    A decision tree fitted on the source rows (or given frozen, a production
    model) is refined with the labeled target rows (Segev et al. 2017):

    - ``"relabel"`` keeps the structure and re-estimates each leaf's class
      distribution from the target rows that reach it;
    - ``"ser"`` (structure expansion/reduction) expands every leaf the
      target rows reach, impure, with a tree grown on those rows (within
      ``max_depth`` and ``min_samples_leaf``), then cuts, bottom up, every
      subtree whose target error is no lower than its root's as a leaf;
    - ``"strut"`` (structure transfer) keeps each split's feature and
      re-chooses its threshold top down on the target rows, maximising the
      divergence gain: the target's class distributions on the two sides
      stay closest, in Jensen-Shannon divergence, to the source tree's in
      the two children (swapping the children when the target reverses the
      relation); a node the target rows do not reach, or reach with one
      class only, becomes a leaf.

    Leaves the target rows reach predict the target's class distribution
    there; the others keep the source tree's. The result, ``estimator_``, is
    a fitted ``DecisionTreeClassifier``: ``export_text``, ``plot_tree``,
    ``apply`` and ``decision_path`` work on it, and its node statistics
    (``tree_.n_node_samples``, ``impurity``) are the target rows'.
    ``changes_`` counts what happened to the nodes and :meth:`rules_diff`
    shows the rules before and after, for review.

    Parameters
    ----------
    source_estimator : DecisionTreeClassifier, default=None
        The source tree. An unfitted ``DecisionTreeClassifier`` is cloned and
        fitted on the labeled source rows (None: ``DecisionTreeClassifier()``,
        grown fully); ``FrozenEstimator(fitted_tree)`` is used as it is, and
        ``fit`` then needs no source rows.
    algorithm : {"ser", "strut", "relabel"}, default="ser"
        How the tree is refined.
    max_depth : int, default=None
        Depth SER's expansion may reach (the whole tree's). None: no limit,
        as in the paper, which grows each expanded leaf fully.
    min_samples_leaf : int, default=1
        Fewest target rows in a leaf SER's expansion grows.
    adapt_priors : bool, default=False
        STRUT only: before comparing class distributions, reweight the source
        tree's by the ratio of the target's class priors to the source's, so
        that a change of class balance alone (fraud rarer on the new product)
        does not move the thresholds; the class-imbalance variant of STRUT
        (Minvielle et al. 2019).
    random_state : int, RandomState instance or None, default=None
        Seeds the source tree (when fitted here and unseeded) and the trees
        SER's expansion grows.

    Attributes
    ----------
    source_estimator_ : DecisionTreeClassifier or FrozenEstimator
        The source tree (fitted here, or the frozen one).
    estimator_ : DecisionTreeClassifier
        The transferred tree.
    tree_ : sklearn.tree._tree.Tree
        ``estimator_.tree_``.
    classes_ : ndarray of shape (n_classes,)
        The source tree's classes.
    changes_ : dict
        Nodes of the transferred tree by what happened to them: ``"kept"``
        as they were, ``"relabeled"`` (leaves whose class distribution the
        target rows re-estimated), ``"rethresholded"`` (STRUT),
        ``"expanded"`` (grown by SER: the expanded leaf and the nodes below
        it), ``"pruned"`` (source nodes cut to a leaf); and ``"removed"``,
        the source nodes no longer in the tree (below a pruned node).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X``, when it is a DataFrame with string names.

    See Also
    --------
    SourceBoostingClassifier : Boosting from any source model's margin.
    RegularTransferLogisticRegression : A linear model pulled towards the
        source's weights.

    References
    ----------
    .. [1] N. Segev, M. Harel, S. Mannor, K. Crammer and R. El-Yaniv, "Learn
       on Source, Refine on Target: A Model Transfer Learning Framework with
       Random Forests", IEEE Transactions on Pattern Analysis and Machine
       Intelligence 39(9), 2017.
    .. [2] L. Minvielle, M. Atiq, S. Peignier and M. Mougeot, "Transfer
       Learning on Decision Tree with Class Imbalance", ICTAI 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.parameter import TransferTreeClassifier
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.uniform(size=(300, 2))
    >>> ys = (Xs[:, 0] > 0.5).astype(int)
    >>> Xt = rng.uniform(size=(40, 2))
    >>> yt = (Xt[:, 0] > 0.6).astype(int)
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt))
    >>> model = TransferTreeClassifier(algorithm="strut", random_state=0)
    >>> model.fit(X, y, sample_domain=sample_domain).predict([[0.55, 0.5]])
    array([0])
    """

    _source_class = DecisionTreeClassifier

    def __init__(
        self,
        source_estimator=None,
        *,
        algorithm="ser",
        max_depth=None,
        min_samples_leaf=1,
        adapt_priors=False,
        random_state=None,
    ):
        self.source_estimator = source_estimator
        self.algorithm = algorithm
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.adapt_priors = adapt_priors
        self.random_state = random_state

    def _default_source_estimator(self):
        return DecisionTreeClassifier()

    def _fit(self, data):
        source = self._checked_source(data)
        X, codes, weights = self._target_rows(data, source)
        self.estimator_, self.changes_ = refined_tree(
            source,
            X,
            codes,
            weights,
            random_state=check_random_state(self.random_state),
            **self._settings(),
        )
        return self

    @property
    def tree_(self):
        """The transferred tree's ``sklearn.tree._tree.Tree``."""
        check_is_fitted(self)
        return self.estimator_.tree_

    def predict(self, X):
        """The most probable class of each row in the transferred tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted classes.
        """
        check_is_fitted(self)
        return self.estimator_.predict(self._rows(X))

    def predict_proba(self, X):
        """Class probabilities: the distribution of the leaf each row reaches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in ``classes_`` order.
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(self._rows(X))

    def apply(self, X):
        """The index of the leaf each row reaches in the transferred tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.

        Returns
        -------
        leaves : ndarray of shape (n_samples,)
            Node ids in ``tree_``.
        """
        check_is_fitted(self)
        return self.estimator_.apply(self._rows(X))

    def decision_path(self, X):
        """The nodes each row passes through in the transferred tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.

        Returns
        -------
        indicator : sparse matrix of shape (n_samples, n_nodes)
            Nonzero where a row passes through a node.
        """
        check_is_fitted(self)
        return self.estimator_.decision_path(self._rows(X))

    def rules_diff(self, feature_names=None):
        """The source tree's rules against the transferred tree's, as a diff.

        Parameters
        ----------
        feature_names : list of str, default=None
            Names of the features; ``feature_names_in_`` when fitted on a
            DataFrame, else ``feature_0``, ``feature_1``, ...

        Returns
        -------
        diff : str
            A unified diff of ``sklearn.tree.export_text`` of the two trees
            (lines starting ``-`` are the source's only, ``+`` the
            transferred tree's only).
        """
        check_is_fitted(self)
        return _rules_diff(
            unfrozen(self.source_estimator_), self.estimator_, self, feature_names
        )


def _rules_diff(before, after, owner, feature_names):
    """Unified diff of ``export_text`` of two trees, feature names defaulting
    to ``owner.feature_names_in_`` when it has them."""
    if feature_names is None and hasattr(owner, "feature_names_in_"):
        feature_names = list(owner.feature_names_in_)
    texts = [
        export_text(tree, feature_names=feature_names, show_weights=False)
        for tree in (before, after)
    ]
    return "".join(
        difflib.unified_diff(
            texts[0].splitlines(keepends=True),
            texts[1].splitlines(keepends=True),
            fromfile="source tree",
            tofile="transferred tree",
        )
    )


def refined_tree(
    source,
    X,
    codes,
    weights,
    *,
    algorithm,
    max_depth,
    min_samples_leaf,
    adapt_priors=False,
    random_state,
):
    """The source ``DecisionTreeClassifier`` refined on target rows: a new
    fitted ``DecisionTreeClassifier``, and the count of each node status
    (``changes_``)."""
    n_classes = source.n_classes_
    root = nodes_from_tree(source.tree_)
    n_source_nodes = source.tree_.node_count
    if X.shape[0] == 0:
        # No labeled target row (every row is source): the source tree.
        changes = dict.fromkeys(_STATUSES, 0) | {"removed": 0}
        changes["kept"] = n_source_nodes
        return copy.deepcopy(source), changes
    if algorithm == "ser":
        limit = max_depth
        seed = random_state.randint(np.iinfo(np.int32).max)

        def grow(room):
            return DecisionTreeClassifier(
                criterion=source.criterion,
                max_depth=room,
                min_samples_leaf=min_samples_leaf,
                random_state=seed,
            )

        _expand(
            root,
            X,
            codes,
            weights,
            n_classes,
            grow=grow,
            max_depth=limit,
            min_rows=min_samples_leaf,
        )
        route(root, X, codes, weights, n_classes)
        _reduce(root)
    elif algorithm == "strut":
        ratio = _prior_ratio(root, codes, weights, n_classes) if adapt_priors else None
        target = _TargetRows(X, codes, weights, n_classes, source.criterion, ratio)
        _strut(root, np.arange(X.shape[0]), target)
    route(root, X, codes, weights, n_classes)
    for leaf in root.leaves():
        if leaf.status == "kept" and leaf.n_rows > 0:
            leaf.status = "relabeled"
    model = tree_classifier_from_nodes(root, source, criterion=source.criterion)
    statuses = [node.status for node in root.walk()]
    changes = {status: statuses.count(status) for status in _STATUSES}
    changes["removed"] = n_source_nodes - sum(
        node.source_id is not None for node in root.walk()
    )
    return model, changes


def _refined_member(tree, X, codes, weights, draws, settings, seed):
    """One forest member refined on the target rows (their weights times the
    member's bootstrap counts ``draws``, None for every row once)."""
    if draws is not None:
        kept = draws > 0
        X, codes, weights = X[kept], codes[kept], weights[kept] * draws[kept]
    return refined_tree(
        tree, X, codes, weights, random_state=np.random.RandomState(seed), **settings
    )


class TransferForestClassifier(_BaseTreeTransfer):
    """Carry a source random forest to the target: each tree by relabel, SER or STRUT.

    Every tree of a ``RandomForestClassifier`` fitted on the source rows (or
    given frozen) is refined with the labeled target rows as
    :class:`TransferTreeClassifier` refines one tree, in parallel over the
    trees through joblib (so a ``joblib.parallel_backend("dask")`` context
    runs them on a cluster); the forest predicts the mean of the refined
    trees' class probabilities. In the authors' forest each source tree
    already comes from a bootstrap of the source rows and is refined with
    every target row; ``bootstrap_target=True`` also gives each tree its own
    bootstrap of the target rows (stratified by class, so that every class
    stays), which varies the trees where the target is small.

    Parameters
    ----------
    source_estimator : RandomForestClassifier, default=None
        The source forest. An unfitted ``RandomForestClassifier`` is cloned
        and fitted on the labeled source rows (None:
        ``RandomForestClassifier(n_estimators=50)``, 50 fully grown trees, as
        in the authors' forests);
        ``FrozenEstimator(fitted_forest)`` is used as it is, and ``fit`` then
        needs no source rows.
    algorithm : {"ser", "strut", "relabel"}, default="ser"
        How each tree is refined (see :class:`TransferTreeClassifier`).
    max_depth : int, default=None
        Depth SER's expansion may reach. None: no limit.
    min_samples_leaf : int, default=1
        Fewest target rows in a leaf SER's expansion grows.
    adapt_priors : bool, default=False
        STRUT only: reweight the source's class distributions to the target's
        class priors before comparing (see :class:`TransferTreeClassifier`).
    bootstrap_target : bool, default=False
        Refine each tree on its own class-stratified bootstrap of the target
        rows instead of all of them.
    n_jobs : int, default=None
        Trees refined in parallel (joblib; None: one job).
    random_state : int, RandomState instance or None, default=None
        Seeds the source forest (when fitted here and unseeded), the target
        bootstraps and the trees SER grows.

    Attributes
    ----------
    source_estimator_ : RandomForestClassifier or FrozenEstimator
        The source forest (fitted here, or the frozen one).
    estimators_ : list of DecisionTreeClassifier
        The refined trees, in the source forest's order.
    changes_ : list of dict
        For each tree, its nodes by what happened to them (the keys of
        :attr:`TransferTreeClassifier.changes_`).
    classes_ : ndarray of shape (n_classes,)
        The source forest's classes.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X``, when it is a DataFrame with string names.

    See Also
    --------
    TransferTreeClassifier : One tree.

    References
    ----------
    .. [1] N. Segev, M. Harel, S. Mannor, K. Crammer and R. El-Yaniv, "Learn
       on Source, Refine on Target: A Model Transfer Learning Framework with
       Random Forests", IEEE Transactions on Pattern Analysis and Machine
       Intelligence 39(9), 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sktransfer import stack_domains
    >>> from sktransfer.parameter import TransferForestClassifier
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.uniform(size=(300, 2))
    >>> ys = (Xs[:, 0] > 0.5).astype(int)
    >>> Xt = rng.uniform(size=(40, 2))
    >>> yt = (Xt[:, 0] > 0.6).astype(int)
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt))
    >>> forest = TransferForestClassifier(
    ...     RandomForestClassifier(n_estimators=10), algorithm="strut", random_state=0
    ... ).fit(X, y, sample_domain=sample_domain)
    >>> len(forest.estimators_), forest.predict([[0.55, 0.5]])
    (10, array([0]))
    """

    _parameter_constraints = {
        **_BaseTreeTransfer._parameter_constraints,
        "bootstrap_target": ["boolean"],
        "n_jobs": [numbers.Integral, None],
    }
    _source_class = RandomForestClassifier

    def __init__(
        self,
        source_estimator=None,
        *,
        algorithm="ser",
        max_depth=None,
        min_samples_leaf=1,
        adapt_priors=False,
        bootstrap_target=False,
        n_jobs=None,
        random_state=None,
    ):
        self.source_estimator = source_estimator
        self.algorithm = algorithm
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.adapt_priors = adapt_priors
        self.bootstrap_target = bootstrap_target
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _default_source_estimator(self):
        return RandomForestClassifier(n_estimators=50)

    def _fit(self, data):
        source = self._checked_source(data)
        # The forest's trees are fitted on class indices: refine them on those.
        X, codes, weights = self._target_rows(data, source)
        rng = check_random_state(self.random_state)
        members = source.estimators_
        seeds = rng.randint(np.iinfo(np.int32).max, size=len(members))
        draws = [
            _stratified_bootstrap(codes, rng) if self.bootstrap_target else None
            for _ in members
        ]
        settings = self._settings()
        refined = Parallel(n_jobs=self.n_jobs)(
            delayed(_refined_member)(tree, X, codes, weights, draw, settings, seed)
            for tree, draw, seed in zip(members, draws, seeds)
        )
        self.estimators_ = [tree for tree, _ in refined]
        self.changes_ = [changes for _, changes in refined]
        return self

    def predict_proba(self, X):
        """Class probabilities: the mean of the refined trees'.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in ``classes_`` order.
        """
        X = self._rows(X)
        return np.mean([tree.predict_proba(X) for tree in self.estimators_], axis=0)

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted classes.
        """
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def rules_diff(self, index, feature_names=None):
        """One tree's rules in the source forest against its refinement.

        Parameters
        ----------
        index : int
            Which tree, in the forest's order (``changes_[index]`` counts its
            node changes).
        feature_names : list of str, default=None
            Names of the features; ``feature_names_in_`` when fitted on a
            DataFrame, else ``feature_0``, ``feature_1``, ...

        Returns
        -------
        diff : str
            A unified diff of ``sklearn.tree.export_text`` of the two trees.
        """
        check_is_fitted(self)
        source = unfrozen(self.source_estimator_).estimators_
        if not -len(source) <= index < len(source):
            raise ValueError(
                f"index={index} is not a tree of the forest: it has {len(source)} "
                f"trees (0 to {len(source) - 1})."
            )
        return _rules_diff(source[index], self.estimators_[index], self, feature_names)


def _stratified_bootstrap(codes, rng):
    """How often each row is drawn: as many draws per class as its rows."""
    draws = np.zeros(codes.shape[0])
    for c in np.unique(codes):
        members = np.flatnonzero(codes == c)
        np.add.at(draws, rng.choice(members, members.size), 1.0)
    return draws
