"""Parameter transfer from a frozen source model: cost against the source size.

The claim to check: with ``source_estimator=FrozenEstimator(model)``,
:class:`sktransfer.parameter.SourceBoostingClassifier` (and
:class:`~sktransfer.parameter.RegularTransferLogisticRegression`) fit on the
target rows only, so their fit time and memory do not depend on how many rows
the source model was trained on.

Protocol
--------
Data: ``sktransfer.datasets.make_domain_shift(shift="concept", n_features=20,
strength=1.0, noise=0.3)``: source rows drawn with ``random_state=seed``,
target rows with ``seed + 1``, the same target rows for every source size
(``peer_scripts/ours_source_boosting.py``: a labeled pool of 10 000 rows, of
which the first n are used, and 10 000 test rows).

1. Setup, one fresh process per source size N in ``--source-sizes`` (10^5,
   10^6): draw the N source rows, fit ``HistGradientBoostingClassifier(
   random_state=seed)`` and ``LogisticRegression(max_iter=1000)`` (each timed),
   pickle both. This is what a production pipeline did once; it is timed
   apart and is not part of any fit below.
2. One fresh process per configuration (method, N, n) with n in
   ``--target-sizes`` (200, 1000, 10 000):

   - ``boost_frozen``: ``SourceBoostingClassifier(FrozenEstimator(hgb))``
     (defaults: 100 rounds, learning rate 0.1, depth 3) fitted on the n
     target rows alone;
   - ``rtlr_frozen``: ``RegularTransferLogisticRegression(FrozenEstimator(lr))``
     (defaults: strength 1, C 1) likewise;
   - for contrast at N = ``--unfrozen-sizes`` (10^5): ``boost_unfrozen`` and
     ``rtlr_unfrozen``, the same estimators with an unfitted source model
     (``HistGradientBoostingClassifier(random_state=seed)``, the default
     ``LogisticRegression``), fitted inside on the N source rows stacked with
     the n target rows (``sample_domain``).

   Each process loads its data and models (the frozen ones: the target
   rows and the pickled model only), then fits once to measure memory: the
   RSS after loading (``rss_before``: interpreter, data, models), the
   high-water mark of that first fit after resetting it just before
   (``/proc/self/clear_refs``), and their difference (``increment``: what
   the fit added to the process). Then ``--repeats`` timed fits (median;
   the first fit, which pays first-call costs, is timed apart; wall clock
   and the process's CPU time, which other processes on the shared machine
   disturb less), then one more under ``tracemalloc`` (its peak: NumPy
   arrays included, the C++ buffers of the tree builders not). Accuracy on
   the 10 000 target test rows: the source model alone, the fitted model,
   and for the boosting a ``HistGradientBoostingClassifier`` fitted on the n
   labeled target rows alone.

Threads: ``--threads`` (1) BLAS/OpenMP threads in every process
(``OMP_NUM_THREADS`` and friends), so that runs on the shared 2-core machine
are comparable; the configurations compared with each other run back to back
(for each model and target size: every source size frozen, then fitted
inside); the 1-minute load average is recorded per process.

The package is copied at the start (``python -m benchmarks`` does it) and
every process imports the copy, so all rows measure the same code.

    python -m benchmarks run source_boosting_scale           # full run, ~3 min
    python -m benchmarks run source_boosting_scale --smoke
"""

from __future__ import annotations

import logging
import subprocess
import time

from ..harness import fmt, fmt_time, md_table, thread_env

logger = logging.getLogger(__name__)

CODE = ("parameter/_boosting.py", "parameter/_margin.py", "parameter/_linear.py")
# One fresh process per configuration, so the smoke run keeps to five: one
# source size (the N-against-N table needs two: ``--source-sizes 1000 2000``),
# every method once.
SMOKE = {
    "source_sizes": [1000],
    "target_sizes": [50],
    "unfrozen_sizes": [1000],
    "n_test": 200,
    "repeats": 1,
}
WORKER = "ours_source_boosting.py"
METHOD_WORDS = {
    "boost_frozen": "SourceBoostingClassifier, frozen HGB source",
    "boost_unfrozen": "SourceBoostingClassifier, HGB source fitted inside",
    "rtlr_frozen": "RegularTransferLogisticRegression, frozen LR source",
    "rtlr_unfrozen": "RegularTransferLogisticRegression, LR source fitted inside",
}


def common_args(args):
    return [
        "--seed", args.seed,
        "--strength", args.strength,
        "--noise", args.noise,
        "--target-pool", max(args.target_sizes),
        "--n-test", args.n_test,
    ]  # fmt: skip


def worker(args, context, cmd, label):
    t0 = time.perf_counter()
    try:
        out = context.worker(
            WORKER,
            [*cmd, *common_args(args)],
            env=thread_env(args.threads),
            timeout=args.timeout,
        )
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "note": f"timed out after {args.timeout:g} s"}
    except RuntimeError as error:
        logger.warning("%s failed: %s", label, str(error)[-600:])
        return {"status": "error", "note": str(error)[-1500:]}
    out["status"] = "ok"
    out["process_seconds"] = time.perf_counter() - t0
    return out


def run_setup(args, context, n_source):
    path = context.tmp / f"models_{n_source}.pkl"
    logger.info("setup N = %d ...", n_source)
    row = worker(
        args,
        context,
        ["--mode", "setup", "--n-source", n_source, "--out", path],
        f"setup {n_source}",
    )
    row.update(part="setup", n_source=n_source, models=str(path))
    if row["status"] == "ok":
        logger.info(
            "setup N = %d: data %.1f s, HGB %.1f s (%d iterations), LR %.1f s, "
            "peak %.0f MiB",
            n_source,
            row["data_seconds"],
            row["hgb_fit_seconds"],
            row["hgb_n_iter"],
            row["lr_fit_seconds"],
            row["peak_rss_mb"],
        )
    return row


def run_fit(args, context, method, n_source, n_target, models):
    cmd = [
        "--mode", "fit",
        "--method", method,
        "--n-source", n_source,
        "--n-target", n_target,
        "--repeats", args.repeats,
    ]  # fmt: skip
    if models:
        cmd += ["--models", models]
    row = worker(args, context, cmd, f"{method} N={n_source} n={n_target}")
    row.update(part="fit", method=method, n_source=n_source, n_target=n_target)
    if row["status"] == "ok":
        logger.info(
            "%s N=%d n=%d: fit %.3f s, increment %.1f MiB, traced %.1f MiB, "
            "acc %.4f (source %.4f), load %.2f",
            method,
            n_source,
            n_target,
            row["fit_seconds"],
            row["increment_mb"],
            row["traced_peak_mb"],
            row["accuracy"],
            row["source_accuracy"],
            row["loadavg_at_start"][0],
        )
    return row


# ------------------------------------------------------------------- report ---


def setup_table(rows):
    body = []
    for r in rows:
        if r["part"] != "setup":
            continue
        if r["status"] != "ok":
            body.append([f"{r['n_source']:,}", r["status"], *["–"] * 8])
            continue
        body.append(
            [
                f"{r['n_source']:,}",
                fmt_time(r["data_seconds"]),
                fmt_time(r["hgb_fit_seconds"]),
                f"{r['hgb_n_iter']}"
                + (" (early stopping)" if r["hgb_early_stopping"] else ""),
                fmt_time(r["lr_fit_seconds"]),
                f"{r['rss_before_fit_mb']:.0f} / {r['peak_rss_mb']:.0f}",
                f"{r['hgb_pickle_mb']:.2f} / {r['lr_pickle_mb'] * 1024:.1f} KiB",
                f"{r['hgb_target_accuracy']:.4f}",
                f"{r['lr_target_accuracy']:.4f}",
                f"{r['loadavg_at_start'][0]:.2f}",
            ]
        )
    return md_table(
        [
            "N source rows",
            "data (s)",
            "HGB fit (s)",
            "HGB iterations",
            "LR fit (s)",
            "RSS before fits / peak (MiB)",
            "pickled HGB (MiB) / LR",
            "HGB source-only acc. on target",
            "LR source-only acc. on target",
            "load1",
        ],
        body,
    )


def fit_table(rows, methods):
    body = []
    for r in rows:
        if r["part"] != "fit" or r["method"] not in methods:
            continue
        head = [METHOD_WORDS[r["method"]], f"{r['n_source']:,}", f"{r['n_target']:,}"]
        if r["status"] != "ok":
            body.append(
                head + [f"{r['status']}: {r.get('note', '')[:200]}"] + ["–"] * 9
            )
            continue
        times = r["fit_seconds_all"]
        body.append(
            head
            + [
                f"{fmt_time(r['fit_seconds'])} ({fmt_time(min(times))}–"
                f"{fmt_time(max(times))}) [{fmt_time(r['first_fit_seconds'])}]",
                fmt_time(r["cpu_seconds"]),
                f"{r['increment_mb']:.1f}",
                f"{r['traced_peak_mb']:.1f}",
                f"{r['rss_before_mb']:.0f}",
                f"{r['source_accuracy']:.4f}",
                f"{r['accuracy']:.4f}",
                fmt(r.get("target_only_accuracy"), ".4f"),
                str(r["source_n_iter"]),
                f"{r['loadavg_at_start'][0]:.2f}",
            ]
        )
    return md_table(
        [
            "model",
            "N source rows",
            "n target rows",
            "fit (s), median (range) [first fit]",
            "CPU (s), median",
            "RSS increment of the fit (MiB)",
            "traced peak (MiB)",
            "RSS before the fit (MiB)",
            "source-only acc.",
            "fitted acc.",
            "target-only HGB acc.",
            "source model iterations",
            "load1",
        ],
        body,
    )


def independence_lines(rows, sizes):
    """Frozen fits: the largest source size against the smallest."""
    if len(sizes) < 2:
        return ["- one source size only: nothing to compare."]
    small, large = min(sizes), max(sizes)
    ok = {
        (r["method"], r["n_source"], r["n_target"]): r
        for r in rows
        if r["part"] == "fit" and r["status"] == "ok"
    }
    body = []
    for method in ("boost_frozen", "rtlr_frozen"):
        for n in sorted({k[2] for k in ok if k[0] == method}):
            a, b = ok.get((method, small, n)), ok.get((method, large, n))
            if not (a and b):
                continue
            body.append(
                [
                    METHOD_WORDS[method],
                    f"{n:,}",
                    f"{b['fit_seconds'] / a['fit_seconds']:.2f}",
                    f"{b['cpu_seconds'] / a['cpu_seconds']:.2f}",
                    f"{b['increment_mb'] - a['increment_mb']:+.1f}",
                    f"{b['traced_peak_mb'] - a['traced_peak_mb']:+.2f}",
                    f"{b['rss_before_mb'] - a['rss_before_mb']:+.1f}",
                ]
            )
    unfrozen = []
    for method, frozen in (
        ("boost_unfrozen", "boost_frozen"),
        ("rtlr_unfrozen", "rtlr_frozen"),
    ):
        for (m, n_source, n), r in sorted(ok.items()):
            f = ok.get((frozen, n_source, n))
            if m == method and f:
                unfrozen.append(
                    [
                        METHOD_WORDS[method],
                        f"{n_source:,}",
                        f"{n:,}",
                        f"{r['fit_seconds'] / f['fit_seconds']:.1f}",
                        f"{r['cpu_seconds'] / f['cpu_seconds']:.1f}",
                        f"{r['increment_mb'] - f['increment_mb']:+.1f}",
                        f"{r['traced_peak_mb'] - f['traced_peak_mb']:+.1f}",
                    ]
                )
    lines = [
        f"Frozen source: N = {large:,} against N = {small:,} (same target rows):",
        "",
        md_table(
            [
                "model",
                "n target rows",
                f"fit time ratio N={large:,} / N={small:,}",
                "CPU time ratio",
                "RSS increment difference (MiB)",
                "traced peak difference (MiB)",
                "RSS before the fit, difference (MiB; the source model's size)",
            ],
            body,
        ),
        "",
    ]
    if unfrozen:
        lines += [
            "Source fitted inside against frozen, same N and target rows:",
            "",
            md_table(
                [
                    "model",
                    "N source rows",
                    "n target rows",
                    "fit time ratio inside / frozen",
                    "CPU time ratio",
                    "RSS increment difference (MiB)",
                    "traced peak difference (MiB)",
                ],
                unfrozen,
            ),
            "",
        ]
    return lines


def table(rows, meta):
    s = meta["settings"]
    fits = [r for r in rows if r["part"] == "fit" and r["status"] == "ok"]
    resets = {r.get("hwm_reset") for r in fits}
    lines = [
        "- the 1-minute load average at the start of each process: column load1",
        f"- settings: source sizes {s['source_sizes']}, target sizes "
        f"{s['target_sizes']}, unfrozen contrast at {s['unfrozen_sizes']}; seed "
        f"{s['seed']}; concept shift strength {s['strength']:g}, noise "
        f"{s['noise']:g}, 20 features; {s['n_test']:,} target test rows; "
        f"{s['repeats']} timed fits after the first (memory) fit, median; "
        f"{s['threads']} BLAS/OpenMP thread(s) per process; high-water-mark "
        f"reset {'worked' if resets == {True} else 'FAILED in some processes'}",
        "",
        "## Setup: fitting the source models (once, not part of any fit below)",
        "",
        setup_table(rows),
        "",
        "## SourceBoostingClassifier",
        "",
        "Fresh process per row. RSS increment = high-water mark of the first "
        "fit in the process (reset just before it) minus the RSS before it; "
        "traced peak = tracemalloc's peak during one more fit; fit time = "
        "median of the timed fits after the first (whose time is in brackets).",
        "",
        fit_table(rows, ("boost_frozen", "boost_unfrozen")),
        "",
        "## RegularTransferLogisticRegression",
        "",
        fit_table(rows, ("rtlr_frozen", "rtlr_unfrozen")),
        "",
        "## Does the cost depend on the source size?",
        "",
        *independence_lines(rows, s["source_sizes"]),
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- run ---


def add_arguments(parser):
    parser.add_argument(
        "--source-sizes", nargs="+", type=int, default=[100_000, 1_000_000]
    )
    parser.add_argument(
        "--target-sizes", nargs="+", type=int, default=[200, 1000, 10_000]
    )
    parser.add_argument("--unfrozen-sizes", nargs="*", type=int, default=[100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strength", type=float, default=1.0)
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--n-test", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800.0)


def run(options, context):
    models = {}
    for n_source in options.source_sizes:
        row = run_setup(options, context, n_source)
        models[n_source] = row["models"] if row["status"] == "ok" else None
        yield row
    # The configurations to compare run back to back (same load): for each
    # model and target size, every source size frozen, then the source
    # fitted inside.
    for family in ("boost", "rtlr"):
        for n_target in options.target_sizes:
            for n_source in options.source_sizes:
                if models[n_source] is not None:
                    yield run_fit(
                        options,
                        context,
                        f"{family}_frozen",
                        n_source,
                        n_target,
                        models[n_source],
                    )
            for n_source in options.unfrozen_sizes:
                yield run_fit(
                    options, context, f"{family}_unfrozen", n_source, n_target, None
                )
