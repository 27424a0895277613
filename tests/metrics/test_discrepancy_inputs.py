"""Bad input to the discrepancy measures: a clear error or a warned None."""

import numpy as np
import pytest

from sktransfer.metrics import (
    domain_classifier_ratio,
    proxy_a_distance,
    transferability_summary,
)


def test_features_too_large_to_standardize_are_refused():
    rng = np.random.RandomState(0)
    X_source, X_target = rng.normal(size=(40, 2)) * 1e300, rng.normal(size=(40, 2))
    # Before: "Input X contains NaN" from StandardScaler's overflowing variance.
    with pytest.raises(ValueError, match="overflow float64. Scale them first"):
        proxy_a_distance(X_source, X_target, random_state=0)
    with pytest.raises(ValueError, match="overflow float64. Scale them first"):
        domain_classifier_ratio(X_source, X_target)


def test_summary_without_two_source_classes_warns_and_gives_no_gap():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 2))
    y = np.r_[np.zeros(20, dtype=int), rng.randint(2, size=8), -np.ones(12, dtype=int)]
    sample_domain = np.r_[np.ones(20, dtype=int), -2 * np.ones(20, dtype=int)]
    with pytest.warns(UserWarning, match=r"source rows hold a single class \(0\)"):
        summary = transferability_summary(X, y, sample_domain, random_state=0)
    assert summary.source_to_target_gap is None
    assert summary.class_prior_shift is not None
    assert summary.n_target_labeled == 8
