"""TCA at scale: the fast path against the exact path, and at a million rows.

Protocol
--------
Data: ``peer_scripts/_tca_worker.make_problem`` (the same generator as
``tca_vs_peers``: d = 20 Gaussian features, the target rotated in the
label plane and shifted along two nuisance features, labels by a parabola),
n rows in total, n / 2 per domain, drawn from ``--seed`` (in a fresh process,
by ``_tca_worker.py``). RBF kernel with ``gamma`` from the median heuristic on
the pooled rows (computed once per data set and passed to every fit),
``mu = 0.1``, ``n_components = 10``.

(a) Agreement (``--sizes``, 1000 / 2000 / 5000 / 10000 rows in total), in this
process: ``TransferComponentAnalysis(solver="exact")`` once per data set and
``solver="fast"`` with ``n_landmarks`` in ``--landmarks`` (100, 300, 500,
1000) and ``random_state`` in ``--fast-seeds`` (the landmark draw; 0, 1, 2),
on the same rows. Per fast fit:

- the largest principal angle (degrees) between the spans of the two
  training embeddings (``scipy.linalg.subspace_angles`` on the embeddings of
  all training rows; both are centred by construction), and the mean of the
  ten angles;
- the largest relative difference of the eigenvalues, ``max |l_fast / l_exact - 1|``;
- the downstream target accuracy of both: ``LogisticRegression(max_iter=1000)``
  on the embedded source rows with the source labels, scored on the embedded
  target rows (target labels only for scoring);
- times: fit + ``transform`` of all training rows (wall clock, one run).

(b) The fast path at ``--large-sizes`` (200 000 and 1 000 000 rows in total,
half per domain), default ``n_landmarks`` (500): each in a fresh process
(``peer_scripts/ours_tca.py --generate``, which draws the data itself so that
its peak RSS includes the data as a user's process would), timed fit and
``transform`` of every row, the process's peak resident set size (``VmHWM``,
everything included: interpreter, data, embedding), and where the time goes
(``--profile-steps``: the worker runs fit and transform under ``cProfile`` and
reports the cumulative time of the library's calls to its kernel values,
Nystroem basis, solver and standardization; the timings include the
profiler's small per-call overhead). Accuracy as in (a),
the logistic regression fitted here on the saved embedding of the source rows
(all of them unless ``--lr-max-rows``). Goal: under 5 minutes and 8 GiB at a
million rows.

Threads: BLAS/OpenMP threads = ``--blas-threads`` (2, the machine's cores) in
this process and in the workers; ours' ``n_jobs`` is ``--n-jobs`` (None, one
job) in (a) and ``--large-n-jobs`` (2) in (b), where the kernel values of a
million rows are computed block by block in threads. Before each timed step
the study waits (up to ``--quiet-wait`` seconds) for the other processes to
leave the cores (less than ``--quiet-cores`` busy in a one-second sample) and
records the load averages, the CPU other processes kept busy in the second
before and on average during the step (``benchmarks.harness.watched``); a
step during which they averaged more than ``--contended-cores`` (0.25) is run
again once (``--retries``, after up to ``--retry-wait`` seconds of waiting),
and the least contended attempt is kept.

Results: ``benchmarks/results/tca_scale.{json,md}``; ``python -m benchmarks
report tca_scale`` rewrites the ``.md`` from the ``.json``. A smoke run
(``--smoke``) fits 200 rows in (a) and 2000 in (b), without waiting for quiet
cores (0.1 s load samples).

Command (about 2-3 minutes on 2 cores when the cores are free)::

    flock /tmp/bench.lock python -m benchmarks run tca_scale
    python -m benchmarks run tca_scale --sizes 1000 --landmarks 100 \
        --fast-seeds 0 --large-sizes 20000
"""

import subprocess
import time
import warnings

import numpy as np

from sktransfer import TransferComponentAnalysis
from sktransfer.metrics import gamma_from_bandwidth, median_bandwidth

from ..harness import fmt, fmt_time, md_table, thread_env
from ..harness.options import add_contention_options, contention_arguments
from ..harness.processes import least_contended
from ..harness.tca_data import tca_problem

CODE = ("feature/_tca.py", "feature/_eigensolvers.py", "_kernels.py")
SMOKE = {
    "sizes": [200],
    "landmarks": [50],
    "fast_seeds": [0],
    "large_sizes": [2000],
    "quiet_wait": 0.0,
    "retries": 0,
}
GOAL_SECONDS = 300
GOAL_GIB = 8


def contended_step(args, context, run, label):
    """``run()`` after waiting for quiet cores; again if others shared them.

    Returns ``(result, state)`` of the attempt during which other processes
    kept the fewest cores busy (``state``: load, cores busy before and during,
    the wait, and a summary of every attempt).
    """
    result, state, attempts = least_contended(
        run,
        **contention_arguments(args),
        sample=0.1 if context.smoke else 1.0,
        label=label,
    )
    state = dict(state, attempts=[s for _, s in attempts])
    return result, state


def accuracy(Z_source, y_source, Z_target, y_target, max_rows=None, seed=0):
    from sklearn.linear_model import LogisticRegression

    if max_rows and Z_source.shape[0] > max_rows:
        rows = np.random.default_rng([seed, 55]).choice(
            Z_source.shape[0], max_rows, replace=False
        )
        Z_source, y_source = Z_source[rows], y_source[rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(max_iter=1000).fit(Z_source, y_source)
    return float(model.score(Z_target, y_target))


def timed_embedding(X, sample_domain, **params):
    """Fit + transform of every row; returns the model, embedding and times."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    model = TransferComponentAnalysis(**params).fit(X, sample_domain=sample_domain)
    t1 = time.perf_counter()
    Z = model.transform(X)
    t2 = time.perf_counter()
    return (
        model,
        Z,
        {
            "seconds": t2 - t0,
            "cpu_seconds": time.process_time() - c0,
            "fit_seconds": t1 - t0,
            "transform_seconds": t2 - t1,
        },
    )


# ------------------------------------------------------------------ part (a) ---


def split_problem(args, context, n):
    """``make_problem`` with ``n // 2`` source rows and ``n - n // 2`` target
    rows (its file deleted) and the median-heuristic RBF gamma of its rows:
    ``(n_source, X_s, y_s, X_t, y_t, gamma)``."""
    n_source = n // 2
    problem, X_s, y_s, X_t, y_t = tca_problem(
        context, n_source, n - n_source, args.seed
    )
    problem.unlink()
    gamma = gamma_from_bandwidth(median_bandwidth(X_s, X_t, random_state=args.seed))
    return n_source, X_s, y_s, X_t, y_t, gamma


def agreement(args, context, n):
    """Exact once, fast for every n_landmarks and seed; returns the rows."""
    from scipy.linalg import subspace_angles

    n_source, X_s, y_s, X_t, y_t, gamma = split_problem(args, context, n)
    X = np.vstack([X_s, X_t])
    sample_domain = np.r_[np.ones(n_source, int), -np.ones(n - n_source, int)]
    common = {
        "n_components": args.n_components,
        "kernel": "rbf",
        "gamma": gamma,
        "mu": args.mu,
        "n_jobs": args.n_jobs,
    }
    (exact, Z_exact, times), state = contended_step(
        args,
        context,
        lambda: timed_embedding(
            X, sample_domain, solver="exact", random_state=args.seed, **common
        ),
        f"n = {n} exact",
    )
    acc_exact = accuracy(Z_exact[:n_source], y_s, Z_exact[n_source:], y_t)
    base = {"part": "a", "n": n, "n_source": n_source, "gamma": gamma}
    rows = [
        dict(
            base,
            solver="exact",
            n_landmarks=None,
            random_state=args.seed,
            accuracy=acc_exact,
            eigenvalues=[float(v) for v in exact.eigenvalues_],
            **times,
            **state,
        )
    ]
    context.log.info(
        "n = %d exact: %.2f s, acc %.4f (load %.2f, others' cores %.2f / %.2f)",
        n,
        times["seconds"],
        acc_exact,
        state["loadavg_at_start"][0],
        state["busy_cores_before"],
        state["others_busy_during"],
    )
    for n_landmarks in args.landmarks:
        for seed in args.fast_seeds:
            (fast, Z, times), state = contended_step(
                args,
                context,
                lambda n_landmarks=n_landmarks, seed=seed: timed_embedding(
                    X,
                    sample_domain,
                    solver="fast",
                    n_landmarks=n_landmarks,
                    random_state=seed,
                    **common,
                ),
                f"n = {n} fast m = {n_landmarks}",
            )
            angles = np.rad2deg(subspace_angles(Z, Z_exact))
            rows.append(
                dict(
                    base,
                    solver="fast",
                    n_landmarks=n_landmarks,
                    n_landmarks_used=int(fast.n_landmarks_),
                    rank=fast.rank_,
                    random_state=seed,
                    largest_angle_deg=float(angles.max()),
                    mean_angle_deg=float(angles.mean()),
                    eigenvalue_rel_diff=float(
                        np.abs(fast.eigenvalues_ / exact.eigenvalues_ - 1).max()
                    ),
                    accuracy=accuracy(Z[:n_source], y_s, Z[n_source:], y_t),
                    accuracy_exact=acc_exact,
                    **times,
                    **state,
                )
            )
            r = rows[-1]
            context.log.info(
                "  fast m=%d seed=%d: %.3f s, angle %.3f deg, acc %.4f (others %.2f)",
                n_landmarks,
                seed,
                r["seconds"],
                r["largest_angle_deg"],
                r["accuracy"],
                r["others_busy_during"],
            )
    return rows


# ------------------------------------------------------------------ part (b) ---


def large(args, context, n):
    """The fast path on n rows in a fresh process; returns the row."""
    n_source, X_s, y_s, X_t, y_t, gamma = split_problem(args, context, n)
    del X_s, X_t
    out = context.tmp / f"large_{n}.npz"
    cmd = [
        "--generate", n_source, n - n_source,
        "--out", out,
        "--gamma", repr(gamma),
        "--n-components", args.n_components,
        "--mu", repr(args.mu),
        "--solver", "fast",
        "--seed", args.seed,
        "--repeats", 1,
        "--profile-steps",
    ]  # fmt: skip
    if args.large_n_jobs is not None:
        cmd += ["--n-jobs", args.large_n_jobs]
    env = thread_env(args.blas_threads)
    row = {
        "part": "b",
        "n": n,
        "n_source": n_source,
        "gamma": gamma,
        "solver": "fast",
        "n_jobs": args.large_n_jobs,
    }
    context.log.info("large n = %d ...", n)
    t0 = time.perf_counter()
    try:
        result, state = contended_step(
            args,
            context,
            # our interpreter, importing the run's copy of the package
            lambda: context.worker(
                "ours_tca.py", cmd, env=env, timeout=args.large_timeout
            ),
            f"large n = {n}",
        )
        row.update(state)
    except subprocess.TimeoutExpired:
        return dict(
            row, status="timeout", note=f"timed out after {args.large_timeout:g} s"
        )
    except RuntimeError as error:
        return dict(row, status="error", note=str(error)[-1500:])
    row["process_seconds"] = time.perf_counter() - t0
    for key in (
        "seconds",
        "cpu_seconds",
        "steps",
        "rss_before_mb",
        "peak_before_mb",
        "compute_peak_mb",
        "peak_rss_mb",
        "increment_mb",
        "hwm_reset",
        "warnings",
        "params",
        "fitted",
        "versions",
        "loadavg_at_end",
        "threadpools",
    ):
        row[key] = result.get(key)
    row["n_landmarks"] = result["fitted"]["n_landmarks_"]
    row["worker_loadavg_at_start"] = result.get("loadavg_at_start")
    with np.load(out) as f:
        Z_source, Z_target = f["source"], f["target"]
    out.unlink()
    t1 = time.perf_counter()
    row["accuracy"] = accuracy(
        Z_source, y_s, Z_target, y_t, max_rows=args.lr_max_rows, seed=args.seed
    )
    row["lr_rows"] = min(n_source, args.lr_max_rows or n_source)
    row["accuracy_seconds"] = time.perf_counter() - t1
    row["status"] = "ok"
    context.log.info(
        "large n = %d: %.1f s (fit %.1f, transform %.1f), peak %.0f MiB, acc %.4f",
        n,
        row["seconds"],
        row["steps"]["fit"],
        row["steps"]["transform"],
        row["peak_rss_mb"],
        row["accuracy"],
    )
    return row


# ------------------------------------------------------------------- report ---


def contention(r):
    text = (
        f"{r['loadavg_at_start'][0]:.2f} / {r['busy_cores_before']:.2f} / "
        f"{r['others_busy_during']:.2f}"
    )
    if len(r.get("attempts") or []) > 1:
        text += f" ({len(r['attempts'])} attempts)"
    return text


def agreement_table(rows):
    sub = [r for r in rows if r["part"] == "a"]
    exact = {r["n"]: r for r in sub if r["solver"] == "exact"}
    groups = {}
    for r in sub:
        if r["solver"] == "fast":
            groups.setdefault((r["n"], r["n_landmarks"]), []).append(r)
    body = []
    for n, ex in sorted(exact.items()):
        body.append(
            [
                n,
                "exact",
                "–",
                "–",
                "–",
                "–",
                fmt(ex["accuracy"], ".4f"),
                "–",
                f"{fmt_time(ex['seconds'])} ({fmt_time(ex['fit_seconds'])} + "
                f"{fmt_time(ex['transform_seconds'])})",
                contention(ex),
            ]
        )
        for (n2, m), group in sorted(groups.items()):
            if n2 != n:
                continue
            largest = [r["largest_angle_deg"] for r in group]
            accs = [r["accuracy"] for r in group]
            secs = [r["seconds"] for r in group]
            body.append(
                [
                    n,
                    "fast",
                    f"{m}"
                    + (
                        f" (all {group[0]['n_landmarks_used']})"
                        if group[0]["n_landmarks_used"] < m
                        else ""
                    ),
                    f"{np.median(largest):.3f} ({max(largest):.3f})",
                    f"{np.median([r['mean_angle_deg'] for r in group]):.3f}",
                    f"{max(r['eigenvalue_rel_diff'] for r in group):.2e}",
                    f"{np.median(accs):.4f} ({min(accs):.4f}–{max(accs):.4f})",
                    f"{np.median(accs) - ex['accuracy']:+.4f}",
                    f"{fmt_time(float(np.median(secs)))} ({fmt_time(min(secs))}–"
                    f"{fmt_time(max(secs))})",
                    f"{max(r['loadavg_at_start'][0] for r in group):.2f} / "
                    f"{max(r['busy_cores_before'] for r in group):.2f} / "
                    f"{max(r['others_busy_during'] for r in group):.2f}",
                ]
            )
    return md_table(
        [
            "n (rows in total)",
            "solver",
            "n_landmarks",
            "largest angle to exact (°), median (max) over seeds",
            "mean of the 10 angles (°), median",
            "eigenvalues: max rel. diff.",
            "target acc., median (range)",
            "acc. − exact",
            "fit + transform (s), median (range)",
            "load1 at start / others' cores before / during (max)",
        ],
        body,
    )


def large_table(rows):
    body = []
    for r in rows:
        if r["part"] != "b":
            continue
        if r["status"] != "ok":
            body.append(
                [f"{r['n']:,}", f"{r['status']}: {r.get('note', '')[:200]}"] + ["–"] * 8
            )
            continue
        body.append(
            [
                f"{r['n']:,}",
                r["n_landmarks"],
                fmt_time(r["seconds"]),
                fmt_time(r["cpu_seconds"]),
                f"{fmt_time(r['steps']['fit'])} + {fmt_time(r['steps']['transform'])}",
                f"{r['peak_rss_mb']:.0f} ({r['peak_rss_mb'] / 1024:.2f} GiB)",
                f"{r['rss_before_mb']:.0f}",
                fmt(r["accuracy"], ".4f"),
                f"{r['lr_rows']:,}",
                contention(r),
            ]
        )
    return md_table(
        [
            "n (rows in total)",
            "n_landmarks",
            "fit + transform (s)",
            "CPU (s)",
            "fit + transform split (s)",
            "peak RSS of the process (MiB)",
            "RSS before the fit (MiB; data included)",
            "target acc.",
            "LR training rows",
            "load1 at start / others' cores before / during",
        ],
        body,
    )


STEP_NAMES = {
    "fit:kernel_features": "fit: Nystroem features of every row "
    "(kernel against the landmarks × projection)",
    "fit:nystroem_basis": "fit: landmarks' kernel matrix and its eigendecomposition",
    "fit:_fast_kernel": "fit: landmarks, Nystroem features and their basis "
    "(includes the two lines above)",
    "fit:_solve_fast": "fit: the reduced eigenproblem on the features",
    "fit:_standardized": "fit: scaling and signs of the components",
    "fit:validate_data": "fit: input validation",
    "transform:kernel_features": "transform: kernel against the landmarks "
    "× coefficients",
    "transform:validate_data": "transform: input validation",
}


def step_lines(rows):
    lines = []
    for r in rows:
        if r["part"] != "b" or r["status"] != "ok":
            continue
        steps = r["steps"]
        names = dict(STEP_NAMES)
        if "fit:_fast_kernel" not in steps:
            # Runs before the kernel statistics had a function of their own.
            names["fit:_solve_fast"] = (
                "fit: the whole fast solver (includes the two lines above)"
            )
        solver = steps.get("fit:_fast_kernel", 0.0) + steps.get("fit:_solve_fast", 0.0)
        rest = (
            solver
            - steps.get("fit:kernel_features", 0.0)
            - steps.get("fit:nystroem_basis", 0.0)
        )
        lines += [
            f"Where the time goes at n = {r['n']:,} (wall clock, one run):",
            "",
            md_table(
                ["step", "seconds", "share of fit + transform"],
                [
                    [names.get(k, k), f"{v:.2f}", f"{v / r['seconds']:.0%}"]
                    for k, v in steps.items()
                    if k not in ("fit", "transform")
                ]
                + [
                    [
                        "fit: rest of the solver (Gram matrix of the features, "
                        "products with per-row vectors, r × r eigenproblem, "
                        "training embedding)",
                        f"{rest:.2f}",
                        f"{rest / r['seconds']:.0%}",
                    ]
                ],
            ),
            "",
        ]
    return lines


def goal_lines(rows):
    big = [r for r in rows if r["part"] == "b" and r["n"] >= 1_000_000]
    if not big:
        return ["- 1 000 000 rows: not run."]
    r = max(big, key=lambda r: r["n"])
    if r["status"] != "ok":
        return [f"- {r['n']:,} rows: **not met** — {r['status']}: {r.get('note')}"]
    gib = r["peak_rss_mb"] / 1024
    ok_time, ok_mem = r["seconds"] < GOAL_SECONDS, gib < GOAL_GIB
    return [
        f"- {r['n']:,} rows, under {GOAL_SECONDS // 60} minutes: "
        f"**{'met' if ok_time else 'not met'}** — fit + transform {r['seconds']:.1f} s "
        f"({r['cpu_seconds']:.1f} s CPU).",
        f"- {r['n']:,} rows, under {GOAL_GIB} GiB peak RSS: "
        f"**{'met' if ok_mem else 'not met'}** — {gib:.2f} GiB for the whole "
        "process (interpreter, data and embedding included).",
    ]


def table(rows, meta):
    s = meta["settings"]
    lines = [
        "- per timed step in the tables: the 1-minute load, the cores other "
        "processes kept busy in the second before it and on average during it "
        "(the machine's busy CPU time minus this benchmark's). Each step waited "
        f"up to {s['quiet_wait']:g} s for fewer than {s['quiet_cores']:g} busy "
        f"cores; a step during which others averaged more than "
        f"{s['contended_cores']:g} cores was run again (up to {s['retries']} "
        f"time(s), after waiting up to {s['retry_wait']:g} s), keeping the least "
        "contended attempt",
        f"- settings: seed {s['seed']}, n_components = {s['n_components']}, mu = "
        f"{s['mu']:g}, RBF gamma by the median heuristic per data set; BLAS/OpenMP "
        f"threads = {s['blas_threads']}; n_jobs = {s['n_jobs']} in (a), "
        f"{s['large_n_jobs']} in (b)",
        "- data: synthetic, `peer_scripts/_tca_worker.make_problem` (d = 20), "
        "n / 2 rows per domain",
        "",
        "## (a) Fast path against the exact path, same rows",
        "",
        f"Fast path with random_state in {s['fast_seeds']} (the landmark draw); "
        "the angles are between the spans of the two training embeddings "
        "(10 components each); accuracy = LogisticRegression on the embedded "
        "source rows, scored on the embedded target rows. Times from this "
        "process, one run each.",
        "",
        agreement_table(rows),
        "",
        "## (b) Fast path at scale (fresh process per size)",
        "",
        large_table(rows),
        "",
        *step_lines(rows),
        "## Goal",
        "",
        *goal_lines(rows),
        "",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------ the run ---


def add_arguments(parser):
    parser.add_argument(
        "--sizes", nargs="*", type=int, default=[1000, 2000, 5000, 10000]
    )
    parser.add_argument(
        "--landmarks", nargs="+", type=int, default=[100, 300, 500, 1000]
    )
    parser.add_argument("--fast-seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--large-sizes", nargs="*", type=int, default=[200_000, 1_000_000]
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mu", type=float, default=0.1)
    parser.add_argument("--n-components", type=int, default=10)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--large-n-jobs", type=int, default=2)
    parser.add_argument("--blas-threads", type=int, default=2)
    parser.add_argument("--large-timeout", type=float, default=1800.0)
    parser.add_argument("--lr-max-rows", type=int, default=None)
    add_contention_options(parser)


def run(options, context):
    from threadpoolctl import threadpool_limits

    # This process's fits (part (a)) and evaluation use the same BLAS threads.
    with threadpool_limits(limits=options.blas_threads):
        for n in options.sizes:
            yield from agreement(options, context, n)
        for n in options.large_sizes:
            yield large(options, context, n)
