"""Data for reproducing TrAdaBoost (Dai, Yang, Xue and Yu, ICML 2007).

Every loader returns ``(X_source, y_source, X_target, y_target)``:

* ``X_source, y_source`` -- the paper's *diff-distribution* training data
  T_d (all labeled, used for training);
* ``X_target, y_target`` -- the paper's *same-distribution* data; a small
  labeled part of it (T_s) is used for training and the rest is the test set
  S. Use :func:`labeled_target_split` to draw that split.

In the package convention (``sample_domain >= 0`` source, ``< 0`` target) a
TrAdaBoost fit on one split looks like::

    Xs, ys, Xt, yt = load_20newsgroups_task("rec_vs_talk")
    lab, test = labeled_target_split(yt, 0.05, seed=0)
    X = scipy.sparse.vstack([Xs, Xt[lab]]).tocsr()
    y = np.concatenate([ys, yt[lab]])
    sample_domain = np.r_[np.ones(len(ys), int), -2 * np.ones(len(lab), int)]
    clf.fit(X, y, sample_domain=sample_domain)
    acc = clf.score(Xt[test], yt[test])

The data sets are read from the project's shared data folder
(``../shared/data`` relative to the project root, or ``data_dir``); when it is
missing the loaders raise :class:`FileNotFoundError` naming the path, so a
study can report the task as not run.

Row counts per task, domain and class are listed in the loaders' docstrings;
``python -m benchmarks.harness.newsgroups`` recomputes them (add
``--check-long`` to re-check the sub-group order of the Long et al. copy).
"""

from __future__ import annotations

import re
import tarfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .paths import SHARED_DATA

DEFAULT_DATA_DIR = SHARED_DATA

BYDATE_ARCHIVE = Path("20newsgroups_bydate") / "20news-bydate.tar.gz"
LONG_DIR = Path("20newsgroups_tl_topcats_long")

# Dai et al. (2007), Table 1: each task opposes two top categories; within
# each top category two sub-groups form the diff-distribution (source) data
# and the two others the same-distribution (target) data.
_SOURCE_GROUPS = {
    "rec": ("rec.autos", "rec.motorcycles"),
    "sci": ("sci.crypt", "sci.electronics"),
    "talk": ("talk.politics.guns", "talk.politics.misc"),
}
_TARGET_GROUPS = {
    "rec": ("rec.sport.baseball", "rec.sport.hockey"),
    "sci": ("sci.med", "sci.space"),
    "talk": ("talk.politics.mideast", "talk.religion.misc"),
}
# Task name -> (top category with label 0, top category with label 1).
TASKS_20NG = {
    "rec_vs_talk": ("rec", "talk"),
    "rec_vs_sci": ("rec", "sci"),
    "sci_vs_talk": ("sci", "talk"),
}
# Sub-group order of the variables X1..X4 in the Long et al. .mat files
# (/work/shared/data/README.md; checked against the bydate text by
# ``_check_long_subgroup_order`` below).
LONG_SUBGROUPS = {
    "rec": (
        "rec.autos",
        "rec.motorcycles",
        "rec.sport.baseball",
        "rec.sport.hockey",
    ),
    "sci": ("sci.crypt", "sci.electronics", "sci.med", "sci.space"),
    "talk": (
        "talk.politics.guns",
        "talk.politics.mideast",
        "talk.politics.misc",
        "talk.religion.misc",
    ),
}

# Vocabulary rule of the bydate loader (see load_20newsgroups_task).
TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z]+\b"
MIN_DF = 3
MAX_FEATURES = 10_000


def _resolve(data_dir, relative):
    root = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    path = root / relative
    if not path.exists():
        raise FileNotFoundError(
            f"benchmark data not found: {path} (expected the shared data folder "
            f"at {root}; pass data_dir= to point elsewhere)"
        )
    return path


def _check_task(name):
    if name not in TASKS_20NG:
        raise ValueError(
            f"unknown 20 Newsgroups task {name!r}; expected one of {sorted(TASKS_20NG)}"
        )
    return TASKS_20NG[name]


# ---------------------------------------------------------------- raw text ---

_QUOTE_RE = re.compile(
    r"(writes in|writes:|wrote:|says:|said:|^In article|^Quoted from|^\||^>)"
)


def _split_header(text):
    """Return (subject, body) of a raw newsgroup post."""
    head, sep, body = text.partition("\n\n")
    if not sep:  # no header block
        return "", text
    subject = ""
    for line in head.splitlines():
        if line.lower().startswith("subject:"):
            subject = line[len("subject:") :].strip()
            # "Re: Re: topic" -> "topic": reply markers are not topic words.
            subject = re.sub(r"^((re|fwd?)\s*:\s*)+", "", subject, flags=re.I)
            break
    return subject, body


def _strip_footer(body):
    """Drop a trailing signature: everything after the last line of dashes."""
    lines = body.strip().splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip() and lines[i].strip().strip("-") == "":
            return "\n".join(lines[:i])
    return body


def _strip_quotes(body):
    """Drop quoted lines ('>' or '|') and 'X writes:' attribution lines."""
    return "\n".join(line for line in body.splitlines() if not _QUOTE_RE.search(line))


def clean_post(text, remove=("headers",)):
    """Clean one raw post of the bydate archive.

    ``"headers"`` removes the header block except the subject (``Re:``
    markers dropped), ``"footers"`` a signature after the last ``--`` line,
    ``"quotes"`` quoted lines and attribution lines.
    """
    unknown = set(remove) - {"headers", "footers", "quotes"}
    if unknown:
        raise ValueError(f"unknown parts to remove: {sorted(unknown)}")
    if "headers" in remove:
        subject, body = _split_header(text)
    else:
        subject, body = "", text
    if "footers" in remove:
        body = _strip_footer(body)
    if "quotes" in remove:
        body = _strip_quotes(body)
    return f"{subject}\n{body}" if subject else body


@lru_cache(maxsize=2)
def _read_bydate_groups(archive, groups):
    """Read the raw posts of ``groups`` (both halves of bydate) from the tar.

    Returns ``{group: [text, ...]}``, each list in a fixed order: train half
    then test half, files by numeric name. The archive is read directly (no
    extraction to disk): 15 MB compressed, about one second.
    """
    wanted = set(groups)
    found = {g: [] for g in groups}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            parts = member.name.split("/")
            if len(parts) != 3 or parts[1] not in wanted:
                continue
            half = 0 if parts[0] == "20news-bydate-train" else 1
            key = (half, int(parts[2]) if parts[2].isdigit() else 0, parts[2])
            text = tar.extractfile(member).read().decode("latin-1")
            found[parts[1]].append((key, text))
    missing = [g for g, docs in found.items() if not docs]
    if missing:
        raise FileNotFoundError(f"groups {missing} not found in {archive}")
    return {g: [t for _, t in sorted(docs)] for g, docs in found.items()}


def load_20newsgroups_texts(name, data_dir=None, *, remove=("headers",)):
    """Raw (cleaned) texts of a TrAdaBoost 20 Newsgroups task.

    Returns ``(texts_source, y_source, groups_source, texts_target, y_target,
    groups_target)``; see :func:`load_20newsgroups_task` for the protocol.
    """
    neg, pos = _check_task(name)
    archive = _resolve(data_dir, BYDATE_ARCHIVE)
    src_groups = _SOURCE_GROUPS[neg] + _SOURCE_GROUPS[pos]
    tgt_groups = _TARGET_GROUPS[neg] + _TARGET_GROUPS[pos]
    raw = _read_bydate_groups(str(archive), tuple(sorted(src_groups + tgt_groups)))

    def collect(groups):
        texts, labels, names = [], [], []
        for g in groups:
            docs = raw[g]
            texts += [clean_post(t, remove) for t in docs]
            labels += [0 if g.startswith(neg + ".") else 1] * len(docs)
            names += [g] * len(docs)
        return texts, np.asarray(labels, dtype=np.int64), np.asarray(names)

    return (*collect(src_groups), *collect(tgt_groups))


def load_20newsgroups_task(
    name,
    data_dir=None,
    *,
    binary=True,
    min_df=MIN_DF,
    max_features=MAX_FEATURES,
    remove=("headers",),
    return_info=False,
):
    """One of the three 20 Newsgroups tasks of Dai et al. (2007), from raw text.

    Protocol (Dai et al. 2007, Table 1; /work/shared/data/README.md): the two
    top categories of the task are the classes (the first one named is label
    0: ``rec_vs_talk`` rec = 0, talk = 1; ``rec_vs_sci`` rec = 0, sci = 1;
    ``sci_vs_talk`` sci = 0, talk = 1). The source (diff-distribution) data
    are two sub-groups of each top category, the target (same-distribution)
    data the two others:

    ====== ================================== =================================
    top    source (diff-distribution)         target (same-distribution)
    ====== ================================== =================================
    rec    rec.autos, rec.motorcycles         rec.sport.baseball,
                                              rec.sport.hockey
    sci    sci.crypt, sci.electronics         sci.med, sci.space
    talk   talk.politics.guns,                talk.politics.mideast,
           talk.politics.misc                 talk.religion.misc
    ====== ================================== =================================

    All documents of each sub-group are used: both the train and the test
    half of the "bydate" release (18846 posts in 20 groups; the paper does
    not say which release it used, the sizes of the releases differ by a few
    posts per group). Row counts (source / target, class 0 + class 1):

    * rec_vs_talk: source 3671 (1986 rec + 1685 talk), target 3561 (1993 rec
      + 1568 talk)
    * rec_vs_sci: source 3961 (1986 rec + 1975 sci), target 3970 (1993 rec +
      1977 sci)
    * sci_vs_talk: source 3660 (1975 sci + 1685 talk), target 3545 (1977 sci
      + 1568 talk)

    A handful of posts are cross-posted between a source and a target
    sub-group with the same body (2 in rec_vs_talk, 5 in rec_vs_sci, 0 in
    sci_vs_talk); they are kept, as the paper does not mention them.

    Rows are ordered by sub-group (in the order of the table), then bydate
    half (train, test), then file number.

    Text cleaning (``remove``, default ``("headers",)``): the header block is
    dropped except the ``Subject:`` line, whose text (without ``Re:``) is
    kept as part of the document. The header holds the poster's address,
    organisation, line count and message ids: metadata that identify authors
    rather than topics and are not in the 18828 release used by the paper
    (which keeps only From and Subject). Quotes and signatures are kept by
    default: in the 18828 release they are part of the text, and quoted
    replies are on topic. Pass ``remove=("headers", "footers", "quotes")``
    to drop them too (the stricter setting of scikit-learn's
    ``fetch_20newsgroups(remove=...)``).

    Vocabulary rule: a :class:`~sklearn.feature_extraction.text.CountVectorizer`
    fitted on the source and target texts of the task together (no labels;
    the vocabulary is transductive, as in the paper, where the test documents
    are part of the fixed corpus): lower-cased tokens of two or more ASCII
    letters (``TOKEN_PATTERN``; numbers, which in these posts are mostly
    dates, phone numbers and message ids, are dropped), scikit-learn's English
    stop-word list removed, words in fewer than ``min_df`` = 3 documents
    dropped (typos, names, ids), then the ``max_features`` = 10000 words with
    the largest document frequency kept. Features are binary word presence
    (``binary=True``, suited to linear SVMs and Bernoulli naive Bayes, the
    kind of base learners TrAdaBoost boosts) or raw term counts
    (``binary=False``). Rows are not normalised.

    Parameters
    ----------
    name : {"rec_vs_talk", "rec_vs_sci", "sci_vs_talk"}
    data_dir : path-like, optional
        Shared data folder holding ``20newsgroups_bydate/20news-bydate.tar.gz``;
        default ``../shared/data`` relative to the project root.
    binary, min_df, max_features, remove
        See above.
    return_info : bool, default=False
        Also return a dict with ``feature_names`` and the sub-group of every
        row (``groups_source``, ``groups_target``).

    Returns
    -------
    X_source : scipy.sparse.csr_matrix of shape (n_source, n_features)
    y_source : ndarray of shape (n_source,), int64
    X_target : scipy.sparse.csr_matrix of shape (n_target, n_features)
    y_target : ndarray of shape (n_target,), int64
    info : dict, only if ``return_info``

    Raises
    ------
    FileNotFoundError
        If the archive is not there.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    ts, ys, gs, tt, yt, gt = load_20newsgroups_texts(name, data_dir, remove=remove)
    # With binary=True, CountVectorizer ranks max_features by document
    # frequency (the counts are binarised before the vocabulary is limited).
    vec = CountVectorizer(
        lowercase=True,
        token_pattern=TOKEN_PATTERN,
        stop_words="english",
        min_df=min_df,
        max_features=max_features,
        binary=binary,
        dtype=np.float64,
    )
    X = vec.fit_transform(ts + tt).tocsr()
    X_source, X_target = X[: len(ts)], X[len(ts) :]
    out = (X_source, ys, X_target, yt)
    if return_info:
        info = {
            "feature_names": vec.get_feature_names_out(),
            "groups_source": gs,
            "groups_target": gt,
        }
        return (*out, info)
    return out


def load_20newsgroups_task_long(name, data_dir=None, *, binary=False):
    """A TrAdaBoost 20 Newsgroups task from Long et al.'s preprocessed copy.

    Same protocol as :func:`load_20newsgroups_task` (same sub-groups, labels
    and row order by sub-group), built from
    ``20newsgroups_tl_topcats_long/{rec,sci,talk}.mat``: per top category four
    sparse matrices ``X1..X4`` of shape (25804 words, n_docs), one per
    sub-group, in the order of ``LONG_SUBGROUPS`` (README of the data folder;
    checked against the bydate text by ``_check_long_subgroup_order``: of
    the 24**3 assignments of X1..X4 to sub-groups, the README's order gives
    the sub-group similarity structure closest to bydate's, r = 0.968; the
    best assignment with rec reordered reaches 0.907, sci 0.933, talk 0.957,
    and for talk the sizes alone fix the order). Each of the three files
    holds all four sub-groups of its top category, so every split of Dai et
    al. can be built from it.

    These are the posts after Long et al.'s preprocessing (PROVENANCE: the
    18828-post release; their vocabulary of 25804 words, tf-idf-like
    non-negative weights, rows not normalised), 0-3 posts per sub-group fewer
    than in bydate. Features are the stored weights (``binary=False``) or
    word presence (``binary=True``); words that occur in no document of the
    task are dropped (no labels used): 22510 (rec_vs_talk), 22388
    (rec_vs_sci), 22832 (sci_vs_talk) columns remain. Row counts (source /
    target, class 0 + class 1):

    * rec_vs_talk: source 3663 (1980 rec + 1683 talk), target 3555 (1988 rec
      + 1567 talk)
    * rec_vs_sci: source 3953 (1980 rec + 1973 sci), target 3960 (1988 rec +
      1972 sci)
    * sci_vs_talk: source 3656 (1973 sci + 1683 talk), target 3539 (1972 sci
      + 1567 talk)

    Parameters
    ----------
    name : {"rec_vs_talk", "rec_vs_sci", "sci_vs_talk"}
    data_dir : path-like, optional
        Shared data folder; default ``../shared/data`` from the project root.
    binary : bool, default=False
        Replace the weights by 1.

    Returns
    -------
    X_source, y_source, X_target, y_target
        As :func:`load_20newsgroups_task` (CSR, float64; int64 labels).

    Raises
    ------
    FileNotFoundError
        If the .mat files are not there.
    """
    neg, pos = _check_task(name)
    folder = _resolve(data_dir, LONG_DIR)
    blocks = {}
    for top in (neg, pos):
        mats = _load_long_category(folder, top)
        for group, m in zip(LONG_SUBGROUPS[top], mats):
            blocks[group] = m

    def stack(groups_by_top):
        mats, labels = [], []
        for label, top in enumerate((neg, pos)):
            for g in groups_by_top[top]:
                mats.append(blocks[g])
                labels.append(np.full(blocks[g].shape[0], label, dtype=np.int64))
        return sp.vstack(mats, format="csr"), np.concatenate(labels)

    X_source, y_source = stack(_SOURCE_GROUPS)
    X_target, y_target = stack(_TARGET_GROUPS)
    used = np.union1d(X_source.indices, X_target.indices)
    X_source = X_source[:, used].astype(np.float64)
    X_target = X_target[:, used].astype(np.float64)
    if binary:
        X_source.data[:] = 1.0
        X_target.data[:] = 1.0
    return X_source, y_source, X_target, y_target


def _load_long_category(folder, top):
    """The four (docs x words) CSR matrices of one top category."""
    from scipy.io import loadmat

    path = Path(folder) / f"{top}.mat"
    if not path.exists():
        raise FileNotFoundError(f"benchmark data not found: {path}")
    mat = loadmat(path)
    return [sp.csr_matrix(mat[f"X{i}"].T) for i in range(1, 5)]


# ---------------------------------------------------------------- mushroom ---


def load_mushroom_task(source="enlarging"):
    """UCI Mushroom split by stalk shape, as in Dai et al. (2007).

    Uses :func:`sktransfer.datasets.load_mushroom` (bundled with the package,
    so no data folder is needed): 8124 mushrooms, edible (0) or poisonous
    (1), split by ``stalk-shape``; ``source`` names the stalk shape of the
    diff-distribution (source) data, the other one is the same-distribution
    (target) data. The default, enlarging stalks as source, follows the
    paper. The 21 remaining categorical attributes are one-hot encoded
    (:class:`~sklearn.preprocessing.OneHotEncoder`, fitted on all 8124 rows
    without labels; the 2480 missing ``stalk-root`` values form their own
    category ``"missing"``): 115 binary columns.

    Row counts (class 0 edible + class 1 poisonous):

    * ``source="enlarging"``: source 3516 (1616 + 1900), target 4608
      (2592 + 2016)
    * ``source="tapering"``: the two swapped.

    Returns
    -------
    X_source : scipy.sparse.csr_matrix of shape (n_source, 115), float64
    y_source : ndarray of shape (n_source,), int64
    X_target : scipy.sparse.csr_matrix of shape (n_target, 115), float64
    y_target : ndarray of shape (n_target,), int64
    """
    from sklearn.preprocessing import OneHotEncoder

    from sktransfer.datasets import load_mushroom

    data = load_mushroom(source=source)
    frame = data.X.astype(object).where(data.X.notna(), "missing")
    enc = OneHotEncoder(sparse_output=True, dtype=np.float64)
    X = enc.fit_transform(frame).tocsr()
    y = np.asarray(data.y, dtype=np.int64)
    is_src = np.asarray(data.sample_domain) >= 0
    return X[is_src], y[is_src], X[~is_src], y[~is_src]


# ------------------------------------------------------------------ splits ---


def load_task(name, data_dir=None):
    """A task by name: ``"mushroom"``, a 20 Newsgroups task such as
    ``"rec_vs_talk"``, or the same with ``"_long"`` for the Long et al. copy.
    """
    if name == "mushroom":
        return load_mushroom_task()  # bundled with sktransfer
    if name.endswith("_long"):
        return load_20newsgroups_task_long(name[: -len("_long")], data_dir)
    return load_20newsgroups_task(name, data_dir)


def labeled_target_split(y_target, fraction, seed):
    """Split the target rows into a small labeled part and a test set.

    Stratified by class: each class ``c`` with ``n_c`` rows contributes its
    share of the labeled part, rounded by largest remainders, but at least
    one row and at most ``n_c - 1`` rows (so every class is in both parts).
    The remaining target rows are the test set. In Dai et al. (2007) the
    labeled same-distribution set T_s is drawn at random, its size given as a
    ratio of the diff-distribution (source) size; for a ratio ``r`` pass
    ``fraction=round(r * n_source)`` (an integer count).

    Parameters
    ----------
    y_target : array-like of shape (n_target,)
        Target labels.
    fraction : float in (0, 1) or int >= 1
        Share of the target rows to label, or their number.
    seed : int
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    labeled_idx, test_idx : ndarray of int64
        Sorted, disjoint indices into ``y_target`` covering all rows.
    """
    y = np.asarray(y_target)
    n = y.shape[0]
    classes, y_idx, counts = np.unique(y, return_inverse=True, return_counts=True)
    if np.any(counts < 2):
        raise ValueError("every class needs at least 2 target rows")
    if isinstance(fraction, (int, np.integer)) and not isinstance(fraction, bool):
        n_lab = int(fraction)
    elif 0 < fraction < 1:
        n_lab = fraction * n
    else:
        raise ValueError(f"fraction must be in (0, 1) or an int, got {fraction}")
    n_lab = int(round(n_lab))
    if not len(classes) <= n_lab <= n - len(classes):
        raise ValueError(
            f"{n_lab} labeled rows cannot hold each of the {len(classes)} classes "
            f"in both parts of {n} rows"
        )
    # Largest-remainder allocation, then clip to [1, n_c - 1] and repair the
    # total one row at a time.
    share = counts * n_lab / n
    alloc = np.floor(share).astype(int)
    order = np.argsort(-(share - alloc), kind="stable")
    alloc[order[: n_lab - alloc.sum()]] += 1
    alloc = np.clip(alloc, 1, counts - 1)
    while alloc.sum() > n_lab:
        alloc[np.argmax(np.where(alloc > 1, alloc - share, -np.inf))] -= 1
    while alloc.sum() < n_lab:
        alloc[np.argmax(np.where(alloc < counts - 1, share - alloc, -np.inf))] += 1

    rng = np.random.default_rng(seed)
    labeled = [
        rng.permutation(np.flatnonzero(y_idx == k))[:m] for k, m in enumerate(alloc)
    ]
    labeled_idx = np.sort(np.concatenate(labeled)).astype(np.int64)
    mask = np.ones(n, dtype=bool)
    mask[labeled_idx] = False
    return labeled_idx, np.flatnonzero(mask).astype(np.int64)


# --------------------------------------------------------------- summaries ---


def describe(X_source, y_source, X_target, y_target):
    """Row counts per domain and class, and the number of features."""
    return {
        "n_features": int(X_source.shape[1]),
        "source": {
            int(c): int(k) for c, k in zip(*np.unique(y_source, return_counts=True))
        },
        "target": {
            int(c): int(k) for c, k in zip(*np.unique(y_target, return_counts=True))
        },
        "n_source": int(X_source.shape[0]),
        "n_target": int(X_target.shape[0]),
    }


def _check_long_subgroup_order(data_dir=None, top_n=1):
    """Check the README's sub-group order of the Long et al. files.

    The .mat files carry no word list, so the order cannot be read off. We
    compare, for the 12 sub-groups of rec, sci and talk, the matrix of cosine
    similarities between sub-group mean vectors (binary word presence) in the
    Long copy with the same matrix computed from the bydate text, and search
    all 24**3 assignments of X1..X4 to sub-groups within each top category:
    the assignment whose similarity matrix correlates best with the bydate
    one should be the README's order. Returns the best assignments and their
    correlations.
    """
    import itertools

    from sklearn.feature_extraction.text import CountVectorizer

    tops = ("rec", "sci", "talk")
    folder = _resolve(data_dir, LONG_DIR)
    long_means = []
    for top in tops:
        for m in _load_long_category(folder, top):
            b = m.copy()
            b.data[:] = 1.0
            long_means.append(np.asarray(b.mean(axis=0)).ravel())
    long_means = np.array(long_means)

    archive = _resolve(data_dir, BYDATE_ARCHIVE)
    groups = [g for top in tops for g in LONG_SUBGROUPS[top]]
    raw = _read_bydate_groups(str(archive), tuple(sorted(groups)))
    texts, owner = [], []
    for i, g in enumerate(groups):
        texts += [clean_post(t) for t in raw[g]]
        owner += [i] * len(raw[g])
    owner = np.array(owner)
    Xb = CountVectorizer(
        token_pattern=TOKEN_PATTERN, stop_words="english", min_df=3, binary=True
    ).fit_transform(texts)
    text_means = np.array(
        [np.asarray(Xb[owner == i].mean(axis=0)).ravel() for i in range(len(groups))]
    )

    def cos(m):
        m = m / np.linalg.norm(m, axis=1, keepdims=True)
        return m @ m.T

    s_long, s_text = cos(long_means), cos(text_means)
    iu = np.triu_indices(len(groups), 1)
    results = []
    for perms in itertools.product(itertools.permutations(range(4)), repeat=3):
        # perm[j] = which Long matrix is sub-group j of the README order
        order = np.concatenate([4 * t + np.array(p) for t, p in enumerate(perms)])
        r = np.corrcoef(s_long[np.ix_(order, order)][iu], s_text[iu])[0, 1]
        results.append((r, perms))
    results.sort(reverse=True)
    return [(float(r), perms) for r, perms in results[:top_n]], len(results)


if __name__ == "__main__":
    import json
    import sys
    import time

    for task in TASKS_20NG:
        for loader in (load_20newsgroups_task, load_20newsgroups_task_long):
            t0 = time.perf_counter()
            try:
                parts = loader(task)
            except FileNotFoundError as exc:
                print(f"{loader.__name__}: skipped ({exc})", file=sys.stderr)
                continue
            d = describe(*parts)
            d["seconds"] = round(time.perf_counter() - t0, 2)
            print(loader.__name__, task, json.dumps(d))
    for src in ("enlarging", "tapering"):
        print("load_mushroom_task", src, json.dumps(describe(*load_mushroom_task(src))))
    if "--check-long" in sys.argv:
        best, n = _check_long_subgroup_order(top_n=5)
        print(f"Long sub-group order check ({n} assignments):")
        for r, perms in best:
            print(f"  r={r:.4f} perms={perms}")
