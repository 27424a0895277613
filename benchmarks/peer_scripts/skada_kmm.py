"""KMM weights with SKADA 0.6.0 (``skada.KMMReweightAdapter``); one JSON line.

Runs inside the SKADA virtual environment (``benchmarks/harness/peers.py``) and
imports nothing from ``sktransfer``; see ``_kmm_worker.py`` for the problem
file, the measurement and the output fields.

SKADA 0.6.0 API used::

    KMMReweightAdapter(kernel="rbf", gamma=None, degree=3, coef0=1, B=1000.0,
                       eps=None, tol=1e-6, max_iter=1000, smooth_weights=False,
                       solver="frank-wolfe")
    .fit(X, sample_domain=sample_domain)   # X: source and target rows stacked,
                                           # sample_domain >= 0 source, < 0 target
    .source_weights_                       # the source weights

(``skada.KMMReweight`` is the pipeline factory around the same adapter.)

Timed: ``KMMReweightAdapter(...).fit(X, sample_domain=...)``, with SKADA's
defaults except ``gamma``, ``B`` and ``eps`` (the benchmark's); the stacked
``X`` and ``sample_domain`` are built before the timer. What SKADA does (read
in its source, ``skada/_reweight.py`` and ``skada/utils.py``):

- it computes the dense ``n_s x n_s`` and ``n_s x n_t`` kernel matrices,
  ``kappa = n_s * mean_j k(x_i, x'_j)``, and calls ``qp_solve(K, -kappa, A, b,
  lb=0, ub=B, ...)`` with ``A b <= b`` encoding the sum constraint;
- the default ``solver="frank-wolfe"`` runs ``max_iter`` (1000) Frank-Wolfe
  steps with step size 2 / (k + 1) over
  ``{b >= 0, n_s (1 - eps) <= sum b <= n_s (1 + eps)}``: the bounds ``lb`` and
  ``ub`` are not passed to it, so ``b <= B`` is not enforced, ``tol`` is not
  used, and each step adds one vertex (a single nonzero weight), so at most
  ``max_iter`` weights are nonzero;
- ``solver="scipy"`` is ``scipy.optimize.minimize(method="SLSQP")`` with the
  bounds and the sum constraint.

Usage::

    python skada_kmm.py --data PROBLEM.npz --out W.npy --gamma 0.0128 \
        --eps 0.968 [--solver scipy]
"""

import sys
from importlib.metadata import version

import numpy as np
from _kmm_worker import base_parser, finish, kmm_params, load_problem, measure
from _runtime import quiet_stdout


def main(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--solver",
        choices=["frank-wolfe", "scipy"],
        default=None,
        help="SKADA's solver (default: SKADA's own, frank-wolfe)",
    )
    args = parser.parse_args(argv)

    with quiet_stdout():
        from skada import KMMReweightAdapter

        X_source, X_target = load_problem(args.data)
        n_source, n_target = X_source.shape[0], X_target.shape[0]
        X = np.vstack([X_source, X_target])
        sample_domain = np.r_[np.ones(n_source, int), -2 * np.ones(n_target, int)]
        del X_source, X_target
        kwargs = {} if args.solver is None else {"solver": args.solver}

        def compute():
            adapter = KMMReweightAdapter(
                kernel="rbf", gamma=args.gamma, B=args.B, eps=args.eps, **kwargs
            )
            adapter.fit(X, sample_domain=sample_domain)
            return adapter.source_weights_

        weights, record = measure(
            compute, repeats=args.repeats, budget=args.repeat_budget
        )
        defaults = KMMReweightAdapter(**kwargs).get_params()

    finish(
        args,
        weights,
        record,
        library="skada",
        versions={
            "skada": version("skada"),
            "POT": version("POT"),
            "scikit-learn": sys.modules["sklearn"].__version__,
            "scipy": sys.modules["scipy"].__version__,
        },
        params=kmm_params(
            args,
            solver=defaults["solver"],
            tol=defaults["tol"],
            max_iter=defaults["max_iter"],
        ),
        solver_info={
            "solver": defaults["solver"],
            "max_iter": defaults["max_iter"],
            "nonzero_weights": int(np.count_nonzero(weights)),
        },
        n_target=int(n_target),
    )


if __name__ == "__main__":
    main()
