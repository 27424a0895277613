"""Gradient boosting on the target rows, starting from the source model's margin."""

import numbers
from dataclasses import replace

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import LabeledRowsScoreMixin
from ._margin import boost_from_margin
from ._source import BaseSourceTransfer

__all__ = ["SourceBoostingClassifier", "SourceBoostingRegressor"]

# Probabilities are clipped here before their log is taken as a margin.
_PROBA_FLOOR = 1e-15


def _category_columns(X):
    """Names of the pandas ``category`` columns of ``X`` (none for arrays)."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return []
    return [column for column, dtype in dtypes.items() if str(dtype) == "category"]


def _category_codes(X, categories):
    """``X`` with each category column replaced by its code among the
    categories seen in ``fit``; unknown and missing values become NaN."""
    X = X.copy()
    for column, known in categories.items():
        codes = X[column].cat.set_categories(known).cat.codes.astype(np.float64)
        X[column] = codes.where(codes >= 0)
    return X


class _BaseSourceBoosting(BaseSourceTransfer):
    """Boosting rounds on the labeled target rows from the source margin."""

    _parameter_constraints = {
        "source_estimator": [HasMethods(["fit"]), None],
        "n_estimators": [Interval(numbers.Integral, 0, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_depth": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "min_samples_leaf": [Interval(numbers.Integral, 1, None, closed="left")],
        "subsample": [Interval(numbers.Real, 0, 1, closed="right")],
        "l2_regularization": [Interval(numbers.Real, 0, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    _domain_checks = {
        "need_labeled_target": True,
        "ensure_all_finite": "allow-nan",
        "accept_sparse": "csr",
    }

    _loss = None

    def __init__(
        self,
        source_estimator=None,
        *,
        n_estimators=100,
        learning_rate=0.1,
        max_depth=3,
        min_samples_leaf=5,
        subsample=1.0,
        l2_regularization=1.0,
        validation_fraction=0.1,
        n_iter_no_change=None,
        tol=1e-4,
        random_state=None,
    ):
        self.source_estimator = source_estimator
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.subsample = subsample
        self.l2_regularization = l2_regularization
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state

    def _check_domain_data(self, X, y, sample_domain, sample_weight=None):
        # The source model gets the categories as they are (a
        # HistGradientBoosting model reads them from the dtype); the target
        # trees get their codes.
        self.categories_ = {
            column: X[column].cat.categories for column in _category_columns(X)
        }
        if not self.categories_:
            return super()._check_domain_data(X, y, sample_domain, sample_weight)
        data = super()._check_domain_data(
            _category_codes(X, self.categories_), y, sample_domain, sample_weight
        )
        return replace(data, X_input=X)

    def _tree_rows(self, X):
        if self.categories_ and _category_columns(X):
            X = _category_codes(X, self.categories_)
        return validate_data(
            self, X, reset=False, ensure_all_finite="allow-nan", accept_sparse="csr"
        )

    def _fit(self, data):
        source = self._fit_source_model(data)
        rows = np.flatnonzero(data.labeled_target)
        self._check_source(source, data.y[rows])
        y = self._encode_targets(data.y[rows])
        if rows.shape[0] == 0:
            # Every row is a source row: the model is the source model.
            return self._set_rounds([], np.zeros(0), None)
        X = data.X[rows]
        margin = self._source_margin(_safe_indexing(data.X_input, rows))
        weight = data.weights()[rows]
        rng = check_random_state(self.random_state)
        validation = None
        if self.n_iter_no_change is not None:
            X, y, margin, weight, validation = self._inner_split(
                X, y, margin, weight, rng
            )
        trees, train_loss, validation_loss = boost_from_margin(
            X=X,
            y=y,
            margin=margin,
            sample_weight=weight,
            loss=self._loss,
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            subsample=self.subsample,
            l2_regularization=self.l2_regularization,
            validation=validation,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            random_state=rng,
        )
        return self._set_rounds(trees, train_loss, validation_loss)

    def _set_rounds(self, trees, train_loss, validation_loss):
        self.estimators_ = trees
        self.n_estimators_ = len(trees)
        self.train_score_ = train_loss
        self.validation_score_ = validation_loss
        return self

    def _inner_split(self, X, y, margin, weight, rng):
        """Hold out ``validation_fraction`` of the target rows for early stopping."""
        n_rows = y.shape[0]
        n_held = int(np.ceil(self.validation_fraction * n_rows))
        if n_rows < 2 or n_held >= n_rows:
            raise ValueError(
                f"Early stopping holds out validation_fraction="
                f"{self.validation_fraction} of the {n_rows} labeled target rows, "
                "which leaves none to boost on. Label more target rows, lower "
                "validation_fraction, or set n_iter_no_change=None."
            )
        stratify = self._stratify_labels(y, n_held)
        parts = train_test_split(
            X,
            y,
            margin,
            weight,
            test_size=n_held,
            stratify=stratify,
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
        X, X_val, y, y_val, margin, margin_val, weight, weight_val = parts
        return X, y, margin, weight, (X_val, y_val, margin_val, weight_val)

    def _stratify_labels(self, y, n_held):
        return None

    def _raw_margin(self, X):
        """Source margin plus every kept round's steps, shape (n, K)."""
        check_is_fitted(self)
        X_checked = self._tree_rows(X)
        margin = self._source_margin(X)
        for round_trees in self.estimators_:
            for k, tree in enumerate(round_trees):
                margin[:, k] += tree.predict(X_checked)
        return margin

    def _check_source(self, source, y):
        """Refuse a source model whose output cannot start the boosting."""

    def _encode_targets(self, y):
        return y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        # The trees take sparse rows; the source model decides.
        tags.input_tags.sparse = get_tags(self._given_source()).input_tags.sparse
        return tags


class SourceBoostingClassifier(
    LabeledRowsScoreMixin, ClassifierMixin, _BaseSourceBoosting
):
    """Gradient boosting on the target rows from the source model's margin.

    The source model's raw margin (its ``decision_function``: the log-odds
    for two classes, one score per class otherwise; else the log of its
    ``predict_proba``) is the starting point of a gradient boosting on the
    labeled target rows (Friedman, 2001): each round fits regression trees
    to the negative gradient of the log-loss (binary, or multinomial with
    one tree per class) and takes one Newton step per leaf, shrunk by
    ``learning_rate``. With ``n_estimators=0`` the model is the source model;
    each round corrects it towards the target.

    Parameters
    ----------
    source_estimator : estimator object, default=None
        The source model. An unfitted classifier is cloned and fitted on the
        labeled source rows (None: ``HistGradientBoostingClassifier()``);
        ``FrozenEstimator(fitted_classifier)`` is used as it is, and ``fit``
        then needs no source rows. It needs ``decision_function`` or
        ``predict_proba``, and every target class among its ``classes_``.
    n_estimators : int, default=100
        Boosting rounds on the target rows; 0 keeps the source model.
    learning_rate : float, default=0.1
        Shrinkage of each round's step.
    max_depth : int or None, default=3
        Depth of each regression tree.
    min_samples_leaf : int, default=5
        Fewest target rows in a leaf (keeps leaves from fitting one row of a
        small target sample).
    subsample : float, default=1.0
        Fraction of the target rows drawn, without replacement, for each
        round (stochastic gradient boosting when below 1).
    l2_regularization : float, default=1.0
        Added to the hessian sum of each leaf's Newton step (XGBoost's
        ``lambda``). It bounds the step of a leaf whose rows the source
        model is sure of but gets wrong (hessian near 0), which would
        otherwise be huge; 0 gives Friedman's plain Newton step.
    validation_fraction : float, default=0.1
        Fraction of the labeled target rows held out for early stopping
        (stratified by class where every class can be split).
    n_iter_no_change : int or None, default=None
        Stop when the held-out log-loss has not improved by ``tol`` for this
        many rounds, and keep the rounds up to its minimum. None: no early
        stopping, every target row boosts.
    tol : float, default=1e-4
        Smallest improvement of the held-out loss that counts.
    random_state : int, RandomState instance or None, default=None
        Seeds the source model (when fitted here and unseeded), the inner
        split, the subsamples and the trees.

    Attributes
    ----------
    source_estimator_ : estimator object
        The source model (fitted here, or the frozen one).
    classes_ : ndarray of shape (n_classes,)
        The source model's classes.
    estimators_ : list of list of DecisionTreeRegressor
        One list per round kept (one tree for two classes, one per class
        otherwise); each tree predicts its shrunk step.
    n_estimators_ : int
        Rounds kept (fewer than ``n_estimators`` after early stopping).
    train_score_ : ndarray of shape (`n_estimators_` + 1,)
        Mean log-loss on the boosted target rows, from the source margin on.
    validation_score_ : ndarray or None
        Held-out log-loss at each round fitted, when early stopping is on.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X``, when it is a DataFrame with string names.
    categories_ : dict
        The categories of each ``category`` column of a DataFrame ``X``, by
        column name; the target trees split on codes among them. Empty for
        arrays.

    See Also
    --------
    SourceBoostingRegressor : The squared-error version.

    Notes
    -----
    The rounds use sklearn's ``DecisionTreeRegressor`` on the numeric
    columns (NaN allowed), not ``HistGradientBoostingRegressor``: one
    histogram booster per round would rebin the rows every round, and
    sklearn's ``GradientBoostingClassifier(init=...)`` cannot have zero
    rounds, so neither gives the exact ``n_estimators=0`` limit. The boosting
    sees only the labeled target rows, so its cost does not depend on the
    number of source rows when the source model is frozen.

    Categorical columns: a DataFrame's ``category`` columns go to the source
    model as they are, so a ``HistGradientBoostingClassifier`` source (the
    default, ``categorical_features="from_dtype"``) treats them as
    categories; the target trees split on their codes among the categories
    seen in ``fit`` (``categories_``), unseen and missing values being NaN.
    Text (``object``) columns must be encoded in front, e.g. by an
    ``OrdinalEncoder`` in a ``Pipeline``.

    How much the source helps depends on its margin: a calibrated source
    (a logistic model) is corrected in a few rounds, while a source whose
    margin is saturated (a boosted ensemble fitted to near-separable source
    rows, log-odds of 10 or more) needs many rounds or a larger
    ``learning_rate`` to be overturned where the target disagrees.

    The margin is the source's ``decision_function`` when it has one, so
    ``predict_proba`` equals the source's exactly at ``n_estimators=0`` when
    its probabilities are the sigmoid (softmax) of that function, as for
    logistic models and gradient boosting; models with ``predict_proba``
    only (e.g. XGBoost's and LightGBM's sklearn wrappers) start from the log
    of their probabilities, which is exact too.

    References
    ----------
    .. [1] J. H. Friedman, "Greedy function approximation: a gradient
       boosting machine", Annals of Statistics 29(5), 2001.
    .. [2] C. Becker, R. Rigamonti, V. Lepetit and P. Fua, "Supervised
       feature learning for curvilinear structure segmentation", MICCAI
       2013 (boosting started from a model trained elsewhere).
    .. [3] T. Chen and C. Guestrin, "XGBoost: a scalable tree boosting
       system", KDD 2016 (``base_margin``: boosting from a given margin).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.parameter._boosting import SourceBoostingClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> y[150:] = (X[150:, 1] > 0)  # the target's concept differs
    >>> sample_domain = np.r_[np.ones(150, int), -2 * np.ones(50, int)]
    >>> model = SourceBoostingClassifier(n_estimators=20, random_state=0)
    >>> model.fit(X, y, sample_domain=sample_domain).n_estimators_
    20
    >>> bool(model.train_score_[-1] < model.train_score_[0])
    True
    """

    _loss = "log_loss"

    def _check_source(self, source, y):
        if not hasattr(source, "classes_"):
            raise TypeError(
                f"{type(self).__name__} needs a classifier as source_estimator "
                f"(with classes_); got {type(source).__name__}."
            )
        if not (
            hasattr(source, "decision_function") or hasattr(source, "predict_proba")
        ):
            raise TypeError(
                f"{type(self).__name__} starts from the source model's margin: "
                "it needs decision_function or predict_proba, and "
                f"{type(source).__name__} has neither."
            )
        self.classes_ = np.asarray(source.classes_)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                f"The source model knows one class ({self.classes_[0]!r}); boosting "
                "from its margin needs at least two."
            )
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"Target classes {unknown.tolist()} are not among the source model's "
                f"classes {self.classes_.tolist()}; the boosting corrects the source "
                "margin of known classes only. Use a source model trained on every "
                "class."
            )

    def _encode_targets(self, y):
        return np.searchsorted(self.classes_, y)

    def _stratify_labels(self, y, n_held):
        counts = np.bincount(y)
        counts = counts[counts > 0]
        if counts.min() >= 2 and counts.shape[0] <= min(n_held, y.shape[0] - n_held):
            return y
        return None

    def _source_margin(self, X):
        """The source model's margin, shape (n, 1) for two classes, (n, K) else."""
        source = self.source_estimator_
        n_classes = self.classes_.shape[0]
        if hasattr(source, "decision_function"):
            scores = np.asarray(source.decision_function(X), dtype=np.float64)
            return scores.reshape(-1, 1) if n_classes == 2 else scores.copy()
        log_proba = np.log(
            np.clip(
                np.asarray(source.predict_proba(X), dtype=np.float64), _PROBA_FLOOR, 1
            )
        )
        if n_classes == 2:
            return (log_proba[:, 1] - log_proba[:, 0]).reshape(-1, 1)
        return log_proba

    def decision_function(self, X):
        """Boosted margin: the log-odds of ``classes_[1]``, or one score per class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The source margin plus the boosting rounds' steps.
        """
        margin = self._raw_margin(X)
        return margin[:, 0] if margin.shape[1] == 1 else margin

    def predict_proba(self, X):
        """Class probabilities: sigmoid (two classes) or softmax of the margin.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        margin = self._raw_margin(X)
        if margin.shape[1] == 1:
            positive = expit(margin[:, 0])
            return np.c_[1.0 - positive, positive]
        return softmax(margin, axis=1)

    def predict(self, X):
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def _default_source_estimator(self):
        return HistGradientBoostingClassifier()


class SourceBoostingRegressor(
    LabeledRowsScoreMixin, RegressorMixin, _BaseSourceBoosting
):
    """Gradient boosting on the target rows from the source model's prediction.

    The source model's ``predict`` is the starting point of a squared-error
    gradient boosting on the labeled target rows (Friedman, 2001): each
    round fits a regression tree to the residuals and adds it, shrunk by
    ``learning_rate``. With ``n_estimators=0`` the model is the source model.

    Parameters
    ----------
    source_estimator : estimator object, default=None
        The source model. An unfitted regressor is cloned and fitted on the
        labeled source rows (None: ``HistGradientBoostingRegressor()``);
        ``FrozenEstimator(fitted_regressor)`` is used as it is, and ``fit``
        then needs no source rows.
    n_estimators : int, default=100
        Boosting rounds on the target rows; 0 keeps the source model.
    learning_rate : float, default=0.1
        Shrinkage of each round's tree.
    max_depth : int or None, default=3
        Depth of each regression tree.
    min_samples_leaf : int, default=5
        Fewest target rows in a leaf.
    subsample : float, default=1.0
        Fraction of the target rows drawn, without replacement, each round.
    l2_regularization : float, default=1.0
        Unused by the squared error (its leaves are mean residuals); kept so
        both estimators take the same parameters.
    validation_fraction : float, default=0.1
        Fraction of the labeled target rows held out for early stopping.
    n_iter_no_change : int or None, default=None
        Stop when the held-out squared error has not improved by ``tol`` for
        this many rounds, and keep the rounds up to its minimum. None: no
        early stopping.
    tol : float, default=1e-4
        Smallest improvement of the held-out loss that counts.
    random_state : int, RandomState instance or None, default=None
        Seeds the source model (when fitted here and unseeded), the inner
        split, the subsamples and the trees.

    Attributes
    ----------
    source_estimator_ : estimator object
        The source model (fitted here, or the frozen one).
    estimators_ : list of list of DecisionTreeRegressor
        One single-tree list per round kept; each tree predicts its shrunk
        step.
    n_estimators_ : int
        Rounds kept.
    train_score_ : ndarray of shape (`n_estimators_` + 1,)
        Half mean squared error on the boosted target rows, from the source
        prediction on.
    validation_score_ : ndarray or None
        Held-out half squared error at each round fitted, with early stopping.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X``, when it is a DataFrame with string names.
    categories_ : dict
        The categories of each ``category`` column of a DataFrame ``X``, by
        column name; the target trees split on codes among them. Empty for
        arrays.

    See Also
    --------
    SourceBoostingClassifier : The log-loss version.

    Notes
    -----
    As for :class:`SourceBoostingClassifier`: the rounds are sklearn
    regression trees, fitted on the labeled target rows only, on the numeric
    columns and the codes of ``category`` columns (see there).

    References
    ----------
    .. [1] J. H. Friedman, "Greedy function approximation: a gradient
       boosting machine", Annals of Statistics 29(5), 2001.
    .. [2] T. Chen and C. Guestrin, "XGBoost: a scalable tree boosting
       system", KDD 2016 (``base_margin``: boosting from a given margin).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.parameter._boosting import SourceBoostingRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = X[:, 0].copy()
    >>> y[150:] += X[150:, 1]  # the target has one more effect
    >>> sample_domain = np.r_[np.ones(150, int), -2 * np.ones(50, int)]
    >>> model = SourceBoostingRegressor(n_estimators=30, random_state=0)
    >>> model.fit(X, y, sample_domain=sample_domain).n_estimators_
    30
    """

    _loss = "squared_error"

    def _source_margin(self, X):
        prediction = np.asarray(self.source_estimator_.predict(X), dtype=np.float64)
        if prediction.ndim > 1 and prediction.shape[1] != 1:
            raise ValueError(
                f"{type(self).__name__} boosts one output; the source model predicts "
                f"{prediction.shape[1]}."
            )
        return prediction.reshape(-1, 1).copy()

    def predict(self, X):
        """Source prediction plus every kept round's tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted values.
        """
        return self._raw_margin(X)[:, 0]

    def _default_source_estimator(self):
        return HistGradientBoostingRegressor()
