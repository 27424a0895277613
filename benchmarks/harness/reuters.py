"""Reuters-21578 transfer splits (Dai et al.'s construction, Long et al.'s copy).

Shared by the benchmarks that use the Reuters tasks of the TCA paper (Pan,
Tsang, Kwok and Yang, IJCAI 2009): ``people_vs_places``, ``orgs_vs_people``,
``orgs_vs_places``.

Files: ``reuters_tl_splits_long/{org_vs_people,org_vs_place,people_vs_place}_{1,2}.mat``
in the shared data folder (``../shared/data`` relative to the project root;
see its ``PROVENANCE.txt``). Each holds ``Xs``, ``Xt`` (sparse, *features x
documents*: transposed here to documents x features), ``Ys``, ``Yt`` (sparse
column vectors of -1/+1). ``_1`` and ``_2`` are the same pair of domains with
source and target swapped. ``_1`` has the document counts Dai et al. (KDD
2007, CoCC) list for their in-domain (source) / out-of-domain (target) sets,
1237 / 1208 (orgs vs people), 1016 / 1043 (orgs vs places), 1077 / 1077
(people vs places), so ``direction=1`` is their source -> target direction,
the one the TCA paper, which uses Dai et al.'s data, reports.

Features are the stored tf-idf-like weights (non-negative, rows not
normalised: Euclidean row norms about 15-25, 60-80 non-zeros per document);
the vocabulary (4771 / 4415 / 4562 words) is the file's, shared by both
domains. ``normalize="l2"`` scales every document to unit Euclidean norm (the
usual preprocessing of tf-idf vectors for linear SVMs; per row, so no
statistic is shared between domains or between training and test rows).

Labels: ``y = 1`` where the stored label is +1, else 0. Which top category is
+1 is not stored; from the class counts (each top category's source half has
the same size in the two tasks it appears in: orgs 588, people 649, places
428 source documents; 587, 621, 456 target documents) the +1 class is orgs in
``org_vs_people``, places in ``org_vs_place`` and places in
``people_vs_place``. Accuracy does not depend on it.

``python -m benchmarks.harness.reuters`` prints the row counts per task, direction,
domain and class.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .paths import SHARED_DATA

DEFAULT_DATA_DIR = SHARED_DATA
REUTERS_DIR = Path("reuters_tl_splits_long")

# Task name (as in the TCA paper) -> file stem.
REUTERS_TASKS = {
    "people_vs_places": "people_vs_place",
    "orgs_vs_people": "org_vs_people",
    "orgs_vs_places": "org_vs_place",
}
# The category with label 1 (+1 in the file) for direction 1, inferred from the
# class counts (module docstring).
POSITIVE_CATEGORY = {
    "people_vs_places": "places",
    "orgs_vs_people": "orgs",
    "orgs_vs_places": "places",
}


# The IJCAI 2009 TCA protocol (Pan et al.): half of the source labeled, 35 % of
# the target as unlabeled training rows, the other 65 % for the test.
SOURCE_LABELED = 0.50
TARGET_UNLABELED = 0.35
# Its published accuracies (Pan et al., IJCAI 2009; README of the shared data):
# no adaptation, KMM and TCA, per task.
PUBLISHED_ACCURACY = {
    "people_vs_places": {"none": 0.520, "kmm": 0.584, "tca": 0.613},
    "orgs_vs_people": {"none": 0.670, "kmm": 0.701, "tca": 0.743},
    "orgs_vs_places": {"none": 0.668, "kmm": 0.671, "tca": 0.704},
}
# Its classifier, a linear SVM: C is not given, so sklearn's default, and
# enough iterations for liblinear to converge on the unnormalised rows.
SVM_C = 1.0
SVM_MAX_ITER = 10_000
SVM_TEXT = f"LinearSVC(C={SVM_C:g}, max_iter={SVM_MAX_ITER})"  # for the reports


def protocol_svm(seed):
    """The protocol's classifier, ``SVM_TEXT``."""
    from sklearn.svm import LinearSVC

    return LinearSVC(C=SVM_C, max_iter=SVM_MAX_ITER, random_state=seed)


def protocol_split(n_source, n_target, seed):
    """Labeled source rows, unlabeled target rows, test target rows.

    Shared by the studies ``kmm_real_data`` and ``tca_published``, so both use the
    same splits for the same seed.
    """
    rng = np.random.default_rng(seed)
    labeled = np.sort(
        rng.choice(n_source, round(SOURCE_LABELED * n_source), replace=False)
    )
    order = rng.permutation(n_target)
    n_unlabeled = round(TARGET_UNLABELED * n_target)
    return labeled, np.sort(order[:n_unlabeled]), np.sort(order[n_unlabeled:])


def reuters_path(name, direction=1, data_dir=None):
    """Path of one task's ``.mat`` file; FileNotFoundError when it is absent."""
    if name not in REUTERS_TASKS:
        raise ValueError(
            f"unknown Reuters task {name!r}; expected one of {sorted(REUTERS_TASKS)}"
        )
    if direction not in (1, 2):
        raise ValueError(f"direction must be 1 or 2, got {direction!r}")
    root = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    path = root / REUTERS_DIR / f"{REUTERS_TASKS[name]}_{direction}.mat"
    if not path.exists():
        raise FileNotFoundError(
            f"benchmark data not found: {path} (expected the shared data folder "
            f"at {root}; pass data_dir= to point elsewhere)"
        )
    return path


def _labels(column):
    values = column.toarray() if sp.issparse(column) else np.asarray(column)
    values = values.ravel()
    if not np.all(np.isin(values, (-1.0, 1.0))):
        raise ValueError(f"expected -1/+1 labels, got {np.unique(values)}")
    return (values > 0).astype(np.int64)


def _normalize(X, normalize):
    if normalize is None or normalize == "none":
        return X
    if normalize == "l2":
        from sklearn.preprocessing import normalize as sk_normalize

        return sk_normalize(X, norm="l2", axis=1, copy=True)
    raise ValueError(f"normalize must be None, 'none' or 'l2', got {normalize!r}")


def load_reuters_task(name, direction=1, data_dir=None, *, normalize=None):
    """One Reuters transfer task: ``(X_source, y_source, X_target, y_target)``.

    Parameters
    ----------
    name : {"people_vs_places", "orgs_vs_people", "orgs_vs_places"}
    direction : {1, 2}, default=1
        File ``_1`` (Dai et al.'s source -> target) or ``_2`` (swapped).
    data_dir : path-like, optional
        Shared data folder; default ``../shared/data`` from the project root.
    normalize : {None, "none", "l2"}, default=None
        ``"l2"``: unit Euclidean norm per document.

    Returns
    -------
    X_source, X_target : scipy.sparse.csr_matrix, float64, documents x words
    y_source, y_target : ndarray of int64 in {0, 1}

    Raises
    ------
    FileNotFoundError
        If the file is not there.
    """
    from scipy.io import loadmat

    mat = loadmat(reuters_path(name, direction, data_dir))
    X_source = sp.csr_matrix(mat["Xs"].T, dtype=np.float64)
    X_target = sp.csr_matrix(mat["Xt"].T, dtype=np.float64)
    y_source, y_target = _labels(mat["Ys"]), _labels(mat["Yt"])
    if X_source.shape[0] != y_source.shape[0] or X_target.shape[0] != y_target.shape[0]:
        raise ValueError(f"{name}_{direction}: rows and labels disagree")
    X_source.sort_indices()
    X_target.sort_indices()
    return (
        _normalize(X_source, normalize),
        y_source,
        _normalize(X_target, normalize),
        y_target,
    )


def load_protocol_task(name, direction, data_dir, preprocessing, max_rows=None):
    """:func:`load_reuters_task` as the TCA-protocol studies run it.

    ``preprocessing`` is ``"raw"`` (the stored weights) or a ``normalize``
    value; ``max_rows`` keeps that many random rows of each domain
    (:func:`.datasets.subsample_rows`; None: all of them).
    """
    from .datasets import subsample_rows

    Xs, ys, Xt, yt = load_reuters_task(
        name,
        direction,
        data_dir,
        normalize=None if preprocessing == "raw" else preprocessing,
    )
    source = subsample_rows(len(ys), max_rows)
    target = subsample_rows(len(yt), max_rows)
    return Xs[source], ys[source], Xt[target], yt[target]


def describe_reuters(X_source, y_source, X_target, y_target):
    """Row counts per domain and class, features, mean non-zeros per row."""
    return {
        "n_features": int(X_source.shape[1]),
        "n_source": int(X_source.shape[0]),
        "n_target": int(X_target.shape[0]),
        "source": {
            int(c): int(k) for c, k in zip(*np.unique(y_source, return_counts=True))
        },
        "target": {
            int(c): int(k) for c, k in zip(*np.unique(y_target, return_counts=True))
        },
        "nnz_per_row": round(
            (X_source.nnz + X_target.nnz) / (X_source.shape[0] + X_target.shape[0]), 1
        ),
    }


if __name__ == "__main__":
    import json
    import sys

    for task in REUTERS_TASKS:
        for direction in (1, 2):
            try:
                parts = load_reuters_task(task, direction)
            except FileNotFoundError as exc:
                print(f"{task}_{direction}: skipped ({exc})", file=sys.stderr)
                continue
            print(task, direction, json.dumps(describe_reuters(*parts)))
