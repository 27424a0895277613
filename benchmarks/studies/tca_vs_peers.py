"""TCA: sktransfer against ADAPT and SKADA (speed, memory, embedding quality).

Protocol
--------
Data (``peer_scripts/_tca_worker.make_problem``, synthetic): d = 20 Gaussian
features with standard deviations ``2 * 0.9^j``; the target is the source
distribution rotated by 30 degrees in the plane of features 0 and 1 and
shifted by two standard deviations along features 2 and 3; labels
``y = 1[x_1 - x_0^2 / 4 + 1 > 0]`` in both domains (a parabola, covariate
shift). n_s = n_t in ``--sizes`` (500, 1000, 2000, 4000), drawn from ``--seed``;
the same arrays (one ``.npz`` per size, written by ``_tca_worker.py`` in a
fresh process) go to every method. The target labels are only used for
scoring.

Problem, the same for every method: RBF kernel with one ``gamma`` per size,
``1 / (2 sigma^2)`` with ``sigma`` the median heuristic on the pooled rows
(``sktransfer.metrics.median_bandwidth(X_s, X_t, random_state=seed)``),
computed here once and passed to everyone; ``n_components = 10``; ``mu = 0.1``
in the papers' parameterisation (``K L K + mu I`` on the right side, as ours).
ADAPT and SKADA put their ``mu`` on the other term (``I + mu K L K``), so their
``mu`` is the papers' ``1 / mu``: the ``adapt`` and ``skada`` rows pass
``1 / 0.1 = 10`` (the same eigenproblem); ``adapt_mu_as_is`` and
``skada_mu_as_is`` pass ``0.1`` literally (what a user copying the papers'
value would get: the papers' ``mu = 10``). SKADA passes no kernel parameter to
``pairwise_kernels`` (sklearn's ``gamma = 1 / n_features``), so its input is
scaled by ``sqrt(gamma * d)``, which gives the same kernel matrix (checked on
a sample of rows in every run, ``kernel_check``).

Methods (``--methods``), each run in a fresh subprocess (ours with this
interpreter and the run's copy of ``sktransfer/``, the peers in their
virtual environments, ``benchmarks/harness/peers.py``) by the workers in
``peer_scripts/`` (``ours_tca.py``, ``adapt_tca.py``, ``skada_tca.py``; the
shared harness is ``_tca_worker.py``):

- ``ours_exact``: ``TransferComponentAnalysis(solver="exact")``, the compared
  path; ``ours_fast``: ``solver="fast"`` with the default 500 landmarks;
- ``adapt``: ADAPT 0.4.5 ``adapt.feature_based.TCA`` (``fit_transform(Xs,
  Xt)``, which returns the source embedding, and ``transform(Xt)``);
- ``skada``: SKADA 0.6.0 ``TransferComponentAnalysisAdapter``
  (``fit_transform(X, sample_domain=...)``);
- ``adapt_mu_as_is``, ``skada_mu_as_is``: the same with ``mu = 0.1`` passed as
  is (up to n_s = 1000 by default: the cost does not depend on ``mu``).

Timing: fit + transform of every source and target row (ours: ``fit`` then
``transform(X)`` of all rows; the peers: the calls above), library imports,
data loading and stacking outside the timer; wall clock and process CPU time
(all threads). Runs are repeated in their process (``--repeats``, while the
runs so far took less than ``--repeat-budget`` seconds) and the minimum is
reported, every run in the JSON. Memory: the worker's peak resident set size
(``VmHWM``: interpreter, imports - TensorFlow for ADAPT - data and
computation) and the increment of the computation over the RSS before it.
Each subprocess has ``--timeout`` seconds (1800); a method that times out or
fails is not run at larger sizes. Threads: every worker gets the same
environment, ``OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = MKL_NUM_THREADS =
TF_NUM_*_THREADS = --blas-threads`` (2, the machine's cores); ours keeps
``n_jobs=None`` unless ``--n-jobs`` is given. Before each run the driver
waits (up to ``--quiet-wait`` seconds, 120) until other processes keep fewer
than ``--quiet-cores`` (0.5) cores busy, sampled over one second while nothing
of this benchmark runs, and records that sample (``busy_cores_before``), the
wait and the load averages; during the run it measures the cores other
processes kept busy on average (``others_busy_during``: the machine's busy CPU
time from ``/proc/stat`` minus this process's and its children's). A run
during which they averaged more than ``--contended-cores`` (0.25) is repeated
once (``--retries``) after waiting up to ``--retry-wait`` seconds (900) for
quiet cores, and the least contended attempt is kept (all in the JSON).

Quality, from each method's embeddings of the training rows:

- target accuracy: ``LogisticRegression(max_iter=1000)`` fitted on the
  embedded source rows with the source labels, scored on the embedded target
  rows; and the same after a ``StandardScaler`` fitted on the embedded source
  (the peers' embeddings are not scaled, and an L2-penalized model depends on
  scale). Reference: the same model on the raw features;
- the largest principal angle (degrees) between the span of each method's
  centred training embedding and ours exact's (``scipy.linalg.subspace_angles``);
- the TCA objective ``tr((W'(K L K + mu I) W)^-1 W' K H K W)`` at ``mu = 0.1``
  for methods with coefficients ``W`` over the training rows (not the fast
  path), computed from the embedding ``Z = K W`` (``W' K H K W = Z' H Z``,
  ``W' K L K W = (Z'e)(Z'e)'``) and ``W'W`` (from the worker), relative to
  ours exact's; the maximum is the sum of the ``k`` leading generalized
  eigenvalues, which ours exact reports (``eigenvalues_``) and the JSON holds.

Row order (``--order-rows``, once before the timings): every library is fitted
on a shuffled stacking of 300 source and 300 target rows and its training
embedding is compared with the embedding computed from the definition in
input order (``_tca_worker.classify_order``).

Eigensolver check (``eigensolver_check``, at the smallest size, in this
process): the matrix the peers decompose, rebuilt as in their source with
``mu' = 1 / mu``, is decomposed with ``numpy.linalg.eigh`` (what they call) and
with ``scipy.linalg.eig``; the largest principal angle of each embedding to
ours exact's, and the eigenvalues against ``mu`` times ours.

Results: ``benchmarks/results/tca_vs_peers.{json,md}``; ``python -m benchmarks
report tca_vs_peers`` rewrites the ``.md`` from the ``.json``. A smoke run
(``--smoke``: n_s = 60, ours exact only, no waiting for quiet cores, 0.1 s
load samples) runs no peer: their rows say "not run".

Command (about 15 minutes on 2 cores when the cores are free, most of it ADAPT
and SKADA at n_s = 4000; longer when runs must wait for or repeat after
other processes)::

    flock /tmp/bench.lock python -m benchmarks run tca_vs_peers
    python -m benchmarks run tca_vs_peers --sizes 500 1000 --methods ours_exact skada
"""

import json
import math
import subprocess
import time
import warnings
from functools import partial

import numpy as np

from sktransfer import TransferComponentAnalysis
from sktransfer.metrics import gamma_from_bandwidth, median_bandwidth

from ..harness import fmt, fmt_time, md_table, thread_env
from ..harness.options import (
    add_contention_options,
    add_method_options,
    add_timing_options,
    contention_arguments,
)
from ..harness.processes import (
    WORKER_MEMORY_FIELDS,
    least_contended,
    run_or_stop,
    skip_note,
)
from ..harness.study import parse_max_n
from ..harness.tables import warning_lines
from ..harness.tca_data import tca_problem

CODE = ("feature/_tca.py", "feature/_eigensolvers.py", "_kernels.py")
SMOKE = {
    "sizes": [60],
    "methods": ["ours_exact", "skada", "adapt", "skada_mu_as_is", "adapt_mu_as_is"],
    "order_rows": 30,
    "repeats": 1,
    "quiet_wait": 0.0,
    "retries": 0,
}
NOT_RUN = "not run (smoke run)"

# name -> (runner, label, worker arguments, mu passed: "same" or "as is",
#          default largest n_s)
METHODS = {
    "ours_exact": ("ours", "ours, solver='exact'", ["--solver", "exact"], "same", None),
    "ours_fast": (
        "ours",
        "ours, solver='fast' (500 landmarks)",
        ["--solver", "fast"],
        "same",
        None,
    ),
    "skada": ("skada", "SKADA TCA adapter, mu = 1/0.1", [], "same", None),
    "adapt": ("adapt", "ADAPT TCA, mu = 1/0.1", [], "same", None),
    "skada_mu_as_is": ("skada", "SKADA TCA adapter, mu = 0.1 as is", [], "as is", 1000),
    "adapt_mu_as_is": ("adapt", "ADAPT TCA, mu = 0.1 as is", [], "as is", 1000),
}
PEERS = ("skada", "adapt")  # the peer libraries; their compared rows (same problem)


# ------------------------------------------------------------------ helpers ---


def peer_mu(method, mu):
    """The ``mu`` a method receives: ours the papers', peers ``1/mu`` or as is."""
    runner, _, _, how, _ = METHODS[method]
    if runner == "ours" or how == "as is":
        return mu
    return 1.0 / mu


def runs(context, method):
    """Whether the method runs: ours always, a peer when it has an interpreter
    (not in a smoke run)."""
    runner = METHODS[method][0]
    return runner == "ours" or context.peer_python(runner) is not None


def quiet_sample(context):
    """Seconds of each busy-cores sample (shorter in a smoke run)."""
    return 0.1 if context.smoke else 1.0


def run_worker(method, problem, out, gamma, args, timeout, context, order_check=False):
    """Run one method's worker in a fresh process; return its JSON (or raise)."""
    runner, _, extra, _, _ = METHODS[method]
    cmd_args = [
        "--data", problem,
        "--out", out,
        "--gamma", repr(gamma),
        "--n-components", args.n_components,
        "--seed", args.seed,
        "--repeats", args.repeats,
        "--repeat-budget", args.repeat_budget,
    ]  # fmt: skip
    if order_check:
        cmd_args += ["--order-check", "--order-rows", args.order_rows]
    env = thread_env(args.blas_threads)
    mu = peer_mu(method, args.mu)
    if runner == "ours":
        cmd_args += ["--mu", repr(mu), "--n-landmarks", args.n_landmarks]
        if args.n_jobs is not None:
            cmd_args += ["--n-jobs", args.n_jobs]
        # our interpreter, importing the run's copy of the package
        return context.worker("ours_tca.py", cmd_args + extra, env=env, timeout=timeout)
    cmd_args += ["--mu-peer", repr(mu)]
    return context.peer(
        runner, f"{runner}_tca.py", cmd_args + extra, env=env, timeout=timeout
    )


# --------------------------------------------------------------- evaluation ---


def accuracies(Z_source, y_source, Z_target, y_target):
    """Target accuracy of a LogisticRegression fitted on the embedded source.

    Returns the plain model's and the one after a StandardScaler.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = LogisticRegression(max_iter=1000).fit(Z_source, y_source)
        scaled = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        scaled.fit(Z_source, y_source)
    return float(plain.score(Z_target, y_target)), float(
        scaled.score(Z_target, y_target)
    )


def tca_objective(Z, coef_gram, n_source, mu):
    """``tr((W'(KLK + mu I)W)^-1 W'KHKW)`` from ``Z = K W`` and ``W'W``.

    ``Z`` holds the source rows, then the target rows.
    """
    n_target = Z.shape[0] - n_source
    e = np.r_[np.full(n_source, 1.0 / n_source), np.full(n_target, -1.0 / n_target)]
    centred = Z - Z.mean(axis=0)
    v = Z.T @ e
    right = np.outer(v, v) + mu * coef_gram
    return float(np.trace(np.linalg.solve(right, centred.T @ centred)))


def largest_angle(Z, reference):
    """Largest principal angle (degrees) between the centred column spans."""
    from scipy.linalg import subspace_angles

    angles = subspace_angles(Z - Z.mean(axis=0), reference - reference.mean(axis=0))
    return float(np.rad2deg(angles.max()))


def evaluate(rows, embeddings, y_source, y_target, X_source, X_target, mu):
    """Fill accuracy, angle and objective fields of the rows of one size."""
    n_source = y_source.shape[0]
    reference = embeddings.get("ours_exact")
    best = None
    if reference is not None and reference.get("coef_gram") is not None:
        best = tca_objective(reference["Z"], reference["coef_gram"], n_source, mu)
    for row in rows:
        emb = embeddings.get(row["method"])
        if emb is None:
            continue
        Z = emb["Z"]
        row["accuracy"], row["accuracy_scaled"] = accuracies(
            Z[:n_source], y_source, Z[n_source:], y_target
        )
        if reference is not None:
            row["largest_angle_deg"] = largest_angle(Z, reference["Z"])
        if emb.get("coef_gram") is not None:
            row["objective"] = tca_objective(Z, emb["coef_gram"], n_source, mu)
            if best:
                row["objective_ratio"] = row["objective"] / best
    raw = accuracies(X_source, y_source, X_target, y_target)
    return {"accuracy": raw[0], "accuracy_scaled": raw[1]}


# ------------------------------------------------------------------ running ---


def run_attempts(args, context, method, problem, gamma, n, row):
    """Run a method's worker; again (``--retries``) if others shared the cores.

    Before each attempt, wait for quiet cores (``--quiet-wait``, longer before
    a retry: ``--retry-wait``); during it, measure the cores other processes
    kept busy. An attempt during which they averaged more than
    ``--contended-cores`` is repeated; the least contended attempt is kept.
    Fills ``row`` with its state and every attempt's summary; returns the
    worker's JSON and the path of the kept embedding.
    """
    outs = []

    def attempt():
        out = context.tmp / f"z_{method}_{n}_{len(outs)}.npz"
        outs.append(out)
        t0 = time.perf_counter()
        result = run_worker(method, problem, out, gamma, args, args.timeout, context)
        return result, out, time.perf_counter() - t0

    (result, out, _), state, attempts = least_contended(
        attempt,
        **contention_arguments(args),
        sample=quiet_sample(context),
        label=method,
    )
    summaries = []
    for (other, other_out, seconds), attempt_state in attempts:
        attempt_state["process_seconds"] = seconds
        summaries.append(
            dict(
                attempt_state,
                seconds=other["seconds"],
                cpu_seconds=other["cpu_seconds"],
                seconds_all=other["seconds_all"],
            )
        )
        if other_out != out:
            other_out.unlink()
    row.update(state, attempts=summaries)
    context.log.info(
        "  %s: %.3f s (cpu %.3f), peak %.0f MiB; other processes %.2f cores "
        "during the run",
        method,
        result["seconds"],
        result["cpu_seconds"],
        result["peak_rss_mb"],
        state["others_busy_during"],
    )
    return result, out


def run_size(args, context, n, stopped, max_n):
    """All methods at n_s = n_t = n, then the evaluation; returns the rows."""
    problem, X_s, y_s, X_t, y_t = tca_problem(context, n, n, args.seed)
    gamma = gamma_from_bandwidth(median_bandwidth(X_s, X_t, random_state=args.seed))
    base = {"n_source": n, "n_target": n, "gamma": gamma}
    context.log.info("n_s = n_t = %d, gamma = %.5g", n, gamma)
    rows, embeddings = [], {}
    for method in args.methods:
        runner, label, _, _, default_max = METHODS[method]
        row = dict(
            base,
            method=method,
            label=label,
            library=runner,
            mu_passed=peer_mu(method, args.mu),
        )
        limit = max_n.get(method, default_max)
        note = skip_note(method, n, stopped, limit)
        if note is not None:
            rows.append(dict(row, status="skipped", note=note))
            continue
        if not runs(context, method):
            rows.append(dict(row, status=NOT_RUN))
            continue
        attempt, failure = run_or_stop(
            partial(run_attempts, args, context, method, problem, gamma, n, row),
            method,
            stopped,
            f"at n_s = {n}",
            context.log,
            f"timed out after {args.timeout:g} s",
        )
        if failure is not None:
            rows.append(dict(row, **failure))
            continue
        result, out = attempt
        with np.load(out) as f:
            embeddings[method] = {
                "Z": np.vstack([f["source"], f["target"]]),
                "coef_gram": f["coef_gram"] if "coef_gram" in f.files else None,
            }
        out.unlink()
        keep = (
            "seconds",
            "cpu_seconds",
            "steps",
            "seconds_all",
            "cpu_seconds_all",
            "steps_all",
            *WORKER_MEMORY_FIELDS,
            "params",
            "fitted",
            "versions",
            "kernel_check_max_abs_diff",
            "loadavg_at_end",
            "threadpools",
        )
        row.update({k: result.get(k) for k in keep if k in result})
        row["worker_loadavg_at_start"] = result.get("loadavg_at_start")
        row["status"] = "ok"
        rows.append(row)
    raw = evaluate(rows, embeddings, y_s, y_t, X_s, X_t, args.mu)
    rows.append(
        dict(
            base,
            method="raw",
            label="reference: LogisticRegression on the raw features",
            library="",
            status="ref",
            **raw,
        )
    )
    for row in rows:
        if "accuracy" in row:
            context.log.info(
                "  %-15s acc %.4f / %.4f, angle %s, objective ratio %s",
                row["method"],
                row["accuracy"],
                row["accuracy_scaled"],
                fmt(row.get("largest_angle_deg"), ".2f"),
                fmt(row.get("objective_ratio"), ".5f"),
            )
    problem.unlink()
    return rows


def eigensolver_check(args, context, n):
    """The peers' eigenproblem solved with ``eigh`` (as they do) and with ``eig``.

    Reproduces, in this process, the matrix ADAPT and SKADA decompose
    (``(I + mu' K L K)^-1 K H K`` with ``mu' = 1 / mu``, built as in their
    source, on the data of n_s = n_t = ``n``), and compares the embeddings of
    its leading eigenvectors from the symmetric solver (``numpy.linalg.eigh``,
    what both call) and from the general one (``scipy.linalg.eig``) with ours
    exact's: the largest principal angle each, and the eigenvalues.
    """
    from scipy import linalg
    from sklearn.metrics.pairwise import rbf_kernel

    _, X_s, _, X_t, _ = tca_problem(context, n, n, args.seed)
    gamma = gamma_from_bandwidth(median_bandwidth(X_s, X_t, random_state=args.seed))
    X = np.vstack([X_s, X_t])
    rows, k = X.shape[0], args.n_components
    K = rbf_kernel(X, gamma=gamma)
    e = np.r_[np.full(n, 1.0 / n), np.full(n, -1.0 / n)]
    L = np.outer(e, e)
    H = np.eye(rows) - 1.0 / rows
    matrix = np.linalg.solve(np.eye(rows) + (1.0 / args.mu) * K @ L @ K, K @ H @ K)
    values, vectors = np.linalg.eigh(matrix)
    symmetric = vectors[:, np.argsort(np.abs(values))[::-1][:k]]
    values_g, vectors_g = linalg.eig(matrix)
    top = np.argsort(-np.abs(values_g))[:k]
    general = np.real(vectors_g[:, top])
    ours = TransferComponentAnalysis(
        k, gamma=gamma, mu=args.mu, solver="exact", random_state=args.seed
    )
    Z = ours.fit_transform(X, sample_domain=np.r_[np.ones(n, int), -np.ones(n, int)])
    return {
        "n_source": n,
        "relative_asymmetry": float(
            np.abs(matrix - matrix.T).max() / np.abs(matrix).max()
        ),
        "eigh_largest_angle_deg": largest_angle(K @ symmetric, Z),
        "eig_largest_angle_deg": largest_angle(K @ general, Z),
        "eig_max_imag": float(np.abs(values_g[top].imag).max()),
        "eig_eigenvalues_vs_ours_mu_rel_diff": float(
            np.abs(np.abs(values_g[top]) / (args.mu * ours.eigenvalues_) - 1).max()
        ),
    }


def order_checks(args, context):
    """Row order of each library's training embedding (one shuffled fit each)."""
    n = max(args.order_rows, 10)
    problem, X_s, _, X_t, _ = tca_problem(context, n, n, args.seed)
    gamma = gamma_from_bandwidth(median_bandwidth(X_s, X_t, random_state=args.seed))
    checks = {}
    for method in ("ours_exact", "ours_fast", "skada", "adapt"):
        if method not in args.methods:
            continue
        if not runs(context, method):
            checks[method] = {"status": NOT_RUN}
            continue
        try:
            checks[method] = run_worker(
                method,
                problem,
                context.tmp / "unused.npz",
                gamma,
                args,
                600,
                context,
                True,
            )["order_check"]
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            checks[method] = {"error": str(error)[-300:]}
        context.log.info("order check %s: %s", method, json.dumps(checks[method])[:300])
    problem.unlink()
    return checks


# ------------------------------------------------------------------- report ---


def fmt_steps(row):
    steps = row.get("steps") or {}
    if row["library"] == "ours":
        return f"{fmt_time(steps.get('fit'))} + {fmt_time(steps.get('transform'))}"
    return " + ".join(fmt_time(v) for v in steps.values())


def fmt_contention(r):
    text = f"{r['loadavg_at_start'][0]:.2f} / {r['busy_cores_before']:.2f}"
    during = r.get("others_busy_during")
    text += f" / {during:.2f}" if during is not None else ""
    if len(r.get("attempts") or []) > 1:
        text += f" ({len(r['attempts'])} attempts)"
    return text


def main_table(rows):
    header = [
        "n_s = n_t",
        "method",
        "status",
        "time (s)",
        "CPU (s)",
        "fit + transform (s)",
        "peak RSS (MiB)",
        "increment (MiB)",
        "load1 at start / others' cores before / during",
        "target acc.",
        "target acc. (scaled)",
        "largest angle to ours exact (°)",
        "objective / ours exact",
    ]
    body = []
    for r in rows:
        if r["status"] in ("skipped", "timeout", "error", NOT_RUN):
            status = r["status"] + (f": {r['note']}" if "note" in r else "")
            body.append([r["n_source"], r["label"], status] + ["–"] * 10)
            continue
        load = r.get("loadavg_at_start")
        body.append(
            [
                r["n_source"],
                r["label"],
                "" if r["status"] == "ref" else r["status"],
                fmt_time(r.get("seconds")),
                fmt_time(r.get("cpu_seconds")),
                fmt_steps(r) if r["status"] == "ok" else "–",
                fmt(r.get("peak_rss_mb"), ".0f"),
                fmt(r.get("increment_mb"), ".0f"),
                fmt_contention(r) if load else "–",
                fmt(r.get("accuracy"), ".4f"),
                fmt(r.get("accuracy_scaled"), ".4f"),
                fmt(r.get("largest_angle_deg"), ".2f"),
                fmt(r.get("objective_ratio"), ".5f"),
            ]
        )
    return md_table(header, body)


def ratio(slow, fast):
    if not slow or not fast:
        return "–"
    r = slow / fast
    return f"{r:.1f}×" if r < 10 else f"{r:.0f}×"


def speed_table(rows):
    get = {(r["n_source"], r["method"]): r for r in rows}
    sizes = sorted({r["n_source"] for r in rows})

    def seconds(n, m):
        r = get.get((n, m), {})
        return r.get("seconds") if r.get("status") == "ok" else None

    def cell(n, m):
        t = seconds(n, m)
        return fmt_time(t) if t is not None else get.get((n, m), {}).get("status", "–")

    body = []
    for n in sizes:
        exact, fast = seconds(n, "ours_exact"), seconds(n, "ours_fast")
        peers = [seconds(n, p) for p in PEERS]
        done = [t for t in peers if t is not None]
        fastest = min(done) if done else None
        body.append(
            [
                n,
                cell(n, "ours_exact"),
                cell(n, "ours_fast"),
                cell(n, "skada"),
                cell(n, "adapt"),
                ratio(fastest, exact),
                ratio(fastest, fast),
            ]
        )
    return md_table(
        [
            "n_s = n_t",
            "ours exact (s)",
            "ours fast (s)",
            "SKADA (s)",
            "ADAPT (s)",
            "faster peer / ours exact",
            "faster peer / ours fast",
        ],
        body,
    )


def goal_lines(rows):
    get = {(r["n_source"], r["method"]): r for r in rows}
    ours = get.get((2000, "ours_exact"))
    peers = [get.get((2000, p)) for p in PEERS]
    peers = [p for p in peers if p and p["status"] == "ok"]
    if not ours or ours["status"] != "ok" or not peers:
        return ["- n_s = n_t = 2000: not measured in this run."]
    fastest = min(peers, key=lambda r: r["seconds"])
    ratio = fastest["seconds"] / ours["seconds"]
    cpu_ratio = fastest["cpu_seconds"] / ours["cpu_seconds"]
    return [
        f"- n_s = n_t = 2000, ours exact at least 10× faster than the faster peer: "
        f"**{'met' if ratio >= 10 else 'not met'}** — {fastest['label']} "
        f"{fastest['seconds']:.1f} s, ours exact {ours['seconds']:.2f} s "
        f"({ratio:.0f}× wall clock, {cpu_ratio:.0f}× CPU time; peak RSS "
        f"{fastest['peak_rss_mb']:.0f} MiB against {ours['peak_rss_mb']:.0f} MiB)."
    ]


def order_lines(checks):
    lines = []
    for method, check in checks.items():
        if "status" in check:
            lines.append(f"- {method}: {check['status']}")
            continue
        if "error" in check:
            lines.append(f"- {method}: check failed: {check['error']}")
            continue
        for call, result in check.items():
            diffs = ", ".join(
                f"{k}: {v:.1e}" for k, v in result["relative_max_diff"].items()
            )
            lines.append(
                f"- {method}, `{call}`: **{result['order']}** "
                f"({result['returned_rows']} rows returned for "
                f"{result['input_rows']} input rows; largest difference from "
                f"each candidate order, relative to max |Z|: {diffs})"
            )
    return lines


def eigensolver_lines(check):
    if not check:
        return []
    return [
        "## The peers' eigenproblem with a general eigensolver",
        "",
        f"At n_s = n_t = {check['n_source']}, this script builds the matrix both "
        "peers decompose, `(I + mu' K L K)^-1 K H K` with mu' = 1/mu (as in their "
        "source), and takes its 10 leading eigenvectors two ways. The matrix is "
        f"not symmetric (largest |M − M'| / largest |M|: "
        f"{check['relative_asymmetry']:.3f}).",
        "",
        f"- `numpy.linalg.eigh` (what ADAPT and SKADA call): largest principal "
        f"angle to ours exact **{check['eigh_largest_angle_deg']:.2f}°** (compare "
        "the peers' rows at that size in the table above);",
        f"- `scipy.linalg.eig` (a general eigensolver): largest angle "
        f"**{check['eig_largest_angle_deg']:.2g}°**, eigenvalues real (largest "
        f"imaginary part {check['eig_max_imag']:.1g}) and equal to mu × ours' "
        "(largest relative difference "
        f"{check['eig_eigenvalues_vs_ours_mu_rel_diff']:.1g}).",
        "",
        "So with mu' = 1/mu the peers' formulation has the same solution as ours; "
        "the difference in the table comes from decomposing a non-symmetric matrix "
        "with a symmetric eigensolver.",
        "",
    ]


PEER_NOTES = """\
## What the peers do (read in their installed source)

- **Where `mu` goes.** The papers (and ours) take the `k` leading eigenvectors
  of `(K L K + mu I)^-1 K H K`. ADAPT 0.4.5 (`adapt/feature_based/_tca.py`)
  and SKADA 0.6.0 (`skada/_subspace.py`, `TransferComponentAnalysisAdapter`)
  both form `I + mu K L K` instead: `(I + mu K L K)^-1 = (1/mu) (K L K +
  (1/mu) I)^-1`, so their `mu` is the papers' `1 / mu`, and their default
  `mu = 0.1` is the papers' `mu = 10` (more weight on closeness of the
  domains' means is the papers' small `mu`). The rows "mu = 1/0.1" pass 10 so
  that all methods solve the same eigenproblem; "mu = 0.1 as is" shows what
  the literal value gives.
- **Eigensolver.** Both peers build the dense `n × n` kernel `K` and dense
  `n × n` matrices `L` and `H` (`n = n_s + n_t`; 0.5 GB each at n = 8000,
  several alive at once: see the peak RSS column), multiply them
  (`K L K`, `K H K`: `O(n^3)` each), solve `(I + mu K L K) X = K H K` (ADAPT
  `scipy.linalg.lstsq`, an SVD-based least-squares solve, `gelsd`; SKADA
  `numpy.linalg.solve`, LU) and call a **symmetric** eigensolver
  (`scipy.linalg.eigh` / `numpy.linalg.eigh`, full decomposition, `O(n^3)`) on
  the result, which is **not symmetric** (a product of two symmetric matrices
  that do not commute). `eigh` reads only the lower triangle, so they
  decompose a different, symmetrized matrix; the components are then chosen
  by the largest `|eigenvalue|`. The column "largest angle to ours exact" and
  the objective ratio measure the consequence. Ours whitens the right side
  in closed form (`mu I + v v'`, rank-one `K L K`) and runs Lanczos (ARPACK)
  on the symmetric whitened left side: `O(n^2)` per iteration, no `n × n`
  product, inverse or full decomposition.
- **Kernel parameters.** ADAPT passes kernel parameters given as keyword
  arguments (`gamma=`) to `pairwise_kernels`: the same RBF kernel as ours.
  SKADA's adapter passes none: `kernel="rbf"` is sklearn's `gamma = 1 /
  n_features`, and a callable kernel is evaluated pair by pair in Python; here
  SKADA gets the rows scaled by `sqrt(gamma · d)`, which gives the same kernel
  matrix (`kernel_check` in the JSON: the largest difference from
  `rbf_kernel(X, gamma)` on a sample of rows).
- **Defaults.** `n_components`: ADAPT 20, SKADA `None` (min(n, d) = 20 here),
  ours 10; every method got 10.
- **Outputs.** ADAPT's `fit_transform(Xs, Xt)` returns the embedding of the
  source rows only (its `fit` trains the estimator on it); the target rows
  need `transform(Xt)`, which recomputes their kernel against all training
  rows. SKADA's `fit_transform(X, sample_domain)` returns the training rows
  source first, then target, whatever the input order (section "Row order");
  its `transform` of other rows keeps their order. SKADA keeps `K_` (`n × n`)
  on the fitted adapter.
"""


def run_lines(rows, meta):
    """The run's own facts: load and contention, settings, data, gamma."""
    s = meta["settings"]
    loads = [r["loadavg_at_start"][0] for r in rows if r.get("loadavg_at_start")]
    busy = [
        r["busy_cores_before"] for r in rows if r.get("busy_cores_before") is not None
    ]
    during = [
        r["others_busy_during"] for r in rows if r.get("others_busy_during") is not None
    ]
    lines = [
        f"- contention: at the starts of the runs the 1-minute load was at most "
        f"{max(loads, default=math.nan):.2f} (a run of this benchmark itself adds "
        "up to 2 to the load average at the next start); other processes kept at "
        f"most {max(busy, default=math.nan):.2f} cores busy in the second before a "
        f"run and at most {max(during, default=math.nan):.2f} cores on average "
        "during a run (the machine's busy CPU time minus the benchmark's, over "
        "the run; per run in the table and the JSON)",
        f"- settings: seed {s['seed']}, n_components = {s['n_components']}, mu = "
        f"{s['mu']:g} (papers' parameterisation), RBF gamma by the median "
        "heuristic per size (in the table below), ours n_landmarks = "
        f"{s['n_landmarks']} on the fast path, ours n_jobs = {s['n_jobs']}; "
        f"threads: OMP/OPENBLAS/MKL/TF = {s['blas_threads']} in every worker; "
        f"up to {s['repeats']} timed runs per process while under "
        f"{s['repeat_budget']:g} s in total (minimum reported); timeout "
        f"{s['timeout']:g} s per run",
        "- data: synthetic (no real data set): see "
        "`peer_scripts/_tca_worker.make_problem`; d = 20",
    ]
    contended = [
        r
        for r in rows
        if (r.get("others_busy_during") or 0) > s.get("contended_cores", 0.25)
    ]
    if contended:
        lines.append(
            f"- **contention**: in {len(contended)} of {len(during)} kept runs "
            f"other processes averaged more than {s.get('contended_cores', 0.25)} "
            "cores during the run ("
            + ", ".join(
                f"n_s = {r['n_source']} {r['method']}: {r['others_busy_during']:.2f}"
                for r in contended
            )
            + "): their wall-clock times are inflated (multi-threaded OpenBLAS "
            "slows down badly on shared cores)."
        )
    retried = [r for r in rows if len(r.get("attempts") or []) > 1]
    if retried:
        lines.append(
            "- runs repeated because other processes shared the cores (the least "
            "contended attempt is reported, every attempt in the JSON): "
            + ", ".join(
                f"n_s = {r['n_source']} {r['method']} ("
                + "; ".join(
                    f"{a['seconds']:.3g} s with {a['others_busy_during']:.2f} cores"
                    for a in r["attempts"]
                )
                + ")"
                for r in retried
            )
        )
    gammas = sorted({(r["n_source"], r["gamma"]) for r in rows})
    lines.append(
        "- gamma per size: " + ", ".join(f"n_s = {n}: {g:.5f}" for n, g in gammas)
    )
    return lines


def table(rows, meta):
    s = meta["settings"]
    lines = [
        *run_lines(rows, meta),
        "",
        "Time = fit + transform of every source and target row (minimum over the "
        "runs in the process); the fit + transform column splits it (ours: `fit` "
        "+ `transform(X)`; ADAPT: `fit_transform(Xs, Xt)` + `transform(Xt)`; "
        "SKADA: `fit_transform(X)`). Peak RSS = the worker process's peak "
        "(interpreter, imports — TensorFlow for ADAPT — data included); increment "
        "= peak during the computation minus the RSS before it. Target accuracy = "
        "LogisticRegression on the embedded source rows, scored on the embedded "
        "target rows (scaled: after a StandardScaler fitted on the embedded "
        "source). Largest angle = the largest principal angle between the span of "
        "the method's centred training embedding and ours exact's. Objective = "
        "tr((W'(KLK + mu I)W)^-1 W'KHKW) at mu = 0.1, relative to ours exact "
        "(whose value is the maximum: the sum of the 10 leading generalized "
        "eigenvalues).",
        "",
        "## Methods against each other",
        "",
        main_table(rows),
        "",
        "### Fit + transform time relative to ours",
        "",
        speed_table(rows),
        "",
        "## Goal",
        "",
        *goal_lines(rows),
        "",
        "## Row order of the training embedding",
        "",
        f"Each library fitted on a shuffled stacking of {s['order_rows']} source "
        f"and {s['order_rows']} target rows; its returned embedding compared with "
        "the embedding computed from its fitted coefficients in input order.",
        "",
        *order_lines(meta.get("order_check", {})),
        "",
        *eigensolver_lines(meta.get("eigensolver_check")),
        "## Warnings raised during the timed runs",
        "",
        *warning_lines(rows),
        "",
        PEER_NOTES,
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------ the run ---


def add_arguments(parser):
    parser.add_argument("--sizes", nargs="+", type=int, default=[500, 1000, 2000, 4000])
    add_method_options(
        parser,
        METHODS,
        "largest n_s per method, e.g. adapt_mu_as_is=2000 (none: no limit)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mu", type=float, default=0.1)
    parser.add_argument("--n-components", type=int, default=10)
    parser.add_argument("--n-landmarks", type=int, default=500)
    parser.add_argument("--n-jobs", type=int, default=None)
    add_timing_options(
        parser, blas_threads=2, repeats=3, repeat_budget=60.0, timeout=1800.0
    )
    parser.add_argument("--order-rows", type=int, default=300)
    add_contention_options(parser)


def run(options, context):
    from threadpoolctl import threadpool_limits

    max_n = parse_max_n(options.max_n, METHODS)
    for runner in sorted({METHODS[m][0] for m in options.methods} - {"ours"}):
        context.peer_python(runner)  # build the peers' environments first
    # The evaluation in this process uses the same number of BLAS threads.
    with threadpool_limits(limits=options.blas_threads):
        context.meta["order_check"] = order_checks(options, context)
        context.meta["eigensolver_check"] = eigensolver_check(
            options, context, min(options.sizes)
        )
        context.log.info("eigensolver check: %s", context.meta["eigensolver_check"])
        stopped = {}
        for n in options.sizes:
            yield from run_size(options, context, n, stopped, max_n)
