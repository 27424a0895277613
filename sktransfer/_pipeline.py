"""Composition with sklearn: fit on labeled rows only, transfer-aware pipelines."""

import inspect

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, MetaEstimatorMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, indexable

from ._domain import check_domain_data, unlabeled_mask
from .base import BaseTransferMetaEstimator, _label_task, _n_rows, _subset_rows

_DOMAIN_ROWS = {
    "all": lambda sample_domain: np.ones(sample_domain.shape[0], dtype=bool),
    "source": lambda sample_domain: sample_domain >= 0,
    "target": lambda sample_domain: sample_domain < 0,
}


def _inner_has(attr):
    """available_if check: the fitted inner estimator (or the given one) has attr."""

    def check(self):
        estimator = getattr(self, "estimator_", None)
        if estimator is None:
            estimator = self._make_estimator()
        getattr(estimator, attr)
        return True

    return check


class _LabeledRowsMetaEstimator(MetaEstimatorMixin, BaseEstimator):
    """Delegation shared by meta-estimators fitted on labeled rows.

    Subclasses implement ``fit``, setting ``estimator_``; prediction methods,
    ``score`` (on the labeled rows), ``classes_`` and tags come from the inner
    estimator, ``LogisticRegression()`` when ``estimator`` is None.
    """

    __metadata_request__fit = {"sample_domain": True}
    __metadata_request__predict = {"sample_domain": True}
    __metadata_request__predict_proba = {"sample_domain": True}
    __metadata_request__predict_log_proba = {"sample_domain": True}
    __metadata_request__decision_function = {"sample_domain": True}
    __metadata_request__transform = {"sample_domain": True}

    def _make_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def _fit_on_rows(self, estimator, X, y, rows, fit_params):
        """Fit ``estimator_`` on ``rows`` of ``X`` and ``y``; per-row fit
        parameters (``sample_weight`` among them) are subset alike."""
        n_samples = _n_rows(X)
        fit_params = {
            key: _subset_rows(value, rows, n_samples)
            for key, value in fit_params.items()
        }
        self.estimator_ = estimator.fit(
            _safe_indexing(X, rows), _safe_indexing(y, rows), **fit_params
        )
        self.n_training_rows_ = rows.shape[0]

    def _copy_input_attributes(self):
        """Record the fitted estimator's ``n_features_in_``/``feature_names_in_``."""
        for attribute in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.estimator_, attribute):
                setattr(self, attribute, getattr(self.estimator_, attribute))

    @property
    def classes_(self):
        """Class labels of the fitted classifier."""
        check_is_fitted(self)
        return self.estimator_.classes_

    def _delegate(self, method, X, params):
        check_is_fitted(self)
        return getattr(self.estimator_, method)(X, **params)

    # Prediction methods accept sample_domain, as DESIGN's convention and SKADA
    # pipelines pass it at predict time; rows are predicted alike whatever their
    # domain, so it is not used.

    @available_if(_inner_has("predict"))
    def predict(self, X, sample_domain=None, **params):
        """Predict every row of ``X`` (``sample_domain`` is accepted, unused)."""
        return self._delegate("predict", X, params)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X, sample_domain=None, **params):
        """Class probabilities of every row of ``X``."""
        return self._delegate("predict_proba", X, params)

    @available_if(_inner_has("predict_log_proba"))
    def predict_log_proba(self, X, sample_domain=None, **params):
        """Log class probabilities of every row of ``X``."""
        return self._delegate("predict_log_proba", X, params)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X, sample_domain=None, **params):
        """Decision function of every row of ``X``."""
        return self._delegate("decision_function", X, params)

    @available_if(_inner_has("transform"))
    def fit_transform(self, X, y, sample_domain=None, sample_weight=None, **fit_params):
        """Fit on the labeled rows, then transform every row of ``X``."""
        return self.fit(X, y, sample_domain, sample_weight, **fit_params).transform(X)

    @available_if(_inner_has("transform"))
    def transform(self, X, sample_domain=None, **params):
        """Transform every row of ``X`` with the fitted estimator."""
        return self._delegate("transform", X, params)

    @available_if(_inner_has("score"))
    def score(self, X, y, sample_weight=None):
        """Score of the fitted estimator on the labeled rows of ``X``.

        Rows with the unlabeled marker are left out, as in ``fit``.
        """
        check_is_fitted(self)
        X, y = indexable(X, y)
        n_samples = _n_rows(X)
        rows = np.flatnonzero(~unlabeled_mask(y, _label_task(self.estimator_)))
        if rows.shape[0] == 0:
            raise ValueError("score needs labeled rows; every label is masked.")
        kwargs = {}
        if sample_weight is not None:
            kwargs["sample_weight"] = _subset_rows(sample_weight, rows, n_samples)
        return self.estimator_.score(
            _safe_indexing(X, rows), _safe_indexing(y, rows), **kwargs
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._make_estimator())
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.transformer_tags = inner.transformer_tags
        tags.input_tags = inner.input_tags
        tags.target_tags = inner.target_tags
        tags.target_tags.required = True
        tags.non_deterministic = inner.non_deterministic
        return tags


class LabeledOnly(BaseTransferMetaEstimator):
    """Fit an estimator on the labeled rows only, optionally of some domains.

    Unlabeled rows (``y == -1`` for classifiers, ``NaN`` for regressors) are
    dropped before the wrapped estimator sees them, so a masked label never
    reaches a model as a class. ``domains`` further restricts training to the
    source or target rows, which gives the three no-transfer baselines:

    - ``LabeledOnly(est)``: pooled (every labeled row),
    - ``LabeledOnly(est, domains="source")``: source only,
    - ``LabeledOnly(est, domains="target")``: target only (the labeled ones).

    Prediction, transformation and ``classes_`` are those of the fitted
    estimator; every row given to ``predict`` is predicted.

    Parameters
    ----------
    estimator : estimator object, default=None
        The estimator to fit; cloned in ``fit``. ``None`` means
        ``LogisticRegression()``.
    domains : {"all", "source", "target"}, default="all"
        Which domains' labeled rows to train on. ``"source"`` and ``"target"``
        read ``sample_domain`` (``>= 0`` source, ``< 0`` target), inferred
        from the label masks when it is not given.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    n_training_rows_ : int
        Number of rows the estimator was fitted on.
    classes_ : ndarray
        Class labels, for classifiers.
    n_features_in_ : int
        Number of features seen in ``fit`` (when the estimator records it).
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit`` (when the estimator records them).

    See Also
    --------
    make_transfer_pipeline : Builds a pipeline whose last step is wrapped here.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer import LabeledOnly, stack_domains
    >>> rng = np.random.RandomState(0)
    >>> Xs, ys = rng.normal(size=(20, 2)), np.tile([0, 1], 10)
    >>> Xt = rng.normal(size=(10, 2))
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, None))
    >>> model = LabeledOnly(LogisticRegression()).fit(X, y, sample_domain=sample_domain)
    >>> model.n_training_rows_
    20
    >>> model.predict(X).shape
    (30,)
    """

    _parameter_constraints = {
        **BaseTransferMetaEstimator._parameter_constraints,
        "domains": [StrOptions(set(_DOMAIN_ROWS))],
    }

    _domain_checks = {"validate_X": False, "need_source": False}

    def __init__(self, estimator=None, *, domains="all"):
        self.estimator = estimator
        self.domains = domains

    def _training_rows(self, data):
        rows = data.labeled & _DOMAIN_ROWS[self.domains](data.sample_domain)
        if not rows.any():
            raise ValueError(
                f"LabeledOnly(domains={self.domains!r}) found no labeled rows to fit "
                "on: every selected row carries the unlabeled marker (-1 or NaN)"
                + (
                    " or no row belongs to the selected domains. Pass sample_domain "
                    "(>= 0 source, < 0 target) and give those rows real labels."
                    if self.domains != "all"
                    else ". Give some rows real labels."
                )
            )
        return np.flatnonzero(rows)

    def _fit(self, data, **fit_params):
        rows = self._training_rows(data)
        self._make_estimator_()
        params = self._inner_fit_params(fit_params, data.sample_weight)
        return self._fit_on_rows(data, rows, params)


def _final_step_has(*attributes, passthrough=False):
    """available_if check on the pipeline's last step, as Pipeline does it."""

    def check(self):
        final = self._final_estimator
        if final == "passthrough":
            return passthrough
        return any(hasattr(final, attribute) for attribute in attributes)

    return check


class TransferPipeline(Pipeline):
    """A :class:`~sklearn.pipeline.Pipeline` that hands ``sample_domain`` to its steps.

    ``fit(X, y, sample_domain=sd)`` passes ``sd`` to every step whose ``fit``
    accepts ``sample_domain``, also with sklearn's metadata routing off (its
    default), where a plain ``Pipeline`` would need ``step__sample_domain=sd``
    for each step. With routing on, routing decides, as in ``Pipeline``. So
    ``GridSearchCV(pipe).fit(X, y, sample_domain=sd)`` and
    ``cross_validate(pipe, X, y, params={"sample_domain": sd})`` work either
    way. Everything else is ``Pipeline``.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        As in :class:`~sklearn.pipeline.Pipeline`.
    transform_input : list of str, default=None
        As in :class:`~sklearn.pipeline.Pipeline` (needs routing on).
    memory : str or object with the joblib.Memory interface, default=None
        As in :class:`~sklearn.pipeline.Pipeline`.
    verbose : bool, default=False
        As in :class:`~sklearn.pipeline.Pipeline`.

    See Also
    --------
    make_transfer_pipeline : Builds one, naming the steps.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer import LabeledOnly, TransferPipeline
    >>> pipe = TransferPipeline([("scale", StandardScaler()),
    ...                          ("clf", LabeledOnly(LogisticRegression()))])
    >>> [name for name, _ in pipe.steps]
    ['scale', 'clf']
    """

    def _with_step_sample_domain(self, X, y, params):
        """Check the convention once; hand ``sample_domain`` to the steps."""
        if params.get("sample_domain") is None:
            return params
        # Steps validate their own input; here the ids and lengths are checked
        # before any step runs, so an error names the pipeline's input.
        data = check_domain_data(
            self,
            X,
            y,
            params["sample_domain"],
            y_required=False,
            validate_X=False,
            need_source=False,
        )
        params = {**params, "sample_domain": data.sample_domain}
        if get_config()["enable_metadata_routing"]:
            return params
        sample_domain = params.pop("sample_domain")
        consumers = [
            name
            for name, step in self.steps
            if step not in (None, "passthrough")
            and has_fit_parameter(step, "sample_domain")
        ]
        if not consumers:
            raise TypeError(
                "sample_domain was passed but no step of this pipeline accepts it in "
                "fit. Wrap the last step in LabeledOnly or add a transfer step."
            )
        for name in consumers:
            params.setdefault(f"{name}__sample_domain", sample_domain)
        return params

    def fit(self, X, y=None, **params):
        """Fit the pipeline; see :meth:`sklearn.pipeline.Pipeline.fit`.

        ``sample_domain`` given here reaches every step that accepts it.

        Parameters
        ----------
        X : iterable
            Training rows of every domain, as the first step takes them.
        y : array-like of shape (n_samples,), default=None
            Labels, with the unlabeled marker on unlabeled target rows.
        **params : dict
            ``sample_domain`` and other fit parameters, as in
            :class:`~sklearn.pipeline.Pipeline` (``step__param`` or routed).

        Returns
        -------
        self : TransferPipeline
            The fitted pipeline.
        """
        return super().fit(X, y, **self._with_step_sample_domain(X, y, params))

    @available_if(_final_step_has("transform", "fit_transform", passthrough=True))
    def fit_transform(self, X, y=None, **params):
        """Fit and transform; see :meth:`sklearn.pipeline.Pipeline.fit_transform`.

        ``sample_domain`` given here reaches every step that accepts it.

        Parameters
        ----------
        X : iterable
            Training rows of every domain, as the first step takes them.
        y : array-like of shape (n_samples,), default=None
            Labels, with the unlabeled marker on unlabeled target rows.
        **params : dict
            ``sample_domain`` and other fit parameters, as in
            :class:`~sklearn.pipeline.Pipeline` (``step__param`` or routed).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_new)
            The training rows transformed by every step.
        """
        return super().fit_transform(
            X, y, **self._with_step_sample_domain(X, y, params)
        )

    @available_if(_final_step_has("fit_predict"))
    def fit_predict(self, X, y=None, **params):
        """Fit and predict; see :meth:`sklearn.pipeline.Pipeline.fit_predict`.

        ``sample_domain`` given here reaches every step that accepts it.

        Parameters
        ----------
        X : iterable
            Training rows of every domain, as the first step takes them.
        y : array-like of shape (n_samples,), default=None
            Labels, with the unlabeled marker on unlabeled target rows.
        **params : dict
            ``sample_domain`` and other fit parameters, as in
            :class:`~sklearn.pipeline.Pipeline` (``step__param`` or routed).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The final step's predictions on the training rows.
        """
        return super().fit_predict(X, y, **self._with_step_sample_domain(X, y, params))


def _takes_sample_domain(step):
    """Whether ``step.fit(X, y, sample_domain=sd)`` gets ``sd`` to a consumer.

    True when ``fit`` has a ``sample_domain`` parameter, or when ``step`` is
    a meta-estimator (``GridSearchCV``, ``RandomizedSearchCV``, any sklearn
    wrapper with an ``estimator`` parameter) whose inner estimator consumes
    it: with metadata routing off the wrapper must take ``**fit_params``,
    which sklearn's searches pass to the inner ``fit``; with routing on the
    inner estimator must request ``sample_domain`` (sktransfer's do).
    """
    fit = getattr(step, "fit", None)
    if fit is None:
        return False
    parameters = inspect.signature(fit).parameters
    if "sample_domain" in parameters:
        return True
    from sklearn.utils.metadata_routing import get_routing_for_object

    get_params = getattr(step, "get_params", None)
    inner = get_params(deep=False).get("estimator") if get_params else None
    if inner is None or not hasattr(inner, "fit"):
        return False
    if get_config()["enable_metadata_routing"]:
        return bool(get_routing_for_object(inner).consumes("fit", ["sample_domain"]))
    forwards = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    return forwards and accepts_sample_domain(inner)


def accepts_sample_domain(estimator):
    """Whether ``estimator.fit(X, y, sample_domain=sd)`` hands ``sd`` on.

    True for an estimator whose ``fit`` takes ``sample_domain``, a
    :class:`TransferPipeline` with such a step, and a meta-estimator (a grid
    search, say) around one of those (see ``_takes_sample_domain``).
    """
    if isinstance(estimator, TransferPipeline):
        return any(
            step not in (None, "passthrough") and _takes_sample_domain(step)
            for _, step in estimator.steps
        )
    return _takes_sample_domain(estimator)


def fit_on_domains(estimator, X, y, sample_domain, **fit_params):
    """Fit ``estimator`` on stacked domains; return what was fitted.

    An estimator that takes ``sample_domain`` gets it (so does a search or
    another meta-estimator around one; with routing off, a search whose
    splitter reads the domains also gets them as ``groups``, all its splitter
    is handed then); any other is wrapped in :class:`LabeledOnly`, so it never
    sees an unlabeled row as a class. ``fit_params`` go to ``fit`` as they are.
    """
    from sklearn.model_selection._search import BaseSearchCV

    if not accepts_sample_domain(estimator):
        return LabeledOnly(estimator).fit(
            X, y, sample_domain=sample_domain, **fit_params
        )
    split = getattr(getattr(estimator, "cv", None), "split", None)
    if (
        isinstance(estimator, BaseSearchCV)
        and not get_config()["enable_metadata_routing"]
        and split is not None
        and "sample_domain" in inspect.signature(split).parameters
    ):
        fit_params = {"groups": sample_domain, **fit_params}
    return estimator.fit(X, y, sample_domain=sample_domain, **fit_params)


def _needs_labeled_only(step):
    if step in (None, "passthrough") or _takes_sample_domain(step):
        return False
    return _label_task(step) is not None or hasattr(step, "predict")


def make_transfer_pipeline(*steps, memory=None, verbose=False):
    """Build a :class:`TransferPipeline`, its last step fit on labeled rows only.

    Like :func:`sklearn.pipeline.make_pipeline`: steps are named after their
    classes. A final predictor (classifier, regressor, anything with
    ``predict``) is wrapped in :class:`LabeledOnly`, so unlabeled target rows
    reach the transfer steps before it (which use them) but never the
    predictor. A final step whose ``fit`` takes ``sample_domain`` (``LabeledOnly``
    itself and sktransfer's transfer estimators, such as
    :class:`KernelMeanMatching`) handles the unlabeled rows itself and is
    left as it is. The wrapped step keeps the predictor's name, so
    grid-search parameters read ``logisticregression__estimator__C``.

    Parameters
    ----------
    *steps : estimators
        The steps, in order.
    memory : str or object with the joblib.Memory interface, default=None
        As in :func:`sklearn.pipeline.make_pipeline`.
    verbose : bool, default=False
        As in :func:`sklearn.pipeline.make_pipeline`.

    Returns
    -------
    pipeline : TransferPipeline

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer import make_transfer_pipeline
    >>> pipe = make_transfer_pipeline(StandardScaler(), LogisticRegression())
    >>> pipe.steps[-1]
    ('logisticregression', LabeledOnly(estimator=LogisticRegression()))
    """
    if not steps:
        raise ValueError("make_transfer_pipeline needs at least one step.")
    named = make_pipeline(*steps).steps
    name, last = named[-1]
    if _needs_labeled_only(last):
        named[-1] = (name, LabeledOnly(last))
    return TransferPipeline(named, memory=memory, verbose=verbose)
