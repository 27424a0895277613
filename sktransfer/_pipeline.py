"""Composition with sklearn: fit on labeled rows only, transfer-aware pipelines."""

import inspect

import numpy as np
from sklearn import get_config
from sklearn.model_selection._search import BaseSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils import metadata_routing
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metadata_routing import get_routing_for_object
from sklearn.utils.metaestimators import available_if

from ._callers import check_marker_safe_caller
from ._domain import check_domain_data
from .base import BaseTransferMetaEstimator, _label_task

_DOMAIN_ROWS = {
    "all": lambda sample_domain: np.ones(sample_domain.shape[0], dtype=bool),
    "source": lambda sample_domain: sample_domain >= 0,
    "target": lambda sample_domain: sample_domain < 0,
}


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

    # sample_weight is routed to the inner estimator, not consumed here.
    __metadata_request__fit = {"sample_weight": metadata_routing.UNUSED}

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

    def __sklearn_clone__(self):
        # As for sktransfer's estimators: see sktransfer._callers.
        check_marker_safe_caller(self)
        return super().__sklearn_clone__()

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
            if step not in (None, "passthrough") and _takes_sample_domain(step)
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
        check_marker_safe_caller(self, y)
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
        check_marker_safe_caller(self, y)
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
        check_marker_safe_caller(self, y)
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
