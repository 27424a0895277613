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
  since ``K L K = v v'`` is of rank one -- of rank ``1 + C`` with joint
  distribution adaptation's class terms (:mod:`._jda`) -- or by a Cholesky
  factor with the
  locality term) and the top eigenvectors of the whitened left side are found by
  Lanczos iterations (ARPACK), which need only products with ``K``: O(n^2) per
  iteration, and no O(n^3) factorization or product of ``n x n`` matrices.
- ``"fast"``: the kernel approximated by Nystroem features ``K ~ Phi Phi'`` of
  rank ``r``. Every solution lies in the span of ``Phi``, so the problem shrinks
  to an ``r x r`` generalized eigenproblem built from ``Phi' Phi`` and a few
  products of ``Phi`` with per-row vectors: O(n r^2) time, O(n r) memory.

This module computes the statistics (kernel values, landmarks, the domain
contrast ``e``, the centring and label kernel, the Laplacian) and checks the
data; the whiteners and eigensolvers are in :mod:`._eigensolvers`. The kernel
statistics are computed once per fit and the eigenproblem solved from them,
which lets joint distribution adaptation re-solve with new contrasts every
round at the cost of the eigenproblem alone.
"""

import logging
import numbers
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.base import ClassNamePrefixFeaturesOutMixin
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .._kernels import (
    KERNEL_PARAMETERS,
    check_kernel_params,
    kernel_arguments,
    kernel_features,
    kernel_overflow_error,
    nystroem_basis,
    resolve_gamma,
)
from ..base import BaseTransferTransformer, report_progress
from ..utils import _refuse_beyond_memory, _user_stacklevel
from ._eigensolvers import (
    EIGENVALUE_RTOL,
    exact_matrices,
    feature_space_basis,
    reduced_top_components,
    symmetrize_in_place,
    whitened_top_components,
)

logger = logging.getLogger(__name__)

# solver="auto" takes the exact path up to this many rows (both domains).
_AUTO_EXACT_MAX_ROWS = 5000
# The exact path holds the n x n kernel (3.2 GB at 20000 rows) and runs
# Lanczos iterations over it; beyond, use "fast". The same memory bounds the
# n_landmarks x n_landmarks kernel of the fast path's landmarks.
_EXACT_MAX_ROWS = 20000
_MAX_SQUARE_BYTES = 8 * _EXACT_MAX_ROWS**2
# A component whose spread over the training rows is below this fraction of
# its largest absolute value is constant to rounding: it carries no variance.
_FLAT_COMPONENT_RTOL = 1e-10
# Within-domain spread, relative to the embedding's largest spread, below
# which a domain's rows are embedded as one point.
_COLLAPSED_STD = 1e-8
# Features whose range is within a few rounding errors of their magnitude
# are constant.
_ROUNDING = 8 * np.finfo(np.float64).eps

_TCA_PARAMETERS = {
    "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
    **KERNEL_PARAMETERS,
    "mu": [Interval(numbers.Real, 0, None, closed="neither")],
    "scaling": [StrOptions({"unit_variance", "unit_norm"})],
    "solver": [StrOptions({"auto", "exact", "fast"})],
    "n_landmarks": [Interval(numbers.Integral, 1, None, closed="left")],
    "n_jobs": [numbers.Integral, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


@dataclass
class _Problem:
    """The statistics of the eigenproblem, whatever the solver.

    ``A = K H K_y H K`` with ``K_y = (1 - label_weight) I + label_weight Y Y'``
    and ``B = mu I + (K E)(K E)' + locality K Lap K`` (``locality`` here is the
    user's divided by ``n^2``).
    """

    contrast: np.ndarray  # E, (n, m): TCA's one column e (1/n_s, -1/n_t), JDA's more
    mu: float
    labels: np.ndarray | None = None  # Y, (n, c); zero rows where unlabeled
    label_weight: float = 0.0
    laplacian: sparse.csr_matrix | None = None
    locality: float = 0.0

    def middle(self, columns):
        """``H K_y H`` applied to a matrix of columns."""
        centred = columns - columns.mean(axis=0)
        if self.labels is None or self.label_weight == 0:
            return centred
        out = (1 - self.label_weight) * centred + self.label_weight * (
            self.labels @ (self.labels.T @ centred)
        )
        return out - out.mean(axis=0)


def _domain_contrast(is_source):
    """``e`` as one column: ``1 / n_s`` on source rows, ``-1 / n_t`` on target rows.

    Without target rows it is zero: no discrepancy to reduce, and TCA keeps the
    rows' variance alone (the principal components of the rows' kernel values,
    ``K`` taken as features).
    """
    n_source, n_target = is_source.sum(), (~is_source).sum()
    if n_target == 0:
        return np.zeros((is_source.shape[0], 1))
    return np.where(is_source, 1.0 / n_source, -1.0 / n_target)[:, None]


# -- memory ------------------------------------------------------------------------


def _choose_solver(solver, n_samples, *, locality, n_landmarks):
    """The path to take, refused before any allocation when it would not fit."""
    if solver == "auto":
        solver = "exact" if n_samples <= _AUTO_EXACT_MAX_ROWS else "fast"
    if solver == "exact":
        count = exact_matrices(locality=locality)
        matrices = (
            "the kernel matrix"
            if count == 1
            else f"{count} matrices (the kernel, the locality term, its factor)"
        )
        _refuse_beyond_memory(
            8 * count * n_samples**2,
            _MAX_SQUARE_BYTES,
            f"solver='exact' with {n_samples} rows holds {matrices} of {n_samples} "
            f"x {n_samples} values and",
            f"The exact path is limited to {_EXACT_MAX_ROWS} rows (fewer with the "
            "locality term). Use solver='fast' (or 'auto'), whose memory is linear "
            "in the rows; raise n_landmarks for a closer approximation.",
        )
        return solver
    n_used = min(n_landmarks, n_samples)
    _refuse_beyond_memory(
        8 * n_used**2,
        _MAX_SQUARE_BYTES,
        f"solver='fast' with n_landmarks={n_used} holds the {n_used} x {n_used} "
        "kernel matrix of the landmarks and",
        f"Lower n_landmarks (at most {_EXACT_MAX_ROWS}).",
    )
    _refuse_beyond_memory(
        2 * 8 * n_samples * n_used,
        np.inf,
        f"solver='fast' with {n_samples} rows and {n_used} landmarks holds "
        f"{n_samples} x {n_used} Nystroem features (twice, while they are formed) "
        "and",
        "Lower n_landmarks, or fit on a sample of the rows and transform the rest.",
    )
    return solver


# -- degenerate data -----------------------------------------------------------------


def _rows_identical(X, rows, block_rows=2048):
    """Whether ``X[rows]`` are one row repeated (to rounding), read in blocks."""
    low = high = None
    for batch in gen_batches(rows.shape[0], block_rows):
        part = X[rows[batch]]
        part_low, part_high = part.min(axis=0), part.max(axis=0)
        if sparse.issparse(part):
            part_low = part_low.toarray().ravel()
            part_high = part_high.toarray().ravel()
        low = part_low if low is None else np.minimum(low, part_low)
        high = part_high if high is None else np.maximum(high, part_high)
        if np.any(high - low > _ROUNDING * np.maximum(np.abs(low), np.abs(high))):
            return False
    return True


def _check_rows_vary(X, is_source, name):
    """Refuse rows that leave TCA nothing to learn.

    Every row the same (each feature constant): the centred kernel matrix is
    zero and every component would be zero. One distinct row per kind of
    domain: the only direction of variance separates the domains, and the
    embedding would say which domain a row is from and nothing else.
    """
    source, target = np.flatnonzero(is_source), np.flatnonzero(~is_source)
    if not _rows_identical(X, source):
        return
    if target.size and not _rows_identical(X, target):
        return  # the source rows collapse: warned after the fit
    if target.size == 0 or _rows_identical(X, np.r_[source[:1], target[:1]]):
        raise ValueError(
            f"{name} needs rows that differ, but every row of X is the same "
            "(each feature is constant), so the centred kernel matrix is zero and "
            "no component carries variance. Check how X was built (a selection "
            "of constant columns, a failed join, an imputation that filled "
            "everything)."
        )
    raise ValueError(
        f"{name} got one distinct row per kind of domain: the source rows are "
        "all the same row, and so are the target rows. The only direction in "
        "which the rows vary is the one separating the domains, which TCA is "
        "meant to remove; the embedding would tell the domains apart and nothing "
        "else. Give rows that vary within the domains."
    )


def _no_variance_error(name, kernel):
    return ValueError(
        f"No component of {name} carries variance: the centred kernel matrix is "
        "zero to rounding, so the rows are all alike in the kernel's feature "
        "space (with kernel='cosine', rows that are multiples of one another; "
        "with kernel='rbf', a gamma so small that every kernel value is 1). Check "
        f"the rows, or change the kernel (now {kernel!r}) or its parameters."
    )


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


def _check_domains_apart(embedding, is_source, name):
    """Refuse, or warn about, an embedding that collapses the source rows.

    When every component is constant over the source rows, a model trained on
    them has nothing to learn from; when it is constant over the target rows
    too, the embedding only says which domain a row is from.
    """
    tolerance = _COLLAPSED_STD * embedding.std(axis=0).max()
    if is_source.all() or embedding[is_source].std(axis=0).max() > tolerance:
        return
    if embedding[~is_source].std(axis=0).max() <= tolerance:
        raise ValueError(
            f"{name} embeds the source rows as one point and the target rows as "
            "another: the rows are (numerically) one distinct row per kind of "
            "domain, and the embedding tells the domains apart and nothing else. "
            "Give rows that vary within the domains."
        )
    warnings.warn(
        f"{name} embeds every source row at the same point (their rows are alike "
        "to rounding): an estimator trained on the embedded source rows has "
        "nothing to learn from. Check the source rows.",
        UserWarning,
        stacklevel=_user_stacklevel(),
    )


# -- landmarks -----------------------------------------------------------------------


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


# -- the two paths -------------------------------------------------------------------
#
# Each path computes its kernel statistics once (``_*_kernel``) and solves the
# eigenproblem from them (``_solve_*``), as often as the problem changes: joint
# distribution adaptation re-solves with new class contrasts every iteration.


@dataclass
class _ExactKernel:
    """The full kernel matrix of the training rows."""

    landmarks: object  # the training rows
    gram: np.ndarray
    rank = None


@dataclass
class _FastKernel:
    """Nystroem features against landmarks and an orthogonal basis of their span."""

    landmarks: object
    projection: np.ndarray  # landmarks' kernel values -> features
    features: np.ndarray  # Phi, (n, r)
    feature_sums: np.ndarray  # Phi' 1, kept for every solve
    to_basis: np.ndarray
    basis_gram: np.ndarray
    rank: int


@dataclass
class _Components:
    """A solution: coefficients over the landmarks, eigenvalues, the training
    rows' embedding, and the norm of each component's coefficients over the
    training rows (``|w|``, which the unit-norm scaling divides by)."""

    coefficients: np.ndarray
    values: np.ndarray
    embedding: np.ndarray
    norms: np.ndarray


def _exact_kernel(X, kernel, params, *, n_jobs):
    gram = pairwise_kernels(
        X, metric=kernel, filter_params=True, n_jobs=n_jobs, **params
    )
    if not np.isfinite(gram.sum()):
        raise kernel_overflow_error(X, kernel)
    symmetrize_in_place(gram)
    return _ExactKernel(landmarks=X, gram=gram)


def _fast_kernel(
    X, is_source, kernel, params, *, n_landmarks, n_components, rng, n_jobs
):
    """The kernel approximated by Nystroem features ``K ~ Phi Phi'``; the
    problem, restricted to the span of ``Phi``, is ``rank x rank``."""
    landmarks = _landmarks(X, is_source, kernel, n_landmarks, rng)
    projection = nystroem_basis(landmarks, kernel=kernel, **params)
    features = kernel_features(
        X, landmarks, projection, kernel=kernel, n_jobs=n_jobs, **params
    )
    to_basis, basis_gram, rank = feature_space_basis(features, rtol=EIGENVALUE_RTOL)
    if n_components > rank:
        raise _rank_error(n_components, rank, kernel, fast=True)
    return _FastKernel(
        landmarks,
        projection,
        features,
        features.sum(axis=0),
        to_basis,
        basis_gram,
        rank,
    )


def _solve_exact(state, problem, *, n_components, rng):
    coefficients, values = whitened_top_components(
        state.gram,
        middle=problem.middle,
        contrast=problem.contrast,
        mu=problem.mu,
        laplacian=problem.laplacian,
        locality=problem.locality,
        n_components=n_components,
        rng=rng,
    )
    return _Components(
        coefficients,
        values,
        state.gram @ coefficients,
        np.linalg.norm(coefficients, axis=0),
    )


def _solve_fast(state, problem, *, n_components):
    """:func:`~._eigensolvers.reduced_top_components` on the Nystroem features."""
    values, in_features, norms = reduced_top_components(
        state.features,
        to_basis=state.to_basis,
        basis_gram=state.basis_gram,
        contrast=problem.contrast,
        mu=problem.mu,
        labels=problem.labels,
        label_weight=problem.label_weight,
        laplacian=problem.laplacian,
        locality=problem.locality,
        n_components=n_components,
        feature_sums=state.feature_sums,
    )
    return _Components(
        state.projection @ in_features, values, state.features @ in_features, norms
    )


@contextmanager
def _overflow_advice(X, kernel):
    """Turn float64 overflow (numpy's warnings silenced) into one error about
    the data."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            yield
    except FloatingPointError as error:
        raise kernel_overflow_error(X, kernel) from error


# -- shared steps ------------------------------------------------------------------


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


def _standardized(components, scaling):
    """Centre, scale and sign the components; coefficients, mean, embedding.

    ``"unit_variance"``: the training rows' embedding gets variance 1 per
    component (the paper's constraint ``W' K H K W = I`` up to the factor
    ``n``, so the scale does not depend on the number of rows).
    ``"unit_norm"``: the coefficients over the training rows get ``|w| = 1``
    (the authors' code: unit-norm eigenvectors), so the components keep
    their spreads, the leading ones usually the widest. The sign makes the
    largest absolute entry of the embedding positive, so that fits are
    reproducible.
    """
    embedding = components.embedding
    mean = embedding.mean(axis=0)
    if scaling == "unit_variance":
        scale = embedding.std(axis=0)
    else:
        scale = components.norms.copy()
    scale[scale == 0] = 1.0
    largest = embedding[np.abs(embedding - mean).argmax(axis=0), np.arange(scale.size)]
    sign = np.where(largest - mean < 0, -1.0, 1.0)
    factor = sign / scale
    return components.coefficients * factor, mean * factor, (embedding - mean) * factor


class _BaseTransferComponents(ClassNamePrefixFeaturesOutMixin, BaseTransferTransformer):
    """Fit, transform and tags shared by TCA and semi-supervised TCA.

    ``fit`` is :class:`~sktransfer.base.BaseTransferTransformer`'s (one
    validation), ``_fit_transform`` computes the embedding of the training
    rows, which ``fit_transform`` returns without transforming them again.
    """

    _parameter_constraints = dict(_TCA_PARAMETERS)
    _domain_checks = {
        **BaseTransferTransformer._domain_checks,
        "multi_output": True,
        "accept_sparse": "csr",
        "dtype": np.float64,
        "ensure_min_samples": 2,
        "need_target": "if_given",
    }

    def _problem(self, data, contrast):
        return _Problem(contrast=contrast, mu=self.mu)

    def _locality(self):
        return 0.0

    def _fit(self, data):
        self._fit_transform(data)
        return self

    def _checked_solver(self, data):
        """The solver to use, once every check that needs no kernel value passed."""
        name = type(self).__name__
        solver = _choose_solver(
            self.solver,
            data.n_samples,
            locality=self._locality(),
            n_landmarks=self.n_landmarks,
        )
        self._check_n_components(data.n_samples, solver)
        check_kernel_params(self.kernel, self.kernel_params)
        _check_rows_vary(data.X, data.is_source, name)
        return solver

    def _fit_transform(self, data):
        name = type(self).__name__
        X, n_samples, is_source = data.X, data.n_samples, data.is_source
        solver = self._checked_solver(data)
        rng = check_random_state(self.random_state)
        gamma = resolve_gamma(self.kernel, self.gamma, X, random_state=rng)
        params = kernel_arguments(self.kernel_params, gamma, kernel=self.kernel)
        report_progress(
            logger,
            self.verbose,
            "%s: fitting %d components on %d rows (%d source, %d target) with the "
            "%s solver",
            name,
            self.n_components,
            n_samples,
            int(is_source.sum()),
            n_samples - int(is_source.sum()),
            solver,
        )
        start = time.perf_counter()
        state = self._kernel(data, solver, params, rng)
        embedding = self._embed(data, state, self._solve(data, state, rng))
        report_progress(
            logger,
            self.verbose,
            "%s: %d components of %d rows (%s solver) in %.2f s",
            name,
            self.n_components,
            n_samples,
            solver,
            time.perf_counter() - start,
        )
        self.solver_ = solver
        self.gamma_ = gamma
        return embedding

    def _solve(self, data, state, rng):
        """The components of this estimator's problem (joint distribution
        adaptation overrides it with its iterations)."""
        problem = self._problem(data, _domain_contrast(data.is_source))
        return self._components(data, state, problem, rng)

    def _kernel(self, data, solver, params, rng):
        """The kernel statistics of the chosen path, computed once per fit."""
        with _overflow_advice(data.X, self.kernel):
            if solver == "exact":
                return _exact_kernel(data.X, self.kernel, params, n_jobs=self.n_jobs)
            return _fast_kernel(
                data.X,
                data.is_source,
                self.kernel,
                params,
                n_landmarks=self.n_landmarks,
                n_components=self.n_components,
                rng=rng,
                n_jobs=self.n_jobs,
            )

    def _components(self, data, state, problem, rng):
        """Solve ``problem`` on the kernel statistics ``state``; refuse
        components that carry no variance."""
        with _overflow_advice(data.X, self.kernel):
            if isinstance(state, _ExactKernel):
                components = _solve_exact(
                    state, problem, n_components=self.n_components, rng=rng
                )
            else:
                components = _solve_fast(state, problem, n_components=self.n_components)
            finite = np.isfinite(components.coefficients).all()
            if not (finite and np.isfinite(components.embedding).all()):
                raise FloatingPointError("non-finite components")
        self._check_components(components.values, components.embedding, state.rank)
        return components

    def _embed(self, data, state, components):
        """Store the scaled components; the training rows' embedding."""
        coefficients, mean, embedding = _standardized(components, self.scaling)
        _check_domains_apart(embedding, data.is_source, type(self).__name__)
        self.coefficients_, self.mean_ = coefficients, mean
        self.landmarks_ = state.landmarks
        self.eigenvalues_ = components.values
        self.n_landmarks_ = state.landmarks.shape[0]
        self.rank_ = state.rank
        return embedding

    def _check_n_components(self, n_samples, solver):
        if self.n_components > n_samples - 1:
            raise ValueError(
                f"n_components={self.n_components} must be at most n_samples - 1 = "
                f"{n_samples - 1}: the centred kernel matrix of {n_samples} rows "
                "has no more components. Lower n_components."
            )
        if solver == "fast" and self.n_components > self.n_landmarks:
            raise ValueError(
                f"n_components={self.n_components} must be at most "
                f"n_landmarks={self.n_landmarks} on the fast path. Raise "
                "n_landmarks, or lower n_components."
            )

    def _check_components(self, values, embedding, rank):
        """Refuse components that carry no variance (the rank is too low).

        The eigenvalues say it relative to the largest; the embedding says it
        when every eigenvalue is rounding noise (a zero centred kernel, where
        the relative test alone would pass).
        """
        spread = embedding.std(axis=0)
        flat = ~(spread > _FLAT_COMPONENT_RTOL * np.abs(embedding).max(axis=0))
        empty = flat | ~(values > EIGENVALUE_RTOL * max(values[0], 0))
        if not empty.any():
            return
        useful = int(np.argmax(empty))
        if useful == 0:
            raise _no_variance_error(type(self).__name__, self.kernel)
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
            The embedded rows.

        Raises
        ------
        ValueError
            For NaN or infinite values, a feature count other than in ``fit``,
            or kernel values that overflow float64.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        embedded = kernel_features(
            X,
            self.landmarks_,
            self.coefficients_,
            kernel=self.kernel,
            n_jobs=self.n_jobs,
            **kernel_arguments(self.kernel_params, self.gamma_, kernel=self.kernel),
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
        Other kernel parameters: ``degree`` (a positive integer) and
        ``coef0`` of ``"poly"``. A key the kernel does not take raises a
        ValueError (``gamma`` is a parameter of its own).
    mu : float, default=0.1
        Weight of ``tr(W'W)``, which keeps the components bounded; larger
        values favour variance over closeness of the domains. The papers'
        experiments use 0.1 (IJCAI 2009) and 1.
    scaling : {"unit_norm", "unit_variance"}, default="unit_norm"
        The scale of each component, which the papers' problem leaves free.
        ``"unit_norm"``: the coefficients over the training rows have unit
        norm, as in the authors' code, so components keep their own spread
        (the leading ones usually wider). ``"unit_variance"``: the training
        embedding has variance 1 per component (the constraint
        ``W' K H K W = I`` up to the factor ``n``), every component alike.
        The default is chosen by measurement against the published tables:
        on Office-Caltech SURF (linear kernel, 100 components,
        1-nearest-neighbour) unit-norm reproduces the published TCA row task
        by task (mean 43.61) where unit variance averages 30.26, the many weak
        components drowning the strong ones in the distances
        (``benchmarks/results/office_caltech.md``); on the Reuters, WiFi and
        Amazon protocols of ``benchmarks/results/tca_published.md`` it ties or
        does slightly better (Amazon RBF 0.785 against 0.782, Reuters
        orgs_vs_places RBF 10 dims 0.686 against 0.667). A standardising step
        after the embedding makes the two the same.
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
        When positive, report the fit's size, solver and time: on stderr, or
        to the ``sktransfer`` logger when logging is configured to show it."""

_SHARED_ATTRIBUTES_DOC = """\
    landmarks_ : {ndarray, sparse matrix} of shape (n_landmarks, n_features)
        Rows the kernel is evaluated against in ``transform``: every training
        row on the exact path, the landmarks on the fast path (for a linear
        kernel with at most ``n_landmarks`` features, the unit vectors of the
        feature space, which makes the fast path exact).
    coefficients_ : ndarray of shape (n_landmarks, n_components)
        Each component as a combination of kernel values against
        ``landmarks_``, scaled as ``scaling`` says.
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


_DATA_CHECKS_DOC = """\
    ``fit`` refuses (ValueError) data that leaves nothing to learn: every row
    the same (each feature constant; the embedding would be all zeros), one
    distinct row per kind of domain, exactly or to rounding (the embedding
    would only tell the domains apart), kernel values that are constant to
    rounding (``kernel="cosine"`` on rows that are multiples of one
    another), kernel arithmetic that overflows float64 (scale the features),
    and NaN or infinite values. It warns (UserWarning) when only the source
    rows are embedded at one point: the target embedding is valid, but an
    estimator trained on the embedded source rows learns nothing. Before any
    ``n x n`` allocation it estimates the memory and refuses beyond the exact
    path's limit (20000 rows without the locality term) or the machine's
    memory."""


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
    inverse or product. The embedding of the training rows is scaled as
    ``scaling`` says: unit-norm coefficients (the authors' code, whose
    published Office-Caltech row it reproduces on all 12 tasks) or unit
    variance per component (the paper's constraint ``W' K H K W = I`` up to
    a factor ``n``).

    The fast path is checked against the exact one: with the default 500
    landmarks, on 1000 to 10000 rows of a synthetic shift, the largest
    principal angle between the two embeddings was 0.15-0.18 degrees and the
    downstream accuracy the same to 0.001; with every row a landmark the two
    agree to rounding (``benchmarks/results/tca_scale.md``).

{_DATA_CHECKS_DOC}

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
        scaling="unit_norm",
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
        self.scaling = scaling
        self.solver = solver
        self.n_landmarks = n_landmarks
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose


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

    Notes
    -----
{_DATA_CHECKS_DOC}

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

    _domain_checks = {**_BaseTransferComponents._domain_checks, "y_required": True}
    _parameter_constraints = {
        **_BaseTransferComponents._parameter_constraints,
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
        scaling="unit_norm",
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
        self.scaling = scaling
        self.solver = solver
        self.n_landmarks = n_landmarks
        self.label_weight = label_weight
        self.locality = locality
        self.n_neighbors = n_neighbors
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _problem(self, data, contrast):
        laplacian = (
            _knn_laplacian(data.X, self.n_neighbors) if self.locality > 0 else None
        )
        return _Problem(
            contrast=contrast,
            mu=self.mu,
            labels=_label_coding(data.y, data.labeled),
            label_weight=self.label_weight,
            laplacian=laplacian,
            locality=self.locality / data.n_samples**2,
        )

    def _locality(self):
        return self.locality

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
        return super().fit(X, y, sample_domain)


def _label_coding(y, labeled):
    """``Y`` with ``K_y``'s label part ``Y Y'``: one-hot classes or a standardized
    continuous target on labeled rows, zero rows where unlabeled (the source
    rows, at least, are labeled)."""
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
