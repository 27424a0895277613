"""Fit ADAPT's parameter-transfer and feature-augmentation models; print JSON.

Runs inside the ADAPT virtual environment (``benchmarks/harness/peers.py``),
so it imports nothing from ``sktransfer`` or ``benchmarks``. Written for the
study ``benchmarks/studies/parameter_vs_adapt.py`` (``python -m benchmarks run
parameter_vs_adapt``), which fits the same cells with ours.

Input
-----
``--data BUNDLE.npz``: the arrays of every cell, named ``<cell>__<array>``:
``X_target_labeled``, ``y_target_labeled``, ``X_test``, ``y_test``, the source
model's ``source_coef``, ``source_intercept`` (and ``source_classes`` for a
classifier), and, for the cells with a feature-augmentation method,
``X_source`` and ``y_source``.

``--plan PLAN.json``: ``{"cells": [{"id", "task": "classification" |
"regression", "source": {"class", "params"}, "methods": [...]}]}`` where a
method is ``{"name", "kind", ...}``:

- ``kind="regular_lc"``: ``adapt.parameter_based.RegularTransferLC(source,
  lambda_=..., verbose=0)``, ``fit(X_target_labeled, y_target_labeled)``;
- ``kind="regular_lr"``: ``adapt.parameter_based.RegularTransferLR(source,
  lambda_=..., verbose=0)``, the same fit;
- ``kind="fa"``: ``adapt.feature_based.FA(estimator, Xt=X_target_labeled,
  yt=y_target_labeled, verbose=0)``, ``fit(X_source, y_source)``, with
  ``estimator = {"class", "params"}`` (an unfitted scikit-learn model).

The source model is rebuilt from its saved parameters (``coef_``,
``intercept_``, ``classes_``, ``n_features_in_`` set on an instance of the
given class), so ADAPT starts from exactly the source model ours starts from.

Timing: the timed span is the model's construction and ``fit`` (ADAPT takes
the source model in the constructor and copies it there and in ``fit``). The
first time a method name is met in this process it is fitted once untimed
(warm-up), then ``--repeats`` timed fits; ``fit_seconds`` is their median
wall-clock time, ``cpu_seconds`` the median of this process's CPU time.
The import of ADAPT's modules (which import TensorFlow) is timed apart,
``import_seconds``, and is in no fit time.

Output
------
``--out COEF.npz``: ``<cell>__<method>__coef`` and ``__intercept`` of the last
fit (for ``fa``, those of the fitted estimator on the augmented features,
ADAPT's column order: source block, target block, shared block). Stdout, one
JSON line: ``{"library", "versions", "import_seconds", "results": [{"cell",
"method", "metric", "fit_seconds", "fit_seconds_all", "cpu_seconds",
"predict_seconds"}],
"peak_rss_mb", "threadpools"}``; ``metric`` is the accuracy for
classification, the RMSE for regression, on ``X_test``.

Usage::

    python adapt_parameter.py --data bundle.npz --plan plan.json \
        --out coef.npz --repeats 3
"""

import argparse
import importlib
import json
import statistics
import time

import numpy as np
from _proc_memory import maxrss_mb
from _runtime import package_versions, quiet_stdout, threadpools

ESTIMATORS = {
    "LogisticRegression": "sklearn.linear_model",
    "Ridge": "sklearn.linear_model",
    "LinearRegression": "sklearn.linear_model",
}


def make_estimator(spec):
    name = spec["class"]
    if name not in ESTIMATORS:
        raise ValueError(f"unknown estimator {name!r}; expected {sorted(ESTIMATORS)}")
    cls = getattr(importlib.import_module(ESTIMATORS[name]), name)
    return cls(**spec.get("params", {}))


def fitted_source(spec, arrays, cell):
    """The source model of a cell, rebuilt from its saved parameters."""
    model = make_estimator(spec)
    coef = arrays[f"{cell}__source_coef"]
    intercept = arrays[f"{cell}__source_intercept"]
    model.coef_ = coef
    model.intercept_ = intercept if intercept.ndim else float(intercept)
    model.n_features_in_ = int(coef.shape[-1])
    classes_key = f"{cell}__source_classes"
    if classes_key in arrays:
        model.classes_ = arrays[classes_key]
    return model


def builder(method, cell, arrays, source, modules):
    """A function that constructs and fits the method's model on the cell."""
    Xl = arrays[f"{cell}__X_target_labeled"]
    yl = arrays[f"{cell}__y_target_labeled"]
    kind = method["kind"]
    if kind in ("regular_lc", "regular_lr"):
        cls = (
            modules["RegularTransferLC"]
            if kind == "regular_lc"
            else modules["RegularTransferLR"]
        )

        def fit():
            return cls(source, lambda_=method["lambda_"], verbose=0).fit(Xl, yl)

        return fit
    if kind == "fa":
        Xs = arrays[f"{cell}__X_source"]
        ys = arrays[f"{cell}__y_source"]
        FA = modules["FA"]

        def fit():
            estimator = make_estimator(method["estimator"])
            return FA(estimator, Xt=Xl, yt=yl, verbose=0).fit(Xs, ys)

        return fit
    raise ValueError(f"unknown method kind {kind!r}")


def parameters(model, kind):
    fitted = model.estimator_ if kind == "fa" else model
    return (
        np.asarray(fitted.coef_, dtype=np.float64),
        np.asarray(fitted.intercept_, dtype=np.float64),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    with open(args.plan) as f:
        plan = json.load(f)
    with np.load(args.data, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}

    # ADAPT imports TensorFlow and prints (RegularTransferLC.fit prints the
    # shape of its labels whatever verbose says): keep stdout for the JSON.
    with quiet_stdout():
        t0 = time.perf_counter()
        from adapt.feature_based import FA
        from adapt.parameter_based import RegularTransferLC, RegularTransferLR

        import_seconds = time.perf_counter() - t0

        modules = {
            "FA": FA,
            "RegularTransferLC": RegularTransferLC,
            "RegularTransferLR": RegularTransferLR,
        }
        results, saved, warmed = [], {}, set()
        for cell in plan["cells"]:
            cid = cell["id"]
            source = fitted_source(cell["source"], arrays, cid)
            X_test = arrays[f"{cid}__X_test"]
            y_test = arrays[f"{cid}__y_test"]
            for method in cell["methods"]:
                fit = builder(method, cid, arrays, source, modules)
                if method["name"] not in warmed:
                    fit()
                    warmed.add(method["name"])
                times, cpu, model = [], [], None
                for _ in range(args.repeats):
                    start, cpu_start = time.perf_counter(), time.process_time()
                    model = fit()
                    times.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - cpu_start)
                start = time.perf_counter()
                pred = np.asarray(model.predict(X_test))
                predict_seconds = time.perf_counter() - start
                if cell["task"] == "classification":
                    metric = float(np.mean(pred.ravel() == y_test))
                else:
                    metric = float(np.sqrt(np.mean((pred.ravel() - y_test) ** 2)))
                coef, intercept = parameters(model, method["kind"])
                saved[f"{cid}__{method['name']}__coef"] = coef
                saved[f"{cid}__{method['name']}__intercept"] = intercept
                results.append(
                    {
                        "cell": cid,
                        "method": method["name"],
                        "metric": metric,
                        "fit_seconds": statistics.median(times),
                        "fit_seconds_all": times,
                        "cpu_seconds": statistics.median(cpu),
                        "predict_seconds": predict_seconds,
                    }
                )
        np.savez(args.out, **saved)
        pools = threadpools()

    out = {
        "library": "adapt",
        "versions": package_versions("adapt", "tensorflow", "scikit-learn", "scipy"),
        "import_seconds": import_seconds,
        "results": results,
        "peak_rss_mb": round(maxrss_mb(), 1),
        "threadpools": pools,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
