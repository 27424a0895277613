"""The ``sample_domain`` convention: one stacked ``X``, one domain id per row.

Rows of every domain are stacked in one ``X``. ``sample_domain`` holds one integer
per row: ``>= 0`` marks a source domain (default id ``1``), ``< 0`` a target domain
(default id ``-2``). Unlabeled target rows carry ``y = -1`` (classification) or
``y = NaN`` (regression). The convention is SKADA's, so both libraries can share a
pipeline.
"""

import numbers
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pandas.api.types import union_categoricals
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_array,
    column_or_1d,
    indexable,
    validate_data,
)

DEFAULT_SOURCE_ID = 1
DEFAULT_TARGET_ID = -2
UNLABELED = -1

_TASKS = (None, "classification", "regression")
_INT64_MAX = np.iinfo(np.int64).max


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
        If the ids are not integers (booleans and floats are refused).
    ValueError
        If the array is not 1-d, its length differs from ``n_samples``, or an
        unsigned id is too large for int64 (it would wrap to a negative id,
        turning a source row into a target row).
    """
    values = _as_label_array(sample_domain)
    if values.size == 0 and values.dtype.kind == "f":
        values = values.astype(np.int64)  # [] reads as float64
    if values.dtype.kind not in "iu":
        raise TypeError(
            f"sample_domain must hold integer domain ids (>= 0 source, < 0 target); "
            f"got dtype {values.dtype}. Convert it, e.g. "
            "np.asarray(sample_domain, dtype=int)."
        )
    if values.dtype.kind == "u" and values.size and values.max() > _INT64_MAX:
        raise ValueError(
            f"sample_domain holds the unsigned id {values.max()}, larger than the "
            "largest int64; it would wrap around to a negative (target) id. Use "
            "small non-negative ids for source domains and negative ones for targets."
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


# -- the validator every estimator calls ----------------------------------------


@dataclass(frozen=True, eq=False)
class DomainData:
    """Validated training rows, as :func:`check_domain_data` returns them.

    Private helpers take this record and trust it: every field has been
    checked once, at the public entry.

    Attributes
    ----------
    X : ndarray, sparse matrix, DataFrame or sequence
        The rows, validated by ``validate_data`` (or as given when the caller
        asked not to validate them, as wrappers do for their inner estimator).
    X_input : object
        The rows as the user gave them (made indexable): what a wrapped
        estimator gets, so that it sees DataFrame columns and dtypes.
    y : ndarray or None
        Labels as a 1-d (or 2-d for several outputs) array, with the
        unlabeled marker on unlabeled rows; float64 for regression.
    sample_domain : ndarray of int64
        Domain id of each row (given, or inferred from the markers).
    labeled : ndarray of bool
        Rows whose label is not the unlabeled marker (all False when ``y``
        is None).
    sample_weight : ndarray of float64 or None
        Checked weights (finite, non-negative), or None when not given.
    task : {None, "classification", "regression"}
        What ``y`` holds, as the estimator declared it.
    domain_inferred : bool
        Whether ``sample_domain`` was inferred rather than given.
    """

    X: object
    X_input: object
    y: object
    sample_domain: np.ndarray
    labeled: np.ndarray
    sample_weight: object
    task: object
    domain_inferred: bool

    @property
    def n_samples(self):
        """Number of rows."""
        return self.sample_domain.shape[0]

    @property
    def is_source(self):
        """Rows of a source domain (``sample_domain >= 0``)."""
        return self.sample_domain >= 0

    @property
    def is_target(self):
        """Rows of a target domain (``sample_domain < 0``)."""
        return self.sample_domain < 0

    @property
    def labeled_target(self):
        """Target rows with a real label."""
        return self.labeled & self.is_target

    def weights(self):
        """``sample_weight``, or ones when it was not given."""
        if self.sample_weight is None:
            return np.ones(self.n_samples)
        return self.sample_weight


def check_y_given(y, name, why=None):
    """Raise sklearn's "requires y" error when ``y`` is None.

    The one copy of the message (sklearn's own wording, which its estimator
    checks look for), for estimators, scorers and functions alike.

    Parameters
    ----------
    y : object
        The labels given.
    name : str
        Who needs them (named in the error).
    why : str, default=None
        What the labels are for; None says how to mark unlabeled rows.

    Raises
    ------
    ValueError
        When ``y`` is None.
    """
    if y is None:
        why = why or (
            "Pass the labels, with -1 (classification) or NaN (regression) on "
            "unlabeled rows"
        )
        raise ValueError(
            f"{name} requires y to be passed, but the target y is None: {why}."
        )


def _non_numeric_columns(X):
    return [
        str(column)
        for column, dtype in X.dtypes.items()
        if not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        )
    ]


def _non_numeric_error(X, name):
    """The error for text or categorical DataFrame columns, or None."""
    if _kind_of_container(X) != "dataframe":
        return None
    columns = _non_numeric_columns(X)
    if not columns:
        return None
    shown = ", ".join(repr(c) for c in columns[:5])
    more = f" and {len(columns) - 5} more" if len(columns) > 5 else ""
    return ValueError(
        f"{name} needs numeric features, but the DataFrame columns {shown}{more} "
        "are categorical or text. Encode them first, inside the transfer "
        "pipeline so that every domain is encoded alike, e.g. "
        "make_transfer_pipeline(ColumnTransformer([('cat', OneHotEncoder("
        f"handle_unknown='ignore'), {columns[:5]!r})], remainder='passthrough'), "
        f"{name}(...))."
    )


@contextmanager
def non_numeric_columns_explained(X, name):
    """Turn numpy's "could not convert string to float" into a useful error.

    A model that needs numbers, fitted on a DataFrame with text or
    categorical columns, fails deep inside numpy or sklearn; when ``X`` has
    such columns the error is replaced by one that names them and the
    encoder to use (inside the transfer pipeline).

    Parameters
    ----------
    X : object
        The rows given to ``fit``.
    name : str
        The estimator named in the error.

    Yields
    ------
    None
        The block whose conversion errors are explained.
    """
    try:
        yield
    except (ValueError, TypeError) as error:
        if "convert" not in str(error):
            raise
        explained = _non_numeric_error(X, name)
        if explained is None:
            raise
        raise explained from error


def _validate_X(estimator, X, reset, check_params):
    """``validate_data`` on X, with an error naming non-numeric DataFrame columns."""
    if check_params.get("dtype", "numeric") is None:
        return validate_data(estimator, X, reset=reset, **check_params)
    with non_numeric_columns_explained(X, type(estimator).__name__):
        return validate_data(estimator, X, reset=reset, **check_params)


def _n_rows_of(X):
    try:
        return _num_samples(X)
    except TypeError as error:
        raise TypeError(
            f"X must be array-like (rows x features, or a sequence of documents); "
            f"got {type(X).__name__}."
        ) from error


def _check_labels(y, n_samples, task, multi_output):
    """y as an array of one label per row, float64 for regression."""
    y = _as_label_array(y)
    if y.ndim == 0 or y.shape[0] != n_samples:
        got = "a scalar" if y.ndim == 0 else f"{y.shape[0]} labels"
        raise ValueError(f"X has {n_samples} rows but y has {got}; give one per row.")
    if np.iscomplexobj(y):
        raise ValueError("Complex data not supported: y holds complex numbers.")
    if y.ndim == 2 and y.shape[1] == 1 and not multi_output:
        y = column_or_1d(y, warn=True)
    if y.ndim > (2 if multi_output else 1):
        raise ValueError(
            f"y must be 1-d (one label per row); got shape {y.shape}."
            + ("" if multi_output else " This estimator takes one output.")
        )
    if task == "regression":
        y = check_array(
            y,
            ensure_2d=False,
            dtype=np.float64,
            ensure_all_finite="allow-nan",
            input_name="y",
        )
    return y


def _check_no_marker_collision(y, labeled, sample_domain, domain_inferred, task):
    """Refuse labels where a real class is taken for the ``-1`` marker."""
    check_source_labeled(y, sample_domain, task)
    if task != "classification" or not domain_inferred or labeled.all():
        return
    classes = np.unique(y[labeled]) if labeled.any() else []
    if len(classes) == 1:
        raise ValueError(
            f"y holds the unlabeled marker -1 and one other class ({classes[0]}). "
            "-1 marks unlabeled target "
            "rows, so at most one real class is left to learn from. If -1 is a real "
            "class (labels {-1, 1}), re-encode the labels (e.g. with "
            "sklearn.preprocessing.LabelEncoder) and pass sample_domain."
        )


def _check_weights(sample_weight, X, labeled, has_y):
    n_samples = _n_rows_of(X)
    values = np.asarray(sample_weight) if not np.isscalar(sample_weight) else None
    if values is not None and values.ndim == 1 and values.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {values.shape[0]} entries but X has {n_samples} rows; "
            "give one weight per row."
        )
    weights = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    if has_y and not weights[labeled].sum() > 0:
        raise ValueError(
            "sample_weight must give the labeled rows a positive total weight; "
            "every labeled row has weight 0."
        )
    return weights


def check_domain_data(
    estimator,
    X,
    y=None,
    sample_domain=None,
    sample_weight=None,
    *,
    task=None,
    y_required=True,
    multi_output=False,
    validate_X=True,
    reset=True,
    need_source=True,
    need_target=False,
    need_labeled_target=False,
    name=None,
    **check_params,
):
    """Validate training rows of the ``sample_domain`` convention, once.

    The one validator every transfer estimator calls at its public entry
    (``fit``). It validates ``X`` (``validate_data``, which also records
    ``n_features_in_``), the labels and ``sample_domain`` (given, or inferred
    from the unlabeled markers), computes the unlabeled mask once, checks
    ``sample_weight``, refuses labels that collide with the ``-1`` marker and
    the domains the method needs but lacks, and returns a :class:`DomainData`
    record.

    Parameters
    ----------
    estimator : estimator object or None
        The estimator being fitted: named in errors; ``validate_data`` records
        ``n_features_in_`` and ``feature_names_in_`` on it. None (with
        ``validate_X=False`` and ``name``) for functions and splitters.
    X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
        Rows of every domain.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
        Labels; ``-1`` (classification) or ``NaN`` (regression) marks
        unlabeled rows.
    sample_domain : array-like of int of shape (n_samples,), default=None
        Domain ids (``>= 0`` source, ``< 0`` target); inferred from the label
        masks when None (masked rows are target), every row source when ``y``
        is None too.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights: finite and non-negative, with a positive total on the
        labeled rows.
    task : {None, "classification", "regression"}, default=None
        What ``y`` holds, hence which marker it uses; None infers the marker.
    y_required : bool, default=True
        Raise sklearn's "requires y" error when ``y`` is None.
    multi_output : bool, default=False
        Accept a 2-d ``y`` (several outputs).
    validate_X : bool, default=True
        Run ``validate_data`` on ``X``. Wrappers that hand ``X`` to an inner
        estimator as it is (text, DataFrames of strings) pass False; only the
        row count is then checked.
    reset : bool, default=True
        Passed to ``validate_data``.
    need_source, need_target, need_labeled_target : bool
        Domains the method needs: source rows (default), target rows,
        labeled target rows (when there are target rows at all).
        ``need_target="if_given"`` needs target rows only in a given
        ``sample_domain``: with inferred domains and no unlabeled row, every
        row is source and the method falls back to its no-transfer
        counterpart, as sklearn's common checks expect.
    name : str, default=None
        Who is named in errors; the estimator's class name when None.
    **check_params : dict
        Other arguments of ``validate_data`` (``accept_sparse``, ``dtype``,
        ``ensure_all_finite``, ...).

    Returns
    -------
    data : DomainData
        The validated record.

    Raises
    ------
    ValueError
        For a missing ``y``, mismatched lengths, a real class colliding with
        the ``-1`` marker, masked source labels, negative or non-finite
        weights, missing domains, or non-numeric DataFrame columns given to a
        numeric method (the message names them and the encoder to use).
    TypeError
        For domain ids that are not integers.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from sktransfer._domain import check_domain_data
    >>> X = np.arange(8.0).reshape(4, 2)
    >>> data = check_domain_data(BaseEstimator(), X, [0, 1, 1, -1],
    ...                          task="classification")
    >>> data.sample_domain
    array([ 1,  1,  1, -2])
    >>> data.labeled
    array([ True,  True,  True, False])
    """
    name = name or type(estimator).__name__
    if y_required:
        check_y_given(y, name)
    if y is not None:
        y = _check_labels(y, _n_rows_of(X), task, multi_output)
    X_input = X if y is None else indexable(X, y)[0]
    if validate_X:
        X = _validate_X(estimator, X_input, reset, check_params)
    n_samples = _n_rows_of(X)
    domain_inferred = sample_domain is None
    sample_domain = resolve_sample_domain(y, sample_domain, n_samples, task=task)
    if y is None:
        labeled = np.zeros(n_samples, dtype=bool)
    else:
        labeled = ~unlabeled_mask(y, task)
        _check_no_marker_collision(y, labeled, sample_domain, domain_inferred, task)
        if task == "classification" and labeled.any():
            check_classification_targets(y[labeled])
    if sample_weight is not None:
        sample_weight = _check_weights(sample_weight, X, labeled, y is not None)
    need_target = need_target is True or (
        need_target == "if_given" and not domain_inferred
    )
    require_domains(sample_domain, source=need_source, target=need_target, method=name)
    is_target = sample_domain < 0
    if need_labeled_target and is_target.any() and not (is_target & labeled).any():
        marker = "NaN" if task == "regression" else "-1"
        raise ValueError(
            f"{name} needs labeled target rows (sample_domain < 0 with a real "
            f"label); every target row is unlabeled ({marker}). Label a few target "
            "rows, or use a method for unlabeled targets."
        )
    return DomainData(
        X=X,
        X_input=X_input,
        y=y,
        sample_domain=sample_domain,
        labeled=labeled,
        sample_weight=sample_weight,
        task=task,
        domain_inferred=domain_inferred,
    )


# -- stacking and splitting ---------------------------------------------------------


def _is_text(X):
    """A 1-d sequence of documents (what TfidfVectorizer takes)."""
    if hasattr(X, "iloc") and not hasattr(X, "columns"):  # a pandas Series
        return True
    if isinstance(X, np.ndarray):
        return X.ndim == 1 and X.dtype.kind in "OUS" and X.size > 0
    if isinstance(X, (list, tuple)) and X:
        return all(isinstance(document, (str, bytes)) for document in X)
    return False


def _kind_of_container(X):
    if hasattr(X, "iloc") and hasattr(X, "columns"):
        return "dataframe"
    if sp.issparse(X):
        return "sparse"
    if _is_text(X):
        return "text"
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
    """Rows and features of one domain's X; a text domain has no feature count."""
    kind = _kind_of_container(X)
    if kind == "text":
        return len(X), None
    if kind == "array":
        X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"X of {role} domain {domain_id} must be 2-d (rows x features) or a "
            f"1-d sequence of documents (strings); got {X.ndim} dimensions"
            + (
                " of numbers. Reshape it, e.g. X.reshape(-1, 1)."
                if X.ndim == 1
                else "."
            )
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
        columns = list(blocks[0].columns)
        for X in blocks[1:]:
            if list(X.columns) != columns:
                raise ValueError(
                    "All domains' DataFrames must have the same columns in the same "
                    f"order; got {columns} and {list(X.columns)}."
                )
        return pd.concat(_with_shared_categories(blocks), axis=0)
    if kind == "sparse":
        return sp.vstack(blocks, format="csr")
    if kind == "text":
        return _stack_text(blocks)
    return np.vstack([np.asarray(X) for X in blocks])


def _stack_text(blocks):
    """Documents of every domain: a Series, an array or a list, as given."""
    if all(hasattr(X, "iloc") for X in blocks):
        return pd.concat(blocks, axis=0)
    if all(isinstance(X, np.ndarray) for X in blocks):
        return np.concatenate(blocks)
    return [document for X in blocks for document in X]


def _with_shared_categories(blocks):
    """DataFrames whose categorical columns share one set of categories.

    ``pd.concat`` turns a categorical column into ``object`` when the domains'
    categories differ (a product sold only in the target market); the union
    of the categories, in order of first appearance, keeps the dtype.
    """
    blocks = list(blocks)
    for column in blocks[0].columns:
        dtypes = [X[column].dtype for X in blocks]
        if not any(isinstance(d, pd.CategoricalDtype) for d in dtypes):
            continue
        if all(d == dtypes[0] for d in dtypes):
            continue
        if any(getattr(d, "ordered", False) for d in dtypes):
            raise ValueError(
                f"Column {column!r} is an ordered categorical whose categories "
                "differ between domains, so no order holds for all of them. Give "
                "every domain the same ordered categories, e.g. "
                "X[column].cat.set_categories(categories, ordered=True)."
            )
        as_categories = [X[column].astype("category") for X in blocks]
        shared = pd.CategoricalDtype(union_categoricals(as_categories).categories)
        blocks = [X.astype({column: shared}) for X in blocks]
    return blocks


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
            if n_features is None or n_cols is None:
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
        Rows of every domain, stacked.
    y : array-like of shape (n_samples,) or None
        Labels of the rows, or None.
    sample_domain : array-like of int of shape (n_samples,)
        Domain id of each row (``>= 0`` source, ``< 0`` target).

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
