"""Tabular transfer tasks of the parameter-transfer studies.

The concept-shift generator split by domain, the Amazon reviews with 400
features (``amazon_review_400`` in the shared data folder), source and target
rows stacked with their ``sample_domain``, and the test score of a task.
"""

from pathlib import Path

import numpy as np

from .datasets import shared_file
from .paths import SHARED_DATA

AMAZON_FOLDER = "amazon_review_400"


def concept_shift(n_source, n_target, n_features, *, task, strength, noise, seed):
    """``(X_source, y_source, X_target, y_target)`` of
    :func:`sktransfer.datasets.make_domain_shift` with ``shift="concept"``
    (``task`` "classification" or "regression", ``random_state=seed``)."""
    from sktransfer.datasets import make_domain_shift

    X, y, sd = make_domain_shift(
        n_source=n_source,
        n_target=n_target,
        n_features=n_features,
        shift="concept",
        task=task,
        strength=strength,
        noise=noise,
        random_state=seed,
    )
    return X[sd >= 0], y[sd >= 0], X[sd < 0], y[sd < 0]


def amazon_dir(data_dir=None):
    """The folder of ``amazon_review_400`` (``data_dir``: the shared data folder
    by default)."""
    return Path(data_dir or SHARED_DATA) / AMAZON_FOLDER


def amazon_file(domain, data_dir=None):
    """The file of one Amazon domain; FileNotFoundError naming it when absent."""
    return shared_file(Path(AMAZON_FOLDER) / f"{domain}_400.mat", data_dir)


def load_amazon(domain, data_dir=None):
    """``(X, y)`` of one Amazon domain (``books``, ``dvd``, ``elec``,
    ``kitchen``): row-normalised term frequencies (float64) and labels (int64)."""
    from scipy.io import loadmat

    mat = loadmat(amazon_file(domain, data_dir))
    return mat["fts"].astype(np.float64), mat["labels"].ravel().astype(np.int64)


def stack_domains(X_source, y_source, X_target, y_target, source_domain=1):
    """Source rows then target rows (sparse: CSR), labels, and ``sample_domain``
    (``source_domain`` for the source rows, -2 for the target rows)."""
    import scipy.sparse as sp

    if sp.issparse(X_source):
        X = sp.vstack([X_source, X_target], format="csr")
    else:
        X = np.vstack([X_source, X_target])
    y = np.concatenate([y_source, y_target])
    sd = np.r_[
        np.full(y_source.shape[0], source_domain, np.int64),
        np.full(y_target.shape[0], -2, np.int64),
    ]
    return X, y, sd


def test_score(kind, pred, y):
    """Accuracy (``kind="classification"``) or RMSE of predictions."""
    pred = np.asarray(pred).ravel()
    if kind == "classification":
        return float(np.mean(pred == y))
    return float(np.sqrt(np.mean((pred - y) ** 2)))
