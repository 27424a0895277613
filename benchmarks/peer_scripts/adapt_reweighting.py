"""Density-ratio weights with ADAPT 0.4.5 (``adapt.instance_based``); one JSON line.

Runs inside the ADAPT virtual environment (``benchmarks/harness/peers.py``) and
imports nothing from ``sktransfer``; see ``_reweighting_worker.py`` for the
problem file, the measurement and the output fields.

ADAPT 0.4.5 API used (read in ``adapt/instance_based/_kliep.py``,
``_ulsif.py``, ``_rulsif.py``, ``_iwc.py``)::

    KLIEP(estimator=None, Xt=None, kernel="rbf", sigmas=None, max_centers=100,
          cv=5, algo="FW", lr=[...], tol=1e-6, max_iter=2000, copy=True,
          verbose=1, random_state=None, **params)     # params: gamma=[...]
    ULSIF(estimator=None, Xt=None, kernel="rbf", lambdas=1., max_centers=100,
          copy=True, verbose=1, random_state=None, **params)
    RULSIF(..., alpha=0.1, lambdas=1., max_centers=100, ...)
    IWC(estimator=None, Xt=None, yt=None, classifier=None, cl_params=None,
        copy=True, verbose=1, random_state=None)
    .fit_weights(Xs, Xt)                            # -> the source weights

Timed: ``MODEL(...).fit_weights(X_source, X_target)``, ADAPT's defaults
except ``verbose=0``, ``random_state=SEED`` and, for the three kernel methods,
``gamma=`` the problem's list of 5 RBF coefficients (the widths ``f * median
distance``, ``f`` in 0.25, 0.5, 1, 2, 4: the grid ours chooses from), so that
ADAPT chooses the width among the same candidates (KLIEP: its 5-fold
likelihood cross-validation; uLSIF/RuLSIF: its closed-form leave-one-out,
with its default single ``lambdas=1.``, as we pass no regulariser grid).
``IWC`` has no kernel: its default domain classifier is
``LogisticRegression()`` and its weights ``1 / P(source | x) - 1``.
``ULSIF`` and ``RULSIF`` draw their centres from NumPy's global generator
without seeding it, so the script seeds it (``np.random.seed(SEED)``) before
each run.

What ADAPT does that matters here (read in its source): KLIEP's default
``algo="FW"`` runs exactly ``max_iter`` (2000) Frank-Wolfe steps (no
stopping test), for each of the 5 x 5 cross-validation fits and the final
one; uLSIF/RuLSIF's leave-one-out (with more than one candidate) builds two
dense ``N_min x N_min`` diagonal matrices (``np.diag``), ``N_min = min(n_s,
n_t)``, and multiplies a ``n_centers x N_min`` matrix by them.
"""

import sys
from importlib.metadata import version

import numpy as np
from _reweighting_worker import main


def _kernel_model(method, task, args):
    from adapt.instance_based import KLIEP, RULSIF, ULSIF

    cls = {"kliep": KLIEP, "ulsif": ULSIF, "rulsif": RULSIF}[method]
    models = []

    def compute():
        np.random.seed(args.seed)  # noqa: NPY002 (ADAPT draws from the global one)
        model = cls(
            kernel="rbf", gamma=list(task["gammas"]), verbose=0, random_state=args.seed
        )
        models[:] = [model]
        return model.fit_weights(task["X_source"], task["X_target"])

    def describe(weights, seconds):
        best = models[0].best_params_
        out = {"gamma": best.get("k", best).get("gamma")}
        if "lamb" in best:
            out["reg"] = best["lamb"]
        if method == "kliep":
            out["max_iter"] = models[0].max_iter
        return out

    return compute, describe


def _iwc(method, task, args):
    from adapt.instance_based import IWC

    models = []

    def compute():
        model = IWC(verbose=0, random_state=args.seed)
        models[:] = [model]
        return model.fit_weights(task["X_source"], task["X_target"])

    def describe(weights, seconds):
        return {"classifier": type(models[0].classifier_).__name__}

    return compute, describe


METHODS = {
    "kliep": _kernel_model,
    "ulsif": _kernel_model,
    "rulsif": _kernel_model,
    "iwc": _iwc,
}


def library_info(args):
    import adapt.instance_based  # noqa: F401  (imports TensorFlow)

    return {
        "library": "adapt",
        "versions": {
            "adapt": version("adapt"),
            "tensorflow": version("tensorflow"),
            "scikit-learn": sys.modules["sklearn"].__version__,
        },
    }


if __name__ == "__main__":
    main(__doc__.splitlines()[0], METHODS, library_info)
