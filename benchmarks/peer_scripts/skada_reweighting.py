"""Density-ratio weights with SKADA 0.6.0 (``skada`` reweight adapters); one JSON line.

Runs inside the SKADA virtual environment (``benchmarks/harness/peers.py``) and
imports nothing from ``sktransfer``; see ``_reweighting_worker.py`` for the
problem file, the measurement and the output fields.

SKADA 0.6.0 API used (read in ``skada/_reweight.py``)::

    KLIEPReweightAdapter(gamma, cv=5, n_centers=100, tol=1e-6, max_iter=1000,
                         random_state=None)
    DiscriminatorReweightAdapter(domain_classifier=None)  # LogisticRegression()
    .fit(X, sample_domain=sample_domain)       # X: source and target stacked,
                                               # sample_domain >= 0 source
    .compute_weights(X, sample_domain=...)     # weights of every row (0 at
                                               # the target rows)

Timed: ``fit`` then ``compute_weights`` (the weights of the source rows), the
stacked ``X`` and ``sample_domain`` built before the timer; SKADA's defaults
except ``random_state=SEED`` and, for KLIEP, ``gamma=`` the problem's list of
5 RBF coefficients (a Python list, which SKADA takes as the candidates of its
likelihood cross-validation; the widths ``f * median distance``, ``f`` in
0.25, 0.5, 1, 2, 4: the grid ours chooses from). ``gamma`` has no default in
SKADA.

What SKADA does that matters here (read in its source): KLIEP's gradient
step is ``alpha += EPS * A.T @ (1 / (A @ alpha))`` with ``EPS`` the machine
epsilon (2.2e-16), so the coefficients barely move from their start (all 1,
projected onto the constraint) and the loop stops once the objective changes
by less than ``tol``; its centres are drawn with replacement; its
cross-validation folds are ``KFold`` without shuffling. The
discriminator's weights are ``(1 - p) / p`` with ``p = predict_proba(...)[:,
1]``, the probability of the class it gave the *target* rows (``y_domain``
is 1 for the target, 0 for the source): that is ``P(source|x) /
P(target|x)``, the inverse of the density ratio's odds.
"""

import sys
from importlib.metadata import version

import numpy as np
from _reweighting_worker import main, source_target_stack


def _adapter(method, task, args):
    from skada import DiscriminatorReweightAdapter, KLIEPReweightAdapter

    X, sample_domain = source_target_stack(task)
    n_source = task["X_source"].shape[0]
    adapters = []

    def make():
        if method == "kliep":
            return KLIEPReweightAdapter(
                gamma=list(task["gammas"]), random_state=args.seed
            )
        return DiscriminatorReweightAdapter()

    def compute():
        adapter = make()
        adapters[:] = [adapter]
        adapter.fit(X, sample_domain=sample_domain)
        return adapter.compute_weights(X, sample_domain=sample_domain)[:n_source]

    def describe(weights, seconds):
        adapter = adapters[0]
        if method == "kliep":
            return _kliep_diagnostics(adapter, task["X_source"])
        return {
            "classifier": type(adapter.domain_classifier_).__name__,
            "classes": [int(c) for c in adapter.domain_classifier_.classes_],
        }

    return compute, describe


def _kliep_diagnostics(adapter, X_source):
    """The chosen width, the distinct centres, and how far the coefficients
    moved from their start: ``alpha = 1`` projected once onto the constraint
    ``b'alpha = 1`` (``b`` the source mean of the kernel at the centres) and
    clipped at 0, as SKADA's loop does before its first gradient step
    (relative to the largest coefficient)."""
    from sklearn.metrics.pairwise import pairwise_kernels

    alpha = np.asarray(adapter.alpha_, dtype=float)
    b = pairwise_kernels(
        X_source, adapter.centers_, metric="rbf", gamma=adapter.best_gamma_
    ).mean(axis=0)
    start = np.ones_like(alpha) + (1 - b.sum()) * b / (b @ b)
    start = np.maximum(start, 0)
    start /= b @ start
    return {
        "gamma": float(adapter.best_gamma_),
        "distinct_centers": int(np.unique(adapter.centers_, axis=0).shape[0]),
        "nonzero_coefficients": int(np.count_nonzero(alpha)),
        "coefficients_moved_from_start": float(
            np.abs(alpha - start).max() / max(alpha.max(), 1e-300)
        ),
    }


METHODS = {"kliep": _adapter, "discriminator": _adapter}


def library_info(args):
    import skada  # noqa: F401

    return {
        "library": "skada",
        "versions": {
            "skada": version("skada"),
            "POT": version("POT"),
            "scikit-learn": sys.modules["sklearn"].__version__,
            "scipy": sys.modules["scipy"].__version__,
        },
    }


if __name__ == "__main__":
    main(__doc__.splitlines()[0], METHODS, library_info)
