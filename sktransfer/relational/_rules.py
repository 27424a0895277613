"""Path rules: relation-path features weighted by a regularised logistic regression."""

import numbers

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.fixes import parse_version
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._domain import check_y_given
from ._paths import PathFeaturizer


def _logistic(penalty, C, random_state):
    """Logistic regression with an L1 or L2 penalty, in sklearn's current terms.

    scikit-learn 1.8 replaced ``penalty`` by ``l1_ratio`` (and warns about
    ``penalty``); earlier versions only know ``penalty``.
    """
    solver = "liblinear" if penalty == "l1" else "lbfgs"
    if parse_version(sklearn.__version__) >= parse_version("1.8"):
        ratio = {"l1": 1.0, "l2": 0.0}[penalty]
        return LogisticRegression(
            l1_ratio=ratio, C=C, solver=solver, max_iter=1000, random_state=random_state
        )
    return LogisticRegression(
        penalty=penalty, C=C, solver=solver, max_iter=1000, random_state=random_state
    )


def check_binary_labels(y, n_rows, who):
    """``y`` as a 1-d array of one label per row, of exactly two classes.

    Parameters
    ----------
    y : array-like of shape (n_rows,)
    n_rows : int
        Rows of ``X``.
    who : str
        Named in the errors.

    Returns
    -------
    y : ndarray of shape (n_rows,)
    """
    check_y_given(y, who, "pass whether each row's fact holds (two classes)")
    y = np.asarray(y)
    if y.ndim == 0 or y.shape[0] != n_rows:
        got = "a scalar" if y.ndim == 0 else f"{y.shape[0]} labels"
        raise ValueError(f"X has {n_rows} rows but y has {got}; give one per row.")
    y = column_or_1d(y, warn=True)
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError(
            f"y holds {int(np.isnan(y).sum())} NaN label(s); {who} needs a label "
            "(the fact holds or not) on every row."
        )
    check_classification_targets(y)
    classes = np.unique(y)
    if classes.shape[0] != 2:
        raise ValueError(
            f"{who} needs two classes (the fact holds or not); got "
            f"{classes.shape[0]}: {classes.tolist()}. It needs positive and "
            "negative examples."
        )
    return y


class PathRuleLearner(ClassifierMixin, BaseEstimator):
    """Learn weighted path rules for a relation from labeled entity pairs.

    Each feature of a :class:`PathFeaturizer` reads as a rule: "``r(h, t)``
    if a path ``movie^-1/movie`` leads from ``h`` to ``t``" (or, for a node
    task, "``p(x)`` if a path from ``x`` reaches an entity where ``q``
    holds"). A logistic regression, L1-regularised by default so that few
    rules survive, weighs them; ``rules_`` lists each rule with its weight,
    its support (positive training rows where it fires) and its confidence
    (the share of positive rows among those where it fires), strongest
    first. This is the source model of relational transfer: its rules are
    what a predicate mapping carries over to another graph.

    Parameters
    ----------
    graph : RelationalGraph
        The graph of the training rows.
    relation : str
        The relation to predict; hidden from the paths (see
        :class:`PathFeaturizer`).
    max_length : int, default=3
        Longest rule body, in relations.
    value : {"binary", "count", "random_walk"}, default="binary"
        What a rule's feature holds.
    hide : {"relation", "query"}, default="relation"
        Hide every edge of ``relation`` from the rule bodies, or only each
        row's own edge (see :class:`PathFeaturizer`).
    hidden_relations : tuple of str, default=()
        Relations no rule may use (say, an inverse copy of the label).
    penalty : {"l1", "l2"}, default="l1"
        Regularisation of the logistic regression.
    C : float, default=1.0
        Inverse regularisation strength.
    min_support : int, default=2
        Rules must fire on at least this many training rows.
    max_paths : int, default=20000
        As in :class:`PathFeaturizer`.
    n_jobs : int, default=None
        Path following in parallel (joblib threads).
    random_state : int, RandomState instance or None, default=None
        Seeds the solver (liblinear shuffles the rows for the L1 penalty).

    Attributes
    ----------
    featurizer_ : PathFeaturizer
        The fitted featurizer.
    estimator_ : LogisticRegression
        The fitted weights.
    rules_ : list of dict
        ``rule`` (the feature name), ``weight``, ``support``, ``confidence``,
        sorted by ``|weight|``; rules of weight 0 are left out.
    classes_ : ndarray
        The two labels.

    See Also
    --------
    PathFeaturizer : The rule bodies.

    References
    ----------
    .. [1] N. Lao and W. W. Cohen. Relational retrieval using a combination of
       path-constrained random walks. *Machine Learning*, 81, 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.relational import PathRuleLearner, RelationalGraph
    >>> graph = RelationalGraph.from_triples(
    ...     [(f"a{i}", "actedin", f"m{i}") for i in range(6)]
    ...     + [(f"d{i}", "directed", f"m{i}") for i in range(6)]
    ... )
    >>> X = np.array([[f"a{i}", f"d{i}"] for i in range(6)]
    ...              + [[f"a{i}", f"d{(i + 1) % 6}"] for i in range(6)])
    >>> y = np.r_[np.ones(6), np.zeros(6)]
    >>> learner = PathRuleLearner(graph, relation=None, C=10).fit(X, y)
    >>> learner.rules_[0]["rule"], learner.rules_[0]["confidence"]
    ('path:actedin/directed^-1', 1.0)
    """

    _parameter_constraints = {
        **{
            name: constraint
            for name, constraint in PathFeaturizer._parameter_constraints.items()
            if name not in ("include_properties", "verbose", "features")
        },
        "penalty": [StrOptions({"l1", "l2"})],
        "C": [Interval(numbers.Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        graph,
        *,
        relation,
        max_length=3,
        value="binary",
        hide="relation",
        hidden_relations=(),
        penalty="l1",
        C=1.0,
        min_support=2,
        max_paths=20000,
        n_jobs=None,
        random_state=None,
    ):
        self.graph = graph
        self.relation = relation
        self.max_length = max_length
        self.value = value
        self.hide = hide
        self.hidden_relations = hidden_relations
        self.penalty = penalty
        self.C = C
        self.min_support = min_support
        self.max_paths = max_paths
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _featurizer(self):
        return PathFeaturizer(
            self.graph,
            relation=self.relation,
            max_length=self.max_length,
            value=self.value,
            hide=self.hide,
            hidden_relations=self.hidden_relations,
            min_support=self.min_support,
            max_paths=self.max_paths,
            n_jobs=self.n_jobs,
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Find the path rules among the rows of ``X`` and weigh them.

        Parameters
        ----------
        X : array-like of str of shape (n, 2) or (n, 1)
            Entity pairs (link task) or entities (node task).
        y : array-like of shape (n,)
            Whether each row's fact holds; two classes.

        Returns
        -------
        self : object
        """
        featurizer = self._featurizer()
        X = featurizer._check_X(X)
        y = check_binary_labels(y, X.shape[0], type(self).__name__)
        self.classes_ = np.unique(y)
        self.featurizer_ = featurizer
        features = self.featurizer_.fit_transform(X)
        if features.shape[1] == 0:
            raise ValueError(
                f"No rule body fires on the {X.shape[0]} training rows: no relation "
                f"path of up to max_length={self.max_length} relations (the "
                "predicted and hidden relations left out) links them. Raise "
                "max_length, or check that the graph links the rows' entities."
            )
        self.estimator_ = _logistic(self.penalty, self.C, self.random_state).fit(
            features, y
        )
        self.rules_ = self._rules(features, y == self.classes_[1])
        return self

    def _rules(self, features, positive):
        fires = features.toarray() > 0
        names = self.featurizer_.get_feature_names_out()
        weights = self.estimator_.coef_[0]
        rules = []
        for column in np.flatnonzero(weights):
            n_fired = int(fires[:, column].sum())
            n_positive = int((fires[:, column] & positive).sum())
            rules.append(
                {
                    "rule": names[column],
                    "weight": float(weights[column]),
                    "support": n_positive,
                    "confidence": n_positive / n_fired if n_fired else 0.0,
                }
            )
        return sorted(rules, key=lambda rule: -abs(rule["weight"]))

    def _features(self, X):
        check_is_fitted(self)
        return self.featurizer_.transform(X)

    def decision_function(self, X):
        """Log-odds of each row's fact.

        Parameters
        ----------
        X : array-like of str of shape (n, 2) or (n, 1)
            Entity pairs (link task) or entities (node task) of the graph.

        Returns
        -------
        scores : ndarray of shape (n,)
        """
        features = self._features(X)
        return self.estimator_.decision_function(features)

    def predict_proba(self, X):
        """Probability of each row's fact, as ``[[p(no), p(yes)], ...]``.

        Parameters
        ----------
        X : array-like of str of shape (n, 2) or (n, 1)
            Entity pairs (link task) or entities (node task) of the graph.

        Returns
        -------
        proba : ndarray of shape (n, 2)
        """
        features = self._features(X)
        return self.estimator_.predict_proba(features)

    def predict(self, X):
        """The label of each row.

        Parameters
        ----------
        X : array-like of str of shape (n, 2) or (n, 1)
            Entity pairs (link task) or entities (node task) of the graph.

        Returns
        -------
        labels : ndarray of shape (n,)
        """
        features = self._features(X)
        return self.estimator_.predict(features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags
