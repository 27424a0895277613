"""TCA with ADAPT 0.4.5 (``adapt.feature_based.TCA``); prints one JSON line.

Runs inside the ADAPT virtual environment (``benchmarks/harness/peers.py``) and
imports nothing from ``sktransfer``; see ``_tca_worker.py`` for the problem,
the measurement and the output fields.

ADAPT 0.4.5 API used::

    TCA(estimator=None, Xt=None, n_components=20, mu=0.1, kernel="rbf",
        copy=True, verbose=1, random_state=None, **params)  # params: gamma
    .fit_transform(Xs, Xt)   # -> the embedding of the SOURCE rows only
    .transform(X)            # k(X, [Xs; Xt]) @ vectors_, rows in input order

Timed: ``model.fit_transform(X_source, X_target)`` (the source embedding) and
``model.transform(X_target)`` (the target embedding), with ``n_components``,
``gamma`` (a kernel parameter, passed through ``**params`` to
``sklearn.metrics.pairwise.pairwise_kernels``: the same RBF kernel as ours),
``mu`` as given (``--mu-peer``) and ``verbose=0``. What ADAPT does (read in
``adapt/feature_based/_tca.py``):

- builds the dense ``n x n`` kernel ``K`` (``n = n_s + n_t``, source rows
  first), and dense ``n x n`` matrices ``L`` and ``H``;
- ``a = I + mu K L K`` and ``b = K H K`` (two ``n x n x n`` products each),
  ``sol = scipy.linalg.lstsq(a, b)[0]`` (an SVD-based least-squares solve,
  ``gelsd``) and ``values, vectors = scipy.linalg.eigh(sol)``: ``eigh`` of a
  matrix that is not symmetric (``(I + mu K L K)^-1 K H K``), of which it reads
  only the lower triangle; the ``n_components`` eigenvalues of largest
  absolute value are kept. ``mu`` multiplies ``K L K``: ADAPT's ``mu`` is the
  paper's ``1 / mu`` (``(I + mu' K L K)^-1 = (1/mu') (K L K + (1/mu') I)^-1``).

Usage::

    python adapt_tca.py --data PROBLEM.npz --out Z.npz --gamma 0.011 \
        --mu-peer 10
"""

import time
from importlib.metadata import version

import numpy as np
from _runtime import quiet_stdout
from _tca_worker import (
    finish_order_check,
    finish_peer,
    load_problem,
    measure,
    order_checks,
    peer_parser,
    shuffled_stack,
)


def main(argv=None):
    parser = peer_parser(__doc__.splitlines()[0], "ADAPT")
    args = parser.parse_args(argv)

    with quiet_stdout():
        from adapt.feature_based import TCA
        from sklearn.metrics.pairwise import rbf_kernel

        X_source, X_target = load_problem(args)

        def make_model():
            return TCA(
                n_components=args.n_components,
                mu=args.mu_peer,
                kernel="rbf",
                verbose=0,
                random_state=args.seed,
                gamma=args.gamma,
            )

        if args.order_check:
            X, is_source = shuffled_stack(
                X_source, X_target, args.order_rows, args.seed
            )
            model = make_model()
            # No stacked input in ADAPT: the source and target rows are
            # separate arguments (each in its shuffled order).
            returned = model.fit_transform(X[is_source], X[~is_source])
            reference = (
                rbf_kernel(X, np.vstack([model.Xs_, model.Xt_]), gamma=args.gamma)
                @ model.vectors_
            )
            returned = {
                "fit_transform(Xs, Xt)": returned,
                "transform(X_shuffled)": model.transform(X),
            }
            finish_order_check(
                order_checks(returned, reference, is_source), library="adapt"
            )
            return

        def compute():
            t0 = time.perf_counter()
            model = make_model()
            Z_source = model.fit_transform(X_source, X_target)
            t1 = time.perf_counter()
            Z_target = model.transform(X_target)
            t2 = time.perf_counter()
            steps = {"fit_transform(Xs, Xt)": t1 - t0, "transform(Xt)": t2 - t1}
            return Z_source, Z_target, model, steps

        (Z_source, Z_target, model, _), record = measure(
            compute, repeats=args.repeats, budget=args.repeat_budget
        )
        defaults = TCA().get_params()

    finish_peer(
        args,
        Z_source,
        Z_target,
        record,
        model.vectors_,
        "adapt",
        {"adapt": version("adapt"), "tensorflow": version("tensorflow")},
        params={
            "n_components": args.n_components,
            "kernel": "rbf",
            "gamma": args.gamma,
            "mu": args.mu_peer,
            "random_state": args.seed,
            "defaults": {k: defaults.get(k) for k in ("n_components", "mu", "kernel")},
        },
    )


if __name__ == "__main__":
    main()
