"""TCA's exact eigensolver: one BLAS thread or BLAS's own, on idle and busy cores.

The library's choice, a fact about sktransfer (``sktransfer/feature/
_eigensolvers.py`` when this study was written; the study does not read it
from the code): the exact TCA eigensolver runs with ONE BLAS thread below
2000 rows and with BLAS's own threads from 2000 rows on. It solves TCA's
whitened eigenproblem ``B^-1/2 K H K B^-1/2 a = lambda a`` with
``B = mu I + (K e)(K e)'`` (``K`` the n x n kernel matrix, ``H`` the centring,
``e`` the domain contrast: ``1/n_s`` on source rows, ``-1/n_t`` on target rows;
``B^-1/2`` in closed form): up to 500 rows by applying the operator to the
identity and calling LAPACK's dense ``eigh`` for the leading eigenpairs, above
by ARPACK's Lanczos iterations (``scipy.sparse.linalg.eigsh``, ``which="LA"``,
start vector uniform on [-1, 1]): many products of the operator with a vector,
each two matrix-vector products with ``K``, which the library holds too small
for threads to pay off on busy cores. This study asks whether that choice is
right.

Data: n rows of 20 Gaussian features, n_s = n_t = n / 2, the target's mean
shifted by 0.5 (``problem``), for n in ``--sizes``; RBF kernel with the median
heuristic (``sktransfer.metrics.median_bandwidth``, ``gamma_from_bandwidth``),
``mu = 0.1`` (TCA's default), 10 components.

Two parts, each timed with both choices (interleaved, in alternating order,
the minimum of ``--repeats`` runs of each):

- ``eigensolver``: the computation the choice is about, timed alone: the
  eigenproblem above built in this study from its definition (numpy and
  scipy only: the kernel matrix, the closed-form whitener, the centring; the
  dense solver up to 500 rows, ARPACK above, as the library does), solved under
  ``threadpoolctl.threadpool_limits(1, user_api="blas")`` ("1 thread") and
  without a limit ("own threads"). Building the kernel matrix is not timed.
  Its eigenvalues agree with those of the fitted
  ``TransferComponentAnalysis(10, solver="exact", gamma=...)`` to 1e-14
  (``eigenvalues_``, checked at 300 and 800 rows when this was written).
  Which is faster answers the question directly; the library's choice
  "matches" when the variant it picks at that n is the faster one, or when
  the two are within ``TIE`` (10 %) of each other.
- ``fit``: the shipped ``TransferComponentAnalysis(10, solver="exact").fit``
  as it is ("shipped": the library's choice inside) against the same fit under
  an outer ``threadpool_limits(1)`` ("1 thread everywhere": kernel, whitener
  and eigensolver all on one thread). Below 2000 rows the two differ only
  outside the eigensolver; from 2000 rows on, everywhere. The shipped fit
  "holds" when it is not slower than one thread everywhere (by more than
  ``TIE``).

"BLAS's own threads" are ``--blas-threads`` (2, the cores of the machine the
study was written for, OpenBLAS's default there), set with an outer
``threadpool_limits`` for every BLAS library loaded.

Conditions, in this order, each over all sizes and both parts:

- idle: nothing else started by the study. Run it with nothing else running
  (the lead's job, e.g. under ``flock``); the load averages and the cores other
  processes kept busy during each timed run (``watched``) are recorded and the
  report shows them;
- busy: two other processes each keep a core busy with single-threaded
  300 x 300 matrix products, as parallel grid-search workers would;
- oversubscribed: the same two processes with two BLAS threads each, as
  another user's numpy job would.

The other processes (``busy_cores``) are plain ``python -c`` loops over
numpy with their thread counts set by environment variables; each reports
when it is running, and the timing starts ``--settle`` seconds (1) later.

Command (about 10 minutes on 2 idle cores; the fit part alone took 5.3 min
in the earlier version of this study)::

    flock /tmp/bench.lock python -m benchmarks run tca_blas_threads

The smoke run (``--smoke``) goes through every condition and both parts at
200 rows (dense solver) and 600 rows (ARPACK).
"""

import contextlib
import logging
import os
import subprocess
import sys
import time

import numpy as np
from scipy import linalg
from scipy.sparse.linalg import LinearOperator, eigsh
from sklearn.metrics.pairwise import rbf_kernel
from threadpoolctl import threadpool_info, threadpool_limits

from sktransfer import TransferComponentAnalysis
from sktransfer.metrics import gamma_from_bandwidth, median_bandwidth

from ..harness import fmt_load, md_table, subprocess_env, thread_env, watched

SMOKE = {"sizes": [200, 600], "repeats": 1, "settle": 0.0}
logger = logging.getLogger(__name__)

# The library's choice and paths (facts about sktransfer, see the docstring).
ONE_THREAD_BELOW = 2000
DENSE_UP_TO = 500
N_COMPONENTS = 10
MU = 0.1
# Times within this fraction of each other are a tie.
TIE = 0.10

# (name, other processes, BLAS threads of each)
CONDITIONS = [("idle", 0, 0), ("busy", 2, 1), ("oversubscribed", 2, 2)]
PARTS = {
    "eigensolver": ("1 thread", "own threads"),
    "fit": ("shipped", "1 thread everywhere"),
}

BURNER = """\
import numpy as np
a = np.random.RandomState(0).normal(size=(300, 300))
a @ a
print("running", flush=True)
while True:
    a @ a
"""


@contextlib.contextmanager
def busy_cores(n_processes, threads, settle):
    """``n_processes`` other processes doing matrix products on ``threads``
    BLAS threads each, until the block ends."""
    burners = []
    try:
        for _ in range(n_processes):
            burners.append(
                subprocess.Popen(
                    [sys.executable, "-c", BURNER],
                    stdout=subprocess.PIPE,
                    text=True,
                    env=subprocess_env(thread_env(threads)),
                )
            )
        for burner in burners:
            if burner.stdout.readline().strip() != "running":
                raise RuntimeError("a busy-core process did not start")
        time.sleep(settle)
        yield
    finally:
        for burner in burners:
            burner.terminate()
        for burner in burners:
            burner.wait()
            burner.stdout.close()


def problem(n, seed):
    rng = np.random.RandomState(seed)
    half = n // 2
    X = np.r_[rng.normal(size=(half, 20)), rng.normal(0.5, 1, (n - half, 20))]
    sample_domain = np.r_[np.ones(half, int), -2 * np.ones(n - half, int)]
    return X, sample_domain


def library_choice(n):
    """The variant of the eigensolver part that the library uses at n rows."""
    return "1 thread" if n < ONE_THREAD_BELOW else "own threads"


def whitened_operator(gram, contrast, mu):
    """``x -> B^-1/2 K H K B^-1/2 x`` for ``B = mu I + (K e)(K e)'``.

    ``B^-1/2 = (I - c u u') / sqrt(mu)`` with ``u = K e / |K e|`` and
    ``c = 1 - (1 + |K e|^2 / mu)^-1/2``; ``H`` centres the columns.
    """
    v = gram @ contrast
    norm2 = float(v @ v)
    u = v / np.sqrt(norm2)
    c = 1 - 1 / np.sqrt(1 + norm2 / mu)
    scale = 1 / np.sqrt(mu)

    def whiten(x):
        return scale * (x - c * np.multiply.outer(u, u @ x))

    def apply(x):
        y = gram @ whiten(x)
        y = y - y.mean(axis=0)
        return whiten(gram @ y)

    return apply


class Eigenproblem:
    """TCA's whitened eigenproblem at n rows and its solver, as the library's."""

    def __init__(self, X, sample_domain, seed):
        n = X.shape[0]
        gamma = gamma_from_bandwidth(median_bandwidth(X, random_state=seed))
        self.gram = rbf_kernel(X, gamma=gamma)
        is_source = sample_domain >= 0
        contrast = np.where(is_source, 1.0 / is_source.sum(), -1.0 / (~is_source).sum())
        self.operator = whitened_operator(self.gram, contrast, MU)
        self.n, self.seed = n, seed
        self.dense = n <= DENSE_UP_TO or n // 4 < N_COMPONENTS
        self.products = 0

    def solve(self):
        """The leading eigenvalues; counts the operator's applications."""
        n, k = self.n, N_COMPONENTS
        if self.dense:
            self.products = n
            matrix = self.operator(np.eye(n))
            return linalg.eigh((matrix + matrix.T) / 2, subset_by_index=[n - k, n - 1])[
                0
            ]
        self.products = 0

        def counted(x):
            self.products += 1 if x.ndim == 1 else x.shape[1]
            return self.operator(x)

        linear = LinearOperator((n, n), matvec=counted, matmat=counted, dtype=float)
        start = np.random.RandomState(self.seed).uniform(-1, 1, n)
        return eigsh(linear, k=k, which="LA", v0=start, return_eigenvectors=False)


def timed(function):
    """``(seconds, cores other processes kept busy)`` of one call."""

    def call():
        start = time.perf_counter()
        function()
        return time.perf_counter() - start

    return watched(call)


def variants(part, X, sample_domain, seed):
    """The two runs of a part: ``{variant: (callable, context factory)}`` and
    the part's facts for the row."""
    if part == "eigensolver":
        eigen = Eigenproblem(X, sample_domain, seed)
        facts = {"path": "dense" if eigen.dense else "arpack"}
        runs = {
            "1 thread": (
                eigen.solve,
                lambda: threadpool_limits(limits=1, user_api="blas"),
            ),
            "own threads": (eigen.solve, contextlib.nullcontext),
        }
        return runs, facts, eigen

    def fit():
        TransferComponentAnalysis(N_COMPONENTS, solver="exact").fit(
            X, sample_domain=sample_domain
        )

    runs = {
        "shipped": (fit, contextlib.nullcontext),
        "1 thread everywhere": (fit, lambda: threadpool_limits(limits=1)),
    }
    return runs, {}, None


def run_cell(options, condition, part, n):
    """Both variants of a part at one size, interleaved; two rows."""
    X, sample_domain = problem(n, options.seed)
    runs, facts, eigen = variants(part, X, sample_domain, options.seed)
    times = {name: [] for name in runs}
    others = {name: [] for name in runs}
    for repeat in range(options.repeats):
        order = list(runs) if repeat % 2 == 0 else list(runs)[::-1]
        for name in order:
            function, limits = runs[name]
            with limits():
                seconds, busy = timed(function)
            times[name].append(seconds)
            others[name].append(busy)
    rows = []
    for name in runs:
        row = {
            "condition": condition,
            "part": part,
            "n": n,
            "variant": name,
            "seconds": min(times[name]),
            "seconds_all": [round(s, 5) for s in times[name]],
            "others_busy": [round(b, 3) for b in others[name]],
            **facts,
        }
        if eigen is not None:
            row["products"] = eigen.products
        logger.info(
            "%s %s n=%d %s: %.3f s (others %.2f cores)",
            condition,
            part,
            n,
            name,
            row["seconds"],
            max(others[name]),
        )
        rows.append(row)
    return rows


def add_arguments(parser):
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[500, 1000, 1500, 2000, 3000, 5000, 10000],
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=2,
        help="BLAS's own threads (the outer limit of every BLAS library)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=1.0,
        help="seconds between starting the busy-core processes and timing",
    )
    parser.add_argument("--seed", type=int, default=0)


def run(options, context):
    context.meta["blas"] = [
        {k: info.get(k) for k in ("internal_api", "version", "num_threads")}
        for info in threadpool_info()
    ]
    context.meta["load_before"] = list(os.getloadavg())
    with threadpool_limits(options.blas_threads, user_api="blas"):
        for condition, n_others, threads in CONDITIONS:
            with busy_cores(n_others, threads, options.settle):
                for n in options.sizes:
                    for part in PARTS:
                        yield from run_cell(options, condition, part, n)


# -- report ----------------------------------------------------------------------


def compared_cells(rows, part, sizes):
    """``(condition, n, rows by variant, seconds by variant)`` of every cell of
    ``part`` (condition x size) timed in both of its variants."""
    for condition, _, _ in CONDITIONS:
        for n in sizes:
            cell = {
                r["variant"]: r
                for r in rows
                if r["condition"] == condition and r["part"] == part and r["n"] == n
            }
            if len(cell) >= 2:
                yield condition, n, cell, {k: r["seconds"] for k, r in cell.items()}


def faster(first, second, seconds):
    """The faster of two variants, or "tie" within ``TIE``."""
    a, b = seconds[first], seconds[second]
    if abs(a - b) <= TIE * min(a, b):
        return "tie"
    return first if a < b else second


def eigensolver_table(rows, sizes):
    cells, matches, total = [], 0, 0
    for condition, n, cell, seconds in compared_cells(rows, "eigensolver", sizes):
        winner = faster("1 thread", "own threads", seconds)
        choice = library_choice(n)
        ok = winner in ("tie", choice)
        matches += ok
        total += 1
        cells.append(
            [
                condition,
                n,
                cell["1 thread"]["path"],
                cell["1 thread"].get("products", "–"),
                f"{seconds['1 thread']:.3f}",
                f"{seconds['own threads']:.3f}",
                f"{seconds['own threads'] / seconds['1 thread']:.2f}",
                winner,
                choice,
                "yes" if ok else "**no**",
            ]
        )
    header = [
        "cores",
        "n",
        "solver",
        "operator products",
        "1 thread (s)",
        "own threads (s)",
        "own / 1 thread",
        "faster",
        "library uses",
        "choice right",
    ]
    return md_table(header, cells), matches, total


def fit_table(rows, sizes):
    cells, holds, total = [], 0, 0
    for condition, n, _, seconds in compared_cells(rows, "fit", sizes):
        winner = faster("shipped", "1 thread everywhere", seconds)
        ok = winner in ("tie", "shipped")
        holds += ok
        total += 1
        cells.append(
            [
                condition,
                n,
                f"{seconds['shipped']:.3f}",
                f"{seconds['1 thread everywhere']:.3f}",
                f"{seconds['shipped'] / seconds['1 thread everywhere']:.2f}",
                winner,
                "yes" if ok else "**no**",
            ]
        )
    header = [
        "cores",
        "n",
        "shipped (s)",
        "1 thread everywhere (s)",
        "shipped / 1 thread",
        "faster",
        "shipped not slower",
    ]
    return md_table(header, cells), holds, total


def conditions_table(rows):
    cells = []
    for condition, n_others, threads in CONDITIONS:
        busy = [
            b for r in rows if r["condition"] == condition for b in r["others_busy"]
        ]
        if not busy:
            continue
        cells.append(
            [
                condition,
                n_others,
                threads if n_others else "–",
                f"{min(busy):.2f}",
                f"{np.median(busy):.2f}",
                f"{max(busy):.2f}",
            ]
        )
    header = [
        "cores",
        "processes started",
        "their BLAS threads",
        "others busy: min",
        "median",
        "max",
    ]
    return md_table(header, cells)


def table(rows, meta):
    settings = meta["settings"]
    sizes = sorted({r["n"] for r in rows})
    eigen, matches, eigen_total = eigensolver_table(rows, sizes)
    fits, holds, fit_total = fit_table(rows, sizes)
    lines = [
        f"- BLAS: {meta.get('blas')}",
        f"- load averages before the run: {fmt_load(meta.get('load_before'))}",
        "",
        f"The library runs the exact eigensolver with one BLAS thread below "
        f"{ONE_THREAD_BELOW} rows and with BLAS's own threads "
        f"({settings['blas_threads']} here) from {ONE_THREAD_BELOW} rows on. "
        f"Seconds are the minimum of {settings['repeats']} runs of each variant, "
        "interleaved; n rows in total (n_s = n_t = n / 2). busy: two other "
        "processes each keep a core busy with one-thread matrix products; "
        "oversubscribed: the same with two BLAS threads each, as a second numpy "
        f"job would. 'tie': within {TIE:.0%} of each other.",
        "",
        "## The cores during the timed runs",
        "",
        "Cores other processes kept busy on average during each timed run "
        "(the machine's busy CPU time minus this process's, over the run's wall "
        "time): near 0 on idle cores, near 2 with the two busy processes.",
        "",
        conditions_table(rows),
        "",
        "## The eigensolver alone: one BLAS thread or BLAS's own",
        "",
        "TCA's whitened eigenproblem solved as the library does (dense up to "
        f"{DENSE_UP_TO} rows, ARPACK above; 'operator products' = matrix-vector "
        "products of the operator, each two with the n x n kernel), kernel "
        "matrix built outside the timer. 'own / 1 thread' above 1: one thread "
        "faster. 'choice right': the variant the library uses is the faster "
        f"one, or a tie. **The library's choice is right in {matches} of "
        f"{eigen_total} cases.**",
        "",
        eigen,
        "",
        "## The shipped fit against one thread everywhere",
        "",
        "`TransferComponentAnalysis(10, solver='exact').fit` as shipped, and "
        "the same under an outer `threadpool_limits(1)`; below "
        f"{ONE_THREAD_BELOW} rows they differ only outside the eigensolver "
        "(kernel, whitener), from there on everywhere. 'shipped / 1 thread' "
        "below 1: the shipped fit faster. **The shipped fit is not slower in "
        f"{holds} of {fit_total} cases.**",
        "",
        fits,
    ]
    return "\n".join(lines)
