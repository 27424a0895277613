"""Out-of-fold predictions of the labeled target rows.

sklearn's ``cross_val_predict`` needs a partition of every row, so it refuses
the target splitters (which test labeled target rows only and always train on
the source), and with a plain K-fold it splits unlabeled rows like labeled ones
and takes the ``-1`` marker for a class. :func:`cross_val_predict_target`
predicts each labeled target row once, by a model fitted on every other row.
"""

import inspect
import numbers

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone, is_classifier
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)

from .._domain import check_domain_data, check_y_given
from .._pipeline import fit_on_domains
from ..base import _label_task, _subset_rows
from ._split import TargetKFold, TargetStratifiedKFold

_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")
# Value of a probability column for a class a fold's model never saw.
_MISSING_CLASS_FILL = {"predict_proba": 0.0, "predict_log_proba": -np.inf}


def _target_folds(cv, classifier):
    """A splitter from ``cv``: an int gives unshuffled target (stratified) K-fold."""
    if cv is None:
        cv = 5
    if isinstance(cv, numbers.Integral):
        return (TargetStratifiedKFold if classifier else TargetKFold)(int(cv))
    return cv


def target_splits(cv, X, y, sample_domain):
    """``(train, test)`` index pairs of ``cv``, given the domains as it reads them.

    Parameters
    ----------
    cv : cross-validation splitter
        A splitter whose ``split`` takes ``sample_domain`` (sktransfer's), or
        any sklearn splitter (which then gets the domains as ``groups``).
    X, y : array-like
        The rows and their labels.
    sample_domain : ndarray of int of shape (n_samples,)
        Domain ids.

    Returns
    -------
    splits : list of tuple of ndarray
    """
    if "sample_domain" in inspect.signature(cv.split).parameters:
        return list(cv.split(X, y, sample_domain=sample_domain))
    return list(cv.split(X, y, groups=sample_domain))


def check_partition(splits, rows, cv):
    """Refuse splits whose test sets do not hold each of ``rows`` exactly once,
    or whose training sets hold their own test rows."""
    tests = np.concatenate([test for _, test in splits]) if splits else rows[:0]
    tested, counts = np.unique(tests, return_counts=True)
    never = np.setdiff1d(rows, tested).shape[0]
    repeated = int(np.sum(counts > 1))
    others = np.setdiff1d(tested, rows).shape[0]
    if never or repeated or others:
        raise ValueError(
            f"Out-of-fold predictions need folds that test each labeled target row "
            f"exactly once; {type(cv).__name__} leaves {never} of the "
            f"{rows.shape[0]} untested, tests {repeated} more than once and tests "
            f"{others} rows that are not labeled target rows. Use TargetKFold or "
            "TargetStratifiedKFold (or an int)."
        )
    for train, test in splits:
        if np.intersect1d(train, test).shape[0]:
            raise ValueError(
                f"{type(cv).__name__} trains on rows it tests; each test row's label "
                "must stay out of its training set."
            )


def _fit_and_predict_rows(estimator, X, y, sample_domain, train, test, method, params):
    n_samples = sample_domain.shape[0]
    params = {
        key: _subset_rows(value, train, n_samples) for key, value in params.items()
    }
    fitted = fit_on_domains(
        estimator,
        _safe_indexing(X, train),
        _safe_indexing(y, train),
        sample_domain[train],
        **params,
    )
    predictions = getattr(fitted, method)(_safe_indexing(X, test))
    return np.asarray(predictions), getattr(fitted, "classes_", None)


def _aligned(predictions, fold_classes, classes, method):
    """Fold predictions with one column per class of ``classes``."""
    if method not in _MISSING_CLASS_FILL or fold_classes is None:
        return predictions
    if np.array_equal(fold_classes, classes):
        return predictions
    aligned = np.full(
        (predictions.shape[0], classes.shape[0]), _MISSING_CLASS_FILL[method]
    )
    aligned[:, np.searchsorted(classes, fold_classes)] = predictions
    return aligned


def out_of_fold_predictions(
    estimator, data, splits, method, *, classes=None, n_jobs=None, params=None
):
    """Predictions of each split's test rows by ``estimator`` fitted on its train.

    Parameters
    ----------
    estimator : estimator object
        Cloned for each split and fitted with :func:`fit_on_domains`.
    data : DomainData
        The validated rows.
    splits : list of (train, test)
        Splits whose test sets partition the rows to predict.
    method : str
        The prediction method.
    classes : ndarray, default=None
        The classes to align probability columns to (a fold's model may have
        missed one); None takes the labeled rows' classes.
    n_jobs : int, default=None
        Splits fitted in parallel through joblib.
    params : dict, default=None
        Fit parameters; per-row arrays are subset like the rows.

    Returns
    -------
    predictions : ndarray
        In the order of ``indices``.
    indices : ndarray of int
        The test rows, ascending.
    """
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_predict_rows)(
            clone(estimator),
            data.X_input,
            data.y,
            data.sample_domain,
            train,
            test,
            method,
            params or {},
        )
        for train, test in splits
    )
    if method in ("predict_proba", "predict_log_proba") and classes is None:
        classes = np.unique(data.y[data.labeled])
    fold_classes = [classes_ for _, classes_ in results]
    if method == "decision_function" and any(
        c is not None and not np.array_equal(c, fold_classes[0]) for c in fold_classes
    ):
        raise ValueError(
            "The folds' models saw different classes, so their decision_function "
            "columns do not line up; use method='predict_proba', or folds in which "
            "every class has training rows."
        )
    predictions = np.concatenate(
        [
            _aligned(result, classes_, classes, method)
            for result, classes_ in zip((r for r, _ in results), fold_classes)
        ]
    )
    indices = np.concatenate([test for _, test in splits])
    order = np.argsort(indices, kind="stable")
    return predictions[order], indices[order]


@validate_params(
    {
        "estimator": [HasMethods(["fit"])],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like", None],
        "sample_domain": ["array-like", None],
        "cv": [
            Interval(numbers.Integral, 2, None, closed="left"),
            HasMethods("split"),
            None,
        ],
        "method": [StrOptions(set(_METHODS))],
        "n_jobs": [numbers.Integral, None],
        "params": [dict, None],
    },
    prefer_skip_nested_validation=False,
)
def cross_val_predict_target(
    estimator,
    X,
    y,
    *,
    sample_domain=None,
    cv=None,
    method="predict",
    n_jobs=None,
    params=None,
):
    """Out-of-fold predictions of every labeled target row.

    Each labeled target row is predicted exactly once, by a clone of
    ``estimator`` fitted on every other row: all source rows, all unlabeled
    target rows (which transfer methods use) and the other folds' labeled
    target rows, so no model sees the label of a row it predicts. What
    thresholds, precision-recall curves and calibration on the target need,
    and what sklearn's ``cross_val_predict`` cannot give here: it refuses the
    target splitters (their test sets cover only the labeled target rows),
    and with a plain K-fold it splits unlabeled rows like labeled ones and
    takes the ``-1`` marker for a class.

    Each fold's estimator is fitted as the guard fits its candidates: one
    whose ``fit`` takes ``sample_domain`` gets it, any other is wrapped in
    :class:`~sktransfer.LabeledOnly`.

    Parameters
    ----------
    estimator : estimator object
        The transfer estimator (or any estimator); cloned for each fold.
    X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        Rows of every domain, handed to the estimator as they are.
    y : array-like of shape (n_samples,)
        Labels; ``-1`` (classification) or ``NaN`` (regression) marks
        unlabeled rows.
    sample_domain : array-like of int of shape (n_samples,), default=None
        Domain ids (``>= 0`` source, ``< 0`` target). With None, the target
        rows are the unlabeled ones and there is no labeled target row to
        predict: pass it.
    cv : int, cross-validation splitter or None, default=None
        None means 5. An int ``k`` gives :class:`TargetStratifiedKFold`
        (classifiers) or :class:`TargetKFold` with ``k`` unshuffled folds. A
        splitter must test each labeled target row exactly once (the shuffle
        splitters do not).
    method : {"predict", "predict_proba", "predict_log_proba", \
            "decision_function"}, default="predict"
        The estimator's method giving the predictions.
    n_jobs : int, default=None
        Folds fitted in parallel through joblib (``None``: one job, unless in
        a ``joblib.parallel_backend`` context).
    params : dict, default=None
        Other parameters of the estimator's ``fit``; per-row arrays (such as
        ``sample_weight``) are subset like the rows.

    Returns
    -------
    predictions : ndarray of shape (n_labeled_target,) or \
            (n_labeled_target, n_classes)
        The out-of-fold prediction of each labeled target row, in the order
        of ``indices``. Probability columns follow the sorted classes of the
        labeled rows; a class a fold's model did not see gets probability 0.
    indices : ndarray of int of shape (n_labeled_target,)
        The rows predicted, as positions in ``X``, ascending: compare
        ``predictions`` with ``y[indices]``.

    Raises
    ------
    ValueError
        For fewer labeled target rows than folds, a splitter that does not
        test each labeled target row once, mismatched lengths.

    See Also
    --------
    TargetCalibratedClassifier : Calibrates on these predictions.
    TargetKFold, TargetStratifiedKFold : The folds.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sktransfer import make_transfer_pipeline, stack_domains
    >>> from sktransfer.model_selection import cross_val_predict_target
    >>> rng = np.random.RandomState(0)
    >>> Xs, Xt = rng.normal(size=(60, 2)), rng.normal(0.5, 1, size=(40, 2))
    >>> ys, yt = (Xs[:, 0] > 0).astype(int), (Xt[:, 0] > 0.5).astype(int)
    >>> yt[20:] = -1  # 20 labeled target rows, 20 unlabeled
    >>> X, y, sd = stack_domains(source=(Xs, ys), target=(Xt, yt))
    >>> pipe = make_transfer_pipeline(StandardScaler(), LogisticRegression())
    >>> proba, rows = cross_val_predict_target(
    ...     pipe, X, y, sample_domain=sd, cv=4, method="predict_proba"
    ... )
    >>> proba.shape, rows[:3]
    ((20, 2), array([60, 61, 62]))
    >>> bool(np.all(y[rows] != -1))
    True
    """
    check_y_given(y, "cross_val_predict_target", "it predicts the labeled target rows")
    if not hasattr(estimator, method):
        raise TypeError(
            f"{type(estimator).__name__} has no {method}; choose a method it has."
        )
    data = check_domain_data(
        estimator,
        X,
        y,
        sample_domain,
        task=_label_task(estimator),
        validate_X=False,
        need_source=False,
    )
    rows = np.flatnonzero(data.labeled_target)
    if rows.shape[0] == 0:
        raise ValueError(
            "cross_val_predict_target predicts the labeled target rows "
            "(sample_domain < 0 with a real label), and there are none. Pass "
            "sample_domain: without it the target rows are the unlabeled ones."
        )
    cv = _target_folds(cv, is_classifier(estimator))
    splits = target_splits(cv, data.X_input, data.y, data.sample_domain)
    check_partition(splits, rows, cv)
    return out_of_fold_predictions(
        estimator, data, splits, method, n_jobs=n_jobs, params=params
    )
