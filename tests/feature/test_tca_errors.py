"""TCA on bad and degenerate input: clear errors, warnings, refusals before work.

Each test names the failure of issue 14 it pins down: constant data that gave
an all-zero embedding, kernel parameters dropped silently, overflow reported
by scipy, runaway memory, and ``verbose`` that showed nothing.
"""

import subprocess
import sys
import warnings
from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp

from sktransfer import SemiSupervisedTCA, TransferComponentAnalysis

N_SOURCE, N_TARGET = 12, 10
SAMPLE_DOMAIN = np.r_[np.ones(N_SOURCE, dtype=int), np.full(N_TARGET, -2)]
LABELS = np.r_[np.arange(N_SOURCE) % 2, np.full(N_TARGET, -1)]


def _varied(seed=0):
    return np.random.RandomState(seed).normal(size=(N_SOURCE + N_TARGET, 3))


def _one_row_per_domain(noise=0.0, seed=0):
    X = np.r_[np.ones((N_SOURCE, 3)), 2 * np.ones((N_TARGET, 3))]
    return X + noise * np.random.RandomState(seed).uniform(size=X.shape)


# -- constant and degenerate data ----------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        dict(kernel="linear"),
        dict(kernel="linear", solver="fast"),
        dict(gamma=1.0),
        dict(),  # the median heuristic would blame the width, not the data
        dict(kernel="cosine"),
    ],
    ids=["linear", "linear fast", "rbf", "rbf median heuristic", "cosine"],
)
def test_constant_rows_raise_instead_of_an_all_zero_embedding(make):
    X = np.full((N_SOURCE + N_TARGET, 3), 0.7)
    with pytest.raises(ValueError, match="every row of X is the same"):
        TransferComponentAnalysis(n_components=1, **make).fit(
            X, sample_domain=SAMPLE_DOMAIN
        )


def test_constant_sparse_rows_and_semi_supervised_raise():
    X = sp.csr_matrix(np.tile([0.0, 3.0, 0.0], (N_SOURCE + N_TARGET, 1)))
    with pytest.raises(ValueError, match="every row of X is the same"):
        TransferComponentAnalysis(n_components=1, kernel="linear").fit(X)
    with pytest.raises(ValueError, match="every row of X is the same"):
        SemiSupervisedTCA(n_components=1, gamma=1.0).fit(
            X.toarray(), LABELS, sample_domain=SAMPLE_DOMAIN
        )


@pytest.mark.parametrize("solver", ["exact", "fast"])
def test_one_distinct_row_per_domain_raises(solver):
    # The only variance is the shift between the domains: the embedding would
    # be the domain indicator.
    with pytest.raises(ValueError, match="one distinct row per kind of domain"):
        TransferComponentAnalysis(n_components=1, gamma=1.0, solver=solver).fit(
            _one_row_per_domain(), sample_domain=SAMPLE_DOMAIN
        )


@pytest.mark.parametrize("kernel", ["rbf", "linear"])
def test_one_distinct_row_per_domain_to_rounding_raises(kernel):
    X = _one_row_per_domain(noise=1e-12)
    with pytest.raises(ValueError, match="embeds the source rows as one point"):
        TransferComponentAnalysis(n_components=1, kernel=kernel).fit(
            X, sample_domain=SAMPLE_DOMAIN
        )


def test_identical_source_rows_warn():
    X = _varied()
    X[:N_SOURCE] = X[0]
    with pytest.warns(UserWarning, match="embeds every source row at the same"):
        embedding = TransferComponentAnalysis(n_components=2, gamma=0.5).fit_transform(
            X, sample_domain=SAMPLE_DOMAIN
        )
    # The target rows still get an embedding that varies.
    assert embedding[N_SOURCE:].std(axis=0).min() > 0.1


def test_varied_rows_neither_warn_nor_raise():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TransferComponentAnalysis(n_components=2).fit(
            _varied(), sample_domain=SAMPLE_DOMAIN
        )


@pytest.mark.parametrize(
    ("X", "make"),
    [
        (
            np.outer(np.arange(1.0, N_SOURCE + N_TARGET + 1), [1.0, 2.0, 0.5]),
            dict(kernel="cosine"),
        ),
        (_varied(), dict(gamma=1e-30)),
    ],
    ids=["cosine of multiples", "rbf too wide"],
)
def test_kernel_constant_to_rounding_raises(X, make):
    # The rows differ, but not in the kernel's feature space.
    with pytest.raises(ValueError, match="No component .* carries variance"):
        TransferComponentAnalysis(n_components=1, **make).fit(
            X, sample_domain=SAMPLE_DOMAIN
        )


# -- non-finite and huge values ------------------------------------------------------


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_non_finite_values_raise(value, sparse):
    X = _varied()
    X[4, 1] = value
    X = sp.csr_matrix(X) if sparse else X
    with pytest.raises(ValueError, match="NaN|infinity"):
        TransferComponentAnalysis(n_components=2).fit(X, sample_domain=SAMPLE_DOMAIN)
    tca = TransferComponentAnalysis(n_components=2).fit(
        _varied(1), sample_domain=SAMPLE_DOMAIN
    )
    with pytest.raises(ValueError, match="NaN|infinity"):
        tca.transform(X)


@pytest.mark.parametrize(
    ("scale", "make"),
    [
        (1e200, dict()),
        (1e160, dict(gamma=1.0)),
        (1e160, dict(gamma=1.0, solver="fast")),
        (1e100, dict(kernel="linear")),
        (1e100, dict(kernel="linear", solver="fast")),
        (1e60, dict(kernel="poly", kernel_params={"degree": 3})),
    ],
    ids=["rbf heuristic", "rbf", "rbf fast", "linear", "linear fast", "poly"],
)
def test_values_that_overflow_the_kernel_raise(scale, make):
    X = scale * _varied()
    with pytest.raises(ValueError, match="overflow float64.*StandardScaler"):
        TransferComponentAnalysis(n_components=2, **make).fit(
            X, sample_domain=SAMPLE_DOMAIN
        )


def test_sparse_semi_supervised_still_works():
    X = sp.csr_matrix(np.where(np.abs(_varied()) < 0.5, 0.0, _varied()))
    embedding = SemiSupervisedTCA(n_components=2, locality=10.0).fit_transform(
        X, LABELS, sample_domain=SAMPLE_DOMAIN
    )
    assert embedding.shape == (N_SOURCE + N_TARGET, 2)
    assert np.isfinite(embedding).all()


# -- kernel parameters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kernel", "kernel_params", "match"),
    [
        ("poly", {"degre": 2}, r"unknown key 'degre'.*\['coef0', 'degree'\]"),
        ("rbf", {"degree": 2}, "unknown key 'degree' for kernel='rbf'"),
        ("linear", {"coef0": 1.0}, "takes no parameters besides gamma"),
        ("rbf", {"gamma": 0.3}, "pass gamma=0.3"),
    ],
    ids=["misspelt", "other kernel's", "linear", "gamma"],
)
@pytest.mark.parametrize("estimator", [TransferComponentAnalysis, SemiSupervisedTCA])
def test_kernel_params_that_would_be_dropped_raise(
    estimator, kernel, kernel_params, match
):
    tca = estimator(n_components=2, kernel=kernel, kernel_params=kernel_params)
    with pytest.raises(ValueError, match=match):
        tca.fit(_varied(), LABELS, sample_domain=SAMPLE_DOMAIN)


def test_valid_kernel_params_are_used():
    make = dict(n_components=2, kernel="poly", gamma=0.5)
    square = TransferComponentAnalysis(kernel_params={"degree": 2}, **make)
    cube = TransferComponentAnalysis(kernel_params={"degree": 3}, **make)
    X = _varied()
    assert not np.allclose(
        square.fit_transform(X, sample_domain=SAMPLE_DOMAIN),
        cube.fit_transform(X, sample_domain=SAMPLE_DOMAIN),
    )


# -- memory --------------------------------------------------------------------------


def _no_kernel_computed(*args, **kwargs):
    raise AssertionError("the kernel matrix was computed before the refusal")


def test_exact_locality_path_refuses_before_computing():
    # The locality term holds three n x n matrices: 12000 rows need 3.2 GiB.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(12_000, 2))
    y = np.r_[np.arange(6000) % 2, np.full(6000, -1)]
    sstca = SemiSupervisedTCA(n_components=2, solver="exact", locality=1.0, gamma=1.0)
    with (
        mock.patch(
            "sktransfer.feature._tca.pairwise_kernels", side_effect=_no_kernel_computed
        ),
        pytest.raises(ValueError, match=r"3 matrices .* GiB.*solver='fast'"),
    ):
        sstca.fit(X, y)


def test_exact_path_refuses_beyond_the_machines_memory():
    X = _varied()
    with (
        mock.patch("sktransfer.utils._physical_memory_bytes", return_value=1000),
        pytest.raises(ValueError, match="this machine's 0.0 GiB of memory"),
    ):
        TransferComponentAnalysis(n_components=2, solver="exact").fit(
            X, sample_domain=SAMPLE_DOMAIN
        )


def test_fast_path_refuses_too_many_landmarks_before_computing():
    X = np.random.RandomState(0).normal(size=(25_000, 1))
    tca = TransferComponentAnalysis(
        n_components=2, solver="fast", n_landmarks=25_000, gamma=1.0
    )
    with (
        mock.patch(
            "sktransfer._kernels.pairwise_kernels", side_effect=_no_kernel_computed
        ),
        pytest.raises(ValueError, match="n_landmarks=25000 .* GiB.*Lower n_landmarks"),
    ):
        tca.fit(X)


# -- progress and the base class -----------------------------------------------------


def test_verbose_prints_progress_to_stderr_without_logging_configured():
    # A fresh interpreter: no logging handler anywhere, as for a user's script.
    code = (
        "import numpy as np\n"
        "from sktransfer import TransferComponentAnalysis\n"
        "X = np.random.RandomState(0).normal(size=(30, 3))\n"
        "sd = np.r_[np.ones(15, dtype=int), np.full(15, -2)]\n"
        "tca = TransferComponentAnalysis(n_components=2, verbose=1)\n"
        "tca.fit(X, sample_domain=sd)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "fitting 2 components on 30 rows (15 source, 15 target)" in result.stderr
    assert "(exact solver) in" in result.stderr
    assert result.stdout == ""


def test_fit_transform_computes_the_kernel_once():
    from sktransfer.feature import _tca

    X = _varied()
    with mock.patch.object(
        _tca, "pairwise_kernels", wraps=_tca.pairwise_kernels
    ) as kernel:
        embedding = TransferComponentAnalysis(n_components=2).fit_transform(
            X, sample_domain=SAMPLE_DOMAIN
        )
    assert kernel.call_count == 1
    assert embedding.shape == (X.shape[0], 2)
