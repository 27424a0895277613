"""Parameter transfer, sktransfer against ADAPT 0.4.5: accuracy, fit time, coefficients.

Ours: :class:`sktransfer.parameter.RegularTransferLogisticRegression`,
:class:`~sktransfer.parameter.RegularTransferRidge` (both from a frozen source
model, ``FrozenEstimator``) and :class:`~sktransfer.parameter.FeatureAugmentation`
in ``make_transfer_pipeline(FeatureAugmentation(), estimator)``. ADAPT:
``adapt.parameter_based.RegularTransferLC`` / ``RegularTransferLR`` and
``adapt.feature_based.FA``, in ADAPT's own virtual environment
(``peer_scripts/adapt_parameter.py`` run by ``Context.peer``).

Objectives (read from ADAPT 0.4.5's ``parameter_based/_regular.py``)
-------------------------------------------------------------------
ADAPT's ``RegularTransferLR.fit`` prepends a column of ones when the source
model has an intercept, and calls ``scipy.sparse.linalg.lsqr(A=[1 X], b=y,
damp=lambda_, x0=beta_src)`` per output, which minimises
``|A beta - y|^2 + lambda_^2 |beta - beta_src|^2`` (SciPy's documented
objective with ``x0``), ``beta = (b, w)``: the pull is ``lambda_`` squared
(its docstring writes ``lambda``), covers the intercept, and there is no plain
L2 term. ``lsqr`` stops at its defaults ``atol = btol = 1e-6``.
``RegularTransferLC.fit`` maps the labels to ``{-1, +1}`` (``LabelBinarizer``
on the source model's ``classes_``) and runs the same least squares: a
squared loss on +-1 labels, not a log-loss (it also prints the label shape).

Ours: ``RegularTransferRidge`` minimises ``sum (y - x w - b)^2 + alpha |w|^2 +
strength (|w - w_s|^2 + (b - b_s)^2)``, ``RegularTransferLogisticRegression``
``sum log_loss + |W|^2 / (2 C) + strength (|W - W_s|^2 + |b - b_s|^2)``.

Mapping used: ``strength = lambda_^2``. Regression: with ``alpha = 0`` the two
objectives are identical. Classification: ADAPT's objective is reproduced by
``RegularTransferRidge(FrozenEstimator(LR source), alpha=0, strength=lambda_^2)``
fitted on ``2 y - 1`` (class by the sign: ``ls`` rows); our logistic model has
the same penalty with ``C = 1e12`` (no plain L2; ``C = inf`` is refused) but a
different loss (``penalty`` rows). Defaults: ours ``strength=1`` with
``C = 1`` / ``alpha = 1``, ADAPT ``lambda_ = 1``. Strengths ``--strengths``
(1, 10, 100), i.e. ``lambda_ = 1, 3.16, 10``.

``FA``: source rows become ``[x | 0 | x]``, target rows ``[0 | x | x]`` (source,
target, shared blocks); ours ``[x | 0 | x]`` in the order shared, target (id
-2), source (id 0). The same scikit-learn estimator on the same augmented rows
in another column order: an identical objective. Estimators
``LogisticRegression(C=1, max_iter=1000)`` (classification, ``fa``; also
``tol=1e-10, max_iter=10000`` on the first seed, ``fa_tight``) and
``Ridge(alpha=1)`` (regression).

Data
----
- ``concept``, ``concept_regression``: ``sktransfer.datasets.make_domain_shift(
  n_source=--synthetic-source (1000), n_target=max(n_labeled) + --synthetic-test
  (2000), n_features=20, shift="concept", strength=1.0, noise=0.3,
  random_state=seed)``; the labeled target rows are the first ``n_labeled``
  target rows, the test rows those after ``max(n_labeled)``.
- Amazon reviews, 400 features (``amazon_review_400``, row-normalised term
  frequencies, from ``--data-dir``, default ``../shared/data``; ``--pairs``,
  default books->kitchen and dvd->elec; a pair whose data folder is missing
  is not run and gives a row saying so),
  standardised by a ``StandardScaler`` fitted on the source rows; per seed a
  permutation of the target rows, labeled = its first ``n_labeled`` rows (both
  classes present), test = the rows after ``max(n_labeled)``.

``--n-labeled`` 20, 50, 200; ``--seeds`` 0-9. The source model is fitted once
per source sample in this process (``LogisticRegression(C=1, max_iter=1000)``
or ``Ridge(alpha=1)``) and handed to both libraries (ADAPT gets an instance
with the same ``coef_``, ``intercept_``, ``classes_``).

Timing
------
One BLAS/OpenMP thread on both sides (``threadpoolctl`` here, environment
variables in ADAPT's process). The package is copied at the start
(``python -m benchmarks`` does it) and imported from the copy. For each (data
set, n_labeled) group ours fits every seed in this process, then ADAPT every
seed in one fresh process (its TensorFlow import timed apart and excluded).
The timed span is construction + ``fit`` (ours: including the stacking of
source and target rows for FA; ADAPT stacks inside ``fit``); each method is
fitted once untimed the first time it is met in a process, then ``--repeats``
timed fits, median (wall clock, and the process's CPU time, which other
processes on a shared machine disturb less). The ratio ours/ADAPT is the
geometric mean of the per-seed ratios.

Coefficients: for each comparison with an identical objective, the largest
absolute difference between our and ADAPT's weights and intercepts (ours
permuted into ADAPT's column order for FA), the objective value of both, and
for the least squares a closed-form reference (``numpy.linalg.lstsq`` on the
stacked system) to say whose solution is off.

A smoke run (``--smoke``) fits ours only: ADAPT's rows say "not run (smoke
run)", and there is no coefficient or time comparison.

    python -m benchmarks run parameter_vs_adapt            # full run, ~3-5 min
    python -m benchmarks run parameter_vs_adapt --smoke
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
import warnings

import numpy as np

from ..harness import fmt, md_table, mean_se, thread_env
from ..harness.missing import not_run_lines
from ..harness.options import add_data_dir
from ..harness.tables import fmt_pm
from ..harness.tabular_tasks import (
    amazon_dir,
    concept_shift,
    load_amazon,
    stack_domains,
    test_score,
)

logger = logging.getLogger(__name__)

PEERS = ("adapt",)
CODE = (
    "parameter/_linear.py",
    "parameter/_prior_solvers.py",
    "parameter/_augmentation.py",
)
SMOKE = {
    "seeds": [0],
    "n_labeled": [20],
    "strengths": [10.0],
    "repeats": 1,
    "pairs": ["books->kitchen"],
    "synthetic_source": 200,
    "synthetic_test": 200,
}
ADAPT_SCRIPT = "adapt_parameter.py"
NOT_RUN = "not run (smoke run)"
NO_L2_C = 1e12  # RegularTransferLogisticRegression refuses C=inf
LR_PARAMS = {"C": 1.0, "max_iter": 1000}
LR_TIGHT = {"C": 1.0, "max_iter": 10000, "tol": 1e-10}
RIDGE_PARAMS = {"alpha": 1.0}
SYNTHETIC = {"concept": "classification", "concept_regression": "regression"}


# --------------------------------------------------------------------- data ---


def synthetic_cells(name, n_labeled, seed, options):
    n_max = max(options.n_labeled)
    Xs, ys, Xt, yt = concept_shift(
        options.synthetic_source,
        n_max + options.synthetic_test,
        20,
        task=SYNTHETIC[name],
        strength=1.0,
        noise=0.3,
        seed=seed,
    )
    return Xs, ys, Xt[:n_labeled], yt[:n_labeled], Xt[n_max:], yt[n_max:]


def amazon_pair(pair, data_dir=None):
    from sklearn.preprocessing import StandardScaler

    source, target = pair.split("->")
    Xs, ys = load_amazon(source, data_dir)
    Xt, yt = load_amazon(target, data_dir)
    scaler = StandardScaler().fit(Xs)
    return scaler.transform(Xs), ys, scaler.transform(Xt), yt


def amazon_split(yt, n_labeled, seed, n_max, n_min):
    """Labeled rows (the first ``n_labeled`` of a permutation whose first
    ``n_min`` rows hold both classes) and test rows (those after ``n_max``)."""
    for attempt in range(100):
        order = np.random.default_rng([seed, 7, attempt]).permutation(yt.shape[0])
        if np.unique(yt[order[:n_min]]).size == 2:
            break
    return order[:n_labeled], order[n_max:]


def fit_source(task, Xs, ys):
    from sklearn.linear_model import LogisticRegression, Ridge

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if task == "classification":
            return LogisticRegression(**LR_PARAMS).fit(Xs, ys)
        return Ridge(**RIDGE_PARAMS).fit(Xs, ys)


def source_spec(task):
    if task == "classification":
        return {"class": "LogisticRegression", "params": LR_PARAMS}
    return {"class": "Ridge", "params": RIDGE_PARAMS}


# ------------------------------------------------------------------ methods ---


def method_names(task, strengths, first_seed):
    """``(ours, adapt, comparisons)``: method names per library, and the
    comparisons ``(key, ours method, ADAPT method, objective)``."""
    strengths = list(dict.fromkeys([1.0, *strengths]))
    ours = ["rt_default"] + [f"rt_s{s:g}" for s in strengths]
    adapt = [f"regular_s{s:g}" for s in strengths]
    comparisons = [("default", "rt_default", "regular_s1", "different")]
    if task == "classification":
        ours += [f"ls_s{s:g}" for s in strengths]
        comparisons += [
            (f"penalty s={s:g}", f"rt_s{s:g}", f"regular_s{s:g}", "same penalty")
            for s in strengths
        ]
        comparisons += [
            (f"ls s={s:g}", f"ls_s{s:g}", f"regular_s{s:g}", "identical")
            for s in strengths
        ]
    else:
        comparisons += [
            (f"s={s:g}", f"rt_s{s:g}", f"regular_s{s:g}", "identical")
            for s in strengths
        ]
    ours.append("fa")
    adapt.append("fa")
    comparisons.append(("fa", "fa", "fa", "identical"))
    if task == "classification" and first_seed:
        ours.append("fa_tight")
        adapt.append("fa_tight")
        comparisons.append(("fa_tight", "fa_tight", "fa_tight", "identical"))
    return ours, adapt, comparisons


def strength_of(name):
    return float(name.split("_s", 1)[1])


def adapt_methods(task, names):
    out = []
    for name in names:
        if name.startswith("regular_s"):
            kind = "regular_lc" if task == "classification" else "regular_lr"
            out.append(
                {"name": name, "kind": kind, "lambda_": math.sqrt(strength_of(name))}
            )
        else:
            params = {"fa": LR_PARAMS, "fa_tight": LR_TIGHT}[name]
            estimator = (
                {"class": "LogisticRegression", "params": params}
                if task == "classification"
                else {"class": "Ridge", "params": RIDGE_PARAMS}
            )
            out.append({"name": name, "kind": "fa", "estimator": estimator})
    return out


def ours_fit(name, task, cell):
    """A function that constructs and fits our model ``name`` on the cell."""
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

    from sktransfer import make_transfer_pipeline
    from sktransfer.parameter import (
        FeatureAugmentation,
        RegularTransferLogisticRegression,
        RegularTransferRidge,
    )

    Xl, yl, source = cell["Xl"], cell["yl"], cell["source"]
    if name.startswith("fa"):
        Xs, ys = cell["Xs"], cell["ys"]
        params = LR_TIGHT if name == "fa_tight" else LR_PARAMS

        def fit():
            X, y, sd = stack_domains(Xs, ys, Xl, yl, source_domain=0)
            final = (
                LogisticRegression(**params)
                if task == "classification"
                else Ridge(**RIDGE_PARAMS)
            )
            pipe = make_transfer_pipeline(FeatureAugmentation(), final)
            return pipe.fit(X, y, sample_domain=sd)

        return fit
    if name.startswith("ls_s"):
        signed = 2.0 * yl - 1.0
        strength = strength_of(name)
        # The logistic source's weights as a regressor's, the start ADAPT's
        # RegularTransferLC takes (RegularTransferRidge refuses classifiers).
        regressor = LinearRegression()
        regressor.coef_ = np.ravel(source.coef_)
        regressor.intercept_ = float(np.ravel(source.intercept_)[0])
        regressor.n_features_in_ = regressor.coef_.shape[0]
        return lambda: RegularTransferRidge(
            FrozenEstimator(regressor), strength=strength, alpha=0.0
        ).fit(Xl, signed)
    if task == "classification":
        if name == "rt_default":
            return lambda: RegularTransferLogisticRegression(
                FrozenEstimator(source)
            ).fit(Xl, yl)
        strength = strength_of(name)
        return lambda: RegularTransferLogisticRegression(
            FrozenEstimator(source), strength=strength, C=NO_L2_C
        ).fit(Xl, yl)
    if name == "rt_default":
        return lambda: RegularTransferRidge(FrozenEstimator(source)).fit(Xl, yl)
    strength = strength_of(name)
    return lambda: RegularTransferRidge(
        FrozenEstimator(source), strength=strength, alpha=0.0
    ).fit(Xl, yl)


def ours_predict(name, model, X, source):
    if name.startswith("ls_s"):
        return source.classes_[(model.predict(X) > 0).astype(int)]
    return model.predict(X)


def ours_parameters(name, model):
    """Weights and intercepts, flat, in ADAPT's column order for FA."""
    if not name.startswith("fa"):
        return np.ravel(model.coef_), np.ravel(model.intercept_)
    final = model[-1].estimator_
    names = model[0].get_feature_names_out()
    coef = np.atleast_2d(final.coef_)
    blocks = {}
    for prefix in ("domain_0__", "domain_-2__", "shared__"):
        blocks[prefix] = [i for i, n in enumerate(names) if n.startswith(prefix)]
    order = blocks["domain_0__"] + blocks["domain_-2__"] + blocks["shared__"]
    return coef[:, order].ravel(), np.ravel(final.intercept_)


# -------------------------------------------------------------- objectives ---


def least_squares_objective(X, y, coef, intercept, prior_coef, prior_intercept, s):
    residual = X @ coef + intercept - y
    pull = np.r_[coef - prior_coef, intercept - prior_intercept]
    return float(residual @ residual + s * (pull @ pull))


def least_squares_reference(X, y, prior_coef, prior_intercept, s):
    """Closed-form minimiser of ``|[1 X] beta - y|^2 + s |beta - beta_s|^2``."""
    A = np.c_[np.ones(X.shape[0]), X]
    prior = np.r_[prior_intercept, prior_coef]
    root = math.sqrt(s)
    stacked = np.vstack([A, root * np.eye(A.shape[1])])
    rhs = np.r_[y, root * prior]
    beta = np.linalg.lstsq(stacked, rhs, rcond=None)[0]
    return beta[1:], beta[:1]


def augmented(Xs, Xl):
    """ADAPT's FA rows: source ``[x 0 x]``, target ``[0 x x]``."""
    zs, zt = np.zeros_like(Xs), np.zeros_like(Xl)
    return np.vstack([np.hstack([Xs, zs, Xs]), np.hstack([zt, Xl, Xl])])


def fa_objective(task, X, y, coef, intercept):
    margin = X @ coef + intercept[0]
    if task == "classification":
        signs = np.where(y > 0, 1.0, -1.0)
        loss = np.logaddexp(0.0, -signs * margin).sum()
        return float(loss + coef @ coef / (2 * LR_PARAMS["C"]))
    residual = margin - y
    return float(residual @ residual + RIDGE_PARAMS["alpha"] * (coef @ coef))


def coefficient_check(task, cell, comparison, ours, adapt):
    """Largest coefficient difference and both objectives (identical ones)."""
    key, ours_name, adapt_name, _ = comparison
    (oc, oi), (ac, ai) = ours, adapt
    ac, ai = np.ravel(ac), np.ravel(ai)
    row = {
        "max_abs_diff": float(max(np.abs(oc - ac).max(), np.abs(oi - ai).max())),
        "max_abs_coef": float(max(np.abs(ac).max(), np.abs(ai).max())),
    }
    source = cell["source"]
    if ours_name.startswith(("ls_s", "rt_s")):
        s = strength_of(ours_name)
        y = 2.0 * cell["yl"] - 1.0 if task == "classification" else cell["yl"]
        pc, pi = np.ravel(source.coef_), np.ravel(source.intercept_)
        rc, ri = least_squares_reference(cell["Xl"], y, pc, pi, s)
        row["ours_ref_diff"] = float(max(np.abs(oc - rc).max(), np.abs(oi - ri).max()))
        row["adapt_ref_diff"] = float(max(np.abs(ac - rc).max(), np.abs(ai - ri).max()))
        row["objective_ours"] = least_squares_objective(
            cell["Xl"], y, oc, oi[0], pc, pi[0], s
        )
        row["objective_adapt"] = least_squares_objective(
            cell["Xl"], y, ac, ai[0], pc, pi[0], s
        )
        row["objective_ref"] = least_squares_objective(
            cell["Xl"], y, rc, ri[0], pc, pi[0], s
        )
    else:
        X = augmented(cell["Xs"], cell["Xl"])
        y = np.concatenate([cell["ys"], cell["yl"]])
        row["objective_ours"] = fa_objective(task, X, y, oc, oi)
        row["objective_adapt"] = fa_objective(task, X, y, ac, ai)
    return row


# -------------------------------------------------------------------- groups ---


def timed(fit, warm, name, repeats):
    """Warm-up the first time ``name`` is met, then ``repeats`` timed fits:
    ``(last model, wall-clock times, CPU times)``."""
    if name not in warm:
        fit()
        warm.add(name)
    times, cpu, model = [], [], None
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        model = fit()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return model, times, cpu


def build_cells(dataset, n_labeled, options, cache):
    """The cells (one per seed) of a (data set, n_labeled) group."""
    cells = []
    n_max = max(options.n_labeled)
    for seed in options.seeds:
        if dataset in SYNTHETIC:
            task = SYNTHETIC[dataset]
            Xs, ys, Xl, yl, Xt, yt = synthetic_cells(dataset, n_labeled, seed, options)
            source = fit_source(task, Xs, ys)
        else:
            task = "classification"
            pair = dataset.split(":", 1)[1]
            if pair not in cache:
                Xs, ys, Xt_all, yt_all = amazon_pair(pair, options.data_dir)
                cache[pair] = (Xs, ys, Xt_all, yt_all, fit_source(task, Xs, ys))
            Xs, ys, Xt_all, yt_all, source = cache[pair]
            lab, test = amazon_split(
                yt_all, n_labeled, seed, n_max, min(options.n_labeled)
            )
            Xl, yl, Xt, yt = Xt_all[lab], yt_all[lab], Xt_all[test], yt_all[test]
        cells.append(
            {
                "id": f"s{seed}",
                "dataset": dataset,
                "task": task,
                "n_labeled": n_labeled,
                "seed": seed,
                "Xs": Xs,
                "ys": ys,
                "Xl": Xl,
                "yl": yl,
                "Xt": Xt,
                "yt": yt,
                "source": source,
            }
        )
    return cells


def baseline_rows(cell):
    """Source-only and target-only metrics (context, ours' process)."""
    from sklearn.linear_model import LogisticRegression, Ridge

    task = cell["task"]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        target = (
            LogisticRegression(**LR_PARAMS)
            if task == "classification"
            else Ridge(**RIDGE_PARAMS)
        ).fit(cell["Xl"], cell["yl"])
    for name, model in (("source_only", cell["source"]), ("target_only", target)):
        rows.append(
            {
                "part": "fit",
                "library": "baseline",
                "method": name,
                "metric": test_score(task, model.predict(cell["Xt"]), cell["yt"]),
            }
        )
    return rows


def coefficient_rows(cells, task, options, coef_path, ours_params, base):
    """One row per cell and identical-objective comparison."""
    with np.load(coef_path) as f:
        adapt_params = {k: f[k] for k in f.files}
    rows = []
    for cell in cells:
        first = cell["seed"] == options.seeds[0]
        _, _, comparisons = method_names(task, options.strengths, first)
        for comparison in comparisons:
            key, ours_name, adapt_name, objective = comparison
            if objective != "identical":
                continue
            cid = cell["id"]
            adapt = (
                adapt_params[f"{cid}__{adapt_name}__coef"],
                adapt_params[f"{cid}__{adapt_name}__intercept"],
            )
            check = coefficient_check(
                task, cell, comparison, ours_params[(cid, ours_name)], adapt
            )
            rows.append(
                dict(base, seed=cell["seed"], part="coef", comparison=key, **check)
            )
    return rows


def run_group(dataset, n_labeled, options, context, cache):
    from threadpoolctl import threadpool_limits

    load1 = os.getloadavg()[0]
    t0 = time.perf_counter()
    cells = build_cells(dataset, n_labeled, options, cache)
    task = cells[0]["task"]
    base = {"dataset": dataset, "task": task, "n_labeled": n_labeled}
    rows, ours_params, plan, arrays = [], {}, {"cells": []}, {}
    warm = set()
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for cell in cells:
            first = cell["seed"] == options.seeds[0]
            ours_names, adapt_names, _ = method_names(task, options.strengths, first)
            common = dict(base, seed=cell["seed"])
            for r in baseline_rows(cell):
                rows.append(dict(common, **r))
            for name in ours_names:
                model, times, cpu = timed(
                    ours_fit(name, task, cell), warm, name, options.repeats
                )
                start = time.perf_counter()
                pred = ours_predict(name, model, cell["Xt"], cell["source"])
                predict_seconds = time.perf_counter() - start
                ours_params[(cell["id"], name)] = ours_parameters(name, model)
                final = model[-1].estimator_ if name.startswith("fa") else model
                rows.append(
                    dict(
                        common,
                        part="fit",
                        library="sktransfer",
                        method=name,
                        metric=test_score(task, pred, cell["yt"]),
                        fit_seconds=float(np.median(times)),
                        fit_seconds_all=times,
                        cpu_seconds=float(np.median(cpu)),
                        predict_seconds=predict_seconds,
                        n_iter=int(np.max(getattr(final, "n_iter_", 0) or 0)),
                    )
                )
            cid = cell["id"]
            source = cell["source"]
            arrays[f"{cid}__X_target_labeled"] = cell["Xl"]
            arrays[f"{cid}__y_target_labeled"] = cell["yl"]
            arrays[f"{cid}__X_test"] = cell["Xt"]
            arrays[f"{cid}__y_test"] = cell["yt"]
            arrays[f"{cid}__X_source"] = cell["Xs"]
            arrays[f"{cid}__y_source"] = cell["ys"]
            arrays[f"{cid}__source_coef"] = np.asarray(source.coef_)
            arrays[f"{cid}__source_intercept"] = np.asarray(source.intercept_)
            if task == "classification":
                arrays[f"{cid}__source_classes"] = np.asarray(source.classes_)
            plan["cells"].append(
                {
                    "id": cid,
                    "task": task,
                    "source": source_spec(task),
                    "methods": adapt_methods(task, adapt_names),
                }
            )
    ours_seconds = time.perf_counter() - t0
    t_save = time.perf_counter()
    ours_warnings = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    tmp = context.tmp
    bundle, plan_path, coef_path = tmp / "bundle.npz", tmp / "plan.json", tmp / "c.npz"
    np.savez(bundle, **arrays)
    plan_path.write_text(json.dumps(plan))
    save_seconds = time.perf_counter() - t_save
    t1 = time.perf_counter()
    peer = context.peer(
        "adapt",
        ADAPT_SCRIPT,
        [
            "--data", bundle,
            "--plan", plan_path,
            "--out", coef_path,
            "--repeats", options.repeats,
        ],
        env=thread_env(1),
        timeout=options.peer_timeout,
    )  # fmt: skip
    peer_seconds = time.perf_counter() - t1
    t2 = time.perf_counter()
    seeds = {c["id"]: c["seed"] for c in cells}
    for r in peer["results"] if peer else []:
        rows.append(
            dict(
                base,
                seed=seeds[r["cell"]],
                part="fit",
                library="adapt",
                method=r["method"],
                metric=r["metric"],
                fit_seconds=r["fit_seconds"],
                fit_seconds_all=r["fit_seconds_all"],
                cpu_seconds=r["cpu_seconds"],
                predict_seconds=r["predict_seconds"],
            )
        )
    if peer:
        with threadpool_limits(limits=1):
            rows += coefficient_rows(cells, task, options, coef_path, ours_params, base)
    check_seconds = time.perf_counter() - t2
    peer = peer or {"status": NOT_RUN}
    rows.append(
        dict(
            base,
            part="group",
            load1_start=load1,
            save_seconds=save_seconds,
            ours_seconds=ours_seconds,
            peer_seconds=peer_seconds,
            check_seconds=check_seconds,
            import_seconds=peer.get("import_seconds"),
            peer_peak_rss_mb=peer.get("peak_rss_mb"),
            peer_threadpools=peer.get("threadpools"),
            peer_versions=peer.get("versions"),
            ours_warnings=ours_warnings,
            **({"peer_status": peer["status"]} if "status" in peer else {}),
        )
    )
    logger.info(
        "%s n_labeled=%d: data + ours %.1f s, bundle %.1f s, ADAPT process %.1f s "
        "(import %s s), checks %.1f s, load %.2f",
        dataset,
        n_labeled,
        ours_seconds,
        save_seconds,
        peer_seconds,
        fmt(peer.get("import_seconds"), ".1f"),
        check_seconds,
        load1,
    )
    return rows


# ------------------------------------------------------------------- report ---


def ms(seconds):
    return "–" if seconds is None or math.isnan(seconds) else f"{1000 * seconds:.1f}"


def sci(x):
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1e}"


def index_fits(rows):
    fits = {}
    for r in rows:
        if r["part"] == "fit":
            key = (r["dataset"], r["n_labeled"], r["library"], r["method"])
            fits.setdefault(key, {})[r["seed"]] = r
    return fits


def groups_of(rows):
    seen = []
    for r in rows:
        if r["part"] == "group":
            seen.append((r["dataset"], r["task"], r["n_labeled"]))
    return seen


OBJECTIVE_WORDS = {
    "different": "different objectives",
    "same penalty": "same penalty, log-loss vs squared loss",
    "identical": "identical objective",
}


def geo_ratio(ours, adapt, seeds, key):
    """Geometric mean over seeds of ``ours[key] / adapt[key]`` (NaN if none)."""
    ratios = [
        ours[s][key] / adapt[s][key]
        for s in seeds
        if ours[s].get(key) and adapt[s].get(key)
    ]
    return math.exp(np.mean(np.log(ratios))) if ratios else math.nan


def comparison_table(rows, dataset, task, settings):
    fits = index_fits(rows)
    coefs = {}
    for r in rows:
        if r["part"] == "coef" and r["dataset"] == dataset:
            coefs.setdefault((r["n_labeled"], r["comparison"]), []).append(r)
    unit = "accuracy" if task == "classification" else "RMSE"
    status = {
        (r["dataset"], r["n_labeled"]): r["peer_status"]
        for r in rows
        if r["part"] == "group" and "peer_status" in r
    }
    body = []
    for ds, _, n_labeled in groups_of(rows):
        if ds != dataset:
            continue
        for name in ("source_only", "target_only"):
            m, se = mean_se(
                [
                    r["metric"]
                    for r in fits.get((ds, n_labeled, "baseline", name), {}).values()
                ]
            )
            body.append(
                [n_labeled, name.replace("_", "-"), "–", fmt_pm(m, se)] + ["–"] * 7
            )
        _, _, comparisons = method_names(task, settings["strengths"], True)
        for key, ours_name, adapt_name, objective in comparisons:
            ours = fits.get((ds, n_labeled, "sktransfer", ours_name), {})
            adapt = fits.get((ds, n_labeled, "adapt", adapt_name), {})
            seeds = sorted(set(ours) & set(adapt))
            if not seeds:
                if ours and status.get((ds, n_labeled)):
                    # ADAPT not run: our side alone.
                    om, ose = mean_se([r["metric"] for r in ours.values()])
                    fit = float(np.median([r["fit_seconds"] for r in ours.values()]))
                    body.append(
                        [n_labeled, key, OBJECTIVE_WORDS[objective], fmt_pm(om, ose)]
                        + [status[(ds, n_labeled)], "–", len(ours), ms(fit)]
                    )
                continue
            om, ose = mean_se([ours[s]["metric"] for s in seeds])
            am, ase = mean_se([adapt[s]["metric"] for s in seeds])
            dm, dse = mean_se([ours[s]["metric"] - adapt[s]["metric"] for s in seeds])
            ratio = geo_ratio(ours, adapt, seeds, "fit_seconds")
            cpu_ratio = geo_ratio(ours, adapt, seeds, "cpu_seconds")
            check = coefs.get((n_labeled, key), [])
            diff = max((c["max_abs_diff"] for c in check), default=None)
            scale = max((c["max_abs_coef"] for c in check), default=None)
            body.append(
                [
                    n_labeled,
                    key,
                    OBJECTIVE_WORDS[objective],
                    fmt_pm(om, ose),
                    fmt_pm(am, ase),
                    fmt_pm(dm, dse, "+.4f"),
                    len(seeds),
                    ms(float(np.median([ours[s]["fit_seconds"] for s in seeds]))),
                    ms(float(np.median([adapt[s]["fit_seconds"] for s in seeds]))),
                    f"{ratio:.2f}",
                    f"{cpu_ratio:.2f}",
                    "–" if diff is None else f"{sci(diff)} (of {scale:.2g})",
                ]
            )
    header = [
        "n labeled",
        "comparison",
        "objectives",
        f"ours {unit}",
        f"ADAPT {unit}",
        "paired diff ours − ADAPT",
        "seeds",
        "ours fit (ms, median)",
        "ADAPT fit (ms, median)",
        "fit time ours/ADAPT (geo. mean)",
        "CPU time ours/ADAPT (geo. mean)",
        "max |coef diff| (of max |coef|)",
    ]
    # the baseline rows have no ADAPT columns
    for row in body:
        if len(row) < len(header):
            row += ["–"] * (len(header) - len(row))
    return md_table(header, body)


def coefficient_summary(rows):
    groups = {}
    for r in rows:
        if r["part"] == "coef":
            groups.setdefault((r["dataset"], r["comparison"]), []).append(r)
    body = []
    for (dataset, comparison), group in groups.items():
        diff = max(r["max_abs_diff"] for r in group)
        scale = max(r["max_abs_coef"] for r in group)
        rel_gap = [
            (r["objective_ours"] - r["objective_adapt"]) / abs(r["objective_adapt"])
            for r in group
        ]
        ours_ref = [r["ours_ref_diff"] for r in group if "ours_ref_diff" in r]
        adapt_ref = [r["adapt_ref_diff"] for r in group if "adapt_ref_diff" in r]
        body.append(
            [
                dataset,
                comparison,
                len(group),
                sci(diff),
                sci(diff / scale) if scale else "–",
                sci(max(ours_ref)) if ours_ref else "–",
                sci(max(adapt_ref)) if adapt_ref else "–",
                f"{min(rel_gap):+.1e} … {max(rel_gap):+.1e}",
            ]
        )
    return md_table(
        [
            "data",
            "comparison",
            "fits",
            "max |ours − ADAPT|",
            "relative to max |coef|",
            "max |ours − exact|",
            "max |ADAPT − exact|",
            "objective (ours − ADAPT) / ADAPT, min … max",
        ],
        body,
    )


FAMILIES = {
    ("classification", "rt"): "RegularTransferLogisticRegression vs RegularTransferLC",
    ("classification", "ls"): "RegularTransferRidge on ±1 labels vs RegularTransferLC",
    ("regression", "rt"): "RegularTransferRidge vs RegularTransferLR",
    ("classification", "fa"): "FeatureAugmentation + LogisticRegression vs FA",
    ("regression", "fa"): "FeatureAugmentation + Ridge vs FA",
}


def adapt_partner(method):
    if method == "rt_default":
        return "regular_s1"
    if method.startswith(("rt_s", "ls_s")):
        return "regular_s" + method[4:]
    return method


def time_summary(rows):
    """Fit time ratio ours/ADAPT per model family and data set."""
    fits = index_fits(rows)
    tasks = {r["dataset"]: r["task"] for r in rows if r["part"] == "group"}
    groups = {}
    for (ds, n_labeled, library, method), seeds in fits.items():
        if library != "sktransfer":
            continue
        family = FAMILIES[(tasks[ds], method[:2])]
        adapt = fits.get((ds, n_labeled, "adapt", adapt_partner(method)), {})
        for s, r in seeds.items():
            if s in adapt and adapt[s]["fit_seconds"] > 0:
                groups.setdefault((family, ds), []).append(
                    (
                        r["fit_seconds"],
                        adapt[s]["fit_seconds"],
                        r.get("cpu_seconds") or math.nan,
                        adapt[s].get("cpu_seconds") or math.nan,
                    )
                )
    body = []
    for (family, ds), pairs in groups.items():
        ours, adapt, ours_cpu, adapt_cpu = np.array(pairs).T
        ratios = ours / adapt
        cpu_ratios = ours_cpu / adapt_cpu
        body.append(
            [
                family,
                ds,
                len(pairs),
                ms(float(np.median(ours))),
                ms(float(np.median(adapt))),
                f"{math.exp(np.mean(np.log(ratios))):.2f}",
                f"{ratios.min():.2f}–{ratios.max():.2f}",
                f"{math.exp(np.nanmean(np.log(cpu_ratios))):.2f}",
            ]
        )
    return md_table(
        [
            "ours vs ADAPT",
            "data",
            "paired fits",
            "ours fit (ms, median)",
            "ADAPT fit (ms, median)",
            "ratio ours/ADAPT (geo. mean)",
            "range",
            "CPU-time ratio (geo. mean)",
        ],
        body,
    )


def datasets_of(settings):
    """The data sets of a run: the synthetic ones, then ``amazon:<pair>``."""
    return list(settings["synthetic"]) + [f"amazon:{p}" for p in settings["pairs"]]


def table(rows, meta):
    s = meta["settings"]
    groups = [r for r in rows if r["part"] == "group"]
    imports = [g["import_seconds"] for g in groups if g["import_seconds"] is not None]
    adapt_versions = next(
        (g["peer_versions"] for g in groups if g.get("peer_versions")), {}
    )
    info = (meta.get("peers") or {}).get("adapt") or {}
    loads = [g["load1_start"] for g in groups]
    not_run = sorted({g["peer_status"] for g in groups if "peer_status" in g})
    missing = [r for r in rows if r["part"] == "missing"]
    no_peer = ", ".join(not_run) or "not run"
    lines = [
        f"- 1-minute load at the group starts {min(loads, default=0):.2f}–"
        f"{max(loads, default=0):.2f}",
        (
            f"- ADAPT venv: {json.dumps(adapt_versions)} (built "
            f"{info.get('built', '?')}); importing ADAPT's modules (TensorFlow "
            f"included) took {min(imports):.1f}–{max(imports):.1f} s per process, "
            "excluded from every fit time"
            if imports
            else f"- ADAPT: {no_peer}"
        ),
        f"- settings: data {', '.join(datasets_of(s))}; n labeled {s['n_labeled']}; "
        f"seeds {s['seeds']}; strengths {s['strengths']} (ADAPT lambda_ = "
        f"sqrt(strength)); {s['repeats']} timed fits per cell and method after "
        "one warm-up per method and process, median; one BLAS thread on both "
        f"sides; synthetic: {s['synthetic_source']} source rows, "
        f"{s['synthetic_test']} target test rows",
    ]
    lines += not_run_lines(missing, "dataset")
    lines += [
        "",
        "Objectives, in short:",
        "",
        "- ADAPT `RegularTransferLR/LC(lambda_)` = `lsqr(damp=lambda_, "
        "x0=beta_src)` on `[1 X]`: minimises `|[1 X] beta − y|² + lambda_² "
        "|beta − beta_s|²` (intercept pulled too, no plain L2, lsqr stops at "
        "atol = btol = 1e-6). `RegularTransferLC` first maps the labels to ±1: "
        "a least-squares classifier started from the logistic source model.",
        "- Ours: `RegularTransferRidge(alpha, strength)` = `|y − Xw − b|² + "
        "alpha |w|² + strength (|w − w_s|² + (b − b_s)²)`; "
        "`RegularTransferLogisticRegression(C, strength)` = `sum log-loss + "
        "|W|²/(2C) + strength (|W − W_s|² + |b − b_s|²)`.",
        "- Mapping strength = lambda_²: regression `s=…` rows (alpha = 0) and "
        "classification `ls s=…` rows (`RegularTransferRidge` on 2y − 1 from the "
        "frozen logistic source, class by the sign) have **identical "
        "objectives**; `penalty s=…` rows (ours logistic, C = 1e12) share the "
        "penalty but not the loss; `default` rows are each library's defaults "
        "(ours strength = 1 with C = 1 or alpha = 1, ADAPT lambda_ = 1).",
        "- `fa`: the same scikit-learn estimator (LogisticRegression(C=1, "
        "max_iter=1000) / Ridge(alpha=1)) on the same augmented rows, columns "
        "in another order: identical objective; `fa_tight`: tol = 1e-10 "
        "(first seed only).",
        "",
    ]
    for dataset in datasets_of(s):
        task = next((g["task"] for g in groups if g["dataset"] == dataset), None)
        if task is None:
            continue
        lines += [
            f"## {dataset} ({task})",
            "",
            "Mean ± standard error over seeds; paired differences seed by seed "
            "on the same split; source-only and target-only (LogisticRegression"
            "(C=1) / Ridge(alpha=1) on the labeled target rows) for context.",
            "",
            comparison_table(rows, dataset, task, s),
            "",
        ]
    lines += [
        "## Coefficient agreement at identical objectives",
        "",
        "Largest absolute difference of weights and intercepts over all fits "
        "(seeds × n labeled); `exact` is the closed-form least-squares solution "
        "computed in the driver; the objective gap is negative when ours reaches "
        "a lower value of the common objective.",
        "",
        coefficient_summary(rows) if imports else f"- ADAPT {no_peer}",
        "",
        "## Fit time",
        "",
        "Each pairing of a table above (an ADAPT fit paired with every one of "
        "ours that it is compared with), all n labeled pooled; median over "
        "seeds of the median of the timed fits.",
        "",
        time_summary(rows) if imports else f"- ADAPT {no_peer}",
        "",
        "## Warnings",
        "",
    ]
    warned = [
        f"- {g['dataset']} n = {g['n_labeled']}: {w[:300]}"
        for g in groups
        for w in g.get("ours_warnings") or []
    ]
    lines += warned or ["- none in our fits"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- run ---


def add_arguments(parser):
    parser.add_argument("--synthetic", nargs="*", default=list(SYNTHETIC))
    parser.add_argument("--pairs", nargs="*", default=["books->kitchen", "dvd->elec"])
    parser.add_argument("--n-labeled", nargs="+", type=int, default=[20, 50, 200])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(10)))
    parser.add_argument("--strengths", nargs="+", type=float, default=[1, 10, 100])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--synthetic-source", type=int, default=1000)
    parser.add_argument("--synthetic-test", type=int, default=2000)
    parser.add_argument("--peer-timeout", type=float, default=1800.0)
    add_data_dir(parser)


def run(options, context):
    # Build (or check) ADAPT's environment before anything is timed.
    context.peer_python("adapt")
    cache = {}
    for dataset in datasets_of(vars(options)):
        if dataset.startswith("amazon:") and not amazon_dir(options.data_dir).is_dir():
            note = f"data folder {amazon_dir(options.data_dir)} not found"
            logger.warning("%s skipped: %s", dataset, note)
            yield {"part": "missing", "dataset": dataset, "note": note}
            continue
        for n_labeled in options.n_labeled:
            yield from run_group(dataset, n_labeled, options, context, cache)
