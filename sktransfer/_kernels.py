"""Kernel helpers shared by the kernel methods: bandwidth, chunked sums, Nystroem.

Kernel mean matching and transfer component analysis both need kernel values
between two sets of rows. The full ``n x m`` kernel matrix does not fit in
memory at a million rows, so :func:`kernel_row_sums` computes what those methods
need from it, one block of rows at a time, and :func:`nystroem_basis` with
:func:`kernel_features` give a low-rank factor of it (Williams & Seeger 2001),
also block by block. Blocks run in parallel through joblib; threads are
preferred (numpy releases the GIL in the kernel computations and no block is
copied between processes), and a ``joblib.parallel_backend`` context such as
Dask overrides that preference.
"""

import numbers
from functools import partial

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from scipy import sparse
from sklearn.metrics.pairwise import (
    KERNEL_PARAMS,
    euclidean_distances,
    pairwise_kernels,
)
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import row_norms
from sklearn.utils.validation import check_array
from threadpoolctl import threadpool_limits

# Positive semi-definite kernels of sklearn.metrics.pairwise: the kernel
# methods' problems are convex, or their eigenproblems definite, only with them.
PSD_KERNELS = {"rbf", "laplacian", "linear", "poly", "cosine"}
# Parameter constraints of the estimators' kernel arguments.
KERNEL_PARAMETERS = {
    "kernel": [StrOptions(PSD_KERNELS)],
    "gamma": [Interval(numbers.Real, 0, None, closed="neither"), None],
    "kernel_params": [dict, None],
}

# Parameters each named kernel takes besides gamma, which estimators expose
# as a parameter of its own (and resolve with the median heuristic).
_KERNEL_PARAMS_BESIDES_GAMMA = {
    name: tuple(sorted(set(params) - {"gamma"}))
    for name, params in KERNEL_PARAMS.items()
}

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
        When fewer than 2 rows are given, every pair of rows is identical
        (no scale to take from the data: pass ``gamma`` explicitly), or the
        distances overflow float64 (features too large: scale them).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import median_bandwidth
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
    with np.errstate(over="ignore", invalid="ignore"):
        distances = euclidean_distances(rows)
    upper = distances[np.triu_indices_from(distances, k=1)]
    if not np.isfinite(upper).all():
        raise kernel_overflow_error(rows, "rbf", what="distances between rows")
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

    Parameters
    ----------
    sigma : float
        The kernel width, e.g. from :func:`median_bandwidth`.

    Returns
    -------
    gamma : float
        The ``gamma`` of :func:`sklearn.metrics.pairwise.rbf_kernel`.

    Examples
    --------
    >>> from sktransfer.metrics import gamma_from_bandwidth
    >>> gamma_from_bandwidth(0.5)
    2.0
    """
    return 1.0 / (2.0 * float(sigma) ** 2)


def resolve_gamma(kernel, gamma, X, Y=None, *, random_state=None):
    """``gamma`` as given, or the median heuristic when it is None and the kernel RBF.

    The width is the median distance between rows of ``X`` and ``Y`` pooled
    (:func:`median_bandwidth`); other kernels keep ``None`` (sklearn's default).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer._kernels import resolve_gamma
    >>> resolve_gamma("rbf", None, np.array([[0.0], [1.0], [2.0], [3.0]]))
    0.2222222222222222
    >>> resolve_gamma("linear", None, np.zeros((2, 1))) is None
    True
    """
    if gamma is not None or kernel != "rbf":
        return gamma
    return gamma_from_bandwidth(median_bandwidth(X, Y, random_state=random_state))


def check_kernel_params(kernel, kernel_params):
    """``kernel_params`` checked against the parameters ``kernel`` takes.

    sklearn's ``pairwise_kernels(..., filter_params=True)`` drops the keys a
    kernel does not take, so a misspelt ``"degre"`` or a ``"degree"`` given to
    the RBF kernel would silently change nothing. Here they are refused, as is
    ``"gamma"`` (the estimators' own parameter, which the median heuristic
    would otherwise override).

    Parameters
    ----------
    kernel : str, callable or None
        The kernel. A callable takes whatever it takes (not checked); None
        (a caller that does not say) accepts the parameters of any named
        kernel.
    kernel_params : dict or None
        The user's extra kernel parameters.

    Returns
    -------
    params : dict
        A copy of ``kernel_params`` (empty when None).

    Raises
    ------
    ValueError
        For an unknown key (the message names it and the kernel's valid
        ones), ``"gamma"``, or a value that is not a finite number (a
        ``degree`` that is not a positive integer).

    Examples
    --------
    >>> from sktransfer._kernels import check_kernel_params
    >>> check_kernel_params("poly", {"degree": 2})
    {'degree': 2}
    >>> check_kernel_params("rbf", {"degre": 2})
    Traceback (most recent call last):
    ...
    ValueError: kernel_params has the unknown key 'degre' for kernel='rbf', ...
    """
    params = dict(kernel_params or {})
    if callable(kernel) or (kernel is not None and kernel not in KERNEL_PARAMS):
        return params
    if "gamma" in params:
        raise ValueError(
            f"kernel_params sets 'gamma', which is a parameter of its own: pass "
            f"gamma={params['gamma']!r} instead of kernel_params={{'gamma': ...}} "
            "(with gamma=None the RBF kernel's width comes from the median "
            "heuristic)."
        )
    if kernel is None:
        valid = sorted(
            {p for names in _KERNEL_PARAMS_BESIDES_GAMMA.values() for p in names}
        )
        which = "any kernel"
    else:
        valid = list(_KERNEL_PARAMS_BESIDES_GAMMA[kernel])
        which = f"kernel={kernel!r}"
    unknown = sorted(set(params) - set(valid), key=str)
    if unknown:
        keys = ", ".join(repr(key) for key in unknown)
        plural = "s" if len(unknown) > 1 else ""
        takes = (
            f"its parameters besides gamma are {valid}"
            if valid
            else "it takes no parameters besides gamma"
        )
        raise ValueError(
            f"kernel_params has the unknown key{plural} {keys} for {which}, which "
            f"the kernel would silently ignore; {takes}."
        )
    for key, value in params.items():
        _check_kernel_value(key, value)
    if kernel == "poly" and params.get("coef0", 1) < 0:
        # (gamma x'y + coef0)^d with coef0 < 0 is not a kernel: KMM's QP is
        # then not convex and TCA's eigenproblem not a variance.
        raise ValueError(
            "kernel_params['coef0'] must be >= 0 for kernel='poly' (the "
            f"polynomial kernel is positive semi-definite only then); got "
            f"{params['coef0']!r}."
        )
    return params


def _check_kernel_value(key, value):
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not is_number or not np.isfinite(value):
        raise ValueError(
            f"kernel_params[{key!r}] must be a finite number; got {value!r}."
        )
    if key == "degree" and not (value >= 1 and float(value).is_integer()):
        raise ValueError(
            f"kernel_params['degree'] must be a positive integer (the polynomial "
            f"kernel is positive semi-definite only then); got {value!r}."
        )


def kernel_arguments(kernel_params, gamma, *, kernel=None):
    """Keyword arguments of a kernel: ``kernel_params`` plus the resolved ``gamma``.

    ``kernel_params`` is checked with :func:`check_kernel_params` first.

    Examples
    --------
    >>> from sktransfer._kernels import kernel_arguments
    >>> kernel_arguments({"degree": 2}, 0.5, kernel="poly")
    {'degree': 2, 'gamma': 0.5}
    >>> kernel_arguments(None, None)
    {}
    """
    arguments = check_kernel_params(kernel, kernel_params)
    if gamma is not None:
        arguments["gamma"] = gamma
    return arguments


def kernel_overflow_error(X, kernel, *, what="values"):
    """The error for kernel arithmetic that overflows float64 on ``X``.

    Parameters
    ----------
    X : {ndarray, sparse matrix}
        The rows whose kernel values (or distances) are not finite.
    kernel : str
        The kernel's name, for the message.
    what : str, default="values"
        What overflowed.

    Returns
    -------
    error : ValueError
        To raise; the message gives the features' largest absolute value and
        how to scale them.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer._kernels import kernel_overflow_error
    >>> str(kernel_overflow_error(np.array([[1e200]]), "rbf"))[:40]
    "The 'rbf' kernel's values overflow float"
    """
    largest = abs(X).max() if X.shape[0] and X.shape[1] else 0.0
    return ValueError(
        f"The {kernel!r} kernel's {what} overflow float64: the features reach "
        f"{float(largest):.3g} in absolute value. Scale them first, e.g. with "
        "sklearn.preprocessing.StandardScaler as the first step of "
        "make_transfer_pipeline(StandardScaler(), ...)."
    )


def check_feature_scale(X_source, X_target, kernel):
    """Refuse features whose distances and dot products overflow float64.

    Checked before the median heuristic and any kernel value, which would
    otherwise turn the overflow into NaN and a misleading message.
    """
    for X in (X_source, X_target):
        with np.errstate(over="ignore"):
            # |x - y|^2 <= 2 |x|^2 + 2 |y|^2 must be finite too.
            overflows = not np.isfinite(4 * row_norms(X, squared=True).max())
        if overflows:
            raise kernel_overflow_error(X, kernel, what="distances and dot products")


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
    sums = np.zeros(X.shape[0])
    block_sums = partial(
        _block_row_sums, Y=Y, kernel=kernel, block_rows=block_rows, params=params
    )
    for rows, block in _map_row_blocks(block_sums, X, block_rows, n_jobs):
        sums[rows] = block
    return sums


def _map_row_blocks(function, X, block_rows, n_jobs):
    """Yield ``(rows, function(X[rows]))`` over blocks of rows, run through joblib.

    Results are yielded as they are ready, so a caller that folds them into one
    array never holds every block at once.
    """
    batches = list(gen_batches(X.shape[0], block_rows))
    if len(batches) <= 1 or effective_n_jobs(n_jobs) == 1:
        # Nothing to share out: skip the dispatch overhead (tens of ms).
        yield from ((rows, function(X[rows])) for rows in batches)
        return
    # Each worker thread runs single-threaded BLAS: n_jobs threads in all, not
    # n_jobs times the BLAS threads on the same cores.
    with threadpool_limits(1, user_api="blas"):
        results = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(
            delayed(function)(X[rows]) for rows in batches
        )
        yield from zip(batches, results)


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


def nystroem_basis(landmarks, *, kernel="rbf", gamma=None, rtol=1e-10, **params):
    """Projection that turns kernel values against landmarks into Nystroem features.

    With ``K_mm = V diag(w) V'`` the kernel matrix of the landmarks, the
    projection is ``V / sqrt(w)`` restricted to the eigenvalues above
    ``rtol * max(w)``. Features ``phi(x) = k(x, landmarks) @ projection`` give
    ``phi(x) . phi(y) = k(x, L) K_mm^+ k(L, y)``, the Nystroem approximation of
    ``k(x, y)`` (Williams & Seeger 2001), exact when ``x`` or ``y`` is a landmark.
    Dropping the tiny eigenvalues keeps the features well conditioned; the
    number of columns kept is the numerical rank of ``K_mm``.

    Parameters
    ----------
    landmarks : {array-like, sparse matrix} of shape (n_landmarks, n_features)
    kernel : str, default="rbf"
        A positive semi-definite kernel of
        :func:`sklearn.metrics.pairwise.pairwise_kernels`.
    gamma : float, default=None
        Passed to kernels that take it (``None``: sklearn's default).
    rtol : float, default=1e-10
        Eigenvalues of ``K_mm`` below ``rtol`` times the largest are dropped.
    **params
        Other kernel parameters (``degree``, ``coef0``).

    Returns
    -------
    projection : ndarray of shape (n_landmarks, rank)

    Raises
    ------
    ValueError
        When the landmarks' kernel matrix is zero or not finite (overflow).

    References
    ----------
    .. [1] C. Williams and M. Seeger, "Using the Nystroem method to speed up
       kernel machines", NIPS 2001.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer._kernels import kernel_features, nystroem_basis
    >>> X = np.random.RandomState(0).normal(size=(5, 2))
    >>> projection = nystroem_basis(X, gamma=0.5)
    >>> features = kernel_features(X, X, projection, gamma=0.5)
    >>> from sklearn.metrics.pairwise import rbf_kernel
    >>> bool(np.allclose(features @ features.T, rbf_kernel(X, gamma=0.5)))
    True
    """
    if gamma is not None:
        params["gamma"] = gamma
    with np.errstate(over="ignore", invalid="ignore"):  # checked right after
        gram = pairwise_kernels(landmarks, metric=kernel, filter_params=True, **params)
    if not np.isfinite(gram).all():
        raise kernel_overflow_error(landmarks, kernel)
    eigenvalues, eigenvectors = np.linalg.eigh((gram + gram.T) / 2)
    if not eigenvalues[-1] > 0:
        raise ValueError(
            "The kernel matrix of the landmarks is zero: the kernel gives no "
            "features. Check the kernel and its parameters."
        )
    kept = eigenvalues > rtol * eigenvalues[-1]
    return eigenvectors[:, kept] / np.sqrt(eigenvalues[kept])


def kernel_features(
    X,
    landmarks,
    projection,
    *,
    kernel="rbf",
    gamma=None,
    sum_rows=False,
    block_rows=_BLOCK_ROWS,
    n_jobs=None,
    **params,
):
    """Nystroem features ``k(X, landmarks) @ projection``, block by block.

    Memory is the output (``n_samples x rank``) plus one block per worker;
    with ``sum_rows=True`` only the column sums are kept, so memory does not
    grow with ``n_samples``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    landmarks : {array-like, sparse matrix} of shape (n_landmarks, n_features)
    projection : ndarray of shape (n_landmarks, rank)
        From :func:`nystroem_basis` with the same landmarks and kernel.
    kernel, gamma, **params
        As in :func:`nystroem_basis`.
    sum_rows : bool, default=False
        Return the sum of the feature rows instead of the rows.
    block_rows : int, default=2048
        Rows of ``X`` per block.
    n_jobs : int, default=None
        Parallel jobs over blocks.

    Returns
    -------
    features : ndarray of shape (n_samples, rank), or (rank,) with ``sum_rows``

    Raises
    ------
    ValueError
        When the kernel values overflow float64 (features too large).
    """
    if gamma is not None:
        params["gamma"] = gamma
    block_features = partial(
        _block_features,
        landmarks=landmarks,
        projection=projection,
        kernel=kernel,
        params=params,
        sum_rows=sum_rows,
    )
    rank = projection.shape[1]
    out = np.zeros(rank) if sum_rows else np.empty((X.shape[0], rank))
    for rows, block in _map_row_blocks(block_features, X, block_rows, n_jobs):
        if sum_rows:
            out += block
        else:
            out[rows] = block
    if not np.isfinite(out).all():
        raise kernel_overflow_error(X, kernel)
    return out


def _block_features(X_block, landmarks, projection, kernel, params, sum_rows):
    # Overflow is checked on the output, with an error about the data.
    with np.errstate(over="ignore", invalid="ignore"):
        values = pairwise_kernels(
            X_block, landmarks, metric=kernel, filter_params=True, **params
        )
        features = np.asarray(values) @ projection
    return features.sum(axis=0) if sum_rows else features


def kernel_diagonal(X, *, kernel="rbf", gamma=None, degree=3, coef0=1, **params):
    """``k(x_i, x_i)`` for every row, in closed form (no kernel matrix).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    kernel : {"rbf", "laplacian", "cosine", "linear", "poly"}, default="rbf"
    gamma, degree, coef0
        As in :func:`sklearn.metrics.pairwise.pairwise_kernels` (``gamma=None``:
        ``1 / n_features`` for ``"poly"``).
    **params
        Ignored (other kernels' parameters).

    Returns
    -------
    diagonal : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer._kernels import kernel_diagonal
    >>> kernel_diagonal(np.array([[3.0, 4.0], [0.0, 0.0]]), kernel="linear")
    array([25.,  0.])
    """
    if kernel in ("rbf", "laplacian"):
        return np.ones(X.shape[0])
    norms = (
        np.asarray(X.multiply(X).sum(axis=1)).ravel()
        if sparse.issparse(X)
        else (np.einsum("ij,ij->i", X, X))
    )
    if kernel == "cosine":
        return (norms > 0).astype(float)
    if kernel == "linear":
        return norms
    if kernel == "poly":
        gamma = 1.0 / X.shape[1] if gamma is None else gamma
        return (gamma * norms + coef0) ** degree
    raise ValueError(f"No closed-form diagonal for kernel {kernel!r}.")
