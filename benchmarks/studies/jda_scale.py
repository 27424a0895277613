"""JDA at scale: the fast path with pseudo-label rounds at 10^4 to 10^6 rows.

Protocol
--------
Estimator: ``sktransfer.feature.JointDistributionAdaptation(n_components=10,
kernel="rbf", solver="fast", n_landmarks=500, n_iter=10, random_state=0)``
(``gamma`` None: the median heuristic, inside the fit; ``balance`` 0.5, ``mu``
0.1, ``n_jobs`` ``--n-jobs``, None), with two pseudo-labelers:

- ``logreg``: ``estimator=sklearn.linear_model.LogisticRegression()`` (its
  defaults), chosen before any result was seen as the labeler whose cost is
  linear in the rows (a few hundred passes over the 10-column embedding of
  the labeled rows per round), at every size in ``--sizes``;
- ``knn1``: the default (``estimator=None``, 1-nearest-neighbour, the papers'
  labeler), at ``--knn-sizes`` only (10^4 and 10^5): each round it searches
  the n / 2 labeled rows for each of the n / 2 target rows.

For comparison, TCA with the same labeler on the same rows:
``n_iter=0``, i.e. TCA's components and one pseudo-labeling of the target
rows in them (the same estimator, so the time ratio JDA / TCA is the cost of
the ten rounds). No adaptation: the labeler fitted on the raw source rows and
scored on the raw target rows (outside the timer, in the TCA process).

Data: ``peer_scripts/ours_jda.make_problem``, n rows in total (``--sizes``:
10^4, 10^5, 10^6), n / 2 per domain, all source rows labeled, no target row
labeled, drawn from ``--seed`` in the worker process. d = 20 features, 5
equally likely classes; a source row of class c is ``N(m_c, I)`` with the
centres ``m_c`` on a circle of radius 3 in features 0 and 1 (neighbours 3.5
apart), 0 elsewhere. The target's class-conditional shift: a target row of
class c is drawn the same way, then moved by ``0.5 (c - 2)`` (-1 to +1)
along the circle's tangent at ``m_c`` (towards a neighbouring class), by 2
along feature ``2 + c`` (each class along its own nuisance feature), and by
1.5 along features 7 and 8 (every class: a marginal shift). Reported accuracy:
the share of ``pseudo_labels_`` equal to the true target labels (all target
rows; the labels are used only to score).

Measurement: each fit in a fresh process (``peer_scripts/ours_jda.py``), which
draws its data itself so that its peak includes the data as a user's process
would; ``fit(X, y, sample_domain=...)`` timed once (wall clock and the
process's CPU time); the process's peak resident set size (``VmHWM``:
interpreter, data and fit) and its RSS before the fit; ``n_iter_`` (rounds
run) and the last of ``label_changes_`` (0: converged). The fit runs under
``cProfile`` (``--no-profile`` to drop it; the profiler adds a little time per
Python call) for where the time goes: the kernel statistics computed once
(``_fast_kernel``: landmarks, Nystroem features of every row, their basis),
the eigen-solves (``_solve_fast``, one per round plus TCA's), the
pseudo-labelings (``_pseudo_labels``: the labeler's fit and predict, as many),
the class contrasts and the rest. A fit that takes more than ``--timeout``
seconds (600) is stopped and recorded, and its labeler is not run at larger
sizes. TCA and JDA of one size and labeler run back to back.

Threads: ``--blas-threads`` (1) BLAS/OpenMP threads in every worker. The
machine has 2 cores and other benchmarks run on it: a trial at 10^4 rows with
two BLAS threads while other processes kept the load near 8 took 38 s (21 s
CPU) against 1.8 s (1.2 s CPU) with one, the threads spinning while they wait
for each other. Before each fit the study waits up to ``--quiet-wait`` seconds
(20) for fewer than ``--quiet-cores`` busy cores and records the 1-minute load,
the cores other processes kept busy in the second before and on average during
the fit (``benchmarks.harness.watched``); ``--retries`` (0) reruns a fit during
which they averaged more than ``--contended-cores``. The CPU times are less
disturbed by the other processes than the wall-clock times.

Results: ``benchmarks/results/jda_scale.{json,md}``; ``python -m benchmarks
report jda_scale`` rewrites the ``.md`` from the ``.json``. A smoke run
(``--smoke``) fits 2000 rows with each labeler.

Command (about 15 minutes on the shared 2 cores, load 6-7)::

    python -m benchmarks run jda_scale
    python -m benchmarks run jda_scale --sizes 10000 --knn-sizes 10000
"""

import time

from ..harness import fmt, fmt_time, md_table, thread_env
from ..harness.options import add_contention_options, contention_arguments
from ..harness.processes import least_contended, run_or_stop, skip_note

CODE = (
    "feature/_jda.py",
    "feature/_tca.py",
    "feature/_eigensolvers.py",
    "_kernels.py",
)
SMOKE = {
    "sizes": [1000],
    "knn_sizes": [1000],
    "n_iter": 2,
    "quiet_wait": 0.0,
    "retries": 0,
    "timeout": 300.0,
}
LABELERS = {
    "logreg": "LogisticRegression()",
    "knn1": "1-NN (default)",
}
METHODS = {"tca": 0, "jda": None}  # n_iter: None = --n-iter

KEPT = (
    "seconds",
    "cpu_seconds",
    "rss_before_mb",
    "peak_before_mb",
    "compute_peak_mb",
    "peak_rss_mb",
    "increment_mb",
    "hwm_reset",
    "warnings",
    "steps",
    "step_calls",
    "accuracy",
    "raw_accuracy",
    "raw_seconds",
    "params",
    "fitted",
    "versions",
    "threadpools",
    "loadavg_at_end",
)


def worker_args(options, n, labeler, n_iter, with_baseline):
    """The command line of ``peer_scripts/ours_jda.py`` for one fit."""
    cmd = [
        "--generate", n // 2, n - n // 2,
        "--seed", options.seed,
        "--labeler", labeler,
        "--n-iter", n_iter,
        "--n-components", options.n_components,
        "--n-landmarks", options.n_landmarks,
        "--random-state", options.random_state,
    ]  # fmt: skip
    if options.n_jobs is not None:
        cmd += ["--n-jobs", options.n_jobs]
    if not options.no_profile:
        cmd.append("--profile-steps")
    if with_baseline:
        cmd.append("--raw-baseline")
    return cmd


def run_fit(options, context, n, labeler, method, stopped):
    """One fit in a fresh process; its row (``status`` ok, skipped, timeout or
    error). A timeout or failure keeps the labeler and method from larger n."""
    n_iter = options.n_iter if METHODS[method] is None else METHODS[method]
    row = {
        "n": n,
        "n_source": n // 2,
        "labeler": labeler,
        "method": method,
        "n_iter": n_iter,
    }
    key, label = f"{labeler} {method}", f"n = {n:,} {labeler} {method}"
    note = skip_note(key, n, stopped, None, size="n")
    if note:
        return dict(row, status="skipped", note=note)
    cmd = worker_args(options, n, labeler, n_iter, with_baseline=method == "tca")
    t0 = time.perf_counter()

    def call():
        return least_contended(
            lambda: context.worker(
                "ours_jda.py",
                cmd,
                env=thread_env(options.blas_threads),
                timeout=options.timeout,
            ),
            **contention_arguments(options),
            sample=0.1 if context.smoke else 1.0,
            label=label,
        )

    out, failure = run_or_stop(
        call,
        key,
        stopped,
        f"at n = {n:,}",
        context.log,
        f"stopped after {options.timeout:g} s",
    )
    if failure:
        return dict(row, **failure)
    result, state, attempts = out
    row.update(state, attempts=[s for _, s in attempts])
    row.update({k: result.get(k) for k in KEPT})
    row["worker_loadavg_at_start"] = result.get("loadavg_at_start")
    row["process_seconds"] = time.perf_counter() - t0
    row["status"] = "ok"
    f = row["fitted"]
    context.log.info(
        "%s: fit %.1f s (%.1f s CPU), peak %.0f MiB, %d rounds, last change %s, "
        "acc %.4f",
        label,
        row["seconds"],
        row["cpu_seconds"],
        row["peak_rss_mb"],
        f["n_iter_"],
        f["label_changes_"][-1] if f["label_changes_"] else "–",
        row["accuracy"],
    )
    return row


# ------------------------------------------------------------------- report ---


def contention(r):
    return (
        f"{r['loadavg_at_start'][0]:.2f} / {r['busy_cores_before']:.2f} / "
        f"{r['others_busy_during']:.2f}"
    )


def pairs(rows):
    """``(n, labeler, jda_row, tca_row)`` in the order of the run."""
    found = {}
    for r in rows:
        found.setdefault((r["n"], r["labeler"]), {})[r["method"]] = r
    return [
        (n, labeler, d.get("jda"), d.get("tca")) for (n, labeler), d in found.items()
    ]


def ok(r):
    return r is not None and r["status"] == "ok"


def failed(r):
    if r is None:
        return "not run"
    return f"{r['status']}: {r.get('note', '')}"


def percent(share):
    """A share of rows as a percentage, small ones with their leading digits."""
    return "0" if share == 0 else f"{100 * share:.2g}%"


def last_change(r):
    changes = r["fitted"]["label_changes_"]
    if not changes:
        return "–"
    rows = round(changes[-1] * (r["n"] - r["n_source"]))
    return f"{percent(changes[-1])} ({rows:,} rows)"


def main_table(rows):
    body = []
    for n, labeler, jda, tca in pairs(rows):
        cells = [f"{n:,}", LABELERS[labeler]]
        if ok(jda):
            cells += [
                f"{fmt_time(jda['seconds'])} ({fmt_time(jda['cpu_seconds'])})",
                f"{jda['peak_rss_mb']:.0f}",
                jda["fitted"]["n_iter_"],
                last_change(jda),
                fmt(jda["accuracy"], ".4f"),
            ]
        else:
            cells += [failed(jda)] + ["–"] * 4
        if ok(tca):
            cells += [
                f"{fmt_time(tca['seconds'])} ({fmt_time(tca['cpu_seconds'])})",
                f"{tca['peak_rss_mb']:.0f}",
                fmt(tca["accuracy"], ".4f"),
                fmt(tca["raw_accuracy"], ".4f"),
            ]
        else:
            cells += [failed(tca)] + ["–"] * 3
        if ok(jda) and ok(tca):
            cells.append(
                f"{jda['seconds'] / tca['seconds']:.1f}x "
                f"({jda['cpu_seconds'] / tca['cpu_seconds']:.1f}x)"
            )
        else:
            cells.append("–")
        cells.append(
            "; ".join(contention(r) for r in (jda, tca) if ok(r)) or "–",
        )
        body.append(cells)
    return md_table(
        [
            "n (rows in total)",
            "pseudo-labeler",
            "JDA fit, s (CPU s)",
            "JDA peak RSS (MiB)",
            "rounds (n_iter_)",
            "last label change",
            "JDA target acc.",
            "TCA (n_iter=0) fit, s (CPU s)",
            "TCA peak RSS (MiB)",
            "TCA target acc.",
            "no adaptation acc.",
            "JDA / TCA time (CPU)",
            "load1 / others' cores before / during (JDA; TCA)",
        ],
        body,
    )


def share(seconds, total):
    return f"{seconds:.2f} ({seconds / total:.0%})"


def steps_table(rows):
    body = []
    for n, labeler, jda, tca in pairs(rows):
        if not ok(jda) or not jda.get("steps"):
            continue
        steps, calls, total = jda["steps"], jda["step_calls"], jda["seconds"]
        kernel = steps.get("_fast_kernel", 0.0)
        solve = steps.get("_solve_fast", 0.0)
        label = steps.get("_pseudo_labels", 0.0)
        contrasts = steps.get("_class_contrasts", 0.0)
        rest = total - kernel - solve - label - contrasts
        n_solve = calls.get("_solve_fast", 0)
        n_label = calls.get("_pseudo_labels", 0)
        body.append(
            [
                f"{n:,}",
                LABELERS[labeler],
                fmt_time(total),
                share(kernel, total),
                f"{share(solve, total)}, {n_solve} × {solve / max(n_solve, 1):.3f}",
                f"{share(label, total)}, {n_label} × {label / max(n_label, 1):.3f}",
                share(contrasts, total),
                share(rest, total),
                fmt_time(total - tca["seconds"]) if ok(tca) else "–",
            ]
        )
    return md_table(
        [
            "n",
            "pseudo-labeler",
            "JDA fit (s)",
            "kernel statistics, once (s, share)",
            "eigen-solves (s, share), calls × s each",
            "pseudo-labelings (s, share), calls × s each",
            "class contrasts (s, share)",
            "rest: validation, median heuristic, scaling, profiler (s, share)",
            "JDA fit − TCA fit (s): the rounds' cost",
        ],
        body,
    )


def changes_lines(rows):
    lines = []
    for n, labeler, jda, _ in pairs(rows):
        if ok(jda):
            changes = ", ".join(percent(v) for v in jda["fitted"]["label_changes_"])
            lines.append(f"- n = {n:,}, {LABELERS[labeler]}: {changes or '–'}")
    return lines or ["- none"]


def memory_lines(rows):
    lines = []
    for r in rows:
        if ok(r):
            lines.append(
                f"- n = {r['n']:,}, {LABELERS[r['labeler']]}, {r['method'].upper()}: "
                f"RSS before the fit {r['rss_before_mb']:.0f} MiB (interpreter "
                f"and data), peak {r['peak_rss_mb']:.0f} MiB, increment "
                f"{r['increment_mb']:.0f} MiB (high-water mark reset: "
                f"{r['hwm_reset']}); gamma_ {r['fitted']['gamma_']:.4g}, "
                f"{r['fitted']['n_landmarks_']} landmarks, rank "
                f"{r['fitted']['rank_']}"
            )
    return lines


def warning_lines(rows):
    lines = []
    for r in rows:
        for w in (r.get("warnings") or []) if ok(r) else []:
            lines.append(
                f"- n = {r['n']:,}, {LABELERS[r['labeler']]}, {r['method']}: "
                f"{w['category']} ×{w['count']}: {w['message'][:300]}"
            )
    return lines or ["- none"]


def skipped_lines(rows, meta):
    s = meta["settings"]
    lines = [
        f"- {r['n']:,} rows, {LABELERS[r['labeler']]}, {r['method']}: "
        f"{r['status']} ({r.get('note', '')})"
        for r in rows
        if not ok(r)
    ]
    missing = [n for n in s["sizes"] if n not in s["knn_sizes"]]
    if missing:
        lines.append(
            f"- {LABELERS['knn1']}: not run at {', '.join(f'{n:,}' for n in missing)} "
            "rows (`--knn-sizes`): each round would search the n / 2 source rows "
            "for each of the n / 2 target rows"
        )
    return lines or ["- none"]


def table(rows, meta):
    s = meta["settings"]
    lines = [
        f"- estimator: JointDistributionAdaptation(n_components="
        f"{s['n_components']}, kernel='rbf', solver='fast', n_landmarks="
        f"{s['n_landmarks']}, n_iter={s['n_iter']}, random_state="
        f"{s['random_state']}, n_jobs={s['n_jobs']}); TCA = the same with "
        "n_iter=0 (TCA's components and one pseudo-labeling); gamma by the "
        "median heuristic inside the fit",
        "- data: `peer_scripts/ours_jda.make_problem` (d = 20, 5 classes on a "
        "circle, target classes moved differently: along the tangent, along "
        "their own nuisance feature, plus a shared shift), n / 2 rows per "
        f"domain, seed {s['seed']}; accuracy = pseudo_labels_ against the "
        "true target labels; no adaptation = the labeler on the raw features",
        f"- each fit in a fresh process, timed once; BLAS/OpenMP threads = "
        f"{s['blas_threads']}; steps from cProfile"
        + (" (off)" if s["no_profile"] else "")
        + f"; timeout {s['timeout']:g} s per fit",
        "- per fit: the 1-minute load, the cores other processes kept busy in "
        "the second before it and on average during it (the machine's busy CPU "
        f"time minus this benchmark's); each fit waited up to {s['quiet_wait']:g} "
        f"s for fewer than {s['quiet_cores']:g} busy cores, retries: "
        f"{s['retries']}",
        "",
        "## Fit time, memory, rounds and accuracy",
        "",
        main_table(rows),
        "",
        "## Where JDA's fit time goes (cProfile, wall clock)",
        "",
        steps_table(rows),
        "",
        "## Share of the target's pseudo-labels changed per round",
        "",
        *changes_lines(rows),
        "",
        "## Memory and fitted values",
        "",
        *memory_lines(rows),
        "",
        "## Not run, stopped or failed",
        "",
        *skipped_lines(rows, meta),
        "",
        "## Warnings",
        "",
        *warning_lines(rows),
        "",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------ the run ---


def add_arguments(parser):
    parser.add_argument(
        "--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--knn-sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--n-components", type=int, default=10)
    parser.add_argument("--n-landmarks", type=int, default=500)
    parser.add_argument("--n-iter", type=int, default=10)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--no-profile", action="store_true")
    add_contention_options(parser)
    parser.set_defaults(quiet_wait=20.0, retries=0, retry_wait=60.0)


def run(options, context):
    stopped = {}
    for n in options.sizes:
        for labeler in LABELERS:
            if labeler == "knn1" and n not in options.knn_sizes:
                continue
            for method in METHODS:
                yield run_fit(options, context, n, labeler, method, stopped)
