"""CORAL, subspace alignment, linear TCA: sktransfer vs ADAPT and SKADA (real data).

Protocol
--------
Data, the same arrays for every library (preprocessed here, outside every
timer; written once per data set to an ``.npz`` that each worker reads):

- **office**: Office-Caltech10 with SURF features (``office_caltech10_surf``,
  ``benchmarks/harness/office_caltech.py``): the 12 tasks of the JDA paper
  (Long et al., ICCV 2013, Table 2; ``--office-tasks``), each row divided by
  its sum, then each feature z-scored within its domain; every source row
  labeled, every target row unlabeled in the fit and scored. Downstream, as
  in the JDA protocol: ``KNeighborsClassifier(n_neighbors=1)`` fitted on the
  mapped source rows, accuracy on the mapped target rows (on the raw
  features this gives the published NN mean, 31.37 %: the "no adaptation"
  row);
- **amazon**: Amazon reviews, 400 words (``amazon_review_400``; books, dvd,
  elec, kitchen, the 12 ordered pairs, ``--amazon-pairs``), as
  ``benchmarks/studies/coral_amazon.py`` does: one ``StandardScaler`` fitted
  on the stacked rows of both domains, then the method, then
  ``LinearSVC(C=--C, max_iter=10000)`` fitted on the mapped source rows,
  accuracy on every mapped target row.

Methods (``--methods``), with each library's equivalent parameters (read in
the installed source; the worker scripts' docstrings say what each library
computes):

- **CORAL**, ``reg = --coral-reg`` (1, the paper's): ours
  ``sktransfer.feature.CORAL(reg=1)``, ``C + reg I`` with ``C`` the
  covariance (``ddof = 1``), rows not centred; ADAPT 0.4.5
  ``adapt.feature_based.CORAL(lambda_=1)`` (``adapt_coral``: the same
  formula, ``np.cov`` + ``lambda_ I``; ``adapt_coral_default``: its default
  ``lambda_ = 1e-5``); SKADA 0.6.0 ``CORALAdapter`` shrinks instead,
  ``(1 - r) C0 + r tr(C0) / d I`` (``C0`` with ``ddof = 0``, ``r`` in [0, 1],
  one ``r`` for both domains), which is ``(1 - r) (C0 + r / (1 - r) v I)``
  with ``v = tr(C0) / d`` the domain's mean variance; the common factor
  cancels in ``C_s^-1/2 C_t^1/2``, so ``skada_coral`` gets, per task, ``r =
  reg / (reg + v_mean)`` with ``v_mean`` the mean of the two domains' ``v``:
  ridge ``reg v_s / v_mean`` on the source and ``reg v_t / v_mean`` on the
  target (both 1 when the domains' mean variances agree; in the JSON,
  ``skada_ridge``). ``skada_coral_auto``: its default ``reg="auto"``
  (Ledoit-Wolf). SKADA also centres both domains (source ``(x - m_s) A``,
  target ``x - m_t``), which ours and ADAPT do not (the paper does not);
- **SA**, subspace dimension ``--office-sa-dims`` (20) / ``--amazon-sa-dims``
  (100, as ``coral_amazon``), chosen a priori: ``n_components`` means the
  same in the three libraries (ours ``SubspaceAlignment``, ADAPT ``SA``, SKADA
  ``SubspaceAlignmentAdapter``); ours takes the exact eigenvectors of each
  domain's covariance, the peers sklearn's ``PCA`` (``svd_solver="auto"``,
  recorded per fit: randomized SVD for these shapes, seeded by ``--seed``);
- **TCA**, linear kernel, ``n_components`` and ``mu`` in the papers'
  parameterisation (``K L K + mu I`` on the right side): Office 100 and 1
  (the JDA paper's TCA setting), Amazon 50 and 0.1 (``tca_published``'s
  Amazon setting); ours ``TransferComponentAnalysis(kernel="linear",
  solver="exact")`` and, where the installed constructor takes ``scaling``,
  once per ``scaling`` (``ours_tca_unit_variance``, ``ours_tca_unit_norm``;
  otherwise one ``ours_tca`` row; which ran is in the report and the JSON);
  SKADA ``TransferComponentAnalysisAdapter(kernel="linear")`` puts its ``mu``
  on the other term (``I + mu K L K``), so it gets ``1 / mu`` (1 on Office,
  10 on Amazon; see ``tca_vs_peers``). ADAPT's TCA is compared in
  ``tca_vs_peers``.

Each library runs in one fresh process per data set (ours with this
interpreter and the run's copy of ``sktransfer/``, the peers in their
virtual environments, ``benchmarks/harness/peers.py``; workers
``peer_scripts/ours_alignment.py``, ``adapt_alignment.py``,
``skada_alignment.py`` on ``_alignment_worker.py``). Timed per task: the
constructor and the mapping of every training row (ours and SKADA
``fit_transform(X, sample_domain)``; ADAPT ``fit_transform(Xs, Xt)`` and
``transform(Xt, domain="tgt")``), imports and data loading outside; wall
clock and process CPU time, the minimum over up to ``--repeats`` runs while
they took less than ``--repeat-budget`` seconds (every run in the JSON).
Threads: ``OMP/OPENBLAS/MKL/TF = --blas-threads`` (1: the machine's 2 cores
are shared with other work, and two BLAS threads on a busy core slow down
erratically) in every worker; the evaluation here runs under the same limit. Contention,
per worker process (``benchmarks/harness/processes.least_contended``): wait
up to ``--quiet-wait`` seconds for fewer than ``--quiet-cores`` busy cores,
measure the cores other processes kept busy during the process
(``others_busy_during``) and run it again (``--retries``) after up to
``--retry-wait`` seconds when they averaged more than ``--contended-cores``;
the least contended attempt is kept. The 1-minute load at the start of each
task's runs is in the JSON (``load1_at_start``).

Measured per task and method: target accuracy (%), the fit + transform time
and its ratio to ours' counterpart (peer / ours: CORAL to ours CORAL, SA to
ours SA, SKADA's TCA to ours TCA with the constructor's default scaling), the
share of target rows predicted as ours' counterpart predicts them, and how
far the mapped rows are from ours': the largest difference relative to the
largest |value| of ours (CORAL; SA after matching the signs of the
components) and the largest principal angle between the centred spans of
the mapped training rows (SA, TCA). SA check (``sa_check`` in the JSON),
in this process: per domain, the largest principal angle of ours' directions
and of sklearn's default ``PCA(k)`` (the peers' call) to the exact leading
subspace (``PCA(k, svd_solver="full")``), and the eigengap. Per data set:
the mean accuracy, the accuracy paired by task against ours' counterpart
(mean ± standard error; "win" / "loss" beyond 2 standard errors), the mean
time and the geometric mean of the per-task time ratios.

Results: ``benchmarks/results/alignment_vs_peers.{json,md}``; ``python -m
benchmarks report alignment_vs_peers`` rewrites the ``.md`` from the
``.json``. A smoke run (``--smoke``: one task per data set, at most 200 rows
per domain, one timed run, no waiting) runs ours only; the peers' rows say
"not run". About 15 minutes on 2 cores when they are free (most of it
SKADA's TCA on the ~4000 Amazon rows of a pair)::

    python -m benchmarks run alignment_vs_peers
    python -m benchmarks run alignment_vs_peers --datasets office --repeats 1
"""

import json
import math
import time
import warnings
from functools import partial

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from ..harness import fmt_time, md_table, paired_gain, thread_env, verdict
from ..harness.datasets import subsample_rows
from ..harness.missing import missing_row
from ..harness.office_caltech import TASKS, load_office, task_name
from ..harness.options import (
    add_choice_list,
    add_contention_options,
    add_data_dir,
    add_timing_options,
    contention_arguments,
)
from ..harness.processes import least_contended, run_or_stop
from ..harness.tables import fmt_pm
from ..harness.tabular_tasks import load_amazon

CODE = ("feature/_alignment.py", "feature/_tca.py", "feature/_eigensolvers.py")
PEERS = ("adapt", "skada")
DATASETS = ("office", "amazon")
TITLES = {
    "office": "Office-Caltech10 (SURF), 1-nearest neighbour",
    "amazon": "Amazon reviews (400 words), LinearSVC",
}
OFFICE_TASKS = [task_name(s, t) for s, t in TASKS]
AMAZON_DOMAINS = ("books", "dvd", "elec", "kitchen")
AMAZON_PAIRS = [f"{s}->{t}" for s in AMAZON_DOMAINS for t in AMAZON_DOMAINS if s != t]
NOT_RUN = "not run (smoke run)"
SMOKE = {
    "office_tasks": ["W->D"],
    "amazon_pairs": ["books->dvd"],
    "max_rows": 200,
    "repeats": 1,
    "quiet_wait": 0.0,
    "retries": 0,
}

# key -> (library, kind, label); ours' TCA keys are those the worker returns
# (``ours_tca`` or ``ours_tca_<scaling>``), labelled by ``method_label``.
METHODS = {
    "ours_coral": ("ours", "coral", "ours CORAL(reg)"),
    "adapt_coral": ("adapt", "coral", "ADAPT CORAL(lambda_=reg)"),
    "adapt_coral_default": ("adapt", "coral", "ADAPT CORAL, default lambda_=1e-5"),
    "skada_coral": ("skada", "coral", "SKADA CORALAdapter(reg=r), r converted"),
    "skada_coral_auto": ("skada", "coral", "SKADA CORALAdapter, default reg='auto'"),
    "ours_sa": ("ours", "sa", "ours SubspaceAlignment"),
    "adapt_sa": ("adapt", "sa", "ADAPT SA"),
    "skada_sa": ("skada", "sa", "SKADA SubspaceAlignmentAdapter"),
    "ours_tca": ("ours", "tca", "ours TCA, linear"),
    "skada_tca": ("skada", "tca", "SKADA TCA adapter, linear, mu = 1/mu"),
}
LIBRARIES = ("ours", "adapt", "skada")
WORKERS = {lib: f"{lib}_alignment.py" for lib in LIBRARIES}
NO_ADAPTATION = "no_adaptation"
# SKADA's TCA embedding is K V with eigenvectors V of unit norm: ours'
# ``scaling="unit_norm"``.
PEER_TCA_SCALING = "unit_norm"


# ------------------------------------------------------------------- data ---


def _cut(X, y, max_rows, seed):
    rows = subsample_rows(len(y), max_rows, seed)
    return X[rows], y[rows]


def office_tasks(options):
    """``[(name, X_s, y_s, X_t, y_t)]``: the protocol's preprocessing per domain."""
    domains = {}
    tasks = []
    for name in options.office_tasks:
        source, target = name.split("->")
        for d in (source, target):
            if d not in domains:
                X, y = load_office(d, options.data_dir)
                domains[d] = _cut(X, y, options.max_rows, options.seed)
        tasks.append((name, *domains[source], *domains[target]))
    return tasks


def amazon_tasks(options):
    """``[(name, X_s, y_s, X_t, y_t)]``, standardised over both domains' rows."""
    domains = {}
    tasks = []
    for name in options.amazon_pairs:
        source, target = name.split("->")
        for d in (source, target):
            if d not in domains:
                X, y = load_amazon(d, options.data_dir)
                domains[d] = _cut(X, y, options.max_rows, options.seed)
        (X_s, y_s), (X_t, y_t) = domains[source], domains[target]
        scaler = StandardScaler().fit(np.vstack([X_s, X_t]))
        tasks.append((name, scaler.transform(X_s), y_s, scaler.transform(X_t), y_t))
    return tasks


def mean_variance(X):
    """``tr(C0) / d``: the mean per-feature variance (``ddof = 0``)."""
    return float(X.var(axis=0).mean())


# ---------------------------------------------------------------- methods ---


def settings(dataset, options):
    """SA's dimension and TCA's components and ``mu`` (papers') of a data set."""
    if dataset == "office":
        return options.office_sa_dims, options.office_tca_dims, options.office_tca_mu
    return options.amazon_sa_dims, options.amazon_tca_dims, options.amazon_tca_mu


def spec(key, dataset, options, tasks):
    """The worker's spec entry of a method: constructor parameters as passed."""
    _, kind, _ = METHODS[key]
    sa_dims, tca_dims, mu = settings(dataset, options)
    entry = {"key": key, "kind": kind, "params": {}}
    if key == "ours_coral":
        entry["params"] = {"reg": options.coral_reg}
    elif key == "adapt_coral":
        entry["params"] = {"lambda_": options.coral_reg}
    elif key == "skada_coral":
        entry["task_params"] = [
            {"reg": skada_shrinkage(options.coral_reg, X_s, X_t)[0]}
            for _, X_s, _, X_t, _ in tasks
        ]
    elif kind == "sa":
        entry["params"] = {"n_components": sa_dims}
    elif key == "ours_tca":
        entry["params"] = {
            "n_components": tca_dims,
            "kernel": "linear",
            "mu": mu,
            "solver": "exact",
        }
    elif key == "skada_tca":
        entry["params"] = {"kernel": "linear", "n_components": tca_dims, "mu": 1 / mu}
    return entry


def skada_shrinkage(reg, X_s, X_t):
    """SKADA's ``r`` for ours' ``reg`` and the ridges it implies per domain.

    ``(1 - r) C0 + r v I = (1 - r) (C0 + r / (1 - r) v I)``; with ``r = reg /
    (reg + v_mean)`` the ridge is ``reg v / v_mean`` in each domain.
    """
    v_s, v_t = mean_variance(X_s), mean_variance(X_t)
    v_mean = (v_s + v_t) / 2
    r = reg / (reg + v_mean)
    ratio = r / (1 - r)
    return r, {"source": ratio * v_s, "target": ratio * v_t}


def method_label(key, fitted=None):
    if key in METHODS:
        return METHODS[key][2]
    scaling = (fitted or {}).get("scaling") or key.removeprefix("ours_tca_")
    return f"ours TCA, linear, scaling={scaling!r}"


def method_kind(key):
    return METHODS[key][1] if key in METHODS else "tca"


def library(key):
    return METHODS[key][0] if key in METHODS else "ours"


def counterpart(key, ours_keys, defaults, scalings):
    """Ours' method a row is compared with (None for ours and the reference):
    ours of the same kind; for TCA, ours with SKADA's scaling (unit-norm
    coefficients) when it ran, else ours with the default scaling."""
    if library(key) not in PEERS:
        return None
    kind = method_kind(key)
    if kind != "tca":
        return f"ours_{kind}"
    tca = [k for k in ours_keys if method_kind(k) == "tca"]
    like = [k for k in tca if scalings.get(k) == PEER_TCA_SCALING]
    default = [k for k in tca if defaults.get(k)]
    return (like or default or tca or [None])[0]


# ---------------------------------------------------------------- running ---


def write_problems(path, tasks):
    arrays = {"n_tasks": np.array(len(tasks))}
    for k, (_, X_s, _, X_t, _) in enumerate(tasks):
        arrays[f"X_source__{k}"] = X_s
        arrays[f"X_target__{k}"] = X_t
    np.savez(path, **arrays)


def run_library(lib, keys, dataset, tasks, problem, options, context):
    """One worker process of ``lib`` for the data set; ``(result, state,
    attempts, out_dir)`` (its JSON, the kept attempt's contention state)."""
    entries = [spec(key, dataset, options, tasks) for key in keys]
    spec_path = context.tmp / f"spec_{dataset}_{lib}.json"
    spec_path.write_text(json.dumps(entries))
    outs = []

    def attempt():
        out_dir = context.tmp / f"z_{dataset}_{lib}_{len(outs)}"
        out_dir.mkdir()
        outs.append(out_dir)
        args = [
            "--data", problem,
            "--spec", spec_path,
            "--out-dir", out_dir,
            "--seed", options.seed,
            "--repeats", options.repeats,
            "--repeat-budget", options.repeat_budget,
        ]  # fmt: skip
        env = thread_env(options.blas_threads)
        t0 = time.perf_counter()
        if lib == "ours":
            result = context.worker(
                WORKERS[lib], args, env=env, timeout=options.timeout
            )
        else:
            result = context.peer(
                lib, WORKERS[lib], args, env=env, timeout=options.timeout
            )
        return result, out_dir, time.perf_counter() - t0

    (result, out_dir, seconds), state, attempts = least_contended(
        attempt,
        **contention_arguments(options),
        sample=0.1 if context.smoke else 1.0,
        label=f"{dataset} {lib}",
    )
    state = dict(state, process_seconds=round(seconds, 2))
    state["attempts"] = [
        dict(s, process_seconds=round(t, 2)) for (_, _, t), s in attempts
    ]
    for _, other, _ in (a[0] for a in attempts):
        if other != out_dir:
            for f in other.iterdir():
                f.unlink()
    return result, state, out_dir


def base_row(dataset, name, n_source, n_target, key):
    return {
        "dataset": dataset,
        "task": name,
        "n_source": n_source,
        "n_target": n_target,
        "method": key,
        "library": library(key) if key != NO_ADAPTATION else "",
        "kind": method_kind(key) if key != NO_ADAPTATION else "none",
    }


def run_dataset(dataset, tasks, options, context):
    """Every library's worker on the data set's tasks, then the evaluation."""
    problem = context.tmp / f"problems_{dataset}.npz"
    write_problems(problem, tasks)
    rows = {}  # (task index, key) -> row
    outputs = {}  # (task index, key) -> Z file
    workers = context.meta.setdefault("workers", {}).setdefault(dataset, {})
    for lib in LIBRARIES:
        keys = [k for k in options.methods if METHODS[k][0] == lib]
        if not keys:
            continue
        if lib != "ours" and context.peer_python(lib) is None:
            for k, (name, X_s, _, X_t, _) in enumerate(tasks):
                for key in keys:
                    rows[k, key] = dict(
                        base_row(dataset, name, len(X_s), len(X_t), key),
                        label=method_label(key),
                        status=NOT_RUN,
                    )
            continue
        attempt, failure = run_or_stop(
            partial(run_library, lib, keys, dataset, tasks, problem, options, context),
            lib,
            {},
            f"on {dataset}",
            context.log,
            f"timed out after {options.timeout:g} s",
        )
        if failure is not None:
            workers[lib] = failure
            for k, (name, X_s, _, X_t, _) in enumerate(tasks):
                for key in keys:
                    rows[k, key] = dict(
                        base_row(dataset, name, len(X_s), len(X_t), key),
                        label=method_label(key),
                        **failure,
                    )
            continue
        result, state, out_dir = attempt
        workers[lib] = {
            **state,
            "versions": result.get("versions"),
            "threadpools": result.get("threadpools"),
            "python": result.get("python"),
            "numpy": result.get("numpy"),
        }
        context.log.info(
            "  %s %s: %.1f s in the process; other processes %.2f cores during it",
            dataset,
            lib,
            state["process_seconds"],
            state["others_busy_during"],
        )
        for key, records in result["results"].items():
            for k, record in enumerate(records):
                name, X_s, _, X_t, _ = tasks[k]
                row = base_row(dataset, name, len(X_s), len(X_t), key)
                row["label"] = method_label(key, record.get("fitted"))
                row["others_busy_during"] = state["others_busy_during"]
                if "error" in record:
                    row.update(status="error", note=record["error"])
                else:
                    fastest = int(np.argmin(record["seconds_all"]))
                    row.update(
                        record,
                        status="ok",
                        cpu_seconds=record["cpu_seconds_all"][fastest],
                    )
                    outputs[k, key] = out_dir / f"Z__{key}__{k}.npz"
                if key == "skada_coral":
                    row["skada_ridge"] = skada_shrinkage(options.coral_reg, X_s, X_t)[1]
                rows[k, key] = row
    yield from evaluate(dataset, tasks, rows, outputs, options, context)
    problem.unlink()
    if "ours_sa" in options.methods:
        check = sa_check(dataset, tasks, options)
        context.meta.setdefault("sa_check", {})[dataset] = check
        context.log.info("  %s SA check: %s", dataset, json.dumps(check))


def downstream(dataset, options):
    if dataset == "office":
        return KNeighborsClassifier(n_neighbors=1)
    return LinearSVC(C=options.C, max_iter=10000)


def predict(dataset, options, Z_s, y_s, Z_t):
    """The downstream model's target predictions and its warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = downstream(dataset, options).fit(Z_s, y_s)
    return model.predict(Z_t), sorted({str(w.message)[:200] for w in caught})


def largest_angle(Z, reference):
    """Largest principal angle (degrees) between the centred column spans."""
    from scipy.linalg import subspace_angles

    angles = subspace_angles(Z - Z.mean(axis=0), reference - reference.mean(axis=0))
    return float(np.rad2deg(angles.max()))


def sa_check(dataset, tasks, options):
    """Each domain's SA directions: ours against an exact and sklearn's default PCA.

    For every domain (its rows as in the first task it appears in): the
    largest principal angle of ours' ``source_components_`` and of
    ``PCA(k, random_state=seed)`` (``svd_solver="auto"``, what ADAPT and SKADA
    run) to ``PCA(k, svd_solver="full")``, and the eigengap
    ``lambda_k / lambda_(k+1)`` of the domain's covariance.
    """
    from scipy.linalg import subspace_angles
    from sklearn.decomposition import PCA

    from sktransfer.feature import SubspaceAlignment

    k = settings(dataset, options)[0]
    checks = {}
    for name, X_s, _, X_t, _ in tasks:
        for domain, X in zip(name.split("->"), (X_s, X_t)):
            if domain in checks or k + 1 > min(X.shape):
                continue
            both = np.r_[np.ones(len(X), int), -np.ones(len(X), int)]
            ours = SubspaceAlignment(n_components=k).fit(
                np.vstack([X, X]), sample_domain=both
            )
            full = PCA(k + 1, svd_solver="full").fit(X)
            default = PCA(k, random_state=options.seed).fit(X)
            exact = full.components_[:k].T
            checks[domain] = {
                "n_components": k,
                "ours_angle_deg": float(
                    np.rad2deg(subspace_angles(ours.source_components_, exact).max())
                ),
                "sklearn_default_solver": default._fit_svd_solver,
                "sklearn_default_angle_deg": float(
                    np.rad2deg(subspace_angles(default.components_.T, exact).max())
                ),
                "eigengap": float(
                    full.explained_variance_[k - 1] / full.explained_variance_[k]
                ),
            }
    return checks


def relative_difference(Z, reference, match_signs):
    """``max |Z - reference| / max |reference|`` (columns' signs matched first)."""
    if Z.shape != reference.shape:
        return None
    if match_signs:
        signs = np.sign(np.sum(Z * reference, axis=0))
        Z = Z * np.where(signs == 0, 1.0, signs)
    return float(np.abs(Z - reference).max() / np.abs(reference).max())


def evaluate(dataset, tasks, rows, outputs, options, context):
    """Accuracy and agreement with ours of every row; the reference rows."""
    ours_keys = sorted({key for (_, key) in rows if library(key) == "ours"})
    fitted = {
        key: row.get("fitted") or {}
        for (_, key), row in rows.items()
        if key in ours_keys and row.get("status") == "ok"
    }
    defaults = {
        k: f.get("scaling") == f.get("scaling_default") for k, f in fitted.items()
    }
    scalings = {k: f.get("scaling") for k, f in fitted.items()}
    for k, (name, X_s, y_s, X_t, y_t) in enumerate(tasks):
        predicted, mapped = {}, {}
        for key in ours_keys + [key for key in options.methods if key in METHODS]:
            if (k, key) not in outputs or key in predicted:
                continue
            with np.load(outputs[k, key]) as f:
                Z_s, Z_t = f["source"], f["target"]
            predicted[key], caught = predict(dataset, options, Z_s, y_s, Z_t)
            mapped[key] = np.vstack([Z_s, Z_t])
            row = rows[k, key]
            row["accuracy"] = float(np.mean(predicted[key] == y_t))
            row["downstream_warnings"] = caught
        prediction, caught = predict(dataset, options, X_s, y_s, X_t)
        reference = dict(
            base_row(dataset, name, len(X_s), len(X_t), NO_ADAPTATION),
            label="no adaptation (raw features)",
            status="ref",
            accuracy=float(np.mean(prediction == y_t)),
            downstream_warnings=caught,
        )
        for (task, key), row in rows.items():
            if task != k:
                continue
            other = counterpart(key, ours_keys, defaults, scalings)
            row["counterpart"] = other
            if key not in predicted or other not in predicted:
                continue
            row["same_predictions"] = float(np.mean(predicted[key] == predicted[other]))
            if row["kind"] in ("sa", "tca"):
                row["largest_angle_deg"] = largest_angle(mapped[key], mapped[other])
            if row["kind"] in ("coral", "sa"):
                row["relative_difference"] = relative_difference(
                    mapped[key], mapped[other], match_signs=row["kind"] == "sa"
                )
        for path in [outputs[k, key] for key in predicted]:
            path.unlink()
        done = [rows[task, key] for (task, key) in rows if task == k]
        context.log.info(
            "  %s %s: %s",
            dataset,
            name,
            ", ".join(
                f"{r['method']} {100 * r['accuracy']:.1f}"
                for r in [reference, *done]
                if "accuracy" in r
            ),
        )
        yield reference
        yield from done


# ----------------------------------------------------------------- report ---


def _ok(rows):
    return [r for r in rows if r.get("status") == "ok"]


def _methods(rows):
    """Methods in report order: the reference, then by kind, ours first."""
    order = {"none": 0, "coral": 1, "sa": 2, "tca": 3}
    seen = list(dict.fromkeys(r["method"] for r in rows))
    return sorted(
        seen,
        key=lambda m: (
            order[method_kind(m) if m != NO_ADAPTATION else "none"],
            LIBRARIES.index(library(m)) if m != NO_ADAPTATION else -1,
        ),
    )


def geometric_mean(values):
    values = [v for v in values if v and v > 0 and math.isfinite(v)]
    return math.exp(np.mean(np.log(values))) if values else None


def fmt_ratio(r):
    if r is None:
        return "–"
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def time_ratio(ok, by, other, field):
    """Geometric mean over tasks of ``field`` / ours' counterpart's."""
    return geometric_mean(
        [
            r[field] / by[r["task"], other][field]
            for r in ok
            if by.get((r["task"], other), {}).get(field)
        ]
    )


SUMMARY_HEADER = [
    "method",
    "status",
    "mean target acc. (%)",
    "− ours' counterpart (points, paired)",
    "mean time (s)",
    "time / ours",
    "mean CPU (s)",
    "CPU / ours",
    "peak RSS (MiB)",
    "same predictions as ours",
    "largest rel. difference / angle to ours",
]


def summary_row(method, mine, by, tasks):
    """One method's line of the summary table."""
    ok = _ok(mine) if method != NO_ADAPTATION else mine
    label = mine[0].get("label", method) if mine else method
    if not ok:
        status = next((r.get("status") for r in mine if r), "–")
        note = next((r.get("note") for r in mine if r.get("note")), None)
        blank = ["–"] * (len(SUMMARY_HEADER) - 2)
        return [label, status + (f": {note}" if note else ""), *blank]
    status = "reference" if method == NO_ADAPTATION else "ok"
    if len(ok) < len(tasks):
        status = f"ok on {len(ok)} of {len(tasks)} tasks"
    other = next((r.get("counterpart") for r in ok if r.get("counterpart")), None)
    paired, ratio, cpu_ratio = "–", None, None
    if other is not None:
        gain, se, n = paired_gain(
            [100 * by.get((t, method), {}).get("accuracy", math.nan) for t in tasks],
            [100 * by.get((t, other), {}).get("accuracy", math.nan) for t in tasks],
        )
        if n:
            paired = f"{fmt_pm(gain, se, '+.2f')} ({verdict(gain, se)}, {n} tasks)"
        ratio = time_ratio(ok, by, other, "seconds")
        cpu_ratio = time_ratio(ok, by, other, "cpu_seconds")
    same = [r["same_predictions"] for r in ok if "same_predictions" in r]
    diffs = [r["relative_difference"] for r in ok if r.get("relative_difference")]
    angles = [r["largest_angle_deg"] for r in ok if "largest_angle_deg" in r]
    distance = [f"{max(diffs):.1e}"] if diffs else []
    distance += [f"{max(angles):.1f}°"] if angles else []
    timed = method != NO_ADAPTATION

    def mean(field):
        return fmt_time(np.mean([r[field] for r in ok])) if timed else "–"

    peaks = [r["compute_peak_mb"] for r in ok if r.get("compute_peak_mb")]
    return [
        label,
        status,
        f"{100 * np.mean([r['accuracy'] for r in ok]):.2f}",
        paired,
        mean("seconds"),
        fmt_ratio(ratio),
        mean("cpu_seconds"),
        fmt_ratio(cpu_ratio),
        f"{max(peaks):.0f}" if peaks else "–",
        f"{100 * min(same):.1f}–{100 * max(same):.1f} %" if same else "–",
        " / ".join(distance) or "–",
    ]


def summary_table(rows):
    by = {(r["task"], r["method"]): r for r in rows}
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    body = [
        summary_row(method, [by.get((t, method), {}) for t in tasks], by, tasks)
        for method in _methods(rows)
    ]
    return md_table(SUMMARY_HEADER, body)


def short_status(row):
    """ "not run", "error", "timeout" or "–" for a cell without a value."""
    return (row.get("status") or "–").split(" (")[0]


def per_task_table(rows, field, cell):
    by = {(r["task"], r["method"]): r for r in rows}
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    methods = [m for m in _methods(rows) if field == "accuracy" or m != NO_ADAPTATION]
    body = []
    for t in tasks:
        line = [t]
        for m in methods:
            r = by.get((t, m), {})
            line.append(cell(r) if field in r else short_status(r))
        body.append(line)
    return md_table(["task", *methods], body)


def scaling_lines(rows):
    tca = [r for r in _ok(rows) if r["library"] == "ours" and r["kind"] == "tca"]
    if not tca:
        return ["- ours TCA: not measured in this run."]
    fitted = tca[0].get("fitted") or {}
    if not fitted.get("scaling_parameter"):
        return [
            "- ours TCA: the installed `TransferComponentAnalysis` has no `scaling` "
            "parameter; one row, `ours_tca` (unit variance per component)."
        ]
    used = sorted({(r.get("fitted") or {}).get("scaling") for r in tca})
    return [
        "- ours TCA: `scaling` available (default "
        f"`{fitted.get('scaling_default')!r}`); rows for "
        + ", ".join(f"`scaling={s!r}`" for s in used)
        + f"; SKADA's TCA is compared with `scaling={PEER_TCA_SCALING!r}` "
        "(unit-norm coefficients, as SKADA's eigenvectors) when it ran, else "
        "with the default"
    ]


def run_lines(rows, meta):
    s = meta["settings"]
    lines = []
    for dataset, workers in (meta.get("workers") or {}).items():
        parts = []
        for lib, state in workers.items():
            if "others_busy_during" not in state:
                parts.append(f"{lib} {state.get('status', '?')}")
                continue
            attempts = state.get("attempts") or []
            parts.append(
                f"{lib} {state['process_seconds']:.0f} s in its process (load "
                f"{state['loadavg_at_start'][0]:.2f} at start, others' cores "
                f"{state['busy_cores_before']:.2f} before / "
                f"{state['others_busy_during']:.2f} during"
                + (f", {len(attempts)} attempts" if len(attempts) > 1 else "")
                + ")"
            )
        lines.append(f"- {dataset} workers: " + "; ".join(parts))
    stretch = [
        r["seconds"] / r["cpu_seconds"] for r in _ok(rows) if r.get("cpu_seconds")
    ]
    if stretch:
        lines.append(
            "- wall clock / CPU time of the kept runs: median "
            f"{np.median(stretch):.2f}, range {min(stretch):.2f} to "
            f"{max(stretch):.2f} (about 1 or below with "
            f"{s['blas_threads']} BLAS thread(s) on a free core; above 1: the "
            "process waited for a core)"
        )
    loads = [r["load1_at_start"] for r in rows if r.get("load1_at_start") is not None]
    if loads:
        lines.append(
            f"- 1-minute load at the start of a task's timed runs: "
            f"{min(loads):.2f} to {max(loads):.2f}"
        )
    contended = sorted(
        {
            (r["dataset"], r["library"])
            for r in rows
            if (r.get("others_busy_during") or 0) > s.get("contended_cores", 0.25)
        }
    )
    if contended:
        lines.append(
            "- **contention**: other processes averaged more than "
            f"{s.get('contended_cores', 0.25)} cores during the worker of "
            + ", ".join(f"{lib} on {d}" for d, lib in contended)
            + ": those times are inflated."
        )
    lines += [
        f"- settings: CORAL reg {s['coral_reg']:g}; SA dims Office "
        f"{s['office_sa_dims']}, Amazon {s['amazon_sa_dims']}; TCA (linear) Office "
        f"{s['office_tca_dims']} components, mu {s['office_tca_mu']:g}; Amazon "
        f"{s['amazon_tca_dims']}, mu {s['amazon_tca_mu']:g} (papers' mu; SKADA "
        "gets 1/mu); Amazon LinearSVC C "
        f"{s['C']:g}; seed {s['seed']}; threads OMP/OPENBLAS/MKL/TF = "
        f"{s['blas_threads']} in every worker; up to {s['repeats']} timed runs per "
        f"task while under {s['repeat_budget']:g} s (minimum reported)",
        *scaling_lines(rows),
    ]
    ridges = [r["skada_ridge"] for r in rows if r.get("skada_ridge")]
    if ridges:
        values = [v for ridge in ridges for v in ridge.values()]
        lines.append(
            f"- SKADA CORAL's shrinkage converted per task: implied ridge "
            f"{min(values):.3f} to {max(values):.3f} (ours: {s['coral_reg']:g} in "
            "both domains)"
        )
    return lines


def warning_lines(rows):
    lines = []
    for r in rows:
        for w in r.get("warnings") or []:
            lines.append(
                f"- {r['dataset']} {r['task']}, {r['method']}: {w['category']} ×"
                f"{w['count']}: {w['message'][:200]}"
            )
        for w in r.get("downstream_warnings") or []:
            lines.append(f"- {r['dataset']} {r['task']}, {r['method']} downstream: {w}")
    errors = [
        f"- {r['dataset']} {r['task']}, {r['method']}: **{r['status']}**: "
        f"{r.get('note', '')}"
        for r in rows
        if r.get("status") in ("error", "timeout")
    ]
    return errors + lines or ["- none"]


def sa_lines(checks):
    if not checks:
        return []
    lines = [
        "## SA's principal directions: exact or randomized",
        "",
        "Per domain (its rows as in the first task it appears in), the largest "
        "principal angle to the exact leading subspace (`PCA(k, "
        "svd_solver=\"full\")`) of ours' directions and of sklearn's default "
        "`PCA(k)`, which ADAPT and SKADA call; the eigengap is "
        "lambda_k / lambda_(k+1) of the domain's covariance (near 1: the "
        "k-th direction is barely determined, and an approximate solver "
        "picks another).",
        "",
    ]
    body = [
        [
            dataset,
            domain,
            c["n_components"],
            f"{c['ours_angle_deg']:.1e}",
            c["sklearn_default_solver"],
            f"{c['sklearn_default_angle_deg']:.2g}",
            f"{c['eigengap']:.3f}",
        ]
        for dataset, domains in checks.items()
        for domain, c in domains.items()
    ]
    header = [
        "data",
        "domain",
        "k",
        "ours (°)",
        "sklearn PCA(k) solver",
        "sklearn PCA(k) (°)",
        "eigengap",
    ]
    return [*lines, md_table(header, body), ""]


PEER_NOTES = """\
## What the libraries compute (read in their installed source)

- **CORAL.** Ours: `C + reg I` (`ddof = 1`), `C_s^-1/2 C_t^1/2` by `eigh`,
  source rows `x A`, target rows as they are. ADAPT: the same formula with
  `scipy.linalg.sqrtm` (Schur) and `scipy.linalg.inv`; with `lambda_ = reg`
  its mapped rows equal ours to rounding (the "rel. difference" column).
  Its default `lambda_ = 1e-5` is not the paper's 1. SKADA: shrinkage
  `(1 - r) C0 + r tr(C0)/d I` (one `r` for both domains, converted here to
  ours' ridge as the protocol says), its default Ledoit-Wolf `reg="auto"`,
  and **both domains centred** (source `(x - m_s) A`, target `x - m_t`), so
  its rows differ from ours by construction.
- **SA.** The three compute `(x - m_s) P_s P_s' P_t` and `(x - m_t) P_t`;
  ours takes `P` from the exact eigenvectors of each domain's covariance,
  ADAPT and SKADA from sklearn's `PCA` (randomized SVD at these shapes,
  recorded per fit in the JSON).
- **Office preprocessing and the linear kernel.** Each domain is z-scored
  on its own, so both domains' means are 0 (to 2e-16) and the linear
  kernel's discrepancy term vanishes: `K e = X (X' e) = X (m_s - m_t) = 0`,
  `K L K = 0`. Linear TCA on Office is then the kernel (here: linear)
  principal components of the pooled rows, for every library, and SKADA's
  matrix `(I + mu K L K)^-1 K H K = K H K` is symmetric: its `eigh` is
  right there (angle 0 to ours, the same predictions). On Amazon (one
  scaler for both domains) the term is not 0. SKADA's centring in CORAL is
  likewise a no-op on Office.
- **TCA.** SKADA builds the dense `n x n` kernel, `L` and `H`, solves
  `(I + mu K L K) X = K H K` and calls the symmetric `numpy.linalg.eigh` on
  the non-symmetric result (see `tca_vs_peers`); its embedding `K V` has
  eigenvectors of unit norm and is not centred (1-NN and the SVM's
  intercept do not care about the centring; they do care about the
  components' scales). Ours solves the symmetric-definite problem.
"""


def table(rows, meta):
    lines = [*run_lines(rows, meta), ""]
    lines += [
        "Time = the constructor and the mapping of every training row, per task "
        "(ours and SKADA `fit_transform(X, sample_domain)`, ADAPT "
        '`fit_transform(Xs, Xt)` + `transform(Xt, domain="tgt")`). "− ours\' '
        "counterpart\" = the method's target accuracy minus ours' CORAL / SA / "
        "TCA on the same task (mean ± standard error over tasks; win / loss "
        "beyond 2 SE). Time and CPU: means over tasks of the minimum over the "
        "timed runs (CPU = process CPU time, all threads; with one BLAS thread "
        "it counts the work and not the wait for a shared core); time / ours "
        "and CPU / ours: geometric means over tasks of the per-task ratios. "
        "Peak RSS = the worker process's resident set size during the runs, "
        "largest over tasks (interpreter and imports included: TensorFlow for "
        "ADAPT). Same predictions = share of target rows predicted as "
        "ours' counterpart predicts them (range over tasks). Rel. difference = "
        "max |Z − Z_ours| / max |Z_ours| over the mapped training rows (SA: "
        "components' signs matched); angle = the largest principal angle "
        "between the centred spans of the mapped training rows (largest over "
        "tasks).",
        "",
    ]
    for dataset in DATASETS:
        mine = [r for r in rows if r.get("dataset") == dataset]
        missing = [r for r in rows if r.get("protocol") == dataset and r.get("status")]
        if missing:
            lines += [f"## {TITLES[dataset]}", "", f"- {missing[0]['detail']}", ""]
        if not mine:
            continue
        tasks = list(dict.fromkeys(r["task"] for r in mine))
        lines += [
            f"## {TITLES[dataset]}: {len(tasks)} tasks",
            "",
            summary_table(mine),
            "",
            "### Target accuracy (%) per task",
            "",
            per_task_table(mine, "accuracy", lambda r: f"{100 * r['accuracy']:.1f}"),
            "",
            "### Time (s) per task",
            "",
            per_task_table(mine, "seconds", lambda r: fmt_time(r["seconds"])),
            "",
        ]
    lines += [
        *sa_lines(meta.get("sa_check") or {}),
        "## Errors and warnings",
        "",
        *warning_lines(rows),
        "",
        PEER_NOTES,
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------- the run ---


def add_arguments(parser):
    add_choice_list(parser, "--datasets", DATASETS)
    add_choice_list(parser, "--office-tasks", OFFICE_TASKS)
    add_choice_list(parser, "--amazon-pairs", AMAZON_PAIRS)
    add_choice_list(parser, "--methods", list(METHODS))
    parser.add_argument("--coral-reg", type=float, default=1.0)
    parser.add_argument("--office-sa-dims", type=int, default=20)
    parser.add_argument("--amazon-sa-dims", type=int, default=100)
    parser.add_argument("--office-tca-dims", type=int, default=100)
    parser.add_argument("--office-tca-mu", type=float, default=1.0)
    parser.add_argument("--amazon-tca-dims", type=int, default=50)
    parser.add_argument("--amazon-tca-mu", type=float, default=0.1)
    parser.add_argument("--C", type=float, default=1.0, help="Amazon LinearSVC's C")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-rows", type=int, default=None, help="rows per domain (smoke runs)"
    )
    add_data_dir(parser)
    add_timing_options(
        parser, blas_threads=1, repeats=3, repeat_budget=10.0, timeout=1500.0
    )
    add_contention_options(parser)
    parser.set_defaults(quiet_wait=60.0, retry_wait=300.0)


LOADERS = {"office": office_tasks, "amazon": amazon_tasks}


def run(options, context):
    from threadpoolctl import threadpool_limits

    for lib in sorted({METHODS[m][0] for m in options.methods} - {"ours"}):
        context.peer_python(lib)  # build the peers' environments first
    with threadpool_limits(limits=options.blas_threads):
        for dataset in options.datasets:
            try:
                tasks = LOADERS[dataset](options)
            except FileNotFoundError as error:
                context.log.warning("%s not run: %s", dataset, error)
                yield missing_row(dataset, error)
                continue
            context.log.info("%s: %d tasks", dataset, len(tasks))
            yield from run_dataset(dataset, tasks, options, context)
