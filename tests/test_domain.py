"""The sample_domain convention: masks, validation, stacking and splitting."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from sktransfer import split_domains, stack_domains
from sktransfer._domain import (
    check_sample_domain,
    check_source_labeled,
    infer_sample_domain,
    require_domains,
    resolve_sample_domain,
    unlabeled_mask,
)

# -- masks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "task", "expected"),
    [
        ([0, 1, -1, 2], None, [0, 0, 1, 0]),
        ([0.0, 1.0, -1.0], None, [0, 0, 1]),
        ([0.5, -1.0, 2.25], None, [0, 0, 0]),  # continuous: -1.0 is a value
        ([0.5, np.nan, -1.0], None, [0, 1, 0]),
        ([0.5, np.nan, -1.0], "regression", [0, 1, 0]),
        ([3, -1, 3], "regression", [0, 0, 0]),
        (["a", "b"], None, [0, 0]),
        (np.array(["a", -1], dtype=object), None, [0, 1]),
        ([True, False], None, [0, 0]),
        ([[0, 1], [-1, 0], [1, 1]], None, [0, 1, 0]),
        (pd.Series([1, -1]), None, [0, 1]),
    ],
)
def test_unlabeled_mask(y, task, expected):
    assert_array_equal(unlabeled_mask(y, task), np.asarray(expected, dtype=bool))


def test_unlabeled_mask_errors():
    with pytest.raises(ValueError, match="mixes the two unlabeled markers"):
        unlabeled_mask([0.0, 1.0, np.nan, -1.0])
    with pytest.raises(ValueError, match="Classification labels contain 1 NaN"):
        unlabeled_mask([0.0, np.nan], task="classification")
    with pytest.raises(ValueError, match="task must be one of"):
        unlabeled_mask([0, 1], task="ranking")
    with pytest.raises(ValueError, match="1-d or 2-d"):
        unlabeled_mask(np.zeros((2, 2, 2)))


# -- sample_domain validation and inference ------------------------------------


def test_check_sample_domain_accepts_integer_ids():
    out = check_sample_domain(pd.Series([1, 1, -2], dtype="int32"), 3)
    assert out.dtype == np.int64
    assert_array_equal(out, [1, 1, -2])


@pytest.mark.parametrize(
    ("sample_domain", "error", "match"),
    [
        ([1.0, -2.0, 1.0], TypeError, "integer domain ids"),
        (["s", "t", "t"], TypeError, "integer domain ids"),
        ([True, False, True], TypeError, "integer domain ids"),
        ([1, -2], ValueError, "has 2 entries but X has 3 rows"),
        ([[1, -2, 1]], ValueError, "must be 1-d"),
    ],
)
def test_check_sample_domain_errors(sample_domain, error, match):
    with pytest.raises(error, match=match):
        check_sample_domain(sample_domain, 3)


def test_infer_and_resolve_sample_domain():
    assert_array_equal(infer_sample_domain([0, -1, 1]), [1, -2, 1])
    assert_array_equal(infer_sample_domain([0.5, np.nan]), [1, -2])
    assert_array_equal(resolve_sample_domain(None, None, 3), [1, 1, 1])
    assert_array_equal(resolve_sample_domain([0, -1], [3, -5], 2), [3, -5])
    assert_array_equal(resolve_sample_domain([0, -1], None, 2), [1, -2])
    with pytest.raises(ValueError, match="needs labels"):
        infer_sample_domain(None)


def test_require_domains_and_source_labels():
    require_domains([1, -2], source=True, target=True)
    with pytest.raises(ValueError, match="needs target rows"):
        require_domains([1, 1], target=True, method="KMM")
    with pytest.raises(ValueError, match="needs source rows"):
        require_domains([-2, -2])
    check_source_labeled([0, 1, -1], [1, 1, -2])
    with pytest.raises(ValueError, match="1 source rows .* carry the unlabeled"):
        check_source_labeled([0, -1, -1], [1, 1, -2])


# -- stack_domains ---------------------------------------------------------------


def _pair(n, n_features=3, seed=0, labels=(0, 1)):
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, n_features)), rng.choice(labels, size=n)


def test_stack_one_source_one_unlabeled_target():
    Xs, ys = _pair(4)
    Xt, _ = _pair(3, seed=1)
    X, y, sample_domain = stack_domains(source=(Xs, ys), target=Xt)
    assert_array_equal(X, np.vstack([Xs, Xt]))
    assert_array_equal(y, np.r_[ys, [-1, -1, -1]])
    assert_array_equal(sample_domain, [1] * 4 + [-2] * 3)


def test_stack_several_domains_and_custom_ids():
    pairs = [_pair(3, seed=i) for i in range(4)]
    _, _, sample_domain = stack_domains(source=pairs[:2], target=pairs[2:])
    assert_array_equal(np.unique(sample_domain), [-3, -2, 1, 2])
    _, _, custom = stack_domains(
        source={0: pairs[0], 7: pairs[1]}, target={-9: pairs[2]}
    )
    assert_array_equal(custom, [0] * 3 + [7] * 3 + [-9] * 3)


def test_stack_regression_marks_nan():
    Xs, _ = _pair(5)
    ys = np.linspace(-1.3, 2.7, 5)
    X, y, _ = stack_domains(source=(Xs, ys), target=(Xs[:2], None))
    assert np.isnan(y[5:]).all()
    assert_array_equal(y[:5], ys)


def test_stack_keeps_dataframes_and_sparse():
    Xs, ys = _pair(4)
    frame = pd.DataFrame(Xs, columns=["a", "b", "c"])
    X, _, _ = stack_domains(source=(frame, ys), target=(frame.iloc[:2], None))
    assert isinstance(X, pd.DataFrame)
    assert list(X.columns) == ["a", "b", "c"]
    assert X.shape == (6, 3)
    X, _, _ = stack_domains(source=(sp.csr_matrix(Xs), ys), target=sp.csr_matrix(Xs))
    assert sp.issparse(X)
    assert X.shape == (8, 3)


def test_stack_string_labels_without_masks():
    Xs, _ = _pair(2)
    X, y, _ = stack_domains(source=(Xs, ["cat", "dog"]), target=(Xs, ["dog", "dog"]))
    assert list(y) == ["cat", "dog", "dog", "dog"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"source": _pair(3, 3), "target": (_pair(3, 4)[0], None)},
            ValueError,
            "Feature mismatch between domains",
        ),
        ({"source": (np.zeros((0, 3)), np.zeros(0))}, ValueError, "has no rows"),
        ({"source": (np.zeros((2, 3)), None)}, ValueError, "source rows need labels"),
        (
            {"source": (np.zeros((2, 3)), [0, 1, 1])},
            ValueError,
            "has 2 rows in X but 3 labels",
        ),
        ({"source": (np.zeros(3), [0, 1, 1])}, ValueError, "must be 2-d"),
        ({"source": []}, ValueError, "source is empty"),
        ({"source": None}, ValueError, "at least one source"),
        ({"source": {-1: _pair(2)}}, ValueError, "Source domain ids must be >= 0"),
        (
            {"source": _pair(2), "target": {3: _pair(2)}},
            ValueError,
            "Target domain ids must be < 0",
        ),
        ({"source": {"a": _pair(2)}}, TypeError, "domain ids must be integers"),
        (
            {"source": {1: _pair(2)}, "target": {-2: _pair(2), -3: _pair(2)}},
            None,
            None,
        ),
        (
            {"source": (np.zeros((2, 1)), [0, -1])},
            ValueError,
            "source rows .* carry the unlabeled marker",
        ),
        (
            {"source": (np.zeros((2, 1)), ["a", "b"]), "target": np.zeros((1, 1))},
            ValueError,
            "cannot be mixed with string class labels",
        ),
        (
            {"source": (np.zeros((2, 1)), [0, 1]), "target": sp.csr_matrix((1, 1))},
            TypeError,
            "same kind of X",
        ),
        (
            {
                "source": (pd.DataFrame({"a": [1.0]}), [0]),
                "target": pd.DataFrame({"b": [1.0]}),
            },
            ValueError,
            "same columns",
        ),
        ({"source": (np.zeros((2, 1)), [0, 1], 3)}, ValueError, "tuple of 3 items"),
        ({"source": _pair(2), "task": "ranking"}, ValueError, "task must be one of"),
    ],
)
def test_stack_errors(kwargs, error, match):
    if error is None:
        stack_domains(**kwargs)
        return
    with pytest.raises(error, match=match):
        stack_domains(**kwargs)


# -- split_domains and the round trip -----------------------------------------------


def test_split_domains_keeps_order_and_types():
    frame = pd.DataFrame({"a": range(5)}, index=list("vwxyz"))
    parts = split_domains(frame, None, [1, -2, 1, -2, 1])
    assert list(parts[1][0].index) == ["v", "x", "z"]
    assert parts[1][1] is None
    with pytest.raises(ValueError, match="5 rows but y has 2"):
        split_domains(frame, [0, 1], [1, -2, 1, -2, 1])


domain_sizes = st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(
    source_sizes=domain_sizes,
    target_sizes=domain_sizes,
    n_features=st.integers(min_value=1, max_value=4),
    container=st.sampled_from(["array", "dataframe", "sparse"]),
    task=st.sampled_from(["classification", "regression"]),
    labeled_targets=st.booleans(),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_stack_split_round_trip(
    source_sizes, target_sizes, n_features, container, task, labeled_targets, seed
):
    rng = np.random.RandomState(seed)

    def make_domain(n_rows, labeled):
        X = rng.normal(size=(n_rows, n_features))
        if container == "dataframe":
            X = pd.DataFrame(X, columns=[f"f{i}" for i in range(n_features)])
        elif container == "sparse":
            X = sp.csr_matrix(X)
        if not labeled:
            return X, None
        y = (
            rng.randint(0, 3, n_rows)
            if task == "classification"
            else rng.normal(size=n_rows)
        )
        return X, y

    sources = [make_domain(n, True) for n in source_sizes]
    targets = [make_domain(n, labeled_targets) for n in target_sizes]
    X, y, sample_domain = stack_domains(source=sources, target=targets, task=task)

    n_total = sum(source_sizes) + sum(target_sizes)
    assert X.shape == (n_total, n_features)
    assert y.shape == sample_domain.shape == (n_total,)
    assert (sample_domain >= 0).sum() == sum(source_sizes)

    parts = split_domains(X, y, sample_domain)
    expected_ids = [-(i + 2) for i in range(len(targets))] + [
        i + 1 for i in range(len(sources))
    ]
    assert sorted(parts) == sorted(expected_ids)
    for i, (X_d, y_d) in enumerate(sources):
        X_back, y_back = parts[i + 1]
        assert_array_equal(_dense(X_back), _dense(X_d))
        assert_array_equal(y_back, y_d)
    for i, (X_d, y_d) in enumerate(targets):
        X_back, y_back = parts[-(i + 2)]
        assert_array_equal(_dense(X_back), _dense(X_d))
        if y_d is None:
            assert unlabeled_mask(y_back, task).all()
        else:
            assert_array_equal(y_back, y_d)
    # and back again
    restacked = stack_domains(
        source={i: parts[i] for i in parts if i >= 0},
        target={i: parts[i] for i in parts if i < 0},
        task=task,
    )
    assert_array_equal(np.sort(restacked[2]), np.sort(sample_domain))


def _dense(X):
    if sp.issparse(X):
        return X.toarray()
    return np.asarray(X)
