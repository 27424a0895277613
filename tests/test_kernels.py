"""Kernel helpers: the median heuristic, chunked row sums, Nystroem, parameters."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.metrics.pairwise import pairwise_kernels

from sktransfer._kernels import (
    gamma_from_bandwidth,
    kernel_arguments,
    kernel_diagonal,
    kernel_features,
    kernel_row_sums,
    median_bandwidth,
    nystroem_basis,
)


def test_median_bandwidth_by_hand():
    # Distances between 0, 1, 2, 3: 1, 1, 1, 2, 2, 3 -> median 1.5.
    assert median_bandwidth(np.arange(4.0)[:, None]) == pytest.approx(1.5)
    # Pooled with Y: 0, 1 and 4 -> distances 1, 4, 3 -> median 3.
    assert median_bandwidth([[0.0], [1.0]], [[4.0]]) == pytest.approx(3.0)


def test_median_bandwidth_subsamples_deterministically():
    X = np.random.RandomState(0).normal(size=(3000, 4))
    first = median_bandwidth(X, max_samples=300, random_state=1)
    assert first == median_bandwidth(X, max_samples=300, random_state=1)
    # The median distance of standard normals in 4-d is close to sqrt(2 * 4).
    assert first == pytest.approx(np.sqrt(8), rel=0.1)


def test_median_bandwidth_sparse_equals_dense():
    X = np.random.RandomState(0).binomial(1, 0.3, size=(50, 8)).astype(float)
    assert median_bandwidth(sp.csr_matrix(X)) == pytest.approx(median_bandwidth(X))


@pytest.mark.parametrize(
    ("X", "Y", "match"),
    [
        (np.ones((5, 2)), None, "median distance between rows is 0"),
        (np.ones((1, 2)), None, "at least 2 rows"),
        (np.ones((3, 2)), np.ones((3, 3)), "same features"),
    ],
)
def test_median_bandwidth_errors(X, Y, match):
    with pytest.raises(ValueError, match=match):
        median_bandwidth(X, Y)


def test_gamma_from_bandwidth():
    sigma = 0.7
    gamma = gamma_from_bandwidth(sigma)
    # exp(-gamma d^2) equals the Gaussian exp(-d^2 / (2 sigma^2)).
    assert np.exp(-gamma * 1.3**2) == pytest.approx(np.exp(-(1.3**2) / (2 * sigma**2)))


@pytest.mark.parametrize("kernel", ["rbf", "linear", "laplacian"])
def test_kernel_row_sums_equal_the_full_matrix(kernel):
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(23, 3)), rng.normal(size=(17, 3))
    full = pairwise_kernels(X, Y, metric=kernel, filter_params=True, gamma=0.4)
    sums = kernel_row_sums(X, Y, kernel=kernel, gamma=0.4, block_rows=5)
    assert_allclose(sums, full.sum(axis=1))


def test_kernel_row_sums_parallel_and_sparse():
    rng = np.random.RandomState(0)
    X, Y = rng.binomial(1, 0.3, size=(40, 6)), rng.binomial(1, 0.3, size=(30, 6))
    serial = kernel_row_sums(X, Y, gamma=0.5, block_rows=7)
    assert_allclose(kernel_row_sums(X, Y, gamma=0.5, block_rows=7, n_jobs=2), serial)
    assert_allclose(
        kernel_row_sums(sp.csr_matrix(X), sp.csr_matrix(Y), gamma=0.5, block_rows=7),
        serial,
    )


def test_kernel_row_sums_errors():
    with pytest.raises(ValueError, match="same features"):
        kernel_row_sums(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="block_rows must be a positive int"):
        kernel_row_sums(np.ones((2, 2)), np.ones((2, 2)), block_rows=0)


def test_nystroem_features_reproduce_the_kernel():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    landmarks = X[:40]
    projection = nystroem_basis(landmarks, gamma=0.2)
    features = kernel_features(X, landmarks, projection, gamma=0.2)
    kernel = pairwise_kernels(X, metric="rbf", gamma=0.2)
    # Exact on the landmarks, the Nystroem approximation elsewhere.
    assert_allclose(features[:40] @ features[:40].T, kernel[:40, :40], atol=1e-8)
    nystroem = kernel[:, :40] @ np.linalg.pinv(kernel[:40, :40]) @ kernel[:40]
    assert_allclose(features @ features.T, nystroem, atol=1e-6)


def test_nystroem_drops_dependent_landmarks():
    X = np.random.RandomState(0).normal(size=(10, 2))
    repeated = np.vstack([X, X])  # rank 10 kernel matrix of 20 landmarks
    assert nystroem_basis(repeated, gamma=1.0).shape == (20, 10)
    linear = nystroem_basis(
        np.random.RandomState(1).normal(size=(30, 4)), kernel="linear"
    )
    assert linear.shape == (30, 4)
    with pytest.raises(ValueError, match="kernel matrix of the landmarks is zero"):
        nystroem_basis(np.zeros((3, 2)), kernel="linear")


def test_kernel_features_in_parallel_blocks_and_sums():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 3))
    landmarks = X[::25]
    projection = nystroem_basis(landmarks, gamma=0.5)
    serial = kernel_features(X, landmarks, projection, gamma=0.5)
    blocks = kernel_features(
        sp.csr_matrix(X), landmarks, projection, gamma=0.5, block_rows=64, n_jobs=2
    )
    assert_allclose(blocks, serial, atol=1e-12)
    sums = kernel_features(
        X, landmarks, projection, gamma=0.5, sum_rows=True, block_rows=64, n_jobs=2
    )
    assert_allclose(sums, serial.sum(axis=0))


@pytest.mark.parametrize("kernel", ["rbf", "laplacian", "cosine", "linear", "poly"])
def test_kernel_diagonal_matches_the_matrix(kernel):
    X = np.random.RandomState(0).normal(size=(30, 4))
    X[3] = 0.0  # cosine of a zero row is 0
    expected = np.diag(pairwise_kernels(X, metric=kernel))
    assert_allclose(kernel_diagonal(X, kernel=kernel), expected, atol=1e-12)
    assert_allclose(kernel_diagonal(sp.csr_matrix(X), kernel=kernel), expected)


@pytest.mark.parametrize(
    ("kernel", "kernel_params", "match"),
    [
        ("poly", {"degre": 2}, r"unknown key 'degre' for kernel='poly'.*'degree'"),
        ("rbf", {"degree": 2}, "unknown key 'degree' for kernel='rbf'"),
        ("laplacian", {"coef0": 1, "a": 2}, r"unknown keys 'a', 'coef0'"),
        ("cosine", {"degree": 2}, "takes no parameters besides gamma"),
        (None, {"degre": 2}, r"for any kernel.*\['coef0', 'degree'\]"),
        ("rbf", {"gamma": 0.5}, "pass gamma=0.5 instead"),
        ("poly", {"degree": 2.5}, "positive integer"),
        ("poly", {"degree": 0}, "positive integer"),
        ("poly", {"coef0": np.nan}, "finite number"),
        ("poly", {"coef0": "1"}, "finite number"),
    ],
)
def test_kernel_params_the_kernel_would_ignore_raise(kernel, kernel_params, match):
    # pairwise_kernels(filter_params=True) drops what a kernel does not take.
    with pytest.raises(ValueError, match=match):
        kernel_arguments(kernel_params, 0.1, kernel=kernel)


def test_kernel_params_the_kernel_takes_pass():
    arguments = kernel_arguments({"degree": 2, "coef0": 0.5}, 0.1, kernel="poly")
    assert arguments == {"degree": 2, "coef0": 0.5, "gamma": 0.1}
    assert kernel_arguments(None, None, kernel="linear") == {}
    # A callable kernel takes what it takes.
    assert kernel_arguments({"width": 3}, None, kernel=len) == {"width": 3}


def test_median_bandwidth_overflow_raises():
    X = 1e200 * np.random.RandomState(0).uniform(size=(10, 3))
    with pytest.raises(ValueError, match="distances between rows overflow float64"):
        median_bandwidth(X)


def test_nystroem_and_features_overflow_raise():
    X = 1e160 * np.random.RandomState(0).uniform(size=(10, 3))
    with pytest.raises(ValueError, match="kernel's values overflow float64"):
        nystroem_basis(X, kernel="linear")
    landmarks = np.random.RandomState(1).uniform(size=(4, 3))
    projection = nystroem_basis(landmarks, kernel="poly")
    with pytest.raises(ValueError, match="features reach 1e\\+160"):
        kernel_features(np.full((2, 3), 1e160), landmarks, projection, kernel="poly")


def test_poly_kernel_with_negative_coef0_is_refused():
    from sktransfer._kernels import check_kernel_params

    with pytest.raises(ValueError, match="coef0.*positive semi-definite"):
        check_kernel_params("poly", {"coef0": -1.0})
    assert check_kernel_params("poly", {"coef0": 0.0}) == {"coef0": 0.0}
