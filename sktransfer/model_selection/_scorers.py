"""Scorers that judge a transfer model on the target domain.

A scorer is called as ``scorer(estimator, X, y, sample_domain=None)`` on a test
fold, like any sklearn scorer, and asks for ``sample_domain`` through metadata
routing, so with routing on ``GridSearchCV`` hands it each fold's domain ids.
With routing off (sklearn's default) the scorer sees only ``X`` and ``y`` and
reads the domains from the labels (see each class).

:class:`TargetScorer` needs target labels and is the direct estimate. The three
others need none: they are proxies for the target score, each trustworthy under
its own assumption, documented with the class.
"""

import functools
import sys

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.dummy import DummyClassifier
from sklearn.metrics import check_scoring
from sklearn.utils import _safe_indexing
from sklearn.utils.metadata_routing import MetadataRequest
from sklearn.utils.validation import _num_samples

from .._callers import scoring_failure_becomes_nan
from .._domain import UNLABELED, check_sample_domain, check_y_given, unlabeled_mask
from .._pipeline import fit_on_domains
from ..metrics import domain_classifier_ratio
from ._split import domains_and_labels


class _FailedScore:
    """Returned instead of raising where sklearn would score the fold NaN.

    sklearn's scoring code catches a scorer's exception and, with
    ``error_score=np.nan`` (the default of ``GridSearchCV`` and
    ``cross_validate``), records NaN with a warning; a failure caused by the
    data then hits every candidate and ``best_params_`` is picked among NaNs.
    A return value that is not a number is refused by sklearn outside that
    ``try``, with a ``ValueError`` quoting this object.
    """

    def __init__(self, message):
        self.message = message

    def __repr__(self):
        return self.message

    __str__ = __repr__


def _raise_in_searches(call):
    """Let a scorer's exception stop sklearn's search instead of becoming NaN."""

    @functools.wraps(call)
    def score(self, *args, **kwargs):
        try:
            return call(self, *args, **kwargs)
        except Exception as error:
            if not scoring_failure_becomes_nan(sys._getframe()):
                raise
            return _FailedScore(
                f"{type(self).__name__} failed ({type(error).__name__}: {error}) - "
                "sktransfer's scorers stop the search rather than let "
                "error_score=nan score the fold NaN, as the failure would leave "
                "best_params_ arbitrary"
            )

    return score


class _DomainScorer:
    """Metadata request (``sample_domain``), ``repr`` and row selection."""

    def get_metadata_routing(self):
        """Request ``sample_domain`` for ``score``, so routing passes each fold's.

        Returns
        -------
        request : MetadataRequest
        """
        request = MetadataRequest(owner=type(self).__name__)
        request.score.add_request(param="sample_domain", alias=True)
        return request

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({arguments})"

    def _source_and_target_rows(self, X, y, sample_domain):
        """Labeled source rows and target rows; domains from the labels if needed."""
        check_y_given(y, type(self).__name__, "it scores on the labeled source rows")
        domains, labeled = domains_and_labels(X, y, None, sample_domain)
        is_target = domains < 0
        source = np.flatnonzero(~is_target & labeled)
        target = np.flatnonzero(is_target)
        if source.shape[0] == 0 or target.shape[0] == 0:
            raise ValueError(
                f"{type(self).__name__} needs labeled source rows and target rows "
                f"in each test fold; got {source.shape[0]} and {target.shape[0]}. "
                "Split with DomainShuffleSplit. Without sample_domain (sklearn's "
                "metadata routing off) target rows are those labeled -1 (NaN); "
                "with target labels, turn routing on so the scorer gets "
                "sample_domain."
            )
        return source, target


def _check_label_count(X, y):
    """``y``, refused unless it holds one label per row of ``X``."""
    if _num_samples(y) != _num_samples(X):
        raise ValueError(
            f"X has {_num_samples(X)} rows but y has {_num_samples(y)} labels; give "
            "one label per row."
        )
    return y


def _score_on_rows(estimator, scoring, X, y, rows, **kwargs):
    scorer = check_scoring(estimator, scoring)
    return scorer(estimator, _safe_indexing(X, rows), _safe_indexing(y, rows), **kwargs)


class TargetScorer(_DomainScorer):
    """Score on the labeled target rows of a fold, and only on them.

    The direct estimate of target performance, for supervised transfer:
    source rows and unlabeled rows of the fold are left out. With
    ``sample_domain`` (routing on) target rows are those with an id ``< 0``;
    without it every labeled row counts as a target row, which is right for
    the test folds of :class:`TargetKFold` and its variants (they hold
    labeled target rows only).

    Parameters
    ----------
    scoring : str, callable or None, default=None
        A sklearn scoring name (``"accuracy"``, ``"roc_auc"``, ...) or scorer
        callable; None uses the estimator's ``score``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sktransfer.model_selection import TargetScorer
    >>> model = DummyClassifier(strategy="constant", constant=1).fit([[0]], [1])
    >>> X, y = np.zeros((4, 1)), np.array([0, 0, 1, 1])
    >>> TargetScorer("accuracy")(model, X, y, sample_domain=[1, 1, -2, -2])
    1.0
    """

    def __init__(self, scoring=None):
        self.scoring = scoring

    @_raise_in_searches
    def __call__(self, estimator, X, y, sample_domain=None):
        """Score ``estimator`` on the labeled target rows of ``X``.

        Parameters
        ----------
        estimator : fitted estimator
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_domain : array-like of int of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        check_y_given(y, "TargetScorer", "it scores on the labeled target rows")
        rows = ~unlabeled_mask(_check_label_count(X, y))
        if sample_domain is not None:
            rows &= check_sample_domain(sample_domain, _num_samples(X)) < 0
        rows = np.flatnonzero(rows)
        if rows.shape[0] == 0:
            raise ValueError(
                "TargetScorer found no labeled target row in this fold. Split with "
                "TargetKFold (or another Target* splitter), or use a label-free "
                "scorer when the target has no labels."
            )
        return float(_score_on_rows(estimator, self.scoring, X, y, rows))


class ImportanceWeightedScorer(_DomainScorer):
    """Importance-weighted validation: source rows weighted by the density ratio.

    Scores the model on the fold's labeled *source* rows, each weighted by
    an estimate of ``p_target(x) / p_source(x)``, so the weighted source
    score estimates the target score (Sugiyama, Krauledat and Müller, 2007).
    The ratio comes from a domain classifier trained on the fold's source and
    target rows (:func:`domain_classifier_ratio`). No target label is used.

    When to trust it: under covariate shift, where the domains differ in
    ``p(x)`` but share ``p(y|x)``, and when the domains overlap, so that the
    weights stay moderate. It is biased when the labelling itself changes
    between domains (no reweighting of source rows can reveal that), and it
    is noisy when the target lies where the source has few rows: then a few
    source rows carry most of the weight, and the scorer warns when the
    weights' effective sample size, ``(sum w)^2 / sum w^2``, falls below
    10 % of the fold's source rows. When the domains do not overlap at all
    (the domain classifier separates them by a wide margin) it refuses with a
    ``ValueError``: no weighting of source rows estimates the target then
    (see :func:`~sktransfer.metrics.domain_classifier_ratio`).

    Inside ``GridSearchCV`` or ``cross_validate``, a failure of the scorer
    stops the search with the reason, instead of scoring the fold NaN
    (sklearn's ``error_score=np.nan``): a failure caused by the data would hit
    every candidate and leave ``best_params_`` arbitrary. The other scorers of
    this module do the same.

    Parameters
    ----------
    scoring : str, callable or None, default=None
        A scorer that accepts ``sample_weight``; None means ``"accuracy"``
        for classifiers and ``"r2"`` otherwise (what their ``score`` gives).
    domain_classifier : classifier with predict_proba, default=None
        Tells source rows from target rows, and gets the fold's rows as they
        are (a DataFrame keeps its columns and dtypes, so a pipeline with a
        ``ColumnTransformer`` can encode categorical columns); None means
        logistic regression on standardized features, which needs numeric
        features.

    References
    ----------
    .. [1] M. Sugiyama, M. Krauledat and K.-R. Müller. Covariate shift
       adaptation by importance weighted cross validation. *JMLR*, 8, 2007.
    .. [2] S. Bickel, M. Brückner and T. Scheffer. Discriminative learning
       under covariate shift. *JMLR*, 10, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.model_selection import ImportanceWeightedScorer
    >>> rng = np.random.RandomState(0)
    >>> Xs, Xt = rng.normal(0, 1, (200, 1)), rng.normal(1, 1, (200, 1))
    >>> ys = (Xs[:, 0] > 0.5).astype(int)
    >>> X, y = np.vstack([Xs, Xt]), np.r_[ys, -np.ones(200, dtype=int)]
    >>> model = LogisticRegression().fit(Xs, ys)
    >>> round(ImportanceWeightedScorer()(model, X, y), 2)
    0.99
    """

    def __init__(self, scoring=None, *, domain_classifier=None):
        self.scoring = scoring
        self.domain_classifier = domain_classifier

    @_raise_in_searches
    def __call__(self, estimator, X, y, sample_domain=None):
        """Importance-weighted score of ``estimator`` on the fold's source rows.

        Parameters
        ----------
        estimator : fitted estimator
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels of the source rows; target rows' labels are not read.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids; None means the rows labeled ``-1`` (``NaN``) are the
            target rows.

        Returns
        -------
        score : float
        """
        source, target = self._source_and_target_rows(X, y, sample_domain)
        weights = domain_classifier_ratio(
            _safe_indexing(X, source),
            _safe_indexing(X, target),
            self.domain_classifier,
        )
        # A scoring name, not the estimator's score: score methods would need
        # sample_weight requested when metadata routing is on.
        scoring = self.scoring
        if scoring is None:
            scoring = "accuracy" if is_classifier(estimator) else "r2"
        return float(
            _score_on_rows(estimator, scoring, X, y, source, sample_weight=weights)
        )


def _unlabeled_markers(n_rows, classifier):
    return np.full(n_rows, UNLABELED if classifier else np.nan)


class ReverseValidationScorer(_DomainScorer):
    """Reverse validation: transfer back from pseudo-labeled target to source.

    The scored model labels the fold's target rows; a reverse model is then
    trained with those target rows and their predicted labels as its source,
    and the fold's source rows (labels hidden) as its target, and it is scored
    on the true source labels (Zhong et al., 2010). A model whose target
    predictions are right lets the reverse model recover the source labels; a
    model that mislabels the target does not. No target label is used.

    The reverse model is a clone of the scored estimator (the same method and
    hyperparameters, so the criterion compares settings of one method), or
    ``reverse_estimator``. Estimators whose ``fit`` takes ``sample_domain``
    get it, with the roles of the domains swapped; any other is fitted on the
    pseudo-labeled target rows only.

    When to trust it: when the labelling is shared between the domains (as
    for importance weighting) and the method can transfer in both directions.
    It costs one extra fit per fold. It is pessimistic for methods whose
    reverse fit has too few rows (small target folds). When the model gives
    every target row one class, the reverse model predicts that class.

    Parameters
    ----------
    scoring : str, callable or None, default=None
        Scoring of the reverse model on the source rows; None uses its
        ``score``.
    reverse_estimator : estimator, default=None
        The reverse model; None clones the scored estimator.

    References
    ----------
    .. [1] E. Zhong, W. Fan, Q. Yang, O. Verscheure and J. Ren. Cross
       validation framework to choose amongst models and datasets for transfer
       learning. *ECML PKDD*, 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.model_selection import ReverseValidationScorer
    >>> rng = np.random.RandomState(0)
    >>> Xs, Xt = rng.normal(0, 1, (200, 2)), rng.normal(1, 1, (200, 2))
    >>> ys = (Xs.sum(axis=1) > 1).astype(int)
    >>> X, y = np.vstack([Xs, Xt]), np.r_[ys, -np.ones(200, dtype=int)]
    >>> model = LogisticRegression().fit(Xs, ys)
    >>> ReverseValidationScorer()(model, X, y) > 0.9
    True
    """

    def __init__(self, scoring=None, *, reverse_estimator=None):
        self.scoring = scoring
        self.reverse_estimator = reverse_estimator

    @_raise_in_searches
    def __call__(self, estimator, X, y, sample_domain=None):
        """Score of the reverse model on the fold's source rows.

        Parameters
        ----------
        estimator : fitted estimator
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids; None means the rows labeled ``-1`` (``NaN``) are the
            target rows.

        Returns
        -------
        score : float
        """
        source, target = self._source_and_target_rows(X, y, sample_domain)
        X_target = _safe_indexing(X, target)
        pseudo_labels = np.asarray(estimator.predict(X_target))
        reverse = clone(
            estimator if self.reverse_estimator is None else self.reverse_estimator
        )
        classifier = is_classifier(reverse)
        if classifier and np.unique(pseudo_labels).shape[0] < 2:
            reverse = DummyClassifier(strategy="constant", constant=pseudo_labels[0])
            reverse.fit(X_target, pseudo_labels)
        else:
            if classifier and pseudo_labels.dtype.kind in "OUS":
                raise TypeError(
                    "ReverseValidationScorer marks the source rows unlabeled with "
                    "-1, which cannot be mixed with string class labels. Encode "
                    "the labels as integers (sklearn.preprocessing.LabelEncoder)."
                )
            rows = np.concatenate([target, source])
            reverse_y = np.concatenate(
                [pseudo_labels, _unlabeled_markers(source.shape[0], classifier)]
            )
            reverse_domain = np.r_[
                np.ones(target.shape[0], dtype=np.int64),
                np.full(source.shape[0], -2, dtype=np.int64),
            ]
            reverse = fit_on_domains(
                reverse, _safe_indexing(X, rows), reverse_y, reverse_domain
            )
        return float(_score_on_rows(reverse, self.scoring, X, y, source))


class PredictionEntropyScorer(_DomainScorer):
    """Minus the mean entropy of the predicted class probabilities on target rows.

    Higher is better: a model sure of its target predictions scores near 0,
    one that gives ``k`` classes equal probability ``-log(k)``. No label is
    used at all.

    When to trust it: only to compare settings of one method whose
    probabilities are comparably calibrated, as a tie-breaker. Confidence is
    not accuracy: a model that is confidently wrong, or that collapses every
    target row onto one class, scores best. Prefer the other scorers when
    their assumptions hold (Morerio, Cavazza and Murino, ICLR 2018, use it
    this way, alongside accuracy checks).

    References
    ----------
    .. [1] P. Morerio, J. Cavazza and V. Murino. Minimal-entropy correlation
       alignment for unsupervised deep domain adaptation. *ICLR*, 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sktransfer.model_selection import PredictionEntropyScorer
    >>> model = DummyClassifier(strategy="prior").fit([[0], [0]], [0, 1])
    >>> X, y = np.zeros((3, 1)), np.array([0, -1, -1])
    >>> round(PredictionEntropyScorer()(model, X, y), 4)  # -log(2)
    -0.6931
    """

    @_raise_in_searches
    def __call__(self, estimator, X, y=None, sample_domain=None):
        """Minus the mean prediction entropy over the target rows of ``X``.

        Parameters
        ----------
        estimator : fitted classifier with predict_proba
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Only read to find the target rows (labeled ``-1``) when
            ``sample_domain`` is None; with neither, every row is a target row.
        sample_domain : array-like of int of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(
                f"PredictionEntropyScorer needs predict_proba; "
                f"{type(estimator).__name__} has none."
            )
        if sample_domain is not None:
            rows = check_sample_domain(sample_domain, _num_samples(X)) < 0
        elif y is not None:
            rows = unlabeled_mask(_check_label_count(X, y))
        else:
            rows = np.ones(_num_samples(X), dtype=bool)
        rows = np.flatnonzero(rows)
        if rows.shape[0] == 0:
            raise ValueError(
                "PredictionEntropyScorer found no target row in this fold (rows "
                "with sample_domain < 0, or labeled -1 when sample_domain is not "
                "given). Split with DomainShuffleSplit."
            )
        proba = estimator.predict_proba(_safe_indexing(X, rows))
        logs = np.log(np.where(proba > 0, proba, 1.0))
        return float(np.mean(np.sum(proba * logs, axis=1)))
