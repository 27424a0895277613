"""Label shift: estimate the target class priors, adjust a classifier to them.

Under label shift the class-conditional distributions are shared,
``p_t(x | y) = p_s(x | y)``, and only the class priors differ, so a source
classifier's posteriors become the target's by Bayes' rule:
``p_t(y | x) ~ p_s(y | x) * w_y`` with ``w_y = pi_t(y) / pi_s(y)``. The target
priors are estimated from unlabeled target rows, by EM (Saerens et al. 2002)
or by black-box shift estimation (Lipton et al. 2018); the solvers are in
:mod:`._label_shift_solvers`.
"""

import numbers
import warnings

import numpy as np
from sklearn.base import ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import check_cv, cross_val_predict
from sklearn.utils import _safe_indexing, check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._domain import DEFAULT_TARGET_ID
from ..base import (
    BaseTransferEstimator,
    LabeledRowsScoreMixin,
    ProbabilityPredictionsMixin,
    copy_input_attributes,
    seed_nested_estimators,
)
from ..parameter._source import fitted_source_model, is_frozen, unfrozen
from ..utils import _user_stacklevel
from ._label_shift_solvers import (
    MAX_CONDITION_NUMBER,
    adjust_posteriors,
    bbse_priors,
    condition_number,
    confusion_matrix_joint,
    em_priors,
    predicted_distribution,
)


class LabelShiftAdapter(
    ProbabilityPredictionsMixin,
    LabeledRowsScoreMixin,
    ClassifierMixin,
    MetaEstimatorMixin,
    BaseTransferEstimator,
):
    """Adjust a probabilistic classifier to the target's class priors.

    Label shift (prior shift) keeps ``p(x | y)`` and changes the class
    priors: fraud is rarer in one market than in another. From the
    classifier's outputs on the unlabeled target rows the target priors
    ``pi_t`` are estimated, and the probabilities are adjusted by Bayes'
    rule::

        p_t(y | x) = p_s(y | x) w_y / sum_k p_s(k | x) w_k,  w_y = pi_t(y) / pi_s(y).

    ``predict`` is the most probable class after the adjustment. Two
    estimators of ``pi_t``:

    - ``method="em"`` (Saerens et al. 2002): maximum likelihood of the target
      rows' priors by EM, starting from the source priors; needs calibrated
      posteriors ``p_s(y | x)``.
    - ``method="bbse"`` (Lipton et al. 2018): solves ``C w = mu_t``, with
      ``C[i, j] = P_s(yhat = i, y = j)`` the joint confusion matrix on labeled
      source rows the classifier did not train on and ``mu_t[i]`` the share
      of target rows predicted ``i``; consistent even when the classifier is
      not calibrated, provided ``C`` is invertible. Negative weights are
      clipped to 0 (with a warning) and the priors ``w * pi_s`` normalised.

    With a rare class and a small target sample either estimate can land at
    a prior of (nearly) 0, which makes the adjusted probabilities of that
    class nearly 0; both warn when that happens (BBSE when it clips, EM
    below half a target row). Measured on credit data resampled to 2 %
    positives among 1500 target rows, it happened in 1 to 2 of 10 splits
    per method (``benchmarks/results/label_shift.md``).

    Rows follow the ``sample_domain`` convention: ``sample_domain >= 0``
    source, ``< 0`` target (their labels, if any, are not used); unlabeled
    rows carry ``y = -1``. Without target rows the priors are the source
    priors and the adapter predicts as the classifier.

    Parameters
    ----------
    estimator : classifier object, default=None
        A classifier with ``predict_proba``. Unfitted (None means
        ``LogisticRegression()``): a clone is fitted on the labeled source
        rows (with their ``sample_weight``). ``FrozenEstimator(model)``: a
        fitted model used as it is; the labeled source rows given to ``fit``
        are then taken as rows it did not train on (BBSE's confusion matrix
        needs them; EM needs them, or ``source_priors``, for the source
        priors), and with ``y=None`` every row is a target row.
    method : {"em", "bbse"}, default="em"
        How the target priors are estimated.
    source_priors : array-like of shape (n_classes,), default=None
        The source class priors ``pi_s`` (positive, in the order of
        ``classes_``, normalised to sum to 1), e.g. the training prevalence
        of a frozen model. None: the ``sample_weight``-weighted class shares
        of the labeled source rows.
    cv : int, cross-validation splitter or iterable of splits, default=5
        BBSE with a classifier fitted here: the confusion matrix is counted
        on out-of-fold predictions of the labeled source rows (an int or None
        gives ``StratifiedKFold``; splits must test each row exactly once),
        each from a clone fitted on the other folds; the target's predictions
        come from the classifier fitted on every labeled source row. Unused
        by EM and with a frozen model.
    max_iter : int, default=1000
        Largest number of EM iterations; a ``ConvergenceWarning`` says when
        they run out.
    tol : float, default=1e-8
        EM stops once no prior moves by more than ``tol`` in an iteration.
    n_bootstrap : int, default=200
        Bootstrap resamples of the target rows (and, for BBSE, of the labeled
        source rows of the confusion matrix) for ``target_priors_interval_``;
        the classifier is not refitted. 0 skips the interval.
    confidence : float, default=0.9
        Coverage of the percentile interval.
    n_jobs : int, default=None
        Folds fitted in parallel for BBSE's cross-fitting (joblib).
    random_state : int, RandomState instance or None, default=None
        Seeds the classifier's unset seeds and the bootstrap.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted classifier (the ``FrozenEstimator`` when one was given).
    classes_ : ndarray of shape (n_classes,)
        The classifier's classes.
    source_priors_ : ndarray of shape (n_classes,)
        ``pi_s``.
    target_priors_ : ndarray of shape (n_classes,)
        The estimated ``pi_t`` (``source_priors_`` without target rows).
    class_weights_ : ndarray of shape (n_classes,)
        ``w = target_priors_ / source_priors_``.
    target_priors_interval_ : ndarray of shape (2, n_classes) or None
        Lower and upper bounds of the bootstrap percentile interval of each
        prior at ``confidence``; None with ``n_bootstrap=0`` or without
        target rows.
    confusion_matrix_ : ndarray of shape (n_classes, n_classes) or None
        BBSE's ``C`` (rows: predicted class, columns: true class); None for EM.
    condition_number_ : float or None
        The 2-norm condition number of ``confusion_matrix_``.
    n_iter_ : int
        EM iterations (0 for BBSE and without target rows).
    n_features_in_ : int
        Number of features seen by the classifier.
    feature_names_in_ : ndarray of str
        Feature names seen by the classifier, when ``X`` has them.

    See Also
    --------
    KernelMeanMatching : Reweighting for covariate shift (``p(x)`` changes).

    Notes
    -----
    BBSE refuses, with a ValueError, a confusion matrix whose condition
    number exceeds 1000 (``MAX_CONDITION_NUMBER`` in
    ``sktransfer.instance._label_shift_solvers``): the error of the solved
    weights grows with it, and a singular matrix (a class never predicted,
    or predictions unrelated to the class) has no solution. More labeled
    source rows, fewer classes, a better classifier or ``method="em"`` are
    the ways out. The bootstrap skips resamples whose confusion matrix is
    singular, and says how many.

    There is no ``decision_function``: the adjustment is defined on
    probabilities, and a classifier's decision values (margins, scores) have
    no general relation to them. Target rows' labels are never used, so
    labeled target rows count as unlabeled ones.

    References
    ----------
    .. [1] M. Saerens, P. Latinne and C. Decaestecker, "Adjusting the Outputs
       of a Classifier to New a Priori Probabilities: A Simple Procedure",
       Neural Computation 14(1), 2002.
    .. [2] Z. Lipton, Y.-X. Wang and A. Smola, "Detecting and Correcting for
       Label Shift with Black Box Predictors", ICML 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.instance import LabelShiftAdapter
    >>> rng = np.random.RandomState(0)
    >>> ys = rng.rand(1000) < 0.5
    >>> yt = rng.rand(1000) < 0.2  # 20 % positives in the target
    >>> Xs = rng.normal(2.0 * ys, 1.0)[:, None]
    >>> Xt = rng.normal(2.0 * yt, 1.0)[:, None]
    >>> X, y, sd = stack_domains(source=(Xs, ys.astype(int)), target=(Xt, None))
    >>> model = LabelShiftAdapter(random_state=0).fit(X, y, sample_domain=sd)
    >>> model.target_priors_.round(1)
    array([0.8, 0.2])
    >>> model.predict_proba(Xt).shape
    (1000, 2)
    """

    __metadata_request__predict = {"sample_domain": True}
    __metadata_request__predict_proba = {"sample_domain": True}
    __metadata_request__predict_log_proba = {"sample_domain": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "method": [StrOptions({"em", "bbse"})],
        "source_priors": ["array-like", None],
        "cv": ["cv_object"],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "n_bootstrap": [Interval(numbers.Integral, 0, None, closed="left")],
        "confidence": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
    }

    _domain_checks = {
        "validate_X": False,
        "need_source": False,
        "need_target": "if_given",
    }

    def __init__(
        self,
        estimator=None,
        *,
        method="em",
        source_priors=None,
        cv=5,
        max_iter=1000,
        tol=1e-8,
        n_bootstrap=200,
        confidence=0.9,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.method = method
        self.source_priors = source_priors
        self.cv = cv
        self.max_iter = max_iter
        self.tol = tol
        self.n_bootstrap = n_bootstrap
        self.confidence = confidence
        self.n_jobs = n_jobs
        self.random_state = random_state

    # -- validation --------------------------------------------------------------

    def _domain_task(self):
        return "classification"

    def _default_estimator(self):
        return LogisticRegression()

    def _inner(self):
        return self._default_estimator() if self.estimator is None else self.estimator

    def _domain_check_options(self):
        return {**self._domain_checks, "y_required": not is_frozen(self.estimator)}

    def _check_domain_data(self, X, y, sample_domain, sample_weight=None):
        if y is None and sample_domain is None and is_frozen(self.estimator):
            # A frozen model and no labels: every row given is a target row.
            n_rows = X.shape[0] if hasattr(X, "shape") else len(X)
            sample_domain = np.full(n_rows, DEFAULT_TARGET_ID)
        return super()._check_domain_data(X, y, sample_domain, sample_weight)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, sample_domain=None, sample_weight=None):
        """Fit the classifier (unless frozen) and estimate the target priors.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Source and target rows, handed to the classifier as they are.
        y : array-like of shape (n_samples,), default=None
            Class labels of the source rows; ``-1`` marks unlabeled target
            rows. None only with a frozen model (every row is then a target
            row unless ``sample_domain`` says otherwise).
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target); inferred from the
            labels when None.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights: in the classifier's fit, the source priors, the
            confusion matrix and the target's averages.

        Returns
        -------
        self : object
            The fitted adapter.
        """
        return self._validate_and_fit(X, y, sample_domain, sample_weight)

    # -- fitting -----------------------------------------------------------------

    def _fit(self, data):
        estimator = self._inner()
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(
                f"LabelShiftAdapter adjusts class probabilities, and "
                f"{type(unfrozen(estimator)).__name__} has no predict_proba. Use a "
                "probabilistic classifier (e.g. LogisticRegression, or SVC("
                "probability=True), or wrap it in CalibratedClassifierCV)."
            )
        if data.n_samples == 0:
            raise ValueError("Found array with 0 sample(s); fit needs rows.")
        source_rows = np.flatnonzero(data.labeled & data.is_source)
        self.estimator_ = fitted_source_model(
            estimator,
            data,
            random_state=self.random_state,
            owner="LabelShiftAdapter",
            parameter="estimator",
            what="classifier",
        )
        self.classes_ = np.asarray(self.estimator_.classes_)
        copy_input_attributes(self, unfrozen(self.estimator_))
        source_labels = self._class_indices(
            data.y[source_rows] if data.y is not None else []
        )
        weights = data.weights()
        target_rows = np.flatnonzero(data.is_target)
        if self.method == "bbse" and target_rows.shape[0] and not source_rows.shape[0]:
            raise ValueError(
                "BBSE counts its confusion matrix on labeled source rows the "
                "classifier did not train on, and there are none. Pass labeled "
                "held-out source rows (sample_domain >= 0) with the frozen model, "
                "or use method='em' with source_priors."
            )
        self.source_priors_ = self._source_priors(source_labels, weights[source_rows])
        self.confusion_matrix_ = self.condition_number_ = None
        self.target_priors_interval_ = None
        self.n_iter_ = 0
        if target_rows.shape[0] == 0:
            self.target_priors_ = self.source_priors_.copy()
        else:
            target_weights = weights[target_rows]
            if not target_weights.sum() > 0:
                raise ValueError(
                    "sample_weight gives every target row weight 0, so the target "
                    "priors cannot be estimated. Give target rows positive weights."
                )
            X_target = _safe_indexing(data.X_input, target_rows)
            if self.method == "em":
                self._fit_em(X_target, target_weights)
            else:
                self._fit_bbse(
                    data, X_target, target_weights, source_rows, source_labels
                )
        self.class_weights_ = self.target_priors_ / self.source_priors_
        return self

    def _class_indices(self, labels):
        """Positions of ``labels`` in ``classes_``; refuse a class it lacks."""
        labels = np.asarray(labels)
        unknown = np.setdiff1d(labels, self.classes_)
        if unknown.shape[0]:
            raise ValueError(
                f"The labeled source rows hold the classes {unknown.tolist()}, which "
                f"the classifier does not predict (its classes: "
                f"{self.classes_.tolist()}). Give source rows of its classes only."
            )
        return np.searchsorted(self.classes_, labels)

    def _source_priors(self, labels, weights):
        n_classes = self.classes_.shape[0]
        if self.source_priors is not None:
            return self._given_source_priors(n_classes)
        if labels.shape[0] == 0:
            raise ValueError(
                "LabelShiftAdapter needs the source class priors: pass labeled "
                "source rows (sample_domain >= 0), or source_priors=[...] (the "
                "class shares the frozen model was trained on, in the order of "
                "its classes_)."
            )
        priors = np.bincount(labels, weights=weights, minlength=n_classes)
        priors = priors / priors.sum()
        missing = self.classes_[priors == 0]
        if missing.shape[0]:
            raise ValueError(
                f"The labeled source rows hold no row (of positive weight) of the "
                f"classes {missing.tolist()}, so their source prior is 0 and their "
                "weight pi_t / pi_s undefined. Give source rows of every class, or "
                "pass source_priors."
            )
        return priors

    def _given_source_priors(self, n_classes):
        priors = np.asarray(self.source_priors, dtype=float)
        if priors.shape != (n_classes,):
            raise ValueError(
                f"source_priors must hold one prior per class ({n_classes}: "
                f"{self.classes_.tolist()}); got shape {priors.shape}."
            )
        if not (np.all(np.isfinite(priors)) and np.all(priors > 0)):
            raise ValueError(
                f"source_priors must be positive and finite; got {priors.tolist()}."
            )
        return priors / priors.sum()

    def _fit_em(self, X_target, target_weights):
        proba = np.asarray(self.estimator_.predict_proba(X_target), dtype=float)
        estimate = em_priors(
            proba,
            self.source_priors_,
            weights=target_weights,
            max_iter=self.max_iter,
            tol=self.tol,
        )
        if not estimate.converged:
            warnings.warn(
                f"The EM for the target priors stopped after max_iter={self.max_iter} "
                f"iterations, before no prior moved by more than tol={self.tol:g}. "
                "Raise max_iter, or tol.",
                ConvergenceWarning,
                stacklevel=_user_stacklevel(),
            )
        self.target_priors_ = estimate.priors
        self.n_iter_ = estimate.n_iter
        self._warn_if_a_class_vanished(proba.shape[0])
        self._bootstrap_em(proba, target_weights)

    def _warn_if_a_class_vanished(self, n_target):
        """EM's likelihood can peak at a prior of 0 (reached only in the
        limit): below half a target row, say so."""
        vanished = self.target_priors_ < 0.5 / n_target
        if vanished.any():
            warnings.warn(
                f"EM put the target priors of the classes "
                f"{self.classes_[vanished].tolist()} at "
                f"{np.round(self.target_priors_[vanished], 8).tolist()}, below half "
                f"a row of the {n_target} target rows: the adjusted probabilities "
                "of those classes are near 0. If they do occur in the target, "
                "this is noise: give more target rows, or check "
                "target_priors_interval_.",
                UserWarning,
                stacklevel=_user_stacklevel(),
            )

    def _bbse_holdout_predictions(self, data, source_rows):
        """Predicted classes of labeled source rows the classifier did not train on."""
        X_source = _safe_indexing(data.X_input, source_rows)
        if is_frozen(self.estimator_):
            return self.estimator_.predict(X_source)
        model = seed_nested_estimators(clone(self._inner()), self.random_state)
        folds = check_cv(self.cv, data.y[source_rows], classifier=True)
        params = {}
        if data.sample_weight is not None:
            params["sample_weight"] = data.sample_weight[source_rows]
        return cross_val_predict(
            model,
            X_source,
            data.y[source_rows],
            cv=folds,
            n_jobs=self.n_jobs,
            params=params,
        )

    def _fit_bbse(self, data, X_target, target_weights, source_rows, source_labels):
        n_classes = self.classes_.shape[0]
        predicted = self._class_indices(
            self._bbse_holdout_predictions(data, source_rows)
        )
        holdout_weights = data.weights()[source_rows]
        joint = confusion_matrix_joint(
            predicted, source_labels, n_classes, holdout_weights
        )
        target_predicted = self._class_indices(self.estimator_.predict(X_target))
        self.confusion_matrix_ = joint
        self.condition_number_ = condition_number(joint)
        if self.condition_number_ > MAX_CONDITION_NUMBER:
            raise ValueError(
                f"BBSE's confusion matrix on the {source_rows.shape[0]} labeled source "
                f"rows has condition number {self.condition_number_:.3g}, above "
                f"{MAX_CONDITION_NUMBER:g}: the classifier's predictions do not tell "
                "the classes apart well enough to solve C w = mu_t (a class never "
                "predicted makes it singular). Use more labeled source rows, fewer "
                "classes (merge rare ones), a better classifier, or method='em'."
            )
        estimate = bbse_priors(
            joint, predicted_distribution(target_predicted, n_classes, target_weights)
        )
        if estimate.clipped.any():
            warnings.warn(
                f"BBSE solved negative weights for the classes "
                f"{self.classes_[estimate.clipped].tolist()}; they were clipped to 0 "
                "(those classes look absent from the target) before the priors "
                "were normalised. More source or target rows make the estimate "
                "less noisy.",
                UserWarning,
                stacklevel=_user_stacklevel(),
            )
        self.target_priors_ = estimate.priors
        self._bootstrap_bbse(
            predicted, source_labels, holdout_weights, target_predicted, target_weights
        )

    # -- bootstrap ---------------------------------------------------------------

    def _percentile_interval(self, replicates):
        alpha = (1 - self.confidence) / 2
        return np.quantile(np.asarray(replicates), [alpha, 1 - alpha], axis=0)

    def _bootstrap_em(self, proba, weights):
        if self.n_bootstrap == 0:
            return
        rng = check_random_state(self.random_state)
        n_rows = proba.shape[0]
        replicates, unconverged = [], 0
        for _ in range(self.n_bootstrap):
            rows = rng.randint(n_rows, size=n_rows)
            if not weights[rows].sum() > 0:
                continue
            estimate = em_priors(
                proba[rows],
                self.source_priors_,
                weights=weights[rows],
                max_iter=self.max_iter,
                tol=self.tol,
                start=self.target_priors_,
            )
            unconverged += not estimate.converged
            replicates.append(estimate.priors)
        if unconverged:
            warnings.warn(
                f"The EM stopped at max_iter={self.max_iter} on {unconverged} of the "
                f"{self.n_bootstrap} bootstrap resamples; the interval may be too "
                "narrow. Raise max_iter, or tol.",
                ConvergenceWarning,
                stacklevel=_user_stacklevel(),
            )
        self._set_interval(replicates)

    def _bootstrap_bbse(
        self, predicted, labels, holdout_weights, target_predicted, target_weights
    ):
        if self.n_bootstrap == 0:
            return
        rng = check_random_state(self.random_state)
        n_classes = self.classes_.shape[0]
        n_holdout, n_target = predicted.shape[0], target_predicted.shape[0]
        replicates = []
        for _ in range(self.n_bootstrap):
            source = rng.randint(n_holdout, size=n_holdout)
            target = rng.randint(n_target, size=n_target)
            if not (
                holdout_weights[source].sum() > 0 and target_weights[target].sum() > 0
            ):
                continue
            joint = confusion_matrix_joint(
                predicted[source], labels[source], n_classes, holdout_weights[source]
            )
            if condition_number(joint) > MAX_CONDITION_NUMBER:
                continue
            mu = predicted_distribution(
                target_predicted[target], n_classes, target_weights[target]
            )
            replicates.append(bbse_priors(joint, mu).priors)
        self._set_interval(replicates)

    def _set_interval(self, replicates):
        skipped = self.n_bootstrap - len(replicates)
        if skipped:
            warnings.warn(
                f"{skipped} of the {self.n_bootstrap} bootstrap resamples were "
                "skipped (a singular confusion matrix, or no weight on the resampled "
                "rows); the interval comes from the others"
                + ("." if replicates else ": none is left, so it is None."),
                UserWarning,
                stacklevel=_user_stacklevel(),
            )
        if replicates:
            self.target_priors_interval_ = self._percentile_interval(replicates)

    # -- prediction --------------------------------------------------------------

    def predict_proba(self, X, sample_domain=None):
        """Class probabilities adjusted to the target priors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of any domain; all are adjusted to the target priors.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Accepted for the convention; rows are predicted alike.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            ``p_s(y | x) * class_weights_``, rows renormalised to sum to 1;
            columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        proba = np.asarray(self.estimator_.predict_proba(X), dtype=float)
        return adjust_posteriors(proba, self.class_weights_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(unfrozen(self._inner()))
        tags.input_tags = inner.input_tags
        tags.target_tags.required = True
        return tags
