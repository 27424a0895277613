"""How far apart two domains are: kernel two-sample statistics and a domain classifier.

The squared maximum mean discrepancy (Gretton et al. 2012) is the squared
distance between the domains' mean embeddings in a kernel's feature space,

    MMD^2 = E k(x, x') + E k(y, y') - 2 E k(x, y),

with ``x, x'`` drawn from the source and ``y, y'`` from the target. With a
characteristic kernel (RBF, Laplacian) it is zero exactly when the two
distributions are equal. Three estimators of it are offered:

- ``"unbiased"``: the U-statistic ``MMD^2_u``, every pair of distinct rows;
  unbiased, hence slightly negative at times when the domains match.
- ``"biased"``: the V-statistic ``MMD^2_b``, the squared distance between the
  two samples' empirical mean embeddings (pairs ``i = j`` included); never
  negative, and biased upwards by ``O(1 / n)``.
- ``"linear"``: the linear-time statistic ``MMD^2_l`` (Gretton et al. 2012,
  section 6), an average over disjoint pairs of rows; O(n) time, higher
  variance.

The first two cost O(n^2) kernel evaluations but O(n) memory: the kernel sums
are taken one block of rows at a time (:func:`~sktransfer._kernels.kernel_row_sums`).

The proxy A-distance (Ben-David et al. 2007) instead asks how well a classifier
tells source rows from target rows: ``PAD = 2 (1 - 2 err)`` with ``err`` its
cross-validated error.
"""

import numbers
import warnings
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.stats import norm
from sklearn.base import clone, is_classifier
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.model_selection import (
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _num_samples,
    check_array,
)

from .._density_ratio import (
    check_overlap,
    check_rows_for_classifier,
    default_domain_classifier,
    domain_log_odds,
    stack_rows,
    warn_if_low_effective_sample_size,
)
from .._domain import (
    _kind_of_container,
    _non_numeric_columns,
    check_domain_data,
    unlabeled_mask,
)
from .._kernels import (
    _BLOCK_ROWS,
    KERNEL_PARAMETERS,
    kernel_arguments,
    kernel_diagonal,
    kernel_row_sums,
    resolve_gamma,
)
from ..base import _label_task
from ..utils import _user_stacklevel

# The permutation test holds the pooled kernel matrix: 3.2 GB at 20000 rows.
_PERMUTATION_MAX_ROWS = 20000
# Permutations evaluated per matrix product (an n x _PERMUTATION_BATCH block).
_PERMUTATION_BATCH = 64
# Folds of the source cross-validation in transferability_summary.
_SUMMARY_FOLDS = 5
_SEED_MAX = np.iinfo(np.int32).max

_PAIR = {
    "X_source": ["array-like", "sparse matrix"],
    "X_target": ["array-like", "sparse matrix"],
}
_MMD_PARAMETERS = {
    **_PAIR,
    **KERNEL_PARAMETERS,
    "method": [StrOptions({"unbiased", "biased", "linear"})],
    "random_state": ["random_state"],
}


class MMDTestResult(NamedTuple):
    """Outcome of :func:`mmd2_test`: the statistic and its p-value.

    Parameters
    ----------
    statistic : float
        The estimate of ``MMD^2``.
    pvalue : float
        The probability, under equal distributions, of a value at least as
        large.
    """

    statistic: float
    pvalue: float


# -- input -------------------------------------------------------------------------


def _check_rows(X, name):
    X = check_array(
        X,
        accept_sparse="csr",
        dtype=np.float64,
        ensure_all_finite=False,
        ensure_min_samples=0,
        input_name=name,
    )
    values = X.data if sparse.issparse(X) else X
    if not np.isfinite(values).all():
        raise ValueError(
            f"{name} contains NaN or infinite values; discrepancies need finite "
            "features. Impute them first (e.g. sklearn.impute.SimpleImputer) or "
            "drop those rows."
        )
    return X


def _check_pair(X_source, X_target, *, min_rows, method):
    X_source = _check_rows(X_source, "X_source")
    X_target = _check_rows(X_target, "X_target")
    if X_source.shape[1] != X_target.shape[1]:
        raise ValueError(
            f"Feature mismatch: X_source has {X_source.shape[1]} features and "
            f"X_target has {X_target.shape[1]}. Both domains must share the same "
            "features, in the same order."
        )
    _check_domain_sizes(X_source.shape[0], X_target.shape[0], min_rows, method)
    return X_source, X_target


def _check_domain_sizes(n_source, n_target, min_rows, method):
    for role, n_rows in (("source", n_source), ("target", n_target)):
        if n_rows < min_rows:
            raise ValueError(
                f"{method} needs at least {min_rows} rows per domain; the {role} "
                f"domain has {n_rows}. Pass more rows."
            )


def _kernel_settings(kernel, gamma, kernel_params, X_source, X_target, rng):
    """Keyword arguments of the kernel, with the median heuristic resolved.

    The seed is drawn even when unused, so later draws from ``rng`` do not
    depend on the kernel.
    """
    seed = rng.randint(_SEED_MAX)
    gamma = resolve_gamma(kernel, gamma, X_source, X_target, random_state=seed)
    return kernel_arguments(kernel_params, gamma, kernel=kernel)


# -- quadratic-time statistics -----------------------------------------------------


def _kernel_total(X, Y, kernel, params, n_jobs):
    # _BLOCK_ROWS is read at call time so that tests can shrink the blocks.
    return kernel_row_sums(
        X, Y, kernel=kernel, block_rows=_BLOCK_ROWS, n_jobs=n_jobs, **params
    ).sum()


def _combine(sums, diagonals, m, n, biased):
    """MMD^2 from the within and across kernel sums (pairs i = j included)."""
    within_source, within_target, across = sums
    if biased:
        return within_source / m**2 + within_target / n**2 - 2 * across / (m * n)
    diagonal_source, diagonal_target = diagonals
    return (
        (within_source - diagonal_source) / (m * (m - 1))
        + (within_target - diagonal_target) / (n * (n - 1))
        - 2 * across / (m * n)
    )


def _quadratic_mmd2(X_source, X_target, kernel, params, biased, n_jobs):
    sums = (
        _kernel_total(X_source, X_source, kernel, params, n_jobs),
        _kernel_total(X_target, X_target, kernel, params, n_jobs),
        _kernel_total(X_source, X_target, kernel, params, n_jobs),
    )
    diagonals = (
        kernel_diagonal(X_source, kernel=kernel, **params).sum(),
        kernel_diagonal(X_target, kernel=kernel, **params).sum(),
    )
    m, n = X_source.shape[0], X_target.shape[0]
    return float(_combine(sums, diagonals, m, n, biased))


# -- linear-time statistic ---------------------------------------------------------


def _row_dots(A, B):
    if sparse.issparse(A):
        return np.asarray(A.multiply(B).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", A, B)


def _paired_kernel(A, B, kernel, params):
    """``k(a_i, b_i)`` for every row ``i``, in closed form (no kernel matrix).

    Defaults follow :func:`sklearn.metrics.pairwise.pairwise_kernels`.
    """
    gamma = params.get("gamma")
    gamma = 1.0 / A.shape[1] if gamma is None else gamma
    if kernel in ("rbf", "laplacian"):
        difference = A - B
        if kernel == "rbf":
            distances = _row_dots(difference, difference)
        else:
            distances = np.asarray(abs(difference).sum(axis=1)).ravel()
        return np.exp(-gamma * distances)
    dots = _row_dots(A, B)
    if kernel == "linear":
        return dots
    if kernel == "poly":
        return (gamma * dots + params.get("coef0", 1)) ** params.get("degree", 3)
    norms = np.sqrt(_row_dots(A, A) * _row_dots(B, B))
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)


def _linear_terms(X_source, X_target, kernel, params, rng):
    """The h-values of the linear-time statistic, one per disjoint pair of rows.

    Each domain is shuffled and its first ``2 * (min(m, n) // 2)`` rows kept;
    rows ``2i`` and ``2i + 1`` of both form the pair ``i``.
    """
    n_pairs = min(X_source.shape[0], X_target.shape[0]) // 2
    source = rng.permutation(X_source.shape[0])[: 2 * n_pairs]
    target = rng.permutation(X_target.shape[0])[: 2 * n_pairs]
    x, x_next = X_source[source[0::2]], X_source[source[1::2]]
    y, y_next = X_target[target[0::2]], X_target[target[1::2]]
    return (
        _paired_kernel(x, x_next, kernel, params)
        + _paired_kernel(y, y_next, kernel, params)
        - _paired_kernel(x, y_next, kernel, params)
        - _paired_kernel(x_next, y, kernel, params)
    )


# -- public: MMD -------------------------------------------------------------------


@validate_params(
    {**_MMD_PARAMETERS, "n_jobs": [numbers.Integral, None]},
    prefer_skip_nested_validation=True,
)
def mmd2(
    X_source,
    X_target,
    *,
    kernel="rbf",
    gamma=None,
    kernel_params=None,
    method="unbiased",
    random_state=None,
    n_jobs=None,
):
    """Squared maximum mean discrepancy between a source and a target sample.

    ``MMD^2 = E k(x, x') + E k(y, y') - 2 E k(x, y)``, the squared distance
    between the two distributions' mean embeddings in the kernel's feature
    space (Gretton et al. 2012). With a characteristic kernel (RBF,
    Laplacian) the population value is zero exactly when the distributions are
    equal.

    Parameters
    ----------
    X_source : {array-like, sparse matrix} of shape (n_source, n_features)
        Source rows.
    X_target : {array-like, sparse matrix} of shape (n_target, n_features)
        Target rows, with the same features.
    kernel : {"rbf", "laplacian", "linear", "poly", "cosine"}, default="rbf"
        A positive semi-definite kernel of
        :func:`sklearn.metrics.pairwise.pairwise_kernels`.
    gamma : float, default=None
        Kernel coefficient. ``None`` with ``kernel="rbf"``: the median heuristic
        ``gamma = 1 / (2 sigma^2)`` with ``sigma`` the median distance between
        the pooled rows of both domains (at most 1000 rows drawn with
        ``random_state``); with the other kernels, sklearn's default.
    kernel_params : dict, default=None
        Other kernel parameters (``degree``, ``coef0``).
    method : {"unbiased", "biased", "linear"}, default="unbiased"
        ``"unbiased"``: the U-statistic ``MMD^2_u`` (pairs of distinct rows
        only), which can be slightly negative when the domains match.
        ``"biased"``: the V-statistic ``MMD^2_b``, the squared distance between
        the empirical mean embeddings. Both take O(n^2) time and O(n) memory.
        ``"linear"``: the linear-time statistic ``MMD^2_l`` in O(n) time: each
        domain is shuffled (with ``random_state``), its first
        ``2 * (min(n_source, n_target) // 2)`` rows are kept, and consecutive
        rows form disjoint pairs; the rows past that are not used.
    random_state : int, RandomState instance or None, default=None
        Draws the rows of the median heuristic and the shuffles of
        ``method="linear"``.
    n_jobs : int, default=None
        Parallel jobs over blocks of rows for the quadratic-time methods.

    Returns
    -------
    mmd2 : float
        The estimate of ``MMD^2``.

    Raises
    ------
    ValueError
        When the features differ, a value is NaN or infinite, or a domain has
        fewer than 2 rows.

    See Also
    --------
    mmd2_test : Whether the discrepancy is significant.
    proxy_a_distance : A discrepancy measured by a domain classifier.

    References
    ----------
    .. [1] A. Gretton, K. Borgwardt, M. Rasch, B. Schoelkopf and A. Smola,
       "A Kernel Two-Sample Test", Journal of Machine Learning Research 13,
       723-773, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import mmd2
    >>> rng = np.random.RandomState(0)
    >>> X_source = rng.normal(size=(300, 2))
    >>> X_target = rng.normal(1.0, 1.0, size=(200, 2))
    >>> round(mmd2(X_source, X_target, gamma=0.5), 2)
    0.2
    >>> bool(abs(mmd2(X_source, rng.normal(size=(200, 2)), gamma=0.5)) < 0.02)
    True

    With a linear kernel, the biased statistic is the squared distance between
    the means:

    >>> value = mmd2(X_source, X_target, kernel="linear", method="biased")
    >>> difference = X_source.mean(axis=0) - X_target.mean(axis=0)
    >>> bool(np.isclose(value, difference @ difference))
    True
    """
    X_source, X_target = _check_pair(X_source, X_target, min_rows=2, method="mmd2")
    rng = check_random_state(random_state)
    params = _kernel_settings(kernel, gamma, kernel_params, X_source, X_target, rng)
    if method == "linear":
        return float(_linear_terms(X_source, X_target, kernel, params, rng).mean())
    biased = method == "biased"
    return _quadratic_mmd2(X_source, X_target, kernel, params, biased, n_jobs)


def _permutation_statistics(gram, masks, biased):
    """MMD^2 of every split of the pooled rows that ``masks`` marks as source.

    ``masks`` holds one 0/1 column per split. With ``a`` a column and
    ``b = 1 - a``, the kernel sums are ``a'Ka``, ``b'Kb`` and ``a'Kb``, all from
    one product ``K @ masks``.
    """
    row_sums = gram.sum(axis=1)
    diagonal = np.diag(gram)
    m = masks[:, 0].sum()
    n = gram.shape[0] - m
    within_source = np.einsum("ip,ip->p", masks, gram @ masks)
    source_row_sums = masks.T @ row_sums
    sums = (
        within_source,
        row_sums.sum() - 2 * source_row_sums + within_source,
        source_row_sums - within_source,
    )
    source_diagonal = masks.T @ diagonal
    diagonals = (source_diagonal, diagonal.sum() - source_diagonal)
    return _combine(sums, diagonals, m, n, biased)


def _permutation_test(X_source, X_target, kernel, params, method, n_permutations, rng):
    n_rows = X_source.shape[0] + X_target.shape[0]
    if n_rows > _PERMUTATION_MAX_ROWS:
        gib = 8 * n_rows**2 / 2**30
        raise ValueError(
            f"The permutation test with method={method!r} holds the {n_rows} x "
            f"{n_rows} kernel matrix of the pooled rows ({gib:.1f} GiB) and is "
            f"limited to {_PERMUTATION_MAX_ROWS} rows. Use method='linear' (an "
            "asymptotic test in linear time and memory), or subsample the rows."
        )
    pooled = (
        sparse.vstack([X_source, X_target], format="csr")
        if sparse.issparse(X_source) or sparse.issparse(X_target)
        else np.vstack([X_source, X_target])
    )
    gram = pairwise_kernels(pooled, metric=kernel, filter_params=True, **params)
    biased = method == "biased"
    m = X_source.shape[0]
    observed_mask = np.zeros((n_rows, 1))
    observed_mask[:m] = 1.0
    observed = _permutation_statistics(gram, observed_mask, biased)[0]
    exceed = 0
    for start in range(0, n_permutations, _PERMUTATION_BATCH):
        size = min(_PERMUTATION_BATCH, n_permutations - start)
        masks = np.zeros((n_rows, size))
        for column in range(size):
            masks[rng.permutation(n_rows)[:m], column] = 1.0
        exceed += int(np.sum(_permutation_statistics(gram, masks, biased) >= observed))
    return MMDTestResult(float(observed), (1 + exceed) / (1 + n_permutations))


def _asymptotic_test(X_source, X_target, kernel, params, rng):
    terms = _linear_terms(X_source, X_target, kernel, params, rng)
    statistic = float(terms.mean())
    spread = terms.std(ddof=1)
    if not spread > 0:
        # Every pair gave the same value: no variance to scale by.
        return MMDTestResult(statistic, 0.0 if statistic > 0 else 1.0)
    z = statistic / (spread / np.sqrt(terms.shape[0]))
    return MMDTestResult(statistic, float(norm.sf(z)))


@validate_params(
    {
        **_MMD_PARAMETERS,
        "n_permutations": [Interval(numbers.Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def mmd2_test(
    X_source,
    X_target,
    *,
    kernel="rbf",
    gamma=None,
    kernel_params=None,
    n_permutations=200,
    method="unbiased",
    random_state=None,
):
    """Two-sample test of ``MMD^2 = 0``: do the domains come from one distribution?

    For the quadratic-time statistics, a permutation test: the kernel matrix
    of the pooled rows is computed once, and the statistic recomputed for
    ``n_permutations`` random reassignments of the rows to the two domains.
    The p-value is ``(1 + #{permuted >= observed}) / (1 + n_permutations)``,
    so it is never below ``1 / (1 + n_permutations)``.

    For ``method="linear"``, the asymptotic test of Gretton et al. (2012,
    section 6): the statistic is a mean of independent terms ``h_i``, so under
    the null hypothesis ``mean(h) / (std(h) / sqrt(n_pairs))`` is standard
    normal for many pairs, and the p-value is its upper tail. No
    permutations, and linear time and memory.

    Parameters
    ----------
    X_source : {array-like, sparse matrix} of shape (n_source, n_features)
        Source rows.
    X_target : {array-like, sparse matrix} of shape (n_target, n_features)
        Target rows, with the same features.
    kernel, gamma, kernel_params
        As in :func:`mmd2`.
    n_permutations : int, default=200
        Permutations of the quadratic-time tests; ignored by ``"linear"``.
    method : {"unbiased", "biased", "linear"}, default="unbiased"
        The statistic, as in :func:`mmd2`. The quadratic-time ones hold the
        pooled kernel matrix and are limited to 20000 pooled rows.
    random_state : int, RandomState instance or None, default=None
        Draws the rows of the median heuristic, then the permutations (or the
        shuffles of ``"linear"``). The statistic equals :func:`mmd2`'s with the
        same arguments and ``random_state``.

    Returns
    -------
    result : MMDTestResult
        Named tuple ``(statistic, pvalue)``: the estimate of ``MMD^2`` and the
        probability, under equal distributions, of a value at least as large.

    Raises
    ------
    ValueError
        As :func:`mmd2`; also when a quadratic-time test would exceed 20000
        pooled rows, or ``"linear"`` has fewer than 2 pairs (4 rows per domain).

    See Also
    --------
    mmd2 : The statistic alone.

    References
    ----------
    .. [1] A. Gretton, K. Borgwardt, M. Rasch, B. Schoelkopf and A. Smola,
       "A Kernel Two-Sample Test", Journal of Machine Learning Research 13,
       723-773, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import mmd2_test
    >>> rng = np.random.RandomState(0)
    >>> X_source = rng.normal(size=(100, 2))
    >>> X_shifted = rng.normal(1.0, 1.0, size=(100, 2))
    >>> result = mmd2_test(X_source, X_shifted, random_state=0)
    >>> float(result.pvalue)
    0.004975...
    >>> statistic, pvalue = mmd2_test(
    ...     X_source, rng.normal(size=(100, 2)), random_state=0
    ... )
    >>> bool(pvalue > 0.05)
    True
    """
    min_rows = 4 if method == "linear" else 2
    X_source, X_target = _check_pair(
        X_source, X_target, min_rows=min_rows, method=f"mmd2_test(method={method!r})"
    )
    rng = check_random_state(random_state)
    params = _kernel_settings(kernel, gamma, kernel_params, X_source, X_target, rng)
    if method == "linear":
        return _asymptotic_test(X_source, X_target, kernel, params, rng)
    return _permutation_test(
        X_source, X_target, kernel, params, method, n_permutations, rng
    )


# -- public: proxy A-distance ------------------------------------------------------


def _stack(X_source, X_target):
    if sparse.issparse(X_source) or sparse.issparse(X_target):
        return sparse.vstack([X_source, X_target], format="csr")
    return np.vstack([X_source, X_target])


# Largest feature magnitude whose square (the variance StandardScaler takes)
# stays finite in float64, with room for the sum over rows.
_MAX_STANDARDIZABLE = 1e150


def _check_standardizable(X):
    values = X.data if sparse.issparse(X) else X
    largest = float(np.max(np.abs(values), initial=0.0))
    if largest > _MAX_STANDARDIZABLE:
        raise ValueError(
            f"The features reach {largest:.3g} in absolute value: the default "
            "domain classifier standardizes them, and their squares overflow "
            "float64. Scale them first (e.g. divide by a constant, or "
            "sklearn.preprocessing.MaxAbsScaler), or pass your own classifier."
        )


def _pad(X_source, X_target, estimator, cv, seed, n_jobs):
    X = _stack(X_source, X_target)
    if estimator is None:
        _check_standardizable(X)
        estimator = default_domain_classifier(sparse.issparse(X), balanced=True)
    is_source = np.repeat([1, 0], [X_source.shape[0], X_target.shape[0]])
    folds = StratifiedKFold(cv, shuffle=True, random_state=seed)
    predicted = cross_val_predict(
        clone(estimator), X, is_source, cv=folds, n_jobs=n_jobs
    )
    error = 1.0 - balanced_accuracy_score(is_source, predicted)
    return float(2.0 * (1.0 - 2.0 * error))


def _check_numeric_pair(X_source, X_target):
    """``_check_pair`` for the default classifier, naming non-numeric columns."""
    try:
        return _check_pair(
            X_source, X_target, min_rows=1, method="domain_classifier_ratio"
        )
    except (ValueError, TypeError) as error:
        named = [
            (name, _non_numeric_columns(X)[:5])
            for name, X in (("X_source", X_source), ("X_target", X_target))
            if _kind_of_container(X) == "dataframe"
        ]
        named = [(name, columns) for name, columns in named if columns]
        if not named:
            raise
        name, columns = named[0]
        raise ValueError(
            f"The default domain classifier needs numeric features, but the "
            f"{name} columns {columns} are categorical or text. Pass a "
            "domain_classifier that encodes them, e.g. make_pipeline("
            "ColumnTransformer([('cat', OneHotEncoder(handle_unknown='ignore'), "
            f"{columns!r})], remainder=StandardScaler()), LogisticRegression())."
        ) from error


@validate_params(
    {
        "X_source": ["array-like", "sparse matrix"],
        "X_target": ["array-like", "sparse matrix"],
        "domain_classifier": [HasMethods(["fit", "predict_proba"]), None],
    },
    prefer_skip_nested_validation=True,
)
def domain_classifier_ratio(X_source, X_target, domain_classifier=None):
    """Density ratio p_target(x) / p_source(x) at the source rows.

    A probabilistic classifier told source rows (0) from target rows (1) gives
    the ratio through Bayes' rule: ``P(t|x) / P(s|x) * n_source / n_target``
    (Bickel, Brückner and Scheffer, 2009). The ratios are scaled to mean 1;
    the classifier's probabilities are clipped to ``[1e-6, 1 - 1e-6]`` so that
    every ratio is finite.

    Two checks guard against ratios that look usable but are not:

    - When the classifier separates the domains by a wide margin (the lowest
      log-odds of a target row exceeds the highest of a source row by at
      least one pooled within-domain standard deviation of the log-odds),
      the domains do not overlap: the true ratio is about 0 on every source
      row, and the clipped, rescaled estimate would be near uniform. This
      raises a ``ValueError``.
    - When Kish's effective sample size of the ratios,
      ``(sum w)^2 / sum w^2``, is below 10 % of the source rows, a few rows
      carry the weight; this warns.

    Parameters
    ----------
    X_source : {array-like, sparse matrix} of shape (n_source, n_features)
        Source rows.
    X_target : {array-like, sparse matrix} of shape (n_target, n_features)
        Target rows, of the same kind and features.
    domain_classifier : classifier with predict_proba, default=None
        Cloned and fitted on the stacked rows, which it gets as they are
        (DataFrames keep their columns and dtypes, so a pipeline with a
        ``ColumnTransformer`` can encode categorical columns). None means
        logistic regression on standardized features, which needs numeric,
        finite features.

    Returns
    -------
    ratio : ndarray of shape (n_source,)
        The estimated ratio at each source row, scaled to mean 1.

    Raises
    ------
    ValueError
        When the domains do not overlap (see above), a domain has no rows or
        the features differ; with the default classifier also for
        non-numeric or non-finite features.

    Warns
    -----
    UserWarning
        When the effective sample size of the ratios is below 10 % of the
        source rows.

    See Also
    --------
    sktransfer.model_selection.ImportanceWeightedScorer : Uses these ratios.

    References
    ----------
    .. [1] S. Bickel, M. Brückner and T. Scheffer. Discriminative learning
       under covariate shift. *JMLR*, 10, 2009.
    .. [2] L. Kish. *Survey Sampling*. Wiley, 1965 (effective sample size).

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import domain_classifier_ratio
    >>> rng = np.random.RandomState(0)
    >>> X_source = np.array([[-1.0], [0.0], [1.0]])
    >>> ratio = domain_classifier_ratio(
    ...     np.r_[X_source, rng.normal(0, 1, (500, 1))], rng.normal(1, 1, (500, 1))
    ... )
    >>> bool(ratio[0] < ratio[1] < ratio[2])  # the target lies to the right
    True
    """
    if domain_classifier is None:
        X_source, X_target = _check_numeric_pair(X_source, X_target)
        _check_standardizable(X_source)
        _check_standardizable(X_target)
    else:
        check_rows_for_classifier(X_source, X_target)
    X = stack_rows(X_source, X_target)
    n_source, n_target = _num_samples(X_source), _num_samples(X_target)
    is_target = np.r_[np.zeros(n_source, dtype=int), np.ones(n_target, dtype=int)]
    classifier = domain_classifier or default_domain_classifier(
        sparse.issparse(X), balanced=False
    )
    scores = domain_log_odds(classifier, X, is_target)
    check_overlap(scores[:n_source], scores[n_source:])
    # The ratio's constant n_s / n_t cancels in the scaling to mean 1.
    ratio = np.exp(scores[:n_source] - scores[:n_source].max())
    ratio /= ratio.mean()
    warn_if_low_effective_sample_size(ratio)
    return ratio


@validate_params(
    {
        **_PAIR,
        "estimator": [HasMethods(["fit", "predict"]), None],
        "cv": [Interval(numbers.Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [numbers.Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def proxy_a_distance(
    X_source, X_target, *, estimator=None, cv=5, random_state=None, n_jobs=None
):
    """Proxy A-distance: how well a classifier tells source rows from target rows.

    ``PAD = 2 (1 - 2 err)``, with ``err`` the cross-validated error of a
    classifier trained to predict each row's domain (Ben-David et al. 2007;
    Ganin et al. 2016). About 0 (it can be slightly negative) means the
    classifier cannot tell the domains apart; 2 means it separates them
    perfectly. The value is not clipped.

    ``err`` is the balanced error, the mean of the error rates on source rows
    and on target rows, of the out-of-fold predictions, so unequal domain
    sizes do not make the domains look apart: a classifier that always
    predicts the larger domain has a balanced error of 0.5 and a PAD of 0.

    Parameters
    ----------
    X_source : {array-like, sparse matrix} of shape (n_source, n_features)
        Source rows.
    X_target : {array-like, sparse matrix} of shape (n_target, n_features)
        Target rows, with the same features.
    estimator : classifier, default=None
        The domain classifier, cloned. ``None``: a logistic regression
        (``max_iter=1000``, ``class_weight="balanced"``) on standardized
        features (``StandardScaler(with_mean=False)`` for sparse input).
    cv : int, default=5
        Folds of :class:`~sklearn.model_selection.StratifiedKFold`, shuffled
        with ``random_state``. Each domain needs at least ``cv`` rows.
    random_state : int, RandomState instance or None, default=None
        Shuffles the folds.
    n_jobs : int, default=None
        Folds fitted in parallel.

    Returns
    -------
    pad : float
        The proxy A-distance, in ``[-2, 2]``; values near 0 or below mean the
        domains are indistinguishable to the classifier.

    Raises
    ------
    ValueError
        When the features differ, a value is NaN or infinite, or a domain has
        fewer than ``cv`` rows.

    See Also
    --------
    mmd2 : A kernel discrepancy, with no classifier to choose.

    References
    ----------
    .. [1] S. Ben-David, J. Blitzer, K. Crammer and F. Pereira, "Analysis of
       Representations for Domain Adaptation", Advances in Neural Information
       Processing Systems 19 (NIPS 2006), 2007.
    .. [2] Y. Ganin, E. Ustinova, H. Ajakan, P. Germain, H. Larochelle,
       F. Laviolette, M. Marchand and V. Lempitsky, "Domain-Adversarial
       Training of Neural Networks", Journal of Machine Learning Research 17,
       1-35, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.metrics import proxy_a_distance
    >>> rng = np.random.RandomState(0)
    >>> X_source = rng.normal(size=(200, 2))
    >>> pad = proxy_a_distance(X_source, rng.normal(4.0, 1.0, (100, 2)), random_state=0)
    >>> round(pad, 2)
    2.0
    >>> pad = proxy_a_distance(X_source, rng.normal(size=(100, 2)), random_state=0)
    >>> bool(abs(pad) < 0.3)
    True
    """
    X_source, X_target = _check_pair(
        X_source, X_target, min_rows=cv, method=f"proxy_a_distance with cv={cv}"
    )
    seed = check_random_state(random_state).randint(_SEED_MAX)
    return _pad(X_source, X_target, estimator, cv, seed, n_jobs)


# -- public: summary ---------------------------------------------------------------

_MEANINGS = {
    "n_source": "source rows (sample_domain >= 0)",
    "n_target": "target rows (sample_domain < 0)",
    "n_target_labeled": "target rows with a label",
    "mmd2": "unbiased MMD^2; about 0 when the domains match",
    "mmd2_pvalue": "permutation p-value; small: the domains differ",
    "proxy_a_distance": "domain classifier: about 0 alike, 2 separable",
    "class_prior_shift": "total variation between class frequencies",
    "source_to_target_gap": "source CV accuracy minus target accuracy",
}


@dataclass(frozen=True)
class TransferabilitySummary:
    """How far apart a source and a target are: :func:`transferability_summary`.

    ``str()`` gives a table of the fields, their values and their meaning.

    Parameters
    ----------
    n_source, n_target : int
        Rows of each kind of domain.
    n_target_labeled : int
        Target rows with a label (0 without ``y``).
    mmd2 : float
        Unbiased ``MMD^2`` on the subsampled rows (:func:`mmd2`).
    mmd2_pvalue : float
        Its permutation p-value (:func:`mmd2_test`).
    proxy_a_distance : float
        :func:`proxy_a_distance` on the subsampled rows.
    class_prior_shift : float or None
        Total-variation distance ``1/2 sum_c |p_source(c) - p_target(c)|``
        between the class frequencies of the source rows and of the labeled
        target rows, in ``[0, 1]``; None without target labels or for
        regression.
    source_to_target_gap : float or None
        Cross-validated accuracy on the source rows minus the accuracy on the
        labeled target rows of the same estimator fitted on every source row:
        the accuracy lost by moving to the target (5 folds, fewer when a
        source class has fewer rows). None without target labels, for
        regression, or (with a warning) when a source class has a single row.
    """

    n_source: int
    n_target: int
    n_target_labeled: int
    mmd2: float
    mmd2_pvalue: float
    proxy_a_distance: float
    class_prior_shift: float | None
    source_to_target_gap: float | None

    def __str__(self):
        rows = [("field", "value", "meaning")] + [
            (
                field.name,
                _format_value(getattr(self, field.name)),
                _MEANINGS[field.name],
            )
            for field in fields(self)
        ]
        name_width = max(len(name) for name, _, _ in rows)
        value_width = max(len(value) for _, value, _ in rows)
        return "\n".join(
            f"{name:<{name_width}}  {value:>{value_width}}  {meaning}"
            for name, value, meaning in rows
        )


def _format_value(value):
    if value is None:
        return "None"
    if isinstance(value, numbers.Integral):
        return str(value)
    return f"{value:.4g}"


def _subsample(X, max_rows, rng):
    if X.shape[0] <= max_rows:
        return X
    return X[np.sort(rng.choice(X.shape[0], max_rows, replace=False))]


def _label_task_of(y_labeled, estimator):
    """Whether the label terms apply: "classification" for class labels (and a
    classifier, when one is given), else None."""
    if estimator is not None and not is_classifier(estimator):
        return None
    kind = type_of_target(y_labeled)
    return "classification" if kind in ("binary", "multiclass") else None


def _class_prior_shift(y_source, y_target):
    classes = np.unique(np.concatenate([y_source, y_target]))
    frequencies = [
        np.array([np.mean(y == label) for label in classes])
        for y in (y_source, y_target)
    ]
    return float(0.5 * np.abs(frequencies[0] - frequencies[1]).sum())


def _transfer_gap(X_source, y_source, X_target, y_target, estimator, seed):
    """Source CV accuracy minus target accuracy; None, with a warning, when the
    source labels cannot be cross-validated (one class, or a class with one row)."""
    classes, counts = np.unique(y_source, return_counts=True)
    if classes.shape[0] < 2 or counts.min() < 2:
        warnings.warn(
            "source_to_target_gap is None: the source rows hold "
            + (
                f"a single class ({classes[0].item()!r})"
                if classes.shape[0] < 2
                else f"class {classes[counts.argmin()].item()!r} on a single row"
            )
            + ", so a classifier cannot be cross-validated on them.",
            UserWarning,
            stacklevel=_user_stacklevel(),
        )
        return None
    if estimator is None:
        estimator = default_domain_classifier(sparse.issparse(X_source), balanced=False)
    n_folds = int(min(_SUMMARY_FOLDS, counts.min()))
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    source_accuracy = cross_val_score(
        clone(estimator), X_source, y_source, cv=folds, scoring="accuracy"
    ).mean()
    fitted = clone(estimator).fit(X_source, y_source)
    target_accuracy = accuracy_score(y_target, fitted.predict(X_target))
    return float(source_accuracy - target_accuracy)


def _estimator_task(estimator):
    """The estimator's label task; None (inferred from ``y``) for the default."""
    return None if estimator is None else _label_task(estimator)


def _label_terms(X, y, sample_domain, estimator, seed):
    """``(n_target_labeled, class_prior_shift, source_to_target_gap)``."""
    if y is None:
        return 0, None, None
    is_source = sample_domain >= 0
    labeled_target = ~is_source & ~unlabeled_mask(y, _estimator_task(estimator))
    n_labeled = int(labeled_target.sum())
    y_source, y_target = y[is_source], y[labeled_target]
    if n_labeled == 0 or _label_task_of(y_source, estimator) is None:
        return n_labeled, None, None
    shift = _class_prior_shift(y_source, y_target)
    gap = _transfer_gap(
        X[is_source], y_source, X[labeled_target], y_target, estimator, seed
    )
    return n_labeled, shift, gap


def _check_summary_input(X, y, sample_domain, estimator):
    X = _check_rows(X, "X")
    data = check_domain_data(
        None,
        X,
        y,
        sample_domain,
        task=_estimator_task(estimator),
        y_required=False,
        multi_output=True,
        validate_X=False,
        need_target=True,
        name="transferability_summary",
    )
    y, sample_domain = data.y, data.sample_domain
    n_source = int(np.sum(sample_domain >= 0))
    _check_domain_sizes(
        n_source,
        X.shape[0] - n_source,
        _SUMMARY_FOLDS,
        "transferability_summary (5-fold proxy A-distance)",
    )
    return X, y, sample_domain


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like", None],
        "sample_domain": ["array-like", None],
        **KERNEL_PARAMETERS,
        "estimator": [HasMethods(["fit", "predict"]), None],
        "max_rows": [Interval(numbers.Integral, 5, 10000, closed="both")],
        "n_permutations": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def transferability_summary(
    X,
    y=None,
    sample_domain=None,
    *,
    kernel="rbf",
    gamma=None,
    kernel_params=None,
    estimator=None,
    max_rows=2000,
    n_permutations=200,
    random_state=None,
):
    """How far apart a source and a target are, by several measures at once.

    Rows follow the ``sample_domain`` convention: ``sample_domain >= 0``
    source, ``< 0`` target; unlabeled target rows carry ``y = -1`` (``NaN``
    for regression). With several source or target domain ids, all source
    rows are pooled against all target rows.

    - ``mmd2``, ``mmd2_pvalue``: the unbiased ``MMD^2`` and its permutation
      test (:func:`mmd2_test`), and ``proxy_a_distance``
      (:func:`proxy_a_distance`, 5 folds), all on the same subsample of at
      most ``max_rows`` rows per domain, drawn with ``random_state``.
    - ``class_prior_shift``: total-variation distance between the class
      frequencies of the source rows and of the labeled target rows.
    - ``source_to_target_gap``: the estimator's 5-fold cross-validated
      accuracy on the source rows minus its accuracy on the labeled target
      rows when fitted on every source row.

    The last two need labeled target rows and class labels; they are None
    otherwise (no ``y``, no labeled target row, or a regression target).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Source and target rows.
    y : array-like of shape (n_samples,), default=None
        Labels; ``-1`` (``NaN`` for regression) marks unlabeled target rows.
        Source rows must be labeled.
    sample_domain : array-like of int of shape (n_samples,), default=None
        Domain ids (``>= 0`` source, ``< 0`` target); inferred from the label
        masks when None (unlabeled rows are target).
    kernel, gamma, kernel_params
        The kernel of ``MMD^2``, as in :func:`mmd2`.
    estimator : estimator object, default=None
        The classifier of the accuracy gap, cloned. ``None``: a logistic
        regression (``max_iter=1000``) on standardized features. When it is a
        classifier it is also the domain classifier of the proxy A-distance
        (the A-distance is defined by a class of classifiers: this measures
        the shift as that model family sees it); otherwise the proxy
        A-distance uses its default. A regressor gives no label terms.
    max_rows : int, default=2000
        Rows per domain, at most, for ``MMD^2``, its test and the proxy
        A-distance (up to 10000, the permutation test's limit).
    n_permutations : int, default=200
        Permutations of the ``MMD^2`` test.
    random_state : int, RandomState instance or None, default=None
        Draws the subsample, the median heuristic, the permutations and the
        folds.

    Returns
    -------
    summary : TransferabilitySummary
        Frozen dataclass; ``print(summary)`` shows a table.

    Raises
    ------
    ValueError
        When there are no source or no target rows, fewer than 5 rows in a
        domain, or source rows without labels.

    See Also
    --------
    mmd2_test, proxy_a_distance

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> from sktransfer.metrics import transferability_summary
    >>> rng = np.random.RandomState(0)
    >>> Xs = rng.normal(size=(300, 2))
    >>> ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(0.7, 1.0, size=(200, 2))
    >>> yt = np.where(np.arange(200) < 50, (Xt[:, 0] > 0.5).astype(int), -1)
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, yt))
    >>> summary = transferability_summary(X, y, sample_domain, random_state=0)
    >>> print(summary)
    field                    value  meaning
    n_source                   300  source rows (sample_domain >= 0)
    n_target                   200  target rows (sample_domain < 0)
    n_target_labeled            50  target rows with a label
    mmd2                    0.1198  unbiased MMD^2; about 0 when the domains match
    mmd2_pvalue           0.004975  permutation p-value; small: the domains differ
    proxy_a_distance        0.7833  domain classifier: about 0 alike, 2 separable
    class_prior_shift      0.09667  total variation between class frequencies
    source_to_target_gap      0.19  source CV accuracy minus target accuracy
    >>> round(summary.class_prior_shift, 3)
    0.097
    """
    X, y, sample_domain = _check_summary_input(X, y, sample_domain, estimator)
    is_source = sample_domain >= 0
    rng = check_random_state(random_state)
    X_source = _subsample(X[is_source], max_rows, rng)
    X_target = _subsample(X[~is_source], max_rows, rng)
    params = _kernel_settings(kernel, gamma, kernel_params, X_source, X_target, rng)
    test = _permutation_test(
        X_source, X_target, kernel, params, "unbiased", n_permutations, rng
    )
    domain_classifier = (
        estimator if estimator is not None and is_classifier(estimator) else None
    )
    pad = _pad(
        X_source,
        X_target,
        domain_classifier,
        _SUMMARY_FOLDS,
        rng.randint(_SEED_MAX),
        None,
    )
    n_labeled, shift, gap = _label_terms(
        X, y, sample_domain, estimator, rng.randint(_SEED_MAX)
    )
    return TransferabilitySummary(
        n_source=int(is_source.sum()),
        n_target=int((~is_source).sum()),
        n_target_labeled=n_labeled,
        mmd2=test.statistic,
        mmd2_pvalue=test.pvalue,
        proxy_a_distance=pad,
        class_prior_shift=shift,
        source_to_target_gap=gap,
    )
