"""CORAL, subspace alignment and linear TCA with SKADA 0.6.0 adapters; one JSON line.

Runs inside the SKADA virtual environment (``benchmarks/harness/peers.py``)
and imports nothing from ``sktransfer``; see ``_alignment_worker.py`` for the
files, the timing and the output.

SKADA 0.6.0 API used (read in ``skada/_mapping.py`` and ``skada/_subspace.py``)::

    CORALAdapter(reg="auto", assume_centered=False)
    SubspaceAlignmentAdapter(n_components=None, random_state=None)
    TransferComponentAnalysisAdapter(kernel="rbf", n_components=None, mu=0.1)
    .fit_transform(X, sample_domain=sample_domain)  # X: both domains stacked,
                                                    # >= 0 source, < 0 target

Timed: the constructor with the study's parameters and ``fit_transform(X,
sample_domain=...)`` (``X`` and ``sample_domain`` built before the timer),
which returns every row: CORAL and SA in input order (``source_target_merge``
puts each domain's rows back at its positions), TCA source rows first, then
target rows (the input order here). What SKADA does (read in its source):

- **CORALAdapter**: each domain's covariance from
  ``skada._utils._estimate_covariance``: with a float ``reg``,
  ``sklearn.covariance.shrunk_covariance(empirical_covariance(X), reg)`` =
  ``(1 - reg) C + reg tr(C) / d I`` (``C`` with ``ddof = 0``; ``reg`` must be
  in [0, 1]); with ``"auto"`` (its default), Ledoit-Wolf shrinkage on the
  standardised rows, rescaled. Then ``C_s^-1/2`` and ``C_t^1/2`` by
  ``numpy.linalg.eigh``. Unlike the paper, ours and ADAPT, it **centres both
  domains** (``assume_centered=False``): source rows become ``(x - m_s)
  C_s^-1/2 C_t^1/2`` and target rows ``x - m_t``; target rows are not left
  as they are.
- **SubspaceAlignmentAdapter**: ``PCA(n_components,
  random_state=check_random_state(random_state))`` of each domain (sklearn's
  ``svd_solver="auto"``: randomized SVD for these shapes), ``M = P_s' P_t``;
  source rows ``pca_source_.transform(x) @ M = (x - m_s) P_s M``, target rows
  ``pca_target_.transform(x) = (x - m_t) P_t``: ours' formulas.
- **TransferComponentAnalysisAdapter**: the dense ``n x n`` kernel
  ``pairwise_kernels(X, metric=kernel)`` (``"linear"``: ``X X'``), ``L`` and
  ``H``; ``A = I + mu K L K``, ``B = K H K``, ``numpy.linalg.solve(A, B)`` and
  ``numpy.linalg.eigh`` of the result (not symmetric in general: ``eigh``
  reads its lower triangle), the ``n_components`` eigenvalues of largest
  absolute value; the embedding is ``K @ eigvects_`` (eigenvectors of unit
  norm: the components are not scaled to unit variance, as ours are). ``mu``
  multiplies ``K L K``: SKADA's ``mu`` is the paper's ``1 / mu``.
"""

import sys
from importlib.metadata import version

from _alignment_worker import main, split_rows, stacked


def prepare(kind, params, task, seed):
    from skada import (
        CORALAdapter,
        SubspaceAlignmentAdapter,
        TransferComponentAnalysisAdapter,
    )

    X, sample_domain = stacked(task)
    n_source = task["X_source"].shape[0]
    fitted = []

    def make():
        if kind == "coral":
            return CORALAdapter(**params)
        if kind == "sa":
            return SubspaceAlignmentAdapter(**params, random_state=seed)
        return TransferComponentAnalysisAdapter(**params)

    def compute():
        adapter = make()
        fitted[:] = [adapter]
        return split_rows(
            adapter.fit_transform(X, sample_domain=sample_domain), n_source
        )

    def describe(result):
        adapter = fitted[0]
        if kind == "sa":
            return {
                "pca_svd_solver": [
                    adapter.pca_source_._fit_svd_solver,
                    adapter.pca_target_._fit_svd_solver,
                ]
            }
        return {}

    return compute, describe


def library_info():
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
    main(__doc__.splitlines()[0], prepare, library_info)
