"""Fit sktransfer's transfer trees and forests on the cells of a plan; print JSON.

The study ``benchmarks/studies/tree_transfer.py`` (``python -m benchmarks run
tree_transfer``) runs it with our interpreter through ``Context.worker``
(``sktransfer`` imported from the run's package copy on ``PYTHONPATH``). It
reads the same files as ``adapt_tree.py`` (see its docstring for the bundle,
the pickled source models, the plan and the output) and uses that script's
runner, :func:`adapt_tree.run_plan`, so both libraries are timed by the same
code: a warm-up of every method in this process, then each (cell, method)
in a forked child, construction + ``fit`` timed, ``repeats`` more fits when
the first took less than ``repeat_below`` seconds, a timeout per method.

Our models (public API only):

- ``kind="tree"``: ``sktransfer.parameter.TransferTreeClassifier(
  FrozenEstimator(tree), algorithm=algo, random_state=seed).fit(X_labeled,
  y_labeled)`` (no ``sample_domain``: with a frozen source every row is a
  target row); ``max_depth=None``, ``min_samples_leaf=1``, the defaults;
- ``kind="forest"``: ``sktransfer.parameter.TransferForestClassifier(
  FrozenEstimator(forest), algorithm=algo, bootstrap_target=False,
  n_jobs=None, random_state=seed).fit(...)``.

``nodes`` is the transferred tree's node count (forest: the mean over its
trees); ``construct_seconds`` the constructor's share of the fit time.

Usage::

    python ours_tree.py --data bundle.npz --models models.pkl \
        --plan plan.json --out pred.npz
"""

import time

import numpy as np
from adapt_tree import main_with, positive_proba

MODULES = {}


def import_ours():
    from sklearn.frozen import FrozenEstimator

    from sktransfer.parameter import TransferForestClassifier, TransferTreeClassifier

    MODULES["frozen"] = FrozenEstimator
    MODULES["tree"] = TransferTreeClassifier
    MODULES["forest"] = TransferForestClassifier


def ours_builder(method, source, Xl, yl, seed):
    """Construct and fit our model; ``(model, constructor seconds)``."""
    kind, algo = method["kind"], method["algo"]
    cls, frozen = MODULES[kind], MODULES["frozen"]
    extra = {"bootstrap_target": False, "n_jobs": None} if kind == "forest" else {}

    def fit():
        start = time.perf_counter()
        model = cls(frozen(source), algorithm=algo, random_state=seed, **extra)
        construct = time.perf_counter() - start
        model.fit(Xl, yl)
        return model, construct

    def predict(model, X):
        if kind == "tree":
            nodes = int(model.estimator_.tree_.node_count)
        else:
            nodes = float(np.mean([t.tree_.node_count for t in model.estimators_]))
        return model.predict(X), positive_proba(model.predict_proba(X)), nodes

    fit.predict = predict
    return fit


if __name__ == "__main__":
    main_with(
        ours_builder,
        "sktransfer",
        ("sktransfer", "scikit-learn", "scipy"),
        imports=import_ours,
    )
