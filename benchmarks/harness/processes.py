"""Timed runs, in this process or in fresh ones.

A worker script (``benchmarks/peer_scripts``) runs in a fresh interpreter,
ours or a peer's (:mod:`benchmarks.harness.peers`), reads its problem from
files named on its command line and prints one JSON object as its last line.
:func:`run_json_script` runs it and returns that object; :func:`worker_env`
makes our workers import the run's package snapshot.
"""

import json
import os
import subprocess
import time
import warnings
from collections import Counter

_DROP_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")

# The memory and warning fields of a timed worker's JSON that a study keeps
# (``timed_runs`` of ``peer_scripts/_kmm_worker.py`` describes them).
WORKER_MEMORY_FIELDS = (
    "rss_before_mb",
    "peak_rss_mb",
    "increment_mb",
    "compute_peak_mb",
    "hwm_reset",
    "ru_maxrss_mb",
    "warnings",
)


def thread_env(n):
    """Environment variables that cap BLAS, OpenMP and TensorFlow at ``n`` threads."""
    return {
        "OMP_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "TF_NUM_INTRAOP_THREADS": n,
        "TF_NUM_INTEROP_THREADS": n,
    }


def subprocess_env(extra=None):
    """The environment of a worker: ours minus anything that changes what
    Python imports (``PYTHONPATH``, user site), TensorFlow's start-up chatter
    silenced, hash seed fixed, then ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
    env["PYTHONNOUSERSITE"] = "1"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONHASHSEED", "0")
    if extra:
        env.update({k: str(v) for k, v in extra.items()})
    return env


def worker_env(snapshot, extra=None):
    """``extra`` plus ``PYTHONPATH`` set to the run's package snapshot, so that
    a worker of ours measures the same code as the rest of the run."""
    env = dict(extra or {})
    if snapshot:
        env["PYTHONPATH"] = snapshot
    return env


def run_json_script(python, script_path, args=(), *, timeout=None, env=None):
    """Run ``python script_path *args`` in a fresh process; return its last JSON line.

    ``env`` adds to :func:`subprocess_env`. Raises ``RuntimeError`` (with the
    end of stderr) on a non-zero exit status or when no JSON object is printed;
    ``subprocess.TimeoutExpired`` after ``timeout`` seconds.
    """
    cmd = [str(python), str(script_path), *map(str, args)]
    res = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env=subprocess_env(env),
        timeout=timeout,
        check=False,
    )
    tail = "\n".join(res.stderr.splitlines()[-30:])
    if res.returncode != 0:
        raise RuntimeError(
            f"script {script_path} ({python}) exited with {res.returncode}:\n{tail}"
        )
    result = last_json(res.stdout)
    if result is None:
        raise RuntimeError(
            f"script {script_path} ({python}) printed no JSON object; stdout:\n"
            f"{res.stdout[-2000:]}\nstderr:\n{tail}"
        )
    return result


def last_json(stdout):
    """The last line of ``stdout`` that parses as a JSON object, or None."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return None


def caught_convergence(function, *args, **kwargs):
    """Call; return (result, seconds, ConvergenceWarning messages)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as found:
        warnings.simplefilter("always")
        start = time.perf_counter()
        result = function(*args, **kwargs)
        seconds = time.perf_counter() - start
    messages = [
        str(w.message) for w in found if issubclass(w.category, ConvergenceWarning)
    ]
    return result, seconds, messages


def caught_warnings(function, *args, max_chars=300, **kwargs):
    """Call; return (result, seconds, every warning raised as
    ``{"category", "message", "count"}``, messages cut at ``max_chars``,
    alike ones counted once)."""
    with warnings.catch_warnings(record=True) as found:
        warnings.simplefilter("always")
        start = time.perf_counter()
        result = function(*args, **kwargs)
        seconds = time.perf_counter() - start
    counts = Counter((w.category.__name__, str(w.message)[:max_chars]) for w in found)
    return (
        result,
        seconds,
        [{"category": c, "message": m, "count": n} for (c, m), n in counts.items()],
    )


def parallel_rows(jobs, n_jobs, describe, log, what="tasks"):
    """The rows of ``function(*arguments)`` for each ``(function, arguments)``
    of ``jobs``, run by ``n_jobs`` joblib worker processes, as they finish.

    Each call returns a list of rows; ``describe(rows)`` is the progress line
    logged when it is done. The workers import the study's module (loky passes
    on this process's ``sys.path``, the package snapshot first), so
    ``function`` is a module-level function and can keep a per-process cache.
    """
    from joblib import Parallel, delayed

    log.info("%d %s on %d worker(s)", len(jobs), what, n_jobs)
    results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(function)(*arguments) for function, arguments in jobs
    )
    for done, rows in enumerate(results, 1):
        log.info("[%d/%d] %s", done, len(jobs), describe(rows))
        yield from rows


def seeded_rows(run_split, seeds, log, label, summary=None):
    """The rows of ``run_split(seed)`` for the seeds ``0 .. seeds - 1``.

    Logs ``label``, ``summary(rows)`` (default: the mean accuracy per method,
    :func:`.stats.method_means`) and the seconds they took.
    """
    from .stats import method_means

    start = time.perf_counter()
    rows = []
    for seed in range(seeds):
        rows += run_split(seed)
    log.info(
        "%s: %s (%.0f s)",
        label,
        (summary or method_means)(rows),
        time.perf_counter() - start,
    )
    return rows


def skip_note(method, n, stopped, limit, size="n_s"):
    """Why ``method`` is not run at size ``n``: a smaller size stopped it
    (``stopped[method]``, see :func:`run_or_stop`) or ``n`` is above its
    ``limit`` (None: no limit); None when it runs."""
    if method in stopped:
        return stopped[method]
    if limit is not None and n > limit:
        return f"{size} > {limit}"
    return None


def run_or_stop(call, method, stopped, at, log, timeout_note):
    """``(call(), None)``, or ``(None, failure)`` when ``call`` (a worker run)
    timed out or failed.

    ``failure`` is what the method's row records: ``{"status": "timeout",
    "note": timeout_note}``, or ``{"status": "error", "note": ...}`` with the
    last line of the error (at most 300 characters). The failure is logged and
    ``stopped[method]`` (``"<timeout_note> <at>"`` or ``"failed <at>"``) keeps
    the method from the larger sizes (:func:`skip_note`).
    """
    try:
        return call(), None
    except subprocess.TimeoutExpired:
        log.info("  %s: %s", method, timeout_note)
        stopped[method] = f"{timeout_note} {at}"
        return None, {"status": "timeout", "note": timeout_note}
    except RuntimeError as error:
        log.info("  %s failed: %s", method, error)
        stopped[method] = f"failed {at}"
        note = str(error).strip().splitlines()[-1][:300]
        return None, {"status": "error", "note": note}


def best_time(function, repeats):
    """``(result of the last call, minimum seconds over repeats)``."""
    best = float("inf")
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


# -- contention: how busy the machine is around a timed call -------------------


def _busy_cores(interval=1.0):
    """Cores' worth of CPU time the machine spent over ``interval`` seconds."""

    def read():
        with open("/proc/stat") as f:
            fields = [float(x) for x in f.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields), idle

    total0, idle0 = read()
    time.sleep(interval)
    total1, idle1 = read()
    ticks = os.sysconf("SC_CLK_TCK")
    return ((total1 - total0) - (idle1 - idle0)) / ticks / interval


def machine_busy_seconds():
    """CPU seconds the whole machine has spent busy (``/proc/stat``), all cores."""
    with open("/proc/stat") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    """CPU seconds of this process and its waited-for children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def watched(function):
    """Run ``function()``; also return the cores other processes kept busy.

    Other processes' CPU = the machine's busy CPU time over the call minus this
    process's and its children's, divided by the wall-clock time of the call.
    """
    m0, c0, t0 = machine_busy_seconds(), own_cpu_seconds(), time.perf_counter()
    result = function()
    m1, c1, t1 = machine_busy_seconds(), own_cpu_seconds(), time.perf_counter()
    return result, max(0.0, ((m1 - m0) - (c1 - c0)) / max(t1 - t0, 1e-9))


def wait_for_quiet(max_wait, cores, sample=1.0):
    """Wait up to ``max_wait`` s until less than ``cores`` are busy (sampled
    over ``sample`` seconds); return state."""
    t0 = time.perf_counter()
    busy = _busy_cores(sample)
    while busy >= cores and time.perf_counter() - t0 < max_wait:
        time.sleep(4)
        busy = _busy_cores(sample)
    return {
        "loadavg_at_start": list(os.getloadavg()),
        "busy_cores_before": busy,
        "waited_seconds": round(time.perf_counter() - t0, 1),
    }


def least_contended(
    run,
    *,
    quiet_wait,
    retry_wait,
    quiet_cores,
    contended_cores,
    retries,
    sample=1.0,
    label="run",
):
    """``run()`` after waiting for quiet cores; again if others shared them.

    Before each attempt, :func:`wait_for_quiet` (up to ``quiet_wait`` seconds,
    ``retry_wait`` before a retry) for fewer than ``quiet_cores`` busy cores;
    during it, :func:`watched` measures the cores other processes kept busy
    (``others_busy_during``). An attempt during which they averaged more than
    ``contended_cores`` is repeated, up to ``retries`` times. Returns
    ``(result, state, attempts)``: the least contended attempt's result and
    state (load averages, cores busy before and during, the wait), and the
    ``(result, state)`` of every attempt. Exceptions of ``run`` propagate.
    """
    import logging

    log = logging.getLogger("benchmarks")
    attempts = []
    for attempt in range(retries + 1):
        state = wait_for_quiet(
            quiet_wait if attempt == 0 else retry_wait, quiet_cores, sample
        )
        log.info(
            "  %s (load %.2f, %.2f cores busy before, waited %.0f s) ...",
            label,
            state["loadavg_at_start"][0],
            state["busy_cores_before"],
            state["waited_seconds"],
        )
        result, others = watched(run)
        state["others_busy_during"] = others
        attempts.append((result, state))
        if others <= contended_cores:
            break
        if attempt < retries:
            log.info("  %s: others kept %.2f cores busy; again", label, others)
    result, state = min(attempts, key=lambda a: a[1]["others_busy_during"])
    return result, state, attempts
