"""Loaders of the bundled real data sets, split into a source and a target domain."""

import numbers
from collections.abc import Iterable
from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from sktransfer._domain import DEFAULT_SOURCE_ID, DEFAULT_TARGET_ID

__all__ = ["load_credit_default", "load_mushroom"]

_DATA_PACKAGE = "sktransfer.datasets"

# ---------------------------------------------------------------------------
# Mushroom
# ---------------------------------------------------------------------------

_MUSHROOM_FILE = "mushroom.data.xz"
_MUSHROOM_DESCR = "mushroom.rst"
_MUSHROOM_DOMAIN_COLUMN = "stalk-shape"
_MUSHROOM_SOURCES = ("enlarging", "tapering")

# The 22 attributes in file order, with their "word=code" lists copied from
# agaricus-lepiota.names (UCI). "bruises?" is renamed "bruises"; the '?' code
# of stalk-root (missing) is left out on purpose so that it decodes to NaN.
_MUSHROOM_ATTRIBUTES = (
    ("cap-shape", "bell=b,conical=c,convex=x,flat=f,knobbed=k,sunken=s"),
    ("cap-surface", "fibrous=f,grooves=g,scaly=y,smooth=s"),
    (
        "cap-color",
        "brown=n,buff=b,cinnamon=c,gray=g,green=r,pink=p,purple=u,red=e,"
        "white=w,yellow=y",
    ),
    ("bruises", "bruises=t,no=f"),
    (
        "odor",
        "almond=a,anise=l,creosote=c,fishy=y,foul=f,musty=m,none=n,pungent=p,spicy=s",
    ),
    ("gill-attachment", "attached=a,descending=d,free=f,notched=n"),
    ("gill-spacing", "close=c,crowded=w,distant=d"),
    ("gill-size", "broad=b,narrow=n"),
    (
        "gill-color",
        "black=k,brown=n,buff=b,chocolate=h,gray=g,green=r,orange=o,pink=p,"
        "purple=u,red=e,white=w,yellow=y",
    ),
    ("stalk-shape", "enlarging=e,tapering=t"),
    ("stalk-root", "bulbous=b,club=c,cup=u,equal=e,rhizomorphs=z,rooted=r"),
    ("stalk-surface-above-ring", "fibrous=f,scaly=y,silky=k,smooth=s"),
    ("stalk-surface-below-ring", "fibrous=f,scaly=y,silky=k,smooth=s"),
    (
        "stalk-color-above-ring",
        "brown=n,buff=b,cinnamon=c,gray=g,orange=o,pink=p,red=e,white=w,yellow=y",
    ),
    (
        "stalk-color-below-ring",
        "brown=n,buff=b,cinnamon=c,gray=g,orange=o,pink=p,red=e,white=w,yellow=y",
    ),
    ("veil-type", "partial=p,universal=u"),
    ("veil-color", "brown=n,orange=o,white=w,yellow=y"),
    ("ring-number", "none=n,one=o,two=t"),
    (
        "ring-type",
        "cobwebby=c,evanescent=e,flaring=f,large=l,none=n,pendant=p,sheathing=s,zone=z",
    ),
    (
        "spore-print-color",
        "black=k,brown=n,buff=b,chocolate=h,green=r,orange=o,purple=u,white=w,yellow=y",
    ),
    (
        "population",
        "abundant=a,clustered=c,numerous=n,scattered=s,several=v,solitary=y",
    ),
    (
        "habitat",
        "grasses=g,leaves=l,meadows=m,paths=p,urban=u,waste=w,woods=d",
    ),
)

# ---------------------------------------------------------------------------
# Credit card default
# ---------------------------------------------------------------------------

_CREDIT_FILE = "credit_default.csv.xz"
_CREDIT_DESCR = "credit_default.rst"
_CREDIT_TARGET = "default"
_CREDIT_MONTHS = range(1, 7)
_CREDIT_DTYPES = {
    "LIMIT_BAL": "int32",
    "SEX": "int8",
    "EDUCATION": "int8",
    "MARRIAGE": "int8",
    "AGE": "int16",
    **{f"PAY_{k}": "int8" for k in (0, 2, 3, 4, 5, 6)},
    **{f"BILL_AMT{k}": "int32" for k in _CREDIT_MONTHS},
    **{f"PAY_AMT{k}": "int32" for k in _CREDIT_MONTHS},
    _CREDIT_TARGET: "int8",
}
# Documented split per column: (source values, target values).
_CREDIT_DEFAULT_SPLITS = {
    "EDUCATION": ((1, 2), (3,)),
    "SEX": ((1,), (2,)),
}
# Meaning of the codes documented by UCI, used in the domain names.
_CREDIT_CODES = {
    "SEX": {1: "male", 2: "female"},
    "EDUCATION": {
        1: "graduate school",
        2: "university",
        3: "high school",
        4: "others",
    },
    "MARRIAGE": {1: "married", 2: "single", 3: "others"},
}
# Above this many distinct values an error message gives the range instead.
_MAX_LISTED_VALUES = 20


def load_mushroom(*, source="enlarging"):
    """Load the UCI Mushroom data split into two domains by stalk shape.

    8124 mushrooms described by 22 categorical attributes, labelled edible or
    poisonous. Following Dai et al. (2007), the rows are split into two domains
    by the attribute ``stalk-shape``: 3516 rows with an enlarging stalk, 4608
    with a tapering one. ``stalk-shape`` is the domain indicator, so it is
    removed from ``X``: 21 features remain.

    The data set is bundled with the package (no download). It comes from the
    UCI Machine Learning Repository, donated by J. Schlimmer (1987), and is
    redistributed under the Creative Commons Attribution 4.0 International
    licence (CC BY 4.0); cite Dua & Graff (UCI) and the donor when you use it.

    Parameters
    ----------
    source : {"enlarging", "tapering"}, default="enlarging"
        Which stalk shape forms the source domain
        (``sample_domain == DEFAULT_SOURCE_ID``, i.e. 1); the rows of the other
        stalk shape form the target domain (``DEFAULT_TARGET_ID``, i.e. -2).
        The default follows Dai et al. (2007), who use the enlarging rows as
        the differently distributed (source) data.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        X : pandas.DataFrame of shape (8124, 21)
            The features, all of ``category`` dtype, named after the UCI
            attributes (``"cap-shape"``, ``"odor"``, ...; ``"bruises?"`` is
            named ``"bruises"``). The one-letter UCI codes are decoded to the
            words of the UCI description (``"bell"`` instead of ``"b"``); the
            categories of a column are the values that occur in the data. The
            2480 ``"?"`` of ``stalk-root`` are missing values (NaN). Rows are
            in the order of the UCI file.
        y : ndarray of shape (8124,)
            int64 labels, 1 = poisonous (including "unknown edibility"), 0 =
            edible.
        sample_domain : ndarray of shape (8124,)
            int64 domain ids: 1 for the source rows, -2 for the target rows.
        feature_names : list of str
            The 21 column names of ``X``.
        target_names : list of str
            ``["edible", "poisonous"]``, indexed by ``y``.
        domain_names : dict
            Domain id to stalk shape, e.g. ``{1: "enlarging", -2: "tapering"}``.
        DESCR : str
            Description: origin, licence and attribution, the domain split and
            the row counts per domain and class.

    Raises
    ------
    ValueError
        If ``source`` is neither ``"enlarging"`` nor ``"tapering"``.

    See Also
    --------
    load_credit_default : Credit default data split by a client attribute.

    Notes
    -----
    Rows per domain and class:

    ==========  ======  =========  =====
    stalk       edible  poisonous  total
    ==========  ======  =========  =====
    enlarging   1616    1900       3516
    tapering    2592    2016       4608
    total       4208    3916       8124
    ==========  ======  =========  =====

    References
    ----------
    .. [1] W. Dai, Q. Yang, G.-R. Xue and Y. Yu, "Boosting for Transfer
       Learning", Proceedings of the 24th International Conference on Machine
       Learning (ICML), pp. 193-200, 2007.
    .. [2] J. Schlimmer, "Mushroom", UCI Machine Learning Repository, 1987.
       https://archive.ics.uci.edu/dataset/73/mushroom
    .. [3] D. Dua and C. Graff, "UCI Machine Learning Repository", University
       of California, Irvine, School of Information and Computer Sciences,
       2019. http://archive.ics.uci.edu/ml

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.datasets import load_mushroom
    >>> data = load_mushroom()
    >>> data.X.shape
    (8124, 21)
    >>> data.domain_names
    {1: 'enlarging', -2: 'tapering'}
    >>> int((data.sample_domain == 1).sum()), int((data.sample_domain == -2).sum())
    (3516, 4608)
    >>> np.bincount(data.y)
    array([4208, 3916])
    >>> data.X.loc[0, "cap-shape"]
    'convex'
    """
    if source not in _MUSHROOM_SOURCES:
        raise ValueError(
            f"source must be one of {_MUSHROOM_SOURCES} (the stalk shape of the "
            f"source domain); got {source!r}."
        )
    raw = _read_mushroom_codes()
    target = next(name for name in _MUSHROOM_SOURCES if name != source)
    stalk = _decode_mushroom_column(raw[_MUSHROOM_DOMAIN_COLUMN], "stalk-shape")
    sample_domain = np.where(
        stalk == source, DEFAULT_SOURCE_ID, DEFAULT_TARGET_ID
    ).astype(np.int64)
    y = (raw["class"] == "p").to_numpy().astype(np.int64)
    X = pd.DataFrame(
        {
            name: _decode_mushroom_column(raw[name], name)
            for name, _ in _MUSHROOM_ATTRIBUTES
            if name != _MUSHROOM_DOMAIN_COLUMN
        }
    )
    domain_names = {DEFAULT_SOURCE_ID: source, DEFAULT_TARGET_ID: target}
    target_names = ["edible", "poisonous"]
    return _domain_bunch(
        X, y, sample_domain, target_names, domain_names, _read_text(_MUSHROOM_DESCR)
    )


def load_credit_default(
    *, domain_column="EDUCATION", source_values=None, target_values=None
):
    """Load the UCI credit card default data split into two client groups.

    30000 credit card clients of a Taiwanese bank (April-September 2005), 23
    attributes, labelled by whether they defaulted on the next month's
    payment (22.1 % did). The domains are groups of clients chosen by the
    values of one attribute, ``domain_column``: rows whose value is in
    ``source_values`` form the source domain, rows whose value is in
    ``target_values`` the target domain.

    The data set is bundled with the package (no download). It comes from the
    UCI Machine Learning Repository (Yeh & Lien, 2009) and is redistributed
    under the Creative Commons Attribution 4.0 International licence
    (CC BY 4.0); cite Yeh & Lien (2009) and UCI when you use it.

    Parameters
    ----------
    domain_column : str, default="EDUCATION"
        The feature that defines the domains, any column of the data (see
        ``DESCR`` for the list), e.g. ``"EDUCATION"``, ``"SEX"``,
        ``"MARRIAGE"`` or ``"AGE"``. It is removed from ``X``: its values are
        the domain labels, and within a domain that has a single value it
        would be a constant column.
    source_values, target_values : int or sequence of int, default=None
        The values of ``domain_column`` that form the source and the target
        domain. They must occur in the column and must not overlap. Pass both
        or neither; with neither, the documented split of the column is used:

        - ``"EDUCATION"``: source ``(1, 2)`` (graduate school, university),
          target ``(3,)`` (high school). The 468 rows with another value
          (0, 4 = others, 5, 6; mostly undocumented codes) are dropped.
        - ``"SEX"``: source ``(1,)`` (male, 11888 rows), target ``(2,)``
          (female, 18112 rows). No row is dropped.

        Any other column needs both values.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        X : pandas.DataFrame of shape (n_rows, 22)
            The 22 features other than ``domain_column``, as integer columns
            (int8 codes and repayment statuses, int16 age, int32 amounts in NT
            dollars), with the UCI/Kaggle column names. ``n_rows`` counts the
            rows of the two domains only: rows whose ``domain_column`` value
            is in neither ``source_values`` nor ``target_values`` are dropped.
            The index is a fresh ``RangeIndex``; rows keep the file order.
        y : ndarray of shape (n_rows,)
            int64 labels, 1 = default payment next month, 0 = no default.
        sample_domain : ndarray of shape (n_rows,)
            int64 domain ids: 1 for the source rows, -2 for the target rows.
        feature_names : list of str
            The column names of ``X``.
        target_names : list of str
            ``["no default", "default"]``, indexed by ``y``.
        domain_names : dict
            Domain id to a description of its group, e.g.
            ``{1: "EDUCATION in {1, 2} (graduate school, university)",
            -2: "EDUCATION=3 (high school)"}``.
        DESCR : str
            Description: origin, licence and attribution, the columns, the
            domain split with the number of dropped rows, and the row counts
            per domain and class.

    Raises
    ------
    ValueError
        If ``domain_column`` is not a feature of the data, only one of
        ``source_values`` and ``target_values`` is given, both are None for a
        column without a documented split, a value list is empty, holds a
        non-integer or a value absent from the column, or the two lists
        overlap.

    See Also
    --------
    load_mushroom : Mushroom data split by stalk shape.

    References
    ----------
    .. [1] I.-C. Yeh and C.-H. Lien, "The comparisons of data mining techniques
       for the predictive accuracy of probability of default of credit card
       clients", Expert Systems with Applications, 36(2), pp. 2473-2480, 2009.
    .. [2] I.-C. Yeh, "default of credit card clients", UCI Machine Learning
       Repository, 2016.
       https://archive.ics.uci.edu/dataset/350/default+of+credit+card+clients

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.datasets import load_credit_default
    >>> data = load_credit_default()
    >>> data.X.shape
    (29532, 22)
    >>> int((data.sample_domain == 1).sum()), int((data.sample_domain == -2).sum())
    (24615, 4917)
    >>> data.domain_names[-2]
    'EDUCATION=3 (high school)'
    >>> by_sex = load_credit_default(domain_column="SEX")
    >>> np.bincount(by_sex.y)
    array([23364,  6636])
    >>> "SEX" in by_sex.X.columns
    False
    """
    data = _read_credit()
    features = [name for name in data.columns if name != _CREDIT_TARGET]
    _check_credit_column(domain_column, features)
    column = data[domain_column]
    source, target = _resolve_credit_split(
        domain_column, column, source_values, target_values
    )
    in_source = column.isin(source).to_numpy()
    keep = in_source | column.isin(target).to_numpy()
    X = data.loc[keep, [name for name in features if name != domain_column]]
    X = X.reset_index(drop=True)
    y = data.loc[keep, _CREDIT_TARGET].to_numpy().astype(np.int64)
    sample_domain = np.where(
        in_source[keep], DEFAULT_SOURCE_ID, DEFAULT_TARGET_ID
    ).astype(np.int64)
    domain_names = {
        DEFAULT_SOURCE_ID: _credit_group_name(domain_column, source),
        DEFAULT_TARGET_ID: _credit_group_name(domain_column, target),
    }
    target_names = ["no default", "default"]
    n_dropped = int((~keep).sum())
    bunch = _domain_bunch(
        X, y, sample_domain, target_names, domain_names, _read_text(_CREDIT_DESCR)
    )
    bunch.DESCR += (
        f"\nRows dropped (their {domain_column} is in neither group): "
        f"{n_dropped} of {len(keep)}.\n"
    )
    return bunch


def _domain_bunch(X, y, sample_domain, target_names, domain_names, description):
    """The loaders' common Bunch, its DESCR ending with the split's row counts."""
    return Bunch(
        X=X,
        y=y,
        sample_domain=sample_domain,
        feature_names=list(X.columns),
        target_names=target_names,
        domain_names=domain_names,
        DESCR=description
        + _split_summary(y, sample_domain, domain_names, target_names),
    )


# ---------------------------------------------------------------------------
# Reading the bundled files
# ---------------------------------------------------------------------------


def _data_path(name):
    """Return the resource path of a bundled file in ``datasets/data``."""
    return resources.files(_DATA_PACKAGE) / "data" / name


def _read_text(name):
    """Return the text of a bundled description file."""
    return _data_path(name).read_text(encoding="utf-8")


def _read_mushroom_codes():
    """Return the raw mushroom file as a DataFrame of one-letter codes."""
    names = ["class"] + [name for name, _ in _MUSHROOM_ATTRIBUTES]
    with _data_path(_MUSHROOM_FILE).open("rb") as handle:
        return pd.read_csv(
            handle,
            compression="xz",
            header=None,
            names=names,
            dtype=str,
            keep_default_na=False,
        )


def _mushroom_codebook(name):
    """Return ``{code: word}`` for one mushroom attribute, in .names order."""
    spec = dict(_MUSHROOM_ATTRIBUTES)[name]
    pairs = (item.split("=") for item in spec.split(","))
    return {code: word for word, code in pairs}


def _decode_mushroom_column(codes, name):
    """Decode one column of codes to a categorical of words (unknown -> NaN)."""
    codebook = _mushroom_codebook(name)
    words = codes.map(codebook)
    present = set(words.dropna())
    categories = [word for word in codebook.values() if word in present]
    return pd.Categorical(words, categories=categories)


def _read_credit():
    """Return the bundled credit data (features and target) with compact dtypes."""
    with _data_path(_CREDIT_FILE).open("rb") as handle:
        return pd.read_csv(handle, compression="xz", dtype=_CREDIT_DTYPES)


# ---------------------------------------------------------------------------
# Credit domain split
# ---------------------------------------------------------------------------


def _check_credit_column(domain_column, features):
    """Raise a ValueError unless ``domain_column`` names a feature."""
    if isinstance(domain_column, str) and domain_column in features:
        return
    hint = ""
    if domain_column == _CREDIT_TARGET:
        hint = f" {_CREDIT_TARGET!r} is the target, it cannot define domains."
    raise ValueError(
        f"domain_column must be one of the feature columns {features}; got "
        f"{domain_column!r}.{hint}"
    )


def _resolve_credit_split(domain_column, column, source_values, target_values):
    """Return validated ``(source, target)`` tuples of values of ``column``."""
    if source_values is None and target_values is None:
        if domain_column not in _CREDIT_DEFAULT_SPLITS:
            raise ValueError(
                f"domain_column={domain_column!r} has no default split (only "
                f"{sorted(_CREDIT_DEFAULT_SPLITS)} have one). Pass "
                "source_values and target_values: the values of "
                f"{domain_column} whose rows form the source and the target "
                "domain."
            )
        return _CREDIT_DEFAULT_SPLITS[domain_column]
    if source_values is None or target_values is None:
        raise ValueError(
            "Pass both source_values and target_values, or neither to use the "
            f"default split of {domain_column}; got source_values="
            f"{source_values!r} and target_values={target_values!r}."
        )
    present = set(column.unique().tolist())
    source = _as_values("source_values", source_values, domain_column, present)
    target = _as_values("target_values", target_values, domain_column, present)
    shared = sorted(set(source) & set(target))
    if shared:
        raise ValueError(
            f"source_values and target_values share {shared}: a row cannot be "
            "in both domains. Remove these values from one of them."
        )
    return source, target


def _as_values(name, values, domain_column, present):
    """Return ``values`` as a sorted tuple of ints that occur in the column."""
    if isinstance(values, np.ndarray):
        values = values.ravel().tolist()
    elif isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        values = [values]
    else:
        values = list(values)
    if not values:
        raise ValueError(
            f"{name} is empty; pass at least one value of {domain_column}."
        )
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(
                f"{name} must hold integers, the codes stored in "
                f"{domain_column}; got {value!r}."
            )
    values = tuple(sorted({int(value) for value in values}))
    absent = [value for value in values if value not in present]
    if absent:
        raise ValueError(
            f"{name} holds {absent}, which never occur in {domain_column}; "
            f"{_describe_values(present)}. Pass values that occur in the column."
        )
    return values


def _describe_values(present):
    """Describe the values of a column for an error message."""
    ordered = sorted(present)
    if len(ordered) <= _MAX_LISTED_VALUES:
        return f"its values are {ordered}"
    return (
        f"it takes {len(ordered)} distinct values between {ordered[0]} and "
        f"{ordered[-1]}"
    )


def _credit_group_name(domain_column, values):
    """Name a group of rows, e.g. ``"EDUCATION in {1, 2} (graduate school, ...)"``."""
    if len(values) == 1:
        name = f"{domain_column}={values[0]}"
    else:
        name = f"{domain_column} in {{{', '.join(map(str, values))}}}"
    labels = _CREDIT_CODES.get(domain_column, {})
    if all(value in labels for value in values):
        name += " (" + ", ".join(labels[value] for value in values) + ")"
    return name


# ---------------------------------------------------------------------------
# Description of a split
# ---------------------------------------------------------------------------


def _split_summary(y, sample_domain, domain_names, target_names):
    """Return an rst section counting the rows per domain and class."""
    lines = ["", "This split", "----------", ""]
    for role, domain_id in (
        ("source", DEFAULT_SOURCE_ID),
        ("target", DEFAULT_TARGET_ID),
    ):
        in_domain = sample_domain == domain_id
        counts = np.bincount(y[in_domain], minlength=len(target_names))
        per_class = ", ".join(
            f"{count} {label}" for count, label in zip(counts, target_names)
        )
        lines.append(
            f"- {role} (sample_domain={domain_id}), {domain_names[domain_id]}: "
            f"{int(in_domain.sum())} rows ({per_class})"
        )
    return "\n".join(lines) + "\n"
