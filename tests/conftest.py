"""Shared shifted-domain data for the tests.

The builders are seeded and small; the fixtures hand them to tests as factories
so each test module can keep its own sizes and seeds (``partial`` over the
factory) while the way the data is drawn lives in one place.
"""

import numpy as np
import pytest

from sktransfer import stack_domains


def _gaussian_domains(
    n_source=200, n_target=150, n_features=2, shift=0.0, scale=1.0, seed=0
):
    """Standard-normal source rows; target rows from ``N(shift, scale**2)``."""
    rng = np.random.RandomState(seed)
    X_source = rng.normal(size=(n_source, n_features))
    X_target = rng.normal(shift, scale, size=(n_target, n_features))
    return X_source, X_target


def _shortcut_pair(seed=0, n=200, n_noise=0):
    """Feature 0 carries the class in both domains; feature 1 only in the source.

    The target's feature 1 is shifted and unrelated to the label: a
    source-trained model leans on it and fails on the target, TCA removes the
    direction along which the domains' means differ. ``n_noise`` pure-noise
    columns follow each domain's two informative ones.
    """
    rng = np.random.RandomState(seed)
    y_source, y_target = rng.randint(2, size=n), rng.randint(2, size=n)
    X_source = np.c_[
        2 * y_source - 1 + rng.normal(0, 1, n),
        2 * (2 * y_source - 1) + rng.normal(0, 0.5, n),
        rng.normal(0, 1, (n, n_noise)),
    ]
    X_target = np.c_[
        2 * y_target - 1 + rng.normal(0, 1, n),
        4 + rng.normal(0, 0.5, n),
        rng.normal(0, 1, (n, n_noise)),
    ]
    return X_source, y_source, X_target, y_target, rng


def _shortcut_domains(seed, *, contradicting=False, n=300, n_labeled=16, n_noise=10):
    """The shortcut pair stacked, with ``n_labeled`` labeled target rows.

    ``contradicting`` reverses the source labels: then any use of the source
    hurts. Returns ``X, y, sample_domain`` and the full target ``X_target,
    y_target`` to score on.
    """
    X_source, y_source, X_target, y_target, rng = _shortcut_pair(seed, n, n_noise)
    if contradicting:
        y_source = 1 - y_source
    y_train = np.full(n, -1)
    labeled = rng.choice(n, n_labeled, replace=False)
    y_train[labeled] = y_target[labeled]
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, y_train)
    )
    return X, y, sample_domain, X_target, y_target


@pytest.fixture(scope="session")
def gaussian_domains():
    """Factory: ``(X_source, X_target)``, Gaussian rows with a mean shift."""
    return _gaussian_domains


@pytest.fixture(scope="session")
def shortcut_pair():
    """Factory: ``(X_source, y_source, X_target, y_target)`` with a shortcut feature."""

    def build(seed=0, n=200, n_noise=0):
        return _shortcut_pair(seed, n, n_noise)[:4]

    return build


@pytest.fixture(scope="session")
def shortcut_domains():
    """Factory: the shortcut pair stacked, with a few labeled target rows."""
    return _shortcut_domains
