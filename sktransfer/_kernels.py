"""Kernel helpers shared by the kernel methods: bandwidth heuristic, chunked sums.

Kernel mean matching and transfer component analysis both need kernel values
between two sets of rows. The full ``n x m`` kernel matrix does not fit in
memory at a million rows, so :func:`kernel_row_sums` computes what those methods
need from it, one block of rows at a time, in parallel through joblib.
"""

import numbers

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.metrics.pairwise import euclidean_distances, pairwise_kernels
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils.validation import check_array

# Rows per block in kernel_row_sums: a block of the kernel matrix is at most
# _BLOCK_ROWS x _BLOCK_ROWS float64 values (32 MB).
_BLOCK_ROWS = 2048


def median_bandwidth(X, Y=None, *, max_samples=1000, random_state=None):
    """Median Euclidean distance between distinct rows: the median heuristic.

    The usual data-driven choice of an RBF kernel's width ``sigma``
    (``gamma = 1 / (2 sigma^2)``, see :func:`gamma_from_bandwidth`). With ``Y``
    the rows of both are pooled, so the width suits distances across domains.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Y : {array-like, sparse matrix} of shape (m_samples, n_features), default=None
        Rows pooled with ``X``.
    max_samples : int, default=1000
        At most this many rows, drawn without replacement, enter the median
        (the cost is quadratic in it).
    random_state : int, RandomState instance or None, default=None
        Draws the rows when there are more than ``max_samples``.

    Returns
    -------
    sigma : float
        The median distance, positive.

    Raises
    ------
    ValueError
        When fewer than 2 rows are given, or every pair of rows is identical
        (no scale to take from the data: pass ``gamma`` explicitly).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer._kernels import median_bandwidth
    >>> median_bandwidth(np.array([[0.0], [1.0], [2.0], [3.0]]))
    1.5
    """
    rows = _pooled_rows(X, Y)
    if not isinstance(max_samples, numbers.Integral) or max_samples < 2:
        raise ValueError(f"max_samples must be an int >= 2; got {max_samples!r}.")
    if rows.shape[0] < 2:
        raise ValueError("The median heuristic needs at least 2 rows.")
    if rows.shape[0] > max_samples:
        chosen = check_random_state(random_state).choice(
            rows.shape[0], size=max_samples, replace=False
        )
        rows = rows[np.sort(chosen)]
    distances = euclidean_distances(rows)
    upper = distances[np.triu_indices_from(distances, k=1)]
    sigma = float(np.median(upper))
    if not sigma > 0:
        raise ValueError(
            "The median distance between rows is 0 (at least half the pairs of "
            "rows are identical), so the median heuristic gives no kernel width. "
            "Pass gamma explicitly."
        )
    return sigma


def gamma_from_bandwidth(sigma):
    """RBF ``gamma`` of a kernel width ``sigma``: ``gamma = 1 / (2 sigma^2)``.

    Examples
    --------
    >>> from sktransfer._kernels import gamma_from_bandwidth
    >>> gamma_from_bandwidth(0.5)
    2.0
    """
    return 1.0 / (2.0 * float(sigma) ** 2)


def kernel_row_sums(
    X, Y, *, kernel="rbf", gamma=None, block_rows=_BLOCK_ROWS, n_jobs=None, **params
):
    """``sum_j k(x_i, y_j)`` for every row ``x_i`` of ``X``, without the full matrix.

    The kernel matrix is computed in blocks of at most ``block_rows`` rows of
    ``X`` by ``block_rows`` rows of ``Y``, so memory stays at one block per
    worker whatever the sizes; blocks of ``X`` run in parallel through joblib.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Y : {array-like, sparse matrix} of shape (m_samples, n_features)
    kernel : str or callable, default="rbf"
        Any kernel of :func:`sklearn.metrics.pairwise.pairwise_kernels`.
    gamma : float, default=None
        Passed to kernels that take it and ignored by the others (``None``:
        sklearn's default).
    block_rows : int, default=2048
        Rows per block on each side.
    n_jobs : int, default=None
        Parallel jobs over blocks of ``X`` (``None``: 1 unless in a
        :func:`joblib.parallel_backend` context).
    **params
        Other kernel parameters (``degree``, ``coef0``).

    Returns
    -------
    sums : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer._kernels import kernel_row_sums
    >>> kernel_row_sums(np.ones((2, 1)), np.ones((3, 1)), kernel="linear")
    array([3., 3.])
    """
    X = check_array(X, accept_sparse="csr", dtype=np.float64)
    Y = check_array(Y, accept_sparse="csr", dtype=np.float64)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features and Y has {Y.shape[1]}; kernel values "
            "need the same features on both sides."
        )
    if not isinstance(block_rows, numbers.Integral) or block_rows < 1:
        raise ValueError(f"block_rows must be a positive int; got {block_rows!r}.")
    if gamma is not None:
        params["gamma"] = gamma
    blocks = Parallel(n_jobs=n_jobs)(
        delayed(_block_row_sums)(X[rows], Y, kernel, block_rows, params)
        for rows in gen_batches(X.shape[0], block_rows)
    )
    return np.concatenate(blocks) if blocks else np.zeros(0)


def _block_row_sums(X_block, Y, kernel, block_rows, params):
    sums = np.zeros(X_block.shape[0])
    for rows in gen_batches(Y.shape[0], block_rows):
        values = pairwise_kernels(
            X_block, Y[rows], metric=kernel, filter_params=True, **params
        )
        sums += np.asarray(values.sum(axis=1)).ravel()
    return sums


def _pooled_rows(X, Y):
    X = check_array(X, accept_sparse="csr", dtype=np.float64)
    if Y is None:
        return X
    Y = check_array(Y, accept_sparse="csr", dtype=np.float64)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features and Y has {Y.shape[1]}; pass rows with "
            "the same features."
        )
    if sparse.issparse(X) or sparse.issparse(Y):
        return sparse.vstack([X, Y], format="csr")
    return np.vstack([X, Y])
