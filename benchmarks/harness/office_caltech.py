"""Office-Caltech10 with SURF features (``office_caltech10_surf`` in the shared
data folder): the four domains, the common preprocessing, the twelve tasks.

The protocol of Long et al. (ICCV 2013, JDA) and of the works that compile its
table: every row divided by its sum (an 800-bin histogram of visual words
becomes frequencies), then each feature z-scored within its domain (standard
deviation with ``ddof=0``). With that preprocessing a 1-nearest-neighbour
classifier on the raw features gives the published NN row exactly (mean 31.37).
"""

from pathlib import Path

import numpy as np

from .datasets import shared_file

OFFICE_FOLDER = "office_caltech10_surf"
DOMAINS = {"C": "Caltech10", "A": "amazon", "W": "webcam", "D": "dslr"}
# The twelve tasks in the order of the JDA paper's Table 2.
TASKS = [
    ("C", "A"),
    ("C", "W"),
    ("C", "D"),
    ("A", "C"),
    ("A", "W"),
    ("A", "D"),
    ("W", "C"),
    ("W", "A"),
    ("W", "D"),
    ("D", "C"),
    ("D", "A"),
    ("D", "W"),
]


def office_file(domain, data_dir=None):
    """The ``.mat`` file of one domain letter (C, A, W, D); FileNotFoundError
    naming it when absent."""
    name = f"{DOMAINS[domain]}_SURF_L10.mat"
    return shared_file(Path(OFFICE_FOLDER) / name, data_dir)


def load_office(domain, data_dir=None):
    """``(X, y)`` of one domain, preprocessed as the protocol says: rows divided
    by their sums, features z-scored within the domain (float64); labels 1..10."""
    from scipy.io import loadmat

    mat = loadmat(office_file(domain, data_dir))
    X = mat["fts"].astype(np.float64)
    X /= X.sum(axis=1, keepdims=True)
    spread = X.std(axis=0)
    spread[spread == 0] = 1.0
    X = (X - X.mean(axis=0)) / spread
    return X, mat["labels"].ravel().astype(np.int64)


def task_name(source, target):
    """``"C->A"``."""
    return f"{source}->{target}"
