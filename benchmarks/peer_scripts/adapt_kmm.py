"""KMM weights with ADAPT 0.4.5 (``adapt.instance_based.KMM``); one JSON line.

Runs inside the ADAPT virtual environment (``benchmarks/harness/peers.py``) and
imports nothing from ``sktransfer``; see ``_kmm_worker.py`` for the problem
file, the measurement and the output fields.

ADAPT 0.4.5 API used::

    KMM(estimator=None, Xt=None, kernel="rbf", B=1000, eps=None, max_size=1000,
        tol=None, max_iter=100, copy=True, verbose=1, random_state=None,
        **params)                       # params: kernel parameters, e.g. gamma
    .fit_weights(Xs, Xt)                # -> the source weights

Timed: ``KMM(...).fit_weights(X_source, X_target)``, with ADAPT's defaults
except ``gamma``, ``B`` and ``eps`` (the benchmark's, so that the QP is the same
as ours) and ``verbose=0``. What ADAPT does (read in its source):

- the QP goes to ``cvxopt.solvers.qp`` (an interior-point method) with the
  dense kernel matrix, the dense ``(2 n + 2) x n`` inequality matrix and
  ``q = -kappa``; ``tol=None`` sets cvxopt's abstol 1e-7, reltol 1e-6,
  feastol 1e-7; ``max_iter=100`` is cvxopt's ``maxiters``;
- with more than ``max_size`` (default 1000) source rows, the rows are
  shuffled (NumPy's global generator, seeded from ``random_state``) into
  ``2^p`` batches of at most ``max_size`` rows, and each batch is solved as its
  own QP against all target rows (its own ``kappa`` scaled by
  ``n_batch / n_t`` and its own sum constraint
  ``|sum_batch b - n_batch| <= n_batch * eps``). That is not the full QP: the
  kernel between rows of different batches is ignored.

``cvxopt.solvers.qp`` is wrapped (the call is passed through unchanged) to
record each call's status and iteration count, which ADAPT discards.

Usage::

    python adapt_kmm.py --data PROBLEM.npz --out W.npy --gamma 0.0128 \
        --eps 0.968 [--max-size N]
"""

import sys
from collections import Counter
from importlib.metadata import version

from _kmm_worker import base_parser, finish, kmm_params, load_problem, measure
from _runtime import quiet_stdout


def main(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--max-size",
        type=int,
        default=None,
        help="ADAPT's max_size (default: ADAPT's own, 1000); 0 means n_source (one QP)",
    )
    args = parser.parse_args(argv)

    with quiet_stdout():
        import cvxopt.solvers
        from adapt.instance_based import KMM

        X_source, X_target = load_problem(args.data)
        calls = []
        original_qp = cvxopt.solvers.qp

        def recording_qp(*a, **kw):
            result = original_qp(*a, **kw)
            calls.append(
                {
                    "status": result.get("status"),
                    "iterations": result.get("iterations"),
                    "n": int(result["x"].size[0]),
                }
            )
            return result

        cvxopt.solvers.qp = recording_qp
        kwargs = {}
        if args.max_size is not None:
            kwargs["max_size"] = args.max_size or X_source.shape[0]

        def compute():
            calls.clear()
            model = KMM(
                kernel="rbf",
                B=args.B,
                eps=args.eps,
                verbose=0,
                random_state=args.seed,
                gamma=args.gamma,
                **kwargs,
            )
            return model.fit_weights(X_source, X_target)

        weights, record = measure(
            compute, repeats=args.repeats, budget=args.repeat_budget
        )
        max_size = KMM(gamma=args.gamma, **kwargs).max_size

    statuses = Counter(c["status"] for c in calls)
    finish(
        args,
        weights,
        record,
        library="adapt",
        versions={
            "adapt": version("adapt"),
            "cvxopt": version("cvxopt"),
            "tensorflow": version("tensorflow"),
            "scikit-learn": sys.modules["sklearn"].__version__,
        },
        params=kmm_params(args, max_size=max_size, random_state=args.seed),
        solver_info={
            "solver": "cvxopt.solvers.qp",
            "qp_calls": len(calls),
            "batch_rows": sorted({c["n"] for c in calls}),
            "statuses": dict(statuses),
            "iterations_max": max((c["iterations"] or 0 for c in calls), default=0),
        },
        n_target=int(X_target.shape[0]),
    )


if __name__ == "__main__":
    main()
