"""Transfer component analysis (Pan et al. 2009, 2011): features shared by domains.

TCA looks for directions in a kernel's feature space along which the source and
the target rows have close means (a small maximum mean discrepancy) while the
rows keep their variance. With ``K`` the kernel matrix of all ``n`` rows,
``H = I - 1 1' / n`` the centring matrix and ``L = e e'``, where ``e_i = 1 / n_s``
on source rows and ``-1 / n_t`` on target rows (``w' K L K w`` is the squared
distance between the domains' means along ``K w``), the components ``W`` maximize

    tr( (W' (K L K + mu I) W)^-1  W' K H K W ),

whose solution is the ``k`` leading eigenvectors of the symmetric-definite
generalized eigenproblem

    K H K w = lambda (K L K + mu I) w.

A row ``x`` is embedded as ``k(x, X) W``, out of sample like any other.

Semi-supervised TCA (SSTCA, the journal paper) replaces the variance ``K H K``
by the dependence on labels ``K H K_y H K`` with ``K_y = (1 - gamma) I + gamma Y Y'``
(``Y`` codes the labels of the labeled rows, zero on the others), and adds a
locality term ``(lambda / n^2) K Lap K`` to the right side (``Lap`` the
Laplacian of the rows' k-nearest-neighbour graph).

Two solvers share that problem:

- ``"exact"``: with the full kernel matrix. The right side
  ``B = mu I + K L K (+ lambda K Lap K)`` is whitened (``B^-1/2`` in closed form,
  since ``K L K = v v'`` is of rank one, or by a Cholesky factor with the
  locality term) and the top eigenvectors of the whitened left side are found by
  Lanczos iterations (ARPACK), which need only products with ``K``: O(n^2) per
  iteration, and no O(n^3) factorization or product of ``n x n`` matrices.
- ``"fast"``: the kernel approximated by Nystroem features ``K ~ Phi Phi'`` of
  rank ``r``. Every solution lies in the span of ``Phi``, so the problem shrinks
  to an ``r x r`` generalized eigenproblem built from ``Phi' Phi`` and a few
  products of ``Phi`` with per-row vectors: O(n r^2) time, O(n r) memory.
"""

import logging
import numbers
import time
from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from .._domain import require_domains, resolve_sample_domain, unlabeled_mask
from .._kernels import (
    KERNEL_PARAMETERS,
    kernel_arguments,
    kernel_features,
    nystroem_basis,
    resolve_gamma,
)

logger = logging.getLogger(__name__)

# solver="auto" takes the exact path up to this many rows (both domains).
_AUTO_EXACT_MAX_ROWS = 5000
# The exact path holds the n x n kernel (3.2 GB at 20000 rows) and runs
# Lanczos iterations over it; beyond, use "fast".
_EXACT_MAX_ROWS = 20000
# Up to this many rows the exact path forms the whitened matrix and calls a
# dense eigensolver: simpler, and ARPACK wants k well below n.
_DENSE_MAX_ROWS = 500
# Rows below which the exact eigensolver runs with one BLAS thread.
_ONE_THREAD_MAX_ROWS = 2000
# Components whose eigenvalue is below this fraction of the largest carry no
# variance: the centred kernel matrix has lower rank than n_components.
_EIGENVALUE_RTOL = 1e-10

_TCA_PARAMETERS = {
    "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
    **KERNEL_PARAMETERS,
    "mu": [Interval(numbers.Real, 0, None, closed="neither")],
    "solver": [StrOptions({"auto", "exact", "fast"})],
    "n_landmarks": [Interval(numbers.Integral, 1, None, closed="left")],
    "n_jobs": [numbers.Integral, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


@dataclass
class _Problem:
    """The per-row data of the eigenproblem, whatever the solver.

    ``A = K H K_y H K`` with ``K_y = (1 - label_weight) I + label_weight Y Y'``
    and ``B = mu I + (K e)(K e)' + locality K Lap K`` (``locality`` here is the
    user's divided by ``n^2``).
    """

    contrast: np.ndarray  # e: 1/n_s on source rows, -1/n_t on target rows
    mu: float
    labels: np.ndarray | None = None  # Y, (n, c); zero rows where unlabeled
    label_weight: float = 0.0
    laplacian: sparse.csr_matrix | None = None
    locality: float = 0.0

    def centred_dependence(self, centred):
        """``H K_y`` applied to ``H G x`` (columns already centred)."""
        if self.labels is None or self.label_weight == 0:
            return centred
        out = (1 - self.label_weight) * centred + self.label_weight * (
            self.labels @ (self.labels.T @ centred)
        )
        return out - out.mean(axis=0)


def _domain_contrast(is_source):
    """``e``: ``1 / n_s`` on source rows, ``-1 / n_t`` on target rows.

    Without target rows it is zero: no discrepancy to reduce, and TCA keeps the
    rows' variance alone (the principal components of the rows' kernel values,
    ``K`` taken as features).
    """
    n_source, n_target = is_source.sum(), (~is_source).sum()
    if n_target == 0:
        return np.zeros(is_source.shape[0])
    return np.where(is_source, 1.0 / n_source, -1.0 / n_target)


def _choose_solver(solver, n_samples):
    if solver == "auto":
        return "exact" if n_samples <= _AUTO_EXACT_MAX_ROWS else "fast"
    if solver == "exact" and n_samples > _EXACT_MAX_ROWS:
        gib = 8 * n_samples**2 / 2**30
        raise ValueError(
            f"solver='exact' with {n_samples} rows needs the {n_samples} x "
            f"{n_samples} kernel matrix ({gib:.1f} GiB) and is limited to "
            f"{_EXACT_MAX_ROWS} rows. Use solver='fast' (or 'auto'), whose memory "
            "is linear in the rows; raise n_landmarks for a closer approximation."
        )
    return solver


def _landmarks(X, is_source, kernel, n_landmarks, rng):
    """The fast path's landmarks.

    For a linear kernel with at most ``n_landmarks`` features, the unit
    vectors of the feature space: then ``k(x, e_j) = x_j``, the Nystroem
    features are the rows themselves and the fast path is exact. Landmarks
    drawn from the rows could miss a rare feature (a word in a few documents)
    and with it a direction of the kernel.
    """
    n_features = X.shape[1]
    if kernel == "linear" and n_features <= n_landmarks:
        return np.eye(n_features)
    return X[_draw_landmarks(is_source, n_landmarks, rng)]


def _draw_landmarks(is_source, n_landmarks, rng):
    """Indices of landmark rows: half from each kind of domain where possible.

    A small target would otherwise get few landmarks, and the kernel
    approximation would be poorest where the embedding matters most.
    """
    source, target = np.flatnonzero(is_source), np.flatnonzero(~is_source)
    n_landmarks = min(n_landmarks, is_source.shape[0])
    from_target = min(target.shape[0], n_landmarks // 2)
    from_source = min(source.shape[0], n_landmarks - from_target)
    from_target = n_landmarks - from_source
    chosen = np.concatenate(
        [
            rng.choice(source, from_source, replace=False),
            rng.choice(target, from_target, replace=False),
        ]
    )
    return np.sort(chosen)


# -- exact path --------------------------------------------------------------------


class _RankOneWhitener:
    """``B^-1/2`` for ``B = mu I + v v'``, symmetric, in closed form.

    ``B^-1/2 = (I - c u u') / sqrt(mu)`` with ``u = v / |v|`` and
    ``c = 1 - (1 + |v|^2 / mu)^-1/2``.
    """

    def __init__(self, v, mu):
        norm2 = float(v @ v)
        self.u = v / np.sqrt(norm2) if norm2 > 0 else np.zeros_like(v)
        self.c = 1 - 1 / np.sqrt(1 + norm2 / mu)
        self.scale = 1 / np.sqrt(mu)

    def __call__(self, x):
        return self.scale * (x - self.c * np.multiply.outer(self.u, self.u @ x))

    transposed = __call__


class _CholeskyWhitener:
    """``R^-1`` and ``R^-T`` for ``B = R' R`` (upper Cholesky factor)."""

    def __init__(self, matrix):
        self.factor = linalg.cholesky(matrix)

    def __call__(self, x):
        return linalg.solve_triangular(self.factor, x)

    def transposed(self, x):
        return linalg.solve_triangular(self.factor, x, trans="T")


def _exact_whitener(gram, problem):
    v = gram @ problem.contrast
    if problem.laplacian is None or problem.locality == 0:
        return _RankOneWhitener(v, problem.mu)
    right = problem.locality * (gram @ (problem.laplacian @ gram))
    right = (right + right.T) / 2 + np.outer(v, v)
    right[np.diag_indices_from(right)] += problem.mu
    return _CholeskyWhitener(right)


def _top_eigenpairs(operator, n, n_components, rng):
    """Leading eigenpairs of the symmetric operator, largest first.

    Below ``_ONE_THREAD_MAX_ROWS`` rows with one BLAS thread: the Lanczos
    iterations are thousands of small matrix-vector products, which lose more
    to thread synchronisation on busy cores (up to 3x at 1000 rows) than
    they gain on idle ones; from 3000 rows on, two threads win on idle and
    busy cores alike (benchmarks/results/tca_blas_threads.md).
    """
    limits = 1 if n < _ONE_THREAD_MAX_ROWS else None
    with threadpool_limits(limits=limits, user_api="blas"):
        return _top_eigenpairs_of(operator, n, n_components, rng)


def _top_eigenpairs_of(operator, n, n_components, rng):
    if n <= _DENSE_MAX_ROWS or n_components > n // 4:
        matrix = operator(np.eye(n))
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


def _symmetrize_in_place(matrix, block_rows=2048):
    """``matrix <- (matrix + matrix') / 2`` a band of rows at a time.

    ``(K + K') / 2`` would hold a second ``n x n`` matrix: twice the exact
    path's memory at its peak.
    """
    for start in range(0, matrix.shape[0], block_rows):
        stop = min(start + block_rows, matrix.shape[0])
        mean = (matrix[start:stop, start:] + matrix[start:, start:stop].T) / 2
        matrix[start:stop, start:] = mean
        matrix[start:, start:stop] = mean.T


def _solve_exact(X, kernel, params, problem, n_components, rng, n_jobs):
    """Coefficients over the training rows, eigenvalues, training embedding."""
    gram = pairwise_kernels(
        X, metric=kernel, filter_params=True, n_jobs=n_jobs, **params
    )
    _symmetrize_in_place(gram)
    whitener = _exact_whitener(gram, problem)

    def whitened_left_side(x):
        projected = gram @ whitener(x)
        dependence = problem.centred_dependence(projected - projected.mean(axis=0))
        return whitener.transposed(gram @ dependence)

    values, vectors = _top_eigenpairs(whitened_left_side, X.shape[0], n_components, rng)
    coefficients = whitener(vectors)
    return coefficients, values, gram @ coefficients


# -- fast path ---------------------------------------------------------------------


def _solve_fast(X, is_source, kernel, params, problem, settings, rng):
    """Landmarks, coefficients over them, eigenvalues, training embedding, rank.

    With the features' Gram matrix ``Phi' Phi = V S^2 V'``, the solutions lie
    in the span of ``G = Phi V S`` (``K ~ G G'``-shaped: ``G = U S^2`` for the
    left singular vectors ``U`` of ``Phi``), where ``w = U a`` has ``|w| = |a|``
    and embeds the rows as ``G a``. The problem in ``a`` is ``r x r``, built
    from products of ``Phi`` with a few per-row vectors.
    """
    landmarks = _landmarks(X, is_source, kernel, settings["n_landmarks"], rng)
    projection = nystroem_basis(landmarks, kernel=kernel, **params)
    features = kernel_features(
        X, landmarks, projection, kernel=kernel, n_jobs=settings["n_jobs"], **params
    )
    squares, rotation = linalg.eigh(features.T @ features)
    kept = squares > _EIGENVALUE_RTOL * squares[-1]
    to_basis = rotation[:, kept] * np.sqrt(squares[kept])  # V S
    rank = int(kept.sum())
    if settings["n_components"] > rank:
        raise _rank_error(settings["n_components"], rank, kernel, fast=True)
    n = X.shape[0]
    basis_gram = squares[kept] ** 2  # G'G = S^4, diagonal
    basis_sums = to_basis.T @ features.sum(axis=0)  # G'1
    left = np.diag(basis_gram) - np.outer(basis_sums, basis_sums) / n  # (HG)'(HG)
    if problem.labels is not None and problem.label_weight > 0:
        labels = problem.labels
        label_cross = to_basis.T @ (features.T @ labels) - np.outer(
            basis_sums, labels.sum(axis=0) / n
        )  # G'HY
        left = (1 - problem.label_weight) * left + problem.label_weight * (
            label_cross @ label_cross.T
        )
    contrast = to_basis.T @ (features.T @ problem.contrast)  # G'e
    right = np.outer(contrast, contrast)
    if problem.laplacian is not None and problem.locality > 0:
        smooth = to_basis.T @ (features.T @ (problem.laplacian @ features)) @ to_basis
        right += problem.locality * smooth
    right[np.diag_indices_from(right)] += problem.mu
    values, vectors = linalg.eigh(
        (left + left.T) / 2,
        (right + right.T) / 2,
        subset_by_index=[rank - settings["n_components"], rank - 1],
    )
    values, vectors = values[::-1], vectors[:, ::-1]
    in_features = to_basis @ vectors
    return landmarks, projection @ in_features, values, features @ in_features, rank


# -- shared steps ------------------------------------------------------------------


def _rank_error(n_components, useful, kernel, fast):
    advice = (
        "a linear kernel's rank is at most n_features"
        if kernel == "linear"
        else "duplicate rows or a kernel width far from the data's scale lower it"
    )
    if fast:
        advice += "; on the fast path, so do too few landmarks (raise n_landmarks)"
    return ValueError(
        f"n_components={n_components}, but only {useful} components carry variance: "
        f"the centred kernel matrix has lower rank ({advice}). Set n_components <= "
        f"{useful}."
    )


def _knn_laplacian(X, n_neighbors):
    """Laplacian ``D - M`` of the symmetrized k-nearest-neighbour graph.

    ``M_ij = exp(-d_ij^2 / (2 sigma^2))`` when ``x_j`` is among the
    ``n_neighbors`` nearest rows of ``x_i`` or the reverse; ``sigma`` is the
    median distance to those neighbours.
    """
    n = X.shape[0]
    if n_neighbors >= n:
        raise ValueError(
            f"n_neighbors={n_neighbors} must be below the number of rows ({n}); "
            "lower it."
        )
    distances, neighbors = (
        NearestNeighbors(n_neighbors=n_neighbors + 1).fit(X).kneighbors(X)
    )
    # Each row comes back among its own neighbours (at distance 0, first unless
    # duplicates tie with it): keep the first n_neighbors other rows.
    others = neighbors != np.arange(n)[:, None]
    kept = others & (np.cumsum(others, axis=1) <= n_neighbors)
    rows = np.broadcast_to(np.arange(n)[:, None], neighbors.shape)[kept]
    cols, dist = neighbors[kept], distances[kept]
    sigma = np.median(dist)
    sigma = sigma if sigma > 0 else max(dist.max(), 1.0)
    affinity = sparse.csr_matrix(
        (np.exp(-(dist**2) / (2 * sigma**2)), (rows, cols)), shape=(n, n)
    )
    affinity = affinity.maximum(affinity.T)
    degrees = np.asarray(affinity.sum(axis=1)).ravel()
    return (sparse.diags(degrees) - affinity).tocsr()


def _standardized(coefficients, embedding):
    """Scale and sign the components: unit variance, largest entry positive.

    The embedding of the training rows gets mean 0 and variance 1 per
    component (the paper's constraint ``W' K H K W = I`` up to the factor
    ``n``, so the scale does not depend on the number of rows); the sign makes
    the largest absolute entry positive, so that fits are reproducible.
    """
    mean = embedding.mean(axis=0)
    scale = embedding.std(axis=0)
    scale[scale == 0] = 1.0
    largest = embedding[np.abs(embedding - mean).argmax(axis=0), np.arange(scale.size)]
    sign = np.where(largest - mean < 0, -1.0, 1.0)
    factor = sign / scale
    return coefficients * factor, mean * factor, (embedding - mean) * factor


class _BaseTransferComponents(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Fit, transform and tags shared by TCA and semi-supervised TCA."""

    __metadata_request__fit = {"sample_domain": True}
    _parameter_constraints = dict(_TCA_PARAMETERS)

    def _problem(self, X, y, contrast):
        return _Problem(contrast=contrast, mu=self.mu)

    def _fit_embedding(self, X, y, sample_domain):
        name = type(self).__name__
        X = validate_data(
            self, X, accept_sparse="csr", dtype=np.float64, ensure_min_samples=2
        )
        n_samples = X.shape[0]
        inferred = sample_domain is None
        sample_domain = resolve_sample_domain(y, sample_domain, n_samples)
        require_domains(sample_domain, source=True, method=name)
        if not inferred:
            require_domains(sample_domain, source=False, target=True, method=name)
        if self.n_components > n_samples - 1:
            raise ValueError(
                f"n_components={self.n_components} must be at most n_samples - 1 = "
                f"{n_samples - 1}: the centred kernel matrix of {n_samples} rows "
                "has no more components. Lower n_components."
            )
        solver = _choose_solver(self.solver, n_samples)
        if solver == "fast" and self.n_components > self.n_landmarks:
            raise ValueError(
                f"n_components={self.n_components} must be at most "
                f"n_landmarks={self.n_landmarks} on the fast path. Raise "
                "n_landmarks, or lower n_components."
            )
        is_source = sample_domain >= 0
        rng = check_random_state(self.random_state)
        gamma = resolve_gamma(self.kernel, self.gamma, X, random_state=rng)
        params = kernel_arguments(self.kernel_params, gamma)
        problem = self._problem(X, y, _domain_contrast(is_source))
        start = time.perf_counter()
        if solver == "exact":
            coefficients, values, embedding = _solve_exact(
                X, self.kernel, params, problem, self.n_components, rng, self.n_jobs
            )
            landmarks, rank = X, None
        else:
            settings = {
                "n_landmarks": self.n_landmarks,
                "n_components": self.n_components,
                "n_jobs": self.n_jobs,
            }
            landmarks, coefficients, values, embedding, rank = _solve_fast(
                X, is_source, self.kernel, params, problem, settings, rng
            )
        self._check_eigenvalues(values, rank)
        if self.verbose:
            logger.info(
                "%s: %d components of %d rows (%s solver) in %.2f s",
                name,
                self.n_components,
                n_samples,
                solver,
                time.perf_counter() - start,
            )
        self.coefficients_, self.mean_, embedding = _standardized(
            coefficients, embedding
        )
        self.landmarks_ = landmarks
        self.eigenvalues_ = values
        self.solver_ = solver
        self.gamma_ = gamma
        self.n_landmarks_ = landmarks.shape[0]
        self.rank_ = rank
        return embedding

    def _check_eigenvalues(self, values, rank):
        empty = ~(values > _EIGENVALUE_RTOL * max(values[0], 0))
        if empty.any():
            useful = int(np.argmax(empty))
            raise _rank_error(self.n_components, useful, self.kernel, rank is not None)

    def transform(self, X):
        """Embed rows out of sample, in their input order.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of any domain.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        embedded = kernel_features(
            X,
            self.landmarks_,
            self.coefficients_,
            kernel=self.kernel,
            n_jobs=self.n_jobs,
            **kernel_arguments(self.kernel_params, self.gamma_),
        )
        return embedded - self.mean_

    @property
    def _n_features_out(self):
        return self.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


_SHARED_PARAMETERS_DOC = """\
    n_components : int, default=10
        Number of transfer components (output features), at most
        ``n_samples - 1``.
    kernel : {"rbf", "laplacian", "linear", "poly", "cosine"}, default="rbf"
        A positive semi-definite kernel of
        :func:`sklearn.metrics.pairwise.pairwise_kernels`. ``"linear"`` on a
        sparse matrix (text) never densifies the rows.
    gamma : float, default=None
        Kernel coefficient. ``None`` with ``kernel="rbf"``: the median
        heuristic ``gamma = 1 / (2 sigma^2)`` with ``sigma`` the median
        distance between rows (at most 1000 rows drawn with
        ``random_state``); with the other kernels, sklearn's default.
    kernel_params : dict, default=None
        Other kernel parameters (``degree``, ``coef0``).
    mu : float, default=0.1
        Weight of ``tr(W'W)``, which keeps the components bounded; larger
        values favour variance over closeness of the domains. The papers'
        experiments use 0.1 (IJCAI 2009) and 1.
    solver : {"auto", "exact", "fast"}, default="auto"
        ``"exact"``: the full ``n x n`` kernel matrix, Lanczos iterations on
        the whitened problem; up to 20000 rows. ``"fast"``: a Nystroem
        approximation with ``n_landmarks`` landmarks, O(n n_landmarks)
        memory, for any size. ``"auto"``: exact up to 5000 rows, fast beyond.
    n_landmarks : int, default=500
        Landmark rows of the fast path, drawn with ``random_state``, half
        from the target rows where there are enough.
    n_jobs : int, default=None
        Parallel jobs over blocks of rows for kernel values (threads; a
        ``joblib.parallel_backend`` context such as Dask applies).
    random_state : int, RandomState instance or None, default=None
        Draws the rows of the median heuristic, the landmarks and ARPACK's
        start vector.
    verbose : int, default=0
        Log the solver and its time (logger ``sktransfer``) when positive."""

_SHARED_ATTRIBUTES_DOC = """\
    landmarks_ : {ndarray, sparse matrix} of shape (n_landmarks, n_features)
        Rows the kernel is evaluated against in ``transform``: every training
        row on the exact path, the landmarks on the fast path (for a linear
        kernel with at most ``n_landmarks`` features, the unit vectors of the
        feature space, which makes the fast path exact).
    coefficients_ : ndarray of shape (n_landmarks, n_components)
        Each component as a combination of kernel values against
        ``landmarks_``, scaled to unit variance over the training rows.
    mean_ : ndarray of shape (n_components,)
        Subtracted in ``transform``, so the training embedding has mean 0.
    eigenvalues_ : ndarray of shape (n_components,)
        Generalized eigenvalues of the components, largest first.
    solver_ : str
        ``"exact"`` or ``"fast"``.
    gamma_ : float or None
        The kernel coefficient used (``None``: sklearn's default).
    n_landmarks_ : int
        Rows in ``landmarks_``.
    rank_ : int or None
        Rank of the fast path's kernel approximation; None on the exact path.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has them."""


class TransferComponentAnalysis(_BaseTransferComponents):
    __doc__ = f"""Transfer component analysis: embed the domains, their means matched.

    TCA learns ``n_components`` directions in a kernel's feature space along
    which the source and target rows have close means (a small maximum mean
    discrepancy, MMD) while the rows keep their variance: the ``k`` leading
    eigenvectors ``W`` of the symmetric-definite generalized eigenproblem

        K H K w = lambda (K L K + mu I) w

    over all rows of both domains (``H`` centres, ``L = e e'`` with
    ``e_i = 1/n_s`` on source rows and ``-1/n_t`` on target rows). A row ``x``
    is embedded as ``k(x, X) W``, so any rows, of either domain or new, are
    transformed out of sample and in their input order. Labels are not used:
    fit on labeled source rows and unlabeled target rows, then train any
    estimator on the embedded source rows (see :func:`make_transfer_pipeline`).

    Rows follow the ``sample_domain`` convention (``>= 0`` source, ``< 0``
    target). Without ``sample_domain`` the target rows are those whose label
    is the unlabeled marker (``-1``, ``NaN`` for regression); without either,
    every row is source, there is no discrepancy to reduce, and TCA keeps
    variance alone (the principal components of the rows' kernel values).
    Several source (or target) domains are pooled.

    Parameters
    ----------
{_SHARED_PARAMETERS_DOC}

    Attributes
    ----------
{_SHARED_ATTRIBUTES_DOC}

    See Also
    --------
    SemiSupervisedTCA : Also keeps the dependence on source labels and locality.
    KernelMeanMatching : Instance transfer with the same discrepancy.

    Notes
    -----
    Peers compute the eigenvectors of the non-symmetric matrix
    ``(K L K + mu I)^-1 K H K``; this class solves the symmetric-definite
    problem instead, whitening ``K L K + mu I = mu I + v v'`` in closed form,
    so the exact path costs O(n^2) per Lanczos iteration and no ``n x n``
    inverse or product. The embedding of the training rows is scaled to
    unit variance per component: the paper's constraint ``W' K H K W = I``
    up to a factor ``n``.

    The fast path is checked against the exact one: with the default 500
    landmarks, on 1000 to 10000 rows of a synthetic shift, the largest
    principal angle between the two embeddings was 0.15-0.18 degrees and the
    downstream accuracy the same to 0.001; with every row a landmark the two
    agree to rounding (``benchmarks/results/tca_scale.md``).

    References
    ----------
    .. [1] S. J. Pan, I. W. Tsang, J. T. Kwok and Q. Yang, "Domain Adaptation
       via Transfer Component Analysis", IJCAI 2009.
    .. [2] S. J. Pan, I. W. Tsang, J. T. Kwok and Q. Yang, "Domain Adaptation
       via Transfer Component Analysis", IEEE Transactions on Neural Networks
       22(2), 2011.
    .. [3] C. Williams and M. Seeger, "Using the Nystroem method to speed up
       kernel machines", NIPS 2001.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import TransferComponentAnalysis, stack_domains
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(100, 5))
    >>> ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(0.5, 1.0, size=(80, 5))
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, None))
    >>> tca = TransferComponentAnalysis(n_components=3, random_state=0)
    >>> tca.fit_transform(X, sample_domain=sample_domain).shape
    (180, 3)
    >>> tca.transform(Xt[:4]).shape
    (4, 3)
    """

    def __init__(
        self,
        n_components=10,
        *,
        kernel="rbf",
        gamma=None,
        kernel_params=None,
        mu=0.1,
        solver="auto",
        n_landmarks=500,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.kernel = kernel
        self.gamma = gamma
        self.kernel_params = kernel_params
        self.mu = mu
        self.solver = solver
        self.n_landmarks = n_landmarks
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_domain=None):
        """Learn the transfer components from source and target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,), default=None
            Not used, except to find the target rows (unlabeled marker) when
            ``sample_domain`` is None.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target).

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._fit_embedding(X, y, sample_domain)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, sample_domain=None):
        """Fit, and return the embedding of the training rows in their order.

        Equal (to rounding) to ``fit(X, ...).transform(X)``.

        Parameters
        ----------
        X, y, sample_domain
            As in :meth:`fit`.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        return self._fit_embedding(X, y, sample_domain)


class SemiSupervisedTCA(_BaseTransferComponents):
    __doc__ = f"""Semi-supervised TCA: components that also follow labels and locality.

    SSTCA (the journal paper's extension of TCA) keeps TCA's small discrepancy
    between domains, and replaces the variance it maximizes by the dependence
    (HSIC) between the embedding and a kernel on labels, while a graph
    Laplacian keeps neighbouring rows close:

        K H K_y H K w = lambda (K (L + (locality / n^2) Lap) K + mu I) w,

    with ``K_y = (1 - label_weight) I + label_weight Y Y'``. ``Y`` codes the
    labels of the labeled rows (one-hot classes; a standardized column for a
    continuous target) and is zero on unlabeled rows; every labeled row,
    source or target, enters it. ``Lap`` is the Laplacian of the
    ``n_neighbors``-nearest-neighbour graph of all rows, with weights
    ``exp(-d^2 / (2 sigma^2))``, ``sigma`` the median neighbour distance.
    ``label_weight=0`` and ``locality=0`` give TCA.

    Parameters
    ----------
{_SHARED_PARAMETERS_DOC}
    label_weight : float in [0, 1], default=0.5
        ``gamma`` of the paper: the share of the label kernel in ``K_y``.
    locality : float, default=0.0
        ``lambda`` of the paper: weight of the locality term (0: none),
        divided by ``n^2`` as in the paper, so that a value carries over
        between data sets of different sizes. How large it must be to matter
        depends on the kernel's scale: on the Reuters tasks with the RBF
        kernel it changed the components from about 1e3 and dominated at 1e5
        (``benchmarks/results/tca_published.md``); compare a few values. It
        adds an ``n x n`` Cholesky factorization to the exact path.
    n_neighbors : int, default=5
        Neighbours per row in the locality graph.

    Attributes
    ----------
{_SHARED_ATTRIBUTES_DOC}

    See Also
    --------
    TransferComponentAnalysis : Without labels.

    References
    ----------
    .. [1] S. J. Pan, I. W. Tsang, J. T. Kwok and Q. Yang, "Domain Adaptation
       via Transfer Component Analysis", IEEE Transactions on Neural Networks
       22(2), 2011.
    .. [2] A. Gretton, O. Bousquet, A. Smola and B. Schoelkopf, "Measuring
       statistical dependence with Hilbert-Schmidt norms", ALT 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import SemiSupervisedTCA, stack_domains
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(100, 5))
    >>> ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(0.5, 1.0, size=(80, 5))
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, None))
    >>> sstca = SemiSupervisedTCA(n_components=3, locality=100.0, random_state=0)
    >>> sstca.fit_transform(X, y, sample_domain=sample_domain).shape
    (180, 3)
    """

    _parameter_constraints = {
        **_TCA_PARAMETERS,
        "label_weight": [Interval(numbers.Real, 0, 1, closed="both")],
        "locality": [Interval(numbers.Real, 0, None, closed="left")],
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components=10,
        *,
        kernel="rbf",
        gamma=None,
        kernel_params=None,
        mu=0.1,
        solver="auto",
        n_landmarks=500,
        label_weight=0.5,
        locality=0.0,
        n_neighbors=5,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.kernel = kernel
        self.gamma = gamma
        self.kernel_params = kernel_params
        self.mu = mu
        self.solver = solver
        self.n_landmarks = n_landmarks
        self.label_weight = label_weight
        self.locality = locality
        self.n_neighbors = n_neighbors
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _problem(self, X, y, contrast):
        laplacian = _knn_laplacian(X, self.n_neighbors) if self.locality > 0 else None
        return _Problem(
            contrast=contrast,
            mu=self.mu,
            labels=_label_coding(y),
            label_weight=self.label_weight,
            laplacian=laplacian,
            locality=self.locality / X.shape[0] ** 2,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_domain=None):
        """Learn the components from labeled and unlabeled rows of both domains.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Source and target rows.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` (classification) or ``NaN`` (regression) marks
            unlabeled rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target); inferred from the
            label masks when None.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._fit_embedding(X, _require_labels(y), sample_domain)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y, sample_domain=None):
        """Fit, and return the embedding of the training rows in their order.

        Parameters
        ----------
        X, y, sample_domain
            As in :meth:`fit`.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        return self._fit_embedding(X, _require_labels(y), sample_domain)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _require_labels(y):
    if y is None:
        raise ValueError(
            "SemiSupervisedTCA requires y to be passed, but the target y is None: "
            "the labels of the labeled rows shape the components. Without labels "
            "use TransferComponentAnalysis."
        )
    return y


def _label_coding(y):
    """``Y`` with ``K_y``'s label part ``Y Y'``: one-hot classes or a standardized
    continuous target on labeled rows, zero rows where unlabeled."""
    y = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    labeled = ~unlabeled_mask(y)
    if not labeled.any():
        raise ValueError(
            "SemiSupervisedTCA needs labeled rows; every label is the unlabeled "
            "marker. Without labels use TransferComponentAnalysis."
        )
    values = y[labeled]
    kind = type_of_target(values)
    coding = np.zeros((y.shape[0], 1 if y.ndim == 1 else y.shape[1]))
    if kind in ("binary", "multiclass"):
        classes, codes = np.unique(values, return_inverse=True)
        if classes.shape[0] < 2:
            raise ValueError(
                f"The labeled rows hold one class ({classes[0]!r}); the label "
                "dependence needs at least 2. Label rows of another class, or use "
                "TransferComponentAnalysis."
            )
        coding = np.zeros((y.shape[0], classes.shape[0]))
        coding[np.flatnonzero(labeled), codes] = 1.0
        return coding
    if kind in ("continuous", "continuous-multioutput"):
        values = values.astype(float).reshape(values.shape[0], -1)
        spread = values.std(axis=0)
        if np.any(spread == 0):
            raise ValueError(
                "The labeled rows' target is constant; the label dependence needs "
                "varying labels."
            )
        coding[labeled] = (values - values.mean(axis=0)) / spread
        return coding
    raise ValueError(
        f"Unknown label type {kind!r}: SemiSupervisedTCA codes binary, multiclass "
        "or continuous labels."
    )
