"""Domain-aware cross-validation splitters.

Every splitter reads the domain of each row from ``sample_domain`` (passed by
metadata routing, or directly to ``split``), or, with sklearn's routing off,
from ``groups``: ``GridSearchCV(..., cv=TargetKFold()).fit(X, y, groups=sd,
sample_domain=sd)`` hands ``groups`` to the splitter and ``sample_domain`` to
the estimator. With neither, domains are inferred from the labels as everywhere
in sktransfer: rows carrying the unlabeled marker are target rows, the rest
source rows.
"""

import numbers
from abc import abstractmethod

import numpy as np
from sklearn.model_selection import (
    BaseCrossValidator,
    KFold,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
)
from sklearn.utils.validation import _num_samples

from .._domain import check_domain_data, check_sample_domain

_ROUTING_HINT = (
    "With sklearn's metadata routing on, pass sample_domain to fit; with it off, "
    "pass groups=sample_domain as well (the splitter reads groups)."
)


def domains_and_labels(X, y, groups, sample_domain):
    """Domain id and "is labeled" flag of every row, for a splitter or a scorer.

    ``sample_domain`` wins over ``groups``; both must agree when both are given.
    With neither, target rows are those whose label is the unlabeled marker.
    """
    n_samples = _num_samples(X)
    if sample_domain is not None and groups is not None:
        sample_domain = check_sample_domain(sample_domain, n_samples)
        if not np.array_equal(sample_domain, np.asarray(groups)):
            raise ValueError(
                "sample_domain and groups disagree; the splitter reads the domain "
                "of each row from one of them. Pass the same array to both, or "
                "only one."
            )
    elif sample_domain is None and groups is not None:
        sample_domain = groups
    if sample_domain is None and y is None:
        raise ValueError(
            "A domain-aware splitter needs the domain of each row: pass "
            f"sample_domain, or y with -1 (NaN) on unlabeled target rows. "
            f"{_ROUTING_HINT}"
        )
    data = check_domain_data(
        None,
        X,
        y,
        sample_domain,
        y_required=False,
        multi_output=True,
        validate_X=False,
        need_source=False,
        name="The splitter",
    )
    labeled = np.ones(n_samples, dtype=bool) if y is None else data.labeled
    return data.sample_domain, labeled


class _DomainSplitter(BaseCrossValidator):
    """Shared metadata requests and signature of the domain-aware splitters."""

    __metadata_request__split = {"sample_domain": True, "groups": True}

    def get_n_splits(self, X=None, y=None, groups=None, sample_domain=None):
        """Number of splits.

        Parameters
        ----------
        X, y, groups, sample_domain : object
            Ignored; present for API compatibility.

        Returns
        -------
        n_splits : int
        """
        return self.n_splits

    @abstractmethod
    def split(self, X, y=None, groups=None, sample_domain=None):
        """Yield ``(train, test)`` index arrays."""


class _TargetSplitter(_DomainSplitter):
    """Folds of the labeled target rows; everything else always trains."""

    def _stratified(self):
        return False

    def _partitions(self):
        """Whether the test sets partition the labeled target rows (K-fold)."""
        return False

    @abstractmethod
    def _splitter(self):
        """The sklearn splitter applied to the labeled target rows."""

    def split(self, X, y=None, groups=None, sample_domain=None):
        """Yield ``(train, test)`` indices; test rows are labeled target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (classification) or ``NaN`` (regression) marks
            unlabeled rows, which are never test rows.
        groups : array-like of int of shape (n_samples,), default=None
            Domain ids, read when ``sample_domain`` is None (sklearn's routing
            off hands the splitter only ``groups``).
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids: ``>= 0`` source, ``< 0`` target.

        Yields
        ------
        train : ndarray of int
            Every source row, every unlabeled target row and the labeled
            target rows of the other folds.
        test : ndarray of int
            The labeled target rows of this fold.
        """
        sample_domain, labeled = domains_and_labels(X, y, groups, sample_domain)
        candidates = np.flatnonzero((sample_domain < 0) & labeled)
        if candidates.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} splits the labeled target rows into folds, "
                f"but found {candidates.shape[0]} (target rows have "
                "sample_domain < 0 and a label other than -1/NaN). Without target "
                "labels use DomainShuffleSplit with a label-free scorer. "
                f"{_ROUTING_HINT}"
            )
        n_splits = getattr(self, "n_splits", 2)
        if self._partitions() and candidates.shape[0] < n_splits:
            raise ValueError(
                f"{type(self).__name__}(n_splits={n_splits}) needs at least "
                f"{n_splits} labeled target rows, one per fold; found "
                f"{candidates.shape[0]}. Use fewer folds, or TargetShuffleSplit."
            )
        strata = np.asarray(y)[candidates] if self._stratified() else None
        everything = np.arange(_num_samples(X))
        for _, test_positions in self._splitter().split(candidates, strata):
            test = candidates[test_positions]
            yield np.setdiff1d(everything, test, assume_unique=True), test


class TargetKFold(_TargetSplitter):
    """K-fold over the labeled target rows; source rows always train.

    The cross-validation of supervised transfer: each fold's test set is a
    slice of the labeled target rows, and its training set is everything else:
    all source rows, all unlabeled target rows and the other folds' labeled
    target rows. No test label is ever in training, and every model is scored
    on target rows only.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds; at least 2 and at most the number of labeled target
        rows.
    shuffle : bool, default=False
        Shuffle the labeled target rows before cutting folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffle.

    See Also
    --------
    TargetStratifiedKFold : Folds that keep the target class proportions.
    TargetShuffleSplit : Random target test sets, repeated.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.model_selection import TargetKFold
    >>> X = np.zeros((7, 1))
    >>> y = np.array([0, 1, 0, 1, 0, 1, -1])
    >>> sample_domain = np.array([1, 1, 1, -2, -2, -2, -2])
    >>> for train, test in TargetKFold(3).split(X, y, sample_domain=sample_domain):
    ...     print(train, test)
    [0 1 2 4 5 6] [3]
    [0 1 2 3 5 6] [4]
    [0 1 2 3 4 6] [5]
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def _partitions(self):
        return True

    def _splitter(self):
        return KFold(
            self.n_splits, shuffle=self.shuffle, random_state=self.random_state
        )


class TargetStratifiedKFold(TargetKFold):
    """K-fold over the labeled target rows, keeping their class proportions.

    As :class:`TargetKFold`, with folds stratified by the target labels: the
    right choice for classification with few target labels, where an
    unstratified fold may miss a class.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds; each class needs at least this many labeled target
        rows.
    shuffle : bool, default=False
        Shuffle each class's labeled target rows before cutting folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffle.

    See Also
    --------
    TargetKFold : The unstratified version (regression).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.model_selection import TargetStratifiedKFold
    >>> y = np.array([0, 1, 0, 0, 0, 1, 1])
    >>> sd = np.array([1, 1, -2, -2, -2, -2, -2])
    >>> splits = TargetStratifiedKFold(2).split(y[:, None], y, sample_domain=sd)
    >>> [test.tolist() for _, test in splits]
    [[2, 3, 5], [4, 6]]
    """

    def _stratified(self):
        return True

    def _splitter(self):
        return StratifiedKFold(
            self.n_splits, shuffle=self.shuffle, random_state=self.random_state
        )


class TargetShuffleSplit(_TargetSplitter):
    """Random test sets of labeled target rows, repeated; source rows always train.

    Each split draws ``test_size`` of the labeled target rows as the test set;
    the training set is every other row. More splits than folds of
    :class:`TargetKFold` average out the noise of small target sets.

    Parameters
    ----------
    n_splits : int, default=10
        Number of splits.
    test_size : float or int, default=0.2
        Fraction (float) or number (int) of the labeled target rows in each
        test set.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws.

    See Also
    --------
    TargetStratifiedShuffleSplit : Draws that keep the class proportions.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.model_selection import TargetShuffleSplit
    >>> y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    >>> sample_domain = np.array([1, 1, 1, 1, -2, -2, -2, -2])
    >>> splitter = TargetShuffleSplit(3, test_size=1, random_state=0)
    >>> splits = splitter.split(y[:, None], y, sample_domain=sample_domain)
    >>> [test.tolist() for _, test in splits]
    [[6], [4], [7]]
    """

    def __init__(self, n_splits=10, *, test_size=0.2, random_state=None):
        self.n_splits = n_splits
        self.test_size = test_size
        self.random_state = random_state

    def _splitter(self):
        return ShuffleSplit(
            self.n_splits, test_size=self.test_size, random_state=self.random_state
        )


class TargetStratifiedShuffleSplit(TargetShuffleSplit):
    """Random, class-stratified test sets of labeled target rows, repeated.

    As :class:`TargetShuffleSplit`, each test set keeping the class
    proportions of the labeled target rows.

    Parameters
    ----------
    n_splits : int, default=10
        Number of splits.
    test_size : float or int, default=0.2
        Fraction (float) or number (int) of the labeled target rows in each
        test set; at least one per class.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws.

    See Also
    --------
    TargetShuffleSplit : The unstratified version.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.model_selection import TargetStratifiedShuffleSplit
    >>> y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    >>> sample_domain = np.array([1, 1, 1, 1, -2, -2, -2, -2])
    >>> splitter = TargetStratifiedShuffleSplit(2, test_size=2, random_state=0)
    >>> splits = splitter.split(y[:, None], y, sample_domain=sample_domain)
    >>> [sorted(y[test].tolist()) for _, test in splits]
    [[0, 1], [0, 1]]
    """

    def _stratified(self):
        return True

    def _splitter(self):
        return StratifiedShuffleSplit(
            self.n_splits, test_size=self.test_size, random_state=self.random_state
        )


class DomainShuffleSplit(_DomainSplitter):
    """Random test sets drawn from every domain, for label-free scoring.

    Each split holds out ``test_size`` of the rows of *each* domain (stratified
    by domain id), so a test set holds source rows with their labels and target
    rows: what the label-free scorers
    (:class:`~sktransfer.model_selection.ImportanceWeightedScorer`,
    :class:`~sktransfer.model_selection.ReverseValidationScorer`,
    :class:`~sktransfer.model_selection.PredictionEntropyScorer`) need. Use it
    when the target has no labels; with target labels prefer
    :class:`TargetKFold`, whose scores are direct estimates.

    Parameters
    ----------
    n_splits : int, default=5
        Number of splits.
    test_size : float, default=0.2
        Fraction of each domain's rows in the test set.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.model_selection import DomainShuffleSplit
    >>> y = np.array([0, 1, 0, 1, 0, -1, -1, -1, -1, -1])
    >>> sample_domain = np.array([1, 1, 1, 1, 1, -2, -2, -2, -2, -2])
    >>> splitter = DomainShuffleSplit(1, test_size=0.4, random_state=0)
    >>> train, test = next(splitter.split(y[:, None], y, sample_domain=sample_domain))
    >>> sample_domain[test]
    array([ 1,  1, -2, -2])
    >>> y[test]
    array([ 1,  0, -1, -1])
    """

    def __init__(self, n_splits=5, *, test_size=0.2, random_state=None):
        self.n_splits = n_splits
        self.test_size = test_size
        self.random_state = random_state

    def split(self, X, y=None, groups=None, sample_domain=None):
        """Yield ``(train, test)`` indices, each domain split alike.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,), default=None
            Labels; rows with the unlabeled marker (-1 or NaN) are never test
            rows, and mark the target rows when no domains are given.
        groups : array-like of int of shape (n_samples,), default=None
            Domain ids, read when ``sample_domain`` is None (sklearn's routing
            off hands the splitter only ``groups``).
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids: ``>= 0`` source, ``< 0`` target.

        Yields
        ------
        train, test : ndarray of int
        """
        sample_domain, _ = domains_and_labels(X, y, groups, sample_domain)
        if not np.any(sample_domain < 0) or not np.any(sample_domain >= 0):
            raise ValueError(
                "DomainShuffleSplit needs source rows (sample_domain >= 0) and "
                f"target rows (< 0); got ids {np.unique(sample_domain).tolist()}. "
                f"{_ROUTING_HINT}"
            )
        ids, counts = np.unique(sample_domain, return_counts=True)
        if counts.min() < 2:
            raise ValueError(
                f"DomainShuffleSplit holds out a share of each domain's rows, so "
                f"each domain needs at least 2 rows; domain {ids[counts.argmin()]} "
                "has 1. Give it more rows or merge it with another domain id."
            )
        splitter = StratifiedShuffleSplit(
            self.n_splits, test_size=self.test_size, random_state=self.random_state
        )
        for train, test in splitter.split(sample_domain, sample_domain):
            yield np.sort(train), np.sort(test)


class LeaveOneDomainOut(_DomainSplitter):
    """Hold out each domain's labeled rows in turn.

    With several domains, split ``k`` tests on the labeled rows of the
    ``k``-th held-out domain and trains on every other row: all rows of the
    other domains, and the held-out domain's *unlabeled* rows, which carry no
    label to leak and which unsupervised transfer methods need as target rows.
    Holding out each target domain in turn (the default) measures how a
    method transfers to a target it has no labels of; holding out source
    domains measures how a model trained on the others generalizes to an
    unseen domain.

    Parameters
    ----------
    domains : {"target", "source", "all"}, default="target"
        Which domains are held out in turn; those without labeled rows are
        skipped.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.model_selection import LeaveOneDomainOut
    >>> y = np.array([0, 1, 0, 1, -1, 0, 1])
    >>> sample_domain = np.array([1, 1, -2, -2, -2, -3, -3])
    >>> splits = LeaveOneDomainOut().split(y[:, None], y, sample_domain=sample_domain)
    >>> for train, test in splits:
    ...     print(train, test)
    [0 1 4 5 6] [2 3]
    [0 1 2 3 4] [5 6]
    """

    def __init__(self, domains="target"):
        self.domains = domains

    def _held_out(self, sample_domain, labeled):
        kinds = {
            "target": sample_domain < 0,
            "source": sample_domain >= 0,
            "all": np.ones_like(labeled),
        }
        if self.domains not in kinds:
            raise ValueError(
                f"domains must be one of {sorted(kinds)}; got {self.domains!r}."
            )
        ids = np.unique(sample_domain[kinds[self.domains] & labeled])
        if ids.shape[0] == 0:
            raise ValueError(
                f"LeaveOneDomainOut(domains={self.domains!r}) found no domain of "
                "that kind with labeled rows to test on. "
                f"{_ROUTING_HINT}"
            )
        # Targets first in the order -2, -3, ...; then sources 0, 1, ...
        return sorted(ids.tolist(), key=lambda i: (i >= 0, abs(i)))

    def get_n_splits(self, X=None, y=None, groups=None, sample_domain=None):
        """Number of held-out domains (needs the data, as ``split`` does).

        Raises the error ``split`` raises when no domain can be held out
        (rather than returning 0, which sklearn would take for no split).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,), default=None
            Labels; rows with the unlabeled marker (-1 or NaN) are never test
            rows, and mark the target rows when no domains are given.
        groups : array-like of int of shape (n_samples,), default=None
            Domain ids, read when ``sample_domain`` is None (sklearn's routing
            off hands the splitter only ``groups``).
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids: ``>= 0`` source, ``< 0`` target.

        Returns
        -------
        n_splits : int
        """
        if X is None:
            raise ValueError(
                "LeaveOneDomainOut.get_n_splits needs X (and the domains) to count "
                "the domains."
            )
        sample_domain, labeled = domains_and_labels(X, y, groups, sample_domain)
        return len(self._held_out(sample_domain, labeled))

    def split(self, X, y=None, groups=None, sample_domain=None):
        """Yield ``(train, test)`` indices, one split per held-out domain.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of every domain.
        y : array-like of shape (n_samples,), default=None
            Labels; rows with the unlabeled marker (-1 or NaN) are never test
            rows, and mark the target rows when no domains are given.
        groups : array-like of int of shape (n_samples,), default=None
            Domain ids, read when ``sample_domain`` is None (sklearn's routing
            off hands the splitter only ``groups``).
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids: ``>= 0`` source, ``< 0`` target.

        Yields
        ------
        train, test : ndarray of int
        """
        sample_domain, labeled = domains_and_labels(X, y, groups, sample_domain)
        for domain_id in self._held_out(sample_domain, labeled):
            test_mask = (sample_domain == domain_id) & labeled
            yield np.flatnonzero(~test_mask), np.flatnonzero(test_mask)


def check_domain_cv(cv, classifier, random_state=None):
    """A splitter from ``cv``: an int gives target (stratified) K-fold.

    Parameters
    ----------
    cv : int or cross-validation splitter
        An int ``k`` gives ``TargetStratifiedKFold(k, shuffle=True)`` for
        classifiers and ``TargetKFold(k, shuffle=True)`` otherwise.
    classifier : bool
        Whether the estimator is a classifier.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffle of an int ``cv``.
    """
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        kind = TargetStratifiedKFold if classifier else TargetKFold
        return kind(int(cv), shuffle=True, random_state=random_state)
    if not hasattr(cv, "split"):
        raise TypeError(
            f"cv must be an int or a splitter with a split method; got {cv!r}."
        )
    return cv
