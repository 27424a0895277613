"""Shared shifted-domain data for the tests, the one documentation build and
the one smoke run of the benchmarks.

The builders are seeded and small; the fixtures hand them to tests as factories
so each test module can keep its own sizes and seeds (``partial`` over the
factory) while the way the data is drawn lives in one place. ``docs_build``
(at the end) is the ``sphinx-build -W`` run that tests/test_docs.py and
tests/test_examples.py check; ``benchmark_smoke`` is the
``python -m benchmarks run all --smoke`` run that tests/test_benchmarks.py checks.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from sktransfer import stack_domains


def _gaussian_domains(
    n_source=200, n_target=150, n_features=2, shift=0.0, scale=1.0, seed=0
):
    """Standard-normal source rows; target rows from ``N(shift, scale**2)``."""
    rng = np.random.RandomState(seed)
    X_source = rng.normal(size=(n_source, n_features))
    X_target = rng.normal(shift, scale, size=(n_target, n_features))
    return X_source, X_target


def _shortcut_pair(seed=0, n=200, n_noise=0):
    """Feature 0 carries the class in both domains; feature 1 only in the source.

    The target's feature 1 is shifted and unrelated to the label: a
    source-trained model leans on it and fails on the target, TCA removes the
    direction along which the domains' means differ. ``n_noise`` pure-noise
    columns follow each domain's two informative ones.
    """
    rng = np.random.RandomState(seed)
    y_source, y_target = rng.randint(2, size=n), rng.randint(2, size=n)
    X_source = np.c_[
        2 * y_source - 1 + rng.normal(0, 1, n),
        2 * (2 * y_source - 1) + rng.normal(0, 0.5, n),
        rng.normal(0, 1, (n, n_noise)),
    ]
    X_target = np.c_[
        2 * y_target - 1 + rng.normal(0, 1, n),
        4 + rng.normal(0, 0.5, n),
        rng.normal(0, 1, (n, n_noise)),
    ]
    return X_source, y_source, X_target, y_target, rng


def _shortcut_domains(seed, *, contradicting=False, n=300, n_labeled=16, n_noise=10):
    """The shortcut pair stacked, with ``n_labeled`` labeled target rows.

    ``contradicting`` reverses the source labels: then any use of the source
    hurts. Returns ``X, y, sample_domain`` and the full target ``X_target,
    y_target`` to score on.
    """
    X_source, y_source, X_target, y_target, rng = _shortcut_pair(seed, n, n_noise)
    if contradicting:
        y_source = 1 - y_source
    y_train = np.full(n, -1)
    labeled = rng.choice(n, n_labeled, replace=False)
    y_train[labeled] = y_target[labeled]
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, y_train)
    )
    return X, y, sample_domain, X_target, y_target


@pytest.fixture(scope="session")
def gaussian_domains():
    """Factory: ``(X_source, X_target)``, Gaussian rows with a mean shift."""
    return _gaussian_domains


@pytest.fixture(scope="session")
def shortcut_pair():
    """Factory: ``(X_source, y_source, X_target, y_target)`` with a shortcut feature."""

    def build(seed=0, n=200, n_noise=0):
        return _shortcut_pair(seed, n, n_noise)[:4]

    return build


@pytest.fixture(scope="session")
def shortcut_domains():
    """Factory: the shortcut pair stacked, with a few labeled target rows."""
    return _shortcut_domains


# -- Background runs: the documentation build, the benchmarks' smoke run ----------
#
# tests/test_docs.py and tests/test_examples.py check one build of the docs,
# ``sphinx-build -W -b html`` (warnings are errors), in which sphinx-gallery runs
# every example once; tests/test_benchmarks.py checks one smoke run of every
# benchmark study. Each starts in a background process as soon as the session
# starts (when a selected test needs it), so that it runs beside the other
# tests, and writes into a temporary directory, so that nothing is written into
# the checkout. The docs are built from a copy of ``docs/``, so that no cached
# gallery output lets an example go unexecuted. Intersphinx is pointed at an
# unreachable proxy: the build must pass offline, as in CI, and does not depend
# on the network when there is one.

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SKIP_DOCS_BUILD = "SKTRANSFER_SKIP_DOCS_BUILD"
_DOCS_MODULES = {"sphinx": "sphinx", "sphinx_gallery": "sphinx-gallery"}
_DOCS_MODULES["numpydoc"] = "numpydoc"


def docs_build_skipped():
    """Whether the user asked to skip the docs build (the examples then run as
    scripts in tests/test_examples.py)."""
    return os.environ.get(SKIP_DOCS_BUILD, "") not in ("", "0")


# The background runs share the 2 cores with the tests: one BLAS/OpenMP thread
# each, so that their thread pools and the tests' do not oversubscribe the
# cores (OpenMP's spinning threads slowed HistGradientBoosting tests 10x).
_ONE_THREAD = {
    name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
}


class BackgroundRun:
    """A command started in the background, its output in ``log``."""

    def __init__(self, command, log, *, cwd, env=None):
        self.log = log
        self.returncode = None
        self.seconds = None
        self._start = time.perf_counter()
        with open(self.log, "wb") as out:
            self._process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env={**os.environ, **_ONE_THREAD, **(env or {})},
            )

    def wait(self, timeout=1200):
        if self.returncode is None:
            self.returncode = self._process.wait(timeout=timeout)
            self.seconds = time.perf_counter() - self._start
        return self

    def stop(self):
        """Kill the process if the session ends (-x, Ctrl-C) before it does."""
        if self.returncode is None:
            self._process.kill()
            self._process.wait()


class DocsBuild(BackgroundRun):
    """One ``sphinx-build -W`` run of a copy of ``docs/``."""

    def __init__(self, workdir):
        self.source = workdir / "docs"
        self.html = workdir / "html"
        shutil.copytree(
            DOCS,
            self.source,
            ignore=shutil.ignore_patterns(
                "_build", "generated", "auto_examples", "screenshots"
            ),
        )
        offline = {
            "HTTP_PROXY": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
        }
        offline.update({key.lower(): value for key, value in offline.items()})
        super().__init__(
            [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html"]
            + ["-q", str(self.source), str(self.html)],
            workdir / "sphinx-build.log",
            cwd=workdir,
            env={**offline, "NO_PROXY": "", "no_proxy": ""},
        )

    def problems(self):
        """The warnings and errors of the build's log."""
        lines = self.log.read_text(errors="replace").splitlines()
        return [line for line in lines if "WARNING" in line or "ERROR" in line]


class BenchmarkSmokeRun(BackgroundRun):
    """``python -m benchmarks run all --smoke`` into ``workdir/results``."""

    def __init__(self, workdir):
        self.results = workdir / "results"
        super().__init__(
            [sys.executable, "-m", "benchmarks", "run", "all", "--smoke"]
            + ["--out-dir", str(self.results)],
            workdir / "benchmarks.log",
            cwd=ROOT,
        )


def _missing_docs_modules():
    return [
        package
        for module, package in _DOCS_MODULES.items()
        if importlib.util.find_spec(module) is None
    ]


def _wanted(request, fixture):
    return any(fixture in item.fixturenames for item in request.session.items)


@pytest.fixture(scope="session", autouse=True)
def _docs_build_in_background(request, tmp_path_factory):
    """Start the docs build at the session's start when a selected test needs it."""
    wanted = _wanted(request, "docs_build")
    if not wanted or docs_build_skipped() or _missing_docs_modules():
        yield None
        return
    build = DocsBuild(tmp_path_factory.mktemp("docs_build"))
    yield build
    build.stop()


@pytest.fixture(scope="session", autouse=True)
def _benchmark_smoke_in_background(request, tmp_path_factory):
    """Start the benchmarks' smoke run at the session's start when a selected
    test needs it."""
    if not _wanted(request, "benchmark_smoke"):
        yield None
        return
    run = BenchmarkSmokeRun(tmp_path_factory.mktemp("benchmark_smoke"))
    yield run
    run.stop()


@pytest.fixture(scope="session")
def benchmark_smoke(_benchmark_smoke_in_background):
    """The finished smoke run of every benchmark study."""
    return _benchmark_smoke_in_background.wait()


@pytest.fixture(scope="session")
def docs_build(_docs_build_in_background):
    """The finished docs build, or None when it is skipped on purpose.

    Fails (never skips) when Sphinx or sphinx-gallery is missing: the README's
    test command installs them with the ``test`` extra.
    """
    if docs_build_skipped():
        return None
    missing = _missing_docs_modules()
    if missing:
        pytest.fail(
            f"The docs build needs {', '.join(missing)}, which the test extra "
            'installs: pip install -e ".[test,dask]". To run the examples as '
            f"scripts instead of building the docs, set {SKIP_DOCS_BUILD}=1.",
            pytrace=False,
        )
    return _docs_build_in_background.wait()


@pytest.fixture(scope="session", autouse=True)
def _one_blas_thread_while_background_runs(
    _docs_build_in_background, _benchmark_smoke_in_background
):
    """One BLAS/OpenMP thread in the tests' process for the whole session: the
    docs build and the benchmark smoke run share the 2 cores with it during
    the first minutes, and spinning thread pools on oversubscribed cores made
    the tests of that time several times slower."""
    with threadpool_limits(1):
        yield
