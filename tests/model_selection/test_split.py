import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate

from sktransfer import LabeledOnly, stack_domains
from sktransfer.model_selection import (
    DomainShuffleSplit,
    LeaveOneDomainOut,
    TargetKFold,
    TargetScorer,
    TargetShuffleSplit,
    TargetStratifiedKFold,
    TargetStratifiedShuffleSplit,
)

TARGET_SPLITTERS = [
    TargetKFold(4),
    TargetKFold(4, shuffle=True, random_state=0),
    TargetStratifiedKFold(4),
    TargetStratifiedKFold(4, shuffle=True, random_state=1),
    TargetShuffleSplit(6, test_size=0.25, random_state=0),
    TargetStratifiedShuffleSplit(6, test_size=0.25, random_state=0),
]


def _domains(n_source=30, n_labeled=16, n_unlabeled=10, seed=0):
    """Rows whose first column is their index, so a fit can report what it saw."""
    rng = np.random.RandomState(seed)
    ys = np.tile([0, 1], n_source // 2)
    yt = np.r_[np.tile([0, 1], n_labeled // 2), -np.ones(n_unlabeled, dtype=int)]
    Xs, Xt = rng.normal(size=(n_source, 2)), rng.normal(size=(yt.shape[0], 2))
    X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt))
    X[:, 0] = np.arange(X.shape[0])
    return X, y, sample_domain


@pytest.mark.parametrize("splitter", TARGET_SPLITTERS, ids=repr)
def test_target_splitters_test_on_labeled_target_rows_and_always_train_on_source(
    splitter,
):
    X, y, sample_domain = _domains()
    labeled_target = np.flatnonzero((sample_domain < 0) & (y != -1))
    always_train = np.flatnonzero((sample_domain >= 0) | (y == -1))
    splits = list(splitter.split(X, y, sample_domain=sample_domain))
    assert len(splits) == splitter.get_n_splits()
    for train, test in splits:
        assert np.isin(test, labeled_target).all()
        assert np.intersect1d(train, test).size == 0
        assert np.isin(always_train, train).all()
        assert_array_equal(np.union1d(train, test), np.arange(X.shape[0]))


@pytest.mark.parametrize("splitter", TARGET_SPLITTERS[:4], ids=repr)
def test_target_kfold_tests_every_labeled_target_row_once(splitter):
    X, y, sample_domain = _domains()
    tests = np.concatenate(
        [test for _, test in splitter.split(X, y, sample_domain=sample_domain)]
    )
    labeled_target = np.flatnonzero((sample_domain < 0) & (y != -1))
    assert_array_equal(np.sort(tests), labeled_target)


@pytest.mark.parametrize(
    "splitter",
    [TargetStratifiedKFold(4), TargetStratifiedShuffleSplit(5, test_size=4)],
    ids=repr,
)
def test_stratified_target_splitters_keep_class_proportions(splitter):
    X, y, sample_domain = _domains()
    for _, test in splitter.split(X, y, sample_domain=sample_domain):
        assert_array_equal(np.bincount(y[test]), [2, 2])


def test_shuffled_splits_are_seeded():
    X, y, sample_domain = _domains()
    for make in (
        lambda seed: TargetKFold(4, shuffle=True, random_state=seed),
        lambda seed: TargetShuffleSplit(3, random_state=seed),
        lambda seed: DomainShuffleSplit(3, random_state=seed),
    ):
        first, again, other = (
            [test for _, test in make(s).split(X, y, sample_domain=sample_domain)]
            for s in (0, 0, 1)
        )
        assert all(np.array_equal(a, b) for a, b in zip(first, again))
        assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_groups_are_read_as_domains_with_routing_off():
    X, y, sample_domain = _domains()
    by_domain = list(TargetKFold(4).split(X, y, sample_domain=sample_domain))
    by_groups = list(TargetKFold(4).split(X, y, groups=sample_domain))
    for (train_a, test_a), (train_b, test_b) in zip(by_domain, by_groups):
        assert_array_equal(train_a, train_b)
        assert_array_equal(test_a, test_b)


def test_groups_and_sample_domain_must_agree():
    X, y, sample_domain = _domains()
    with pytest.raises(ValueError, match="disagree"):
        next(
            TargetKFold(4).split(
                X, y, groups=-sample_domain, sample_domain=sample_domain
            )
        )


def test_without_domains_labeled_rows_are_source_so_target_folds_are_empty():
    X, y, _ = _domains()
    with pytest.raises(ValueError, match="found 0.*groups=sample_domain"):
        next(TargetKFold(4).split(X, y))
    with pytest.raises(ValueError, match="needs the domain of each row"):
        next(TargetKFold(4).split(X))


def test_too_few_labeled_target_rows():
    X, y, sample_domain = _domains(n_labeled=0)
    with pytest.raises(ValueError, match="labeled target rows.*DomainShuffleSplit"):
        next(TargetStratifiedKFold(2).split(X, y, sample_domain=sample_domain))


def test_domain_shuffle_split_holds_out_a_share_of_every_domain():
    X, y, sample_domain = _domains(n_source=40, n_labeled=0, n_unlabeled=20)
    splitter = DomainShuffleSplit(4, test_size=0.25, random_state=0)
    for train, test in splitter.split(X, y, sample_domain=sample_domain):
        assert np.intersect1d(train, test).size == 0
        assert (sample_domain[test] >= 0).sum() == 10
        assert (sample_domain[test] < 0).sum() == 5
        assert_array_equal(test, np.sort(test))


def test_domain_shuffle_split_infers_target_rows_from_labels():
    X, y, sample_domain = _domains(n_labeled=0)
    inferred = list(DomainShuffleSplit(2, random_state=0).split(X, y))
    given = list(
        DomainShuffleSplit(2, random_state=0).split(X, y, sample_domain=sample_domain)
    )
    for (_, test_a), (_, test_b) in zip(inferred, given):
        assert_array_equal(test_a, test_b)


def test_domain_shuffle_split_needs_both_kinds():
    X, y, sample_domain = _domains(n_labeled=0)
    labeled = np.where(y == -1, 0, y)  # every row a labeled source row
    with pytest.raises(ValueError, match="needs source rows.*and target rows"):
        next(
            DomainShuffleSplit().split(X, labeled, sample_domain=np.abs(sample_domain))
        )
    # Unlabeled rows declared source break the convention, and are named.
    with pytest.raises(ValueError, match="source rows .* carry the unlabeled marker"):
        next(DomainShuffleSplit().split(X, y, sample_domain=np.abs(sample_domain)))


def _three_domains():
    y = np.array([0, 1, 0, 1, 0, 1, -1, 0, 1, 1, -1])
    sample_domain = np.array([1, 1, 2, 2, -2, -2, -2, -3, -3, -3, -3])
    return np.arange(y.shape[0])[:, None], y, sample_domain


def test_leave_one_domain_out_holds_out_each_target_domain():
    X, y, sample_domain = _three_domains()
    splits = list(LeaveOneDomainOut().split(X, y, sample_domain=sample_domain))
    assert LeaveOneDomainOut().get_n_splits(X, y, sample_domain=sample_domain) == 2
    assert [test.tolist() for _, test in splits] == [[4, 5], [7, 8, 9]]
    # The held-out domain's unlabeled row trains; no held-out label does.
    assert 6 in splits[0][0]
    assert 10 in splits[1][0]
    for train, test in splits:
        assert np.intersect1d(train, test).size == 0
        assert set(train) | set(test) == set(range(11))


def test_leave_one_domain_out_over_sources_and_all():
    X, y, sample_domain = _three_domains()
    sources = LeaveOneDomainOut("source").split(X, y, groups=sample_domain)
    assert [test.tolist() for _, test in sources] == [[0, 1], [2, 3]]
    every = list(LeaveOneDomainOut("all").split(X, y, sample_domain=sample_domain))
    assert [sorted(set(sample_domain[test])) for _, test in every] == [
        [-2],
        [-3],
        [1],
        [2],
    ]


def test_leave_one_domain_out_errors():
    X, y, sample_domain = _three_domains()
    with pytest.raises(ValueError, match="domains must be one of"):
        next(LeaveOneDomainOut("targets").split(X, y, sample_domain=sample_domain))
    with pytest.raises(ValueError, match="no domain of that kind"):
        next(LeaveOneDomainOut().split(X, np.where(sample_domain < 0, -1, y)))
    with pytest.raises(ValueError, match="needs X"):
        LeaveOneDomainOut().get_n_splits()


class _RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Records the row ids (first column) it was fitted on with a label."""

    seen = []

    def fit(self, X, y, sample_domain=None):
        labeled = np.asarray(y) != -1
        type(self).seen.append(set(np.asarray(X)[labeled, 0].astype(int)))
        self.classes_ = np.unique(np.asarray(y)[labeled])
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


@pytest.mark.parametrize("routing", [False, True])
def test_no_test_label_reaches_training_in_grid_search(routing):
    X, y, sample_domain = _domains()
    _RecordingClassifier.seen = []
    cv = TargetStratifiedKFold(4)
    folds = list(cv.split(X, y, sample_domain=sample_domain))
    estimator = _RecordingClassifier()
    with config_context(enable_metadata_routing=routing):
        if routing:
            estimator.set_fit_request(sample_domain=True)
            params = {"sample_domain": sample_domain}
        else:
            params = {"groups": sample_domain}
        search = GridSearchCV(estimator, {}, cv=cv, refit=False)
        search.fit(X, y, **params)
    assert len(_RecordingClassifier.seen) == len(folds)
    for seen, (_, test) in zip(_RecordingClassifier.seen, folds):
        assert seen.isdisjoint(test)
        assert set(np.flatnonzero(sample_domain >= 0)) <= seen


@pytest.mark.parametrize("routing", [False, True])
def test_cross_validate_target_only_baseline(routing):
    X, y, sample_domain = _domains(n_labeled=20)
    model = LabeledOnly(LogisticRegression(), domains="target")
    with config_context(enable_metadata_routing=routing):
        kwargs = (
            {"params": {"sample_domain": sample_domain}}
            if routing
            else {"groups": sample_domain, "params": {"sample_domain": sample_domain}}
        )
        result = cross_validate(
            model,
            X,
            y,
            cv=TargetStratifiedKFold(5),
            scoring=TargetScorer("accuracy"),
            return_estimator=True,
            **kwargs,
        )
    assert result["test_score"].shape == (5,)
    # Each fold trains on the 16 labeled target rows outside its test fold.
    assert [e.n_training_rows_ for e in result["estimator"]] == [16] * 5


def test_splitters_request_sample_domain_and_groups():
    for splitter in [*TARGET_SPLITTERS, DomainShuffleSplit(), LeaveOneDomainOut()]:
        requests = splitter.get_metadata_routing().split.requests
        assert requests == {"groups": True, "sample_domain": True}


# -- bad input ---------------------------------------------------------------------


def test_leave_one_domain_out_counts_no_splits_only_by_refusing():
    X, y, sample_domain = _three_domains()
    assert LeaveOneDomainOut().get_n_splits(X, y, sample_domain=sample_domain) == 2
    # Without domains every labeled row is source: no target domain to hold
    # out. get_n_splits says so as split does, instead of returning 0.
    with pytest.raises(ValueError, match="no domain of that kind"):
        LeaveOneDomainOut().get_n_splits(X, np.abs(y))


@pytest.mark.parametrize(
    "splitter",
    [*TARGET_SPLITTERS, DomainShuffleSplit(2), LeaveOneDomainOut()],
    ids=lambda s: type(s).__name__,
)
def test_every_splitter_refuses_labels_of_the_wrong_length(splitter):
    X, y, sample_domain = _domains()
    with pytest.raises(ValueError, match=r"X has 56 rows but y has 55 labels"):
        next(splitter.split(X, y[:-1], sample_domain=sample_domain))


def test_target_kfold_needs_a_labeled_target_row_per_fold():
    X, y, sample_domain = _domains(n_labeled=4)
    for splitter in (TargetKFold(5), TargetStratifiedKFold(5)):
        with pytest.raises(ValueError, match="at least 5 labeled target rows"):
            next(splitter.split(X, y, sample_domain=sample_domain))


def test_domain_shuffle_split_needs_two_rows_per_domain():
    X, y, sample_domain = _domains(n_labeled=0, n_unlabeled=1)
    with pytest.raises(ValueError, match="domain -2 has 1"):
        next(DomainShuffleSplit(2).split(X, y, sample_domain=sample_domain))
