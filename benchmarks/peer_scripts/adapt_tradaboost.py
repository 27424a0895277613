"""Fit ADAPT's TrAdaBoost on a saved task and print one JSON line.

Used by the ``tradaboost_vs_adapt`` study (``python -m benchmarks run
tradaboost_vs_adapt``). Runs inside the ADAPT virtual environment
(``benchmarks/harness/peers.py``), so it imports nothing from ``sktransfer`` or
``benchmarks``. The task is a file written by
``benchmarks.harness.peers.save_task``: ``TASK.npz`` with the label
arrays ``y_source``, ``y_target_labeled``, ``y_test`` and, for each of
``X_source``, ``X_target_labeled``, ``X_test``, either a dense array in the
same file or a sparse matrix in ``TASK.<name>.npz`` (``scipy.sparse.save_npz``),
listed in the array ``sparse_keys``.

ADAPT 0.4.5 API used (``adapt.instance_based.TrAdaBoost``)::

    TrAdaBoost(estimator=None, Xt=None, yt=None, n_estimators=10, lr=1.0,
               copy=True, verbose=1, random_state=None, **params)
    .fit(X, y, Xt=None, yt=None, sample_weight_src=None,
         sample_weight_tgt=None, **fit_params)      # X, y: source rows

The labeled target rows go in the constructor (``Xt=..., yt=...``).

Usage::

    python adapt_tradaboost.py --data TASK.npz --estimator DecisionTreeClassifier \
        --estimator-params '{"max_depth": 3}' --n-estimators 20 --seed 0 --repeats 3

Output (stdout, one line): {"library", "versions", "estimator",
"estimator_params", "n_estimators", "accuracy", "fit_seconds" (median over
repeats), "fit_seconds_all", "predict_seconds", "peak_rss_mb" (whole
process, includes the TensorFlow import ADAPT forces), "rss_before_fit_mb",
"n_rows", "n_features", "estimator_errors", "target_weight_share",
"threadpools"}.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from _proc_memory import maxrss_mb, status_mb
from _runtime import package_versions, quiet_stdout, threadpools

ESTIMATORS = {
    "DecisionTreeClassifier": ("sklearn.tree", "DecisionTreeClassifier"),
    "LogisticRegression": ("sklearn.linear_model", "LogisticRegression"),
    "LinearSVC": ("sklearn.svm", "LinearSVC"),
    "SVC": ("sklearn.svm", "SVC"),
    "BernoulliNB": ("sklearn.naive_bayes", "BernoulliNB"),
    "MultinomialNB": ("sklearn.naive_bayes", "MultinomialNB"),
}
X_KEYS = ("X_source", "X_target_labeled", "X_test")
Y_KEYS = ("y_source", "y_target_labeled", "y_test")


def load_task(path):
    path = Path(path)
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    sparse_keys = set(arrays.pop("sparse_keys", np.array([], dtype=str)).tolist())
    stem = path.with_suffix("")
    for key in X_KEYS:
        if key in sparse_keys:
            arrays[key] = sp.load_npz(f"{stem}.{key}.npz").tocsr()
    missing = [k for k in X_KEYS + Y_KEYS if k not in arrays]
    if missing:
        raise ValueError(f"{path}: missing arrays {missing}")
    return arrays


def make_estimator(name, params, seed):
    import importlib

    if name not in ESTIMATORS:
        raise ValueError(f"unknown estimator {name!r}; expected {sorted(ESTIMATORS)}")
    module, cls = ESTIMATORS[name]
    est_cls = getattr(importlib.import_module(module), cls)
    params = dict(params)
    if "random_state" in est_cls().get_params() and "random_state" not in params:
        params["random_state"] = seed
    return est_cls(**params)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--estimator", default="DecisionTreeClassifier")
    parser.add_argument("--estimator-params", default="{}")
    parser.add_argument("--n-estimators", type=int, default=20)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)

    # ADAPT's module imports TensorFlow; keep any chatter off stdout.
    with quiet_stdout():
        from adapt.instance_based import TrAdaBoost

        data = load_task(args.data)
        params = json.loads(args.estimator_params)
        rss_before = status_mb("VmRSS")
        fit_times, model = [], None
        for _ in range(args.repeats):
            base = make_estimator(args.estimator, params, args.seed)
            model = TrAdaBoost(
                estimator=base,
                Xt=data["X_target_labeled"],
                yt=data["y_target_labeled"],
                n_estimators=args.n_estimators,
                lr=args.lr,
                verbose=0,
                random_state=args.seed,
            )
            t0 = time.perf_counter()
            model.fit(data["X_source"], data["y_source"])
            fit_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        y_pred = model.predict(data["X_test"])
        predict_seconds = time.perf_counter() - t0
        accuracy = float(np.mean(y_pred == data["y_test"]))
        pools = threadpools()

    peak = maxrss_mb()
    out = {
        "library": "adapt",
        "versions": package_versions("adapt", "tensorflow", "scikit-learn"),
        "estimator": args.estimator,
        "estimator_params": params,
        "n_estimators": args.n_estimators,
        "seed": args.seed,
        "accuracy": accuracy,
        "fit_seconds": statistics.median(fit_times),
        "fit_seconds_all": fit_times,
        "predict_seconds": predict_seconds,
        "peak_rss_mb": round(peak, 1),
        "rss_before_fit_mb": round(rss_before, 1),
        "n_rows": {
            "source": int(data["X_source"].shape[0]),
            "target_labeled": int(data["X_target_labeled"].shape[0]),
            "test": int(data["X_test"].shape[0]),
        },
        "n_features": int(data["X_source"].shape[1]),
        "estimator_errors": [float(e) for e in model.estimator_errors_],
        # Share of the labeled target rows in the weights of the last round
        # (ADAPT does not update the weights after the last round).
        "target_weight_share": float(
            model.sample_weights_tgt_[-1].sum()
            / (
                model.sample_weights_tgt_[-1].sum()
                + model.sample_weights_src_[-1].sum()
            )
        ),
        "threadpools": pools,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
