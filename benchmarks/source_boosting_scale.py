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

The package is copied at the start (``_provenance.snapshot_package``) and
every process imports the copy, so all rows measure the same code.

Results: ``<out-dir>/<name>.json`` and ``.md``; ``--report-only`` rewrites the
``.md`` from the ``.json``.

    python benchmarks/source_boosting_scale.py           # full run, ~3 min
    python benchmarks/source_boosting_scale.py --quick   # smoke run, < 1 min
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent
SCRIPTS = HERE / "peer_scripts"
for _path in (HERE, PROJECT_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import _run  # noqa: E402
from _peers import run_json_script  # noqa: E402
from _provenance import run_header, snapshot_package  # noqa: E402
from _report import command_line, fmt_load, fmt_time, machine_line, md_table  # noqa: E402

logger = logging.getLogger("source_boosting_scale")

WORKER = SCRIPTS / "ours_source_boosting.py"
METHOD_WORDS = {
    "boost_frozen": "SourceBoostingClassifier, frozen HGB source",
    "boost_unfrozen": "SourceBoostingClassifier, HGB source fitted inside",
    "rtlr_frozen": "RegularTransferLogisticRegression, frozen LR source",
    "rtlr_unfrozen": "RegularTransferLogisticRegression, LR source fitted inside",
}


def thread_env(args):
    n = args.threads
    return {
        "OMP_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "PYTHONPATH": args.snapshot,
    }


def common_args(args):
    return [
        "--seed", args.seed,
        "--strength", args.strength,
        "--noise", args.noise,
        "--target-pool", max(args.target_sizes),
        "--n-test", args.n_test,
    ]  # fmt: skip


def worker(args, cmd, label):
    t0 = time.perf_counter()
    try:
        out = run_json_script(
            sys.executable,
            WORKER,
            [*cmd, *common_args(args)],
            timeout=args.timeout,
            env=thread_env(args),
        )
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "note": f"timed out after {args.timeout:g} s"}
    except RuntimeError as error:
        logger.warning("%s failed: %s", label, str(error)[-600:])
        return {"status": "error", "note": str(error)[-1500:]}
    out["status"] = "ok"
    out["process_seconds"] = time.perf_counter() - t0
    return out


def run_setup(args, n_source, tmp):
    path = tmp / f"models_{n_source}.pkl"
    logger.info("setup N = %d ...", n_source)
    row = worker(
        args,
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


def run_fit(args, method, n_source, n_target, models):
    cmd = [
        "--mode", "fit",
        "--method", method,
        "--n-source", n_source,
        "--n-target", n_target,
        "--repeats", args.repeats,
    ]  # fmt: skip
    if models:
        cmd += ["--models", models]
    row = worker(args, cmd, f"{method} N={n_source} n={n_target}")
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


def fmt(x, spec=".1f"):
    return "–" if x is None else format(x, spec)


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


def write_markdown(path, rows, meta):
    m, s = meta, meta["settings"]
    fits = [r for r in rows if r["part"] == "fit" and r["status"] == "ok"]
    resets = {r.get("hwm_reset") for r in fits}
    lines = [
        "# Parameter transfer from a frozen source model: cost against source size",
        "",
        command_line(m),
        f"- started {m['started']}, finished {m.get('finished', '?')} "
        f"({m.get('seconds', 0) / 60:.1f} min in total)",
        machine_line(m),
        f"- load averages (1, 5, 15 min): {fmt_load(m['loadavg_start'])} at start, "
        f"{fmt_load(m.get('loadavg_end'))} at end (per process in the tables)",
        f"- ours: sktransfer {m['versions']['sktransfer']} (working tree at "
        f"{m['git_head'][:10]}"
        f"{', sktransfer/ modified vs HEAD' if m['source_modified'] else ''}, "
        "copied at the start; `parameter/_boosting.py` sha1 "
        f"{m['boosting_sha1'][:12]}, `parameter/_margin.py` {m['margin_sha1'][:12]}"
        f", `parameter/_linear.py` {m['linear_sha1'][:12]}), scikit-learn "
        f"{m['versions']['scikit-learn']}, scipy {m['versions']['scipy']}, numpy "
        f"{m['versions']['numpy']}, Python {m['versions']['python']}",
        f"- settings: source sizes {s['source_sizes']}, target sizes "
        f"{s['target_sizes']}, unfrozen contrast at {s['unfrozen_sizes']}; seed "
        f"{s['seed']}; concept shift strength {s['strength']:g}, noise "
        f"{s['noise']:g}, 20 features; {s['n_test']:,} target test rows; "
        f"{s['repeats']} timed fits after the first (memory) fit, median; "
        f"{s['threads']} BLAS/OpenMP thread(s) per process; high-water-mark "
        f"reset {'worked' if resets == {True} else 'FAILED in some processes'}",
    ]
    if s.get("note"):
        lines.append(f"- note: {s['note']}")
    lines += [
        "",
        "Protocol: see the docstring of `benchmarks/source_boosting_scale.py`.",
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
    Path(path).write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------- main ---

SETTINGS = (
    "source_sizes",
    "target_sizes",
    "unfrozen_sizes",
    "seed",
    "strength",
    "noise",
    "n_test",
    "repeats",
    "threads",
    "quick",
    "note",
)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run (~1 min): source sizes 10^4 and 10^5, target sizes "
        "200 and 1000, unfrozen at 10^4, one timed fit; results named <name>_quick",
    )
    parser.add_argument("--out-dir", default=str(HERE / "results"))
    parser.add_argument("--name", default=None)
    parser.add_argument("--note", default="")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    args.argv = _run.script_argv(__file__, argv)
    if args.quick:
        args.source_sizes, args.target_sizes = [10_000, 100_000], [200, 1000]
        args.unfrozen_sizes, args.repeats = [10_000], 1
    if args.name is None:
        args.name = "source_boosting_scale" + ("_quick" if args.quick else "")
    return args


def main(argv=None):
    args = parse_args(argv)
    _run.setup_logging()
    json_path, md_path = _run.result_paths(args)
    if args.report_only:
        _run.rewrite_report(json_path, md_path, write_markdown, logger)
        return 0
    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="source-boosting-") as tmp:
        tmp = Path(tmp)
        args.snapshot = snapshot_package(tmp)
        meta = run_header(
            args,
            SETTINGS,
            boosting_sha1="parameter/_boosting.py",
            margin_sha1="parameter/_margin.py",
            linear_sha1="parameter/_linear.py",
        )

        def save():
            _run.save_results(json_path, meta, rows)

        models = {}
        for n_source in args.source_sizes:
            row = run_setup(args, n_source, tmp)
            rows.append(row)
            models[n_source] = row["models"] if row["status"] == "ok" else None
            save()
        # The configurations to compare run back to back (same load): for
        # each model and target size, every source size frozen, then the
        # source fitted inside.
        for family in ("boost", "rtlr"):
            for n_target in args.target_sizes:
                for n_source in args.source_sizes:
                    if models[n_source] is not None:
                        rows.append(
                            run_fit(
                                args,
                                f"{family}_frozen",
                                n_source,
                                n_target,
                                models[n_source],
                            )
                        )
                        save()
                for n_source in args.unfrozen_sizes:
                    rows.append(
                        run_fit(args, f"{family}_unfrozen", n_source, n_target, None)
                    )
                    save()
    _run.finish_meta(meta, t0)
    meta["loadavg_end"] = list(os.getloadavg())
    _run.write_results(json_path, md_path, meta, rows, write_markdown, logger)
    return 0


if __name__ == "__main__":
    sys.exit(main())
