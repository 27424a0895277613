"""The source model of parameter transfer: fitted here, or given frozen.

Every estimator of :mod:`sktransfer.parameter` starts the target model from a
source model, taken one of two ways:

- ``source_estimator=<unfitted estimator>`` (or None for the default): cloned
  and fitted inside ``fit`` on the labeled source rows;
- ``source_estimator=FrozenEstimator(fitted_model)``: a production model,
  used as it is. ``fit`` then needs no source rows; with ``sample_domain``
  None every row given is a target row.
"""

import numpy as np
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_is_fitted

from .._domain import DEFAULT_TARGET_ID
from ..base import BaseTransferEstimator, seed_nested_estimators


def is_frozen(estimator):
    """Whether ``estimator`` is a fitted model wrapped in ``FrozenEstimator``."""
    return isinstance(estimator, FrozenEstimator)


def unfrozen(estimator):
    """The model inside a ``FrozenEstimator``; any other estimator itself."""
    return estimator.estimator if is_frozen(estimator) else estimator


class BaseSourceTransfer(BaseTransferEstimator):
    """Base of the estimators that start from a source model.

    Subclasses define ``_default_source_estimator()`` and ``_fit(data)``,
    which calls ``self._fit_source_model(data)`` to set ``source_estimator_``.
    With a frozen source model the validator asks for no source row, and
    rows of unknown domain are target rows.
    """

    def _default_source_estimator(self):
        raise NotImplementedError

    def _given_source(self):
        """``source_estimator`` as given, None resolved to the default."""
        if self.source_estimator is None:
            return self._default_source_estimator()
        return self.source_estimator

    def _source_is_frozen(self):
        return is_frozen(self.source_estimator)

    def _domain_check_options(self):
        options = super()._domain_check_options()
        if self._source_is_frozen():
            options["need_source"] = False
        return options

    def _check_domain_data(self, X, y, sample_domain, sample_weight=None):
        if sample_domain is None and self._source_is_frozen() and y is not None:
            # The source is the frozen model: every row given is a target row.
            sample_domain = np.full(len(y), DEFAULT_TARGET_ID)
        return super()._check_domain_data(X, y, sample_domain, sample_weight)

    def _fit_source_model(self, data):
        """Set ``source_estimator_``: the frozen model, or a clone fitted on
        the labeled source rows (with their ``sample_weight``)."""
        self.source_estimator_ = fitted_source_model(
            self._given_source(),
            data,
            random_state=getattr(self, "random_state", None),
            owner=type(self).__name__,
            parameter="source_estimator",
        )
        return self.source_estimator_


def fitted_source_model(
    given, data, *, random_state, owner, parameter, what="source model"
):
    """``given`` itself when it is a ``FrozenEstimator`` (checked fitted), else
    a clone seeded by ``random_state`` and fitted on the labeled source rows of
    ``data`` with their ``sample_weight``.

    ``owner`` (the estimator's name), ``parameter`` (where the model is given)
    and ``what`` word the error when there are no labeled source rows.
    """
    if is_frozen(given):
        check_is_fitted(given.estimator)
        return given
    rows = np.flatnonzero(data.labeled & data.is_source)
    if rows.shape[0] == 0:
        raise ValueError(
            f"{owner} fits its {what} on the labeled source rows (sample_domain "
            ">= 0), and there are none. Pass labeled source rows, or a fitted "
            f"{what} as {parameter}=FrozenEstimator(model)."
        )
    estimator = seed_nested_estimators(clone(given), random_state)
    params = {}
    if data.sample_weight is not None:
        params["sample_weight"] = data.sample_weight[rows]
    return estimator.fit(_safe_indexing(data.X_input, rows), data.y[rows], **params)
