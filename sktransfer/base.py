"""Base classes of sktransfer's estimators: validate once, then fit.

Every transfer estimator inherits :class:`BaseTransferEstimator` (or its
transformer and meta-estimator variants): the public ``fit`` runs the one
validator of the ``sample_domain`` convention
(:func:`sktransfer._domain.check_domain_data`) and hands the validated record
to the subclass's ``_fit(data, **params)`` -- the template method of sklearn's
``BaseWeightBoosting.fit`` -> ``_boost`` and imbalanced-learn's
``fit_resample`` -> ``_fit_resample``. Subclasses say what their data must be
in the class attribute ``_domain_checks`` (keyword arguments of the
validator) and never validate by hand.
"""

import logging
import sys
from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.linear_model import LogisticRegression
from sklearn.utils import _safe_indexing, check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_is_fitted

from ._callers import check_marker_safe_caller
from ._domain import (
    DEFAULT_TARGET_ID,
    check_domain_data,
    non_numeric_columns_explained,
)

__all__ = [
    "BaseTransferEstimator",
    "BaseTransferMetaEstimator",
    "BaseTransferTransformer",
    "LabeledRowsScoreMixin",
    "ProbabilityPredictionsMixin",
    "copy_input_attributes",
    "labeled_rows_for_scoring",
    "report_progress",
    "seed_nested_estimators",
]

_DELEGATED_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
)


def _label_task(estimator):
    """What the estimator's labels are: "classification", "regression" or None."""
    return {"classifier": "classification", "regressor": "regression"}.get(
        get_tags(estimator).estimator_type
    )


def report_progress(logger, verbose, message, *args, level=1):
    """Tell the user about long work when ``verbose >= level``.

    The message goes to ``logger`` at INFO when logging is configured to show
    it (a handler on the logger or an ancestor, INFO enabled), and is printed
    to stderr otherwise, so ``verbose=1`` shows something without the user
    configuring ``logging``, as sklearn's estimators do.

    Parameters
    ----------
    logger : logging.Logger
        The module's logger.
    verbose : int or bool
        The estimator's ``verbose`` parameter.
    message : str
        ``%``-style format string.
    *args : object
        Its arguments.
    level : int, default=1
        Smallest ``verbose`` that shows the message.

    Examples
    --------
    >>> import logging
    >>> from sktransfer.base import report_progress
    >>> report_progress(logging.getLogger("sktransfer"), 0, "not shown")
    """
    if not verbose or verbose < level:
        return
    if logger.hasHandlers() and logger.isEnabledFor(logging.INFO):
        logger.info(message, *args)
    else:
        print(message % args if args else message, file=sys.stderr, flush=True)


def copy_input_attributes(estimator, fitted):
    """Record ``fitted``'s ``n_features_in_``/``feature_names_in_`` on ``estimator``.

    Parameters
    ----------
    estimator : estimator object
        The meta-estimator whose inner estimator saw the input.
    fitted : estimator object
        The fitted inner estimator.

    Returns
    -------
    estimator : estimator object
        The same object.
    """
    for attribute in ("n_features_in_", "feature_names_in_"):
        if hasattr(fitted, attribute):
            setattr(estimator, attribute, getattr(fitted, attribute))
    return estimator


def seed_nested_estimators(estimator, random_state):
    """Give every unset ``random_state`` inside ``estimator`` a derived seed.

    Like sklearn's ensembles (``_set_random_states``), but a seed the user set
    on a nested estimator is kept: only parameters left at None are seeded,
    each from ``random_state`` in sorted parameter order, so the fit is
    deterministic given ``random_state``.

    Parameters
    ----------
    estimator : estimator object
        An unfitted estimator (modified in place).
    random_state : int, RandomState instance or None
        The outer estimator's ``random_state``; None seeds nothing.

    Returns
    -------
    estimator : estimator object
        The same object.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sktransfer.base import seed_nested_estimators
    >>> tree = seed_nested_estimators(DecisionTreeClassifier(), 0)
    >>> tree.random_state is not None
    True
    """
    if random_state is None:
        return estimator
    rng = check_random_state(random_state)
    params = estimator.get_params(deep=True)
    seeds = {}
    for key in sorted(params):
        if key == "random_state" or key.endswith("__random_state"):
            seed = int(rng.randint(np.iinfo(np.int32).max))
            if params[key] is None:
                seeds[key] = seed
    if seeds:
        estimator.set_params(**seeds)
    return estimator


class BaseTransferEstimator(BaseEstimator, metaclass=ABCMeta):
    """Base of every transfer estimator: ``fit`` validates, ``_fit`` learns.

    ``fit(X, y, sample_domain, sample_weight, **fit_params)`` validates the
    rows once with ``sktransfer._domain.check_domain_data``, configured
    by the class attribute ``_domain_checks``, and calls
    ``self._fit(data, **fit_params)`` with the resulting
    ``sktransfer._domain.DomainData``. ``_domain_task`` says whether
    the labels are classes or values (by default from the estimator's type).

    ``sample_domain`` is requested for ``fit`` by default, so it flows through
    ``Pipeline`` and ``GridSearchCV`` when metadata routing is on.
    """

    __metadata_request__fit = {"sample_domain": True}

    _domain_checks = {}

    def _domain_task(self):
        return _label_task(self)

    def _domain_check_options(self):
        return dict(self._domain_checks)

    def _check_domain_data(self, X, y, sample_domain, sample_weight=None):
        check_marker_safe_caller(self, y, task=self._domain_task())
        return check_domain_data(
            self,
            X,
            y,
            sample_domain,
            sample_weight,
            task=self._domain_task(),
            **self._domain_check_options(),
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, sample_domain=None, sample_weight=None, **fit_params):
        """Fit on the rows of every domain.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (classification) or ``NaN`` (regression) marks
            unlabeled target rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target); inferred from the
            label masks when None.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.
        **fit_params : dict
            Parameters of the estimator's own fitting step, where it has one.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._validate_and_fit(X, y, sample_domain, sample_weight, **fit_params)

    def _validate_and_fit(self, X, y, sample_domain, sample_weight=None, **params):
        """The template method: validate once, then ``_fit``.

        Subclasses whose public ``fit`` has another signature call this.
        """
        data = self._check_domain_data(X, y, sample_domain, sample_weight)
        with non_numeric_columns_explained(data.X_input, type(self).__name__):
            return self._fit(data, **params)

    def __sklearn_clone__(self):
        # sklearn's wrappers that would take -1 for a class clone before they
        # fit; only there can the marker still be seen (see _callers).
        check_marker_safe_caller(self)
        return super().__sklearn_clone__()

    @abstractmethod
    def _fit(self, data, **fit_params):
        """Learn from validated rows; return ``self``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self._domain_checks.get("y_required", True)
        return tags


class BaseTransferTransformer(TransformerMixin, BaseTransferEstimator):
    """Base of transfer transformers: ``fit(X, y=None, sample_domain=None)``.

    ``fit_transform`` calls ``_fit_transform(data)``, which subclasses may
    override when the embedding of the training rows comes out of the fit
    (the default is ``_fit(data).transform(data.X)``). ``TransformerMixin``
    (``set_output``) is part of this class: do not list it again in a
    subclass, whose ``fit_transform`` would then be the mixin's.
    """

    _domain_checks = {"y_required": False}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_domain=None):
        """Fit on the rows of every domain.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,), default=None
            Labels, where the method uses them; otherwise used only to find
            the target rows (unlabeled marker) when ``sample_domain`` is None.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target).

        Returns
        -------
        self : object
            The fitted transformer.
        """
        return self._validate_and_fit(X, y, sample_domain)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, sample_domain=None):
        """Fit, and return the transformed training rows in their order.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,), default=None
            As in :meth:`fit`.
        sample_domain : array-like of int of shape (n_samples,), default=None
            As in :meth:`fit`.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The transformed rows.
        """
        data = self._check_domain_data(X, y, sample_domain)
        with non_numeric_columns_explained(data.X_input, type(self).__name__):
            return self._fit_transform(data)

    def _fit_transform(self, data):
        return self._fit(data).transform(data.X)


def _inner_has(attr):
    """available_if check: the fitted inner estimator (or the given one) has attr."""

    def check(self):
        getattr(self._inner_estimator(), attr)
        return True

    return check


class BaseTransferMetaEstimator(MetaEstimatorMixin, BaseTransferEstimator):
    """Base of meta-estimators that fit an inner estimator on labeled rows.

    ``estimator=None`` means ``_default_estimator()`` (``LogisticRegression()``
    unless a subclass says otherwise). ``_fit`` implementations call
    ``_make_estimator_()`` to set ``estimator_`` (a clone, its unset seeds
    derived from ``random_state`` when the class has one), then
    ``_fit_on_rows``. Prediction methods, ``score`` (on labeled rows),
    ``classes_`` and tags come from the inner estimator.

    Metadata routing: with routing on, ``fit`` routes the metadata that the
    inner estimator requests (``sample_weight`` included, subset like the
    rows) through a real :class:`~sklearn.utils.metadata_routing.MetadataRouter`,
    and prediction methods route theirs; ``sample_domain`` is consumed here.
    With routing off, ``sample_weight`` and other fit parameters go to the
    inner estimator's ``fit``.
    """

    __metadata_request__predict = {"sample_domain": True}
    __metadata_request__predict_proba = {"sample_domain": True}
    __metadata_request__predict_log_proba = {"sample_domain": True}
    __metadata_request__decision_function = {"sample_domain": True}
    __metadata_request__transform = {"sample_domain": True}

    _parameter_constraints = {"estimator": [HasMethods(["fit"]), None]}

    _domain_checks = {"validate_X": False}

    @staticmethod
    def _default_estimator():
        return LogisticRegression()

    def _inner_estimator(self):
        """The fitted inner estimator, else the one given, else the default."""
        if hasattr(self, "estimator_"):
            return self.estimator_
        return self._default_estimator() if self.estimator is None else self.estimator

    def _domain_task(self):
        return _label_task(self._inner_estimator())

    def _domain_check_options(self):
        multi_output = get_tags(self._inner_estimator()).target_tags.multi_output
        return {**self._domain_checks, "multi_output": multi_output}

    def _make_estimator_(self):
        """Set ``estimator_`` to a fresh clone of the inner estimator."""
        estimator = (
            self._default_estimator() if self.estimator is None else self.estimator
        )
        self.estimator_ = seed_nested_estimators(
            clone(estimator), getattr(self, "random_state", None)
        )
        return self.estimator_

    def _inner_fit_params(self, fit_params, sample_weight=None):
        """The parameters of the inner estimator's ``fit``, routed or not."""
        if _routing_enabled():
            if sample_weight is not None:
                fit_params = {**fit_params, "sample_weight": sample_weight}
            return dict(process_routing(self, "fit", **fit_params).estimator.fit)
        if sample_weight is not None:
            return {**fit_params, "sample_weight": sample_weight}
        return dict(fit_params)

    def _fit_on_rows(self, data, rows, fit_params):
        """Fit ``estimator_`` on ``rows`` of the data; per-row fit parameters
        (``sample_weight`` among them) are subset alike."""
        fit_params = {
            key: _subset_rows(value, rows, data.n_samples)
            for key, value in fit_params.items()
        }
        self.estimator_.fit(
            _safe_indexing(data.X_input, rows),
            _safe_indexing(data.y, rows),
            **fit_params,
        )
        self.n_training_rows_ = rows.shape[0]
        return copy_input_attributes(self, self.estimator_)

    def get_metadata_routing(self):
        """Metadata routing of this meta-estimator.

        Returns
        -------
        routing : MetadataRouter
            ``sample_domain`` consumed here; everything the inner estimator
            requests routed to it, for ``fit`` and the prediction methods.
        """
        mapping = MethodMapping().add(caller="fit", callee="fit")
        for method in (*_DELEGATED_METHODS, "score"):
            mapping.add(caller=method, callee=method)
        return (
            MetadataRouter(owner=type(self).__name__)
            .add_self_request(self)
            .add(estimator=self._inner_estimator(), method_mapping=mapping)
        )

    @property
    def classes_(self):
        """Class labels of the fitted classifier."""
        check_is_fitted(self)
        return self.estimator_.classes_

    def _delegate(self, method, X, params):
        check_is_fitted(self)
        if _routing_enabled():
            params = dict(
                getattr(process_routing(self, method, **params).estimator, method)
            )
        return getattr(self.estimator_, method)(X, **params)

    # Prediction methods accept sample_domain, as DESIGN's convention and SKADA
    # pipelines pass it at predict time; rows are predicted alike whatever their
    # domain, so it is not used.

    @available_if(_inner_has("predict"))
    def predict(self, X, sample_domain=None, **params):
        """Predict every row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Accepted for the convention; rows are predicted alike.
        **params : dict
            Parameters of the inner estimator's ``predict``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions of the fitted inner estimator.
        """
        return self._delegate("predict", X, params)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X, sample_domain=None, **params):
        """Class probabilities of every row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Accepted for the convention; rows are predicted alike.
        **params : dict
            Parameters of the inner estimator's ``predict_proba``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return self._delegate("predict_proba", X, params)

    @available_if(_inner_has("predict_log_proba"))
    def predict_log_proba(self, X, sample_domain=None, **params):
        """Log class probabilities of every row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Accepted for the convention; rows are predicted alike.
        **params : dict
            Parameters of the inner estimator's ``predict_log_proba``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log probabilities, columns in the order of ``classes_``.
        """
        return self._delegate("predict_log_proba", X, params)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X, sample_domain=None, **params):
        """Decision function of every row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Accepted for the convention; rows are predicted alike.
        **params : dict
            Parameters of the inner estimator's ``decision_function``.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values of the fitted inner estimator.
        """
        return self._delegate("decision_function", X, params)

    @available_if(_inner_has("transform"))
    def fit_transform(self, X, y, sample_domain=None, sample_weight=None, **fit_params):
        """Fit on the labeled rows, then transform every row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,)
            Labels, with the unlabeled marker on unlabeled rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.
        **fit_params : dict
            Parameters of the inner estimator's ``fit``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_new)
            Every row, transformed.
        """
        return self.fit(X, y, sample_domain, sample_weight, **fit_params).transform(X)

    @available_if(_inner_has("transform"))
    def transform(self, X, sample_domain=None, **params):
        """Transform every row of ``X`` with the fitted estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Accepted for the convention; rows are transformed alike.
        **params : dict
            Parameters of the inner estimator's ``transform``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_new)
            The transformed rows.
        """
        return self._delegate("transform", X, params)

    @available_if(_inner_has("score"))
    def score(self, X, y, sample_weight=None):
        """Score of the fitted estimator on the labeled rows of ``X``.

        Rows with the unlabeled marker are left out, as in ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.
        y : array-like of shape (n_samples,)
            Labels; rows with the unlabeled marker are left out.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, subset like the rows.

        Returns
        -------
        score : float
            The inner estimator's ``score`` on the labeled rows.
        """
        check_is_fitted(self)
        X_rows, y_rows, weights = labeled_rows_for_scoring(self, X, y, sample_weight)
        kwargs = {} if weights is None else {"sample_weight": weights}
        return self.estimator_.score(X_rows, y_rows, **kwargs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._inner_estimator())
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.transformer_tags = inner.transformer_tags
        tags.input_tags = inner.input_tags
        tags.target_tags = inner.target_tags
        tags.target_tags.required = True
        tags.non_deterministic = inner.non_deterministic
        return tags


def labeled_rows_for_scoring(estimator, X, y, sample_weight=None):
    """The labeled rows of ``X`` and ``y``, as ``score`` evaluates them.

    ``fit`` trains on labeled rows only, so ``score`` leaves out the rows with
    the unlabeled marker: sklearn's ``ClassifierMixin.score`` would count a
    ``-1`` as a wrong class, ``RegressorMixin.score`` would return NaN. The
    rows scored are taken as target rows, as at predict time, so a test fold
    holding one class and unlabeled rows is not mistaken for labels ``{-1, c}``.

    Parameters
    ----------
    estimator : estimator object
        The fitted estimator (named in errors; its type gives the task).
    X : array-like of shape (n_samples, n_features)
        Rows of any domain.
    y : array-like of shape (n_samples,)
        Labels, with the unlabeled marker on unlabeled rows.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights.

    Returns
    -------
    X_rows : array-like
        The labeled rows of ``X``, in their container type.
    y_rows : ndarray
        Their labels.
    weights : ndarray or None
        Their weights, or None.

    Raises
    ------
    ValueError
        When every label is the marker.
    """
    task = (
        estimator._domain_task()
        if hasattr(estimator, "_domain_task")
        else _label_task(estimator)
    )
    inner = (
        estimator._inner_estimator()
        if hasattr(estimator, "_inner_estimator")
        else estimator
    )
    data = check_domain_data(
        estimator,
        X,
        y,
        np.full(_num_samples(X), DEFAULT_TARGET_ID),
        sample_weight,
        task=task,
        multi_output=get_tags(inner).target_tags.multi_output,
        validate_X=False,
        need_source=False,
    )
    rows = np.flatnonzero(data.labeled)
    if rows.shape[0] == 0:
        raise ValueError(
            "score needs labeled rows; every label is the unlabeled marker "
            "(-1 for classes, NaN for regression targets)."
        )
    weights = None if data.sample_weight is None else data.sample_weight[rows]
    return _safe_indexing(data.X_input, rows), data.y[rows], weights


class LabeledRowsScoreMixin:
    """``score`` on the labeled rows only, as ``fit`` trains on them.

    Put it left of ``ClassifierMixin``/``RegressorMixin``; it scores
    ``predict`` with their metric (accuracy, R^2) on the rows that
    :func:`labeled_rows_for_scoring` keeps.
    """

    def score(self, X, y, sample_weight=None):
        """Score on the labeled rows of ``X``; unlabeled rows are left out.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of any domain, labeled or not.
        y : array-like of shape (n_samples,)
            Labels; rows with ``-1`` (classes) or ``NaN`` (regression
            targets) are left out.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, subset like the rows.

        Returns
        -------
        score : float
            Accuracy (classifiers) or R^2 (regressors) of ``predict`` on the
            labeled rows.
        """
        check_is_fitted(self)
        X_rows, y_rows, weights = labeled_rows_for_scoring(self, X, y, sample_weight)
        return super().score(X_rows, y_rows, sample_weight=weights)


class ProbabilityPredictionsMixin:
    """``predict`` and ``predict_log_proba`` from the class's ``predict_proba``.

    For the classifiers that change an inner model's probabilities (label-shift
    adjustment, calibration on target rows): the predicted class is the most
    probable one after the change.
    """

    def predict_log_proba(self, X, sample_domain=None):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Accepted for the convention; rows are predicted alike.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log probabilities (``-inf`` for a class of probability 0).
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X, sample_domain=None):
        """The most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Accepted for the convention; rows are predicted alike.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _subset_rows(value, rows, n_samples):
    """Index per-row arrays; pass anything else (scalars, callbacks) unchanged."""
    if value is None or isinstance(value, str) or not hasattr(value, "__len__"):
        return value
    if _n_rows(value) != n_samples:
        return value
    return _safe_indexing(value, rows)
