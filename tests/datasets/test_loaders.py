"""Tests of the bundled data loaders (mushroom, credit card default)."""

import lzma
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sktransfer._domain import DEFAULT_SOURCE_ID, DEFAULT_TARGET_ID
from sktransfer.datasets import load_credit_default, load_mushroom

SHARED_DATA = Path(__file__).parents[2] / ".." / "shared" / "data"
MUSHROOM_DIR = SHARED_DATA / "uci_mushroom"
CREDIT_CSV = SHARED_DATA / "uci_taiwan_credit_default" / "UCI_Credit_Card.csv"

BUNCH_KEYS = {
    "X",
    "y",
    "sample_domain",
    "feature_names",
    "target_names",
    "domain_names",
    "DESCR",
}
MUSHROOM_FEATURES = [
    "cap-shape",
    "cap-surface",
    "cap-color",
    "bruises",
    "odor",
    "gill-attachment",
    "gill-spacing",
    "gill-size",
    "gill-color",
    "stalk-root",
    "stalk-surface-above-ring",
    "stalk-surface-below-ring",
    "stalk-color-above-ring",
    "stalk-color-below-ring",
    "veil-type",
    "veil-color",
    "ring-number",
    "ring-type",
    "spore-print-color",
    "population",
    "habitat",
]
CREDIT_FEATURES = (
    ["LIMIT_BAL", "SEX", "EDUCATION", "MARRIAGE", "AGE"]
    + [f"PAY_{k}" for k in (0, 2, 3, 4, 5, 6)]
    + [f"BILL_AMT{k}" for k in range(1, 7)]
    + [f"PAY_AMT{k}" for k in range(1, 7)]
)


def count(sample_domain, domain_id):
    """Number of rows of one domain, as a Python int."""
    return int(np.sum(sample_domain == domain_id))


@pytest.fixture(scope="module")
def mushroom():
    return load_mushroom()


@pytest.fixture(scope="module")
def credit():
    return load_credit_default()


# ---------------------------------------------------------------------------
# Mushroom
# ---------------------------------------------------------------------------


def test_mushroom_bunch_layout(mushroom):
    assert set(mushroom) == BUNCH_KEYS
    assert isinstance(mushroom.X, pd.DataFrame)
    assert mushroom.X.shape == (8124, 21)
    assert list(mushroom.X.columns) == MUSHROOM_FEATURES
    assert mushroom.feature_names == MUSHROOM_FEATURES
    assert "stalk-shape" not in mushroom.X.columns
    assert all(isinstance(d, pd.CategoricalDtype) for d in mushroom.X.dtypes)
    assert mushroom.y.shape == (8124,)
    assert mushroom.y.dtype == np.int64
    assert mushroom.sample_domain.dtype == np.int64
    assert mushroom.target_names == ["edible", "poisonous"]


def test_mushroom_labels_and_class_counts(mushroom):
    assert set(np.unique(mushroom.y)) == {0, 1}
    assert np.bincount(mushroom.y).tolist() == [4208, 3916]


@pytest.mark.parametrize(
    ("source", "n_source", "n_target", "source_counts", "target_counts"),
    [
        ("enlarging", 3516, 4608, [1616, 1900], [2592, 2016]),
        ("tapering", 4608, 3516, [2592, 2016], [1616, 1900]),
    ],
)
def test_mushroom_domains(source, n_source, n_target, source_counts, target_counts):
    data = load_mushroom(source=source)
    sd = data.sample_domain
    assert set(np.unique(sd)) == {DEFAULT_SOURCE_ID, DEFAULT_TARGET_ID}
    assert count(sd, DEFAULT_SOURCE_ID) == n_source
    assert count(sd, DEFAULT_TARGET_ID) == n_target
    assert np.bincount(data.y[sd == DEFAULT_SOURCE_ID]).tolist() == source_counts
    assert np.bincount(data.y[sd == DEFAULT_TARGET_ID]).tolist() == target_counts
    other = "tapering" if source == "enlarging" else "enlarging"
    assert data.domain_names == {DEFAULT_SOURCE_ID: source, DEFAULT_TARGET_ID: other}
    assert f"{source}: {n_source} rows" in data.DESCR


def test_mushroom_directions_swap_ids_only(mushroom):
    swapped = load_mushroom(source="tapering")
    expected = np.where(
        mushroom.sample_domain == DEFAULT_SOURCE_ID,
        DEFAULT_TARGET_ID,
        DEFAULT_SOURCE_ID,
    )
    np.testing.assert_array_equal(swapped.sample_domain, expected)
    np.testing.assert_array_equal(swapped.y, mushroom.y)
    pd.testing.assert_frame_equal(swapped.X, mushroom.X)


def test_mushroom_missing_values_only_in_stalk_root(mushroom):
    missing = mushroom.X.isna().sum()
    assert missing["stalk-root"] == 2480
    assert missing.drop("stalk-root").sum() == 0
    assert "?" not in mushroom.X["stalk-root"].cat.categories


def test_mushroom_values_are_words(mushroom):
    first = mushroom.X.iloc[0]
    assert first["cap-shape"] == "convex"
    assert first["odor"] == "pungent"
    assert first["stalk-root"] == "equal"
    assert mushroom.y[0] == 1
    assert list(mushroom.X["veil-type"].cat.categories) == ["partial"]
    for name in MUSHROOM_FEATURES:
        categories = mushroom.X[name].cat.categories
        assert all(len(value) > 1 for value in categories), name
        # Categories are exactly the values that occur.
        assert set(categories) == set(mushroom.X[name].dropna()), name


def test_mushroom_descr(mushroom):
    for needle in ("CC BY 4.0", "Schlimmer", "Dai et al.", "3516", "4608", "2480"):
        assert needle in mushroom.DESCR


@pytest.mark.parametrize("source", ["Enlarging", "e", "", None, 1, "both"])
def test_mushroom_rejects_unknown_source(source):
    with pytest.raises(ValueError, match="source must be one of.*enlarging.*tapering"):
        load_mushroom(source=source)


# ---------------------------------------------------------------------------
# Credit card default
# ---------------------------------------------------------------------------


def test_credit_bunch_layout(credit):
    assert set(credit) == BUNCH_KEYS
    assert isinstance(credit.X, pd.DataFrame)
    expected = [name for name in CREDIT_FEATURES if name != "EDUCATION"]
    assert list(credit.X.columns) == expected
    assert credit.feature_names == expected
    assert all(pd.api.types.is_integer_dtype(d) for d in credit.X.dtypes)
    assert credit.X["LIMIT_BAL"].dtype == np.int32
    assert credit.X["SEX"].dtype == np.int8
    assert credit.y.dtype == np.int64
    assert credit.sample_domain.dtype == np.int64
    assert set(np.unique(credit.y)) == {0, 1}
    assert credit.target_names == ["no default", "default"]
    assert isinstance(credit.X.index, pd.RangeIndex)
    assert not credit.X.isna().any().any()


def test_credit_default_split_on_education(credit):
    sd = credit.sample_domain
    assert credit.X.shape == (29532, 22)
    assert count(sd, DEFAULT_SOURCE_ID) == 10585 + 14030
    assert count(sd, DEFAULT_TARGET_ID) == 4917
    assert np.bincount(credit.y[sd == DEFAULT_SOURCE_ID]).tolist() == [19249, 5366]
    assert np.bincount(credit.y[sd == DEFAULT_TARGET_ID]).tolist() == [3680, 1237]
    assert credit.domain_names == {
        DEFAULT_SOURCE_ID: "EDUCATION in {1, 2} (graduate school, university)",
        DEFAULT_TARGET_ID: "EDUCATION=3 (high school)",
    }
    assert "Rows dropped (their EDUCATION is in neither group): 468 of 30000" in (
        credit.DESCR
    )


def test_credit_split_on_sex_keeps_every_row():
    data = load_credit_default(domain_column="SEX")
    sd = data.sample_domain
    assert data.X.shape == (30000, 22)
    assert "SEX" not in data.X.columns
    assert "EDUCATION" in data.X.columns
    assert count(sd, DEFAULT_SOURCE_ID) == 11888
    assert count(sd, DEFAULT_TARGET_ID) == 18112
    assert np.bincount(data.y).tolist() == [23364, 6636]
    assert data.domain_names == {
        DEFAULT_SOURCE_ID: "SEX=1 (male)",
        DEFAULT_TARGET_ID: "SEX=2 (female)",
    }
    assert "0 of 30000" in data.DESCR


def test_credit_explicit_values_match_defaults(credit):
    for source_values, target_values in (
        ([2, 1], 3),
        ({1, 2}, np.array([3])),
        (np.array([1, 2]), (np.int8(3),)),
    ):
        explicit = load_credit_default(
            domain_column="EDUCATION",
            source_values=source_values,
            target_values=target_values,
        )
        np.testing.assert_array_equal(explicit.sample_domain, credit.sample_domain)
        np.testing.assert_array_equal(explicit.y, credit.y)
        pd.testing.assert_frame_equal(explicit.X, credit.X)
        assert explicit.domain_names == credit.domain_names


def test_credit_drops_rows_in_neither_group():
    data = load_credit_default(
        domain_column="MARRIAGE", source_values=(1,), target_values=np.array([2])
    )
    sd = data.sample_domain
    # 54 rows with MARRIAGE=0 and 323 with MARRIAGE=3 are dropped.
    assert len(data.y) == len(sd) == len(data.X) == 30000 - 54 - 323
    assert count(sd, DEFAULT_SOURCE_ID) == 13659
    assert count(sd, DEFAULT_TARGET_ID) == 15964
    assert "377 of 30000" in data.DESCR
    assert data.domain_names[DEFAULT_SOURCE_ID] == "MARRIAGE=1 (married)"


def test_credit_numeric_column_without_labels():
    data = load_credit_default(
        domain_column="AGE", source_values=range(21, 30), target_values=range(40, 76)
    )
    assert "AGE" not in data.X.columns
    assert count(data.sample_domain, DEFAULT_SOURCE_ID) == 9618
    assert data.domain_names[DEFAULT_SOURCE_ID].startswith("AGE in {21, 22,")
    assert "(" not in data.domain_names[DEFAULT_SOURCE_ID]


def test_credit_descr(credit):
    for needle in ("CC BY 4.0", "Yeh", "Lien", "24615", "4917", "dropped"):
        assert needle in credit.DESCR


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"domain_column": "FOO"}, "domain_column must be one of the feature"),
        ({"domain_column": "ID"}, "domain_column must be one of the feature"),
        ({"domain_column": "default"}, "'default' is the target"),
        ({"domain_column": None}, "domain_column must be one of the feature"),
        ({"domain_column": "AGE"}, "has no default split.*Pass source_values"),
        ({"source_values": (1,)}, "Pass both source_values and target_values"),
        ({"target_values": (3,)}, "Pass both source_values and target_values"),
        (
            {"source_values": [], "target_values": (3,)},
            "source_values is empty",
        ),
        (
            {"source_values": (1,), "target_values": ("3",)},
            "target_values must hold integers",
        ),
        (
            {"source_values": (1.5,), "target_values": (3,)},
            "source_values must hold integers",
        ),
        (
            {"source_values": (1, 7), "target_values": (3,)},
            r"source_values holds \[7\], which never occur in EDUCATION; its "
            r"values are \[0, 1, 2, 3, 4, 5, 6\]",
        ),
        (
            {"source_values": (1, 2), "target_values": (2, 3)},
            r"share \[2\].*Remove these values from one of them",
        ),
        (
            {
                "domain_column": "AGE",
                "source_values": range(21, 40),
                "target_values": range(40, 80),
            },
            r"holds \[76, 77, 78\].*56 distinct values between 21 and 79",
        ),
    ],
)
def test_credit_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_credit_default(**kwargs)


# ---------------------------------------------------------------------------
# The bundled files equal the originals in ../shared/data
# ---------------------------------------------------------------------------


def bundled_bytes(name):
    path = resources.files("sktransfer.datasets") / "data" / name
    return path.read_bytes()


def parse_names_file(path):
    """Map each attribute of a UCI .names file to its ``{code: word}`` dict."""
    text = path.read_text()
    section = text.split("7. Attribute Information")[1].split("8. Missing")[0]
    attributes = {}
    current = None
    for line in section.splitlines():
        start = re.match(r"\s*\d+\.\s+([\w?-]+):\s+(.*)", line)
        if start:
            current = start.group(1).rstrip("?")
            attributes[current] = start.group(2)
        elif current and line.strip():
            attributes[current] += line.strip()
    return {
        name: dict(reversed(pair.strip().split("=")) for pair in spec.split(","))
        for name, spec in attributes.items()
    }


def test_bundled_mushroom_equals_original():
    original = MUSHROOM_DIR / "agaricus-lepiota.data"
    if not original.exists():
        pytest.skip(f"original data not found at {original}")
    assert lzma.decompress(bundled_bytes("mushroom.data.xz")) == original.read_bytes()


def test_mushroom_words_follow_the_names_file(mushroom):
    names_file = MUSHROOM_DIR / "agaricus-lepiota.names"
    data_file = MUSHROOM_DIR / "agaricus-lepiota.data"
    if not (names_file.exists() and data_file.exists()):
        pytest.skip(f"original data not found in {MUSHROOM_DIR}")
    codebooks = parse_names_file(names_file)
    assert codebooks["stalk-root"].pop("?") == "missing"  # the loader gives NaN
    raw = pd.read_csv(data_file, header=None, dtype=str, keep_default_na=False)
    raw.columns = ["class", *codebooks]
    assert raw["class"].map({"e": 0, "p": 1}).tolist() == mushroom.y.tolist()
    for name in MUSHROOM_FEATURES:
        expected = raw[name].map(codebooks[name])  # '?' -> NaN
        decoded = mushroom.X[name].astype(object)
        assert expected.isna().equals(decoded.isna()), name
        assert (expected.dropna() == decoded.dropna()).all(), name
    shape = raw["stalk-shape"].map(codebooks["stalk-shape"])
    np.testing.assert_array_equal(
        mushroom.sample_domain,
        np.where(shape == "enlarging", DEFAULT_SOURCE_ID, DEFAULT_TARGET_ID),
    )


def test_bundled_credit_equals_original():
    if not CREDIT_CSV.exists():
        pytest.skip(f"original data not found at {CREDIT_CSV}")
    original = pd.read_csv(CREDIT_CSV)
    np.testing.assert_array_equal(original["ID"], np.arange(1, 30001))
    expected = original.drop(columns="ID").rename(columns={"fraud": "default"})
    path = resources.files("sktransfer.datasets") / "data" / "credit_default.csv.xz"
    with path.open("rb") as handle:
        bundled = pd.read_csv(handle, compression="xz")
    pd.testing.assert_frame_equal(bundled, expected, check_dtype=False)
    # And through the loader, with every row kept.
    data = load_credit_default(domain_column="SEX")
    for name in data.feature_names:
        np.testing.assert_array_equal(data.X[name], expected[name], err_msg=name)
    np.testing.assert_array_equal(data.y, expected["default"])
    np.testing.assert_array_equal(
        data.sample_domain,
        np.where(expected["SEX"] == 1, DEFAULT_SOURCE_ID, DEFAULT_TARGET_ID),
    )
