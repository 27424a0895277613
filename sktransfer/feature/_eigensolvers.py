"""Linear algebra of transfer component analysis: whiteners and eigensolvers.

TCA and semi-supervised TCA (:mod:`sktransfer.feature._tca`) reduce to the
symmetric-definite generalized eigenproblem

    K M K w = lambda (mu I + (K E)(K E)' + locality K Lap K) w,

where the estimator supplies the statistics -- the kernel matrix ``K`` (or
Nystroem features ``Phi`` with ``K ~ Phi Phi'``), the centred dependence
``M = H K_y H`` as an operator (or the label coding ``Y`` of ``K_y``), the
contrasts ``E`` of the maximum mean discrepancies (one column, the domains'
means, for TCA; one more per class for joint distribution adaptation), the
Laplacian ``Lap``
-- and this module solves it:

- with ``K`` itself (:func:`whitened_top_components`): the right side is
  whitened (``B^-1/2`` in closed form when it is ``mu I`` plus a low-rank
  term, a Cholesky factor otherwise) and the leading eigenvectors of the
  whitened left side come from a dense eigensolver or Lanczos iterations,
  which need only products with ``K``;
- with ``Phi`` (:func:`feature_space_basis`, :func:`reduced_top_components`):
  every solution lies in the span of ``Phi``, so the problem shrinks to
  ``r x r`` matrices built from ``Phi' Phi`` and a few products of ``Phi``
  with per-row vectors.

Non-finite intermediate values (float64 overflow of the inputs) raise
``FloatingPointError``, which the estimator turns into advice about the data.
"""

import numpy as np
from scipy import linalg
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh
from threadpoolctl import threadpool_limits

__all__ = [
    "EIGENVALUE_RTOL",
    "exact_matrices",
    "feature_space_basis",
    "reduced_top_components",
    "symmetrize_in_place",
    "top_eigenpairs",
    "whitened_top_components",
]

# Up to this many rows the exact path forms the whitened matrix and calls a
# dense eigensolver: simpler, and ARPACK wants k well below n.
_DENSE_MAX_ROWS = 500
# Rows below which the exact eigensolver runs with one BLAS thread.
_ONE_THREAD_MAX_ROWS = 2000
# Eigenvalues below this fraction of the largest carry no variance.
EIGENVALUE_RTOL = 1e-10


def _require_finite(*arrays):
    for array in arrays:
        if not np.isfinite(array).all():
            raise FloatingPointError(
                "The eigenproblem's matrices are not finite: float64 overflow."
            )


class _LowRankWhitener:
    """``B^-1/2`` for ``B = mu I + V V'``, symmetric, in closed form.

    With the thin singular value decomposition ``V = U S``,
    ``B^-1/2 = (I - U C U') / sqrt(mu)`` and
    ``C = I - (I + S^2 / mu)^-1/2``: O(n m^2) for ``m`` columns of ``V``
    (one for TCA's contrast, one per class more for JDA's).
    """

    def __init__(self, v, mu):
        _require_finite(v)
        basis, singular, _ = linalg.svd(v, full_matrices=False)
        kept = singular > 0
        self.u = basis[:, kept]
        self.c = 1 - 1 / np.sqrt(1 + singular[kept] ** 2 / mu)
        self.scale = 1 / np.sqrt(mu)

    def __call__(self, x):
        shrunk = self.u.T @ x
        shrunk *= self.c.reshape(-1, *([1] * (shrunk.ndim - 1)))
        return self.scale * (x - self.u @ shrunk)

    transposed = __call__


class _CholeskyWhitener:
    """``R^-1`` and ``R^-T`` for ``B = R' R`` (upper Cholesky factor)."""

    def __init__(self, matrix):
        _require_finite(matrix)
        self.factor = linalg.cholesky(matrix)

    def __call__(self, x):
        return linalg.solve_triangular(self.factor, x)

    def transposed(self, x):
        return linalg.solve_triangular(self.factor, x, trans="T")


def _whitener(gram, *, contrast, mu, laplacian, locality):
    """Whitener of ``B = mu I + (K E)(K E)' + locality K Lap K``.

    With the locality term, ``B`` is formed in place: at most three ``n x n``
    matrices (``K``, ``B`` and one temporary, then the Cholesky factor) are
    held at once, as :func:`exact_matrices` counts.
    """
    v = gram @ contrast
    if laplacian is None or locality == 0:
        return _LowRankWhitener(v, mu)
    right = gram @ (laplacian @ gram)
    right *= locality
    symmetrize_in_place(right)
    right += v @ v.T
    right[np.diag_indices_from(right)] += mu
    return _CholeskyWhitener(right)


def exact_matrices(*, locality=0.0):
    """How many ``n x n`` float64 matrices the exact path holds at its peak.

    The kernel matrix alone without a locality term (the whitener is in
    closed form and the Lanczos iterations hold ``n x k`` blocks); with it,
    also the right side and a temporary (its product, then the Cholesky
    factor).

    Parameters
    ----------
    locality : float, default=0.0
        Weight of the locality term.

    Returns
    -------
    count : int

    Examples
    --------
    >>> from sktransfer.feature._eigensolvers import exact_matrices
    >>> exact_matrices(), exact_matrices(locality=1.0)
    (1, 3)
    """
    return 3 if locality > 0 else 1


def top_eigenpairs(operator, *, n, n_components, rng):
    """Leading eigenpairs of a symmetric ``n x n`` operator, largest first.

    Up to 500 rows (or for more than ``n / 4`` components) the operator is
    applied to the identity and a dense eigensolver runs; beyond, ARPACK's
    Lanczos iterations, started from a vector drawn with ``rng``.

    Below 2000 rows with one BLAS thread: each of the Lanczos iterations
    (some 50-70 operator applications for 10 components) is a chain of small
    matrix products, which can lose more to thread synchronisation on busy
    cores than they gain on idle ones; from 5000 rows on, BLAS's threads win
    on idle and busy cores alike. The measurements behind the threshold are
    mixed below 3000 rows (benchmarks/results/tca_blas_threads.md): two
    threads solve faster on idle cores from 1000 rows, one thread often wins
    on busy ones, and the whole fit differs by less than 10 % on idle cores.

    Parameters
    ----------
    operator : callable
        ``x -> A x`` for a vector or a matrix of columns ``x``.
    n : int
        The operator's size.
    n_components : int
        Eigenpairs wanted.
    rng : numpy.random.RandomState
        Draws ARPACK's start vector.

    Returns
    -------
    values : ndarray of shape (n_components,)
        Eigenvalues, largest first.
    vectors : ndarray of shape (n, n_components)
        Orthonormal eigenvectors, in the same order.

    Raises
    ------
    ValueError
        When ARPACK does not converge.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.feature._eigensolvers import top_eigenpairs
    >>> matrix = np.diag([1.0, 3.0, 2.0])
    >>> values, vectors = top_eigenpairs(
    ...     lambda x: matrix @ x, n=3, n_components=2, rng=np.random.RandomState(0))
    >>> values
    array([3., 2.])
    """
    limits = 1 if n < _ONE_THREAD_MAX_ROWS else None
    with threadpool_limits(limits=limits, user_api="blas"):
        return _top_eigenpairs_of(operator, n, n_components, rng)


def _top_eigenpairs_of(operator, n, n_components, rng):
    if n <= _DENSE_MAX_ROWS or n_components > n // 4:
        matrix = operator(np.eye(n))
        _require_finite(matrix)
        values, vectors = linalg.eigh(
            (matrix + matrix.T) / 2, subset_by_index=[n - n_components, n - 1]
        )
    else:
        linear = LinearOperator((n, n), matvec=operator, matmat=operator, dtype=float)
        try:
            values, vectors = eigsh(
                linear, k=n_components, which="LA", v0=rng.uniform(-1, 1, n)
            )
        except ArpackNoConvergence as error:
            raise ValueError(
                f"The exact TCA eigensolver (ARPACK) did not converge: {error}. "
                "Lower n_components, raise mu, or use solver='fast'."
            ) from error
    order = np.argsort(values)[::-1]
    return values[order], vectors[:, order]


def symmetrize_in_place(matrix, *, block_rows=2048):
    """``matrix <- (matrix + matrix') / 2`` a band of rows at a time.

    ``(K + K') / 2`` would hold a second ``n x n`` matrix: twice the exact
    path's memory at its peak.

    Parameters
    ----------
    matrix : ndarray of shape (n, n)
        Modified in place.
    block_rows : int, default=2048
        Rows per band.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.feature._eigensolvers import symmetrize_in_place
    >>> matrix = np.array([[1.0, 2.0], [0.0, 1.0]])
    >>> symmetrize_in_place(matrix)
    >>> matrix
    array([[1., 1.],
           [1., 1.]])
    """
    for start in range(0, matrix.shape[0], block_rows):
        stop = min(start + block_rows, matrix.shape[0])
        mean = (matrix[start:stop, start:] + matrix[start:, start:stop].T) / 2
        matrix[start:stop, start:] = mean
        matrix[start:, start:stop] = mean.T


def whitened_top_components(
    gram,
    *,
    middle,
    contrast,
    mu,
    laplacian=None,
    locality=0.0,
    n_components,
    rng,
):
    """Leading solutions of TCA's eigenproblem with the full kernel matrix.

    Solves ``K M K w = lambda B w`` with ``B = mu I + (K E)(K E)' + locality
    K Lap K`` through the whitened symmetric problem ``B^-1/2 K M K B^-1/2``:
    O(n^2) per Lanczos iteration, no O(n^3) factorization unless the
    locality term is present.

    Parameters
    ----------
    gram : ndarray of shape (n, n)
        The symmetric kernel matrix ``K``.
    middle : callable
        ``Z -> M Z`` for a matrix of columns ``Z``: ``M = H K_y H`` (the
        centring ``H`` alone for TCA).
    contrast : ndarray of shape (n, m)
        ``E``: each column weighs the rows of one discrepancy between means
        (``M = E E'``).
    mu : float
        Weight of ``I`` on the right side, positive.
    laplacian : sparse matrix of shape (n, n), default=None
        ``Lap``, or None for no locality term.
    locality : float, default=0.0
        Its weight.
    n_components : int
        Components wanted.
    rng : numpy.random.RandomState
        Draws ARPACK's start vector.

    Returns
    -------
    coefficients : ndarray of shape (n, n_components)
        The solutions ``w``, ``B``-orthonormal.
    values : ndarray of shape (n_components,)
        Their eigenvalues, largest first.

    Raises
    ------
    FloatingPointError
        When the matrices are not finite (float64 overflow).
    """
    whitener = _whitener(
        gram, contrast=contrast, mu=mu, laplacian=laplacian, locality=locality
    )

    def whitened_left_side(x):
        return whitener.transposed(gram @ middle(gram @ whitener(x)))

    values, vectors = top_eigenpairs(
        whitened_left_side, n=gram.shape[0], n_components=n_components, rng=rng
    )
    _require_finite(values)
    return whitener(vectors), values


def feature_space_basis(features, *, rtol=EIGENVALUE_RTOL):
    """An orthogonal basis of the span of Nystroem features.

    With ``Phi' Phi = V S^2 V'``, the columns of ``G = Phi V S`` span what
    ``Phi`` spans (``G = U S^2`` for the left singular vectors ``U`` of
    ``Phi``), directions of singular values below ``sqrt(rtol)`` times the
    largest dropped.

    Parameters
    ----------
    features : ndarray of shape (n, r)
        ``Phi``.
    rtol : float, default=1e-10
        Squared singular values below ``rtol`` times the largest are dropped.

    Returns
    -------
    to_basis : ndarray of shape (r, rank)
        ``V S``: ``G = features @ to_basis``.
    basis_gram : ndarray of shape (rank,)
        The diagonal of ``G' G = S^4``.
    rank : int
        Directions kept.

    Raises
    ------
    FloatingPointError
        When ``Phi' Phi`` is not finite (float64 overflow).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.feature._eigensolvers import feature_space_basis
    >>> features = np.array([[1.0, 1.0], [2.0, 2.0], [0.0, 0.0]])
    >>> feature_space_basis(features)[2]
    1
    """
    cross = features.T @ features
    _require_finite(cross)
    squares, rotation = linalg.eigh(cross)
    kept = squares > rtol * squares[-1]
    to_basis = rotation[:, kept] * np.sqrt(squares[kept])  # V S
    return to_basis, squares[kept] ** 2, int(kept.sum())


def reduced_top_components(
    features,
    *,
    to_basis,
    basis_gram,
    contrast,
    mu,
    labels=None,
    label_weight=0.0,
    laplacian=None,
    locality=0.0,
    n_components,
    feature_sums=None,
):
    """Leading solutions of TCA's eigenproblem with ``K ~ Phi Phi'``.

    In the basis ``G = Phi to_basis`` of :func:`feature_space_basis`, a
    solution ``w = U a`` has ``|w| = |a|`` and embeds the rows as ``G a``;
    the problem in ``a`` is ``rank x rank``:
    ``(G'HG or (1 - g) G'HG + g (G'HY)(G'HY)') a = lambda ((G'E)(G'E)' +
    locality G' Lap G + mu I) a``, O(n r^2) to build.

    Parameters
    ----------
    features : ndarray of shape (n, r)
        ``Phi``.
    to_basis : ndarray of shape (r, rank)
        From :func:`feature_space_basis`.
    basis_gram : ndarray of shape (rank,)
        From :func:`feature_space_basis`.
    contrast : ndarray of shape (n, m)
        ``E``: each column weighs the rows of one discrepancy between means
        (``M = E E'``).
    mu : float
        Weight of ``I`` on the right side, positive.
    labels : ndarray of shape (n, c), default=None
        ``Y``, the label coding (zero rows where unlabeled), or None.
    label_weight : float, default=0.0
        ``g``: the share of the label kernel.
    laplacian : sparse matrix of shape (n, n), default=None
        ``Lap``, or None for no locality term.
    locality : float, default=0.0
        Its weight.
    n_components : int
        Components wanted, at most ``rank``.
    feature_sums : ndarray of shape (r,), default=None
        ``Phi' 1``, when the caller keeps it between solves (one pass over
        ``Phi`` fewer); computed when None.

    Returns
    -------
    values : ndarray of shape (n_components,)
        Eigenvalues, largest first.
    in_features : ndarray of shape (r, n_components)
        The solutions as combinations of the features' columns: the
        embedding of the rows is ``features @ in_features``.
    norms : ndarray of shape (n_components,)
        ``|a|``, which is ``|w|``: the norm of each solution as coefficients
        over the rows.

    Raises
    ------
    FloatingPointError
        When the reduced matrices are not finite (float64 overflow).
    """
    n, rank = features.shape[0], to_basis.shape[1]
    if feature_sums is None:
        feature_sums = features.sum(axis=0)
    basis_sums = to_basis.T @ feature_sums  # G'1
    left = np.diag(basis_gram) - np.outer(basis_sums, basis_sums) / n  # (HG)'(HG)
    if labels is not None and label_weight > 0:
        label_cross = to_basis.T @ (features.T @ labels) - np.outer(
            basis_sums, labels.sum(axis=0) / n
        )  # G'HY
        left = (1 - label_weight) * left + label_weight * (label_cross @ label_cross.T)
    projected_contrast = to_basis.T @ (features.T @ contrast)  # G'E
    right = projected_contrast @ projected_contrast.T
    if laplacian is not None and locality > 0:
        smooth = to_basis.T @ (features.T @ (laplacian @ features)) @ to_basis
        right += locality * smooth
    right[np.diag_indices_from(right)] += mu
    _require_finite(left, right)
    values, vectors = linalg.eigh(
        (left + left.T) / 2,
        (right + right.T) / 2,
        subset_by_index=[rank - n_components, rank - 1],
    )
    vectors = vectors[:, ::-1]
    return values[::-1], to_basis @ vectors, np.linalg.norm(vectors, axis=0)
