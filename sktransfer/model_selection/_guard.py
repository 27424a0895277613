"""A meta-estimator that keeps a transfer only where it beats not transferring."""

import inspect
import logging
import numbers
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import _fit_context, clone, is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.validation import check_is_fitted

from .._callers import check_marker_safe_caller
from .._pipeline import LabeledOnly, accepts_sample_domain, fit_on_domains
from ..base import (
    BaseTransferMetaEstimator,
    copy_input_attributes,
    report_progress,
)
from ..parameter._source import unfrozen
from ..utils import _user_stacklevel
from ._scorers import TargetScorer, _DomainScorer
from ._split import _TargetSplitter, check_domain_cv

logger = logging.getLogger(__name__)

TRANSFER = "transfer"
_PREDICTION_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "score",
)
# Baseline name -> the LabeledOnly domains it trains on.
BASELINES = {"target_only": "target", "source_only": "source", "pooled": "all"}


class NegativeTransferWarning(UserWarning):
    """Transfer scored below a no-transfer baseline; a baseline was kept."""


def _wrapped_learner(estimator):
    """The estimator a sktransfer meta-estimator fits, or None."""
    if hasattr(estimator, "_base_estimator"):  # boosting's default learner
        return estimator._base_estimator()
    if hasattr(estimator, "_given_source"):  # parameter transfer
        # A frozen production model: its baselines refit its kind of model.
        return unfrozen(estimator._given_source())
    if hasattr(estimator, "_default_estimator"):  # meta-estimators, label shift
        inner = estimator.get_params(deep=False).get("estimator")
        return estimator._default_estimator() if inner is None else unfrozen(inner)
    if hasattr(estimator, "_make_estimator"):
        return estimator._make_estimator()
    return None


def baseline_learner(estimator):
    """The learner inside a transfer estimator, to build its baselines from.

    The base estimator of sktransfer's meta-estimators (TrAdaBoost, KMM,
    LabeledOnly); the source model's estimator for parameter transfer (an
    unfitted copy of a frozen one); for a pipeline, the pipeline without its
    transfer steps (those whose ``fit`` takes ``sample_domain``); for a search
    or another sklearn meta-estimator around a transfer estimator, the learner
    of that estimator (untuned: pass ``baseline=`` to tune the baselines too);
    a plain estimator is its own baseline.
    """
    learner = _wrapped_learner(estimator)
    if learner is not None:
        return clone(learner)
    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        kept = [
            (step_name, clone(step))
            for step_name, step in estimator.steps[:-1]
            if step not in (None, "passthrough") and not accepts_sample_domain(step)
        ]
        final = baseline_learner(last) if accepts_sample_domain(last) else clone(last)
        return Pipeline([*kept, (name, final)]) if kept else final
    if not accepts_sample_domain(estimator):
        return clone(estimator)
    inner = estimator.get_params(deep=False).get("estimator")
    if inner is not None and accepts_sample_domain(inner):
        return baseline_learner(inner)
    raise TypeError(
        f"Cannot find the learner inside {type(estimator).__name__} to build the "
        "no-transfer baselines from; pass it as baseline=."
    )


def _resolve_scorer(scoring):
    if isinstance(scoring, _DomainScorer):
        return scoring
    return TargetScorer(scoring)


def _split(cv, X, y, sample_domain):
    if "sample_domain" in inspect.signature(cv.split).parameters:
        return list(cv.split(X, y, sample_domain=sample_domain))
    return list(cv.split(X, y, groups=sample_domain))


def _fit_and_score(name, candidate, X, y, sample_domain, train, test, scorer):
    """Score of ``candidate`` fitted on ``train`` and scored on ``test``.

    A baseline that cannot be fitted on a fold (a single class among few
    target labels, say) gets NaN and the reason; the transfer estimator's
    errors propagate.
    """
    try:
        fitted = fit_on_domains(
            clone(candidate),
            _safe_indexing(X, train),
            _safe_indexing(y, train),
            sample_domain[train],
        )
        score = scorer(
            fitted,
            _safe_indexing(X, test),
            _safe_indexing(y, test),
            sample_domain=sample_domain[test],
        )
    except (ValueError, TypeError) as error:
        if name == TRANSFER:
            raise
        return np.nan, f"{type(error).__name__}: {error}"
    return score, ""


_NAN_ADVICE = (
    "A score is NaN where the metric is undefined on a test fold, such as "
    "roc_auc on a fold holding one class: use a stratified splitter "
    "(TargetStratifiedKFold, the default for an int cv), fewer folds, or a "
    "metric defined on every fold."
)


def _nan_counts(names, finite, compared):
    counts = {names[i]: int((~finite[i]).sum()) for i in compared}
    return ", ".join(f"{name}: {n}" for name, n in counts.items() if n)


def _test_to_train_ratio(train, test, labeled_target):
    """Test rows over the training rows of their kind, for Nadeau-Bengio."""
    if labeled_target[test].all():
        return test.shape[0] / max(1, int(labeled_target[train].sum()))
    return test.shape[0] / train.shape[0]


def corrected_standard_error(differences, test_to_train):
    """Standard error of a mean of paired CV differences, corrected for overlap.

    Folds share training rows, so their scores are correlated and the naive
    ``std / sqrt(J)`` is too small; Nadeau and Bengio's correction uses
    ``sqrt((1/J + n_test/n_train) * var)``. NaN for a single split.
    """
    if differences.shape[0] < 2:
        return np.nan
    variance = differences.var(ddof=1)
    return float(np.sqrt((1 / differences.shape[0] + test_to_train) * variance))


class NegativeTransferGuard(BaseTransferMetaEstimator):
    """Keep a transfer estimator only if it beats not transferring.

    Cross-validates the transfer estimator against the no-transfer baselines
    built from the same learner (target-only, source-only, pooled; see
    :class:`~sktransfer.LabeledOnly`) on the same domain-aware folds, keeps
    whichever scores best, and refits it on all rows. ``transfer_gain_`` is the
    transfer estimator's mean score minus the best baseline's, paired by fold,
    with a standard error; when it is negative the guard falls back to that
    baseline, sets ``negative_transfer_`` and warns with a
    :class:`NegativeTransferWarning`.

    By default the folds are target K-fold folds (the labeled target rows are
    split; source rows always train) scored on target rows only
    (:class:`TargetScorer`), so the guard needs some labeled target rows.
    Without any it cannot compare, fits the transfer estimator unguarded and
    warns. With a label-free scorer and :class:`DomainShuffleSplit` it compares
    transfer with the source-only and pooled baselines without target labels
    (the target-only baseline then cannot be fitted and is left out).

    Parameters
    ----------
    estimator : estimator object
        The transfer estimator: a sktransfer estimator, a transfer pipeline or
        anything whose ``fit`` takes ``sample_domain``.
    baseline : estimator object, default=None
        The learner of the baselines. None takes the one inside ``estimator``
        (its base estimator, or its pipeline without the transfer steps).
    baselines : tuple of str, default=("target_only", "source_only", "pooled")
        Which baselines to compare with.
    cv : int or cross-validation splitter, default=5
        An int ``k`` gives :class:`TargetStratifiedKFold` (classifiers) or
        :class:`TargetKFold` with ``k`` shuffled folds. A splitter is used as
        given; every candidate is scored on the same folds.
    scoring : str, callable, scorer of sktransfer.model_selection or None, \
            default=None
        How a fold is scored. A sktransfer scorer is used as it is; anything
        else (a scoring name, a callable, None for the estimator's ``score``)
        is applied to the labeled target rows by :class:`TargetScorer`.
    n_jobs : int, default=None
        Candidate-fold fits run in parallel through joblib (``None``: one
        job, unless in a ``joblib.parallel_backend`` context).
    random_state : int, RandomState instance or None, default=None
        Seeds the fold shuffle of an int ``cv``.
    verbose : int, default=0
        Log each candidate's scores (``logging`` at INFO) when positive.

    Attributes
    ----------
    estimator_ : estimator object
        The selected candidate, refitted on all rows.
    selected_ : str
        ``"transfer"`` or the name of the baseline kept.
    cv_results_ : dict
        ``candidate`` (names), ``fold_scores`` (candidates x folds),
        ``mean_score`` and ``std_score`` (over the valid splits), ``error``
        (why a baseline could not be scored, else "") and ``valid_split``
        (as ``valid_splits_``).
    best_baseline_ : str or None
        The baseline with the best mean score.
    transfer_gain_ : float
        Mean over folds of the transfer score minus the best baseline's; NaN
        when no comparison was possible.
    transfer_gain_se_ : float
        Its standard error, corrected for the overlap of training folds
        (Nadeau and Bengio); NaN with a single split.
    negative_transfer_ : bool
        Whether transfer scored below the best baseline (and was dropped).
    n_splits_ : int
        Number of splits cross-validated.
    valid_splits_ : ndarray of bool of shape (`n_splits_`,)
        The splits on which the transfer estimator and every compared
        baseline scored a number; means, the gain and its standard error use
        only these, paired. A split is invalid where the score is NaN (a
        metric undefined on the test fold, such as ``roc_auc`` on a fold
        holding one class): the guard warns with the counts when some are,
        and raises a ``ValueError`` when none is valid, rather than reach a
        verdict from NaN.
    classes_ : ndarray
        Class labels, for classifiers.

    See Also
    --------
    TargetStratifiedKFold : The default folds.
    sktransfer.LabeledOnly : The baselines.

    References
    ----------
    .. [1] C. Nadeau and Y. Bengio. Inference for the generalization error.
       *Machine Learning*, 52, 2003.
    .. [2] Z. Wang, Z. Dai, B. Póczos and J. Carbonell. Characterizing and
       avoiding negative transfer. *CVPR*, 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer import KernelMeanMatching, stack_domains
    >>> from sktransfer.model_selection import NegativeTransferGuard
    >>> rng = np.random.RandomState(0)
    >>> Xs, Xt = rng.normal(size=(100, 2)), rng.normal(size=(60, 2))
    >>> ys = (Xs[:, 0] > 0).astype(int)
    >>> yt = (Xt[:, 0] < 0).astype(int)  # the source's labels are reversed
    >>> X, y, sd = stack_domains(source=(Xs, ys), target=(Xt, yt))
    >>> guard = NegativeTransferGuard(KernelMeanMatching(LogisticRegression()))
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     guard = guard.fit(X, y, sample_domain=sd)
    >>> guard.selected_, guard.negative_transfer_
    ('target_only', True)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        "baseline": [HasMethods(["fit", "predict"]), None],
        "baselines": [tuple, list],
        "cv": [Interval(numbers.Integral, 2, None, closed="left"), HasMethods("split")],
        "scoring": [str, callable, None],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator,
        *,
        baseline=None,
        baselines=tuple(BASELINES),
        cv=5,
        scoring=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.baseline = baseline
        self.baselines = baselines
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    _domain_checks = {"validate_X": False, "need_source": False}

    def get_metadata_routing(self):
        """Metadata routing of the guard.

        ``fit`` consumes ``sample_domain`` and routes nothing: the candidates
        are fitted internally, on folds, without ``sample_weight`` (as
        sklearn's AdaBoost declares for its own fits). Prediction methods
        route what the kept estimator requests.

        Returns
        -------
        routing : MetadataRouter
        """
        mapping = MethodMapping()
        for method in _PREDICTION_METHODS:
            mapping.add(caller=method, callee=method)
        return (
            MetadataRouter(owner=type(self).__name__)
            .add_self_request(self)
            .add(estimator=self._inner_estimator(), method_mapping=mapping)
        )

    def _candidates(self):
        unknown = set(self.baselines) - set(BASELINES)
        if not self.baselines:
            raise ValueError(
                "baselines is empty: the guard needs at least one baseline to "
                f"compare transfer with; choose from {list(BASELINES)}."
            )
        if unknown:
            raise ValueError(
                f"Unknown baselines {sorted(unknown)}; choose from {list(BASELINES)}."
            )
        learner = (
            baseline_learner(self.estimator) if self.baseline is None else self.baseline
        )
        candidates = {TRANSFER: self.estimator}
        for name in self.baselines:
            candidates[name] = LabeledOnly(clone(learner), domains=BASELINES[name])
        return candidates

    def _cross_validate(self, candidates, X, y, sample_domain, splits):
        scorer = _resolve_scorer(self.scoring)
        jobs = [
            delayed(_fit_and_score)(
                name, candidate, X, y, sample_domain, train, test, scorer
            )
            for name, candidate in candidates.items()
            for train, test in splits
        ]
        results = Parallel(n_jobs=self.n_jobs)(jobs)
        n_splits = len(splits)
        scores = np.array([score for score, _ in results], dtype=float)
        scores = scores.reshape(len(candidates), n_splits)
        errors = [
            next(
                (
                    error
                    for _, error in results[i * n_splits : (i + 1) * n_splits]
                    if error
                ),
                "",
            )
            for i in range(len(candidates))
        ]
        return scores, errors

    def _record(self, names, scores, errors, valid):
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # mean of no split
            self.cv_results_ = {
                "candidate": names,
                "fold_scores": scores,
                "mean_score": np.nanmean(scores[:, valid], axis=1)
                if valid.any()
                else np.full(len(names), np.nan),
                "std_score": np.nanstd(scores[:, valid], axis=1)
                if valid.any()
                else np.full(len(names), np.nan),
                "error": errors,
                "valid_split": valid,
            }
        for name, error in zip(names, errors):
            if error:
                warnings.warn(
                    f"The {name} baseline could not be scored on every fold and is "
                    f"left out of the comparison ({error}).",
                    UserWarning,
                    stacklevel=_user_stacklevel(),
                )
            else:
                row = names.index(name)
                report_progress(
                    logger,
                    self.verbose,
                    "%s: %.4f ± %.4f over %d splits",
                    name,
                    self.cv_results_["mean_score"][row],
                    self.cv_results_["std_score"][row],
                    int(valid.sum()),
                )

    def _valid_splits(self, names, scores, errors):
        """Splits on which transfer and every compared baseline scored a number.

        A baseline scored NaN on every split is left out (its reason goes to
        ``errors``); without any split left, there is nothing to compare.
        """
        finite = np.isfinite(scores)
        if not finite[0].any():
            raise ValueError(
                "NegativeTransferGuard cannot compare transfer with the baselines: "
                f"the transfer estimator scored NaN on all {scores.shape[1]} splits. "
                + _NAN_ADVICE
            )
        for i in range(1, len(names)):
            if not errors[i] and not finite[i].any():
                errors[i] = f"scored NaN on all {scores.shape[1]} splits"
        compared = [0] + [i for i in range(1, len(names)) if not errors[i]]
        valid = finite[compared].all(axis=0)
        if not valid.any():
            raise ValueError(
                "NegativeTransferGuard cannot compare transfer with the baselines: "
                "no split gave every candidate a score (NaN on splits "
                + _nan_counts(names, finite, compared)
                + "). "
                + _NAN_ADVICE
            )
        if not valid.all():
            warnings.warn(
                f"{int((~valid).sum())} of {valid.shape[0]} splits gave a NaN score "
                f"({_nan_counts(names, finite, compared)}); the guard compares the "
                f"candidates on the other {int(valid.sum())} splits, paired "
                "(valid_splits_). " + _NAN_ADVICE,
                UserWarning,
                stacklevel=_user_stacklevel(),
            )
        return valid

    def _compare(self, scores, errors, ratio):
        names = self.cv_results_["candidate"]
        means = self.cv_results_["mean_score"]
        usable = [i for i in range(1, len(names)) if not errors[i]]
        if not usable:
            self.best_baseline_ = None
            self.transfer_gain_ = self.transfer_gain_se_ = np.nan
            warnings.warn(
                "NegativeTransferGuard could not score any baseline (see the "
                "warnings above and cv_results_['error']), so it cannot compare: "
                "it kept the transfer estimator unguarded.",
                UserWarning,
                stacklevel=_user_stacklevel(),
            )
            return TRANSFER
        best = max(usable, key=lambda i: means[i])
        valid = self.valid_splits_
        differences = scores[0, valid] - scores[best, valid]
        self.best_baseline_ = names[best]
        self.transfer_gain_ = float(differences.mean())
        self.transfer_gain_se_ = corrected_standard_error(differences, ratio)
        return TRANSFER if self.transfer_gain_ >= 0 else names[best]

    def _warn_negative_transfer(self):
        n_valid = int(self.valid_splits_.sum())
        if np.isnan(self.transfer_gain_se_):
            spread, splits = "", f"{n_valid} split (no standard error)"
        else:
            significant = self.transfer_gain_ + 2 * self.transfer_gain_se_ < 0
            spread = f" ± {self.transfer_gain_se_:.4f}"
            splits = (
                f"{n_valid} splits ({'beyond' if significant else 'within'} two "
                "standard errors)"
            )
        warnings.warn(
            f"Negative transfer: the transfer estimator scored "
            f"{-self.transfer_gain_:.4f}{spread} below the {self.best_baseline_} "
            f"baseline over {splits}. The guard kept {self.best_baseline_}; see "
            "cv_results_.",
            NegativeTransferWarning,
            stacklevel=_user_stacklevel(),
        )

    def _fit_unguarded(self, estimator, X, y, sample_domain, reason):
        warnings.warn(
            f"NegativeTransferGuard cannot compare transfer with the baselines: "
            f"{reason}. It fitted the transfer estimator unguarded.",
            UserWarning,
            stacklevel=_user_stacklevel(),
        )
        self.cv_results_ = {}
        self.best_baseline_ = None
        self.transfer_gain_ = self.transfer_gain_se_ = np.nan
        self.negative_transfer_ = False
        self.n_splits_ = 0
        self.valid_splits_ = np.zeros(0, dtype=bool)
        self.selected_ = TRANSFER
        self.estimator_ = fit_on_domains(clone(estimator), X, y, sample_domain)
        copy_input_attributes(self, self.estimator_)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_domain=None):
        """Cross-validate transfer and baselines; refit the best on all rows.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Rows of every domain, handed to the candidates as they are.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or ``NaN`` (regression) marks
            unlabeled rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target); inferred from the
            label masks when None.

        Returns
        -------
        self : object
            The fitted guard.
        """
        check_marker_safe_caller(self, y, task=self._domain_task())
        return self._validate_and_fit(X, y, sample_domain)

    def _fit(self, data):
        X, y, domains = data.X_input, data.y, data.sample_domain
        candidates = self._candidates()
        cv = check_domain_cv(
            self.cv, is_classifier(self.estimator), random_state=self.random_state
        )
        labeled_target = data.labeled_target
        if isinstance(cv, _TargetSplitter) and labeled_target.sum() < 2:
            # The caller's sample_domain, not the resolved one: with none given,
            # an all-source fit is the estimator's no-transfer behaviour.
            self._fit_unguarded(
                self.estimator,
                X,
                y,
                None if data.domain_inferred else domains,
                f"{int(labeled_target.sum())} labeled target rows, and target "
                "cross-validation needs at least one per fold. Give target labels, "
                "or use cv=DomainShuffleSplit() with a label-free scorer",
            )
            return self
        splits = _split(cv, X, y, domains)
        self.n_splits_ = len(splits)
        scores, errors = self._cross_validate(candidates, X, y, domains, splits)
        names = list(candidates)
        self.valid_splits_ = self._valid_splits(names, scores, errors)
        self._record(names, scores, errors, self.valid_splits_)
        ratio = np.mean(
            [
                _test_to_train_ratio(train, test, labeled_target)
                for (train, test), valid in zip(splits, self.valid_splits_)
                if valid
            ]
        )
        self.selected_ = self._compare(scores, errors, ratio)
        self.negative_transfer_ = self.selected_ != TRANSFER
        if self.negative_transfer_:
            self._warn_negative_transfer()
        report_progress(
            logger,
            self.verbose,
            "kept %s; transfer gain %.4f ± %.4f over %s",
            self.selected_,
            self.transfer_gain_,
            self.transfer_gain_se_,
            self.best_baseline_,
        )
        self.estimator_ = fit_on_domains(
            clone(candidates[self.selected_]), X, y, domains
        )
        copy_input_attributes(self, self.estimator_)
        return self

    def report(self):
        """The comparison as a text table, with the decision.

        Returns
        -------
        report : str
        """
        check_is_fitted(self)
        if not self.cv_results_:
            return "No comparison: transfer was fitted unguarded (see the warning)."
        results = self.cv_results_
        width = max(len(name) for name in results["candidate"]) + 2
        lines = [f"{'candidate':<{width}}{'mean score':>12}{'std':>9}  note"]
        for i, name in enumerate(results["candidate"]):
            note = "kept" if name == self.selected_ else ""
            if results["error"][i]:
                note = f"not scored: {results['error'][i][:60]}"
            lines.append(
                f"{name:<{width}}{results['mean_score'][i]:>12.4f}"
                f"{results['std_score'][i]:>9.4f}  {note}"
            )
        n_valid = int(self.valid_splits_.sum())
        splits = (
            f"{self.n_splits_} splits"
            if n_valid == self.n_splits_
            else f"{n_valid} of {self.n_splits_} splits, the others NaN"
        )
        if self.best_baseline_ is None:
            lines.append("no baseline could be scored: transfer kept unguarded")
            lines.append("negative transfer: cannot tell")
            return "\n".join(lines)
        lines.append(
            f"transfer gain over {self.best_baseline_}: {self.transfer_gain_:+.4f} "
            f"± {self.transfer_gain_se_:.4f} (standard error, {splits})"
        )
        lines.append(
            "negative transfer: "
            + (
                "yes, fell back to " + self.selected_
                if self.negative_transfer_
                else "no"
            )
        )
        return "\n".join(lines)
