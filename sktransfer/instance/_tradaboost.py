"""TrAdaBoost: boosting that down-weights the source rows the target disagrees with."""

import logging
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from .._domain import (
    check_source_labeled,
    require_domains,
    resolve_sample_domain,
    unlabeled_mask,
)

logger = logging.getLogger(__name__)

# Target errors are clipped into [_MIN_ERROR, 0.5 - _MIN_ERROR]: see _clip_error.
_MIN_ERROR = 1e-10


def _clip_error(error):
    """Keep the round's target error inside (0, 1/2), where the paper's rule holds.

    At 0 the vote weight ln(1/beta_t) is infinite; at 1/2 or more the target
    update would shrink the weights of misclassified target rows. Clipping gives
    a perfect round a large finite vote and a round at or beyond chance a vote
    of almost zero, with no change to the target weights.
    """
    return float(np.clip(error, _MIN_ERROR, 0.5 - _MIN_ERROR))


def _resample_by_weight(y, weights, rng):
    """Row indices drawn by weight, stratified so that no class disappears.

    Each class gets ``round(n * its total weight)`` draws (at least one), drawn
    with replacement in proportion to the weights of its rows.
    """
    n_rows = y.shape[0]
    indices = []
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        mass = weights[rows].sum()
        n_draws = max(1, int(round(n_rows * mass / weights.sum())))
        if mass > 0:
            probabilities = weights[rows] / mass
        else:
            probabilities = np.full(rows.shape[0], 1.0 / rows.shape[0])
        indices.append(rng.choice(rows, size=n_draws, p=probabilities))
    return np.concatenate(indices)


def _fit_weighted(estimator, X, y, weights, rng):
    """Fit with weights on sklearn's scale (mean 1), resampling when unsupported."""
    if has_fit_parameter(estimator, "sample_weight"):
        return estimator.fit(X, y, sample_weight=weights * (y.shape[0] / weights.sum()))
    rows = _resample_by_weight(y, weights, rng)
    return estimator.fit(X[rows], y[rows])


def _set_random_state(estimator, seed):
    if "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    return estimator


class TrAdaBoostClassifier(ClassifierMixin, BaseEstimator):
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
        update and the vote. ``1.0`` is the paper's algorithm.
    correct_weight_drift : bool, default=False
        Multiply the source weights by ``C_t = 2 (1 - error_t)`` each round
        (Al-Stouhi & Reddy, 2011), which stops the source weights from
        draining to the target faster than the paper's analysis assumes.
    random_state : int, RandomState instance or None, default=None
        Seeds the base estimators (one derived seed per round) and the
        resampling path.
    verbose : int, default=0
        Log each round's target error and weights (logger ``sktransfer``) when
        positive.

    Attributes
    ----------
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

    Multiclass: the error and updates use the 0/1 loss and the vote is a
    weighted plurality, as in AdaBoost.M1 (Freund & Schapire, 1997); with two
    classes this is exactly the paper's rule (ties go to ``classes_[1]``).

    References
    ----------
    .. [1] W. Dai, Q. Yang, G.-R. Xue and Y. Yu, "Boosting for Transfer
       Learning", ICML 2007.
    .. [2] S. Al-Stouhi and C. K. Reddy, "Adaptive Boosting for Transfer
       Learning using Dynamic Updates", ECML PKDD 2011.
    .. [3] Y. Freund and R. E. Schapire, "A Decision-Theoretic Generalization
       of On-Line Learning and an Application to Boosting", Journal of
       Computer and System Sciences 55(1), 1997.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import TrAdaBoostClassifier, stack_domains
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(200, 2)); ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(size=(20, 2)); yt = (Xt[:, 0] + Xt[:, 1] > 0).astype(int)
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt))
    >>> model = TrAdaBoostClassifier(n_estimators=10, random_state=0)
    >>> model = model.fit(X, y, sample_domain=sample_domain)
    >>> model.predict(Xt[:3]).shape
    (3,)
    """

    __metadata_request__fit = {"sample_domain": True}

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "n_estimators": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "correct_weight_drift": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_estimators=50,
        learning_rate=1.0,
        correct_weight_drift=False,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.correct_weight_drift = correct_weight_drift
        self.random_state = random_state
        self.verbose = verbose

    def _base_estimator(self):
        if self.estimator is None:
            return DecisionTreeClassifier(max_depth=1)
        return self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_domain=None, sample_weight=None):
        """Boost on the source rows and the labeled target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks unlabeled target rows, which are ignored.
        sample_domain : array-like of int of shape (n_samples,), default=None
            ``>= 0`` source, ``< 0`` target. ``None`` infers it from the
            labels: ``-1`` rows are target, the rest source.
        sample_weight : array-like of shape (n_samples,), default=None
            Initial weights (uniform when None).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=None,
            ensure_all_finite=False,
        )
        check_classification_targets(y)
        sample_domain = resolve_sample_domain(
            y, sample_domain, X.shape[0], task="classification"
        )
        require_domains(sample_domain, source=True, method="TrAdaBoostClassifier")
        check_source_labeled(y, sample_domain, task="classification")
        used = ~unlabeled_mask(y, task="classification")
        is_target = sample_domain < 0
        if is_target.any() and not (is_target & used).any():
            raise ValueError(
                "TrAdaBoostClassifier needs labeled target rows (sample_domain < 0 "
                "with a real label); every target row is unlabeled (-1). Label a few "
                "target rows, or use a method for unlabeled targets."
            )
        weights = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if np.any(weights < 0) or not weights[used].sum() > 0:
            raise ValueError("sample_weight must be non-negative with a positive sum.")
        rows = np.flatnonzero(used)
        self.classes_ = np.unique(y[rows])
        if self.classes_.shape[0] < 2:
            raise ValueError(
                "TrAdaBoostClassifier needs at least 2 classes among the labeled "
                f"rows; got one class: {self.classes_.tolist()}."
            )
        final = self._boost(
            X[rows],
            y[rows],
            is_target[rows],
            weights[rows],
            check_random_state(self.random_state),
        )
        self.sample_weight_ = np.zeros(X.shape[0])
        self.sample_weight_[rows] = final * (rows.shape[0] / final.sum())
        return self

    def _boost(self, X, y, is_target, weights, rng):
        """Run the rounds; return the final weights of the rows used."""
        no_target = not is_target.any()
        if no_target:
            is_target = np.ones_like(is_target)
        is_source = ~is_target
        n_source = int(is_source.sum())
        n_rounds = self.n_estimators
        self.source_factor_ = (
            1.0 / (1.0 + np.sqrt(2.0 * np.log(n_source) / n_rounds))
            if n_source
            else 1.0
        )
        self._votes_every_round = no_target
        self.voting_start_ = self._first_voting_round(n_rounds)
        self.estimators_ = []
        self.estimator_weights_ = np.zeros(n_rounds)
        self.estimator_errors_ = np.zeros(n_rounds)
        seeds = rng.randint(np.iinfo(np.int32).max, size=n_rounds)
        for round_ in range(n_rounds):
            estimator = _set_random_state(clone(self._base_estimator()), seeds[round_])
            _fit_weighted(estimator, X, y, weights, rng)
            wrong = (estimator.predict(X) != y).astype(float)
            target_weights = weights[is_target]
            error = float(target_weights @ wrong[is_target] / target_weights.sum())
            bounded_error = _clip_error(error)
            log_factor = self.learning_rate * np.log(
                (1.0 - bounded_error) / bounded_error
            )
            weights = weights.copy()
            weights[is_target] *= np.exp(log_factor * wrong[is_target])
            weights[is_source] *= self.source_factor_ ** wrong[is_source]
            if self.correct_weight_drift:
                weights[is_source] *= 2.0 * (1.0 - bounded_error)
            weights /= weights.sum()
            self.estimators_.append(estimator)
            self.estimator_weights_[round_] = log_factor
            self.estimator_errors_[round_] = error
            if self.verbose:
                logger.info(
                    "TrAdaBoost round %d/%d: target error %.4f, vote weight %.4f, "
                    "source weight share %.4f",
                    round_ + 1,
                    n_rounds,
                    error,
                    log_factor,
                    weights[is_source].sum(),
                )
        perfect = int(np.sum(self.estimator_errors_ < _MIN_ERROR))
        at_chance = int(np.sum(self.estimator_errors_ > 0.5 - _MIN_ERROR))
        if perfect or at_chance:
            warnings.warn(
                f"Target error clipped into (0, 1/2) in {perfect + at_chance} of "
                f"{n_rounds} rounds: {perfect} fit every labeled target row (large "
                f"finite vote), {at_chance} were at or below chance on the target "
                "(almost no vote, no target update). A simpler base estimator or "
                "more labeled target rows avoid this.",
                UserWarning,
                stacklevel=3,
            )
        return weights

    def _first_voting_round(self, n_rounds):
        """0-based index of the paper's ceil(N/2)-th round; 0 without targets."""
        return 0 if self._votes_every_round else int(np.ceil(n_rounds / 2)) - 1

    def _votes(self, X, start, stop):
        """Weighted vote share of each class over rounds [start, stop)."""
        votes = np.zeros((X.shape[0], self.classes_.shape[0]))
        for estimator, weight in zip(
            self.estimators_[start:stop], self.estimator_weights_[start:stop]
        ):
            predicted = np.searchsorted(self.classes_, estimator.predict(X))
            votes[np.arange(X.shape[0]), predicted] += weight
        return votes / self.estimator_weights_[start:stop].sum()

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=None,
            ensure_all_finite=False,
            reset=False,
        )

    def _predict_from_votes(self, votes):
        if self.classes_.shape[0] == 2:
            # The paper's rule: class 1 when its weighted vote is at least half.
            return self.classes_[(votes[:, 1] >= votes[:, 0]).astype(int)]
        return self.classes_[np.argmax(votes, axis=1)]

    def predict_proba(self, X):
        """Weighted vote share of each class over the voting rounds.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._check_X(X)
        return self._votes(X, self.voting_start_, len(self.estimators_))

    def decision_function(self, X):
        """Vote margin: ``P(classes_[1]) - P(classes_[0])`` for two classes.

        For more classes, the vote share of each class (as ``predict_proba``).
        """
        proba = self.predict_proba(X)
        if self.classes_.shape[0] == 2:
            return proba[:, 1] - proba[:, 0]
        return proba

    def predict(self, X):
        """Class of each row by the weighted vote of the voting rounds."""
        return self._predict_from_votes(self.predict_proba(X))

    def staged_predict(self, X):
        """Predictions after each round, as if boosting had stopped there.

        After round ``t`` the vote uses rounds ``ceil(t/2)`` to ``t`` (all
        rounds when there were no target rows), as the final model does.

        Yields
        ------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        for stop in range(1, len(self.estimators_) + 1):
            start = self._first_voting_round(stop)
            yield self._predict_from_votes(self._votes(X, start, stop))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = get_tags(self._base_estimator()).input_tags
        tags.input_tags.sparse = base.sparse
        tags.input_tags.allow_nan = base.allow_nan
        return tags
