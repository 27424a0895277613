"""JDA with ``sktransfer.feature.JointDistributionAdaptation``; prints one JSON line.

Runs in our development environment (``sktransfer`` importable), in a fresh
process per fit so that its peak memory is its own (``python -m benchmarks run
jda_scale`` starts it). The worker draws its problem itself (:func:`make_problem`),
so the process's peak resident set size includes the data as a user's would,
then times one fit (the public API, nothing else inside the timer; ``X``, ``y``
and ``sample_domain`` are built before it)::

    model = JointDistributionAdaptation(N_COMPONENTS, kernel="rbf",
                                        solver="fast", n_landmarks=N_LANDMARKS,
                                        n_iter=N_ITER, estimator=LABELER,
                                        n_jobs=N_JOBS, random_state=SEED)
    model.fit(X, y, sample_domain=sample_domain)  # y = -1 on the target rows

``gamma`` is left to the estimator (None: the median heuristic on a sample of
the rows, inside the timed fit). ``--labeler knn1`` gives ``estimator=None``
(the default 1-nearest-neighbour), ``logreg`` ``LogisticRegression()`` with
its defaults; ``--n-iter 0`` is TCA followed by one pseudo-labeling.

Data (:func:`make_problem`): d = 20 features, 5 equally likely classes. A
source row of class c is ``N(m_c, I)`` with ``m_c = 3 (cos a_c, sin a_c)`` in
features 0 and 1 (``a_c = 2 pi c / 5``: the centres on a circle of radius 3,
neighbours 3.5 apart) and 0 elsewhere. A target row of class c is drawn the
same way and then moved, differently per class: by ``0.5 (c - 2)`` (-1 to +1)
along the circle's tangent at ``m_c`` (towards a neighbouring class), by 2
along feature ``2 + c`` (each class along its own nuisance feature), and, every
class alike, by 1.5 along features 7 and 8 (a marginal shift). Everything is
drawn from ``--seed`` and the sizes; the target labels are used only to score.

Measured (``_kmm_worker.timed_runs``): wall-clock and CPU seconds of the fit,
the RSS before it (interpreter and data), the high-water mark during it
(``VmHWM``, reset first through ``/proc/self/clear_refs`` where allowed) and
the process's peak. With ``--profile-steps`` the fit runs under ``cProfile``
and ``steps`` holds, for a few functions of the library (named as the profiler
reports them; nothing of the library is imported or replaced), the cumulative
seconds and the number of the calls made to them from the library: the kernel
statistics computed once (``_fast_kernel``: landmarks, Nystroem features, their
basis), each eigen-solve (``_solve_fast``), each pseudo-labeling
(``_pseudo_labels``: the labeler's fit and predict), the class contrasts, the
median heuristic, input validation and the final scaling. The profiler adds a
little time per Python call; the profiled fit's time includes it.

After the timer: ``n_iter_``, ``label_changes_``, the accuracy of
``pseudo_labels_`` against the true target labels and, with
``--raw-baseline``, that of the same labeler fitted on the raw source rows and
scored on the raw target rows (no adaptation; views of ``X``, so that the
process holds the same arrays during the fit with or without it).

Usage::

    python ours_jda.py --generate 5000 5000 --labeler logreg --n-iter 10 \
        --profile-steps [--raw-baseline]
"""

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
from _kmm_worker import runtime_fields, timed_runs
from _runtime import quiet_stdout
from _tca_worker import library_versions

N_FEATURES = 20
N_CLASSES = 5
RADIUS = 3.0  # class centres on a circle in features 0 and 1
TANGENTIAL = 0.5  # target: class c moves TANGENTIAL * (c - 2) along the tangent
OWN_SHIFT = 2.0  # target: class c moves by this along feature 2 + c
COMMON_SHIFT = 1.5  # target: every class moves by this along features 7 and 8
COMMON_FEATURES = [7, 8]

LIBRARY_DIR = os.path.join("sktransfer", "")
PROFILED = (  # in the order of a fit
    "validate_data",
    "resolve_gamma",
    "_fast_kernel",
    "_solve_fast",
    "_class_contrasts",
    "_pseudo_labels",
    "_embed",
)


def make_problem(n_source, n_target, seed):
    """Source rows and labels, target rows and (scoring-only) labels."""
    rng = np.random.default_rng([seed, n_source, n_target, 77])
    angles = 2 * np.pi * np.arange(N_CLASSES) / N_CLASSES
    centres = RADIUS * np.c_[np.cos(angles), np.sin(angles)]
    tangents = np.c_[-np.sin(angles), np.cos(angles)]

    def draw(n):
        y = rng.integers(N_CLASSES, size=n)
        X = rng.standard_normal((n, N_FEATURES))
        X[:, :2] += centres[y]
        return X, y

    X_source, y_source = draw(n_source)
    X_target, y_target = draw(n_target)
    X_target[:, :2] += TANGENTIAL * (y_target - 2)[:, None] * tangents[y_target]
    X_target[np.arange(n_target), 2 + y_target] += OWN_SHIFT
    X_target[:, COMMON_FEATURES] += COMMON_SHIFT
    return X_source, y_source, X_target, y_target


def make_labeler(name):
    if name == "knn1":
        return None  # the estimator's default, KNeighborsClassifier(n_neighbors=1)
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression()


def profiled(function, durations, calls):
    """Run ``function()`` under cProfile; add to ``durations[name]`` (and
    ``calls[name]``) the cumulative seconds (and number) of the calls to each
    function of ``PROFILED`` made from the library."""
    profiler = cProfile.Profile()
    result = profiler.runcall(function)
    for (_, _, name), entry in pstats.Stats(profiler).stats.items():
        if name not in PROFILED:
            continue
        for (caller_file, _, _), caller_entry in entry[4].items():
            if LIBRARY_DIR in caller_file:
                calls[name] += caller_entry[1]
                durations[name] += caller_entry[3]
    return result


def raw_accuracy(labeler, X_source, y_source, X_target, y_target):
    """The labeler fitted on the raw source rows, scored on the raw target rows."""
    from sklearn.base import clone
    from sklearn.neighbors import KNeighborsClassifier

    model = clone(KNeighborsClassifier(n_neighbors=1) if labeler is None else labeler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_source, y_source)
    return float(model.score(X_target, y_target))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--generate", nargs=2, type=int, required=True, metavar=("N_S", "N_T")
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--labeler", choices=["knn1", "logreg"], required=True)
    parser.add_argument("--n-iter", type=int, default=10)
    parser.add_argument("--n-components", type=int, default=10)
    parser.add_argument("--n-landmarks", type=int, default=500)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--profile-steps", action="store_true")
    parser.add_argument("--raw-baseline", action="store_true")
    args = parser.parse_args(argv)

    with quiet_stdout():
        import sktransfer
        from sktransfer.feature import JointDistributionAdaptation

        X_source, y_source, X_target, y_target = make_problem(*args.generate, args.seed)
        n_source, n_target = X_source.shape[0], X_target.shape[0]
        X = np.vstack([X_source, X_target])
        y = np.r_[y_source, np.full(n_target, -1, dtype=np.int64)]
        sample_domain = np.r_[np.ones(n_source, np.int64), -np.ones(n_target, np.int64)]
        del X_source, X_target  # the baseline reads views of X: same memory
        params = {
            "n_components": args.n_components,
            "kernel": "rbf",
            "solver": "fast",
            "n_landmarks": args.n_landmarks,
            "n_iter": args.n_iter,
            "n_jobs": args.n_jobs,
            "random_state": args.random_state,
        }
        durations, calls = defaultdict(float), defaultdict(int)

        def compute():
            durations.clear()
            calls.clear()
            model = JointDistributionAdaptation(
                estimator=make_labeler(args.labeler), **params
            )
            fit = lambda: model.fit(X, y, sample_domain=sample_domain)  # noqa: E731
            if args.profile_steps:
                return profiled(fit, durations, calls)
            return fit()

        model, seconds, cpu_seconds, load, fields = timed_runs(compute, repeats=1)
        loadavg_at_end = list(os.getloadavg())
        accuracy = float(np.mean(model.pseudo_labels_ == y_target))
        raw = None
        if args.raw_baseline:
            t0 = time.perf_counter()
            raw = raw_accuracy(
                make_labeler(args.labeler),
                X[:n_source],
                y_source,
                X[n_source:],
                y_target,
            )
            raw_seconds = time.perf_counter() - t0

    source = Path(sktransfer.__file__).parent / "feature" / "_jda.py"
    out = {
        "library": "sktransfer",
        "labeler": args.labeler,
        "params": dict(params, estimator=repr(make_labeler(args.labeler))),
        "n_source": n_source,
        "n_target": n_target,
        "seconds": seconds[0],
        "cpu_seconds": cpu_seconds[0],
        **fields,
        "steps": {k: round(v, 4) for k, v in durations.items()},
        "step_calls": dict(calls),
        "accuracy": accuracy,
        "raw_accuracy": raw,
        "raw_seconds": raw_seconds if args.raw_baseline else None,
        "fitted": {
            "n_iter_": int(model.n_iter_),
            "label_changes_": [float(v) for v in model.label_changes_],
            "gamma_": float(model.gamma_),
            "solver_": model.solver_,
            "n_landmarks_": int(model.n_landmarks_),
            "rank_": int(model.rank_),
            "eigenvalues_": [float(v) for v in model.eigenvalues_],
            "pseudo_label_counts": np.bincount(
                model.pseudo_labels_, minlength=N_CLASSES
            ).tolist(),
        },
        "loadavg_at_start": list(load),
        "loadavg_at_end": loadavg_at_end,
        "versions": library_versions(
            {
                "sktransfer": sktransfer.__version__,
                "_jda.py sha1": hashlib.sha1(source.read_bytes()).hexdigest(),
                "sktransfer_path": str(Path(sktransfer.__file__).parent),
            }
        ),
        **runtime_fields(),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
