"""Shared harness of the alignment worker scripts (ours, ADAPT, SKADA).

Imported by ``ours_alignment.py``, ``adapt_alignment.py`` and
``skada_alignment.py`` from their own directory (Python puts a script's
directory first on ``sys.path``), so it uses only the standard library and
NumPy: it runs in our development environment and in the peers' virtual
environments alike. The timed runs are those of ``_kmm_worker.timed_runs``
(wall clock and process CPU time of each run, warnings recorded).

Input, written by the study ``benchmarks/studies/alignment_vs_peers.py``:

- ``--data``: an ``.npz`` of ``n_tasks`` problems, each ``X_source__K`` and
  ``X_target__K`` (float64, preprocessed by the study: the labels stay with
  the study, which scores the mapped rows itself);
- ``--spec``: a JSON list of the methods to run, each ``{"key": ..., "kind":
  "coral" | "sa" | "tca", "params": {...}}``, ``params`` the keyword
  arguments of the library's constructor exactly as the study chose them
  (the study converts between the libraries' parameterisations; the worker
  passes them on as they are); an optional ``"task_params"``, one dict per
  problem, adds to ``params`` for that problem (a value the study derives
  from each problem's data, e.g. SKADA's CORAL shrinkage).

A library script may pass ``expand(method) -> [method, ...]`` to
:func:`main`, which replaces a method of the spec by the variants it runs
(ours: one TCA row per ``scaling`` when the installed constructor takes that
parameter), called after the library's import.

For every method and problem, in this one process, the library script's
``prepare(kind, params, task, seed)`` returns ``(compute, describe)``:
``compute()`` is the timed call, from the problem's arrays to the mapped
source rows and the mapped target rows (``(Z_source, Z_target)``, each in its
input order); ``describe(result)`` is a dict of what the fitted model holds
(which PCA solver ran, eigenvalues), called after the timing. The inputs a
library needs (a stacked matrix and its ``sample_domain``) are built before
the timer. ``compute`` runs up to ``--repeats`` times while the runs so far
took less than ``--repeat-budget`` seconds; the minimum is the time, every
run is in the JSON. The last run's rows go to ``--out-dir`` as
``Z__KEY__K.npz`` (``source``, ``target``).

The JSON line on stdout: the library, its versions, the thread pools and
``results``: ``{key: [record of problem K, ...]}`` (``params`` as passed,
``seconds``, ``seconds_all``, ``cpu_seconds_all``, ``warnings``, ``fitted``,
the memory of the computation: ``compute_peak_mb``, the process's peak
resident set size during the runs, and ``increment_mb``, that peak minus the
resident set size before them; or ``error`` when the call raised).
"""

import argparse
import json
import traceback
from pathlib import Path

import numpy as np
from _kmm_worker import add_repeat_arguments, runtime_fields, timed_runs
from _runtime import quiet_stdout

SOURCE_DOMAIN, TARGET_DOMAIN = 1, -2  # the sample_domain of the stacked rows


def parse_args(description, argv=None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", required=True, help=".npz of the problems")
    parser.add_argument("--spec", required=True, help="JSON list of the methods")
    parser.add_argument("--out-dir", required=True, help="folder for the rows")
    parser.add_argument("--seed", type=int, default=0)
    add_repeat_arguments(parser, "the rows are the last's")
    return parser.parse_args(argv)


def load_tasks(path):
    """The problems of the file: dicts of float64 C-contiguous arrays."""
    with np.load(path, allow_pickle=False) as f:
        return [
            {
                "X_source": np.ascontiguousarray(f[f"X_source__{k}"], np.float64),
                "X_target": np.ascontiguousarray(f[f"X_target__{k}"], np.float64),
            }
            for k in range(int(f["n_tasks"]))
        ]


def stacked(task):
    """Source rows over target rows and their ``sample_domain`` (source 1,
    target -2), for the libraries that take one matrix."""
    n_source, n_target = task["X_source"].shape[0], task["X_target"].shape[0]
    X = np.vstack([task["X_source"], task["X_target"]])
    sample_domain = np.r_[
        np.full(n_source, SOURCE_DOMAIN, np.int64),
        np.full(n_target, TARGET_DOMAIN, np.int64),
    ]
    return X, sample_domain


def split_rows(Z, n_source):
    """``(Z[:n_source], Z[n_source:])`` as float64 arrays."""
    Z = np.asarray(Z, dtype=np.float64)
    return Z[:n_source], Z[n_source:]


def task_params(method, k):
    """The constructor's keyword arguments for problem ``k``: ``params``, then
    the problem's own ``task_params`` entry."""
    extra = method.get("task_params") or []
    return {**method["params"], **(extra[k] if k < len(extra) else {})}


def run_one(prepare, method, task, k, args):
    """One method on one problem: its record (rows saved to ``--out-dir``)."""
    params = task_params(method, k)
    compute, describe = prepare(method["kind"], params, task, args.seed)
    result, seconds, cpu_seconds, load, fields = timed_runs(
        compute, repeats=args.repeats, budget=args.repeat_budget
    )
    Z_source, Z_target = result
    np.savez(
        Path(args.out_dir) / f"Z__{method['key']}__{k}.npz",
        source=np.asarray(Z_source, dtype=np.float64),
        target=np.asarray(Z_target, dtype=np.float64),
    )
    return {
        "params": params,
        "seconds": min(seconds),
        "seconds_all": [round(s, 5) for s in seconds],
        "cpu_seconds_all": [round(s, 5) for s in cpu_seconds],
        "warnings": fields["warnings"],
        "load1_at_start": load[0],
        "compute_peak_mb": fields["compute_peak_mb"],
        "increment_mb": fields["increment_mb"],
        "fitted": describe(result),
        "output_shape": [int(Z_source.shape[1]), int(Z_target.shape[1])],
    }


def main(description, prepare, library_info, argv=None, expand=None):
    """Parse the arguments, import the library (``library_info()``, which
    returns its name and versions), run every method (``expand``-ed, when
    given) on every problem and print the JSON line."""
    args = parse_args(description, argv)
    spec = json.loads(Path(args.spec).read_text())
    with quiet_stdout():
        info = library_info()
        if expand is not None:
            spec = [variant for method in spec for variant in expand(method)]
        tasks = load_tasks(args.data)
        results = {}
        for method in spec:
            records = results.setdefault(method["key"], [])
            for k, task in enumerate(tasks):
                try:
                    records.append(run_one(prepare, method, task, k, args))
                except Exception as error:  # recorded; the study marks the row
                    last = traceback.format_exception_only(type(error), error)[-1]
                    records.append({"error": last.strip()[:500]})
    print(json.dumps({**info, "results": results, **runtime_fields()}))
