"""Discriminative reweighting (Bickel et al. 2009): weights from a domain classifier.

A probabilistic classifier trained to tell source rows from target rows gives
the density ratio by Bayes' rule,

    w(x) = p_t(x) / p_s(x) = (n_s / n_t) * P(target | x) / P(source | x),

and the estimator is then fitted on the source rows weighted by ``w``. The
ratio computation (probability clipping, overlap check, effective sample
size) is the one of :mod:`sktransfer._density_ratio`, shared with
:func:`~sktransfer.metrics.domain_classifier_ratio` and
:class:`~sktransfer.model_selection.ImportanceWeightedScorer`; this module
adds cross-fitting, calibration and the cap on the weights.
"""

import logging
import numbers

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _num_samples,
    check_is_fitted,
)

from .._density_ratio import (
    check_overlap,
    default_domain_classifier,
    domain_log_odds,
    ratio_from_log_odds,
    target_log_odds,
    warn_if_low_effective_sample_size,
)
from ..base import report_progress, seed_nested_estimators
from ._reweighting import BaseReweighting

logger = logging.getLogger(__name__)

_SEED_MAX = np.iinfo(np.int32).max
# Folds of the calibration inside each domain-classifier fit.
_CALIBRATION_FOLDS = 3


def _cap_at_mean_one(weights, cap):
    """Mean-1 weights, the largest at most ``cap``: ``min(s * w, cap)`` with the
    scale ``s`` chosen so that the mean is exactly 1.

    Returns the scale ``s``. ``mean(min(s * w, cap))`` grows continuously and
    monotonically with ``s``, so with ``k`` weights capped (the ``k`` largest)
    ``s = (n - k cap) / sum(w without the k largest)``; the right ``k`` is the
    smallest for which the ``k+1``-th largest weight stays below the cap.
    """
    n = weights.shape[0]
    if cap is None:
        return n / weights.sum()
    descending = np.sort(weights)[::-1]
    rest = np.cumsum(descending[::-1])[::-1]  # rest[k] = sum(descending[k:])
    k = np.arange(n)
    scales = (n - k * cap) / rest
    fits = descending * scales <= cap * (1 + 1e-12)
    return float(scales[np.argmax(fits)])


class DiscriminativeReweighting(BaseReweighting):
    """Fit an estimator on source rows weighted by a domain classifier's odds.

    The weight of a source row estimates the density ratio
    ``w(x) = p_t(x) / p_s(x) = (n_s / n_t) P(target|x) / P(source|x)``, with
    ``P(target|x)`` the probability of a domain classifier trained to tell the
    source rows from the target rows (Bickel, Brückner and Scheffer 2009). The
    target rows' labels are not used. ``estimator`` is then fitted on the
    labeled rows: the source rows with their weights (mean 1), any labeled
    target rows with weight 1.

    The weights are computed in four steps:

    1. **Cross-fitted.** Every row (source and target) is put in one of
       ``cv`` stratified, shuffled folds (seeded by ``random_state``); the
       weight of a source row comes from a domain classifier fitted on the
       other folds, never on the row itself, so a flexible classifier that
       memorises its training rows does not inflate their odds.
       :meth:`predict_weights` scores new rows with ``domain_classifier_``,
       a classifier refitted on all rows.
    2. **Calibrated.** The probabilities enter a ratio, so their scale
       matters: with ``calibration="sigmoid"`` (Platt scaling), each domain
       classifier is wrapped in sklearn's
       :class:`~sklearn.calibration.CalibratedClassifierCV` (3 stratified,
       shuffled folds; one sigmoid fitted on their out-of-fold predictions,
       and the classifier refitted on all its rows). ``None`` uses the
       classifier's own probabilities (fine for a logistic regression, which
       is calibrated on its training data). Isotonic calibration is not
       offered: its step function reaches probabilities 0 and 1 at the
       extremes, and the few rows there took nearly all the weight
       (effective sample size 1 to 3 of 2000 rows on two Gaussians).
    3. **Clipped.** Probabilities are clipped to ``[1e-6, 1 - 1e-6]``, so
       every ratio is finite. With ``clip``, the weights are then capped:
       they become ``min(s w, clip)`` with the scale ``s`` that keeps their
       mean at 1 (the largest weights are cut at ``clip`` and the others
       scaled up).
    4. **Normalised** to mean 1 over the source rows.

    Two checks guard against weights that look usable but are not. When the
    cross-fitted domain classifier separates the domains by a wide margin (the
    lowest log-odds of a target row above the highest of a source row by at
    least one pooled within-domain standard deviation), the domains do not
    overlap and ``fit`` raises a ``ValueError``. When Kish's effective sample
    size ``(sum w)^2 / sum w^2`` is below 10 % of the source rows, it warns.

    Rows follow the ``sample_domain`` convention: ``sample_domain >= 0``
    source, ``< 0`` target; unlabeled target rows carry ``y = -1`` (``NaN``
    for regression). Without target rows every weight is 1 (the no-transfer
    counterpart).

    Parameters
    ----------
    estimator : estimator object, default=None
        Fitted on the weighted rows; must accept ``sample_weight``. ``None``
        means ``LogisticRegression()``.
    domain_classifier : classifier, default=None
        Tells source rows (0) from target rows (1); cloned for each fold. It
        gets the rows as they are (a DataFrame keeps its columns and dtypes,
        so ``HistGradientBoostingClassifier(categorical_features="from_dtype")``
        or a ``ColumnTransformer`` pipeline handles categorical columns). It
        needs ``predict_proba`` unless ``calibration`` is set. ``None`` means
        logistic regression on standardized features (numeric features only).
    cv : int, cross-validation generator or iterable, default=5
        The cross-fitting's folds, over all rows (source and target) with
        the domain as the class: an int ``k`` means ``k`` stratified,
        shuffled folds seeded by ``random_state``; a splitter or an iterable
        of (train, test) index pairs must put every row in exactly one test
        fold.
    calibration : {"sigmoid"} or None, default="sigmoid"
        Calibration of the domain classifier's probabilities (step 2).
    clip : float or None, default=None
        Largest weight, relative to the mean weight 1 (at least 1). None
        caps nothing beyond the probability clipping.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds and the unset seeds of the domain classifier and the
        estimator.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).
    verbose : int, default=0
        1 reports the stages: to the ``sktransfer`` logger when logging
        shows INFO, otherwise to stderr.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    domain_classifier_ : estimator object or None
        The (calibrated) domain classifier refitted on all rows, which
        :meth:`predict_weights` uses; None without target rows.
    weights_ : ndarray of shape (n_source_rows,)
        The cross-fitted weights of the source rows, in their order in ``X``,
        capped and of mean 1.
    effective_sample_size_ : float
        Kish's ``(sum w)^2 / sum w^2`` of ``weights_``.
    scale_ : float
        The factor that took the ratios ``(n_s / n_t) P(t|x) / P(s|x)`` to
        ``weights_`` (before the cap).
    sample_weight_ : ndarray of shape (n_samples,)
        The weight each row of ``X`` got in the estimator's fit: source rows
        ``weights_``, labeled target rows 1, unlabeled rows 0 (times the
        ``sample_weight`` passed to ``fit``).
    n_training_rows_ : int
        Number of rows the estimator was fitted on.
    classes_ : ndarray
        Class labels, for classifiers.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has them.

    See Also
    --------
    KernelMeanMatching : Weights by kernel mean matching.
    sktransfer.metrics.domain_classifier_ratio : The in-sample ratio alone.

    Notes
    -----
    Bickel et al. fit the domain classifier and the estimator jointly; this
    class uses their two-step plug-in variant (classifier first, then the
    weighted fit), which any sklearn estimator accepts. Cross-fitting costs
    ``cv + 1`` domain-classifier fits (times 4 with calibration).

    References
    ----------
    .. [1] S. Bickel, M. Brückner and T. Scheffer, "Discriminative learning
       under covariate shift", JMLR 10, 2009.
    .. [2] J. Platt, "Probabilistic outputs for support vector machines and
       comparisons to regularized likelihood methods", 1999.
    .. [3] L. Kish, "Survey Sampling", Wiley, 1965 (effective sample size).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer import stack_domains
    >>> from sktransfer.instance import DiscriminativeReweighting
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(300, 2))
    >>> ys = (Xs[:, 0] + Xs[:, 1] ** 2 > 1).astype(int)
    >>> Xt = rng.normal(0.5, 1.0, size=(200, 2))
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, None))
    >>> model = DiscriminativeReweighting(LogisticRegression(), random_state=0)
    >>> model = model.fit(X, y, sample_domain=sample_domain)
    >>> model.weights_.shape, round(float(model.weights_.mean()), 6)
    ((300,), 1.0)
    >>> model.predict(Xt).shape
    (200,)
    """

    _method_name = "DiscriminativeReweighting"

    _parameter_constraints = {
        **BaseReweighting._parameter_constraints,
        "domain_classifier": [HasMethods(["fit"]), None],
        "cv": [Interval(numbers.Integral, 2, None, closed="left"), "cv_object"],
        "calibration": [StrOptions({"sigmoid"}), None],
        "clip": [Interval(numbers.Real, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
    }

    _domain_checks = {"validate_X": False, "need_target": "if_given"}

    def __init__(
        self,
        estimator=None,
        domain_classifier=None,
        *,
        cv=5,
        calibration="sigmoid",
        clip=None,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.domain_classifier = domain_classifier
        self.cv = cv
        self.calibration = calibration
        self.clip = clip
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def fit(self, X, y, sample_domain=None, sample_weight=None, **fit_params):
        """Compute the source weights, then fit the estimator with them.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Source and target rows, handed to the domain classifier and the
            estimator as they are.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or ``NaN`` (regression) marks
            unlabeled target rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target); inferred from the
            label masks when None.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, multiplied into the weights the estimator gets (the
            domain classifier does not see them).
        **fit_params : dict
            Other parameters of the estimator's ``fit``; per-row arrays are
            subset like the rows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return super().fit(X, y, sample_domain, sample_weight, **fit_params)

    def _source_weights(self, data):
        self._fit_weights(data.X_input, data.is_target)
        return self.weights_

    def _domain_classifier(self, X, rng):
        """The (calibrated) domain classifier to clone, its seeds set."""
        if self.domain_classifier is None:
            classifier = default_domain_classifier(sparse.issparse(X))
        else:
            classifier = clone(self.domain_classifier)
        if self.calibration is None:
            if not hasattr(classifier, "predict_proba"):
                raise TypeError(
                    f"The domain classifier {type(classifier).__name__} has no "
                    "predict_proba. Set calibration='sigmoid', which calibrates "
                    "its decision_function, or choose a probabilistic classifier."
                )
        else:
            folds = StratifiedKFold(
                _CALIBRATION_FOLDS, shuffle=True, random_state=rng.randint(_SEED_MAX)
            )
            classifier = CalibratedClassifierCV(
                classifier, method=self.calibration, cv=folds, ensemble=False
            )
        return seed_nested_estimators(classifier, rng.randint(_SEED_MAX))

    def _folds(self, labels, rng):
        if isinstance(self.cv, numbers.Integral):
            return StratifiedKFold(
                self.cv, shuffle=True, random_state=rng.randint(_SEED_MAX)
            )
        return check_cv(self.cv, labels, classifier=True)

    def _fit_weights(self, X, is_target):
        """Cross-fitted, calibrated, capped weights of the source rows of ``X``."""
        n_source = int((~is_target).sum())
        n_target = int(is_target.sum())
        self.domain_classifier_ = None
        if n_target == 0:
            self.weights_ = np.ones(n_source)
            self.scale_ = 1.0
            self.effective_sample_size_ = float(n_source)
            return
        rng = check_random_state(self.random_state)
        classifier = self._domain_classifier(X, rng)
        if isinstance(self.cv, numbers.Integral) and min(n_source, n_target) < self.cv:
            raise ValueError(
                f"cv={self.cv} folds need at least {self.cv} rows in each domain; "
                f"got {n_source} source and {n_target} target rows. Lower cv or "
                "add rows."
            )
        labels = is_target.astype(int)
        report_progress(
            logger,
            self.verbose,
            "DiscriminativeReweighting: %d-fold cross-fitting of %s on %d source "
            "and %d target rows",
            self.cv,
            type(classifier).__name__,
            n_source,
            n_target,
        )
        scores = domain_log_odds(
            classifier,
            X,
            labels,
            folds=self._folds(labels, rng),
            n_jobs=self.n_jobs,
        )
        check_overlap(scores[~is_target], scores[is_target])
        ratio = ratio_from_log_odds(scores[~is_target], n_source, n_target)
        self.scale_ = _cap_at_mean_one(ratio, self.clip)
        self.weights_ = self._capped(self.scale_ * ratio)
        self.effective_sample_size_ = warn_if_low_effective_sample_size(self.weights_)
        report_progress(
            logger,
            self.verbose,
            "DiscriminativeReweighting: refitting the domain classifier on all "
            "rows; effective sample size %.1f of %d",
            self.effective_sample_size_,
            n_source,
        )
        self.domain_classifier_ = clone(classifier).fit(X, labels)
        self._n_domain_rows = (n_source, n_target)

    def _capped(self, weights):
        return weights if self.clip is None else np.minimum(weights, self.clip)

    def predict_weights(self, X):
        """Weights of new rows, on the scale of ``weights_``.

        ``scale_ * (n_s / n_t) P(target|x) / P(source|x)``, capped at ``clip``,
        with the probabilities of ``domain_classifier_`` (refitted on all the
        training rows) clipped to ``[1e-6, 1 - 1e-6]``. For the training
        source rows these differ from ``weights_``, which are cross-fitted.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows of any domain, in the form the domain classifier was fitted on.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            All 1 when ``fit`` saw no target rows.
        """
        check_is_fitted(self)
        if self.domain_classifier_ is None:
            return np.ones(_num_samples(X))
        ratio = ratio_from_log_odds(
            target_log_odds(self.domain_classifier_, X), *self._n_domain_rows
        )
        return self._capped(self.scale_ * ratio)
