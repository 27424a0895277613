"""Office-Caltech10 (SURF): TCA, JDA, BDA, CORAL and SA with 1NN against the JDA paper.

Protocol
--------
Data: ``office_caltech10_surf`` in the shared data folder (``--data-dir``,
default ``../shared/data``), the four domains Caltech10 (C, 1123 images),
amazon (A, 958), webcam (W, 295) and dslr (D, 157), 800 SURF visual words, 10
classes, read by ``benchmarks/harness/office_caltech.py``: every row divided
by its sum, then every feature z-scored within its domain (with which 1NN on
the raw features gives the published NN row). The 12 ordered tasks in the
order of Table 2 of Long, Wang, Ding, Sun & Yu, "Transfer Feature Learning
with Joint Distribution Adaptation" (ICCV 2013).

The JDA paper's protocol, for every task and method: fitted on all the source
rows (labeled) and all the target rows (unlabeled; ``stack_domains``, so
``sample_domain`` is 1 on source rows and -2 on target rows, ``y`` -1 on
target rows); ``KNeighborsClassifier(n_neighbors=1)`` trained on the (mapped)
source rows; accuracy (%) on all the target rows. Methods (public API only):

- ``NN``: 1NN on the features as loaded;
- ``TCA``: ``TransferComponentAnalysis(100, kernel="linear", mu=1.0,
  solver="exact", random_state=0)`` with ``scaling="unit_variance"`` (each
  component of the training embedding with variance 1) and
  ``scaling="unit_norm"`` (unit-norm coefficients, as the authors' unit-norm
  eigenvectors);
- ``TCA, L2``: the unit-norm TCA with the rows scaled to unit L2 length before
  (``sklearn.preprocessing.normalize``) and the embedded rows after, as the
  JDA authors' MATLAB code does (``X = X*diag(1./sqrt(sum(X.^2)))``, the same
  on ``Z``);
- ``JDA``: ``JointDistributionAdaptation(100, kernel="linear",
  scaling="unit_norm", solver="exact", n_iter=10, balance=0.5,
  random_state=0)`` in two settings: (a) ``mu=1.0`` with the default
  pseudo-labeler (1NN on the embedding) and no normalisation; (b) the authors'
  pipeline: rows L2-normalised before, ``estimator=make_pipeline(Normalizer(),
  KNeighborsClassifier(1))`` as pseudo-labeler, the embedding L2-normalised
  before the final 1NN, with ``mu`` in 1.0, 0.1, 0.01 (``--jda-mus``), all
  reported. (b) with ``mu=1.0`` was fixed before any number was seen as the
  one to set against the published row (the paper's lambda = 1; the authors
  divide ``M`` by its Frobenius norm, so their lambda is ``mu / ‖M‖_F`` here,
  which the report gives, and they solve the primal problem, whose
  regulariser is ``a'a = w'Kw`` rather than the estimator's ``w'w``: the two
  lambdas are not the same number). After the run the report also sets
  ``mu=0.01``, the grid value whose ``mu / |M|_F`` (0.5 to 2.8) is nearest
  the authors' 1, against the published row: a second look, not the a priori
  comparison;
- ``BDA``: the same class, setting (b), ``mu=0.1``, ``balance`` in 0.2 and 0.8
  (``--bda-balances``);
- ``CORAL``: ``CORAL(reg=1.0)`` (``fit_transform`` with ``sample_domain``: the
  source rows recoloured, the target rows as they are), then 1NN;
- ``SA``: ``SubspaceAlignment(n_components=k)``, k in 20 and 80
  (``--sa-dims``; source rows ``(x - m_s) P_s M``, target rows
  ``(x - m_t) P_t``), then 1NN.

Measured: accuracy per task and the mean over the tasks; the fit time of
each method (the adaptation's ``fit_transform`` with its normalisations, and
with the 1NN fit and prediction); for JDA and BDA ``n_iter_``, the last entry
of ``label_changes_`` and ``‖M‖_F`` of the final pseudo-labels. Everything is
deterministic (exact solver, ``random_state=0``) and sequential.

Published rows, beside ours (bold): NN, PCA, GFK, TCA, TSL and JDA of the JDA
paper's Table 2 (Dim 100, 1NN), as compiled in ``data/benchmark.md`` of
jindongwang/transferlearning (rows credited there to the JDA paper; the NN row
sits in a block credited to other papers; the paper itself was not seen); SA
+ 1NN (30 dims) as run by Zhang, Li & Ogunbona (JGSA, CVPR 2017) in the same
compilation. CORAL's published Office-Caltech accuracies (Sun, Feng & Saenko,
AAAI 2016) are with a linear SVM, not 1NN: only their mean (48.8, as the
compilation's maintainer quotes it) is given, as another protocol. The
reproduction criterion: our TCA (unit norm) within 1.5 points of the
published TCA on every task. 27 minutes on 2 cores shared with other jobs
(load average about 6); the JDA fits of C->A and A->C (2081 rows, up to 11
exact solves each) take half of it::

    python -m benchmarks run office_caltech
"""

import logging
import time
import warnings

import numpy as np
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer, normalize

from sktransfer import TransferComponentAnalysis, stack_domains
from sktransfer.feature import CORAL, JointDistributionAdaptation, SubspaceAlignment

from ..harness import md_table
from ..harness.missing import missing_row, missing_section
from ..harness.office_caltech import TASKS, load_office, task_name
from ..harness.options import add_choice_list, add_data_dir, add_max_rows

CODE = (
    "feature/_tca.py",
    "feature/_jda.py",
    "feature/_eigensolvers.py",
    "feature/_alignment.py",
)
PEERS = ()
SMOKE = {
    "tasks": ["W->D"],
    "max_rows": 40,
    "n_components": 5,
    "n_iter": 2,
    "sa_dims": [5],
}
TASK_NAMES = [task_name(s, t) for s, t in TASKS]
N_COMPONENTS = 100
A_PRIORI_JDA = "JDA (b), mu 1"

# JDA paper (Long et al., ICCV 2013), Table 2, Office-Caltech SURF, 1NN, as
# compiled in jindongwang/transferlearning data/benchmark.md (commits 0167fd3,
# 12c13d3), in the order of TASKS. The compilation's PCA row has a variant
# with W->A 29.35 (a row credited to another paper); 31.00 is the row
# credited to the JDA paper.
PUBLISHED = {
    "NN": [23.70, 25.76, 25.48, 26.00, 29.83, 25.48,
            19.86, 22.96, 59.24, 26.27, 28.50, 63.39],
    "PCA": [36.95, 32.54, 38.22, 34.73, 35.59, 27.39,
            26.36, 31.00, 77.07, 29.65, 32.05, 75.93],
    "GFK": [41.02, 40.68, 38.85, 40.25, 38.98, 36.31,
            30.72, 29.75, 80.89, 30.28, 32.05, 75.59],
    "TCA": [38.20, 38.64, 41.40, 37.76, 37.63, 33.12,
            29.30, 30.06, 87.26, 31.70, 32.15, 86.10],
    "TSL": [44.47, 34.24, 43.31, 37.58, 33.90, 26.11,
            29.83, 30.27, 87.26, 28.50, 27.56, 85.42],
    "JDA": [44.78, 41.69, 45.22, 39.36, 37.97, 39.49,
            31.17, 32.78, 89.17, 31.52, 33.09, 89.49],
}  # fmt: skip
# SA + 1NN, 30 dims, as run in JGSA (Zhang, Li & Ogunbona, CVPR 2017), same
# compilation.
PUBLISHED_SA = [49.27, 40.00, 39.49, 39.98, 33.22, 33.76,
                35.17, 39.25, 75.16, 34.55, 39.87, 76.95]  # fmt: skip
# CORAL + linear SVM (Sun et al. 2016): the mean over the 12 tasks as quoted
# by the compilation's maintainer (jindongwang/transferlearning issue #233).
PUBLISHED_CORAL_SVM_MEAN = 48.8
CRITERION = 1.5  # points: TCA's published row, per task
# (ours, published row, label) shown as differences; NN checks the data. The
# last was added after the run, as the setting whose mu / |M|_F is nearest the
# authors' lambda = 1 (a second look, not the a priori comparison).
DIFFERENCES = [
    ("NN", "NN", ""),
    ("TCA, unit_norm", "TCA", ""),
    ("TCA, unit_norm, L2", "TCA", ""),
    (A_PRIORI_JDA, "JDA", " (a priori)"),
    ("JDA (b), mu 0.01", "JDA", " (after the run: mu / ‖M‖_F nearest 1)"),
]
logger = logging.getLogger(__name__)


def add_arguments(parser):
    add_choice_list(parser, "--tasks", TASK_NAMES)
    parser.add_argument("--n-components", type=int, default=N_COMPONENTS)
    parser.add_argument("--n-iter", type=int, default=10, help="JDA's n_iter")
    parser.add_argument("--jda-mus", nargs="+", type=float, default=[1.0, 0.1, 0.01])
    parser.add_argument("--bda-balances", nargs="+", type=float, default=[0.2, 0.8])
    parser.add_argument("--bda-mu", type=float, default=0.1)
    parser.add_argument("--sa-dims", nargs="+", type=int, default=[20, 80])
    add_max_rows(parser, "keep this many random rows of each domain (smoke runs)")
    add_data_dir(parser)


# ---------------------------------------------------------------- methods ---


def _nn():
    return KNeighborsClassifier(n_neighbors=1)


def _tca(options, scaling):
    return TransferComponentAnalysis(
        options.n_components,
        kernel="linear",
        mu=1.0,
        scaling=scaling,
        solver="exact",
        random_state=0,
    )


def _jda(options, *, mu, balance, authors):
    return JointDistributionAdaptation(
        options.n_components,
        kernel="linear",
        mu=mu,
        scaling="unit_norm",
        solver="exact",
        n_iter=options.n_iter,
        balance=balance,
        estimator=make_pipeline(Normalizer(), _nn()) if authors else None,
        random_state=0,
    )


def methods(options):
    """``[(name, family, make, l2)]``: ``make()`` gives the adaptation (None:
    raw features), ``l2`` says whether rows are L2-normalised before it and
    the mapped rows after (the authors' code)."""
    out = [
        ("NN", "NN", None, False),
        ("TCA, unit_variance", "TCA", lambda: _tca(options, "unit_variance"), False),
        ("TCA, unit_norm", "TCA", lambda: _tca(options, "unit_norm"), False),
        ("TCA, unit_norm, L2", "TCA", lambda: _tca(options, "unit_norm"), True),
        (
            "JDA (a), mu 1",
            "JDA",
            lambda: _jda(options, mu=1.0, balance=0.5, authors=False),
            False,
        ),
    ]
    for mu in options.jda_mus:
        out.append(
            (
                f"JDA (b), mu {mu:g}",
                "JDA",
                lambda mu=mu: _jda(options, mu=mu, balance=0.5, authors=True),
                True,
            )
        )
    for balance in options.bda_balances:
        out.append(
            (
                f"BDA (b), balance {balance:g}, mu {options.bda_mu:g}",
                "JDA",
                lambda b=balance: _jda(
                    options, mu=options.bda_mu, balance=b, authors=True
                ),
                True,
            )
        )
    out.append(("CORAL, reg 1", "CORAL", lambda: CORAL(reg=1.0), False))
    for k in options.sa_dims:
        out.append(
            (f"SA, k {k}", "SA", lambda k=k: SubspaceAlignment(n_components=k), False)
        )
    return out


def _discrepancy_norm(y_source, pseudo_labels, classes, balance):
    """``‖M‖_F`` of ``M = (1 - balance) e_0 e_0' + (balance / C) sum_c e_c
    e_c'`` with the source labels and the target's pseudo-labels (``|E E'|_F
    = |E' E|_F``)."""
    n_s, n_t = len(y_source), len(pseudo_labels)
    labels = np.concatenate([y_source, pseudo_labels])
    is_source = np.arange(n_s + n_t) < n_s
    columns = [np.sqrt(1 - balance) * np.where(is_source, 1 / n_s, -1 / n_t)]
    for c in classes:
        source, target = is_source & (labels == c), ~is_source & (labels == c)
        e_c = np.zeros(n_s + n_t)
        if source.any() and target.any():
            e_c[source], e_c[target] = 1 / source.sum(), -1 / target.sum()
        columns.append(np.sqrt(balance / len(classes)) * e_c)
    E = np.column_stack(columns)
    return float(np.linalg.norm(E.T @ E))


# -------------------------------------------------------------------- run ---


def _domain(letter, options, cache):
    if letter not in cache:
        X, y = load_office(letter, options.data_dir)
        if options.max_rows and options.max_rows < len(y):
            rows = np.sort(
                np.random.RandomState(0).permutation(len(y))[: options.max_rows]
            )
            X, y = X[rows], y[rows]
        cache[letter] = X, y
    return cache[letter]


def _fit_one(name, family, make, l2, task_data):
    X, y, sample_domain, y_source, y_target = task_data
    n_s = len(y_source)
    row = {"method": name, "family": family}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Xin = normalize(X) if l2 else X
        model = None if make is None else make()
        if model is None:
            Z = Xin
        elif family in ("TCA", "CORAL", "SA"):
            Z = model.fit_transform(Xin, sample_domain=sample_domain)
        else:
            Z = model.fit_transform(Xin, y, sample_domain=sample_domain)
        if l2:
            Z = normalize(Z)
        fit_seconds = time.perf_counter() - start
        predicted = _nn().fit(Z[:n_s], y_source).predict(Z[n_s:])
    row["seconds"] = time.perf_counter() - start
    row["fit_seconds"] = fit_seconds
    row["accuracy"] = float(100 * np.mean(predicted == y_target))
    row["n_features_out"] = int(Z.shape[1])
    if family == "JDA":
        row["n_iter"] = int(model.n_iter_)
        row["label_changes"] = [float(c) for c in model.label_changes_]
        row["label_change_last"] = (
            float(model.label_changes_[-1]) if model.n_iter_ else None
        )
        row["pseudo_label_accuracy"] = float(
            100 * np.mean(model.pseudo_labels_ == y_target)
        )
        row["mu"] = float(model.mu)
        row["balance"] = float(model.balance)
        row["M_fro"] = _discrepancy_norm(
            y_source, model.pseudo_labels_, model.classes_, model.balance
        )
    if family == "TCA":
        row["solver"] = str(model.solver_) if hasattr(model, "solver_") else None
    row["warnings"] = sorted(
        {f"{w.category.__name__}: {w.message}"[:200] for w in caught}
    )
    return row


def run(options, context):
    cache = {}
    infos = context.meta.setdefault("data", {})
    for task in options.tasks:
        source, target = task.split("->")
        try:
            X_source, y_source = _domain(source, options, cache)
            X_target, y_target = _domain(target, options, cache)
        except FileNotFoundError as error:
            logger.warning("%s not run: %s", task, error)
            yield missing_row(task, error)
            continue
        for letter, (X_d, _) in ((source, cache[source]), (target, cache[target])):
            infos[letter] = {
                "n_rows": int(X_d.shape[0]),
                "n_features": int(X_d.shape[1]),
            }
        X, y, sample_domain = stack_domains(
            source=(X_source, y_source), target=(X_target, None)
        )
        task_data = (X, y, sample_domain, y_source, y_target)
        for name, family, make, l2 in methods(options):
            row = _fit_one(name, family, make, l2, task_data)
            row.update(task=task, n_source=len(y_source), n_target=len(y_target))
            logger.info(
                "%s %s: %.2f %% (%.1f s)", task, name, row["accuracy"], row["seconds"]
            )
            yield row


# ----------------------------------------------------------------- report ---


def _cell(value, spec=".2f"):
    return "–" if value is None else format(value, spec)


def _signed(value):
    """A difference in points, "+0.00" rather than "-0.00"."""
    return "–" if value is None else f"{round(value, 2) + 0.0:+.2f}"


def _mean(values):
    return None if any(v is None for v in values) else float(np.mean(values))


def _published(values, tasks):
    return [values[TASK_NAMES.index(t)] for t in tasks]


def _accuracy_table(tasks, names, by):
    cells = []
    for name in names:
        acc = [by[t, name]["accuracy"] if (t, name) in by else None for t in tasks]
        cells.append([name, *(_cell(a) for a in acc), _cell(_mean(acc))])
    published = [(f"JDA paper: {k}", v) for k, v in PUBLISHED.items()]
    published.append(("JGSA's SA + 1NN (30 dims)", PUBLISHED_SA))
    for label, values in published:
        values = _published(values, tasks)
        cells.append(
            [
                f"**{label}**",
                *(f"**{v:.2f}**" for v in values),
                f"**{np.mean(values):.2f}**",
            ]
        )
    coral_mean = f"**{PUBLISHED_CORAL_SVM_MEAN:.1f}**" if len(tasks) == 12 else "–"
    cells.append(
        [
            "**CORAL + linear SVM (Sun et al. 2016; another classifier)**",
            *("–" for _ in tasks),
            coral_mean,
        ]
    )
    return md_table(["method", *tasks, "mean"], cells)


def _same_count(row, published):
    """Whether our number of correct target rows is the one the published
    percentage (two decimals) gives."""
    n = row["n_target"]
    return round(row["accuracy"] * n / 100) == round(published * n / 100)


def _verdict(label, theirs, tasks, diff, same):
    outside = [
        f"{t} ({d:+.2f})"
        for t, d in zip(tasks, diff)
        if d is not None and abs(d) > CRITERION
    ]
    line = (
        f"- {label} against the published {theirs}: within {CRITERION} points on "
        f"{len(tasks) - len(outside)} of {len(tasks)} tasks"
    )
    if outside:
        line += "; outside on " + ", ".join(outside)
    return line + f"; the same number of correct target rows on {same} of {len(tasks)}."


def _difference_table(tasks, names, by):
    cells, verdicts = [], []
    for ours, theirs, note in DIFFERENCES:
        if ours not in names:
            continue
        pub = _published(PUBLISHED[theirs], tasks)
        diff = [
            by[t, ours]["accuracy"] - p if (t, ours) in by else None
            for t, p in zip(tasks, pub)
        ]
        same = sum(
            _same_count(by[t, ours], p) for t, p in zip(tasks, pub) if (t, ours) in by
        )
        label = f"{ours}{note}"
        cells.append(
            [
                f"{label} − published {theirs}",
                *(_signed(d) for d in diff),
                _signed(_mean(diff)),
            ]
        )
        verdicts.append(_verdict(label, theirs, tasks, diff, same))
    return md_table(["ours − published", *tasks, "mean"], cells), verdicts


def _rounds(row):
    if row is None or row["label_change_last"] is None:
        return "–"
    return f"{row['n_iter']} / {100 * row['label_change_last']:.1f}"


def _jda_tables(tasks, names, by):
    rounds, scales = [], []
    for name in names:
        found = [by[t, name] for t in tasks if (t, name) in by]
        if found[0]["family"] != "JDA":
            continue
        rounds.append([name, *(_rounds(by.get((t, name))) for t in tasks)])
        norms = [r["M_fro"] for r in found]
        lambdas = [r["mu"] / r["M_fro"] for r in found]
        scales.append(
            [
                name,
                f"{found[0]['mu']:g}",
                f"{min(norms):.2e} – {max(norms):.2e}",
                f"{min(lambdas):.3g} – {max(lambdas):.3g}",
                f"{np.mean([r['pseudo_label_accuracy'] for r in found]):.2f}",
            ]
        )
    return (
        md_table(["setting", *tasks], rounds),
        md_table(
            ["setting", "mu", "‖M‖_F", "mu / ‖M‖_F", "pseudo-label accuracy (%)"],
            scales,
        ),
    )


def _timing_table(tasks, names, by):
    cells = []
    for name in names:
        found = [by[t, name] for t in tasks if (t, name) in by]
        cells.append(
            [
                name,
                f"{np.median([r['fit_seconds'] for r in found]):.2f}",
                f"{max(r['fit_seconds'] for r in found):.2f}",
                f"{sum(r['seconds'] for r in found):.1f}",
            ]
        )
    return md_table(["method", "median fit", "largest fit", "total with 1NN"], cells)


def table(rows, meta):
    results = [r for r in rows if r.get("status") is None]
    parts = missing_section(rows, {t: t for t in TASK_NAMES})
    if not results:
        return "\n".join(parts or ["No results."])
    tasks = [t for t in TASK_NAMES if any(r["task"] == t for r in results)]
    names = list(dict.fromkeys(r["method"] for r in results))
    by = {(r["task"], r["method"]): r for r in results}
    differences, verdicts = _difference_table(tasks, names, by)
    rounds, scales = _jda_tables(tasks, names, by)
    warned = [
        f"- {r['task']} {r['method']}: {w}" for r in results for w in r["warnings"]
    ]
    return "\n".join(
        [
            *parts,
            "## Target accuracy (%), 1NN, every target row",
            "",
            "Ours first; in bold the published rows: the JDA paper's Table 2 "
            "(Dim 100, 1NN) as compiled in jindongwang/transferlearning "
            "`data/benchmark.md`, SA + 1NN as run in JGSA (CVPR 2017) from the "
            "same compilation, and CORAL's published mean, which is with a "
            "linear SVM (Sun et al. 2016): another classifier, not comparable "
            "with our CORAL + 1NN. (a) = JDA without the authors' normalisations "
            "(unit-norm scaling, the default 1NN pseudo-labeler, mu as given); "
            "(b) = the authors' pipeline (L2 rows before, a 1NN on L2-normalised "
            "embedded rows as pseudo-labeler, L2 rows after). "
            "The setting set against the published JDA row, fixed a priori: "
            f"{A_PRIORI_JDA}.",
            "",
            _accuracy_table(tasks, names, by),
            "",
            "## Ours − published (points)",
            "",
            differences,
            "",
            f"Criterion (TCA's published row within {CRITERION} points per task; "
            "the same bound shown for the others), and the tasks where our number "
            "of correct target rows is the one the published percentage gives:",
            "",
            *verdicts,
            "",
            "## JDA and BDA: rounds and the discrepancy's scale",
            "",
            "Per task: `n_iter_` / the last entry of `label_changes_` (% of the "
            "target pseudo-labels that changed in the last round; 0 = converged "
            "before `n_iter`).",
            "",
            rounds,
            "",
            "‖M‖_F of the final pseudo-labels (range over the tasks), the "
            "authors' lambda that mu / ‖M‖_F gives (their code divides M by "
            "its Frobenius norm; it solves the primal problem, regulariser "
            "a'a = w'Kw, so the correspondence is loose), and the mean accuracy "
            "of the final pseudo-labels.",
            "",
            scales,
            "",
            "## Fit time (s)",
            "",
            "The adaptation's fit_transform with its normalisations (median and "
            "largest over the tasks), and the sum over the tasks with the 1NN.",
            "",
            _timing_table(tasks, names, by),
            "",
            "Warnings:",
            *(warned or ["- none"]),
        ]
    )
