"""One configuration of the study ``source_boosting_scale`` in a fresh process.

The study (``benchmarks/studies/source_boosting_scale.py``, ``python -m
benchmarks run source_boosting_scale``) runs it with our interpreter through
``Context.worker`` (``sktransfer`` imported from the run's package copy on
``PYTHONPATH``); it imports sktransfer's public API only and prints one JSON
line on stdout. Two modes:

``--mode setup --n-source N --out MODELS.pkl``
    Draw the N source rows, fit the source models and pickle them:
    ``HistGradientBoostingClassifier(random_state=seed)`` and
    ``LogisticRegression(max_iter=1000)``, each timed. Reports the data and
    fit times, the HGB's iterations, the pickled sizes, the process's peak RSS
    and the source-only accuracy of both models on the target test rows.

``--mode fit --method M --n-source N --n-target n [--models MODELS.pkl]``
    ``M`` is one of

    - ``boost_frozen``: ``SourceBoostingClassifier(FrozenEstimator(hgb))``
      ``.fit(X_target, y_target)`` (sample_domain None: every row a target row);
    - ``rtlr_frozen``: ``RegularTransferLogisticRegression(FrozenEstimator(lr))``
      ``.fit(X_target, y_target)``;
    - ``boost_unfrozen``: ``SourceBoostingClassifier(HistGradientBoosting``
      ``Classifier(random_state=seed))`` fitted on the N source rows and the n
      target rows stacked, with ``sample_domain`` (the source model is fitted
      inside);
    - ``rtlr_unfrozen``: ``RegularTransferLogisticRegression()`` likewise (its
      default source model, ``LogisticRegression(max_iter=1000)``).

    The data (and for the frozen methods the pickled models) are loaded
    first. The first fit then measures memory: the process's high-water mark
    is reset just before it (``/proc/self/clear_refs``), so ``fit_peak_mb``
    (``VmHWM`` after it) is its peak and ``increment_mb`` (``fit_peak_mb -
    rss_before_mb``, the RSS after loading) what it added; ``maxrss_*`` are
    ``getrusage`` readings. Then ``--repeats`` timed fits (``fit_seconds``:
    their median wall-clock time, ``cpu_seconds`` the median of the process's
    CPU time; the first fit's time is ``first_fit_seconds``), then one
    more under ``tracemalloc`` (``traced_peak_mb``: the largest traced
    allocation above the start, NumPy's arrays included, the C++ buffers of
    the tree builders not). Accuracies on the target test rows: the source
    model alone, the fitted model, and (``boost_*``) a
    ``HistGradientBoostingClassifier`` on the labeled target rows alone.

Data: ``sktransfer.datasets.make_domain_shift(shift="concept", n_features=20,
strength=--strength, noise=--noise)``; the source rows from ``random_state =
seed`` (``n_target=1``, dropped), the target rows from ``random_state = seed +
1`` (``n_source=1``, dropped): the first ``--target-pool`` (10 000) rows are
the labeled pool (``n`` of them are used), the next ``--n-test`` the test rows.
So every configuration sees the same target rows whatever ``N``.
"""

import argparse
import gc
import json
import os
import pickle
import statistics
import time
import tracemalloc
import warnings

import numpy as np
from _proc_memory import measured_call, status_mb
from _runtime import package_versions, threadpools

METHODS = ("boost_frozen", "rtlr_frozen", "boost_unfrozen", "rtlr_unfrozen")


def data_args(args):
    return {
        "n_features": 20,
        "shift": "concept",
        "strength": args.strength,
        "noise": args.noise,
    }


def source_rows(args):
    from sktransfer.datasets import make_domain_shift

    X, y, sd = make_domain_shift(
        n_source=args.n_source, n_target=1, random_state=args.seed, **data_args(args)
    )
    return X[sd >= 0], y[sd >= 0]


def target_rows(args):
    from sktransfer.datasets import make_domain_shift

    X, y, sd = make_domain_shift(
        n_source=1,
        n_target=args.target_pool + args.n_test,
        random_state=args.seed + 1,
        **data_args(args),
    )
    X, y = X[sd < 0], y[sd < 0]
    pool = slice(0, args.target_pool)
    test = slice(args.target_pool, args.target_pool + args.n_test)
    return X[pool], y[pool], X[test], y[test]


def versions():
    import sktransfer

    return {
        "sktransfer": sktransfer.__version__,
        "sktransfer_path": os.path.dirname(sktransfer.__file__),
        **package_versions("scikit-learn", "scipy"),
    }


def accuracy(model, X, y):
    return float(np.mean(model.predict(X) == y))


def setup(args):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    t0 = time.perf_counter()
    Xs, ys = source_rows(args)
    _, _, X_test, y_test = target_rows(args)
    data_seconds = time.perf_counter() - t0
    rss_before = status_mb("VmRSS")
    t0 = time.perf_counter()
    hgb = HistGradientBoostingClassifier(random_state=args.seed).fit(Xs, ys)
    hgb_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr = LogisticRegression(max_iter=1000).fit(Xs, ys)
    lr_seconds = time.perf_counter() - t0
    blob = pickle.dumps({"hgb": hgb, "lr": lr}, protocol=pickle.HIGHEST_PROTOCOL)
    with open(args.out, "wb") as f:
        f.write(blob)
    return {
        "mode": "setup",
        "n_source": args.n_source,
        "data_seconds": data_seconds,
        "hgb_fit_seconds": hgb_seconds,
        "hgb_n_iter": int(hgb.n_iter_),
        "hgb_early_stopping": bool(hgb.do_early_stopping_),
        "lr_fit_seconds": lr_seconds,
        "lr_n_iter": int(np.max(lr.n_iter_)),
        "hgb_pickle_mb": len(pickle.dumps(hgb)) / 2**20,
        "lr_pickle_mb": len(pickle.dumps(lr)) / 2**20,
        "rss_before_fit_mb": rss_before,
        "peak_rss_mb": status_mb("VmHWM"),
        "hgb_source_train_accuracy": accuracy(hgb, Xs[:100_000], ys[:100_000]),
        "hgb_target_accuracy": accuracy(hgb, X_test, y_test),
        "lr_target_accuracy": accuracy(lr, X_test, y_test),
    }


def make_fit(args, X_pool, y_pool, models):
    """The data of the configuration and a function that fits its model."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.frozen import FrozenEstimator

    from sktransfer.parameter import (
        RegularTransferLogisticRegression,
        SourceBoostingClassifier,
    )

    Xt, yt = X_pool[: args.n_target], y_pool[: args.n_target]
    boost = {
        "n_estimators": args.n_estimators,
        "learning_rate": args.learning_rate,
        "max_depth": args.max_depth,
        "random_state": args.seed,
    }
    if args.method == "boost_frozen":
        source = FrozenEstimator(models["hgb"])
        return lambda: SourceBoostingClassifier(source, **boost).fit(Xt, yt)
    if args.method == "rtlr_frozen":
        source = FrozenEstimator(models["lr"])
        return lambda: RegularTransferLogisticRegression(source).fit(Xt, yt)
    Xs, ys = source_rows(args)
    X = np.vstack([Xs, Xt])
    y = np.concatenate([ys, yt])
    sd = np.r_[np.zeros(ys.shape[0], int), np.full(yt.shape[0], -2)]
    del Xs, ys
    if args.method == "boost_unfrozen":
        source = HistGradientBoostingClassifier(random_state=args.seed)
        return lambda: SourceBoostingClassifier(source, **boost).fit(
            X, y, sample_domain=sd
        )
    return lambda: RegularTransferLogisticRegression(random_state=args.seed).fit(
        X, y, sample_domain=sd
    )


def fit_mode(args):
    t0 = time.perf_counter()
    X_pool, y_pool, X_test, y_test = target_rows(args)
    models, pickle_mb = None, None
    if args.method.endswith("_frozen"):
        with open(args.models, "rb") as f:
            blob = f.read()
        models = pickle.loads(blob)
        pickle_mb = len(blob) / 2**20
        del blob
    fit = make_fit(args, X_pool, y_pool, models)
    load_seconds = time.perf_counter() - t0

    # The first fit, in the fresh process after loading: its memory. The
    # high-water mark is reset just before it, so VmHWM after it is its peak.
    model, first = measured_call(fit)
    del model
    gc.collect()

    times, cpu = [], []
    for i in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        model = fit()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if i < args.repeats - 1:
            del model
            gc.collect()
    kept = model
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    t0 = time.perf_counter()
    traced_model = fit()
    traced_seconds = time.perf_counter() - t0
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del traced_model

    source = kept.source_estimator_
    out = {
        "mode": "fit",
        "method": args.method,
        "n_source": args.n_source,
        "n_target": args.n_target,
        "n_test": int(X_test.shape[0]),
        "load_seconds": load_seconds,
        "first_fit_seconds": first["seconds"],
        "fit_seconds": statistics.median(times),
        "fit_seconds_all": times,
        "cpu_seconds": statistics.median(cpu),
        "cpu_seconds_all": cpu,
        "traced_fit_seconds": traced_seconds,
        "rss_before_mb": first["rss_before"],
        "peak_before_mb": first["peak_before"],
        "fit_peak_mb": first["peak"],
        "increment_mb": first["peak"] - first["rss_before"],
        "hwm_reset": first["hwm_reset"],
        "maxrss_before_mb": first["maxrss_before"],
        "maxrss_after_mb": first["maxrss_after"],
        "traced_peak_mb": (traced_peak - base) / 2**20,
        "models_pickle_mb": pickle_mb,
        "source_accuracy": accuracy(source, X_test, y_test),
        "accuracy": accuracy(kept, X_test, y_test),
        "source_n_iter": int(np.max(getattr(source, "n_iter_", 0))),
        "n_estimators_": getattr(kept, "n_estimators_", None),
        "n_iter_": int(np.max(getattr(kept, "n_iter_", 0))),
    }
    if args.method.startswith("boost"):
        from sklearn.ensemble import HistGradientBoostingClassifier

        Xt, yt = X_pool[: args.n_target], y_pool[: args.n_target]
        target_only = HistGradientBoostingClassifier(random_state=args.seed)
        out["target_only_accuracy"] = accuracy(target_only.fit(Xt, yt), X_test, y_test)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("setup", "fit"), required=True)
    parser.add_argument("--method", choices=METHODS)
    parser.add_argument("--n-source", type=int, required=True)
    parser.add_argument("--n-target", type=int, default=200)
    parser.add_argument("--models", help="pickled source models (setup's --out)")
    parser.add_argument("--out", help="setup: where to pickle the models")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strength", type=float, default=1.0)
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--target-pool", type=int, default=10_000)
    parser.add_argument("--n-test", type=int, default=10_000)
    parser.add_argument("--n-estimators", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--max-depth", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    load = list(os.getloadavg())
    out = setup(args) if args.mode == "setup" else fit_mode(args)
    out.update(
        {
            "loadavg_at_start": load,
            "loadavg_at_end": list(os.getloadavg()),
            "versions": versions(),
            "threadpools": threadpools(),
        }
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
