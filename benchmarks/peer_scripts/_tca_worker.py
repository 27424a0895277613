"""Shared harness of the TCA worker scripts (ours, ADAPT, SKADA), and the data.

Imported by ``ours_tca.py``, ``adapt_tca.py`` and ``skada_tca.py`` from their
own directory (Python puts a script's directory first on ``sys.path``); it uses
only the standard library and NumPy, so it runs in our development environment
and in the peers' virtual environments alike. Memory readings come from
``_proc_memory.py``, the timed runs from ``_kmm_worker.py``, ``quiet_stdout``
from ``_runtime.py``. Run as a script, it writes a problem for the studies
(``python -m benchmarks run tca_vs_peers`` and ``tca_scale``, which get their
data from it in a fresh process)::

    python _tca_worker.py --problem N_SOURCE N_TARGET --seed 0 --out P.npz

(``X_source``, ``y_source``, ``X_target``, ``y_target`` of :func:`make_problem`;
the file is also what the workers read with ``--data``).

Data (:func:`make_problem`), the same for every method: d = 20 Gaussian
features with standard deviations ``2 * 0.9^j`` (j = 0..19: 2.0 down to 0.27,
so that the leading kernel components are well separated). The target is the
source distribution rotated by 30 degrees in the plane of features 0 and 1
(the label-relevant plane) and shifted by two standard deviations along
features 2 and 3 (nuisance features). Labels follow the same nonlinear rule in
both domains, ``y = 1[x_1 - x_0^2 / 4 + 1 > 0]`` (a parabola; covariate
shift), about 53 % positive. Everything is drawn from ``seed`` and the sizes.

A worker loads a problem file (``.npz`` with ``X_source`` and ``X_target``,
written by the benchmark) or generates the problem itself (``--generate``, for
the large runs, so that the process's peak memory includes the data as a
user's would), builds what the library needs outside the timer (e.g. the
stacked matrix), then :func:`measure` runs fit + transform once or more,
timing each run (wall clock and process CPU time, which sums the CPU of all
threads) and recording memory as ``_kmm_worker.measure`` does:

- ``rss_before_mb``: the process's resident set size (``VmRSS``) after
  importing the library and loading the data;
- ``peak_before_mb``: its high-water mark (``VmHWM``) at that point;
- ``compute_peak_mb``: the high-water mark during the computation (reset first
  through ``/proc/self/clear_refs`` where allowed: ``hwm_reset``);
- ``peak_rss_mb``: the process's peak, ``max(peak_before, compute_peak)``;
- ``increment_mb``: ``compute_peak - rss_before``.

The embeddings of the last run (``source``: the source rows, ``target``: the
target rows, each in its input order) and, where the method has coefficients
over the training rows, ``coef_gram = W'W`` (used for the TCA objective) go to
``--out`` (``.npz``); the JSON line printed on stdout is what
``benchmarks.harness.last_json`` reads.

``--order-check`` replaces the timing by a check of the row order of the
training embedding: the worker fits on a shuffled stacking of (at most
``--order-rows`` of) the source and target rows and compares what the library
returns with the embedding computed from the definition (the kernel between
each row and the training rows times the fitted coefficients, in input order);
see :func:`classify_order`.
"""

import argparse
import json
import os
import sys

import numpy as np
from _kmm_worker import add_repeat_arguments, runtime_fields, timed_runs
from _kmm_worker import load_problem as load_npz

N_FEATURES = 20
SCALES = 2.0 * 0.9 ** np.arange(N_FEATURES)
ROTATION_DEGREES = 30.0
SHIFT_SDS = 2.0  # target shift of features 2 and 3, in standard deviations


def labels(X):
    """The nonlinear rule shared by both domains."""
    return (X[:, 1] - 0.25 * X[:, 0] ** 2 + 1 > 0).astype(np.int64)


def _target_transform(X):
    theta = np.deg2rad(ROTATION_DEGREES)
    rotation = np.array(
        [[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]
    )
    X[:, :2] = X[:, :2] @ rotation.T
    X[:, 2:4] += SHIFT_SDS * SCALES[2:4]
    return X


def make_problem(n_source, n_target, seed):
    """Source rows and labels, target rows and (scoring-only) labels."""
    rng = np.random.default_rng([seed, n_source, n_target])
    X_source = rng.standard_normal((n_source, N_FEATURES)) * SCALES
    X_target = _target_transform(rng.standard_normal((n_target, N_FEATURES)) * SCALES)
    return X_source, labels(X_source), X_target, labels(X_target)


def base_parser(description):
    """Arguments every worker takes; a worker adds its library's own."""
    parser = argparse.ArgumentParser(description=description)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help=".npz with X_source, X_target")
    source.add_argument(
        "--generate",
        nargs=2,
        type=int,
        metavar=("N_SOURCE", "N_TARGET"),
        help="draw the problem in this process (make_problem with --seed)",
    )
    parser.add_argument("--out", required=True, help=".npz for the embeddings")
    parser.add_argument("--gamma", type=float, required=True, help="RBF gamma")
    parser.add_argument("--n-components", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    add_repeat_arguments(parser, "the embedding is the last's")
    parser.add_argument(
        "--order-check",
        action="store_true",
        help="check the row order of the training embedding instead of timing",
    )
    parser.add_argument("--order-rows", type=int, default=300)
    return parser


def peer_parser(description, library):
    """:func:`base_parser` with ``--mu-peer``, the ``mu`` a peer library is given."""
    parser = base_parser(description)
    parser.add_argument(
        "--mu-peer",
        type=float,
        required=True,
        help=f"the value passed as {library}'s mu",
    )
    return parser


def library_versions(versions):
    """``versions`` followed by the loaded scikit-learn's and SciPy's versions."""
    return {
        **versions,
        "scikit-learn": sys.modules["sklearn"].__version__,
        "scipy": sys.modules["scipy"].__version__,
    }


def load_problem(args):
    """``X_source, X_target`` from ``--data`` or drawn (``--generate``)."""
    if args.generate:
        X_source, _, X_target, _ = make_problem(*args.generate, args.seed)
        return X_source, X_target
    return load_npz(args.data)


def shuffled_stack(X_source, X_target, n_rows, seed):
    """A shuffled stacking of at most ``n_rows`` rows of each domain.

    Returns ``X, is_source`` (rows in the shuffled order).
    """
    rng = np.random.default_rng([seed, 99])
    Xs = X_source[rng.choice(X_source.shape[0], min(n_rows, X_source.shape[0]), False)]
    Xt = X_target[rng.choice(X_target.shape[0], min(n_rows, X_target.shape[0]), False)]
    X = np.vstack([Xs, Xt])
    is_source = np.r_[np.ones(Xs.shape[0], bool), np.zeros(Xt.shape[0], bool)]
    order = rng.permutation(X.shape[0])
    return X[order], is_source[order]


def classify_order(returned, reference, is_source):
    """How the rows a library returned relate to the rows in input order.

    ``reference`` is the embedding of every row in input order (from the
    definition), ``is_source`` marks the source rows. Returns a dict with
    ``order`` (``"input order"``, ``"source rows first, then target rows"``,
    ``"source rows only, input order"``, or ``"other"``) and the largest
    absolute differences against each candidate, relative to ``max |reference|``.
    """
    returned = np.asarray(returned, dtype=float)
    scale = max(float(np.abs(reference).max()), np.finfo(float).tiny)
    st = np.r_[np.flatnonzero(is_source), np.flatnonzero(~is_source)]
    candidates = {
        "input order": reference,
        "source rows first, then target rows": reference[st],
        "source rows only, input order": reference[is_source],
    }
    diffs = {}
    for name, rows in candidates.items():
        if rows.shape == returned.shape:
            diffs[name] = float(np.abs(rows - returned).max() / scale)
    matches = [name for name, d in diffs.items() if d < 1e-6]
    return {
        "order": matches[0] if matches else "other",
        "returned_rows": int(returned.shape[0]),
        "input_rows": int(reference.shape[0]),
        "already_source_first": bool(np.array_equal(st, np.arange(st.size))),
        "relative_max_diff": diffs,
    }


def measure(compute, *, repeats=1, budget=60.0):
    """Run ``compute()`` up to ``repeats`` times; keep the last result.

    ``compute`` returns ``(source_embedding, target_embedding, state, steps)``
    with ``state`` anything the worker needs afterwards (the fitted model) and
    ``steps`` a dict of named durations (fit, transform) inside the run.
    Returns ``(result, record)``.
    """
    steps_all = []
    result, seconds, cpu_seconds, load1, fields = timed_runs(
        compute,
        repeats=repeats,
        budget=budget,
        each=lambda r: steps_all.append({k: round(v, 4) for k, v in r[3].items()}),
    )
    best = int(np.argmin(seconds))
    record = {
        "seconds": seconds[best],
        "cpu_seconds": cpu_seconds[best],
        "steps": steps_all[best],
        "seconds_all": [round(s, 4) for s in seconds],
        "cpu_seconds_all": [round(s, 4) for s in cpu_seconds],
        "steps_all": steps_all,
        **fields,
        "loadavg_at_start": list(load1),
        "loadavg_at_end": list(os.getloadavg()),
    }
    return result, record


def finish(args, source, target, record, coef_gram=None, **fields):
    """Save the embeddings and print the worker's JSON line."""
    arrays = {
        "source": np.asarray(source, dtype=np.float64),
        "target": np.asarray(target, dtype=np.float64),
    }
    if coef_gram is not None:
        arrays["coef_gram"] = np.asarray(coef_gram, dtype=np.float64)
    np.savez(args.out, **arrays)
    out = {
        **fields,
        **record,
        "n_source": int(arrays["source"].shape[0]),
        "n_target": int(arrays["target"].shape[0]),
        "out_path": str(args.out),
        **runtime_fields(),
    }
    print(json.dumps(out))


def finish_peer(
    args, source, target, record, coefficients, library, versions, **fields
):
    """:func:`finish` for a peer ``library``: ``coef_gram`` from its
    ``coefficients`` over the training rows, and its ``versions`` followed by
    scikit-learn's and SciPy's (:func:`library_versions`)."""
    coefficients = np.asarray(coefficients)
    finish(
        args,
        source,
        target,
        record,
        coef_gram=coefficients.T @ coefficients,
        library=library,
        versions=library_versions(versions),
        **fields,
    )


def order_checks(returned, reference, is_source):
    """:func:`classify_order` of the rows each call returned (``returned``:
    the call's name -> its rows) against the same ``reference``."""
    return {
        call: classify_order(rows, reference, is_source)
        for call, rows in returned.items()
    }


def finish_order_check(checks, **fields):
    """Print the JSON line of an order check (on the real stdout)."""
    print(
        json.dumps({**fields, "order_check": checks}), file=sys.__stdout__, flush=True
    )


def write_problem(argv=None):
    """Write :func:`make_problem`'s arrays to ``--out`` (the studies' data)."""
    parser = argparse.ArgumentParser(description="write a TCA benchmark problem")
    parser.add_argument(
        "--problem",
        nargs=2,
        type=int,
        required=True,
        metavar=("N_SOURCE", "N_TARGET"),
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help=".npz for the arrays")
    args = parser.parse_args(argv)
    X_source, y_source, X_target, y_target = make_problem(*args.problem, args.seed)
    np.savez(
        args.out,
        X_source=X_source,
        y_source=y_source,
        X_target=X_target,
        y_target=y_target,
    )
    print(json.dumps({"out": str(args.out), "n_source": len(X_source)}))


if __name__ == "__main__":
    write_problem()
