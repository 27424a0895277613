"""Covariate shift by biased selection on real tables (Taiwan credit, Phishing).

Shared by the studies ``kmm_real_data`` (protocol 2) and
``reweighting_vs_peers``. In the spirit of Huang, Smola, Gretton, Borgwardt
and Schoelkopf (NIPS 2006, UCI experiments):

* data: UCI Taiwan credit default (30000 x 23; ``LIMIT_BAL``, ``BILL_AMT*``,
  ``PAY_AMT*`` mapped by sign(x) log(1 + |x|), then every column
  standardized) and UCI Phishing (11055 x 30 ternary features,
  standardized), from the shared data folder. The scalers are fitted on all
  rows, without labels;
* selection (:data:`SCHEMES`), with z the standardized row and d its length:
  ``distance``: P(s=1 | x) = exp(-||z||^2 / d) (biased toward the centre);
  ``feature``: P(s=1 | x) = 1 / (1 + exp(-2 z_j)) with j = ``LIMIT_BAL``
  (Taiwan: toward high credit limits) or ``web_traffic`` (Phishing: toward
  high-traffic sites);
* :func:`biased_split`: each row is kept with that probability (Bernoulli),
  then ``n_train`` of the kept rows are drawn uniformly: the training density
  is exactly proportional to p(x) P(s=1 | x), so ``1 / P(s=1 | x)`` is the
  true density ratio up to a constant. The other rows are the unbiased
  population (less the training rows): ``n_target`` of them, drawn
  uniformly, are the unlabeled target sample; all the remaining rows are the
  test set.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.preprocessing import StandardScaler

from .datasets import shared_file

TAIWAN_FILE = Path("uci_taiwan_credit_default") / "UCI_Credit_Card.csv"
PHISHING_FILE = Path("phishing_uci") / "phishing.arff"
# The feature of the "feature" selection scheme, per data set.
BIAS_FEATURE = {"taiwan": "LIMIT_BAL", "phishing": "web_traffic"}
FEATURE_SLOPE = 2.0
SCHEMES = {
    "distance": "P(s=1|x) = exp(-||z||^2 / d)",
    "feature": "P(s=1|x) = 1 / (1 + exp(-2 z_j))",
}


def load_taiwan(root):
    """Standardized Taiwan credit features (amounts log-mapped) and labels."""
    frame = pd.read_csv(shared_file(TAIWAN_FILE, root)).drop(columns="ID")
    y = frame.pop("fraud").to_numpy(dtype=np.int64)
    for column in frame.columns:
        if column.startswith(("LIMIT_BAL", "BILL_AMT", "PAY_AMT")):
            values = frame[column].to_numpy(dtype=float)
            frame[column] = np.sign(values) * np.log1p(np.abs(values))
    Z = StandardScaler().fit_transform(frame.to_numpy(dtype=float))
    return Z, y, list(frame.columns)


def load_phishing(root):
    """Standardized Phishing features and labels (1 = Result +1)."""
    from scipy.io import arff

    data, _ = arff.loadarff(shared_file(PHISHING_FILE, root))
    frame = pd.DataFrame(data).apply(lambda c: c.str.decode("ascii").astype(int))
    y = (frame.pop("Result").to_numpy() > 0).astype(np.int64)
    Z = StandardScaler().fit_transform(frame.to_numpy(dtype=float))
    return Z, y, list(frame.columns)


LOADERS = {"taiwan": load_taiwan, "phishing": load_phishing}


def selection_probability(scheme, Z, names, dataset):
    """P(s=1 | x) of each row under ``scheme`` (see :data:`SCHEMES`)."""
    if scheme == "distance":
        return np.exp(-(Z**2).sum(axis=1) / Z.shape[1])
    if scheme == "feature":
        j = names.index(BIAS_FEATURE[dataset])
        return expit(FEATURE_SLOPE * Z[:, j])
    raise ValueError(f"unknown scheme {scheme!r}")


def biased_split(prob, n_train, n_target, seed):
    """Biased training rows, unbiased unlabeled target rows, test rows."""
    rng = np.random.default_rng(seed)
    kept = np.flatnonzero(rng.random(prob.shape[0]) < prob)
    if kept.size < n_train:
        raise ValueError(f"only {kept.size} rows selected, fewer than {n_train}")
    train = np.sort(rng.choice(kept, n_train, replace=False))
    rest = np.setdiff1d(np.arange(prob.shape[0]), train)
    rest = rng.permutation(rest)
    return train, np.sort(rest[:n_target]), np.sort(rest[n_target:]), kept.size
