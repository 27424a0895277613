"""Shared harness of the density-ratio worker scripts (ours, ADAPT, SKADA).

Imported by ``ours_reweighting.py``, ``adapt_reweighting.py`` and
``skada_reweighting.py`` from their own directory (Python puts a script's
directory first on ``sys.path``), so it uses only the standard library and
NumPy: it runs in our development environment and in the peers' virtual
environments alike. The timing and memory readings are those of
``_kmm_worker.py`` (:func:`measure`: the minimum over up to ``--repeats``
runs in the process, peak RSS ``VmHWM`` with the mark reset before the
computation, warnings recorded).

The problem file (``--data``, ``.npz``, written by the study
``benchmarks/studies/reweighting_vs_peers.py``) holds ``n_tasks`` problems,
each as ``X_source__K``, ``X_target__K``, ``y_source__K`` (used by ours'
``DiscriminativeReweighting`` only, which fits an estimator after the
weights) and ``gammas__K`` (the RBF coefficients the peers choose from, one
grid per problem). A worker computes the weights of each of ``--methods``
(one, in the studies' timed runs: a fresh process per method; several in a
smoke run, to save the start-up) for every problem in turn, in this one
process, and saves them to ``--out`` (``.npz``, ``w__METHOD__K``). The weight
computation is repeated up to ``--repeats`` times (the studies pass 1 when
there are several problems). With ``--keep-going`` an exception is recorded
in that problem's record instead of stopping the worker.

``--max-memory-gib`` caps the process's address space (``RLIMIT_AS``, set
before the library is imported): an allocation beyond it raises
``MemoryError`` instead of pushing a machine shared with other processes into
swap or the OOM killer. The cap is the same for every library.

A library's script gives :func:`main` its methods: ``{name: prepare}`` with
``prepare(method, task, args)`` returning ``(compute, describe)``: ``compute()`` the
timed weight computation (the source rows' weights), ``describe(weights,
seconds)`` a dict of what the fit chose (kernel width, iterations), called
after the timing.
"""

import argparse
import json
import resource
import traceback

import numpy as np
from _kmm_worker import add_repeat_arguments, measure, runtime_fields
from _runtime import quiet_stdout


def base_parser(description, methods):
    """The arguments every density-ratio worker takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", required=True, help=".npz of the problems")
    parser.add_argument("--out", required=True, help=".npz for the weights")
    parser.add_argument("--methods", required=True, nargs="+", choices=sorted(methods))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="record a problem's exception and go on to the next problem",
    )
    parser.add_argument("--max-memory-gib", type=float, default=None)
    add_repeat_arguments(parser, "the weights are the last's")
    return parser


def cap_memory(gib):
    """Cap the address space at ``gib`` GiB (None: no cap)."""
    if gib:
        limit = int(gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def load_tasks(path):
    """The problems of the file, as dicts of float64 C-contiguous arrays."""
    with np.load(path, allow_pickle=False) as f:
        n_tasks = int(f["n_tasks"])
        return [
            {
                "X_source": np.ascontiguousarray(f[f"X_source__{k}"], np.float64),
                "X_target": np.ascontiguousarray(f[f"X_target__{k}"], np.float64),
                "y_source": np.asarray(f[f"y_source__{k}"]),
                "gammas": [float(g) for g in f[f"gammas__{k}"]],
            }
            for k in range(n_tasks)
        ]


def source_target_stack(task):
    """``X`` (source rows, then target rows) and SKADA's ``sample_domain``
    convention (source 1, target -2), for the libraries that take one matrix."""
    n_source, n_target = task["X_source"].shape[0], task["X_target"].shape[0]
    X = np.vstack([task["X_source"], task["X_target"]])
    sample_domain = np.r_[np.ones(n_source, int), -2 * np.ones(n_target, int)]
    return X, sample_domain


def run_task(prepare, method, task, args):
    """One problem: ``(weights, record)``, the record with the timing fields
    of :func:`measure` and what ``describe`` reports."""
    compute, describe = prepare(method, task, args)
    weights, record = measure(compute, repeats=args.repeats, budget=args.repeat_budget)
    record["chosen"] = describe(weights, record["seconds"])
    record["n_source"] = int(task["X_source"].shape[0])
    record["n_target"] = int(task["X_target"].shape[0])
    return weights, record


def run_tasks(prepare, method, tasks, args):
    """Every problem in turn: the weights by ``w__METHOD__K`` and the records."""
    weights, records = {}, []
    for k, task in enumerate(tasks):
        try:
            w, record = run_task(prepare, method, task, args)
        except Exception as error:  # recorded; the study marks the row failed
            if not args.keep_going:
                raise
            last = traceback.format_exception_only(type(error), error)[-1]
            records.append({"error": last.strip()[:500]})
            continue
        weights[f"w__{method}__{k}"] = w
        records.append(record)
    return weights, records


def main(description, methods, library_info, add_arguments=None, argv=None):
    """Parse the arguments (``add_arguments(parser)``: the script's own),
    cap the memory, import the library (in ``library_info(args)``, called once
    the cap is set; it returns the library's name and versions), run every
    problem and print the JSON line."""
    parser = base_parser(description, methods)
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    cap_memory(args.max_memory_gib)
    with quiet_stdout():
        info = library_info(args)
        tasks = load_tasks(args.data)
        weights, records = {}, {}
        for method in args.methods:
            found, records[method] = run_tasks(methods[method], method, tasks, args)
            weights.update(found)
    np.savez(args.out, **weights)
    print(
        json.dumps(
            {
                **info,
                "seed": args.seed,
                "max_memory_gib": args.max_memory_gib,
                "results": records,
                "weights_path": str(args.out),
                **runtime_fields(),
            }
        )
    )
