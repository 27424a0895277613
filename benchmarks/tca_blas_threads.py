"""TCA's exact eigensolver: one BLAS thread against two, on idle and busy cores.

The exact path's Lanczos iterations (ARPACK) are thousands of matrix-vector
products with the n x n kernel. sktransfer runs them with one BLAS thread below
``_eigensolvers._ONE_THREAD_MAX_ROWS`` rows and with BLAS's own threads above
(``sktransfer.feature._eigensolvers.top_eigenpairs``); this script measures the two
choices at every size, by replacing the limit the library applies:

- "1 thread": the eigensolver always with one BLAS thread;
- "2 threads": always without a limit, BLAS at ``--blas-threads``.

Each at n_s = n_t = n / 2 rows of 20 Gaussian features, the target shifted,
``TransferComponentAnalysis(10, solver="exact")`` with the RBF kernel, the
minimum of ``--repeats`` fits, in two conditions:

- idle: nothing else started by the script (run it under flock with nothing
  else running; the load averages before the run are recorded);
- busy: two other processes each keep a core busy with single-threaded matrix
  products, as parallel grid-search workers would;
- oversubscribed: the same two processes with two BLAS threads each, as
  another user's numpy job would.

Command (about 2 minutes on 2 cores)::

    flock /tmp/bench.lock /tmp/venv/bin/python benchmarks/tca_blas_threads.py
"""

import argparse
import contextlib
import logging
import multiprocessing
import os
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git, machine_info  # noqa: E402
from _report import command_line, fmt_load, machine_line, md_table  # noqa: E402
from _run import (  # noqa: E402
    finish_meta,
    result_paths,
    rewrite_report,
    script_argv,
    setup_logging,
    write_results,
)

import sktransfer.feature._eigensolvers as tca_module  # noqa: E402
from sktransfer import TransferComponentAnalysis  # noqa: E402

logger = logging.getLogger("tca_blas_threads")

# (name, other processes, BLAS threads of each)
CONDITIONS = [("idle", 0, 0), ("busy", 2, 1), ("oversubscribed", 2, 2)]


def _burn(stop, threads):
    with threadpool_limits(threads):
        a = np.random.RandomState(0).normal(size=(300, 300))
        while not stop.is_set():
            a @ a


@contextlib.contextmanager
def busy_cores(n_processes, threads):
    stop = multiprocessing.Event()
    workers = [
        multiprocessing.Process(target=_burn, args=(stop, threads))
        for _ in range(n_processes)
    ]
    for worker in workers:
        worker.start()
    time.sleep(1.0)
    try:
        yield
    finally:
        stop.set()
        for worker in workers:
            worker.join()


@contextlib.contextmanager
def solver_threads(threads):
    """Run the eigensolver with ``threads`` BLAS threads, whatever the size.

    The library picks by size (``_eigensolvers._ONE_THREAD_MAX_ROWS``); this replaces
    its ``threadpool_limits`` by one that always applies ``threads`` (1), or
    none (``threads`` = 2, the BLAS default here).
    """
    original = tca_module.threadpool_limits

    def forced(**_):
        if threads == 1:
            return original(limits=1, user_api="blas")
        return contextlib.nullcontext()

    tca_module.threadpool_limits = forced
    try:
        yield
    finally:
        tca_module.threadpool_limits = original


def problem(n, seed):
    rng = np.random.RandomState(seed)
    half = n // 2
    X = np.r_[rng.normal(size=(half, 20)), rng.normal(0.5, 1, (n - half, 20))]
    sample_domain = np.r_[np.ones(half, int), -2 * np.ones(n - half, int)]
    return X, sample_domain


def best_time(X, sample_domain, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        TransferComponentAnalysis(10, solver="exact").fit(
            X, sample_domain=sample_domain
        )
        times.append(time.perf_counter() - start)
    return min(times)


def run(args):
    rows = []
    for condition, others, burner_threads in CONDITIONS:
        context = (
            busy_cores(others, burner_threads) if others else contextlib.nullcontext()
        )
        with context, threadpool_limits(args.blas_threads, user_api="blas"):
            for n in args.sizes:
                X, sample_domain = problem(n, args.seed)
                for label, threads in [("1 thread", 1), ("2 threads", 2)]:
                    with solver_threads(threads):
                        seconds = best_time(X, sample_domain, args.repeats)
                    logger.info("%s n=%d %s: %.3f s", condition, n, label, seconds)
                    rows.append(
                        {"condition": condition, "n": n, "solver": label, "s": seconds}
                    )
    return rows


def write_markdown(path, rows, meta):
    table = []
    for condition, _, _ in CONDITIONS:
        for n in sorted({r["n"] for r in rows}):
            cell = {
                r["solver"]: r["s"]
                for r in rows
                if r["condition"] == condition and r["n"] == n
            }
            table.append(
                [
                    condition,
                    str(n),
                    f"{cell['1 thread']:.3f}",
                    f"{cell['2 threads']:.3f}",
                    f"{cell['2 threads'] / cell['1 thread']:.2f}",
                ]
            )
    text = [
        "# TCA exact path: one BLAS thread in the eigensolver, or two",
        "",
        command_line(meta),
        "",
        machine_line(meta),
        f"- BLAS: {meta['blas']}",
        f"- load averages before the run: {fmt_load(meta['load_before'])}",
        "",
        "Seconds per `TransferComponentAnalysis(10, solver='exact').fit` (minimum "
        f"of {meta['repeats']}), n rows in total. busy: two other processes each "
        "keep a core busy with one-thread matrix products; oversubscribed: the "
        "same with two BLAS threads each, as a second numpy job would. Ratio > 1: "
        "one thread is faster. The library uses one thread below "
        f"{tca_module._ONE_THREAD_MAX_ROWS} rows.",
        "",
        md_table(
            ["cores", "n", "1 thread (s)", "2 threads (s)", "2 threads / 1 thread"],
            table,
        ),
        "",
    ]
    path.write_text("\n".join(text))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[500, 1000, 1500, 2000, 3000, 5000, 10000],
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--blas-threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--name", default="tca_blas_threads")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    setup_logging()
    json_path, md_path = result_paths(args)
    if args.report_only:
        rewrite_report(json_path, md_path, write_markdown, logger)
        return
    t0 = time.perf_counter()
    meta = {
        "argv": script_argv(__file__, argv),
        "machine": machine_info(),
        "git": git("rev-parse", "HEAD"),
        "repeats": args.repeats,
        "blas": [
            {k: i.get(k) for k in ("internal_api", "version", "num_threads")}
            for i in threadpool_info()
        ],
        "load_before": os.getloadavg(),
    }
    rows = run(args)
    finish_meta(meta, t0)
    write_results(json_path, md_path, meta, rows, write_markdown, logger)


if __name__ == "__main__":
    main()
