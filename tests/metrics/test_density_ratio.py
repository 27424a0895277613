"""domain_classifier_ratio: refuses domains that do not overlap, warns on weights
that rest on few rows, and hands tables to the domain classifier as they are."""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sktransfer.metrics import domain_classifier_ratio


def _shifted(shift, n=200, seed=0):
    rng = np.random.RandomState(seed)
    return rng.normal(0, 1, (n, 2)), rng.normal(shift, 1, (n, 2))


@pytest.mark.parametrize("shift", [6.0, 20.0, 100.0])
def test_domains_that_do_not_overlap_are_refused(shift):
    # The clipped, rescaled ratio would be near uniform here (effective sample
    # size near n), the opposite of the truth: about 0 on every source row.
    with pytest.raises(ValueError, match="do not overlap"):
        domain_classifier_ratio(*_shifted(shift))


def test_barely_overlapping_domains_warn_with_the_effective_sample_size():
    X_source, X_target = _shifted(3.0)
    with pytest.warns(UserWarning, match=r"effective sample size .* of 200 rows"):
        ratio = domain_classifier_ratio(X_source, X_target)
    effective = ratio.sum() ** 2 / np.sum(ratio**2)
    assert effective < 0.1 * ratio.shape[0]


def test_overlapping_domains_neither_warn_nor_refuse():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ratio = domain_classifier_ratio(*_shifted(0.5))
    assert_allclose(ratio.mean(), 1.0)


def test_a_flexible_classifier_that_separates_perfectly_is_refused():
    # Probabilities of 0 and 1 on every row: without the check every ratio is
    # clipped to the same value.
    class Separating(LogisticRegression):
        def predict_proba(self, X):
            target = (np.asarray(X)[:, 0] > 3).astype(float)
            return np.c_[1 - target, target]

    with pytest.raises(ValueError, match="do not overlap"):
        domain_classifier_ratio(*_shifted(6.0), domain_classifier=Separating())


def _frames(seed=0):
    rng = np.random.RandomState(seed)
    source = pd.DataFrame(
        {
            "amount": rng.normal(0, 1, 300),
            "channel": pd.Categorical(rng.choice(["web", "shop"], 300, p=[0.3, 0.7])),
        }
    )
    target = pd.DataFrame(
        {
            "amount": rng.normal(0.3, 1, 200),
            "channel": pd.Categorical(rng.choice(["web", "shop"], 200, p=[0.7, 0.3])),
        }
    )
    return source, target


def _encoding_classifier():
    encode = ColumnTransformer(
        [("cat", OneHotEncoder(), ["channel"])], remainder=StandardScaler()
    )
    return make_pipeline(encode, LogisticRegression())


def test_dataframes_reach_the_domain_classifier_untouched():
    source, target = _frames()
    ratio = domain_classifier_ratio(source, target, _encoding_classifier())
    assert ratio.shape == (300,)
    assert_allclose(ratio.mean(), 1.0)
    web = (source["channel"] == "web").to_numpy()
    # "web" is more common in the target: its source rows weigh more.
    assert ratio[web].mean() > 2 * ratio[~web].mean()


def test_the_default_classifier_names_non_numeric_columns():
    source, target = _frames()
    with pytest.raises(ValueError, match=r"columns \['channel'\].*ColumnTransformer"):
        domain_classifier_ratio(source, target)


def test_tables_must_share_their_columns():
    source, target = _frames()
    with pytest.raises(ValueError, match="same columns"):
        domain_classifier_ratio(
            source, target[["channel", "amount"]], _encoding_classifier()
        )
    with pytest.raises(TypeError, match="same kind of container"):
        domain_classifier_ratio(source, target.to_numpy(), _encoding_classifier())
    with pytest.raises(ValueError, match="needs rows in X_target"):
        domain_classifier_ratio(source, target.iloc[:0], _encoding_classifier())
