"""Kernel mean matching: sktransfer against ADAPT and SKADA (speed, memory, optimum).

Protocol
--------
Data (``make_problem`` of ``benchmarks/harness/covariate_shift.py``): d = 20
features, Gaussian covariate shift. Source rows
``x ~ N(0, I)``; target rows the same except features 0 and 1, which are
``N((1.5, 0), 0.5 I)``: shifted along feature 0 and narrower in both. Label
``y = 1[x_1 - x_0^2 / 2 + 1/2 + 0.1 z > 0]`` with ``z ~ N(0, 1)``: a parabola,
so a linear classifier fitted on the source (centred at 0, where the best line
is flat) is wrong on the target (centred at x_0 = 1.5, where the boundary has
slope 1.5), and weighting the source towards the target region fixes it. The
density ratio is known in closed form (``oracle`` weights). n_t = n_s / 2
(at most ``--large-n-target`` in the large part); a labeled target test set of
``--n-test`` rows, the same for every size. Everything is drawn from
``--seed``.

QP (Huang et al. 2006), the same for every method: RBF kernel with
``gamma = 1 / (2 sigma^2)``, ``sigma`` the median heuristic
(``sktransfer.metrics.median_bandwidth(X_s, X_t, random_state=seed)``),
``B = --B`` (1000), ``eps = (sqrt(n_s) - 1) / sqrt(n_s)``; all three are passed
explicitly to every library.

Methods (``--methods``), each run in a fresh subprocess (ours with this
interpreter and the run's package copy, the peers in their virtual
environments, ``benchmarks/harness/peers.py``) by the worker scripts in
``benchmarks/peer_scripts/`` (``ours_kmm.py``, ``adapt_kmm.py``,
``skada_kmm.py``; the shared harness is ``_kmm_worker.py``):

- ``ours_fast``: ``kmm_weights(..., solver="fast", n_components=300, n_jobs)``;
- ``ours_fast_1job``: the same with ``n_jobs=1`` (isolates joblib's cost on
  small problems);
- ``ours_exact``: ``kmm_weights(..., solver="exact")`` (cvxpy + Clarabel, up to
  5000 source rows);
- ``adapt``: ADAPT 0.4.5 ``KMM(...).fit_weights(Xs, Xt)`` with its defaults
  (cvxopt; ``max_size=1000``: above 1000 source rows, independent QPs on
  random batches of at most 1000 rows);
- ``adapt_one_qp``: the same with ``max_size = n_s`` (one cvxopt QP, the full
  problem; up to 5000 rows by default);
- ``skada``: SKADA 0.6.0 ``KMMReweightAdapter(...).fit(X, sample_domain=...)``
  with its defaults (Frank-Wolfe, 1000 iterations);
- ``skada_slsqp``: the same with ``solver="scipy"`` (SLSQP; 1000 rows only by
  default, it takes minutes there).

``--max-n METHOD=N ...`` changes a method's largest n_s (``none``: no limit).

Timing: the weight computation only (library imports, data loading and input
preparation are outside the timer), wall clock and process CPU time; a run is
repeated in its process (``--repeats``, while the runs so far took less than
``--repeat-budget`` seconds) and the minimum is reported, with every run in the
JSON. Memory: the subprocess's peak resident set size (``VmHWM``; it includes
the interpreter, the imports - TensorFlow for ADAPT - and the data) and the
increment of the computation over the RSS before it. Every subprocess has
``--timeout`` seconds (900); a method that times out or fails is not run at
larger sizes. BLAS/OpenMP threads in the workers: ``--blas-threads`` (default 1,
the same for every library: on 2 cores shared with other processes,
multi-threaded OpenBLAS calls were 10-50x slower and erratic); ours also gets
``n_jobs=--n-jobs`` (2) threads for its kernel blocks. The evaluation below
runs in the study's process with one BLAS thread and ``--n-jobs`` joblib
threads over kernel blocks.

Correctness: every method's weights are scored on the same exact objective
with the full RBF kernel (computed block by block): ``1/2 b'Kb - kappa'b``, its
relative gap to the best objective among the methods that satisfy the
constraints (``(obj - best) / |best|``), the squared MMD of the weighted source
against the target, ``(1/n_s^2) b'K_ss b - (2/(n_s n_t)) b'K_st 1 + (1/n_t^2)
1'K_tt 1``, the constraint violations ``max(0, max b - B)``,
``max(0, -min b)`` and ``max(0, |sum b - n_s| - n_s eps) / (n_s eps)``, and the
downstream target accuracy: ``LogisticRegression(max_iter=1000)`` fitted on the
labeled source with ``sample_weight = b / mean(b)`` (negative weights clipped
to 0), accuracy on the target test set. References in every row: uniform
weights (source only), the oracle density ratio, and a logistic regression
fitted on n_t labeled target rows.

Large part: ours (``solver="fast"``) alone at ``--large-sizes`` (50 000,
200 000, 1 000 000 source rows; n_t = min(n_s / 2, 100 000)). The exact
objective needs all n_s^2 kernel values (10^12 at a million rows); above
``--exact-eval-max`` source rows (50 000) the MMD^2 is an unbiased Monte Carlo
estimate with a standard error (``frequency_scores``): by Bochner's theorem it
is the mean over random frequencies ``w ~ N(0, 2 gamma I)`` of the squared
difference of the weighted source's and the target's empirical characteristic
functions, which are computed exactly over every row for
``--mc-frequencies`` (4096) frequencies; the objective is
``(n_s^2 / 2) (MMD^2 - 1'K_tt 1 / n_t^2)`` with the exact ``1'K_tt 1``. At the
largest exactly evaluated size both are computed, as a check of the estimate
(``--no-mc-check`` skips it).

A smoke run (``--smoke``) runs ``ours_fast`` only (the peers' rows say "not
run", ``ours_fast_1job`` and ``ours_exact`` are skipped by ``--max-n``) on a
few hundred rows, with the Monte Carlo scores in both parts.

Command (about 25 minutes on 2 cores)::

    python -m benchmarks run kmm_vs_peers

Constraint check with binding bounds (``kmm_vs_peers_tight.md``, 6 minutes)::

    python -m benchmarks run kmm_vs_peers --sizes 1000 2000 5000 \\
        --large-sizes --B 5 --eps 0.01 --name kmm_vs_peers_tight --note "..."

Report from the saved rows::

    python -m benchmarks report kmm_vs_peers [--name kmm_vs_peers_tight]
"""

import logging
import math
import os
import time
from functools import partial
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from threadpoolctl import threadpool_limits

from sktransfer.metrics import gamma_from_bandwidth, median_bandwidth

from ..harness import fmt, fmt_time, thread_env
from ..harness.covariate_shift import (
    density_ratio,
    downstream_accuracy,
    make_problem,
    make_test,
)
from ..harness.options import add_method_options, add_timing_options
from ..harness.processes import WORKER_MEMORY_FIELDS, run_or_stop, skip_note
from ..harness.study import parse_max_n
from ..harness.tables import warning_lines

CODE = ("instance/_kmm.py", "instance/_interior_point.py", "_kernels.py")
PEERS = ("adapt", "skada")
SMOKE = {
    # Two workers of ours: the peers part at 300 rows scored by Monte Carlo
    # only (above exact_eval_max), the large part at 200 both ways.
    "sizes": [300],
    "large_sizes": [200],
    "large_n_target": 80,
    "max_n": ["ours_fast_1job=100", "ours_exact=100"],
    "n_components": 50,
    "repeats": 1,
    "n_test": 500,
    "mc_frequencies": 64,
    "exact_eval_max": 250,
    "lr_max_rows": 250,
}
logger = logging.getLogger(__name__)

# name -> (runner, label, worker arguments, default largest n_source)
METHODS = {
    "ours_fast": ("ours", "ours, solver='fast'", ["--solver", "fast"], None),
    "ours_fast_1job": (
        "ours",
        "ours, solver='fast', n_jobs=1",
        ["--solver", "fast", "--n-jobs", "1"],
        None,
    ),
    "ours_exact": ("ours", "ours, solver='exact'", ["--solver", "exact"], 5000),
    "adapt": ("adapt", "ADAPT KMM (defaults, max_size=1000)", [], None),
    "adapt_one_qp": (
        "adapt",
        "ADAPT KMM, max_size=n_s (one QP)",
        ["--max-size", "0"],
        5000,
    ),
    "skada": ("skada", "SKADA KMMReweightAdapter (defaults, Frank-Wolfe)", [], None),
    "skada_slsqp": (
        "skada",
        "SKADA KMMReweightAdapter, solver='scipy' (SLSQP)",
        ["--solver", "scipy"],
        1000,
    ),
}
WORKERS = {"ours": "ours_kmm.py", "adapt": "adapt_kmm.py", "skada": "skada_kmm.py"}
REFERENCES = {
    "uniform": "reference: uniform weights (source only)",
    "oracle": "reference: true density ratio (scaled to sum n_s)",
    "target_trained": "reference: LogisticRegression on n_t labeled target rows",
}
# A constraint counts as satisfied up to this (absolute for the bounds,
# relative to n_s * eps for the sum).
FEASIBILITY_TOL = 1e-6
# Above this 1-minute load average at a run's start, the run shared the cores.
LOADED = 2.5
BLOCK_ROWS = 1024
BLOCK_COLS = 8192
# Statuses of a method's row without weights.
NOT_RUN = ("skipped", "timeout", "error", "not run")


# ---------------------------------------------------------------- evaluation ---


def _rbf_block(X, Y, gamma):
    from sklearn.metrics.pairwise import rbf_kernel

    return rbf_kernel(X, Y, gamma=gamma)


def kernel_matvec(X, Y, W, gamma, n_jobs=2):
    """``K(X, Y) @ W`` with the RBF kernel, block by block (threads over rows)."""
    from joblib import Parallel, delayed
    from sklearn.utils import gen_batches

    W = np.asarray(W, dtype=float)
    squeeze = W.ndim == 1
    W = W.reshape(W.shape[0], -1)

    def rows_block(rows):
        out = np.zeros((rows.stop - rows.start, W.shape[1]))
        for cols in gen_batches(Y.shape[0], BLOCK_COLS):
            out += _rbf_block(X[rows], Y[cols], gamma) @ W[cols]
        return rows, out

    result = np.empty((X.shape[0], W.shape[1]))
    batches = list(gen_batches(X.shape[0], BLOCK_ROWS))
    for rows, block in Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(rows_block)(rows) for rows in batches
    ):
        result[rows] = block
    return result[:, 0] if squeeze else result


def exact_scores(X_source, X_target, W, gamma, n_jobs):
    """Objective and MMD^2 of each column of W with the full kernel."""
    n_s, n_t = X_source.shape[0], X_target.shape[0]
    KW = kernel_matvec(X_source, X_source, W, gamma, n_jobs)
    quad = np.einsum("ij,ij->j", W, KW)
    kst1 = kernel_matvec(X_source, X_target, np.ones(n_t), gamma, n_jobs)
    ktt = kernel_matvec(X_target, X_target, np.ones(n_t), gamma, n_jobs).sum()
    lin = W.T @ kst1
    objective = 0.5 * quad - (n_s / n_t) * lin
    mmd2 = quad / n_s**2 - 2 * lin / (n_s * n_t) + ktt / n_t**2
    nan = np.full(W.shape[1], np.nan)
    return objective, nan, mmd2, nan


def frequency_scores(X_source, X_target, W, gamma, n_jobs, n_freq, seed):
    """Unbiased estimates (and standard errors) of MMD^2 and the objective.

    Bochner's theorem: ``k(x, y) = exp(-gamma |x - y|^2) = E_w cos(w'(x - y))``
    with ``w ~ N(0, 2 gamma I)``, so ``MMD^2 = E_w |phi_b(w) - phi_t(w)|^2``
    with ``phi_b(w) = (1/n_s) sum_i b_i exp(i w'x_i)`` and ``phi_t`` the
    target's empirical characteristic function. Both are computed exactly over
    every row for ``n_freq`` random frequencies; the estimate is the mean over
    the frequencies (unbiased), its standard error their standard deviation
    over ``sqrt(n_freq)``. The objective is ``(n_s^2 / 2) (MMD^2 - c)`` with
    ``c = 1'K_tt 1 / n_t^2`` computed exactly.
    """
    from joblib import Parallel, delayed
    from sklearn.utils import gen_batches

    n_s, n_t = X_source.shape[0], X_target.shape[0]
    rng = np.random.default_rng([seed, 4242, n_s])
    omega = rng.normal(scale=np.sqrt(2 * gamma), size=(X_source.shape[1], n_freq))

    def block(X, weights, rows):
        projected = X[rows] @ omega
        return np.cos(projected).T @ weights[rows], np.sin(projected).T @ weights[rows]

    def characteristic(X, weights):
        cos_part = np.zeros((n_freq, weights.shape[1]))
        sin_part = np.zeros_like(cos_part)
        for c, s in Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(block)(X, weights, rows) for rows in gen_batches(X.shape[0], 4096)
        ):
            cos_part += c
            sin_part += s
        return cos_part, sin_part

    cos_s, sin_s = characteristic(X_source, W / n_s)
    cos_t, sin_t = characteristic(X_target, np.full((n_t, 1), 1.0 / n_t))
    terms = (cos_s - cos_t) ** 2 + (sin_s - sin_t) ** 2
    mmd2 = terms.mean(0)
    mmd2_se = terms.std(0, ddof=1) / np.sqrt(n_freq)
    ktt = kernel_matvec(X_target, X_target, np.ones(n_t), gamma, n_jobs).sum()
    objective = 0.5 * n_s**2 * (mmd2 - ktt / n_t**2)
    return objective, 0.5 * n_s**2 * mmd2_se, mmd2, mmd2_se


def constraint_fields(b, B, eps):
    n = b.shape[0]
    total = float(b.sum())
    return {
        "max_w": float(b.max()),
        "min_w": float(b.min()),
        "sum_w": total,
        "viol_upper": max(0.0, float(b.max()) - B),
        "viol_lower": max(0.0, -float(b.min())),
        "viol_sum_rel": max(0.0, abs(total - n) - n * eps) / (n * eps),
        "n_above_B": int(np.sum(b > B)),
        "n_negative": int(np.sum(b < 0)),
        "nonzero": int(np.count_nonzero(b > 1e-12 * max(float(b.max()), 1e-300))),
        "ess_frac": float(total**2 / (n * float(b @ b))) if b.any() else math.nan,
    }


def feasible(row):
    return (
        row["viol_upper"] <= FEASIBILITY_TOL
        and row["viol_lower"] <= FEASIBILITY_TOL
        and row["viol_sum_rel"] <= FEASIBILITY_TOL
    )


# ------------------------------------------------------------------ running ---


def run_worker(context, method, problem, out, gamma, eps, options, timeout):
    """One method's worker in a fresh process: its JSON, or None when the
    method is a peer's and this is a smoke run (or raise)."""
    runner, _, extra, _ = METHODS[method]
    args = [
        "--data", problem,
        "--out", out,
        "--gamma", repr(gamma),
        "--B", repr(options.B),
        "--eps", repr(eps),
        "--seed", options.seed,
        "--repeats", options.repeats,
        "--repeat-budget", options.repeat_budget,
    ]  # fmt: skip
    env = thread_env(options.blas_threads)
    if runner == "ours":
        # The method's own arguments come last and override these.
        args += ["--n-jobs", options.n_jobs, "--n-components", options.n_components]
        return context.worker(WORKERS[runner], args + extra, env=env, timeout=timeout)
    return context.peer(runner, WORKERS[runner], args + extra, env=env, timeout=timeout)


def run_size(options, context, part, n_source, n_target, methods, test, stopped):
    """All methods at one size, then the evaluation; returns the rows."""
    X_test, y_test = test
    X_s, y_s, X_t, y_t = make_problem(n_source, n_target, options.seed)
    gamma = gamma_from_bandwidth(median_bandwidth(X_s, X_t, random_state=options.seed))
    eps = options.eps
    if eps is None:  # the paper's default, as in every library
        eps = float((np.sqrt(n_source) - 1) / np.sqrt(n_source))
    problem = context.tmp / f"problem_{n_source}.npz"
    np.savez(problem, X_source=X_s, X_target=X_t)
    base = {
        "part": part,
        "n_source": n_source,
        "n_target": n_target,
        "gamma": gamma,
        "B": options.B,
        "eps": eps,
    }
    logger.info(
        "n_source=%d n_target=%d gamma=%.5g eps=%.4f", n_source, n_target, gamma, eps
    )
    rows, weights = [], {}
    timeout = options.timeout if part == "peers" else options.large_timeout
    for method in methods:
        runner, label, _, default_max = METHODS[method]
        row = dict(base, method=method, label=label, library=runner)
        limit = options.limits.get(method, default_max)
        note = skip_note(method, n_source, stopped, limit, "n_source")
        if note is not None:
            rows.append(dict(row, status="skipped", note=note))
            continue
        out = context.tmp / f"w_{method}_{n_source}.npy"
        load1 = os.getloadavg()[0]
        logger.info("  %s (load %.2f) ...", method, load1)
        t0 = time.perf_counter()
        result, failure = run_or_stop(
            partial(
                run_worker, context, method, problem, out, gamma, eps, options, timeout
            ),
            method,
            stopped,
            f"at n_source={n_source}",
            logger,
            f"timeout after {timeout:g} s",
        )
        if failure is not None:
            rows.append(dict(row, **failure, load1=load1))
            continue
        if result is None:
            rows.append(dict(row, status="not run", note="smoke run"))
            continue
        process_seconds = time.perf_counter() - t0
        w = np.load(out)
        out.unlink()
        weights[method] = w
        keep = (
            "seconds",
            "seconds_all",
            "cpu_seconds_all",
            *WORKER_MEMORY_FIELDS,
            "solver_info",
            "params",
            "versions",
            "load1_at_start",
            "load1_at_end",
            "threadpools",
        )
        row.update({k: result.get(k) for k in keep})
        row.update(
            status="ok",
            load1=load1,
            process_seconds=process_seconds,
            cpu_seconds=min(result["cpu_seconds_all"]),
        )
        logger.info(
            "  %s: %.3f s (cpu %.3f), peak %.0f MiB, %d warning(s)",
            method,
            row["seconds"],
            row["cpu_seconds"],
            row["peak_rss_mb"],
            len(row["warnings"] or []),
        )
        rows.append(row)

    # References and evaluation.
    ratio = density_ratio(X_s)
    weights["uniform"] = np.ones(n_source)
    weights["oracle"] = n_source * ratio / ratio.sum()
    for ref in REFERENCES:
        rows.append(
            dict(base, method=ref, label=REFERENCES[ref], library="", status="ref")
        )
    names = list(weights)
    W = np.column_stack([weights[k] for k in names])
    t0 = time.perf_counter()
    evaluations = []
    if n_source <= options.exact_eval_max:
        evaluations.append(("exact", exact_scores(X_s, X_t, W, gamma, options.n_jobs)))
    if n_source > options.exact_eval_max or (part == "large" and options.mc_check):
        evaluations.append(
            (
                "monte carlo",
                frequency_scores(
                    X_s,
                    X_t,
                    W,
                    gamma,
                    options.n_jobs,
                    options.mc_frequencies,
                    options.seed,
                ),
            )
        )
    logger.info("  evaluation: %.1f s", time.perf_counter() - t0)
    by_method = {r["method"]: r for r in rows}
    for j, name in enumerate(names):
        row = by_method[name]
        kind, (obj, obj_se, mmd2, mmd2_se) = evaluations[0]
        row.update(
            evaluation=kind,
            objective=float(obj[j]),
            objective_se=float(obj_se[j]),
            mmd2=float(mmd2[j]),
            mmd2_se=float(mmd2_se[j]),
            **constraint_fields(weights[name], options.B, eps),
        )
        if len(evaluations) > 1:
            _, (obj2, obj2_se, mmd2b, mmd2b_se) = evaluations[1]
            row.update(
                mc_objective=float(obj2[j]),
                mc_objective_se=float(obj2_se[j]),
                mc_mmd2=float(mmd2b[j]),
                mc_mmd2_se=float(mmd2b_se[j]),
            )
        t1 = time.perf_counter()
        row["accuracy"] = downstream_accuracy(
            X_s,
            y_s,
            None if name == "uniform" else weights[name],
            X_test,
            y_test,
            options.lr_max_rows,
            options.seed,
        )
        row["lr_rows"] = min(n_source, options.lr_max_rows or n_source)
        logger.info(
            "  %-13s objective %.6g, MMD^2 %.4g, acc %.4f (%.1f s)",
            name,
            row["objective"],
            row["mmd2"],
            row["accuracy"],
            time.perf_counter() - t1,
        )
    by_method["target_trained"]["accuracy"] = downstream_accuracy(
        X_t, y_t, None, X_test, y_test, options.lr_max_rows, options.seed
    )
    candidates = [
        r["objective"]
        for r in rows
        if r["status"] == "ok" and r.get("objective") is not None and feasible(r)
    ]
    best = min(candidates, default=math.nan)
    best_mmd2 = min(
        (r["mmd2"] for r in rows if r.get("objective") == best), default=math.nan
    )
    for r in rows:
        if r.get("objective") is not None and r["method"] in names:
            r["rel_gap"] = (r["objective"] - best) / abs(best)
            r["mmd2_ratio"] = r["mmd2"] / best_mmd2
    problem.unlink()
    return rows


# ------------------------------------------------------------------- report ---


def fmt_viol(row):
    parts = []
    if row.get("viol_upper"):
        parts.append(f"max b − B = {row['viol_upper']:.3g} ({row['n_above_B']} rows)")
    if row.get("viol_lower"):
        parts.append(f"min b = −{row['viol_lower']:.2g} ({row['n_negative']} rows)")
    if row.get("viol_sum_rel"):
        parts.append(f"sum off by {row['viol_sum_rel']:.2g} × n_s·eps")
    return "; ".join(parts) if parts else "none"


def main_table(rows, part):
    sub = [r for r in rows if r["part"] == part]
    if not sub:
        return []
    mc = any("mc_objective" in r for r in sub)
    lines = [
        "| n_s | method | status | time (s) | CPU (s) | peak RSS (MiB) "
        "| compute increment (MiB) | objective | rel. gap | MMD² | MMD² / best "
        "| max b | min b | sum b / n_s | violations | nonzero b | ESS / n_s "
        "| target accuracy |",
        "|" + "---|" * 18,
    ]
    for r in sub:
        status = r["status"]
        if status in NOT_RUN:
            lines.append(
                f"| {r['n_source']} | {r['label']} | {status}: {r.get('note', '')} "
                + "| – " * 15
                + "|"
            )
            continue
        obj = fmt(r.get("objective"), ".6g")
        mmd = fmt(r.get("mmd2"), ".4g")
        if r.get("evaluation") == "monte carlo":
            obj += f" ± {fmt(r['objective_se'], '.2g')}"
            mmd += f" ± {fmt(r['mmd2_se'], '.2g')}"
        gap = r.get("rel_gap")
        lines.append(
            f"| {r['n_source']} | {r['label']} | {status if status != 'ref' else ''} "
            f"| {fmt_time(r.get('seconds'))} | {fmt_time(r.get('cpu_seconds'))} "
            f"| {fmt(r.get('peak_rss_mb'), '.0f')} "
            f"| {fmt(r.get('increment_mb'), '.0f')} | {obj} "
            f"| {fmt(gap, '.2e') if gap is not None else '–'} | {mmd} "
            f"| {fmt(r.get('mmd2_ratio'), '.3f')} "
            f"| {fmt(r.get('max_w'), '.4g')} | {fmt(r.get('min_w'), '.3g')} "
            f"| {fmt(r['sum_w'] / r['n_source'] if 'sum_w' in r else None, '.4f')} "
            f"| {fmt_viol(r) if 'sum_w' in r else '–'} "
            f"| {r.get('nonzero', '–')} | {fmt(r.get('ess_frac'), '.3f')} "
            f"| {fmt(r.get('accuracy'), '.4f')} |"
        )
    if mc:
        lines += ["", "Monte Carlo check at the sizes evaluated both ways:", ""]
        lines += [
            "| n_s | method | exact objective | MC objective ± SE "
            "| exact MMD² | MC MMD² ± SE |",
            "|---|---|---|---|---|---|",
        ]
        for r in sub:
            if "mc_objective" in r:
                lines.append(
                    f"| {r['n_source']} | {r['method']} | {r['objective']:.6g} "
                    f"| {r['mc_objective']:.6g} ± {r['mc_objective_se']:.2g} "
                    f"| {r['mmd2']:.4g} | {r['mc_mmd2']:.4g} ± {r['mc_mmd2_se']:.2g} |"
                )
    return lines


def speed_table(rows):
    sub = [r for r in rows if r["part"] == "peers"]
    sizes = sorted({r["n_source"] for r in sub})
    get = {(r["n_source"], r["method"]): r for r in sub}
    others = [
        m for m in METHODS if m != "ours_fast" and any(r["method"] == m for r in sub)
    ]
    lines = [
        "| n_s | ours fast (s) | "
        + " | ".join(f"{m} (s) | {m} / ours fast" for m in others)
        + " |",
        "|---|---|" + "---|---|" * len(others),
    ]
    for n in sizes:
        ours = get.get((n, "ours_fast"), {})
        t0 = ours.get("seconds") if ours.get("status") == "ok" else None
        cells = [str(n), fmt_time(t0)]
        for m in others:
            r = get.get((n, m), {})
            t = r.get("seconds") if r.get("status") == "ok" else None
            cells.append(fmt_time(t) if t is not None else r.get("status", "–"))
            cells.append(f"{t / t0:.1f}×" if t is not None and t0 else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def goals(rows):
    out = []
    get = {(r["part"], r["n_source"], r["method"]): r for r in rows}
    ours, adapt = (
        get.get(("peers", 2000, "ours_fast")),
        get.get(("peers", 2000, "adapt")),
    )
    if ours and adapt and ours["status"] == adapt["status"] == "ok":
        ratio = adapt["seconds"] / ours["seconds"]
        cpu_ratio = adapt["cpu_seconds"] / ours["cpu_seconds"]
        ok = ratio >= 10 and feasible(ours)
        out.append(
            f"- n_s = 2000, at least 10× faster than ADAPT with the constraints "
            f"satisfied: **{'met' if ok else 'not met'}** — ADAPT "
            f"{adapt['seconds']:.3f} s, ours {ours['seconds']:.3f} s "
            f"({ratio:.1f}× wall clock, {cpu_ratio:.1f}× CPU time); ours' "
            f"constraint violations: {fmt_viol(ours)}; relative objective gap "
            f"ours {ours['rel_gap']:.2e}, ADAPT {adapt['rel_gap']:.2e}."
        )
    big = [
        r
        for r in rows
        if r["part"] == "large" and r["method"] == "ours_fast" and r["status"] == "ok"
    ]
    if big:
        r = max(big, key=lambda r: r["n_source"])
        ok = r["seconds"] < 600 and r["peak_rss_mb"] < 8192
        out.append(
            f"- n_s = {r['n_source']:,}: under 10 minutes and 8 GiB peak RSS on 2 "
            f"cores: **{'met' if ok else 'not met'}** — {r['seconds']:.1f} s "
            f"({r['cpu_seconds']:.1f} s CPU), peak RSS {r['peak_rss_mb']:.0f} MiB "
            f"({r['peak_rss_mb'] / 1024:.2f} GiB) for the whole process "
            f"(data included); violations: {fmt_viol(r)}."
        )
    for r in rows:
        if r["part"] == "large" and r["status"] in ("timeout", "error"):
            out.append(f"- n_s = {r['n_source']:,}: {r['status']} ({r.get('note')}).")
    return out


def solver_lines(rows):
    lines = []
    for r in rows:
        info = r.get("solver_info")
        if not info or r["status"] != "ok":
            continue
        if r["library"] == "adapt":
            lines.append(
                f"- n_s = {r['n_source']}, {r['method']}: {info['qp_calls']} cvxopt "
                f"QP(s) of {'/'.join(map(str, info['batch_rows']))} rows, statuses "
                f"{info['statuses']}, at most {info['iterations_max']} iterations"
            )
        elif r["library"] == "ours" and r["method"] == "ours_fast":
            iters = sorted({run["n_iter"] for run in info["runs"]})
            lines.append(
                f"- n_s = {r['n_source']}, {r['method']}: interior-point iterations "
                f"{iters}"
            )
        elif r["library"] == "skada":
            lines.append(
                f"- n_s = {r['n_source']}, {r['method']}: solver {info['solver']}, "
                f"max_iter {info['max_iter']}, {info['nonzero_weights']} weights "
                "not exactly 0"
            )
    return lines


PEER_NOTES = """\
## What the peers do (read in their installed source)

- **ADAPT 0.4.5** `adapt.instance_based.KMM.fit_weights(Xs, Xt)`
  (`adapt/instance_based/_kmm.py`): builds the dense kernel matrix `K`, `kappa =
  (n_s / n_t) K_st 1` and hands `P = K`, `q = -kappa` (the correct sign) with a
  dense `(2 n_s + 2) × n_s` inequality matrix (sum bounds, `b <= B`, `b >= 0`)
  to `cvxopt.solvers.qp`, an interior-point method; `tol=None` means cvxopt
  abstol 1e-7, reltol 1e-6, feastol 1e-7 and `max_iter=100` its `maxiters`. The
  status is not checked (a `"unknown"` status would pass silently). With more
  than `max_size` (default **1000**) source rows it shuffles the rows into
  `2^p` batches of at most 1000 rows and solves each batch as an independent QP
  against all target rows, each with its own `kappa` (scaled by `n_batch /
  n_t`) and its own sum constraint `|sum_batch b - n_batch| <= n_batch * eps`
  (`eps` recomputed per batch when not given; we pass the full problem's).
  The kernel between batches is ignored, so above 1000 rows ADAPT's default
  does not solve the QP it documents; its weights are feasible for the full
  problem (the batch sum constraints imply the full one) but not optimal for
  it, which the relative gap column measures. Kernel
  parameters go in `**params` (`gamma=`); without `gamma` sklearn's `1 /
  n_features` is used, not a median heuristic. Importing
  `adapt.instance_based` imports TensorFlow (about 0.5 GB of RSS before any
  work).
- **SKADA 0.6.0** `skada.KMMReweightAdapter` (`skada/_reweight.py`,
  `skada/utils.py`): builds the dense `n_s × n_s` and `n_s × n_t` kernel
  matrices, `kappa = n_s · mean_j k(x_i, x'_j)` (the same as Huang et al.'s),
  and calls `qp_solve(K, -kappa, A, b, lb=0, ub=B)` (the correct sign). Its
  default `solver="frank-wolfe"` runs a fixed 1000 Frank-Wolfe steps with step
  size 2 / (k + 1) over `{b >= 0, n_s (1 - eps) <= sum b <= n_s (1 + eps)}`:
  **`lb` and `ub` are not passed to it, so `b <= B` is not enforced**, `tol` is
  ignored, there is no convergence test, and since every step moves towards a
  vertex with a single nonzero weight, at most 1000 weights are nonzero
  whatever n_s. Its start point is `eps` in every coordinate (sum `n_s eps`,
  which is below `n_s (1 - eps)` when `eps < 1/2`), but the first step (step
  size 1) replaces it by a vertex, so the iterates satisfy the sum constraint.
  `solver="scipy"` is SLSQP with the bounds and the sum constraint (dense,
  slow: minutes at 1000 rows). `kmm_vs_peers_tight.md` (B = 5, eps = 0.01)
  shows the Frank-Wolfe weights above B.
- **Ours** (`sktransfer/instance/_kmm.py`): `solver="exact"` is cvxpy +
  Clarabel with the full kernel, then a Euclidean projection onto the
  constraints; `solver="fast"` (in the code measured here, see the sha1
  above) replaces `K` by a rank-300 Nystroem approximation plus the exact
  diagonal, `Phi Phi' + Lambda` with `Lambda_ii = k(x_i, x_i) - |phi(x_i)|^2`
  (landmarks drawn from both domains), and `kappa` by the same features, and
  solves that QP with a primal-dual interior-point method
  (Sherman-Morrison-Woodbury Newton systems) whose iterates stay strictly
  feasible. Its optimum is the
  optimum of the approximate QP, so its gap on the exact objective is the
  approximation's price.
"""


def large_section(rows, settings):
    return [
        "## Ours alone at scale (solver='fast')",
        "",
        "n_t = min(n_s / 2, 100 000). Above n_s = "
        f"{settings['exact_eval_max']:,} the exact objective is not computed (it "
        "needs all n_s² kernel values: 4·10^10 at 200 000 rows, 10^12 at "
        "1 000 000); MMD² there is an unbiased Monte Carlo estimate ± one "
        "standard error over random Fourier frequencies (exact over the rows, "
        "see `frequency_scores`), and the objective follows from it with the "
        "exact target term. Downstream accuracy "
        + (
            f"uses a random subsample of {settings['lr_max_rows']:,} source rows "
            "for the logistic regression when n_s is larger."
            if settings.get("lr_max_rows")
            else "fits the logistic regression on all source rows."
        ),
        "",
        *main_table(rows, "large"),
        "",
    ]


def run_lines(rows, meta):
    """What the common header does not say: loads at the runs' starts, cvxpy,
    the settings in words, contention and code changes during the run."""
    settings = meta["settings"]
    loads = [r.get("load1") for r in rows if r.get("load1") is not None]
    lines = [
        "- 1-minute load average at the starts of the runs: max "
        f"{max(loads, default=math.nan):.2f} (a run of this benchmark adds 1-2)",
        f"- ours: cvxpy {meta.get('versions', {}).get('cvxpy', '?')} for "
        "solver='exact'; every run of ours imports the package copied at the start",
        f"- settings: seed {settings['seed']}, B = {settings['B']:g}, eps = "
        + (
            "(sqrt(n_s) − 1)/sqrt(n_s)"
            if settings.get("eps") is None
            else f"{settings['eps']:g}"
        )
        + ", gamma by the median heuristic (passed to "
        f"every library), n_components = {settings['n_components']}, ours n_jobs = "
        f"{settings['n_jobs']}, BLAS/OpenMP threads per worker = "
        f"{settings['blas_threads']}, up to {settings['repeats']} timed runs per "
        f"process while under {settings['repeat_budget']:g} s in total (minimum "
        f"reported), timeout {settings['timeout']:g} s per run "
        f"({settings['large_timeout']:g} s in the large part), "
        f"{settings['n_test']} target test rows, "
        f"{settings['mc_frequencies']} random frequencies for the Monte Carlo "
        f"MMD above n_s = {settings['exact_eval_max']}",
    ]
    if loads and max(loads) > LOADED:
        busy = sum(load > LOADED for load in loads)
        lines.append(
            f"- **contention**: the 1-minute load average was above {LOADED} at "
            f"{busy} of {len(loads)} run starts (up to {max(loads):.1f} on "
            f"{meta['machine']['cores']} cores): other processes (e.g. a test suite) "
            "shared the CPUs, so wall-clock times are inflated and noisy; the CPU "
            "column is less affected. Per-run load averages are in the JSON."
        )
    measured = meta["code"]["files_sha1"].get("instance/_kmm.py", "")[:12]
    shas = sorted(
        {
            (r.get("versions") or {}).get("_kmm.py sha1", "")[:12]
            for r in rows
            if r.get("library") == "ours" and r["status"] == "ok"
        }
    )
    if shas and shas != [measured]:
        lines.append(
            f"- **code changed during the run**: ours' rows ran `_kmm.py` "
            f"{', '.join(shas)} (see `versions` in the JSON per row)"
        )
    return lines


def table(rows, meta):
    settings = meta["settings"]
    lines = [
        *run_lines(rows, meta),
        "",
        "Objective = 1/2 b'Kb − kappa'b on the full RBF "
        "kernel for every method (lower is better; 'rel. gap' = (obj − best) / "
        "|best| with best the lowest objective among the methods in the row that "
        f"satisfy the constraints to {FEASIBILITY_TOL:g}); MMD² of the weighted "
        "source against the target, equal to (2 / n_s²) objective + a constant, "
        "so the relative gap on the objective looks small because of that "
        "constant; 'MMD² / best' (the MMD² over the best feasible method's in the "
        "row) shows the excess. "
        "Time = the weight computation only (minimum over the runs in the "
        "process); peak RSS = the worker process's peak (interpreter, imports — "
        "TensorFlow for ADAPT — and data included); compute increment = peak "
        "during the computation minus RSS before it; target accuracy = "
        "LogisticRegression on the source with the weights (mean 1), on the "
        "target test set. 'ESS / n_s' = (sum b)² / (n_s sum b²).",
        "",
        "## Methods against each other (n_t = n_s / 2)",
        "",
        *main_table(rows, "peers"),
        "",
        "Where no method solving the full QP ran (ours exact and ADAPT with "
        "max_size = n_s stop at 5000 rows by default), 'best' is the best of the "
        "approximate solutions, not the optimum.",
        "",
        "### Weight computation time relative to ours (solver='fast')",
        "",
        *speed_table(rows),
        "",
        *(
            large_section(rows, settings)
            if any(r["part"] == "large" for r in rows)
            else []
        ),
        "## Goals",
        "",
        *(
            goals(rows)
            if settings["B"] == 1000 and settings.get("eps") is None
            else [
                "- not assessed: the goals are stated for B = 1000 and the default eps"
            ]
        ),
        "",
        "## Solvers that ran",
        "",
        *solver_lines(rows),
        "",
        "## Warnings raised during the weight computations",
        "",
        *warning_lines(rows),
        "",
        PEER_NOTES,
    ]
    return "\n".join(lines)


def add_arguments(parser):
    parser.add_argument(
        "--sizes", nargs="*", type=int, default=[1000, 2000, 5000, 10000, 20000]
    )
    parser.add_argument(
        "--large-sizes", nargs="*", type=int, default=[50_000, 200_000, 1_000_000]
    )
    parser.add_argument("--large-n-target", type=int, default=100_000)
    add_method_options(
        parser,
        METHODS,
        "largest n_source per method, e.g. adapt_one_qp=10000 (none: no limit)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--B", type=float, default=1000.0)
    parser.add_argument(
        "--eps",
        type=float,
        default=None,
        help="tolerance on the mean weight (default: (sqrt(n_s) - 1) / sqrt(n_s))",
    )
    parser.add_argument("--n-components", type=int, default=300)
    parser.add_argument("--n-jobs", type=int, default=2)
    add_timing_options(
        parser, blas_threads=1, repeats=5, repeat_budget=30.0, timeout=900.0
    )
    parser.add_argument("--large-timeout", type=float, default=1800.0)
    parser.add_argument("--n-test", type=int, default=20_000)
    parser.add_argument(
        "--mc-frequencies",
        type=int,
        default=4096,
        help="random frequencies of the MMD estimate above --exact-eval-max",
    )
    parser.add_argument("--exact-eval-max", type=int, default=50_000)
    parser.add_argument(
        "--no-mc-check",
        dest="mc_check",
        action="store_false",
        help="skip the Monte Carlo estimate at exactly evaluated large sizes",
    )
    parser.add_argument(
        "--lr-max-rows",
        type=int,
        default=None,
        help="subsample the source to this many rows for the downstream "
        "LogisticRegression (default: all rows)",
    )


def run(options, context):
    options.limits = parse_max_n(options.max_n, METHODS)
    try:
        context.meta["versions"]["cvxpy"] = version("cvxpy")
    except PackageNotFoundError:
        context.meta["versions"]["cvxpy"] = None
    # Peer environments are built (once) before anything is timed.
    for runner in {METHODS[m][0] for m in options.methods} - {"ours"}:
        context.peer_python(runner)
    test = make_test(options.n_test, options.seed)
    # The evaluation in this process: BLAS on one thread, joblib threads over
    # blocks (n_jobs).
    with threadpool_limits(limits=1):
        stopped = {}
        for n in options.sizes:
            yield from run_size(
                options, context, "peers", n, n // 2, options.methods, test, stopped
            )
        stopped = {}
        for n in options.large_sizes:
            n_t = min(n // 2, options.large_n_target)
            yield from run_size(
                options, context, "large", n, n_t, ["ours_fast"], test, stopped
            )
