"""The ``sample_domain`` convention: one stacked ``X``, one domain id per row.

Rows of every domain are stacked in one ``X``. ``sample_domain`` holds one integer
per row: ``>= 0`` marks a source domain (default id ``1``), ``< 0`` a target domain
(default id ``-2``). Unlabeled target rows carry ``y = -1`` (classification) or
``y = NaN`` (regression). The convention is SKADA's, so both libraries can share a
pipeline.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import type_of_target

DEFAULT_SOURCE_ID = 1
DEFAULT_TARGET_ID = -2
UNLABELED = -1

_TASKS = (None, "classification", "regression")


def _as_label_array(y):
    return np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)


def _float_nan_mask(y):
    if y.dtype.kind == "f":
        return np.isnan(y)
    if y.dtype.kind == "O":
        return np.array([isinstance(v, float) and np.isnan(v) for v in y], dtype=bool)
    return np.zeros(y.shape[0], dtype=bool)


def _minus_one_mask(y):
    if y.dtype.kind in "iuf":
        return y == UNLABELED
    if y.dtype.kind == "O":
        return np.array(
            [isinstance(v, numbers.Number) and v == UNLABELED for v in y], dtype=bool
        )
    return np.zeros(y.shape[0], dtype=bool)


def unlabeled_mask(y, task=None):
    """Boolean mask of the rows whose label is the "unlabeled" marker.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels; unlabeled rows carry ``-1`` (classification) or ``NaN``
        (regression).
    task : {None, "classification", "regression"}, default=None
        What ``y`` holds. ``None`` infers it: ``NaN`` marks unlabeled rows when
        present, else ``-1`` does, unless ``y`` is continuous (then no row is
        masked and ``-1.0`` is a real value).

    Returns
    -------
    mask : ndarray of bool of shape (n_samples,)

    Examples
    --------
    >>> from sktransfer._domain import unlabeled_mask
    >>> unlabeled_mask([0, 1, -1, 1])
    array([False, False,  True, False])
    >>> unlabeled_mask([0.5, float("nan"), -1.0], task="regression")
    array([False,  True, False])
    """
    if task not in _TASKS:
        raise ValueError(f"task must be one of {_TASKS}; got {task!r}.")
    y = _as_label_array(y)
    if y.ndim == 2:
        # Several outputs: a row is unlabeled when any output carries a marker.
        return np.array([unlabeled_mask(column, task) for column in y.T]).any(axis=0)
    if y.ndim != 1:
        raise ValueError(
            f"Labels must be 1-d or 2-d (rows x outputs); got shape {y.shape}."
        )
    nan = _float_nan_mask(y)
    if task == "regression":
        return nan
    minus_one = _minus_one_mask(y)
    if task == "classification":
        if nan.any():
            raise ValueError(
                f"Classification labels contain {int(nan.sum())} NaN values. Mark "
                "unlabeled rows with -1 (NaN is the marker for regression targets)."
            )
        return minus_one
    if nan.any():
        labeled = y[~nan].astype(float)
        integral = np.all(np.mod(labeled, 1) == 0)
        if integral and minus_one.any():
            raise ValueError(
                "y mixes the two unlabeled markers: NaN (regression) and -1 "
                "(classification). Use -1 for unlabeled rows of a classification "
                "target, or NaN for a regression target, or pass task= explicitly."
            )
        return nan
    if y.dtype.kind == "f" and type_of_target(y) == "continuous":
        return np.zeros(y.shape[0], dtype=bool)
    return minus_one


def check_sample_domain(sample_domain, n_samples):
    """Validate a ``sample_domain`` array: 1-d integer ids, one per row.

    Parameters
    ----------
    sample_domain : array-like of int of shape (n_samples,)
        Domain id of each row: ``>= 0`` source, ``< 0`` target.
    n_samples : int
        Number of rows of ``X``.

    Returns
    -------
    sample_domain : ndarray of int64 of shape (n_samples,)

    Raises
    ------
    TypeError
        If the ids are not integers.
    ValueError
        If the array is not 1-d or its length differs from ``n_samples``.
    """
    values = _as_label_array(sample_domain)
    if values.dtype.kind not in "iu":
        raise TypeError(
            f"sample_domain must hold integer domain ids (>= 0 source, < 0 target); "
            f"got dtype {values.dtype}. Convert it, e.g. "
            "np.asarray(sample_domain, dtype=int)."
        )
    if values.ndim != 1:
        raise ValueError(
            f"sample_domain must be 1-d (one id per row); got shape {values.shape}."
        )
    if values.shape[0] != n_samples:
        raise ValueError(
            f"sample_domain has {values.shape[0]} entries but X has {n_samples} rows; "
            "give one domain id per row."
        )
    return values.astype(np.int64, copy=False)


def infer_sample_domain(y, task=None):
    """Domain ids inferred from label masks: unlabeled rows are target.

    Rows whose label is the unlabeled marker get ``DEFAULT_TARGET_ID`` (``-2``),
    the rest ``DEFAULT_SOURCE_ID`` (``1``). With ``y=None`` every row is source.

    Examples
    --------
    >>> from sktransfer._domain import infer_sample_domain
    >>> infer_sample_domain([0, 1, -1])
    array([ 1,  1, -2])
    """
    if y is None:
        raise ValueError("infer_sample_domain needs labels; got y=None.")
    masked = unlabeled_mask(y, task)
    return np.where(masked, DEFAULT_TARGET_ID, DEFAULT_SOURCE_ID).astype(np.int64)


def resolve_sample_domain(y, sample_domain, n_samples, *, task=None):
    """Validate ``sample_domain``, or infer it from ``y`` when it is None.

    With both ``y`` and ``sample_domain`` None, every row is source: the
    estimator then behaves like its no-transfer counterpart.
    """
    if sample_domain is not None:
        return check_sample_domain(sample_domain, n_samples)
    if y is None:
        return np.full(n_samples, DEFAULT_SOURCE_ID, dtype=np.int64)
    return infer_sample_domain(y, task)


def check_source_labeled(y, sample_domain, task=None):
    """Raise when a source row carries the unlabeled marker.

    Source rows must be labeled for every method that learns from them; ``-1``
    is reserved as the marker and can therefore never be a class label.
    """
    masked_source = unlabeled_mask(y, task) & (np.asarray(sample_domain) >= 0)
    if masked_source.any():
        raise ValueError(
            f"{int(masked_source.sum())} source rows (sample_domain >= 0) carry the "
            "unlabeled marker (-1 for classes, NaN for regression). Source rows must "
            "be labeled; if -1 is a real class, re-encode the labels (e.g. with "
            "sklearn.preprocessing.LabelEncoder)."
        )


def require_domains(sample_domain, *, source=True, target=False, method="This method"):
    """Raise a clear error when a needed kind of domain has no rows."""
    sample_domain = np.asarray(sample_domain)
    if source and not np.any(sample_domain >= 0):
        raise ValueError(
            f"{method} needs source rows (sample_domain >= 0); got only target rows. "
            "Pass sample_domain with ids >= 0 for the source rows."
        )
    if target and not np.any(sample_domain < 0):
        raise ValueError(
            f"{method} needs target rows (sample_domain < 0); got only source rows. "
            "Pass sample_domain or mark unlabeled target labels as -1 (NaN for "
            "regression)."
        )


# -- stacking and splitting ---------------------------------------------------------


def _kind_of_container(X):
    if hasattr(X, "iloc") and hasattr(X, "columns"):
        return "dataframe"
    if sp.issparse(X):
        return "sparse"
    return "array"


def _as_domain_list(domains, role, first_id, step):
    """Normalise ``source``/``target`` arguments to a list of (id, X, y)."""
    if domains is None:
        return []
    if isinstance(domains, dict):
        items = list(domains.items())
    elif isinstance(domains, list):
        items = [(first_id + step * i, d) for i, d in enumerate(domains)]
    else:
        items = [(first_id, domains)]
    if not items:
        raise ValueError(f"{role} is empty; give at least one (X, y) pair.")
    normalised = []
    for domain_id, pair in items:
        if isinstance(pair, tuple) and len(pair) != 2:
            raise ValueError(
                f"Each {role} domain must be an (X, y) pair; got a tuple of "
                f"{len(pair)} items."
            )
        X, y = pair if isinstance(pair, tuple) else (pair, None)
        normalised.append((domain_id, X, None if y is None else _as_label_array(y)))
    return normalised


def _check_domain_id(domain_id, role):
    if isinstance(domain_id, bool) or not isinstance(domain_id, numbers.Integral):
        raise TypeError(f"{role} domain ids must be integers; got {domain_id!r}.")
    if role == "source" and domain_id < 0:
        raise ValueError(f"Source domain ids must be >= 0; got {domain_id}.")
    if role == "target" and domain_id >= 0:
        raise ValueError(f"Target domain ids must be < 0; got {domain_id}.")


def _n_rows_and_features(X, role, domain_id):
    if _kind_of_container(X) == "array":
        X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"X of {role} domain {domain_id} must be 2-d (rows x features); got "
            f"{X.ndim} dimensions. Reshape it, e.g. X.reshape(-1, 1)."
        )
    if X.shape[0] == 0:
        raise ValueError(f"The {role} domain {domain_id} has no rows; drop it.")
    return X.shape


def _infer_task(labels):
    if not labels:
        return "classification"
    y = np.concatenate([np.asarray(v, dtype=object) for v in labels])
    try:
        kind = type_of_target(np.asarray(y.tolist()))
    except ValueError:
        return "classification"
    return (
        "regression"
        if kind in ("continuous", "continuous-multioutput")
        else "classification"
    )


def _fill_unlabeled(n_rows, task, labels):
    if task == "regression":
        return np.full(n_rows, np.nan)
    if any(np.asarray(v).dtype.kind in "OUS" for v in labels):
        raise ValueError(
            "Unlabeled target rows need the -1 marker, which cannot be mixed with "
            "string class labels. Encode the labels as integers first (e.g. with "
            "sklearn.preprocessing.LabelEncoder)."
        )
    return np.full(n_rows, UNLABELED)


def _stack_X(blocks):
    kinds = {_kind_of_container(X) for X in blocks}
    if len(kinds) > 1:
        raise TypeError(
            f"All domains must use the same kind of X; got a mix of {sorted(kinds)}. "
            "Convert them to one kind (e.g. all DataFrames or all ndarrays)."
        )
    kind = kinds.pop()
    if kind == "dataframe":
        import pandas as pd

        columns = list(blocks[0].columns)
        for X in blocks[1:]:
            if list(X.columns) != columns:
                raise ValueError(
                    "All domains' DataFrames must have the same columns in the same "
                    f"order; got {columns} and {list(X.columns)}."
                )
        return pd.concat(blocks, axis=0)
    if kind == "sparse":
        return sp.vstack(blocks, format="csr")
    return np.vstack([np.asarray(X) for X in blocks])


def stack_domains(source, target=None, *, task=None):
    """Stack several domains into ``X, y, sample_domain``.

    Parameters
    ----------
    source : (X, y) pair, list of pairs, or dict {id: (X, y)}
        Labeled source domain(s). A list gives ids ``1, 2, ...``; a dict gives
        its own ids, which must be ``>= 0``.
    target : (X, y) pair, X alone, list, or dict {id: (X, y)}, default=None
        Target domain(s). ``y=None`` (or ``X`` alone) marks every row of that
        domain unlabeled; ``y`` may also hold ``-1``/``NaN`` for some rows. A
        list gives ids ``-2, -3, ...``; a dict its own ids, which must be ``< 0``.
    task : {None, "classification", "regression"}, default=None
        Decides the unlabeled marker (``-1`` or ``NaN``). ``None`` infers it
        from the source labels (continuous -> regression).

    Returns
    -------
    X : ndarray, sparse matrix or DataFrame
        All rows, sources first, in the order given. DataFrames stay
        DataFrames (their index is kept); sparse input stays sparse (CSR).
    y : ndarray of shape (n_samples,)
        Labels, with the unlabeled marker on unlabeled target rows.
    sample_domain : ndarray of int64 of shape (n_samples,)
        Domain id of each row.

    See Also
    --------
    split_domains : The inverse operation.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import stack_domains
    >>> Xs, ys = np.zeros((3, 2)), np.array([0, 1, 0])
    >>> Xt = np.ones((2, 2))
    >>> X, y, sample_domain = stack_domains(source=(Xs, ys), target=(Xt, None))
    >>> X.shape
    (5, 2)
    >>> y
    array([ 0,  1,  0, -1, -1])
    >>> sample_domain
    array([ 1,  1,  1, -2, -2])
    """
    if task not in _TASKS:
        raise ValueError(f"task must be one of {_TASKS}; got {task!r}.")
    sources = _as_domain_list(source, "source", DEFAULT_SOURCE_ID, 1)
    targets = _as_domain_list(target, "target", DEFAULT_TARGET_ID, -1)
    if not sources:
        raise ValueError("stack_domains needs at least one source domain (X, y).")
    n_features = None
    for role, domains in (("source", sources), ("target", targets)):
        for domain_id, X, y in domains:
            _check_domain_id(domain_id, role)
            n_rows, n_cols = _n_rows_and_features(X, role, domain_id)
            if n_features is None:
                n_features = n_cols
            elif n_cols != n_features:
                raise ValueError(
                    f"Feature mismatch between domains: the {role} domain {domain_id} "
                    f"has {n_cols} features, the first domain {n_features}. All "
                    "domains must share the same features, in the same order."
                )
            if y is None and role == "source":
                raise ValueError(
                    f"Source domain {domain_id} has y=None; source rows need labels."
                )
            if y is not None and y.shape[0] != n_rows:
                raise ValueError(
                    f"The {role} domain {domain_id} has {n_rows} rows in X but "
                    f"{y.shape[0]} labels."
                )
    labels = [y for _, _, y in sources + targets if y is not None]
    task = task or _infer_task([y for _, _, y in sources])
    y_blocks, domain_blocks, X_blocks = [], [], []
    for domain_id, X, y in sources + targets:
        n_rows = X.shape[0] if hasattr(X, "shape") else len(X)
        y_blocks.append(_fill_unlabeled(n_rows, task, labels) if y is None else y)
        domain_blocks.append(np.full(n_rows, domain_id, dtype=np.int64))
        X_blocks.append(X)
    y = np.concatenate(y_blocks)
    sample_domain = np.concatenate(domain_blocks)
    check_source_labeled(y, sample_domain, task)
    return _stack_X(X_blocks), y, sample_domain


def split_domains(X, y, sample_domain):
    """Split stacked rows back into one ``(X, y)`` pair per domain.

    Parameters
    ----------
    X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or None
    sample_domain : array-like of int of shape (n_samples,)

    Returns
    -------
    domains : dict
        ``{domain_id: (X_d, y_d)}`` in increasing id order, rows in their
        original order; ``X_d`` keeps the container type of ``X``; ``y_d`` is
        None when ``y`` is None.

    See Also
    --------
    stack_domains : The inverse operation.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer import split_domains
    >>> X = np.arange(8).reshape(4, 2)
    >>> parts = split_domains(X, [0, 1, -1, -1], [1, 1, -2, -2])
    >>> sorted(parts)
    [-2, 1]
    >>> parts[1][0]
    array([[0, 1],
           [2, 3]])
    """
    n_samples = X.shape[0] if hasattr(X, "shape") else len(X)
    sample_domain = check_sample_domain(sample_domain, n_samples)
    if y is not None and len(y) != n_samples:
        raise ValueError(f"X has {n_samples} rows but y has {len(y)} labels.")
    y = None if y is None else _as_label_array(y)
    domains = {}
    for domain_id in np.unique(sample_domain):
        rows = np.flatnonzero(sample_domain == domain_id)
        domains[int(domain_id)] = (
            _safe_indexing(X, rows),
            None if y is None else y[rows],
        )
    return domains
