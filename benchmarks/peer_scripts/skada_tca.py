"""TCA with SKADA 0.6.0 (``skada.TransferComponentAnalysisAdapter``); one JSON line.

Runs inside the SKADA virtual environment (``benchmarks/harness/peers.py``) and
imports nothing from ``sktransfer``; see ``_tca_worker.py`` for the problem,
the measurement and the output fields.

SKADA 0.6.0 API used (``skada/_subspace.py``)::

    TransferComponentAnalysisAdapter(kernel="rbf", n_components=None, mu=0.1)
    .fit_transform(X, sample_domain=sample_domain)  # X: both domains stacked,
                                                    # >= 0 source, < 0 target

(``skada.TransferComponentAnalysis`` is the pipeline factory around the same
adapter, with an SVC by default.)

The kernel: SKADA calls ``pairwise_kernels(X, metric=self.kernel)`` with no
kernel parameters, so a string kernel gets sklearn's default
``gamma = 1 / n_features``, and a callable kernel is evaluated pair by pair in
Python (hours at these sizes). To give SKADA the same RBF kernel as the other
methods, its input is the data scaled by ``sqrt(gamma * n_features)``:
``exp(-|x - y|^2 / d)`` on the scaled rows is ``exp(-gamma |x - y|^2)`` on the
original ones. The scaling is done before the timer, and the worker checks
``K_`` against ``rbf_kernel(X, gamma=gamma)`` on a sample of rows
(``kernel_check``).

Timed: ``TransferComponentAnalysisAdapter(kernel="rbf",
n_components=N_COMPONENTS, mu=MU_PEER).fit_transform(X, sample_domain=...)``,
the embedding of every training row. What SKADA does (read in its source):

- builds the dense ``n x n`` kernel ``K_`` (source rows first, kept as an
  attribute) and dense ``n x n`` matrices ``L`` and ``H``;
- ``A = I + mu K L K`` and ``B = K H K`` (``n x n x n`` products),
  ``solution = numpy.linalg.solve(A, B)`` (LU) and
  ``numpy.linalg.eigh(solution)``: ``eigh`` of a matrix that is not symmetric,
  of which it reads only the lower triangle; the ``n_components`` eigenvalues
  of largest absolute value are kept. ``mu`` multiplies ``K L K``, as in
  ADAPT: SKADA's ``mu`` is the paper's ``1 / mu``;
- ``transform`` (and so ``fit_transform``) returns ``(K_ @ eigvects_)[:n]``
  when the source and target rows it is given equal the training ones: the
  rows come back source rows first, then target rows, whatever the input
  order (``--order-check``).

Usage::

    python skada_tca.py --data PROBLEM.npz --out Z.npz --gamma 0.011 \
        --mu-peer 10
"""

import time
from importlib.metadata import version

import numpy as np
from _runtime import quiet_stdout
from _tca_worker import (
    classify_order,
    finish_order_check,
    finish_peer,
    load_problem,
    measure,
    peer_parser,
    shuffled_stack,
)

KERNEL_CHECK_ROWS = 200


def main(argv=None):
    parser = peer_parser(__doc__.splitlines()[0], "SKADA")
    args = parser.parse_args(argv)

    with quiet_stdout():
        from skada import TransferComponentAnalysisAdapter
        from sklearn.metrics.pairwise import pairwise_kernels, rbf_kernel

        X_source, X_target = load_problem(args)
        n_source, n_target = X_source.shape[0], X_target.shape[0]
        scale = np.sqrt(args.gamma * X_source.shape[1])

        def make_adapter():
            return TransferComponentAnalysisAdapter(
                kernel="rbf", n_components=args.n_components, mu=args.mu_peer
            )

        def kernel_check(adapter, X_original, training_order):
            """Largest |K_ - rbf_kernel(X, gamma)| on a sample of rows."""
            rng = np.random.default_rng(0)
            rows = np.sort(
                rng.choice(
                    X_original.shape[0],
                    min(KERNEL_CHECK_ROWS, X_original.shape[0]),
                    False,
                )
            )
            expected = rbf_kernel(X_original[training_order][rows], gamma=args.gamma)
            return float(np.abs(adapter.K_[np.ix_(rows, rows)] - expected).max())

        if args.order_check:
            X, is_source = shuffled_stack(
                X_source, X_target, args.order_rows, args.seed
            )
            sample_domain = np.where(is_source, 1, -2)
            adapter = make_adapter()
            returned = adapter.fit_transform(X * scale, sample_domain=sample_domain)
            training = np.vstack([adapter.X_source_, adapter.X_target_])
            reference = (
                pairwise_kernels(X * scale, training, metric="rbf") @ adapter.eigvects_
            )
            st = np.r_[np.flatnonzero(is_source), np.flatnonzero(~is_source)]
            target_only = adapter.transform(
                X[~is_source] * scale, sample_domain=-2 * np.ones((~is_source).sum())
            )
            finish_order_check(
                {
                    "fit_transform(X_shuffled, sample_domain=...)": classify_order(
                        returned, reference, is_source
                    ),
                    "transform(X_shuffled[target rows])": classify_order(
                        target_only,
                        reference[~is_source],
                        np.zeros((~is_source).sum(), bool),
                    ),
                },
                library="skada",
                kernel_check_max_abs_diff=kernel_check(adapter, X, st),
            )
            return

        X = np.vstack([X_source, X_target]) * scale
        sample_domain = np.r_[np.ones(n_source, int), -2 * np.ones(n_target, int)]
        X_original = np.vstack([X_source, X_target])
        del X_source, X_target

        def compute():
            t0 = time.perf_counter()
            adapter = make_adapter()
            Z = adapter.fit_transform(X, sample_domain=sample_domain)
            steps = {"fit_transform(X)": time.perf_counter() - t0}
            # Rows come back source first, then target: the input order here.
            return Z[:n_source], Z[n_source:], adapter, steps

        (Z_source, Z_target, adapter, _), record = measure(
            compute, repeats=args.repeats, budget=args.repeat_budget
        )
        check = kernel_check(adapter, X_original, np.arange(X.shape[0]))
        defaults = TransferComponentAnalysisAdapter().get_params()

    finish_peer(
        args,
        Z_source,
        Z_target,
        record,
        adapter.eigvects_,
        "skada",
        {"skada": version("skada"), "POT": version("POT")},
        params={
            "n_components": args.n_components,
            "kernel": "rbf (input scaled by sqrt(gamma * n_features))",
            "gamma": args.gamma,
            "input_scale": float(scale),
            "mu": args.mu_peer,
            "defaults": defaults,
        },
        kernel_check_max_abs_diff=check,
    )


if __name__ == "__main__":
    main()
