"""Density-ratio reweighting: sktransfer vs ADAPT and SKADA (speed, ratio, accuracy).

Protocol
--------
Methods (``--methods``), the same data for every library:

- ours (sktransfer's public API, worker ``peer_scripts/ours_reweighting.py``):
  ``ours_ulsif`` = ``ulsif_weights(Xs, Xt, alpha=0)``, ``ours_rulsif`` =
  ``ulsif_weights(Xs, Xt, alpha=0.1)``, ``ours_kliep`` =
  ``kliep_weights(Xs, Xt)``, all with their defaults (100 centres; the width,
  and for the least squares the regulariser, chosen by their own
  leave-one-out or 5-fold likelihood cross-validation over ``sigma = f *
  median distance``, ``f`` in 0.25, 0.5, 1, 2, 4); ``ours_discriminative``
  = ``DiscriminativeReweighting(DummyClassifier()).fit(...).weights_``
  (defaults: logistic regression on standardized features as the domain
  classifier, 5-fold cross-fitting, sigmoid calibration, no cap; the dummy
  estimator makes the fit after the weights negligible);
- ADAPT 0.4.5 (``peer_scripts/adapt_reweighting.py``): ``adapt_kliep``,
  ``adapt_ulsif``, ``adapt_rulsif`` (``KLIEP``, ``ULSIF``, ``RULSIF`` of
  ``adapt.instance_based``, ``fit_weights``) with their defaults and
  ``gamma=`` the same 5 candidate widths as ours (ADAPT then chooses among
  them: KLIEP by its likelihood cross-validation, uLSIF/RuLSIF by its
  leave-one-out, with its default single regulariser ``lambdas=1``);
  ``adapt_iwc`` (``IWC``, its default ``LogisticRegression()`` domain
  classifier, weights ``1 / P(source|x) - 1``; no kernel);
- SKADA 0.6.0 (``peer_scripts/skada_reweighting.py``): ``skada_kliep``
  (``KLIEPReweightAdapter(gamma=[the 5 widths])``, which has no default
  width) and ``skada_discriminator`` (``DiscriminatorReweightAdapter()``, its
  default ``LogisticRegression()``), ``fit`` then ``compute_weights``.

What each library's code does beyond its documentation is in the worker
scripts' docstrings and in the report's notes (read in the installed source).

Part 1 -- synthetic covariate shift with a known ratio
(``benchmarks/harness/covariate_shift.py``, the generator of
``kmm_vs_peers``): d = 20, source ``N(0, I)``, target features 0 and 1
``N((1.5, 0), 0.5 I)``, a parabola label. ``--sizes`` source rows (10^3 to
10^6), n_t = min(n_s / 2, ``--max-n-target`` = 100 000), drawn from
``--seed``; a labeled target test set of ``--n-test`` (20 000) rows, the
same for every size. Per method and size, in a fresh subprocess (ours with
this interpreter and the run's package copy, the peers in their virtual
environments): the weight computation's wall clock and CPU time (library
imports, data loading and input stacking outside the timer; the minimum over
up to ``--repeats`` runs in the process while they took less than
``--repeat-budget`` seconds), the process's peak RSS (interpreter, imports -
TensorFlow for ADAPT - and data included) and the increment of the
computation. Then, in this process: Spearman and Pearson correlations of the
weights with the true density ratio at the source rows (for RuLSIF also
Pearson with the true *relative* ratio ``r / (0.1 r + 0.9)``, which it
estimates), Kish's effective sample size, and the target accuracy of
``LogisticRegression(max_iter=1000)`` fitted on the labeled source rows with
``sample_weight = weights / mean(weights)`` (negative weights clipped at 0).
References: uniform weights (source only), the true ratio (oracle), and a
logistic regression on the n_t labeled target rows (target only). Ratios in
the report: peer time / our counterpart's time (KLIEP: ours KLIEP; uLSIF,
RuLSIF: ours; IWC and SKADA's discriminator: ours
``DiscriminativeReweighting``).

Stop rules: every worker has ``--timeout`` seconds (600) and an address
space of ``--max-memory-gib`` GiB (12, ``RLIMIT_AS``: the machine is shared,
so an allocation beyond it fails with ``MemoryError`` rather than swapping);
a method that times out or fails is not run at larger sizes, nor is one
whose time, scaled linearly to the next size (a lower bound for every method
here), would exceed the timeout.

Part 2 -- the KMM paper's protocol on real data
(``benchmarks/harness/biased_selection.py``, protocol 2 of
``kmm_real_data``): UCI Taiwan credit and Phishing (``--datasets``), biased
selection ``--schemes`` (``distance``, ``feature``), ``--n-train`` (1000)
biased labeled training rows, ``--n-target`` (2000) unbiased unlabeled
target rows, every other row the test set; ``--seeds`` (10) splits, the same
for every method (written once, read by every worker; one worker process per
method for all the splits, each fitted once). Per split and method: test
accuracy of ``LogisticRegression(max_iter=1000)`` with the weights (mean 1),
Spearman correlation with the true importance weights ``1 / P(s=1|x)``,
effective sample size, fit time. References: unweighted and the true
importance weights (oracle). Differences are paired by split: against
unweighted, and against the better (by mean accuracy) of unweighted and the
oracle; mean +- standard error, 'better'/'worse' beyond 2 standard errors.

BLAS/OpenMP threads in every worker: ``--blas-threads`` (1, the same for
every library; the machine has 2 cores shared with other work); the
evaluation in this process runs on one BLAS thread. A smoke run (``--smoke``)
runs ours only, grouped in one worker per part (``--group-methods``), on a
few hundred rows (the peers' rows say "not run").

Command (17 minutes on 2 cores for the committed results)::

    python -m benchmarks run reweighting_vs_peers

Report from the saved rows::

    python -m benchmarks report reweighting_vs_peers
"""

import logging
import math
import os
import time
import warnings
from functools import partial

import numpy as np
import pandas as pd
from scipy.stats import pearsonr, spearmanr
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from sktransfer.metrics import gamma_from_bandwidth, median_bandwidth

from ..harness import (
    fmt,
    fmt_time,
    md_table,
    mean_se,
    paired_gain,
    thread_env,
    verdict,
    wait_for_quiet,
)
from ..harness.biased_selection import (
    LOADERS,
    SCHEMES,
    biased_split,
    selection_probability,
)
from ..harness.covariate_shift import (
    density_ratio,
    downstream_accuracy,
    make_problem,
    make_test,
)
from ..harness.datasets import project_data_dir, subsample_rows
from ..harness.options import add_choice_list, add_project_data_options
from ..harness.processes import run_or_stop, skip_note
from ..harness.stats import BETTER_TIE_WORSE
from ..harness.tables import fmt_load, fmt_pm, warning_lines

CODE = (
    "instance/_kernel_density_ratio.py",
    "instance/_density_ratio_solvers.py",
    "instance/_discriminative.py",
    "_density_ratio.py",
    "_kernels.py",
)
PEERS = ("adapt", "skada")
SMOKE = {
    "sizes": [300],
    "n_test": 500,
    "repeats": 1,
    "group_methods": True,
    "datasets": ["taiwan"],
    "schemes": ["distance"],
    "seeds": 1,
    "n_train": 60,
    "n_target": 60,
    "max_rows": 300,
    "quiet_wait": 0.0,
}
logger = logging.getLogger(__name__)

# The widths the kernel methods choose from: sigma = f * median distance.
WIDTH_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0)
RULSIF_ALPHA = 0.1
# name -> (runner, the worker's method, label)
METHODS = {
    "ours_ulsif": ("ours", "ulsif", "ours ulsif_weights (uLSIF)"),
    "ours_rulsif": ("ours", "rulsif", "ours ulsif_weights, alpha=0.1 (RuLSIF)"),
    "ours_kliep": ("ours", "kliep", "ours kliep_weights (KLIEP)"),
    "ours_discriminative": (
        "ours",
        "discriminative",
        "ours DiscriminativeReweighting (cv=5, sigmoid)",
    ),
    "adapt_kliep": ("adapt", "kliep", "ADAPT KLIEP (FW, gamma grid)"),
    "adapt_ulsif": ("adapt", "ulsif", "ADAPT ULSIF (gamma grid, lambdas=1)"),
    "adapt_rulsif": ("adapt", "rulsif", "ADAPT RULSIF (alpha=0.1, gamma grid)"),
    "adapt_iwc": ("adapt", "iwc", "ADAPT IWC (LogisticRegression)"),
    "skada_kliep": ("skada", "kliep", "SKADA KLIEPReweightAdapter (gamma grid)"),
    "skada_discriminator": (
        "skada",
        "discriminator",
        "SKADA DiscriminatorReweightAdapter",
    ),
}
COUNTERPART = {
    "adapt_kliep": "ours_kliep",
    "skada_kliep": "ours_kliep",
    "adapt_ulsif": "ours_ulsif",
    "adapt_rulsif": "ours_rulsif",
    "adapt_iwc": "ours_discriminative",
    "skada_discriminator": "ours_discriminative",
}
RELATIVE = {"ours_rulsif": RULSIF_ALPHA, "adapt_rulsif": RULSIF_ALPHA}
WORKERS = {
    "ours": "ours_reweighting.py",
    "adapt": "adapt_reweighting.py",
    "skada": "skada_reweighting.py",
}
REFERENCES = {
    "uniform": "reference: uniform weights (source only)",
    "oracle": "reference: true density ratio",
    "target_only": "reference: LogisticRegression on n_t labeled target rows",
}
REAL_REFERENCES = {
    "unweighted": "reference: unweighted (source only)",
    "oracle": "reference: true importance 1/P(s=1|x)",
}
# The fields of a worker's record that a row keeps.
KEEP = (
    "seconds",
    "seconds_all",
    "cpu_seconds_all",
    "rss_before_mb",
    "peak_rss_mb",
    "increment_mb",
    "hwm_reset",
    "warnings",
    "chosen",
    "load1_at_start",
    "load1_at_end",
)
NOT_RUN = ("skipped", "timeout", "error", "not run")
VERDICTS = BETTER_TIE_WORSE
PHRASES = {"better": "better than", "tie": "tied with", "worse": "worse than"}


# ------------------------------------------------------------------ workers ---


def width_grid(X_source, X_target, seed):
    """The median distance and the RBF coefficients of the 5 candidate widths."""
    median = median_bandwidth(X_source, X_target, random_state=seed)
    return median, [gamma_from_bandwidth(f * median) for f in WIDTH_FACTORS]


def save_problems(path, tasks):
    """Write ``tasks`` (dicts of X_source, y_source, X_target, gammas) in the
    format of ``peer_scripts/_reweighting_worker.py``."""
    arrays = {"n_tasks": len(tasks)}
    for k, task in enumerate(tasks):
        for key in ("X_source", "y_source", "X_target", "gammas"):
            arrays[f"{key}__{k}"] = np.asarray(task[key])
    np.savez(path, **arrays)


def groups(methods, grouped):
    """The worker processes to run: one per method, or (``grouped``) one per
    library."""
    if not grouped:
        return [[m] for m in methods]
    by_runner = {}
    for m in methods:
        by_runner.setdefault(METHODS[m][0], []).append(m)
    return list(by_runner.values())


def run_worker(context, methods, problem, out, options, *, repeats, timeout):
    """One worker process for ``methods`` (all of one library): its JSON, or
    None for a peer's in a smoke run (or raise)."""
    runner = METHODS[methods[0]][0]
    args = [
        "--data", problem,
        "--out", out,
        "--methods", *[METHODS[m][1] for m in methods],
        "--seed", options.seed,
        "--repeats", repeats,
        "--repeat-budget", options.repeat_budget,
        "--max-memory-gib", options.max_memory_gib,
        "--keep-going",
    ]  # fmt: skip
    env = thread_env(options.blas_threads)
    if runner == "ours":
        return context.worker(WORKERS[runner], args, env=env, timeout=timeout)
    return context.peer(runner, WORKERS[runner], args, env=env, timeout=timeout)


def worker_results(
    context, methods, problem, options, *, repeats, timeout, at, stopped
):
    """Run one worker; ``{method: (records, weights by task, failure)}``.

    ``failure`` (a timeout, an error exit, a smoke run's peer) applies to
    every task of the method; otherwise each task's record may hold its own
    ``error``.
    """
    out = context.tmp / f"weights_{methods[0]}.npz"
    label = "+".join(methods)
    result, failure = run_or_stop(
        partial(
            run_worker,
            context,
            methods,
            problem,
            out,
            options,
            repeats=repeats,
            timeout=timeout,
        ),
        label,
        stopped,
        at,
        logger,
        f"timeout after {timeout:g} s",
    )
    if failure is None and result is None:
        failure = {"status": "not run", "note": "smoke run: peers are not run"}
    if failure is not None:
        for m in methods:
            if label in stopped:
                stopped[m] = stopped[label]
        return {m: ([], {}, failure) for m in methods}
    with np.load(out) as f:
        weights = {key: f[key] for key in f.files}
    out.unlink()
    info = {k: result.get(k) for k in ("versions", "threadpools", "max_memory_gib")}
    found = {}
    for m in methods:
        name = METHODS[m][1]
        records = [dict(r, **info) for r in result["results"][name]]
        found[m] = (
            records,
            {k: weights[f"w__{name}__{k}"] for k in range(len(records))
             if f"w__{name}__{k}" in weights},
            None,
        )  # fmt: skip
    return found


# -------------------------------------------------------------- weight scores ---


def _correlation(function, a, b):
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    return float(function(a, b).statistic)


def weight_scores(weights, truth, alpha=None):
    """How the weights compare with the true ratio, and their spread."""
    w = np.asarray(weights, dtype=float)
    finite = bool(np.isfinite(w).all())
    out = {
        "n_nonfinite": int(np.sum(~np.isfinite(w))),
        "n_negative": int(np.sum(w < 0)),
        "finite": finite,
    }
    if not finite:
        return out
    clipped = np.clip(w, 0, None)
    total = clipped.sum()
    out.update(
        spearman=_correlation(spearmanr, w, truth),
        pearson=_correlation(pearsonr, w, truth),
        ess_frac=float(total**2 / (w.size * (clipped @ clipped))) if total else 0.0,
        max_over_mean=float(clipped.max() / clipped.mean()) if total else math.nan,
        zero_share=float(np.mean(clipped <= 1e-12 * max(clipped.max(), 1e-300))),
    )
    if alpha is not None:
        relative = truth / (alpha * truth + 1 - alpha)
        out["pearson_relative"] = _correlation(pearsonr, w, relative)
    return out


def usable(weights):
    """Weights a weighted fit can take: finite, not all zero after clipping."""
    w = np.asarray(weights, dtype=float)
    return bool(np.isfinite(w).all() and np.clip(w, 0, None).sum() > 0)


# ------------------------------------------------------------ part 1: synthetic ---


def method_row(row, records, weights, failure):
    """The row of one method at one size, from its worker's output."""
    if failure is not None:
        return dict(row, **failure), None
    record = records[0]
    if "error" in record:
        return dict(row, status="error", note=record["error"]), None
    row.update({k: record.get(k) for k in KEEP})
    row.update(
        status="ok",
        cpu_seconds=min(record["cpu_seconds_all"]),
        versions=record.get("versions"),
        threadpools=record.get("threadpools"),
    )
    return row, weights[0]


def project_stop(method, seconds, n, next_n, timeout, stopped):
    """Keep ``method`` from the next size when its time scaled linearly
    would exceed the timeout."""
    if next_n is None or method in stopped:
        return
    projected = seconds * next_n / n
    if projected > timeout:
        stopped[method] = (
            f"{seconds:.0f} s at n_s={n}: {projected:.0f} s projected at n_s="
            f"{next_n} (linear scaling) > timeout {timeout:g} s"
        )


def timed_rows(options, context, base, problem, next_n, stopped):
    """The methods' rows at one size and their weights."""
    n = base["n_source"]
    rows, weights = {}, {}
    runnable = []
    for method in options.methods:
        note = skip_note(method, n, stopped, None)
        if note is not None:
            rows[method] = dict(base, **_labels(method), status="skipped", note=note)
        else:
            runnable.append(method)
    for group in groups(runnable, options.group_methods):
        load1 = os.getloadavg()[0]
        logger.info("  %s (load %.2f) ...", "+".join(group), load1)
        t0 = time.perf_counter()
        found = worker_results(
            context,
            group,
            problem,
            options,
            repeats=options.repeats,
            timeout=options.timeout,
            at=f"at n_s={n}",
            stopped=stopped,
        )
        process_seconds = time.perf_counter() - t0
        for method in group:
            row = dict(base, **_labels(method), load1=load1)
            row, w = method_row(row, *found[method])
            if w is None and row["status"] in ("error", "timeout"):
                stopped.setdefault(method, f"{row['status']} at n_s={n}")
            elif w is not None:
                row["process_seconds"] = process_seconds
                weights[method] = w
                project_stop(
                    method, row["seconds"], n, next_n, options.timeout, stopped
                )
                logger.info(
                    "  %s: %.3f s, peak %.0f MiB",
                    method,
                    row["seconds"],
                    row["peak_rss_mb"],
                )
            rows[method] = row
    return [rows[m] for m in options.methods], weights


def _labels(method):
    runner, _, label = METHODS[method]
    return {"method": method, "label": label, "library": runner}


def score_synthetic(rows, weights, data, test, options):
    """Ratio scores and target accuracy of every row with weights."""
    X_s, y_s, X_t, y_t = data
    truth = density_ratio(X_s)
    weights = dict(weights, uniform=np.ones(X_s.shape[0]), oracle=truth)
    by_method = {r["method"]: r for r in rows}
    for name, w in weights.items():
        row = by_method[name]
        row.update(weight_scores(w, truth, RELATIVE.get(name)))
        if not usable(w):
            row["accuracy_note"] = "weights not finite or all zero: not fitted"
            continue
        row["accuracy"] = downstream_accuracy(
            X_s,
            y_s,
            None if name == "uniform" else w,
            *test,
            options.lr_max_rows,
            options.seed,
        )
    by_method["target_only"]["accuracy"] = downstream_accuracy(
        X_t, y_t, None, *test, options.lr_max_rows, options.seed
    )


def size_rows(options, context, n_source, next_n, test, stopped):
    """Every method at one size, the references, the scores."""
    n_target = min(n_source // 2, options.max_n_target)
    data = make_problem(n_source, n_target, options.seed)
    X_s, y_s, X_t, _ = data
    median, gammas = width_grid(X_s, X_t, options.seed)
    problem = context.tmp / f"problem_{n_source}.npz"
    save_problems(
        problem, [{"X_source": X_s, "y_source": y_s, "X_target": X_t, "gammas": gammas}]
    )
    base = {
        "part": "synthetic",
        "n_source": n_source,
        "n_target": n_target,
        "median_distance": median,
        "gammas": gammas,
    }
    logger.info("n_source=%d n_target=%d median=%.4g", n_source, n_target, median)
    rows, weights = timed_rows(options, context, base, problem, next_n, stopped)
    problem.unlink()
    rows += [
        dict(base, method=ref, label=label, library="", status="ref")
        for ref, label in REFERENCES.items()
    ]
    t0 = time.perf_counter()
    score_synthetic(rows, weights, data, test, options)
    logger.info("  evaluation: %.1f s", time.perf_counter() - t0)
    return rows


def synthetic_rows(options, context):
    test = make_test(options.n_test, options.seed)
    stopped = {}
    sizes = list(options.sizes)
    for i, n in enumerate(sizes):
        next_n = sizes[i + 1] if i + 1 < len(sizes) else None
        yield from size_rows(options, context, n, next_n, test, stopped)


# -------------------------------------------------------- part 2: real data ---


def real_splits(options):
    """Every (dataset, scheme, seed) split: its arrays and its row fields;
    and the rows of data sets whose files are missing."""
    splits, missing, infos = [], [], {}
    for dataset in options.datasets:
        try:
            Z, y, names = LOADERS[dataset](project_data_dir(options.data_dir))
        except FileNotFoundError as error:
            logger.warning("%s not run: %s", dataset, error)
            missing.append(
                {"part": "real", "dataset": dataset, "status": "data missing",
                 "note": str(error)}
            )  # fmt: skip
            continue
        keep = subsample_rows(len(y), options.max_rows)
        Z, y = Z[keep], y[keep]
        infos[dataset] = {"n_rows": int(Z.shape[0]), "n_features": int(Z.shape[1])}
        for scheme in options.schemes:
            prob = selection_probability(scheme, Z, names, dataset)
            for seed in range(options.seeds):
                splits.append(one_split(dataset, scheme, Z, y, prob, seed, options))
    return splits, missing, infos


def one_split(dataset, scheme, Z, y, prob, seed, options):
    train, target, test, n_kept = biased_split(
        prob, options.n_train, options.n_target, seed
    )
    median, gammas = width_grid(Z[train], Z[target], seed)
    return {
        "fields": {
            "part": "real",
            "dataset": dataset,
            "scheme": scheme,
            "seed": seed,
            "n_train": len(train),
            "n_target": len(target),
            "n_test": len(test),
            "selection_rate": n_kept / len(y),
            "median_distance": median,
        },
        "X_source": Z[train],
        "y_source": y[train],
        "X_target": Z[target],
        "X_test": Z[test],
        "y_test": y[test],
        "gammas": gammas,
        "importance": 1.0 / prob[train],
    }


def weighted_accuracy(split, weights):
    """Test accuracy of ``LogisticRegression(max_iter=1000)`` fitted on the
    training rows with the weights scaled to mean 1 (None: unweighted)."""
    sw = None
    if weights is not None:
        sw = np.clip(weights, 0, None)
        sw = sw / sw.mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(max_iter=1000)
        model.fit(split["X_source"], split["y_source"], sample_weight=sw)
    return float(model.score(split["X_test"], split["y_test"]))


def real_method_rows(method, splits, found):
    """One method's row per split."""
    records, weights, failure = found
    rows = []
    for k, split in enumerate(splits):
        row = dict(split["fields"], **_labels(method))
        if failure is not None:
            rows.append(dict(row, **failure))
            continue
        record = records[k]
        if "error" in record:
            rows.append(dict(row, status="error", note=record["error"]))
            continue
        w = weights[k]
        row.update(
            status="ok",
            seconds=record["seconds"],
            chosen=record.get("chosen"),
            warnings=record.get("warnings"),
            **weight_scores(w, split["importance"]),
        )
        if usable(w):
            row["accuracy"] = weighted_accuracy(split, w)
        else:
            row["accuracy_note"] = "weights not finite or all zero: not fitted"
        rows.append(row)
    return rows


def real_reference_rows(splits):
    rows = []
    for split in splits:
        for ref, label in REAL_REFERENCES.items():
            w = None if ref == "unweighted" else split["importance"]
            row = dict(split["fields"], method=ref, label=label, library="")
            row.update(status="ref", accuracy=weighted_accuracy(split, w))
            if w is not None:
                row.update(weight_scores(w, split["importance"]))
            rows.append(row)
    return rows


def real_rows(options, context):
    splits, missing, infos = real_splits(options)
    context.meta.setdefault("data", {}).update(infos)
    yield from missing
    if not splits:
        return
    problem = context.tmp / "problem_real.npz"
    save_problems(problem, splits)
    logger.info("real data: %d splits", len(splits))
    yield from real_reference_rows(splits)
    for group in groups(options.methods, options.group_methods):
        t0 = time.perf_counter()
        found = worker_results(
            context,
            group,
            problem,
            options,
            repeats=1,
            timeout=options.real_timeout,
            at="on the real data",
            stopped={},
        )
        for method in group:
            rows = real_method_rows(method, splits, found[method])
            ok = [r["accuracy"] for r in rows if r.get("accuracy") is not None]
            logger.info(
                "  %s: mean accuracy %s over %d splits (%.0f s)",
                method,
                fmt(np.mean(ok) if ok else None),
                len(ok),
                time.perf_counter() - t0,
            )
            yield from rows
    problem.unlink()


# ------------------------------------------------------------------- report ---


def width_factor(row):
    """The chosen width as a multiple of the median distance (``sigma = f *
    median``, ``gamma = 1 / (2 sigma^2)``)."""
    gamma = (row.get("chosen") or {}).get("gamma")
    if gamma is None or not row.get("median_distance"):
        return None
    return math.sqrt(1 / (2 * gamma)) / row["median_distance"]


def _ratio_to_ours(row, get):
    ours = get.get((row["n_source"], COUNTERPART.get(row["method"], "")), {})
    if row["status"] != "ok" or ours.get("status") != "ok":
        return "–"
    return f"{row['seconds'] / ours['seconds']:.2f}×"


def method_order(row):
    """Rows of a size in the order of ``METHODS``, then the references."""
    order = [*METHODS, *REFERENCES]
    return row["n_source"], order.index(row["method"])


def synthetic_table(rows):
    sub = sorted((r for r in rows if r["part"] == "synthetic"), key=method_order)
    get = {(r["n_source"], r["method"]): r for r in sub}
    header = [
        "n_s / n_t", "method", "status", "time (s)", "CPU (s)",
        "time / ours", "peak RSS (MiB)", "increment (MiB)", "width f",
        "Spearman", "Pearson", "ESS / n_s", "max w / mean", "target accuracy",
    ]  # fmt: skip
    lines = []
    for r in sub:
        size = f"{r['n_source']:,} / {r['n_target']:,}"
        if r["status"] in NOT_RUN:
            lines.append(
                [size, r["label"], f"{r['status']}: {r.get('note', '')}"]
                + ["–"] * (len(header) - 3)
            )
            continue
        pearson = fmt(r.get("pearson"))
        if "pearson_relative" in r:
            pearson += f" (relative: {fmt(r['pearson_relative'])})"
        lines.append(
            [
                size,
                r["label"],
                "" if r["status"] == "ref" else r["status"],
                fmt_time(r.get("seconds")),
                fmt_time(r.get("cpu_seconds")),
                _ratio_to_ours(r, get) if r["method"] in COUNTERPART else "",
                fmt(r.get("peak_rss_mb"), ".0f"),
                fmt(r.get("increment_mb"), ".0f"),
                fmt(width_factor(r), ".2g"),
                fmt(r.get("spearman")),
                pearson,
                fmt(r.get("ess_frac")),
                fmt(r.get("max_over_mean"), ".3g"),
                fmt(r.get("accuracy"), ".4f"),
            ]
        )
    return md_table(header, lines)


def speed_table(rows):
    sub = [r for r in rows if r["part"] == "synthetic"]
    get = {(r["n_source"], r["method"]): r for r in sub}
    sizes = sorted({r["n_source"] for r in sub})
    pairs = [m for m in COUNTERPART if any(r["method"] == m for r in sub)]
    header = ["n_s"] + [f"{m} / {COUNTERPART[m]}" for m in pairs]
    lines = []
    for n in sizes:
        cells = [f"{n:,}"]
        for m in pairs:
            peer, ours = get.get((n, m), {}), get.get((n, COUNTERPART[m]), {})
            if peer.get("status") == "ok" and ours.get("status") == "ok":
                cells.append(
                    f"{fmt_time(peer['seconds'])} / {fmt_time(ours['seconds'])} = "
                    f"**{peer['seconds'] / ours['seconds']:.2f}×**"
                )
            else:
                cells.append(f"{peer.get('status', '–')} / {ours.get('status', '–')}")
        lines.append(cells)
    return md_table(header, lines)


def real_summary(rows):
    """Per (dataset, scheme, method): accuracy, paired differences, diagnostics."""
    frame = pd.DataFrame([r for r in rows if r["part"] == "real" and "seed" in r])
    if frame.empty:
        return []
    out = []
    for (dataset, scheme), cell in frame.groupby(["dataset", "scheme"], sort=False):
        acc = cell.pivot(index="seed", columns="method", values="accuracy")
        best_ref = max(REAL_REFERENCES, key=lambda ref: acc[ref].mean())
        for method, block in cell.groupby("method", sort=False):
            out.append(summary_record(dataset, scheme, method, block, acc, best_ref))
    return out


def summary_record(dataset, scheme, method, block, acc, best_ref):
    ok = block[block.status.isin(["ok", "ref"])]
    record = {
        "dataset": dataset,
        "scheme": scheme,
        "method": method,
        "label": block.label.iloc[0],
        "n_splits": len(block),
        "n_ok": int(ok.accuracy.notna().sum()) if "accuracy" in ok else 0,
        "statuses": block.status.value_counts().to_dict(),
        "notes": sorted({str(n) for n in block.get("note", pd.Series()).dropna()}),
        "best_reference": best_ref,
    }
    values = acc[method] if method in acc else pd.Series(dtype=float)
    mean, se = mean_se(values)
    record.update(accuracy=mean, accuracy_se=se)
    for key, ref in (("unweighted", "unweighted"), ("best", best_ref)):
        diff, diff_se, _ = paired_gain(values, acc[ref])
        record[f"minus_{key}"] = diff
        record[f"minus_{key}_se"] = diff_se
        record[f"verdict_{key}"] = verdict(diff, diff_se, words=VERDICTS)
    for column in ("spearman", "ess_frac", "seconds"):
        record[column] = (
            float(ok[column].mean()) if column in ok and ok[column].notna().any()
            else None
        )  # fmt: skip
    return record


def _failure_note(r):
    if r["n_ok"] == r["n_splits"]:
        return ""
    statuses = ", ".join(f"{k} {v}" for k, v in r["statuses"].items())
    notes = "; ".join(r["notes"])[:300]
    return (
        f"{r['n_ok']}/{r['n_splits']} fitted ({statuses}{': ' if notes else ''}{notes})"
    )


def real_tables(summary):
    header = [
        "method", "accuracy ± SE", "− unweighted", "− best reference",
        "Spearman with oracle", "ESS / n_train", "time per fit (s)", "failures",
    ]  # fmt: skip
    parts = []
    cells = {}
    for r in summary:
        cells.setdefault((r["dataset"], r["scheme"]), []).append(r)
    for (dataset, scheme), records in cells.items():
        lines = []
        for r in records:
            is_ref = r["method"] in REAL_REFERENCES
            lines.append(
                [
                    r["label"],
                    fmt_pm(r["accuracy"], r["accuracy_se"], ".4f"),
                    _diff(r, "unweighted") if r["method"] != "unweighted" else "",
                    _diff(r, "best") if r["method"] != r["best_reference"] else "",
                    fmt(r["spearman"]) if not is_ref or r["method"] == "oracle" else "",
                    fmt(r["ess_frac"]),
                    fmt_time(r["seconds"]),
                    _failure_note(r),
                ]
            )
        best = REAL_REFERENCES[records[0]["best_reference"]].split(": ")[-1]
        parts += [
            f"### {dataset} / {scheme} ({SCHEMES[scheme]})",
            "",
            f"Best reference (higher mean accuracy): {best}.",
            "",
            md_table(header, lines),
            "",
        ]
    return parts


def _diff(r, key):
    if r[f"minus_{key}"] is None or not math.isfinite(r[f"minus_{key}"]):
        return "–"
    return (
        f"{fmt(r[f'minus_{key}'], '+.4f')} ± {fmt(r[f'minus_{key}_se'], '.4f')} "
        f"({r[f'verdict_{key}']})"
    )


def real_findings(summary):
    """Where weighting helps, hurts or ties with unweighted training."""
    lines = []
    methods = [r for r in summary if r["method"] not in ("unweighted",)]
    for word in VERDICTS:
        hits = [
            f"{r['method']} ({r['dataset']}/{r['scheme']}, "
            f"{r['minus_unweighted']:+.4f})"
            for r in methods
            if r["verdict_unweighted"] == word and r["n_ok"]
        ]
        lines.append(
            f"- {PHRASES[word]} unweighted ({len(hits)} of "
            f"{sum(1 for r in methods if r['n_ok'])} method × cell, the oracle "
            "included): " + (", ".join(hits) if hits else "none")
        )
    wins = sorted(
        {f"{r['dataset']}/{r['scheme']}" for r in summary
         if r["method"] == "unweighted" and r["best_reference"] == "unweighted"}
    )  # fmt: skip
    lines.append(
        "- cells where unweighted training beats the true importance weights "
        "(mean accuracy): " + (", ".join(wins) if wins else "none")
    )
    return lines


def _accuracy(row):
    return fmt(row.get("accuracy"), ".4f")


def synthetic_findings(rows):
    """Per size: the references' accuracy, then each method's accuracy,
    Spearman and time."""
    lines = []
    sub = [r for r in rows if r["part"] == "synthetic"]
    for n in sorted({r["n_source"] for r in sub}):
        at = [r for r in sub if r["n_source"] == n]
        refs = {r["method"]: r for r in at if r["status"] == "ref"}
        ran = [
            f"{r['method']} {_accuracy(r)} (ρ {fmt(r.get('spearman'), '.2f')}, "
            f"{fmt_time(r['seconds'])} s)"
            for r in at
            if r["status"] == "ok"
        ]
        failed = [
            f"{r['method']} ({r['status']})" for r in at if r["status"] in NOT_RUN
        ]
        lines.append(
            f"- n_s = {n:,}: accuracy uniform {_accuracy(refs['uniform'])}, oracle "
            f"{_accuracy(refs['oracle'])}, target only "
            f"{_accuracy(refs['target_only'])}; "
            + "; ".join(ran)
            + (f"; not run or failed: {', '.join(failed)}" if failed else "")
        )
    return lines


PEER_NOTES = """\
## What the peers do (read in their installed source)

- **ADAPT 0.4.5 KLIEP** (`adapt/instance_based/_kliep.py`): the default
  `algo="FW"` runs exactly `max_iter = 2000` Frank-Wolfe steps (there is no
  stopping test in that branch; `tol` is used by the other algorithms only),
  each a product with the `n_t × 100` target design, for each of the 5 × 5
  likelihood cross-validation fits and the final one; the centres are drawn
  from up to 3 batches of target rows, dropping centres without source mass.
  Its weights are the model at the source rows (mean ≈ 1 by its constraint).
- **ADAPT 0.4.5 ULSIF / RULSIF** (`_ulsif.py`, `_rulsif.py`): with more
  than one candidate, the leave-one-out builds `np.diag(...)` of size
  `N_min × N_min` twice (`N_min = min(n_s, n_t)`) and multiplies the `100 ×
  N_min` matrix by them: quadratic time and memory in `N_min` (two 18.6 GiB
  matrices at `N_min = 50 000`). Its centres come from NumPy's global
  generator (`fit_weights` does not seed it; the worker does). The
  regulariser is `lambdas=1.` unless a grid is given; we give none (its
  default), so only the width is chosen.
- **ADAPT 0.4.5 IWC** (`_iwc.py`): one `LogisticRegression()` fitted on the
  shuffled source and target rows (source = 1), weights `1 / P(source|x) -
  1 = P(target|x) / P(source|x)`, in-sample (no cross-fitting, no
  calibration, no scaling by n_s / n_t, which the mean-1 normalisation makes
  irrelevant).
- **SKADA 0.6.0 KLIEPReweightAdapter** (`skada/_reweight.py`): the gradient
  step is `alpha += EPS * A.T @ (1 / (A @ alpha))` with `EPS =
  np.finfo(float).eps` ≈ 2.2e-16, then a projection onto `b'alpha = 1`,
  clipping at 0 and normalisation; the loop stops when the objective changes
  by less than `tol`. The step is too small to move the coefficients: the
  worker checks that the fitted `alpha_` equals the projected start (all
  ones, projected once) to the relative difference in
  `chosen.coefficients_moved_from_start` (1e-14 to 2e-12 on the problems
  of part 1). Its weights are therefore `sum_l alpha_l k(x, c_l)` with
  coefficients set by the source kernel means alone, not by the likelihood;
  the width is chosen by its 5-fold likelihood cross-validation (`KFold`
  without shuffling) over the candidates, and the centres are drawn with
  replacement.
- **SKADA 0.6.0 DiscriminatorReweightAdapter**: fits `LogisticRegression()`
  with `y_domain = 1` for the target rows and 0 for the source rows, then
  computes `p = predict_proba(X_source)[:, 1]` (the *target* class) and
  weights `(1 - p) / p = P(source|x) / P(target|x)`: the inverse of the
  density ratio's odds, so its weights decrease where the target is dense
  (negative Spearman with the true ratio below). We report it as SKADA
  computes it.
- **Ours** (`sktransfer/instance/_kernel_density_ratio.py`,
  `_discriminative.py`): uLSIF/RuLSIF solve the regularised least squares in
  closed form for every (width, regulariser) pair and choose by a
  closed-form leave-one-out score over at most 10 000 random (source, target)
  pairs, with moments accumulated by blocks of rows (memory linear in the
  rows); KLIEP maximises the likelihood by a barrier Newton method with a
  certified duality gap (`tol=1e-6`) and chooses the width by 5-fold
  likelihood cross-validation; DiscriminativeReweighting cross-fits (5 folds)
  a calibrated (sigmoid, 3 inner folds) logistic regression, i.e. 5 × 4
  domain-classifier fits, plus the refit on all rows for `predict_weights`
  (all timed): it does several times the work of IWC and SKADA's
  discriminator, by design.
"""


def quiet_line(meta):
    quiet = meta.get("quiet")
    if not quiet:
        return []
    return [
        f"- before the run: waited {quiet['waited_seconds']:g} s (up to "
        f"{meta['settings']['quiet_wait']:g} s) for fewer than "
        f"{meta['settings']['quiet_cores']:g} busy cores; "
        f"{quiet['busy_cores_before']:.2f} cores busy, load averages "
        f"{fmt_load(quiet['loadavg_at_start'])} when it started"
    ]


def run_lines(rows, meta):
    settings = meta["settings"]
    loads = [r["load1"] for r in rows if r.get("load1") is not None]
    return [
        *quiet_line(meta),
        f"- settings: seed {settings['seed']}; candidate widths sigma = f × median "
        f"distance, f in {', '.join(map(str, WIDTH_FACTORS))} (ours choose among "
        "them by their own defaults; ADAPT's kernel methods and SKADA's KLIEP get "
        f"them as `gamma=[...]`); BLAS threads per worker {settings['blas_threads']}; "
        f"up to {settings['repeats']} timed runs per process while under "
        f"{settings['repeat_budget']:g} s (minimum reported); timeout "
        f"{settings['timeout']:g} s per worker ({settings['real_timeout']:g} s for "
        f"all the real-data splits of one method); address space "
        f"{settings['max_memory_gib']:g} GiB per worker; {settings['n_test']:,} "
        "target test rows",
        "- 1-minute load average at the starts of the timed workers: max "
        f"{fmt(max(loads, default=None), '.2f')} (this benchmark adds about 1; the "
        "machine's 2 cores are shared)",
    ]


def table(rows, meta):
    settings = meta["settings"]
    summary = real_summary(rows)
    missing = [r for r in rows if r.get("status") == "data missing"]
    parts = [
        *run_lines(rows, meta),
        "",
        "## Findings (numbers only)",
        "",
        "Synthetic part, per size (ρ = Spearman with the true ratio):",
        "",
        *synthetic_findings(rows),
        "",
        f"Real data ({settings['seeds']} splits per cell; paired differences "
        "beyond 2 standard errors):",
        "",
        *(real_findings(summary) if summary else ["- no results"]),
        *[f"- {r['dataset']}: not run, {r['note']}" for r in missing],
        "",
        "## Part 1: synthetic covariate shift (d = 20, n_t = min(n_s / 2, "
        f"{settings['max_n_target']:,}))",
        "",
        "Time = the weight computation only (minimum over the runs in the "
        "process); 'time / ours' = this method's time over its counterpart's "
        "of ours (KLIEP: ours KLIEP; uLSIF and RuLSIF: ours; IWC and SKADA's "
        "discriminator: ours DiscriminativeReweighting); peak RSS = the worker "
        "process's (interpreter, imports — TensorFlow for ADAPT — and data "
        "included); increment = peak during the computation minus RSS before "
        "it; width f = chosen sigma / median distance (as estimated by the "
        "study; – where not recorded: ours refit the estimator class for it "
        "only when the timed run took under 30 s); Spearman and Pearson "
        "with the true ratio at the source rows (RuLSIF also with the true "
        "relative ratio r / (0.1 r + 0.9) that it estimates); ESS / n_s = "
        "Kish's (Σw)² / (n_s Σw²); target accuracy = LogisticRegression("
        "max_iter=1000) on the labeled source with the weights (mean 1).",
        "",
        synthetic_table(rows),
        "",
        "### Weight computation time: peer / ours",
        "",
        speed_table(rows),
        "",
        "## Part 2: biased selection on Taiwan credit and Phishing "
        "(kmm_real_data protocol 2)",
        "",
        f"{settings['n_train']} biased training rows, {settings['n_target']} "
        f"unbiased unlabeled target rows, the rest as test; {settings['seeds']} "
        "splits per cell, the same for every method. Accuracy of "
        "LogisticRegression(max_iter=1000) with the weights (mean 1): mean ± "
        "standard error over splits; differences paired by split (mean ± SE, "
        "'better'/'worse' beyond 2 SE) against unweighted training and against "
        "the better of unweighted and the true importance weights. Standard "
        "errors are over splits of one data set (overlapping test sets), so "
        "they understate the variability across data sets.",
        "",
        *real_tables(summary),
        "## Warnings raised during the weight computations (part 1)",
        "",
        *warning_lines([r for r in rows if r["part"] == "synthetic"]),
        "",
        PEER_NOTES,
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------------- run ---


def add_arguments(parser):
    add_choice_list(parser, "--methods", list(METHODS))
    parser.add_argument(
        "--sizes", nargs="*", type=int, default=[1000, 10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--max-n-target", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-test", type=int, default=20_000)
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--repeat-budget", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--real-timeout", type=float, default=900.0)
    parser.add_argument("--max-memory-gib", type=float, default=12.0)
    parser.add_argument(
        "--lr-max-rows",
        type=int,
        default=None,
        help="subsample the source for the downstream LogisticRegression",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=900.0,
        help="seconds to wait at the start for fewer than --quiet-cores busy cores",
    )
    parser.add_argument("--quiet-cores", type=float, default=0.5)
    parser.add_argument(
        "--group-methods",
        action="store_true",
        help="one worker per library instead of per method (smoke runs)",
    )
    add_choice_list(parser, "--parts", ("synthetic", "real"))
    add_choice_list(parser, "--datasets", tuple(LOADERS))
    add_choice_list(parser, "--schemes", tuple(SCHEMES))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n-target", type=int, default=2000)
    add_project_data_options(
        parser, "keep this many random rows of each real data set (smoke runs)"
    )


def run(options, context):
    # Peer environments are built (once) before anything is timed.
    for runner in {METHODS[m][0] for m in options.methods} - {"ours"}:
        context.peer_python(runner)
    context.meta["quiet"] = wait_for_quiet(options.quiet_wait, options.quiet_cores)
    logger.info("machine state before the run: %s", context.meta["quiet"])
    with threadpool_limits(limits=1):
        if "synthetic" in options.parts:
            yield from synthetic_rows(options, context)
        if "real" in options.parts:
            yield from real_rows(options, context)
