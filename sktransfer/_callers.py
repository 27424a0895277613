"""Which sklearn function called us: the wrappers that would misuse our rows.

Two sklearn code paths handle sktransfer's convention wrongly without an error
of their own, and both are found by looking at the caller's frame, which costs
a few attribute reads:

- ``cross_val_predict`` and ``CalibratedClassifierCV`` fit their estimator on
  folds of every row, the unlabeled ones (``y = -1`` or ``NaN``) included, and
  take ``-1`` for a class. :func:`check_marker_safe_caller` raises then.
  sklearn calls no method of the estimator with the labels before it encodes
  them, except ``clone``, so the check runs at ``fit`` and at
  ``__sklearn_clone__``.
- ``GridSearchCV``, ``cross_validate`` and their kin turn an exception in a
  scorer into a NaN score (``error_score=np.nan``). A scorer that fails
  because of the data fails on every candidate, and the search then picks
  ``best_params_`` among NaNs. :func:`scoring_failure_becomes_nan` tells a
  scorer that it is called there, so it can fail loudly instead.

Only the known functions are matched (by module and function name); with any
other caller, or a future sklearn that moves them, both checks do nothing.
"""

import sys

from ._domain import unlabeled_mask

# Frames of these modules sit between the wrapper and our code without changing
# what it is fitted on: pipelines, sklearn's fit decorators and clone, joblib,
# our own code.
_PLUMBING = (
    "sktransfer.",
    "sklearn.base",
    "sklearn.pipeline",
    "sklearn.compose.",
    "sklearn.utils.",
    "joblib.",
)
# The wrappers' own frames, whose locals hold the labels as the user gave them
# (cross_val_predict re-encodes y for its probability methods, so the marker
# survives only in its LabelEncoder's classes_).
_WRAPPERS = {
    ("sklearn.model_selection._validation", "cross_val_predict"): (
        "cross_val_predict",
        "le",
    ),
    ("sklearn.calibration", "fit"): ("CalibratedClassifierCV", "label_encoder_"),
}
# Frames between a wrapper and the fit (or clone) of each fold.
_IN_WRAPPER = {
    ("sklearn.model_selection._validation", "_fit_and_predict"): "cross_val_predict",
    ("sklearn.model_selection._validation", "<genexpr>"): "cross_val_predict",
    ("sklearn.calibration", "_fit_classifier_calibrator_pair"): (
        "CalibratedClassifierCV"
    ),
    ("sklearn.calibration", "<genexpr>"): "CalibratedClassifierCV",
}
# Frames searched, at most: enough for nested pipelines and joblib's dispatch.
_MAX_FRAMES = 60


def _location(frame):
    return frame.f_globals.get("__name__", ""), frame.f_code.co_name


def _wrapper_labels(frame, encoder_name):
    """The labels a wrapper was given: its label encoder's classes, else y."""
    encoder = frame.f_locals.get(encoder_name)
    classes = getattr(encoder, "classes_", None)
    return classes if classes is not None else frame.f_locals.get("y")


def _has_marker(labels, task):
    if labels is None:
        return False
    try:
        return bool(unlabeled_mask(labels, task).any())
    except (TypeError, ValueError):  # labels of a kind the convention rejects
        return False


def _marker_misuse(estimator, frame, y, task):
    """Name of the wrapper that misuses the marker here, or None."""
    for _ in range(_MAX_FRAMES):
        if frame is None:
            return None
        location = _location(frame)
        if location in _WRAPPERS:
            wrapper, encoder_name = _WRAPPERS[location]
            labels = _wrapper_labels(frame, encoder_name)
            return wrapper if _has_marker(labels, task) else None
        if location in _IN_WRAPPER:
            # In a joblib worker the wrapper's frame is in another process: the
            # fold's labels are all there is to look at.
            if _has_marker(y, task):
                return _IN_WRAPPER[location]
        elif not (
            location[0].startswith(_PLUMBING) or frame.f_locals.get("self") is estimator
        ):
            return None
        frame = frame.f_back
    return None


def check_marker_safe_caller(estimator, y=None, *, task=None):
    """Refuse sklearn wrappers that would take the unlabeled marker for a class.

    ``sklearn.model_selection.cross_val_predict`` and
    ``sklearn.calibration.CalibratedClassifierCV`` split every row into
    folds, unlabeled ones (``y = -1`` or ``NaN``) included, and treat ``-1``
    as a class: ``cross_val_predict`` even re-encodes the labels for its
    probability methods, so the marker reaches the estimator as a real class
    0. Called at the start of a transfer estimator's ``fit`` (with ``y``) and
    of its ``__sklearn_clone__`` (without), this raises when such a wrapper
    is the caller (through pipelines, ``clone``, joblib and sktransfer's own
    code) and its labels hold the marker; it does nothing otherwise. The
    clone-time call catches ``cross_val_predict`` before any fit, also with
    ``n_jobs > 1``; the fit-time call catches the wrappers' folds in joblib
    workers. Cheap: a walk over a few dozen stack frames at most.

    Parameters
    ----------
    estimator : estimator object
        The estimator being fitted or cloned (named in the error).
    y : array-like of shape (n_samples,), default=None
        The labels given to ``fit``; None from ``__sklearn_clone__``.
    task : {None, "classification", "regression"}, default=None
        What the labels hold, hence the marker; None infers it.

    Raises
    ------
    ValueError
        When called under ``cross_val_predict`` or ``CalibratedClassifierCV``
        whose labels hold unlabeled rows.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer._callers import check_marker_safe_caller
    >>> check_marker_safe_caller(LogisticRegression(), [0, 1, -1])  # not a wrapper
    """
    wrapper = _marker_misuse(estimator, sys._getframe(1), y, task)
    if wrapper is None:
        return
    raise ValueError(
        f"{type(estimator).__name__} is used by sklearn's {wrapper} on rows "
        "carrying the unlabeled marker (y = -1, or NaN for regression). "
        f"{wrapper} splits those rows into folds like labeled ones and takes -1 "
        "for a class (cross_val_predict re-encodes it as class 0 for its "
        "probability methods; probabilities get a column for it), so its result "
        "would be silently wrong. For out-of-fold predictions of the labeled "
        "target rows use sktransfer.model_selection.cross_val_predict_target; to "
        "calibrate on labeled target rows use sktransfer.model_selection."
        "TargetCalibratedClassifier."
    )


def scoring_failure_becomes_nan(frame):
    """Whether the scorer running in ``frame`` was called by sklearn's scoring
    code with ``error_score`` other than "raise" (an exception would become a
    NaN score)."""
    caller = frame.f_back
    if caller is None:
        return False
    location = _location(caller)
    if location == ("sklearn.model_selection._validation", "_score"):
        return not (
            isinstance(caller.f_locals.get("error_score"), str)
            and caller.f_locals["error_score"] == "raise"
        )
    if location == ("sklearn.metrics._scorer", "__call__"):
        owner = caller.f_locals.get("self")
        return getattr(owner, "_raise_exc", True) is False
    return False
