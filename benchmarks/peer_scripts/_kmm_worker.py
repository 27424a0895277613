"""Shared harness of the KMM worker scripts (ours, ADAPT, SKADA).

Imported by ``ours_kmm.py``, ``adapt_kmm.py`` and ``skada_kmm.py`` from their
own directory (Python puts a script's directory first on ``sys.path``), so it
uses only the standard library and NumPy: it runs in our development
environment and in the peers' virtual environments alike. ``_tca_worker.py``
builds on it (:func:`timed_runs`, :func:`runtime_fields` and the arguments).

A worker loads a problem file (``.npz`` with ``X_source`` and ``X_target``,
written by the study ``benchmarks/studies/kmm_vs_peers.py``), builds whatever
the library needs before the weight computation (untimed: e.g. SKADA's
stacked matrix), then
:func:`measure` runs the weight computation once or more, timing each run
(wall clock and process CPU time, which sums the CPU of all threads) and
recording memory:

- ``rss_before_mb``: the process's resident set size (``VmRSS``) after
  importing the library and loading the data;
- ``peak_before_mb``: its high-water mark (``VmHWM``) at that point;
- ``compute_peak_mb``: the high-water mark during the computation. The mark is
  reset first by writing ``5`` to ``/proc/self/clear_refs`` (Linux >= 4.0);
  when that is not allowed (``hwm_reset`` false) it is the whole process's;
- ``peak_rss_mb``: the process's peak, ``max(peak_before, compute_peak)``;
- ``ru_maxrss_mb``: ``getrusage(RUSAGE_SELF).ru_maxrss``, for reference only:
  on Linux a child's ``ru_maxrss`` starts at the size of the parent that
  spawned it, so it can overstate a small child's peak.

Warnings raised during the computation are recorded (category, message,
count). The weights of the last run go to ``--out`` (``.npy``); the JSON line
printed on stdout is what ``benchmarks.harness.processes.last_json`` reads.
"""

import argparse
import gc
import json
import os
import sys
import time
import warnings
from collections import Counter

import numpy as np
from _proc_memory import maxrss_mb, reset_high_water_mark, status_mb
from _runtime import threadpools


def base_parser(description):
    """Arguments every worker takes; a worker adds its library's own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", required=True, help=".npz with X_source, X_target")
    parser.add_argument("--out", required=True, help=".npy for the weights")
    parser.add_argument("--gamma", type=float, required=True)
    parser.add_argument("--B", type=float, default=1000.0)
    parser.add_argument("--eps", type=float, required=True)
    parser.add_argument("--seed", type=int, default=0)
    add_repeat_arguments(parser, "the weights are the last's")
    return parser


def add_repeat_arguments(parser, kept):
    """``--repeats`` and ``--repeat-budget`` (``kept``: which run's output is kept)."""
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help=f"timed runs at most (all in this process; {kept})",
    )
    parser.add_argument(
        "--repeat-budget",
        type=float,
        default=60.0,
        help="no further run once the runs so far took this many seconds",
    )


def kmm_params(args, **params):
    """The ``params`` a worker reports: the RBF kernel, ``gamma``, ``B`` and
    ``eps`` it was given, then its library's own ``params``."""
    return {
        "kernel": "rbf",
        "gamma": args.gamma,
        "B": args.B,
        "eps": args.eps,
        **params,
    }


def load_problem(path):
    """``X_source, X_target`` (float64, C-contiguous) from an ``.npz``."""
    with np.load(path, allow_pickle=False) as f:
        return (
            np.ascontiguousarray(f["X_source"], dtype=np.float64),
            np.ascontiguousarray(f["X_target"], dtype=np.float64),
        )


def timed_runs(compute, *, repeats=1, budget=60.0, each=None, last=None):
    """Run ``compute()`` up to ``repeats`` times (while the runs so far took
    less than ``budget`` seconds), timing each run and recording memory.

    ``each(result)`` is called after every run; ``last(result)`` converts the
    last run's result once the computation's peak memory has been read.
    Returns ``(result, seconds, cpu_seconds, loadavg_at_start, fields)`` with
    ``fields`` the memory and warning fields of the module docstring.
    """
    gc.collect()
    load = os.getloadavg()
    rss_before = status_mb("VmRSS")
    peak_before = status_mb("VmHWM")
    hwm_reset = reset_high_water_mark()
    seconds, cpu_seconds, caught_all, result = [], [], Counter(), None
    for _ in range(max(repeats, 1)):
        result = None  # free the previous run's output before the next
        gc.collect()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            c0, t0 = time.process_time(), time.perf_counter()
            result = compute()
            seconds.append(time.perf_counter() - t0)
            cpu_seconds.append(time.process_time() - c0)
        if each is not None:
            each(result)
        for w in caught:
            caught_all[(w.category.__name__, str(w.message)[:400])] += 1
        if sum(seconds) >= budget:
            break
    compute_peak = status_mb("VmHWM")
    if last is not None:
        result = last(result)
    fields = {
        "rss_before_mb": round(rss_before, 1),
        "peak_before_mb": round(peak_before, 1),
        "compute_peak_mb": round(compute_peak, 1),
        "peak_rss_mb": round(max(peak_before, compute_peak), 1),
        "increment_mb": round(compute_peak - rss_before, 1),
        "hwm_reset": hwm_reset,
        "ru_maxrss_mb": round(maxrss_mb(), 1),
        "warnings": [
            {"category": c, "message": m, "count": n}
            for (c, m), n in caught_all.items()
        ],
    }
    return result, seconds, cpu_seconds, load, fields


def measure(compute, *, repeats=1, budget=60.0):
    """Run ``compute()`` (returns the weights) up to ``repeats`` times.

    Returns ``(weights, record)`` with the last run's weights and the timing,
    memory and warning fields described in the module docstring.
    """
    weights, seconds, cpu_seconds, load, fields = timed_runs(
        compute,
        repeats=repeats,
        budget=budget,
        last=lambda w: np.asarray(w, dtype=np.float64).ravel(),
    )
    record = {
        "seconds": min(seconds),
        "seconds_all": [round(s, 4) for s in seconds],
        "cpu_seconds_all": [round(s, 4) for s in cpu_seconds],
        **fields,
        "load1_at_start": load[0],
        "load1_at_end": os.getloadavg()[0],
    }
    return weights, record


def runtime_fields():
    """Python and NumPy versions and the thread pools of the worker."""
    return {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "threadpools": threadpools(),
    }


def finish(args, weights, record, **fields):
    """Save the weights and print the worker's JSON line."""
    np.save(args.out, weights)
    out = {
        **fields,
        **record,
        "n_source": int(weights.shape[0]),
        "weights_path": str(args.out),
        **runtime_fields(),
    }
    print(json.dumps(out))
