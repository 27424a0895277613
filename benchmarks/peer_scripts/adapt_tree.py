"""Fit ADAPT's transfer trees and forests on the cells of a plan; print JSON.

Runs inside the ADAPT virtual environment (``benchmarks/harness/peers.py``),
so it imports nothing from ``sktransfer`` or ``benchmarks``. Written for the
study ``benchmarks/studies/tree_transfer.py`` (``python -m benchmarks run
tree_transfer``); ``ours_tree.py`` fits sktransfer's estimators on the same
cells with the runner of this file (:func:`run_plan`), so that both sides are
timed by the same code.

Input
-----
``--data BUNDLE.npz``: ``s<seed>__X_test`` and, per cell,
``<cell>__X_labeled``, ``<cell>__y_labeled`` (``X`` float32; cast to float64
here, which ADAPT's routing compares with the float64 thresholds, the same
values scikit-learn's float32 prediction sees).

``--models MODELS.pkl``: ``{seed: {"tree": DecisionTreeClassifier, "forest":
RandomForestClassifier}}``, the fitted source models of the study's process
(pickled there: ADAPT gets the very models ours gets).

``--plan PLAN.json``: ``{"cells": [{"id", "seed", "n_labeled"}], "methods":
[{"name", "kind": "tree" | "forest", "algo", "cells": [ids], "timeout"}],
"repeats", "repeat_below"}``. ADAPT's models:

- ``kind="tree"``: ``adapt.parameter_based.TransferTreeClassifier(tree,
  algo=algo, verbose=0, random_state=seed).fit(X_labeled, y_labeled)``;
- ``kind="forest"``: ``adapt.parameter_based.TransferForestClassifier(forest,
  algo=algo, bootstrap=False, verbose=0, random_state=seed).fit(...)``.

Runner (:func:`run_plan`)
-------------------------
Every method is first fitted once, untimed, on a tiny problem in this process
(imports, lazy initialisation). Then, cells by increasing ``n_labeled`` and
seed, each (cell, method) runs in a forked child of this process: the child
times the construction and ``fit`` (wall clock, ``time.perf_counter``; CPU,
``time.process_time``); if that first fit took less than ``repeat_below``
seconds it fits ``repeats`` more times and reports their medians (the first
fit is then a warm-up), else the first fit's times. It predicts the test rows
(``predict`` and ``predict_proba``) and sends them back through a pipe. A
child still running after the method's ``timeout`` seconds is killed: status
``"timeout"``, and the method is not run on the later cells of the plan (the
same and larger ``n_labeled``), status ``"skipped"``. An exception is status
``"error"`` with its message; the method goes on with the next cell.

Output
------
``--out PRED.npz``: ``<cell>__<method>__pred`` and ``__proba`` (the positive
class's probability, binary tasks) of each fit that finished. Stdout, one
JSON line: ``{"library", "versions", "import_seconds", "warmup_seconds",
"results": [{"cell", "method", "status", "note", "fit_seconds",
"fit_seconds_all", "cpu_seconds", "construct_seconds", "n_timed",
"predict_seconds", "nodes"}], "peak_rss_mb", "threadpools"}``;
``construct_seconds`` is the constructor's share of ``fit_seconds``, ``nodes``
the transferred tree's node count (forest: the mean over its trees).

Usage::

    python adapt_tree.py --data bundle.npz --models models.pkl \
        --plan plan.json --out pred.npz
"""

import argparse
import json
import os
import pickle
import select
import signal
import statistics
import time

import numpy as np
from _proc_memory import maxrss_mb
from _runtime import package_versions, quiet_stdout, threadpools

# ------------------------------------------------------------------ runner ---


def _child_fit(fit, X_test, repeats, repeat_below):
    """Timed fits and the test predictions (in the forked child)."""

    def once():
        start, cpu = time.perf_counter(), time.process_time()
        model, construct = fit()
        return model, time.perf_counter() - start, time.process_time() - cpu, construct

    model, wall, cpu, construct = once()
    walls, cpus, constructs = [wall], [cpu], [construct]
    if wall < repeat_below and repeats > 0:
        walls, cpus, constructs = [], [], []
        for _ in range(repeats):
            model, wall, cpu, construct = once()
            walls.append(wall)
            cpus.append(cpu)
            constructs.append(construct)
    start = time.perf_counter()
    pred, proba, nodes = fit.predict(model, X_test)
    return {
        "fit_seconds": statistics.median(walls),
        "fit_seconds_all": walls,
        "cpu_seconds": statistics.median(cpus),
        "construct_seconds": statistics.median(constructs),
        "n_timed": len(walls),
        "predict_seconds": time.perf_counter() - start,
        "nodes": nodes,
        "pred": np.asarray(pred),
        "proba": np.asarray(proba, dtype=np.float32),
    }


def forked(function, timeout):
    """``("ok", function())`` run in a forked child, ``("timeout", None)`` when
    it is still running after ``timeout`` seconds (it is killed), or
    ``("error", message)``."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        try:
            payload = ("ok", function())
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            payload = ("error", f"{type(error).__name__}: {error}"[:500])
        try:
            with os.fdopen(write_fd, "wb") as f:
                pickle.dump(payload, f)
        finally:
            os._exit(0)
    os.close(write_fd)
    chunks, deadline, status = [], time.monotonic() + timeout, None
    with os.fdopen(read_fd, "rb") as f:
        fd = f.fileno()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                status = "timeout"
                break
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                data = os.read(fd, 1 << 20)
                if not data:
                    break
                chunks.append(data)
    os.waitpid(pid, 0)
    if status == "timeout":
        return "timeout", None
    if not chunks:
        return "error", "the child process died without a result"
    return pickle.loads(b"".join(chunks))


def run_plan(plan, arrays, models, builder, warmup):
    """Run every (cell, method) of the plan; ``(results, saved arrays,
    warm-up seconds)``. ``builder(method, source, Xl, yl, seed)`` is a fit
    function (returning ``(model, construct_seconds)``) with a ``predict(model,
    X)`` attribute returning ``(pred, positive proba, nodes)``; ``warmup()``
    fits every method once on a tiny problem."""
    start = time.perf_counter()
    warmup()
    warmup_seconds = time.perf_counter() - start
    cells = sorted(plan["cells"], key=lambda c: (c["n_labeled"], c["seed"]))
    stopped, results, saved = {}, [], {}
    for cell in cells:
        cid, seed = cell["id"], cell["seed"]
        X_test = arrays[f"s{seed}__X_test"]
        Xl = arrays[f"{cid}__X_labeled"]
        yl = arrays[f"{cid}__y_labeled"]
        for method in plan["methods"]:
            name = method["name"]
            if cid not in method["cells"]:
                continue
            base = {"cell": cid, "method": name}
            if name in stopped:
                results.append(dict(base, status="skipped", note=stopped[name]))
                continue
            source = models[seed][method["kind"]]
            fit = builder(method, source, Xl, yl, seed)
            status, out = forked(
                lambda fit=fit, X_test=X_test: _child_fit(
                    fit, X_test, plan["repeats"], plan["repeat_below"]
                ),
                method["timeout"],
            )
            if status == "timeout":
                note = (
                    f"timed out (> {method['timeout']:g} s) at n = "
                    f"{cell['n_labeled']}, seed {seed}"
                )
                stopped[name] = note
                results.append(dict(base, status="timeout", note=note))
                continue
            if status == "error":
                results.append(dict(base, status="error", note=out))
                continue
            saved[f"{cid}__{name}__pred"] = out.pop("pred")
            saved[f"{cid}__{name}__proba"] = out.pop("proba")
            results.append(dict(base, status="ok", note="", **out))
    return results, saved, warmup_seconds


def tiny_problem():
    """A small source tree, forest and target sample for the warm-ups."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    y = (X[:, 0] + 0.3 * rng.normal(size=300) > 0).astype(np.int64)
    models = {
        "tree": DecisionTreeClassifier(random_state=0).fit(X, y),
        "forest": RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y),
    }
    return models, X[:20], y[:20]


def main_with(builder, library, version_names, argv=None, imports=None):
    """The command line shared by this script and ``ours_tree.py``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--models", required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    with open(args.plan) as f:
        plan = json.load(f)
    with np.load(args.data, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    with open(args.models, "rb") as f:
        models = {int(k): v for k, v in pickle.load(f).items()}

    with quiet_stdout():
        t0 = time.perf_counter()
        if imports is not None:
            imports()
        import_seconds = time.perf_counter() - t0

        def warmup():
            tiny, Xl, yl = tiny_problem()
            for method in plan["methods"]:
                fit = builder(method, tiny[method["kind"]], Xl, yl, 0)
                fit.predict(fit()[0], Xl)

        results, saved, warmup_seconds = run_plan(plan, arrays, models, builder, warmup)
        np.savez(args.out, **saved)
        pools = threadpools()
    print(
        json.dumps(
            {
                "library": library,
                "versions": package_versions(*version_names),
                "import_seconds": import_seconds,
                "warmup_seconds": warmup_seconds,
                "results": results,
                "peak_rss_mb": round(maxrss_mb(), 1),
                "threadpools": pools,
            }
        )
    )


# ------------------------------------------------------------------- ADAPT ---

MODULES = {}


def import_adapt():
    # ADAPT imports TensorFlow: timed apart, in no fit time.
    from adapt.parameter_based import TransferForestClassifier, TransferTreeClassifier

    MODULES["tree"] = TransferTreeClassifier
    MODULES["forest"] = TransferForestClassifier


def positive_proba(proba):
    proba = np.asarray(proba)
    return proba[:, 1] if proba.shape[1] == 2 else proba


def adapt_builder(method, source, Xl, yl, seed):
    """Construct and fit ADAPT's model; ``(model, constructor seconds)``."""
    kind, algo = method["kind"], method["algo"]
    cls = MODULES[kind]
    Xl = np.asarray(Xl, dtype=np.float64)
    extra = {"bootstrap": False} if kind == "forest" else {}

    def fit():
        start = time.perf_counter()
        model = cls(source, algo=algo, verbose=0, random_state=seed, **extra)
        construct = time.perf_counter() - start
        model.fit(Xl, yl)
        return model, construct

    def predict(model, X):
        X = np.asarray(X, dtype=np.float64)
        fitted = model.estimator_
        if kind == "tree":
            nodes = int(fitted.tree_.node_count)
        else:
            nodes = float(np.mean([t.tree_.node_count for t in fitted.estimators_]))
        return fitted.predict(X), positive_proba(fitted.predict_proba(X)), nodes

    fit.predict = predict
    return fit


if __name__ == "__main__":
    main_with(
        adapt_builder,
        "adapt",
        ("adapt", "tensorflow", "scikit-learn", "scipy"),
        imports=import_adapt,
    )
