"""Probability calibration of a transfer classifier on labeled target rows."""

import numbers

import numpy as np
from scipy.optimize import minimize
from sklearn.base import (
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._pipeline import fit_on_domains
from ..base import (
    BaseTransferEstimator,
    LabeledRowsScoreMixin,
    ProbabilityPredictionsMixin,
    copy_input_attributes,
)
from ._validation import (
    _target_folds,
    check_partition,
    out_of_fold_predictions,
    target_splits,
)


class _SigmoidCalibrator:
    """Platt's sigmoid ``1 / (1 + exp(-(a s + b)))``, fitted by maximum
    likelihood on Platt's smoothed targets (Platt 1999; Lin, Lin and Weng 2007).
    """

    def fit(self, scores, positive):
        n_positive = positive.sum()
        n_negative = positive.shape[0] - n_positive
        targets = np.where(
            positive, (n_positive + 1) / (n_positive + 2), 1 / (n_negative + 2)
        )

        def loss(parameters):
            z = parameters[0] * scores + parameters[1]
            value = np.sum(np.logaddexp(0, z) - targets * z)
            residual = 1 / (1 + np.exp(-z)) - targets
            return value, np.array([residual @ scores, residual.sum()])

        start = np.array([0.0, np.log((n_positive + 1) / (n_negative + 1))])
        self.coef_, self.intercept_ = minimize(
            loss, start, jac=True, method="L-BFGS-B"
        ).x
        return self

    def predict(self, scores):
        return 1 / (1 + np.exp(-(self.coef_ * scores + self.intercept_)))


def _calibrator(method):
    if method == "sigmoid":
        return _SigmoidCalibrator()
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")


def _response_method(estimator):
    for method in ("decision_function", "predict_proba"):
        if hasattr(estimator, method):
            return method
    raise TypeError(
        f"{type(estimator).__name__} has neither decision_function nor "
        "predict_proba, so it gives no scores to calibrate."
    )


def _score_columns(scores, n_classes):
    """One column of scores per class calibrated: the positive class alone for
    two classes (as sklearn's calibration), every class otherwise."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 1:
        return scores[:, None]
    if n_classes == 2:
        return scores[:, 1:]
    return scores


class TargetCalibratedClassifier(
    ProbabilityPredictionsMixin,
    LabeledRowsScoreMixin,
    ClassifierMixin,
    MetaEstimatorMixin,
    BaseTransferEstimator,
):
    """Calibrate a transfer classifier's probabilities on labeled target rows.

    sklearn's :class:`~sklearn.calibration.CalibratedClassifierCV` cannot do
    this around a transfer estimator: it splits unlabeled rows like labeled
    ones and takes the ``-1`` marker for a class. Here the estimator is fitted
    on every row (as :func:`cross_val_predict_target` fits it), and its scores
    (``decision_function``, else ``predict_proba``) are calibrated on the
    out-of-fold scores of the labeled target rows: each of those rows scored
    by a model fitted without its label (source and unlabeled rows always in
    training). Unlabeled rows never reach the calibrator, and ``classes_`` are
    the real classes. Like ``CalibratedClassifierCV(ensemble=False)``,
    predictions come from the estimator refitted on all rows, mapped through
    the calibrators fitted on the out-of-fold scores.

    Without any target row (no ``sample_domain`` and no ``-1`` label) every
    row is source, and the folds are stratified K-fold over all rows: then it
    is ``CalibratedClassifierCV(ensemble=False)``.

    Parameters
    ----------
    estimator : estimator object, default=None
        The classifier to calibrate: a transfer estimator, a transfer
        pipeline, or any classifier (fitted on the labeled rows only). None
        means ``LogisticRegression()``.
    method : {"sigmoid", "isotonic"}, default="sigmoid"
        Platt's sigmoid on the scores, or isotonic regression (which needs
        more labeled target rows: a few hundred, as a rule of thumb).
    cv : int or cross-validation splitter, default=5
        An int ``k`` gives :class:`TargetStratifiedKFold` with ``k`` folds
        over the labeled target rows. A splitter must test each labeled
        target row exactly once.
    n_jobs : int, default=None
        Folds fitted in parallel through joblib.

    Attributes
    ----------
    estimator_ : estimator object
        The estimator fitted on all rows.
    classes_ : ndarray of shape (n_classes,)
        The classes (the unlabeled marker is never one).
    calibrators_ : list
        One fitted calibrator per class calibrated (the positive class alone
        for two classes).
    response_method_ : str
        The estimator's method whose scores are calibrated.
    calibration_rows_ : ndarray of int
        The rows whose out-of-fold scores fitted the calibrators (the labeled
        target rows, or every row without a target).
    n_features_in_ : int
        Number of features seen in ``fit`` (when the estimator records it).
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit`` (when the estimator records them).

    See Also
    --------
    cross_val_predict_target : The out-of-fold predictions used here.

    References
    ----------
    .. [1] J. Platt. Probabilistic outputs for support vector machines and
       comparisons to regularized likelihood methods. *Advances in Large
       Margin Classifiers*, 1999.
    .. [2] B. Zadrozny and C. Elkan. Transforming classifier scores into
       accurate multiclass probability estimates. *KDD*, 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sktransfer import make_transfer_pipeline, stack_domains
    >>> from sktransfer.model_selection import TargetCalibratedClassifier
    >>> rng = np.random.RandomState(0)
    >>> Xs, Xt = rng.normal(size=(100, 2)), rng.normal(0.5, 1, size=(80, 2))
    >>> ys, yt = (Xs[:, 0] > 0).astype(int), (Xt[:, 0] > 0.5).astype(int)
    >>> yt[40:] = -1  # 40 labeled target rows, 40 unlabeled
    >>> X, y, sd = stack_domains(source=(Xs, ys), target=(Xt, yt))
    >>> pipe = make_transfer_pipeline(StandardScaler(), LogisticRegression())
    >>> model = TargetCalibratedClassifier(pipe, cv=4)
    >>> model = model.fit(X, y, sample_domain=sd)
    >>> model.classes_
    array([0, 1])
    >>> model.predict_proba(Xt[:2]).shape
    (2, 2)
    >>> model.calibration_rows_.shape
    (40,)
    """

    __metadata_request__predict = {"sample_domain": True}
    __metadata_request__predict_proba = {"sample_domain": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "method": [StrOptions({"sigmoid", "isotonic"})],
        "cv": [Interval(numbers.Integral, 2, None, closed="left"), HasMethods("split")],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(self, estimator=None, *, method="sigmoid", cv=5, n_jobs=None):
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.n_jobs = n_jobs

    _domain_checks = {"validate_X": False, "need_source": False}

    def _domain_task(self):
        return "classification"

    def _inner(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def _calibration_splits(self, data):
        """Target folds; stratified folds of all rows when there is no target."""
        if not data.is_target.any():
            folds = (
                StratifiedKFold(self.cv)
                if isinstance(self.cv, numbers.Integral)
                else self.cv
            )
            rows = np.flatnonzero(data.labeled)
            splits = list(folds.split(data.X_input, data.y))
            check_partition(splits, rows, folds)
            return splits, rows
        rows = np.flatnonzero(data.labeled_target)
        if rows.shape[0] == 0:
            raise ValueError(
                "TargetCalibratedClassifier calibrates on labeled target rows "
                "(sample_domain < 0 with a real label), and there are none. Label "
                "some target rows and pass sample_domain."
            )
        folds = _target_folds(self.cv, classifier=True)
        splits = target_splits(folds, data.X_input, data.y, data.sample_domain)
        check_partition(splits, rows, folds)
        return splits, rows

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_domain=None):
        """Fit the estimator on all rows and calibrate it on target folds.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Rows of every domain, handed to the estimator as they are.
        y : array-like of shape (n_samples,)
            Class labels; ``-1`` marks unlabeled rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target); inferred from the
            labels when None (then no target row has a label).

        Returns
        -------
        self : object
            The fitted calibrated classifier.
        """
        return self._validate_and_fit(X, y, sample_domain)

    def _fit(self, data):
        estimator = self._inner()
        if data.n_samples == 0:
            raise ValueError("Found array with 0 sample(s); fit needs rows.")
        self.response_method_ = _response_method(estimator)
        splits, rows = self._calibration_splits(data)
        self.estimator_ = fit_on_domains(
            clone(estimator), data.X_input, data.y, data.sample_domain
        )
        self.classes_ = np.asarray(self.estimator_.classes_)
        missing = np.setdiff1d(self.classes_, data.y[rows])
        if missing.shape[0]:
            raise ValueError(
                f"The calibration rows hold no row of the classes {missing.tolist()}, "
                "so their probabilities cannot be calibrated. Label target rows of "
                "every class."
            )
        scores, rows = out_of_fold_predictions(
            estimator,
            data,
            splits,
            self.response_method_,
            classes=self.classes_,
            n_jobs=self.n_jobs,
        )
        columns = _score_columns(scores, self.classes_.shape[0])
        labels = data.y[rows]
        positives = (
            [self.classes_[1]] if self.classes_.shape[0] == 2 else list(self.classes_)
        )
        self.calibrators_ = [
            _calibrator(self.method).fit(columns[:, k], labels == positive)
            for k, positive in enumerate(positives)
        ]
        self.calibration_rows_ = rows
        copy_input_attributes(self, self.estimator_)
        return self

    def predict_proba(self, X, sample_domain=None):
        """Calibrated class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Accepted for the convention; rows are predicted alike.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``; rows sum to 1.
        """
        check_is_fitted(self)
        scores = getattr(self.estimator_, self.response_method_)(X)
        columns = _score_columns(scores, self.classes_.shape[0])
        calibrated = np.column_stack(
            [
                calibrator.predict(columns[:, k])
                for k, calibrator in enumerate(self.calibrators_)
            ]
        )
        if self.classes_.shape[0] == 2:
            return np.column_stack([1 - calibrated[:, 0], calibrated[:, 0]])
        totals = calibrated.sum(axis=1, keepdims=True)
        uniform = np.full_like(calibrated, 1 / calibrated.shape[1])
        return np.divide(calibrated, totals, out=uniform, where=totals > 0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._inner())
        tags.input_tags = inner.input_tags
        tags.target_tags.required = True
        return tags
