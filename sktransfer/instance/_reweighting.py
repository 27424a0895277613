"""What every reweighting meta-estimator shares: the weighted fit of the estimator.

KMM, discriminative reweighting and the kernel density-ratio estimators differ
in how they weight the source rows; they fit the estimator alike. A subclass
implements ``_source_weights(data)`` (the weights of the source rows of the
validated record, in their order); :class:`BaseReweighting` normalises them
to mean 1 (sklearn's scale, see DESIGN.md), gives labeled target rows weight
1 and unlabeled rows 0, multiplies in the ``sample_weight`` of ``fit`` and
fits the estimator on the labeled rows.
"""

import logging
from abc import abstractmethod

import numpy as np
from sklearn.utils.validation import _num_samples, has_fit_parameter

from .._domain import DEFAULT_TARGET_ID, check_domain_data
from ..base import BaseTransferMetaEstimator, report_progress

logger = logging.getLogger(__name__)


def validated_domains(model, X_source, X_target):
    """``X_source`` and ``X_target`` through the domain validator, as ``model``'s
    source and target rows (one call each; the second checks the features
    against the first)."""
    options = {"y_required": False, "accept_sparse": "csr", "dtype": np.float64}
    source = check_domain_data(model, X_source, **options)
    target = check_domain_data(
        model,
        X_target,
        sample_domain=np.full(_num_samples(X_target), DEFAULT_TARGET_ID),
        reset=False,
        need_source=False,
        need_target=True,
        **options,
    )
    return source.X, target.X


def mean_one(weights):
    """``weights / mean(weights)`` (unchanged when they are all 0)."""
    return weights / max(weights.mean(), np.finfo(float).tiny)


class BaseReweighting(BaseTransferMetaEstimator):
    """Fit the estimator on the source rows weighted by ``_source_weights``."""

    # sample_weight is consumed here (it multiplies the weights).
    __metadata_request__fit = {"sample_weight": True}

    # How the log lines and the errors name the method.
    _method_name = "reweighting"

    def fit(self, X, y, sample_domain=None, sample_weight=None, **fit_params):
        """Compute the source weights, then fit the estimator with them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or ``NaN`` (regression) marks
            unlabeled target rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target); inferred from the
            label masks when None.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, multiplied into the weights the estimator gets (they
            do not enter the estimation of the weights).
        **fit_params : dict
            Other parameters of the estimator's ``fit``; per-row arrays are
            subset like the rows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return super().fit(X, y, sample_domain, sample_weight, **fit_params)

    @abstractmethod
    def _source_weights(self, data):
        """The weights of the source rows of ``data``, in their order."""

    def _fit(self, data, **fit_params):
        estimator = self._make_estimator_()
        if not has_fit_parameter(estimator, "sample_weight"):
            raise TypeError(
                f"{type(estimator).__name__} does not accept sample_weight in fit, "
                f"so it cannot use the {self._method_name} weights. Choose an "
                "estimator that does."
            )
        weights = np.where(data.labeled, 1.0, 0.0)
        weights[data.is_source] = mean_one(self._source_weights(data))
        weights *= data.weights()
        self.sample_weight_ = weights
        rows = np.flatnonzero(data.labeled)
        report_progress(
            logger,
            self.verbose,
            "%s: fitting %s on %d labeled rows",
            self._method_name,
            type(estimator).__name__,
            rows.shape[0],
        )
        fit_params = {**self._inner_fit_params(fit_params), "sample_weight": weights}
        return self._fit_on_rows(data, rows, fit_params)
