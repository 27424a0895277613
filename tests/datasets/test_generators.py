"""Tests of make_domain_shift."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LinearRegression, LogisticRegression

from sktransfer._domain import DEFAULT_SOURCE_ID, DEFAULT_TARGET_ID
from sktransfer.datasets import make_domain_shift

SHIFTS = ["covariate", "label", "concept"]
TASKS = ["classification", "regression"]
N = 3000  # rows per domain in the statistical tests


def split(X, y, sample_domain):
    """Return ``(X_s, y_s), (X_t, y_t)``."""
    source = sample_domain == DEFAULT_SOURCE_ID
    target = sample_domain == DEFAULT_TARGET_ID
    return (X[source], y[source]), (X[target], y[target])


def covariate_labelling(X):
    """The documented f(x) = x1 - (x1^2 - 1) / 4 + x2."""
    score = X[:, 0] - (X[:, 0] ** 2 - 1) / 4
    if X.shape[1] > 1:
        score = score + X[:, 1]
    return score


# ---------------------------------------------------------------------------
# Layout and determinism
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shift", SHIFTS)
@pytest.mark.parametrize("task", TASKS)
def test_shapes_dtypes_and_domains(shift, task):
    X, y, sd = make_domain_shift(30, 20, 3, shift=shift, task=task, random_state=0)
    assert X.shape == (50, 3)
    assert y.shape == sd.shape == (50,)
    assert X.dtype == np.float64
    assert sd.dtype == np.int64
    assert_array_equal(sd[:30], DEFAULT_SOURCE_ID)
    assert_array_equal(sd[30:], DEFAULT_TARGET_ID)
    assert np.isfinite(X).all()
    if task == "classification":
        assert y.dtype == np.int64
        assert set(np.unique(y)) <= {0, 1}
    else:
        assert y.dtype == np.float64
        assert np.isfinite(y).all()


@pytest.mark.parametrize("shift", ["covariate", "label"])
def test_single_feature(shift):
    X, y, sd = make_domain_shift(10, 10, 1, shift=shift, random_state=0)
    assert X.shape == (20, 1)


@pytest.mark.parametrize("shift", SHIFTS)
@pytest.mark.parametrize("task", TASKS)
def test_deterministic_under_random_state(shift, task):
    kwargs = {"shift": shift, "task": task}
    first = make_domain_shift(40, 40, **kwargs, random_state=7)
    second = make_domain_shift(40, 40, **kwargs, random_state=7)
    for a, b in zip(first, second):
        assert_array_equal(a, b)
    from_instance = make_domain_shift(
        40, 40, **kwargs, random_state=np.random.RandomState(7)
    )
    for a, b in zip(first, from_instance):
        assert_array_equal(a, b)
    other = make_domain_shift(40, 40, **kwargs, random_state=8)
    assert not np.array_equal(first[0], other[0])


def test_seeded_call_leaves_global_numpy_random_state_untouched():
    _, keys, position, *_ = np.random.get_state()  # noqa: NPY002
    make_domain_shift(random_state=0)
    make_domain_shift(shift="label", task="regression", random_state=0)
    _, keys_after, position_after, *_ = np.random.get_state()  # noqa: NPY002
    assert position_after == position
    assert_array_equal(keys_after, keys)


def test_random_state_none_follows_numpy_global_seed():
    np.random.seed(3)  # noqa: NPY002
    first = make_domain_shift(5, 5)
    np.random.seed(3)  # noqa: NPY002
    second = make_domain_shift(5, 5)
    assert_array_equal(first[0], second[0])


@pytest.mark.parametrize("shift", SHIFTS)
@pytest.mark.parametrize("task", TASKS)
def test_source_rows_do_not_depend_on_strength(shift, task):
    kwargs = {"shift": shift, "task": task, "random_state": 3}
    X0, y0, _ = make_domain_shift(50, 50, strength=0.0, **kwargs)
    X2, y2, _ = make_domain_shift(50, 50, strength=2.0, **kwargs)
    assert_array_equal(X0[:50], X2[:50])
    assert_array_equal(y0[:50], y2[:50])
    assert not np.array_equal(X0[50:], X2[50:]) or not np.array_equal(y0[50:], y2[50:])


# ---------------------------------------------------------------------------
# strength = 0: same distribution in both domains
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shift", SHIFTS)
@pytest.mark.parametrize("task", TASKS)
def test_no_shift_at_zero_strength(shift, task):
    X, y, sd = make_domain_shift(
        N, N, 3, shift=shift, task=task, strength=0.0, random_state=0
    )
    (X_s, y_s), (X_t, y_t) = split(X, y, sd)
    assert_allclose(X_s.mean(axis=0), X_t.mean(axis=0), atol=0.1)
    assert_allclose(X_s.std(axis=0), X_t.std(axis=0), atol=0.1)
    assert_allclose(y_s.mean(), y_t.mean(), atol=0.1)
    assert_allclose(y_s.std(), y_t.std(), atol=0.1)
    # Same relation between x and y: a model fitted on the source does as well
    # on the target.
    if task == "classification":
        model = LogisticRegression().fit(X_s, y_s)
    else:
        model = LinearRegression().fit(X_s, y_s)
    assert abs(model.score(X_s, y_s) - model.score(X_t, y_t)) < 0.05


# ---------------------------------------------------------------------------
# The signature of each shift
# ---------------------------------------------------------------------------


def test_covariate_shift_classification():
    X, y, sd = make_domain_shift(N, N, 2, strength=1.0, noise=0.0, random_state=0)
    (X_s, y_s), (X_t, y_t) = split(X, y, sd)
    # p(x) moves by 3 * strength along the first feature only.
    assert_allclose(X_t.mean(axis=0) - X_s.mean(axis=0), [3.0, 0.0], atol=0.1)
    assert_allclose(X_t.std(axis=0), X_s.std(axis=0), atol=0.1)
    # p(y | x) is one and the same function in both domains.
    assert_array_equal(y, (covariate_labelling(X) > 0).astype(int))
    # It is nonlinear, so the shift hurts a linear model fitted on the source
    # while a linear model fitted on the target region does fine.
    on_source = LogisticRegression().fit(X_s, y_s)
    on_target = LogisticRegression().fit(X_t, y_t)
    assert on_source.score(X_s, y_s) > 0.95
    assert on_source.score(X_t, y_t) < on_target.score(X_t, y_t) - 0.1


def test_covariate_shift_grows_with_strength():
    shifts = []
    for strength in (0.5, 1.0, 2.0):
        X, _, sd = make_domain_shift(N, N, strength=strength, random_state=0)
        shifts.append(X[sd < 0, 0].mean() - X[sd >= 0, 0].mean())
    assert_allclose(shifts, [1.5, 3.0, 6.0], atol=0.1)


def test_covariate_shift_regression():
    X, y, sd = make_domain_shift(
        N, N, 4, task="regression", noise=0.0, strength=1.0, random_state=0
    )
    (X_s, y_s), (X_t, y_t) = split(X, y, sd)
    assert_allclose(y, covariate_labelling(X))
    assert_allclose(X_t.mean(axis=0) - X_s.mean(axis=0), [3, 0, 0, 0], atol=0.1)
    model = LinearRegression().fit(X_s, y_s)
    assert model.score(X_s, y_s) > 0.8
    assert model.score(X_t, y_t) < 0.0


def test_label_noise_in_discriminative_shifts():
    X, y, _ = make_domain_shift(
        N, N, task="regression", noise=0.5, strength=1.0, random_state=0
    )
    residual = y - covariate_labelling(X)
    assert_allclose(residual.std(), 0.5, atol=0.03)
    assert_allclose(residual.mean(), 0.0, atol=0.03)


def test_label_shift_classification():
    X, y, sd = make_domain_shift(
        N, N, 2, shift="label", strength=1.0, noise=0.0, random_state=0
    )
    (X_s, y_s), (X_t, y_t) = split(X, y, sd)
    # p(y) differs: balanced source, 1 / (1 + e) positives in the target.
    assert_allclose(y_s.mean(), 0.5, atol=0.03)
    assert_allclose(y_t.mean(), 1 / (1 + np.e), atol=0.03)
    # p(x | y) is the same: N((2y - 1) e_1, I) in both domains.
    for label, centre in ((0, [-1.0, 0.0]), (1, [1.0, 0.0])):
        assert_allclose(X_s[y_s == label].mean(axis=0), centre, atol=0.1)
        assert_allclose(X_t[y_t == label].mean(axis=0), centre, atol=0.1)
        assert_allclose(X_t[y_t == label].std(axis=0), [1.0, 1.0], atol=0.1)
    # ... hence p(x) moves towards the majority class of the target.
    assert X_t[:, 0].mean() < X_s[:, 0].mean() - 0.3


def test_label_shift_noise_widens_class_conditionals():
    X, y, _ = make_domain_shift(N, N, shift="label", noise=1.0, random_state=0)
    assert_allclose(X[y == 1].std(axis=0), np.sqrt(2.0), atol=0.1)


def test_label_shift_skew_grows_with_strength():
    rates = []
    for strength in (0.0, 1.0, 2.0):
        _, y, sd = make_domain_shift(
            N, N, shift="label", strength=strength, random_state=1
        )
        rates.append(y[sd < 0].mean())
    assert_allclose(rates, 1 / (1 + np.exp([0.0, 1.0, 2.0])), atol=0.03)


def test_label_shift_regression():
    X, y, sd = make_domain_shift(
        N, N, 3, shift="label", task="regression", strength=2.0, random_state=0
    )
    (X_s, y_s), (X_t, y_t) = split(X, y, sd)
    # p(y) differs: N(0, 1) in the source, N(strength, 1) in the target.
    assert_allclose([y_s.mean(), y_t.mean()], [0.0, 2.0], atol=0.1)
    assert_allclose([y_s.std(), y_t.std()], [1.0, 1.0], atol=0.1)
    # p(x | y) is the same: x1 = y + noise, the other features ignore y.
    for X_d, y_d in ((X_s, y_s), (X_t, y_t)):
        fit = LinearRegression().fit(y_d[:, None], X_d)
        assert_allclose(fit.coef_.ravel(), [1.0, 0.0, 0.0], atol=0.1)
        assert_allclose(fit.intercept_, [0.0, 0.0, 0.0], atol=0.1)


def test_concept_shift_classification():
    X, y, sd = make_domain_shift(N, N, 2, shift="concept", strength=1.0, random_state=0)
    (X_s, y_s), (X_t, y_t) = split(X, y, sd)
    # p(x) and p(y) stay the same ...
    assert_allclose(X_s.mean(axis=0), X_t.mean(axis=0), atol=0.1)
    assert_allclose(X_s.std(axis=0), X_t.std(axis=0), atol=0.1)
    assert_allclose(y_s.mean(), y_t.mean(), atol=0.05)
    # ... but p(y | x) turns by 45 degrees: about a quarter of the labels flip.
    model = LogisticRegression().fit(X_s, y_s)
    assert model.score(X_s, y_s) > 0.95
    assert model.score(X_t, y_t) < 0.8
    assert_allclose(model.score(X_t, y_t), 0.75, atol=0.04)


def test_concept_shift_flips_labels_at_strength_four():
    X, y, sd = make_domain_shift(
        N, N, shift="concept", strength=4.0, noise=0.0, random_state=0
    )
    (X_s, y_s), (X_t, y_t) = split(X, y, sd)
    assert_array_equal(y_s, X_s[:, 0] > 0)
    assert_array_equal(y_t, X_t[:, 0] < 0)


def test_concept_shift_regression():
    X, y, sd = make_domain_shift(
        N, N, 3, shift="concept", task="regression", noise=0.0, random_state=0
    )
    (X_s, y_s), (X_t, y_t) = split(X, y, sd)
    assert_allclose(y_s, X_s[:, 0])
    assert_allclose(y_t, (X_t[:, 0] + X_t[:, 1]) / np.sqrt(2))
    model = LinearRegression().fit(X_s, y_s)
    assert model.score(X_s, y_s) > 0.99
    assert model.score(X_t, y_t) < 0.6


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_source": 0}, "n_source must be an integer >= 1; got 0"),
        ({"n_target": -5}, "n_target must be an integer >= 1"),
        ({"n_features": 0}, "n_features must be an integer >= 1"),
        ({"n_source": 2.0}, "n_source must be an integer >= 1; got 2.0"),
        ({"n_target": True}, "n_target must be an integer >= 1"),
        ({"n_features": "2"}, "n_features must be an integer >= 1"),
        ({"shift": "prior"}, "shift must be one of .*covariate.*got 'prior'"),
        ({"shift": None}, "shift must be one of"),
        ({"task": "binary"}, "task must be one of .*classification.*regression"),
        ({"strength": -0.1}, "strength must be a finite number >= 0"),
        ({"strength": np.inf}, "strength must be a finite number >= 0"),
        ({"strength": "1"}, "strength must be a finite number >= 0"),
        ({"noise": -1}, "noise must be a finite number >= 0; got -1.*noise=0"),
        ({"noise": np.nan}, "noise must be a finite number >= 0"),
        (
            {"shift": "concept", "n_features": 1},
            "shift='concept'.*needs n_features >= 2.*Pass n_features=2",
        ),
        ({"random_state": "seed"}, "cannot be used to seed"),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_domain_shift(**kwargs)


def test_accepts_numpy_scalars():
    X, y, sd = make_domain_shift(
        np.int64(5), np.int32(4), np.int64(2), strength=np.float32(0.5), noise=0
    )
    assert X.shape == (9, 2)
