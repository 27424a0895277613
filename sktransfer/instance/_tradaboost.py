"""TrAdaBoost family: boosting that fades out the source rows the target disputes.

TrAdaBoostClassifier (Dai et al., 2007), TrAdaBoostRegressor (TrAdaBoost.R2)
and TwoStageTrAdaBoostRegressor (Pardoe & Stone, 2010) share one boosting loop
(:func:`._tradaboost_boosting.boost`): fit the base estimator on the weighted
rows, measure each row's loss in [0, 1], raise the weight of target rows the
round got wrong (AdaBoost's rule, from the target error only) and lower or
keep the weight of source rows. This module holds the estimators and their
statistics; the arithmetic of the loop is in :mod:`._tradaboost_boosting`.
"""

import logging
import numbers
import warnings
from functools import partial

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import (
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
    is_classifier,
    is_regressor,
)
from sklearn.model_selection import KFold, check_cv
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base import BaseTransferEstimator, LabeledRowsScoreMixin, report_progress
from ..utils import _user_stacklevel
from ._tradaboost_boosting import (
    MAX_SEED,
    MIN_ERROR,
    adaboost_r2_prime,
    boost,
    class_confidences,
    exactly_rescaled,
    fit_weighted,
    median_prediction,
    misclassified,
    regression_loss,
    seeded_clone,
    shrink_source_to_share,
    unconfidence,
    weighted_median,
)

logger = logging.getLogger(__name__)

_SPARSE_FORMATS = ["csr", "csc"]
_SHARE_CONSTRAINT = [Interval(numbers.Real, 0, 1, closed="neither"), None]


def _warn_clipped_rounds(errors):
    perfect = int(np.sum(errors < MIN_ERROR))
    at_chance = int(np.sum(errors > 0.5 - MIN_ERROR))
    if not (perfect or at_chance):
        return
    advice = []
    if perfect:
        advice.append(
            f"{perfect} fit every labeled target row (large finite vote, no "
            "reweighting: a base estimator that fits its training rows exactly "
            "turns TrAdaBoost into pooled training; regularise it more, or use "
            "hypothesis='proba' in TrAdaBoostClassifier)"
        )
    if at_chance:
        advice.append(
            f"{at_chance} were at or below chance on the target (almost no "
            "vote, no target update: the source outweighs the few target rows; "
            "label more target rows or give them more initial sample_weight)"
        )
    warnings.warn(
        f"Target error clipped into (0, 1/2) in {perfect + at_chance} of "
        f"{errors.shape[0]} rounds: " + "; ".join(advice) + ".",
        UserWarning,
        stacklevel=_user_stacklevel(),
    )


def _paper_source_factor(n_source, n_rounds):
    """Dai et al.'s beta = 1 / (1 + sqrt(2 ln n_source / N))."""
    if n_source == 0:
        return 1.0
    return 1.0 / (1.0 + np.sqrt(2.0 * np.log(n_source) / n_rounds))


def _first_voting_round(n_rounds, votes_every_round):
    """0-based index of the paper's ceil(N/2)-th round; 0 without targets."""
    return 0 if votes_every_round else int(np.ceil(n_rounds / 2)) - 1


def _with_target_share(weights, is_target, share):
    """Scale the target rows' weights so that they hold ``share`` of the total."""
    weights = weights.copy()
    target_mass, source_mass = weights[is_target].sum(), weights[~is_target].sum()
    if not source_mass > 0:
        raise ValueError(
            f"initial_target_share={share} cannot be met: sample_weight gives "
            "every source row weight 0, so the target already holds all the "
            "weight. Leave initial_target_share=None or give source rows "
            "positive weights."
        )
    weights[is_target] *= share * source_mass / ((1.0 - share) * target_mass)
    return weights


def _spread_weights(final, used):
    """Final weights of the used rows on all rows: mean 1 over them, 0 elsewhere."""
    sample_weight = np.zeros(used.shape[0])
    sample_weight[used] = final * (final.shape[0] / final.sum())
    return sample_weight


class _TrAdaBoostBase(BaseTransferEstimator):
    """What the TrAdaBoost family shares: validation, base estimator, tags.

    ``fit`` validates the rows once (the labeled rows are boosted; a target
    without labeled rows is refused) and calls the subclass's ``_fit``.
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_estimators": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    _domain_checks = {
        "need_labeled_target": True,
        "accept_sparse": _SPARSE_FORMATS,
        "dtype": None,
        "ensure_all_finite": False,
    }

    @staticmethod
    def _default_estimator():
        return DecisionTreeRegressor(max_depth=3)

    def _given_estimator(self):
        """The base estimator as given, or the default one; not fitted."""
        return self._default_estimator() if self.estimator is None else self.estimator

    def _validate_estimator(self):
        """Set ``estimator_``: the base estimator every round clones."""
        estimator = self._given_estimator()
        for_classes = self._domain_task() == "classification"
        if for_classes and is_regressor(estimator):
            advice = "Pass a classifier, or use TrAdaBoostRegressor for real values."
        elif not for_classes and is_classifier(estimator):
            advice = "Pass a regressor, or use TrAdaBoostClassifier for classes."
        else:
            self.estimator_ = estimator
            return estimator
        raise ValueError(
            f"{type(self).__name__} got the base estimator "
            f"{type(estimator).__name__}, a {get_tags(estimator).estimator_type}. "
            + advice
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_domain=None, sample_weight=None):
        """Boost on the source rows and the labeled target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Labels; the unlabeled marker (``-1`` for classes, ``NaN`` for
            regression targets) marks unlabeled target rows, which are
            ignored.
        sample_domain : array-like of int of shape (n_samples,), default=None
            ``>= 0`` source, ``< 0`` target. ``None`` infers it from the
            labels: rows with the marker are target, the rest source.
        sample_weight : array-like of shape (n_samples,), default=None
            Initial weights (uniform when None).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._validate_and_fit(X, y, sample_domain, sample_weight)

    def _boosting_rows(self, data):
        """``X, y, is_target, weights, used`` of the labeled rows boosting runs on.

        ``used`` marks those rows among all (unlabeled target rows are left
        out); ``weights`` are their initial weights.
        """
        used = data.labeled
        is_target, weights = data.is_target[used], data.weights()[used]
        if is_target.any() and not weights[is_target].sum() > 0:
            raise ValueError(
                f"{type(self).__name__} measures each round's error on the labeled "
                "target rows, but sample_weight gives every one of them weight 0. "
                "Give them positive weights."
            )
        return data.X[used], data.y[used], is_target, weights, used

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            accept_sparse=_SPARSE_FORMATS,
            dtype=None,
            ensure_all_finite=False,
            reset=False,
        )

    def _fit_one_stage(self, data, **boost_params):
        """Dai et al.'s boosting on the labeled rows; sets the fitted attributes.

        Without target rows every row is a target row and every round votes
        (AdaBoost).
        """
        X, y, is_target, weights, used = self._boosting_rows(data)
        self._votes_every_round = not is_target.any()
        if self._votes_every_round:
            is_target = np.ones_like(is_target)
        elif self.initial_target_share is not None:
            weights = _with_target_share(weights, is_target, self.initial_target_share)
        self.source_factor_ = _paper_source_factor(
            int(np.sum(~is_target)), self.n_estimators
        )
        boosted = boost(
            X,
            y,
            is_target,
            weights,
            self.estimator_,
            n_rounds=self.n_estimators,
            learning_rate=self.learning_rate,
            source_factor=self.source_factor_,
            rng=check_random_state(self.random_state),
            verbose=self.verbose,
            name=type(self).__name__,
            **boost_params,
        )
        _warn_clipped_rounds(boosted.errors)
        self.estimators_ = boosted.estimators
        self.estimator_weights_ = boosted.vote_weights
        self.estimator_errors_ = boosted.errors
        self.voting_start_ = _first_voting_round(
            self.n_estimators, self._votes_every_round
        )
        self.sample_weight_ = _spread_weights(boosted.sample_weight, used)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base_tags = get_tags(self._given_estimator()).input_tags
        tags.input_tags.sparse = base_tags.sparse
        tags.input_tags.allow_nan = base_tags.allow_nan
        return tags


class TrAdaBoostClassifier(LabeledRowsScoreMixin, ClassifierMixin, _TrAdaBoostBase):
    """TrAdaBoost: transfer boosting with a few labeled target rows.

    Each round fits the base estimator on source and labeled target rows with
    the current weights. Misclassified target rows gain weight, as in AdaBoost;
    misclassified source rows lose weight by the fixed factor
    ``beta = 1 / (1 + sqrt(2 ln n_source / n_estimators))``, so source rows that
    disagree with the target fade out. The prediction is the weighted vote of
    the second half of the rounds (Dai et al., 2007).

    Rows follow the ``sample_domain`` convention: ``sample_domain >= 0`` source,
    ``< 0`` target; target rows with the label ``-1`` (unlabeled) are ignored.
    With no target row at all, every row is treated as target and the vote
    uses every round: the algorithm is then AdaBoost (discrete SAMME, which
    equals AdaBoost.M1 for two classes).

    Parameters
    ----------
    estimator : estimator object, default=None
        Base classifier, cloned each round. ``None`` means
        ``DecisionTreeClassifier(max_depth=1)``. One without ``sample_weight``
        in ``fit`` is fitted on a weighted resample of the rows, stratified by
        class so that no class disappears.
    n_estimators : int, default=50
        Number of boosting rounds ``N``.
    learning_rate : float, default=1.0
        Multiplies the target-side log factor ``ln(1 / beta_t)`` in the target
        update and the vote. ``1.0`` is the paper's algorithm. Any positive
        value gives finite weights and votes, however large.
    hypothesis : {"label", "proba"}, default="label"
        What a round's hypothesis ``h_t`` outputs. ``"label"``: the predicted
        class, so a row's loss ``|h_t(x) - c(x)|`` is 0 or 1 and the final
        model is a weighted vote of labels (the paper's algorithm for
        classifiers). ``"proba"``: the confidence in each class, in [0, 1]
        (``predict_proba``, else ``decision_function`` through the logistic
        function or the softmax), so a row's loss is 1 minus the confidence
        in its true class and the final model averages the confidences with
        the vote weights -- the paper's formulas for a hypothesis with values
        in [0, 1], as in Freund & Schapire's AdaBoost. ``"proba"`` keeps
        boosting going where labels stall (see Notes) and gives graded scores
        for ranking metrics such as ROC AUC.
    initial_target_share : float in (0, 1), default=None
        Share of the initial weight held by the labeled target rows (their
        relative weights, and the source's, are kept). ``None`` starts from
        ``sample_weight`` (uniform by default), as the paper does; then a few
        target rows among many source rows hold a tiny share, and the base
        estimator may ignore them (see Notes). ``0.5`` balances the domains.
    correct_weight_drift : bool, default=False
        Multiply the source weights by ``C_t = 2 (1 - error_t)`` each round
        (Al-Stouhi & Reddy, 2011), the factor by which the target weights
        grew, which stops the source weights from draining to the target
        faster than the paper's analysis assumes. In a clipped round (see
        Notes) the target weights do not grow and ``C_t = 1``.
    random_state : int, RandomState instance or None, default=None
        Seeds the base estimators (fresh seeds each round for every
        ``random_state`` parameter, nested ones too) and the resampling path.
    verbose : int, default=0
        Report each round's target error and weights when positive: on stderr,
        or to the logger ``sktransfer`` when logging is configured.

    Attributes
    ----------
    estimator_ : estimator object
        The base estimator the rounds clone (``estimator``, or the default);
        not fitted itself.
    estimators_ : list of estimators
        The fitted base estimators, one per round.
    estimator_weights_ : ndarray of shape (n_estimators,)
        Vote weight ``learning_rate * ln(1 / beta_t)`` of each round; only the
        rounds from ``voting_start_`` on vote.
    estimator_errors_ : ndarray of shape (n_estimators,)
        Weighted error of each round on the labeled target rows, before
        clipping.
    voting_start_ : int
        Index of the first voting round: ``ceil(N / 2) - 1`` (the paper's
        ``ceil(N/2)``-th round), or 0 when there were no target rows.
    source_factor_ : float
        The source factor ``beta``.
    sample_weight_ : ndarray of shape (n_samples,)
        Final weight of each training row, in input order, on sklearn's scale
        (mean 1 over the rows used); 0 for ignored (unlabeled) rows. Low
        values on source rows mark the source rows the target did not trust.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    sklearn.ensemble.AdaBoostClassifier : The no-transfer counterpart.

    Notes
    -----
    Edge cases the paper leaves open, handled with a warning: a round whose
    target error is 0 or at least 1/2 has its error clipped to
    ``[1e-10, 0.5 - 1e-10]``, so a perfect round gets a large finite vote and
    a round at or beyond chance a vote of almost zero and no target update.

    TrAdaBoost learns only from the base estimator's mistakes on its own
    training rows. A base estimator that fits them exactly (a linear SVM on
    high-dimensional text, a deep tree) makes no mistake, so no weight moves
    and the model is pooled training on source and target; one that the
    source outweighs keeps making the same mistakes at exactly chance on the
    target after the first round. Both show in ``estimator_errors_`` and in
    the warning. Two settings avoid them: ``hypothesis="proba"`` with a
    probabilistic base estimator (a row classified right with confidence 0.7
    still has loss 0.3, so weights keep moving) and ``initial_target_share``
    (e.g. 0.5), so that the base estimator sees the target from the first
    round. Together they are the recommended setting when the source is much
    larger than the labeled target; the defaults are the paper's algorithm.
    ``benchmarks/results/`` has measurements on the paper's data.

    Multiclass: the error and updates use the 0/1 loss and the vote is a
    weighted plurality, as in AdaBoost.M1 (Freund & Schapire, 1997); with two
    classes this is exactly the paper's rule (ties go to ``classes_[1]``).

    Metadata routing: ``sample_weight`` (the initial weights) is consumed
    here, as sklearn's AdaBoost does, and no metadata is routed to the base
    estimator, which gets each round's boosting weights. With routing on,
    ``sample_domain`` is requested by default and ``sample_weight`` only
    after ``set_fit_request(sample_weight=True)``.

    References
    ----------
    .. [1] W. Dai, Q. Yang, G.-R. Xue and Y. Yu, "Boosting for Transfer
       Learning", ICML 2007.
    .. [2] S. Al-Stouhi and C. K. Reddy, "Adaptive Boosting for Transfer
       Learning using Dynamic Updates", ECML PKDD 2011.
    .. [3] Y. Freund and R. E. Schapire, "A Decision-Theoretic Generalization
       of On-Line Learning and an Application to Boosting", Journal of
       Computer and System Sciences 55(1), 1997 (hypotheses with values in
       [0, 1]; AdaBoost.M1 for several classes).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import TrAdaBoostClassifier, stack_domains
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(200, 2)); ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(size=(20, 2)); yt = (Xt[:, 0] + Xt[:, 1] > 0).astype(int)
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt))
    >>> model = TrAdaBoostClassifier(
    ...     n_estimators=10, hypothesis="proba", initial_target_share=0.5,
    ...     random_state=0,
    ... )
    >>> model = model.fit(X, y, sample_domain=sample_domain)
    >>> model.predict(Xt[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **_TrAdaBoostBase._parameter_constraints,
        "hypothesis": [StrOptions({"label", "proba"})],
        "initial_target_share": _SHARE_CONSTRAINT,
        "correct_weight_drift": ["boolean"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_estimators=50,
        learning_rate=1.0,
        hypothesis="label",
        initial_target_share=None,
        correct_weight_drift=False,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.hypothesis = hypothesis
        self.initial_target_share = initial_target_share
        self.correct_weight_drift = correct_weight_drift
        self.random_state = random_state
        self.verbose = verbose

    @staticmethod
    def _default_estimator():
        return DecisionTreeClassifier(max_depth=1)

    def _fit(self, data):
        estimator = self._validate_estimator()
        if self.hypothesis == "proba" and not (
            hasattr(estimator, "predict_proba")
            or hasattr(estimator, "decision_function")
        ):
            raise ValueError(
                "hypothesis='proba' needs a base estimator with predict_proba or "
                f"decision_function; {type(estimator).__name__} has neither. Use "
                "hypothesis='label' or another base estimator."
            )
        self.classes_ = np.unique(data.y[data.labeled])
        if self.classes_.shape[0] < 2:
            raise ValueError(
                "TrAdaBoostClassifier needs at least 2 classes among the labeled "
                f"rows; got one class: {self.classes_.tolist()}."
            )
        return self._fit_one_stage(
            data,
            row_losses=unconfidence if self.hypothesis == "proba" else misclassified,
            correct_weight_drift=self.correct_weight_drift,
        )

    def _votes(self, X, start, stop):
        """Weighted vote share of each class over rounds [start, stop)."""
        votes = np.zeros((X.shape[0], self.classes_.shape[0]))
        weights = exactly_rescaled(self.estimator_weights_[start:stop])
        for estimator, weight in zip(self.estimators_[start:stop], weights):
            if self.hypothesis == "proba":
                columns = np.searchsorted(self.classes_, estimator.classes_)
                votes[:, columns] += weight * class_confidences(estimator, X)
            else:
                predicted = np.searchsorted(self.classes_, estimator.predict(X))
                votes[np.arange(X.shape[0]), predicted] += weight
        return votes / weights.sum()

    def _predict_from_votes(self, votes):
        if self.classes_.shape[0] == 2:
            # The paper's rule: class 1 when its weighted vote is at least half.
            return self.classes_[(votes[:, 1] >= votes[:, 0]).astype(int)]
        return self.classes_[np.argmax(votes, axis=1)]

    def predict_proba(self, X):
        """Weighted vote share of each class over the voting rounds.

        With ``hypothesis="proba"``, the weighted mean of the rounds'
        class confidences.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of any domain to give class probabilities.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Vote shares, columns in the order of ``classes_``; rows sum to 1.
        """
        X = self._check_X(X)
        return self._votes(X, self.voting_start_, len(self.estimators_))

    def decision_function(self, X):
        """Vote margin: ``P(classes_[1]) - P(classes_[0])`` for two classes.

        For more classes, the vote share of each class (as ``predict_proba``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of any domain to give vote margins.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The margin (two classes) or the vote shares.
        """
        proba = self.predict_proba(X)
        if self.classes_.shape[0] == 2:
            return proba[:, 1] - proba[:, 0]
        return proba

    def predict(self, X):
        """Class of each row by the weighted vote of the voting rounds.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of any domain to classify.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted classes.
        """
        return self._predict_from_votes(self.predict_proba(X))

    def staged_predict(self, X):
        """Predictions after each round, as if boosting had stopped there.

        After round ``t`` the vote uses rounds ``ceil(t/2)`` to ``t`` (all
        rounds when there were no target rows), as the final model does.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of any domain, classified after each round in turn.

        Yields
        ------
        y_pred : ndarray of shape (n_samples,)
            Predictions of the model stopped after each round in turn.
        """
        X = self._check_X(X)
        for stop in range(1, len(self.estimators_) + 1):
            start = _first_voting_round(stop, self._votes_every_round)
            yield self._predict_from_votes(self._votes(X, start, stop))


_REGRESSION_CONSTRAINTS = {
    **_TrAdaBoostBase._parameter_constraints,
    "loss": [StrOptions({"linear", "square", "exponential"})],
}


class TrAdaBoostRegressor(LabeledRowsScoreMixin, RegressorMixin, _TrAdaBoostBase):
    """TrAdaBoost.R2: transfer boosting for regression with a few labeled targets.

    Each round fits the base estimator on source and labeled target rows with
    the current weights and gives every row an adjusted loss in [0, 1] (its
    absolute error over the round's largest one, then linear, square or
    exponential, as AdaBoost.R2). Target rows gain weight with their loss as in
    AdaBoost.R2, with the vote weight ``ln(1 / beta_t)`` from the target error
    only; source rows lose weight by ``beta ** loss``, with the fixed factor
    ``beta = 1 / (1 + sqrt(2 ln n_source / n_estimators))``. The prediction is
    the weighted median of the second half of the rounds (Pardoe & Stone,
    2010).

    Rows follow the ``sample_domain`` convention: ``sample_domain >= 0`` source,
    ``< 0`` target; target rows labeled ``NaN`` (unlabeled) are ignored. With
    no target row at all, every row is treated as target and every round
    votes: the algorithm is then AdaBoost.R2 (Drucker, 1997), equal to
    sklearn's :class:`~sklearn.ensemble.AdaBoostRegressor` when the base
    estimator is fitted by resampling.

    Parameters
    ----------
    estimator : estimator object, default=None
        Base regressor, cloned each round. ``None`` means
        ``DecisionTreeRegressor(max_depth=3)``. One without ``sample_weight``
        in ``fit`` is fitted on ``n`` rows drawn with replacement in
        proportion to the weights.
    n_estimators : int, default=50
        Number of boosting rounds ``N``.
    learning_rate : float, default=1.0
        Multiplies the target-side log factor ``ln(1 / beta_t)`` in the target
        update and the vote. ``1.0`` is the paper's algorithm. Any positive
        value gives finite weights and votes, however large.
    loss : {"linear", "square", "exponential"}, default="linear"
        Shape of the adjusted loss, as in AdaBoost.R2.
    initial_target_share : float in (0, 1), default=None
        Share of the initial weight held by the labeled target rows (their
        relative weights, and the source's, are kept). ``None`` starts from
        ``sample_weight`` (uniform by default), as the paper does; then a few
        target rows among many source rows hold a tiny share, and the base
        estimator may ignore them (see Notes). ``0.5`` balances the domains.
    random_state : int, RandomState instance or None, default=None
        Seeds the base estimators (fresh seeds each round for every
        ``random_state`` parameter, nested ones too) and the resampling path.
    verbose : int, default=0
        Report each round's target error and weights when positive: on stderr,
        or to the logger ``sktransfer`` when logging is configured.

    Attributes
    ----------
    estimator_ : estimator object
        The base estimator the rounds clone (``estimator``, or the default);
        not fitted itself.
    estimators_ : list of estimators
        The fitted base estimators, one per round.
    estimator_weights_ : ndarray of shape (n_estimators,)
        Vote weight ``learning_rate * ln(1 / beta_t)`` of each round; only the
        rounds from ``voting_start_`` on vote.
    estimator_errors_ : ndarray of shape (n_estimators,)
        Weighted mean adjusted loss of each round on the labeled target rows,
        before clipping.
    voting_start_ : int
        Index of the first voting round: ``ceil(N / 2) - 1``, or 0 when there
        were no target rows.
    source_factor_ : float
        The source factor ``beta``.
    sample_weight_ : ndarray of shape (n_samples,)
        Final weight of each training row, in input order, mean 1 over the
        rows used and 0 for ignored (unlabeled) rows. Low values on source
        rows mark the source rows the target did not trust.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    TwoStageTrAdaBoostRegressor : Chooses how much to trust the source by
        cross-validation on the target; usually more accurate.
    sklearn.ensemble.AdaBoostRegressor : The no-transfer counterpart.

    Notes
    -----
    A round whose target error is 0 or at least 1/2 has its error clipped to
    ``[1e-10, 0.5 - 1e-10]`` with a warning (a large finite vote, or almost no
    vote and no target update), where AdaBoost.R2 would stop.

    Metadata routing: ``sample_weight`` (the initial weights) is consumed
    here, as in sklearn's AdaBoostRegressor; nothing is routed to the base
    estimator. With routing on, request it with
    ``set_fit_request(sample_weight=True)``; ``sample_domain`` is requested
    by default.

    References
    ----------
    .. [1] D. Pardoe and P. Stone, "Boosting for Regression Transfer",
       ICML 2010.
    .. [2] W. Dai, Q. Yang, G.-R. Xue and Y. Yu, "Boosting for Transfer
       Learning", ICML 2007.
    .. [3] H. Drucker, "Improving Regressors using Boosting Techniques",
       ICML 1997.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import TrAdaBoostRegressor, stack_domains
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.uniform(-2, 2, size=(200, 1)); ys = Xs[:, 0] ** 2
    >>> Xt = rng.uniform(-2, 2, size=(20, 1)); yt = Xt[:, 0] ** 2 + Xt[:, 0]
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt))
    >>> model = TrAdaBoostRegressor(n_estimators=10, random_state=0)
    >>> model = model.fit(X, y, sample_domain=sample_domain)
    >>> model.predict(Xt[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **_REGRESSION_CONSTRAINTS,
        "initial_target_share": _SHARE_CONSTRAINT,
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_estimators=50,
        learning_rate=1.0,
        loss="linear",
        initial_target_share=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.loss = loss
        self.initial_target_share = initial_target_share
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, data):
        self._validate_estimator()
        return self._fit_one_stage(
            data, row_losses=partial(regression_loss, kind=self.loss), stratified=False
        )

    def predict(self, X):
        """Weighted median of the voting rounds' predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of any domain to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted values.
        """
        X = self._check_X(X)
        start = self.voting_start_
        return median_prediction(
            self.estimators_[start:], self.estimator_weights_[start:], X
        )

    def staged_predict(self, X):
        """Predictions after each round, as if boosting had stopped there.

        After round ``t`` the median uses rounds ``ceil(t/2)`` to ``t`` (all
        rounds when there were no target rows), as the final model does.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of any domain, predicted after each round in turn.

        Yields
        ------
        y_pred : ndarray of shape (n_samples,)
            Predictions of the model stopped after each round in turn.
        """
        X = self._check_X(X)
        predictions = np.column_stack([e.predict(X) for e in self.estimators_])
        for stop in range(1, len(self.estimators_) + 1):
            start = _first_voting_round(stop, self._votes_every_round)
            yield weighted_median(
                predictions[:, start:stop], self.estimator_weights_[start:stop]
            )


def _target_share_schedule(initial_share, n_steps):
    """Target weight share of each step: from the initial share up to 1."""
    if n_steps == 1:
        return np.array([initial_share])
    return initial_share + np.arange(n_steps) / (n_steps - 1) * (1.0 - initial_share)


def _check_target_folds(folds, target_weights):
    """Refuse folds that do not index the labeled target rows or cannot train.

    Each fold needs held-out rows and training target rows of positive
    weight (the fold's model scales them up to the step's target weight).
    """
    n_target = target_weights.shape[0]
    for number, (train, test) in enumerate(folds, start=1):
        for part in (train, test):
            if part.size and (
                part.dtype.kind not in "iu"
                or not np.all((part >= 0) & (part < n_target))
            ):
                raise ValueError(
                    f"cv fold {number} holds {part.tolist()[:10]}, not indices of "
                    f"the {n_target} labeled target rows: an iterable cv gives "
                    f"(train, test) arrays of integers from 0 to {n_target - 1}, "
                    "counting the labeled target rows in input order."
                )
        if test.shape[0] == 0 or not target_weights[train].sum() > 0:
            raise ValueError(
                f"cv fold {number} has no held-out target row or no training "
                "target row of positive sample_weight; every fold needs both. "
                "Use fewer folds or give the target rows positive weights."
            )


def _fold_squared_errors(X, y, is_target, weights, base, train, test, seed, params):
    """Squared errors on held-out target rows of a model fit on the rest.

    The training target rows are scaled up to the step's whole target weight,
    so the fold's model sees the step's source/target balance.
    """
    train_weights = weights[train].copy()
    train_target = is_target[train]
    train_weights[train_target] *= (
        weights[is_target].sum() / train_weights[train_target].sum()
    )
    boosted = adaboost_r2_prime(
        X[train],
        y[train],
        train_target,
        train_weights,
        base,
        rng=np.random.RandomState(seed),
        **params,
    )
    predicted = median_prediction(boosted.estimators, boosted.vote_weights, X[test])
    return (predicted - y[test]) ** 2


class TwoStageTrAdaBoostRegressor(
    LabeledRowsScoreMixin, RegressorMixin, _TrAdaBoostBase
):
    """Two-stage TrAdaBoost.R2: shrink the source step by step, keep the best step.

    Stage one moves weight from the source to the labeled target rows over
    ``n_steps`` steps: at each step a base estimator fit on the weighted rows
    gives every row an adjusted loss, and the source rows are multiplied by
    ``beta_t ** loss``, with ``beta_t`` chosen so that the target rows hold a
    set share of the weight, rising linearly from their initial share to 1
    (target only). Stage two: at each step, AdaBoost.R2 with the source
    weights held fixed (AdaBoost.R2') is scored by k-fold cross-validation on
    the labeled target rows, the source rows always in training; the step
    with the lowest cross-validated squared error is refit on all rows and
    predicts (Pardoe & Stone, 2010).

    The ``n_steps * cv`` cross-validation fits are independent once the
    weights of every step are known, so they all run in parallel through
    joblib (``n_jobs``; hand them to Dask with
    ``joblib.parallel_backend("dask")``). Only the chosen step is refit on
    all rows, not every step.

    Rows follow the ``sample_domain`` convention: ``sample_domain >= 0`` source,
    ``< 0`` target; target rows labeled ``NaN`` are ignored. With no target row
    at all the estimator is AdaBoost.R2 on all rows (no stages).

    Parameters
    ----------
    estimator : estimator object, default=None
        Base regressor. ``None`` means ``DecisionTreeRegressor(max_depth=3)``.
        One without ``sample_weight`` in ``fit`` is fitted on weighted
        resamples (rows of weight 0 are never drawn).
    n_steps : int, default=10
        Number of steps ``S`` of stage one (the last one is target only).
    n_estimators : int, default=50
        Number of AdaBoost.R2' rounds ``N`` of each model.
    cv : int, cross-validation generator or iterable, default=5
        How the labeled target rows are split into folds; the source rows are
        always in training. An int ``F`` means ``F`` shuffled folds (at most
        one per labeled target row; seeded by ``random_state``). A splitter or
        an iterable of ``(train, test)`` index arrays is applied to the
        labeled target rows alone (indices count those rows, in input order).
        ``None`` means sklearn's default, 5 unshuffled folds. Needs at least 2
        labeled target rows.
    learning_rate : float, default=1.0
        Learning rate of AdaBoost.R2'. Any positive value gives finite
        weights and predictions, however large.
    loss : {"linear", "square", "exponential"}, default="linear"
        Shape of the adjusted loss, as in AdaBoost.R2.
    n_jobs : int, default=None
        Parallel jobs for the cross-validation fits (``None`` means 1 unless
        in a :func:`joblib.parallel_backend` context, ``-1`` all cores).
    random_state : int, RandomState instance or None, default=None
        Seeds the folds, the base estimators (fresh seeds each round for every
        ``random_state`` parameter, nested ones too) and the resampling path.
    verbose : int, default=0
        Report each step's target share, ``beta_t`` and cross-validated error,
        and the refit's rounds, when positive: on stderr, or to the logger
        ``sktransfer`` when logging is configured.

    Attributes
    ----------
    estimator_ : estimator object
        The base estimator the rounds clone (``estimator``, or the default);
        not fitted itself.
    target_shares_ : ndarray of shape (n_steps,)
        Share of the total weight on the labeled target rows at each step.
    source_factors_ : ndarray of shape (n_steps - 1,)
        The ``beta_t`` that moved the weights from each step to the next.
    cv_errors_ : ndarray of shape (n_steps,)
        Cross-validated mean squared error of each step on the labeled target
        rows.
    best_step_ : int
        Index of the chosen step (lowest ``cv_errors_``).
    estimators_ : list of estimators
        Base estimators of the chosen step's AdaBoost.R2' model.
    estimator_weights_ : ndarray of shape (n_estimators,)
        Their vote weights (all rounds vote, as in AdaBoost.R2).
    estimator_errors_ : ndarray of shape (n_estimators,)
        Their weighted mean adjusted loss on the labeled target rows.
    sample_weight_ : ndarray of shape (n_samples,)
        Weight of each training row at the chosen step, in input order, mean 1
        over the rows used and 0 for ignored rows: the source rows the final
        model trusts.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    TrAdaBoostRegressor : One-stage TrAdaBoost.R2.

    Notes
    -----
    Pardoe & Stone do not say how to score the folds; the squared error is
    used here, and ties between steps go to the earlier step (more source).

    Metadata routing: ``sample_weight`` (the initial weights) is consumed
    here and nothing is routed to the base estimator, as in sklearn's
    AdaBoostRegressor. With routing on, request ``sample_weight`` with
    ``set_fit_request(sample_weight=True)``; ``sample_domain`` is requested
    by default.

    References
    ----------
    .. [1] D. Pardoe and P. Stone, "Boosting for Regression Transfer",
       ICML 2010.
    .. [2] H. Drucker, "Improving Regressors using Boosting Techniques",
       ICML 1997.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import TwoStageTrAdaBoostRegressor, stack_domains
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.uniform(-2, 2, size=(200, 1)); ys = Xs[:, 0] ** 2
    >>> Xt = rng.uniform(-2, 2, size=(20, 1)); yt = Xt[:, 0] ** 2 + Xt[:, 0]
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt))
    >>> model = TwoStageTrAdaBoostRegressor(
    ...     n_steps=5, n_estimators=10, cv=3, random_state=0
    ... )
    >>> model = model.fit(X, y, sample_domain=sample_domain)
    >>> model.cv_errors_.shape
    (5,)
    """

    _parameter_constraints = {
        **_REGRESSION_CONSTRAINTS,
        "n_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "cv": ["cv_object"],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_steps=10,
        n_estimators=50,
        cv=5,
        learning_rate=1.0,
        loss="linear",
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.n_steps = n_steps
        self.n_estimators = n_estimators
        self.cv = cv
        self.learning_rate = learning_rate
        self.loss = loss
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _boost_params(self):
        return {
            "n_rounds": self.n_estimators,
            "learning_rate": self.learning_rate,
            "row_losses": partial(regression_loss, kind=self.loss),
        }

    def _report(self, message, *args):
        report_progress(logger, self.verbose, message, *args)

    def _fit(self, data):
        base = self._validate_estimator()
        X, y, is_target, weights, used = self._boosting_rows(data)
        rng = check_random_state(self.random_state)
        if not is_target.any():
            self._fit_without_target(X, y, weights, base, rng, used)
            return self
        n_target = int(is_target.sum())
        if n_target < 2:
            raise ValueError(
                "TwoStageTrAdaBoostRegressor cross-validates on the labeled target "
                f"rows and needs at least 2 of them; got {n_target}. Label more "
                "target rows or use TrAdaBoostRegressor."
            )
        weights = weights / weights.sum()
        step_weights = self._stage_one(X, y, is_target, weights, base, rng)
        self.cv_errors_ = self._stage_two(X, y, is_target, step_weights, base, rng)
        self.best_step_ = int(np.argmin(self.cv_errors_))
        for step, error in enumerate(self.cv_errors_):
            self._report(
                "Two-stage TrAdaBoost.R2 step %d/%d: target share %.4f, "
                "cross-validated MSE %.6g",
                step + 1,
                self.n_steps,
                self.target_shares_[step],
                error,
            )
        self._report("Chosen step: %d", self.best_step_ + 1)
        boosted = adaboost_r2_prime(
            X,
            y,
            is_target,
            step_weights[self.best_step_],
            base,
            rng=rng,
            verbose=self.verbose,
            name="Two-stage TrAdaBoost.R2 refit",
            **self._boost_params(),
        )
        _warn_clipped_rounds(boosted.errors)
        self._set_final_model(boosted, step_weights[self.best_step_], used)
        return self

    def _fit_without_target(self, X, y, weights, base, rng, used):
        """No target rows: AdaBoost.R2 on all rows, one step."""
        all_rows = np.ones(y.shape[0], dtype=bool)
        boosted = adaboost_r2_prime(
            X, y, all_rows, weights, base, rng=rng, verbose=self.verbose,
            name="TwoStageTrAdaBoostRegressor (no target rows: AdaBoost.R2)",
            **self._boost_params(),
        )  # fmt: skip
        _warn_clipped_rounds(boosted.errors)
        self.target_shares_ = np.ones(1)
        self.source_factors_ = np.zeros(0)
        self.cv_errors_ = np.full(1, np.nan)
        self.best_step_ = 0
        self._set_final_model(boosted, weights, used)

    def _set_final_model(self, boosted, step_weights, used):
        self.estimators_ = boosted.estimators
        self.estimator_weights_ = boosted.vote_weights
        self.estimator_errors_ = boosted.errors
        self.sample_weight_ = _spread_weights(step_weights, used)

    def _stage_one(self, X, y, is_target, weights, base, rng):
        """Weights of every step: the source shrinks until the target holds all."""
        self.target_shares_ = _target_share_schedule(
            weights[is_target].sum(), self.n_steps
        )
        row_losses = self._boost_params()["row_losses"]
        step_weights = [weights]
        factors = []
        for share in self.target_shares_[1:]:
            estimator = fit_weighted(
                seeded_clone(base, rng), X, y, weights, rng, stratified=False
            )
            losses = row_losses(estimator, X, y, weights)
            weights, beta = shrink_source_to_share(weights, losses, is_target, share)
            weights = weights / weights.sum()
            step_weights.append(weights)
            factors.append(beta)
            self._report(
                "Two-stage TrAdaBoost.R2 stage one: target share %.4f, beta %.4g",
                share,
                beta,
            )
        self.source_factors_ = np.array(factors)
        return step_weights

    def _stage_two(self, X, y, is_target, step_weights, base, rng):
        """Cross-validated MSE of AdaBoost.R2' at each step, all fits in parallel."""
        target_rows = np.flatnonzero(is_target)
        source_rows = np.flatnonzero(~is_target)
        folds = self._target_folds(target_rows.shape[0], rng)
        _check_target_folds(folds, step_weights[0][target_rows])
        splits = [
            (np.concatenate([source_rows, target_rows[train]]), target_rows[test])
            for train, test in folds
        ]
        n_folds = len(splits)
        seeds = rng.randint(MAX_SEED, size=(len(step_weights), n_folds))
        self._report(
            "Two-stage TrAdaBoost.R2 stage two: %d steps x %d folds of "
            "AdaBoost.R2' with %d rounds each (n_jobs=%s)",
            len(step_weights),
            n_folds,
            self.n_estimators,
            self.n_jobs,
        )
        squared_errors = Parallel(n_jobs=self.n_jobs)(
            delayed(_fold_squared_errors)(
                X, y, is_target, weights, base, train, test, seeds[step, fold],
                self._boost_params(),
            )
            for step, weights in enumerate(step_weights)
            for fold, (train, test) in enumerate(splits)
        )  # fmt: skip
        by_step = [
            squared_errors[start : start + n_folds]
            for start in range(0, len(squared_errors), n_folds)
        ]
        return np.array([np.concatenate(errors).mean() for errors in by_step])

    def _target_folds(self, n_target, rng):
        """(train, test) indices into the labeled target rows."""
        if isinstance(self.cv, numbers.Integral):
            folds = KFold(
                min(self.cv, n_target),
                shuffle=True,
                random_state=rng.randint(MAX_SEED),
            )
        else:
            folds = check_cv(self.cv)
        try:
            return [
                (np.asarray(train), np.asarray(test))
                for train, test in folds.split(np.zeros((n_target, 1)))
            ]
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"cv={self.cv!r} cannot split the {n_target} labeled target rows: "
                f"{error} Pass fewer folds, an int cv (at most one fold per "
                "labeled target row), or label more target rows."
            ) from error

    def predict(self, X):
        """Weighted median of the chosen step's AdaBoost.R2' rounds.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of any domain to predict with the chosen step.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted values.
        """
        X = self._check_X(X)
        return median_prediction(self.estimators_, self.estimator_weights_, X)
