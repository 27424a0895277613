"""CORAL and subspace alignment with ADAPT 0.4.5 (``adapt.feature_based``); one JSON.

Runs inside the ADAPT virtual environment (``benchmarks/harness/peers.py``)
and imports nothing from ``sktransfer``; see ``_alignment_worker.py`` for the
files, the timing and the output.

ADAPT 0.4.5 API used (read in ``adapt/feature_based/_coral.py`` and
``_sa.py``)::

    CORAL(estimator=None, Xt=None, lambda_=1e-5, copy=True, verbose=1,
          random_state=None)
    SA(estimator=None, Xt=None, n_components=None, copy=True, verbose=1,
       random_state=None)
    .fit_transform(Xs, Xt)        # -> the mapped SOURCE rows only
    .transform(X, domain="tgt")   # target rows ("src": source rows)

Timed: the constructor with the study's parameters and ``verbose=0`` (with
``verbose=1`` CORAL computes and prints covariance differences: extra work),
``fit_transform(Xs, Xt)`` and ``transform(Xt, domain="tgt")``. What ADAPT
does (read in its source):

- **CORAL**: ``C_s = np.cov(Xs) + lambda_ I``, ``C_t = np.cov(Xt) + lambda_ I``
  (``ddof = 1``, no centring of the rows: ours' formula with ``reg =
  lambda_``), ``Xs @ inv(sqrtm(C_s)) @ sqrtm(C_t)`` with ``scipy.linalg.sqrtm``
  (a Schur-based square root of a general matrix) and ``scipy.linalg.inv``
  (the real part kept if they come back complex); ``transform`` of target
  rows returns them as they are. Its default ``lambda_`` is ``1e-5``, the
  paper's is 1.
- **SA**: ``PCA(n_components)`` of the source rows and of the target rows
  (sklearn's ``svd_solver="auto"``: randomized SVD for these shapes, from
  NumPy's global generator, which ``random_state`` seeds through
  ``np.random.seed``), ``M = P_s' P_t``; source rows ``(x - m_s) P_s M``
  (``pca_src_.transform(Xs) @ M_``), target rows ``(x - m_t) P_t``
  (``pca_tgt_.transform``): ours' formulas. ``random_state`` is also passed
  to ``tf.random.set_seed`` inside ``fit_transform`` (timed).
"""

import sys
from importlib.metadata import version

import numpy as np
from _alignment_worker import main


def prepare(kind, params, task, seed):
    from adapt.feature_based import CORAL, SA

    X_source, X_target = task["X_source"], task["X_target"]
    fitted = []

    def make():
        if kind == "coral":
            return CORAL(**params, verbose=0)
        return SA(**params, verbose=0, random_state=seed)

    def compute():
        model = make()
        fitted[:] = [model]
        Z_source = model.fit_transform(X_source, X_target)
        Z_target = model.transform(X_target, domain="tgt")
        return np.asarray(Z_source, np.float64), np.asarray(Z_target, np.float64)

    def describe(result):
        model = fitted[0]
        if kind == "sa":
            return {
                "pca_svd_solver": [
                    model.pca_src_._fit_svd_solver,
                    model.pca_tgt_._fit_svd_solver,
                ]
            }
        return {}

    return compute, describe


def library_info():
    import adapt.feature_based  # noqa: F401  (TensorFlow comes with it)

    return {
        "library": "adapt",
        "versions": {
            "adapt": version("adapt"),
            "tensorflow": version("tensorflow"),
            "scikit-learn": sys.modules["sklearn"].__version__,
            "scipy": sys.modules["scipy"].__version__,
        },
    }


if __name__ == "__main__":
    main(__doc__.splitlines()[0], prepare, library_info)
