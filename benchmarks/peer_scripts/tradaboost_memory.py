"""Peak memory of one TrAdaBoost fit, sktransfer or ADAPT; prints one JSON line.

Used by the memory part of the ``tradaboost_vs_adapt`` study (``python -m
benchmarks run tradaboost_vs_adapt``). Runs in a fresh interpreter: ours with
our interpreter and the run's copy of ``sktransfer`` (``Context.worker``),
ADAPT's inside its virtual environment (``benchmarks/harness/peers.py``), so it
imports nothing from ``benchmarks``. The data file is an ``.npz`` with the
dense arrays ``X_source``, ``y_source``, ``X_target_labeled``,
``y_target_labeled``, ``X_test`` and ``y_test``.

The child imports the library, loads the data, builds what the library's ``fit``
takes (ours: one stacked matrix and ``sample_domain``; ADAPT: source arrays in
``fit``, target arrays in the constructor), fits once on the first 500 source
rows and the target rows (warm-up: lazy imports and first-call allocations are
not the fit's), records its resident set size (``VmRSS``), then resets the
kernel's high-water mark (writing ``5`` to ``/proc/self/clear_refs``, Linux >=
4.0) and fits one model. The high-water mark ``VmHWM`` after the fit is then
the peak *during* the fit, and ``fit_peak_mb - rss_before_fit_mb`` is the fit's
own increment. Without the reset (not writable) the peak is the whole
process's and the increment an upper bound (``hwm_reset`` false).

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is reported too (``ru_maxrss_*``)
but is not used for the increment: on Linux it is the larger of the process's
own peak and the peak the parent had when it spawned the child (``exec`` keeps
the old address space's high-water mark in the signal struct), so a child of a
large benchmark process inherits the parent's size; ``clear_refs`` does not
reset that part.

Usage::

    python tradaboost_memory.py --library sktransfer --data TASK.npz \
        --n-estimators 10 --max-depth 3 --seed 0

Output (stdout, one line): {"library", "versions", "n_source",
"n_target_labeled", "n_features", "n_estimators", "rss_before_fit_mb",
"peak_before_fit_mb", "fit_peak_mb", "fit_increment_mb", "peak_total_mb",
"hwm_reset", "ru_maxrss_before_fit_mb", "ru_maxrss_after_fit_mb", "fit_seconds",
"accuracy"} (sizes in MiB).
"""

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
from _proc_memory import measured_call
from _runtime import installed_version, package_versions, quiet_stdout

WARMUP_ROWS = 500


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", choices=["sktransfer", "adapt"], required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--n-estimators", type=int, default=10)
    parser.add_argument("--max-depth", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    # ADAPT's module imports TensorFlow; keep any chatter off stdout.
    with quiet_stdout():
        from sklearn.tree import DecisionTreeClassifier

        if args.library == "adapt":
            from adapt.instance_based import TrAdaBoost
        else:
            import sktransfer
            from sktransfer import TrAdaBoostClassifier

        with np.load(args.data, allow_pickle=False) as f:
            d = {k: f[k] for k in f.files}
        n_s, n_t = d["y_source"].shape[0], d["y_target_labeled"].shape[0]
        n_features = d["X_source"].shape[1]
        base = DecisionTreeClassifier(max_depth=args.max_depth, random_state=args.seed)
        if args.library == "adapt":

            def make_model(Xt, yt):
                return TrAdaBoost(
                    estimator=base,
                    Xt=Xt,
                    yt=yt,
                    n_estimators=args.n_estimators,
                    verbose=0,
                    random_state=args.seed,
                )

            Xt, yt = d.pop("X_target_labeled"), d.pop("y_target_labeled")
            Xs, ys = d.pop("X_source"), d.pop("y_source")
            # Warm-up on a few rows: lazy imports and first-call allocations
            # stay out of the measured increment.
            make_model(Xt, yt).fit(Xs[:WARMUP_ROWS], ys[:WARMUP_ROWS])
            model = make_model(Xt, yt)
            fit_args, fit_kwargs = (Xs, ys), {}
        else:
            X = np.vstack([d.pop("X_source"), d.pop("X_target_labeled")])
            y = np.concatenate([d.pop("y_source"), d.pop("y_target_labeled")])
            domain = np.r_[np.ones(n_s, int), -2 * np.ones(n_t, int)]

            def make_model():
                return TrAdaBoostClassifier(
                    base, n_estimators=args.n_estimators, random_state=args.seed
                )

            warm = np.r_[np.arange(min(WARMUP_ROWS, n_s)), np.arange(n_s, n_s + n_t)]
            make_model().fit(X[warm], y[warm], sample_domain=domain[warm])
            model = make_model()
            fit_args, fit_kwargs = (X, y), {"sample_domain": domain}
        _, fit = measured_call(lambda: model.fit(*fit_args, **fit_kwargs))
        accuracy = float(np.mean(model.predict(d["X_test"]) == d["y_test"]))

    versions = package_versions("scikit-learn")
    if args.library == "adapt":
        versions["adapt"] = installed_version("adapt")
        versions["tensorflow"] = installed_version("tensorflow")
    else:
        versions["sktransfer"] = sktransfer.__version__
        # The working tree may change between runs: name the code that ran.
        source = Path(sktransfer.__file__).parent / "instance" / "_tradaboost.py"
        if source.is_file():
            versions["_tradaboost.py sha1"] = hashlib.sha1(
                source.read_bytes()
            ).hexdigest()
    out = {
        "library": args.library,
        "versions": versions,
        "n_source": int(n_s),
        "n_target_labeled": int(n_t),
        "n_features": int(n_features),
        "n_estimators": args.n_estimators,
        "rss_before_fit_mb": round(fit["rss_before"], 2),
        "peak_before_fit_mb": round(fit["peak_before"], 2),
        "fit_peak_mb": round(fit["peak"], 2),
        "fit_increment_mb": round(fit["peak"] - fit["rss_before"], 2),
        "peak_total_mb": round(max(fit["peak_before"], fit["peak"]), 2),
        "hwm_reset": fit["hwm_reset"],
        "ru_maxrss_before_fit_mb": round(fit["maxrss_before"], 2),
        "ru_maxrss_after_fit_mb": round(fit["maxrss_after"], 2),
        "fit_seconds": fit["seconds"],
        "accuracy": accuracy,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
