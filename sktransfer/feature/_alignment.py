"""Linear alignment of the domains: CORAL and subspace alignment.

Both are fitted on the rows of both domains without labels and move the
source rows towards the target, so that an estimator trained on the moved
source rows applies to the target rows as they are:

- **CORAL** (Sun, Feng & Saenko 2016) whitens the source with its own
  covariance and recolours it with the target's:
  ``x A`` with ``A = C_s^-1/2 C_t^1/2``, ``C = cov + reg I``. The moved source
  rows have the target's (regularised) second moments, ``A' C_s A = C_t``;
  target rows stay in the input space.
- **Subspace alignment** (Fernando, Habrard, Sebban & Tuytelaars 2013) takes
  the ``n_components`` leading principal directions of each domain (``P_s``,
  ``P_t``), aligns the source basis to the target's with
  ``M = P_s' P_t`` (the least-squares solution of ``min |P_s M - P_t|_F``),
  and embeds source rows as ``(x - m_s) P_s M`` and target rows as
  ``(x - m_t) P_t``.

``transform(X, sample_domain)`` moves the rows marked source
(``sample_domain >= 0``) and maps target rows as target rows; without
``sample_domain`` every row is a target row (the convention's default at
prediction time), which is what a fitted transfer pipeline sends when it
predicts.
"""

import numbers
import warnings

import numpy as np
from scipy import sparse
from sklearn.base import ClassNamePrefixFeaturesOutMixin, OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._domain import check_domain_data
from ..base import BaseTransferTransformer
from ..utils import _refuse_beyond_memory, _user_stacklevel

# SubspaceAlignment(n_components=None): this many, or fewer when the data
# have fewer features or rows.
DEFAULT_SUBSPACE_DIMENSION = 10


def _covariance(X):
    """The covariance of the rows of ``X`` (dense or CSR) without densifying
    ``X``: ``(X'X - n m m') / (n - 1)``, and the mean ``m``."""
    n = X.shape[0]
    mean = np.asarray(X.mean(axis=0)).ravel()
    gram = X.T @ X
    gram = gram.toarray() if sparse.issparse(gram) else np.asarray(gram)
    covariance = (gram - n * np.outer(mean, mean)) / max(n - 1, 1)
    return (covariance + covariance.T) / 2, mean


def _symmetric_power(matrix, power, name):
    """``matrix ** power`` of a symmetric positive-definite matrix."""
    eigenvalues, vectors = np.linalg.eigh(matrix)
    smallest = eigenvalues.min()
    if not smallest > 1e-12 * max(eigenvalues.max(), 1.0):
        raise ValueError(
            f"The regularised {name} covariance is not positive definite "
            f"(smallest eigenvalue {smallest:.3g}): a feature is constant or "
            "features are collinear in that domain. Raise reg (it is added to "
            "the diagonal of both covariances), or drop the redundant features."
        )
    return (vectors * eigenvalues**power) @ vectors.T


def _refuse_large_square(n_features, name):
    _refuse_beyond_memory(
        4 * 8 * n_features**2,
        np.inf,
        f"{name} with {n_features} features holds several {n_features} x "
        f"{n_features} matrices and",
        "Reduce the features first (e.g. TruncatedSVD or feature selection).",
    )


class _BaseAlignment(BaseTransferTransformer):
    """Fit on both domains; transform source rows one way, target rows another."""

    _domain_checks = {
        "y_required": False,
        "accept_sparse": "csr",
        "dtype": np.float64,
        "need_target": "if_given",
    }

    def _fit_transform(self, data):
        self._fit(data)
        return self._map(data.X, data.is_source)

    def transform(self, X, sample_domain=None):
        """Map rows: source rows are moved, target rows kept as target rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of any domain.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain ids (``>= 0`` source, ``< 0`` target). None: every row is
            a target row, as when a fitted transfer pipeline predicts.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The mapped rows, in their input order.
        """
        check_is_fitted(self)
        if sample_domain is None:
            X = validate_data(
                self, X, accept_sparse="csr", dtype=np.float64, reset=False
            )
            return self._map(X, np.zeros(X.shape[0], dtype=bool))
        data = check_domain_data(
            self,
            X,
            None,
            sample_domain,
            y_required=False,
            reset=False,
            need_source=False,
            accept_sparse="csr",
            dtype=np.float64,
        )
        return self._map(data.X, data.is_source)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class CORAL(OneToOneFeatureMixin, _BaseAlignment):
    """Correlation alignment: recolour the source rows with the target's covariance.

    CORAL (Sun, Feng & Saenko 2016) removes the difference between the
    domains' second-order statistics: source rows ``x`` become ``x A`` with
    ``A = C_s^-1/2 C_t^1/2``, where ``C_s`` and ``C_t`` are the source and
    target covariances plus ``reg`` on the diagonal, so that the moved source
    rows have the target's regularised covariance (``A' C_s A = C_t``).
    Target rows are left as they are. An estimator fitted on the moved source
    rows (in a :func:`~sktransfer.make_transfer_pipeline`, after this step)
    then predicts target rows directly. No labels are used.

    As in the paper the rows are not centred: a difference of the domains'
    means is not corrected. Standardise the features first (a
    :class:`~sklearn.preprocessing.StandardScaler` before CORAL).

    Rows follow the ``sample_domain`` convention: ``sample_domain >= 0``
    source, ``< 0`` target. Without target rows (or without source rows)
    ``A`` is the identity.

    Parameters
    ----------
    reg : float, default=1.0
        Added to the diagonal of both covariances: 1 as in the paper (on
        standardised features); smaller values align more closely and need
        non-degenerate covariances.

    Attributes
    ----------
    alignment_ : ndarray of shape (n_features, n_features)
        ``A``: a source row ``x`` is mapped to ``x A``.
    source_covariance_ : ndarray of shape (n_features, n_features) or None
        ``C_s`` (the regulariser included); None without source or target rows.
    target_covariance_ : ndarray of shape (n_features, n_features) or None
        ``C_t`` (the regulariser included); None without source or target rows.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has them.

    See Also
    --------
    SubspaceAlignment : Aligns the domains' principal subspaces instead.
    TransferComponentAnalysis : A shared kernel embedding.

    Notes
    -----
    Memory is ``O(n_features^2)`` beside the rows: sparse input is not
    densified (its covariance is ``X'X / n`` minus the outer product of the
    means), but the mapped rows are dense. More than a few thousand features
    are refused beyond the machine's memory.

    References
    ----------
    .. [1] B. Sun, J. Feng and K. Saenko, "Return of Frustratingly Easy Domain
       Adaptation", AAAI 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.feature import CORAL
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(500, 2)) * [1.0, 3.0]
    >>> Xt = rng.normal(size=(400, 2)) * [2.0, 0.5]
    >>> X, y, sample_domain = stack_domains(
    ...     source=(Xs, np.zeros(500)), target=(Xt, None)
    ... )
    >>> moved = CORAL(reg=1e-3).fit_transform(X, sample_domain=sample_domain)
    >>> np.round(moved[:500].std(axis=0), 1)
    array([2. , 0.5])
    """

    _parameter_constraints = {
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(self, reg=1.0):
        self.reg = reg

    def _fit(self, data):
        n_features = data.X.shape[1]
        has_both = data.is_source.any() and data.is_target.any()
        if not has_both:
            self.alignment_ = np.eye(n_features)
            self.source_covariance_ = self.target_covariance_ = None
            return self
        _refuse_large_square(n_features, "CORAL")
        ridge = self.reg * np.eye(n_features)
        source, _ = _covariance(data.X[data.is_source])
        target, _ = _covariance(data.X[data.is_target])
        self.source_covariance_ = source + ridge
        self.target_covariance_ = target + ridge
        whiten = _symmetric_power(self.source_covariance_, -0.5, "source")
        recolour = _symmetric_power(self.target_covariance_, 0.5, "target")
        self.alignment_ = whiten @ recolour
        return self

    def _map(self, X, is_source):
        if sparse.issparse(X):
            _refuse_beyond_memory(
                8 * X.shape[0] * X.shape[1],
                np.inf,
                f"CORAL's output for {X.shape[0]} sparse rows of {X.shape[1]} "
                "features is dense and",
                "Transform the rows in batches, or reduce the features first.",
            )
            X = X.toarray()
        else:
            X = np.array(X, dtype=float)
        X[is_source] = X[is_source] @ self.alignment_
        return X


class SubspaceAlignment(ClassNamePrefixFeaturesOutMixin, _BaseAlignment):
    """Align the source's principal subspace with the target's.

    Subspace alignment (Fernando et al. 2013) computes the ``n_components``
    leading principal directions of each domain, ``P_s`` and ``P_t``
    (``n_features x n_components``, orthonormal columns), and the alignment
    ``M = P_s' P_t``, which minimises ``|P_s M - P_t|_F``. Source rows are
    embedded as ``(x - m_s) P_s M`` and target rows as ``(x - m_t) P_t``, with
    ``m_s`` and ``m_t`` the domains' means: both land in the target's
    principal coordinates, where an estimator fitted on the source rows
    predicts the target rows. No labels are used.

    Rows follow the ``sample_domain`` convention: ``sample_domain >= 0``
    source, ``< 0`` target. Without target rows the target's subspace is the
    source's (``M`` the identity); without source rows, the other way round.

    Parameters
    ----------
    n_components : int, "bound" or None, default=None
        The subspaces' dimension, at most the number of features and the
        rows of the smaller domain. None: 10, or fewer when the data have
        fewer. ``"bound"``: the largest dimension the paper's stability
        bound allows (below); the paper then picks a dimension up to it by
        cross-validation, which a ``GridSearchCV`` over integers does. The
        resolved value is ``n_components_``.
    bound_confidence : float in (0, 1), default=0.1
        ``delta`` of the bound: it holds with probability ``1 - delta``.
        Used with ``n_components="bound"`` only.
    bound_tolerance : float, default=1e5
        ``gamma`` of the bound: the deviation of the estimated alignment
        from the true one it tolerates. The bound's constants are loose, so
        only large values admit more than a few dimensions; compare a few.
        Used with ``n_components="bound"`` only.

    Attributes
    ----------
    n_components_ : int
        The subspaces' dimension used.
    eigenvalues_ : tuple of two ndarrays
        The source's and the target's covariance eigenvalues, largest first,
        as many as the data give: what the bound compares.
    source_components_ : ndarray of shape (n_features, n_components)
        ``P_s``, the source's principal directions (columns).
    target_components_ : ndarray of shape (n_features, n_components)
        ``P_t``, the target's.
    alignment_ : ndarray of shape (n_components, n_components)
        ``M = P_s' P_t``.
    source_mean_ : ndarray of shape (n_features,)
        ``m_s``.
    target_mean_ : ndarray of shape (n_features,)
        ``m_t``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when ``X`` has them.

    See Also
    --------
    CORAL : Matches the domains' covariances in the input space.
    TransferComponentAnalysis : A shared kernel embedding.

    Notes
    -----
    The bound (Fernando et al. 2013, their theorem on the stability of the
    alignment): with ``n_min`` rows in the smaller domain, ``B`` the largest
    norm of a centred row, ``lambda_d`` the smaller of the two domains'
    ``d``-th covariance eigenvalues, the alignment of dimension ``d`` is
    within ``gamma`` of its limit with probability ``1 - delta`` when

        lambda_d - lambda_{d+1} >= (1 + sqrt(ln(2 / delta) / 2))
        16 d^(3/2) B / (gamma sqrt(n_min)),

    and ``n_components="bound"`` takes the largest such ``d``. When no
    dimension passes, it warns and uses 1.

    References
    ----------
    .. [1] B. Fernando, A. Habrard, M. Sebban and T. Tuytelaars, "Unsupervised
       Visual Domain Adaptation Using Subspace Alignment", ICCV 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.feature import SubspaceAlignment
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(300, 5))
    >>> Xt = rng.normal(size=(200, 5)) @ np.diag([3, 2, 1, 0.5, 0.1])
    >>> X, y, sample_domain = stack_domains(
    ...     source=(Xs, np.zeros(300)), target=(Xt, None)
    ... )
    >>> sa = SubspaceAlignment(n_components=2).fit(X, sample_domain=sample_domain)
    >>> sa.transform(Xt).shape
    (200, 2)
    """

    _parameter_constraints = {
        "n_components": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"bound"}),
            None,
        ],
        "bound_confidence": [Interval(numbers.Real, 0, 1, closed="neither")],
        "bound_tolerance": [Interval(numbers.Real, 0, None, closed="neither")],
    }

    def __init__(self, n_components=None, *, bound_confidence=0.1, bound_tolerance=1e5):
        self.n_components = n_components
        self.bound_confidence = bound_confidence
        self.bound_tolerance = bound_tolerance

    def _fit(self, data):
        n_features = data.X.shape[1]
        _refuse_large_square(n_features, "SubspaceAlignment")
        domains = [data.X[data.is_source], data.X[data.is_target]]
        present = [rows for rows in domains if rows.shape[0] > 0]
        smallest = min(rows.shape[0] for rows in present)
        available = min(n_features, smallest)
        spectra = [_principal_directions(rows, available) for rows in present]
        spreads = [values for _, _, values in spectra]
        self.eigenvalues_ = (spreads[0], spreads[-1])
        if self.n_components is None:
            self.n_components_ = min(DEFAULT_SUBSPACE_DIMENSION, available)
        elif self.n_components == "bound":
            self.n_components_ = self._bounded_dimension(present, smallest)
        elif self.n_components > available:
            raise ValueError(
                f"n_components={self.n_components} exceeds what the data can "
                f"give: {n_features} features and {smallest} rows in the "
                "smaller domain. Lower n_components."
            )
        else:
            self.n_components_ = self.n_components
        fitted = [(mean, basis[:, : self.n_components_]) for mean, basis, _ in spectra]
        (source_mean, source_basis), (target_mean, target_basis) = (
            fitted if len(fitted) == 2 else fitted * 2
        )
        self.source_mean_, self.source_components_ = source_mean, source_basis
        self.target_mean_, self.target_components_ = target_mean, target_basis
        self.alignment_ = source_basis.T @ target_basis
        return self

    def _bounded_dimension(self, domains, n_min):
        """The largest ``d`` whose eigenvalue gap passes the bound (Notes)."""
        smaller = np.minimum(*self.eigenvalues_[:2])
        gaps = smaller[:-1] - smaller[1:]
        radius = max(_largest_centred_norm(rows) for rows in domains)
        d = np.arange(1, gaps.shape[0] + 1)
        needed = (
            (1 + np.sqrt(np.log(2 / self.bound_confidence) / 2))
            * 16
            * d**1.5
            * radius
            / (self.bound_tolerance * np.sqrt(n_min))
        )
        passing = np.flatnonzero(gaps >= needed)
        if passing.size:
            return int(d[passing[-1]])
        warnings.warn(
            f"No subspace dimension passes the bound at bound_tolerance="
            f"{self.bound_tolerance:g} (the largest eigenvalue gap is "
            f"{gaps.max() if gaps.size else 0:.3g}, the bound needs "
            f"{needed[0] if needed.size else np.inf:.3g} at d=1); using 1. "
            "Raise bound_tolerance, or give n_components.",
            UserWarning,
            stacklevel=_user_stacklevel(),
        )
        return 1

    @property
    def _n_features_out(self):
        return self.alignment_.shape[1]

    def _map(self, X, is_source):
        embedded = np.empty((X.shape[0], self.n_components_))
        for rows, mean, projection in (
            (is_source, self.source_mean_, self.source_components_ @ self.alignment_),
            (~is_source, self.target_mean_, self.target_components_),
        ):
            if rows.any():
                embedded[rows] = np.asarray(X[rows] @ projection) - mean @ projection
        return embedded


def _principal_directions(X, n_components):
    """The mean of the rows of ``X``, their ``n_components`` leading
    principal directions (columns, orthonormal, each signed so that its
    largest entry is positive) and the covariance's eigenvalues, largest
    first."""
    covariance, mean = _covariance(X)
    eigenvalues, vectors = np.linalg.eigh(covariance)
    basis = vectors[:, ::-1][:, :n_components]
    signs = np.sign(basis[np.abs(basis).argmax(axis=0), np.arange(n_components)])
    return (
        mean,
        basis * np.where(signs == 0, 1.0, signs),
        np.maximum(eigenvalues[::-1][:n_components], 0.0),
    )


def _largest_centred_norm(X):
    """``max |x - m|`` over the rows of ``X`` (dense or CSR), ``m`` their mean,
    without densifying: ``|x|^2 - 2 x.m + |m|^2``."""
    mean = np.asarray(X.mean(axis=0)).ravel()
    squares = (
        np.asarray(X.multiply(X).sum(axis=1)).ravel()
        if sparse.issparse(X)
        else (X**2).sum(axis=1)
    )
    cross = np.asarray(X @ mean).ravel()
    return float(np.sqrt(max((squares - 2 * cross + mean @ mean).max(), 0.0)))
