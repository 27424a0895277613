"""TrAdaBoost against its baselines, with the protocol of Dai et al. (ICML 2007).

Tasks (``--tasks``): the three 20 Newsgroups tasks of the paper
(``rec_vs_talk``, ``rec_vs_sci``, ``sci_vs_talk``; binary word presence,
sparse; read from the shared data folder, ``--data-dir``, default
``../shared/data``) and Mushroom split by stalk shape (enlarging stalks as
source; one-hot encoded by
:func:`benchmarks.harness.newsgroups.load_mushroom_task`, bundled with
sktransfer). For each labeled fraction of the target (``--fractions``, 0.5 %,
1 %, 2 %, 5 %, 10 %) and each seed (``--seeds`` 10: seeds 0..9),
:func:`benchmarks.harness.newsgroups.labeled_target_split` draws the labeled
target rows; the rest of the target is the test set. A 20 Newsgroups task whose
data is missing is reported as such (one row saying so) and skipped.

Methods, all with the same base learner, chosen by ``--base`` (see ``BASES``):

* ``linearsvc`` (default) -- ``LinearSVC(C=--c)``, the paper's linear SVM,
  ``--c`` 1.0 by default. It separates the training rows, so every round has
  target error 0 and TrAdaBoost equals pooled;
* ``multinomialnb`` -- ``MultinomialNB()`` (Laplace smoothing), which does not
  interpolate the training rows; on Mushroom it sees the one-hot columns as
  counts;
* ``logreg`` -- ``LogisticRegression(C=--c)``, ``--c`` 0.01 by default. The
  value is fixed a priori, without the test rows: it is the largest C of
  {0.001, 0.01, 0.1, 1} for which the pooled fit (source + labeled target rows,
  1% labeled, seed 0) misclassifies some of its own labeled target rows on all
  four tasks (C = 0.1 fits them all on two tasks, C = 1 also fits every
  source row). Inner 5-fold CV on the source rows would pick C = 1, which
  interpolates like the SVM.

The methods:

* ``source_only`` -- fitted on the source rows;
* ``target_only`` -- fitted on the labeled target rows;
* ``pooled`` -- fitted on source and labeled target rows, unweighted;
* ``tradaboost`` -- :class:`sktransfer.TrAdaBoostClassifier`, ``--n-estimators``
  rounds (the paper's N = 100);
* ``tradaboost_drift`` -- the same with ``correct_weight_drift=True``
  (skipped with ``--no-drift``).
* ``tradaboost_proba_balanced`` -- the same with ``hypothesis="proba"`` and
  ``initial_target_share=0.5``, the settings the estimator's docstring
  recommends when the source is much larger than the labeled target.

One row per task, fraction, method and seed: test error, fit time and
boosting diagnostics. The report gives the mean ± std of the test error per
task and fraction, the paired gain of TrAdaBoost over the best baseline, the
diagnostics behind it. The splits of a fraction run in ``--n-jobs`` joblib
workers. Commands (LinearSVC: 10 to 13 minutes on 2 cores; each base learner's
results under its own name)::

    python -m benchmarks run tradaboost_paper --base linearsvc --n-jobs 2
    python -m benchmarks run tradaboost_paper --base multinomialnb --n-jobs 2 \
        --name tradaboost_paper_multinomialnb
    python -m benchmarks run tradaboost_paper --base logreg --n-jobs 2 \
        --name tradaboost_paper_logreg
"""

import argparse
import logging
import time
import warnings
from functools import partial

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

from sktransfer import TrAdaBoostClassifier

from ..harness import md_table, paired_gain, verdict
from ..harness import newsgroups as data
from ..harness.options import add_choice_list, add_data_dir
from ..harness.stats import method_means

CODE = ("instance/_tradaboost.py", "instance/_tradaboost_boosting.py")
SMOKE = {
    "tasks": ["mushroom"],
    "fractions": [0.01],
    "seeds": 2,
    "n_estimators": 3,
    "n_jobs": 1,
}
logger = logging.getLogger(__name__)

TASKS = ("rec_vs_talk", "rec_vs_sci", "sci_vs_talk", "mushroom")
FRACTIONS = (0.005, 0.01, 0.02, 0.05, 0.10)
BASELINES = ("source_only", "target_only", "pooled")
# TrAdaBoostClassifier parameters of each boosted method.
BOOSTED = {
    "tradaboost": {},
    "tradaboost_drift": {"correct_weight_drift": True},
    "tradaboost_proba_balanced": {"hypothesis": "proba", "initial_target_share": 0.5},
}
LABELS = {
    "source_only": "source-only",
    "target_only": "target-only",
    "pooled": "pooled",
    "tradaboost": "TrAdaBoost",
    "tradaboost_drift": "TrAdaBoost (drift corr.)",
    "tradaboost_proba_balanced": "TrAdaBoost (proba, balanced)",
}


# ------------------------------------------------------------------ data ---


def describe_task(Xs, ys, Xt, yt, fractions):
    """Row counts per domain and class (keys as strings, as JSON keeps them),
    and ``[fraction, labeled, test]`` per fraction."""
    info = data.describe(Xs, ys, Xt, yt)
    for domain in ("source", "target"):
        info[domain] = {str(c): n for c, n in info[domain].items()}
    info["split"] = []
    for fraction in fractions:
        labeled, test = data.labeled_target_split(yt, fraction, seed=0)
        info["split"].append([fraction, len(labeled), len(test)])
    return info


# ------------------------------------------------------------ one split ---


# --base: name -> factory(seed, c) of the base learner shared by every method.
BASES = {
    "linearsvc": lambda seed, c=1.0: LinearSVC(C=c, random_state=seed),
    "multinomialnb": lambda seed, c=None: MultinomialNB(),
    "logreg": lambda seed, c=0.01: LogisticRegression(C=c, max_iter=1000),
}
DEFAULT_BASE = "linearsvc"


def fit_timed(model, X, y, **fit_params):
    """Fit; return the seconds taken and the number of ConvergenceWarnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model.fit(X, y, **fit_params)
        seconds = time.perf_counter() - start
    n_convergence = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    return seconds, n_convergence


def boosting_diagnostics(clf, n_source, y_pred, pred_pooled, pred_source):
    """Per-fit numbers that explain a TrAdaBoost result."""
    errors = clf.estimator_errors_
    weights = clf.sample_weight_
    return {
        "rounds_error_zero": int(np.sum(errors == 0)),
        "rounds_error_ge_half": int(np.sum(errors >= 0.5)),
        "first_target_error": float(errors[0]),
        "voting_target_error": float(errors[clf.voting_start_ :].mean()),
        "source_share_end": float(weights[:n_source].sum() / weights.sum()),
        "effective_rows_end": float(weights.sum() ** 2 / (weights**2).sum()),
        "agree_pooled": float(np.mean(y_pred == pred_pooled)),
        "agree_source_only": float(np.mean(y_pred == pred_source)),
    }


def run_split(task, Xs, ys, Xt, yt, fraction, seed, n_estimators, learner, drift):
    """All methods on one labeled/test split; one result dict per method."""
    labeled, test = data.labeled_target_split(yt, fraction, seed)
    X_lab, y_lab, X_test, y_test = Xt[labeled], yt[labeled], Xt[test], yt[test]
    X_pool = sp.vstack([Xs, X_lab], format="csr")
    y_pool = np.concatenate([ys, y_lab])
    sample_domain = np.r_[np.ones(len(ys), int), -2 * np.ones(len(y_lab), int)]
    common = {
        "task": task,
        "fraction": fraction,
        "seed": seed,
        "n_source": len(ys),
        "n_labeled": len(y_lab),
        "n_test": len(y_test),
        "source_share_start": len(ys) / len(y_pool),
    }
    training = {
        "source_only": (Xs, ys, {}),
        "target_only": (X_lab, y_lab, {}),
        "pooled": (X_pool, y_pool, {}),
    }
    models = {name: learner(seed) for name in training}
    boosted = {m: p for m, p in BOOSTED.items() if drift or m != "tradaboost_drift"}
    for name, params in boosted.items():
        training[name] = (X_pool, y_pool, {"sample_domain": sample_domain})
        models[name] = TrAdaBoostClassifier(
            estimator=learner(seed),
            n_estimators=n_estimators,
            random_state=seed,
            **params,
        )
    rows, predictions = [], {}
    for name, model in models.items():
        X_fit, y_fit, fit_params = training[name]
        seconds, n_convergence = fit_timed(model, X_fit, y_fit, **fit_params)
        predictions[name] = model.predict(X_test)
        row = {
            **common,
            "method": name,
            "error": float(np.mean(predictions[name] != y_test)),
            "labeled_train_error": float(np.mean(model.predict(X_lab) != y_lab)),
            "fit_seconds": seconds,
            "convergence_warnings": n_convergence,
        }
        if name in BOOSTED:
            share = BOOSTED[name].get("initial_target_share")
            if share is not None:
                row["source_share_start"] = 1.0 - share
            row.update(
                boosting_diagnostics(
                    model,
                    len(ys),
                    predictions[name],
                    predictions["pooled"],
                    predictions["source_only"],
                )
            )
        rows.append(row)
    return rows


def base_description(learner):
    """``module.Class(param=value, ...)`` of the base learner, all hyperparameters."""
    estimator = learner(seed=0)
    params = ", ".join(
        f"{key}={'seed' if key == 'random_state' else repr(value)}"
        for key, value in estimator.get_params().items()
    )
    return f"{type(estimator).__module__}.{type(estimator).__name__}({params})"


def add_arguments(parser):
    add_choice_list(parser, "--tasks", TASKS)
    parser.add_argument("--fractions", nargs="+", type=float, default=list(FRACTIONS))
    parser.add_argument(
        "--seeds", type=int, default=10, help="number of seeds, 0..SEEDS-1"
    )
    parser.add_argument("--n-estimators", type=int, default=100)
    parser.add_argument("--base", choices=BASES, default=DEFAULT_BASE)
    parser.add_argument(
        "--c",
        "--svm-c",
        type=float,
        help="C of linearsvc / logreg (default 1.0 / 0.01); ignored by multinomialnb",
    )
    parser.add_argument(
        "--drift",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run TrAdaBoost with correct_weight_drift=True",
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    add_data_dir(parser)


def run(options, context):
    seeds = list(range(options.seeds))
    learner = BASES[options.base]
    if options.c is not None:
        learner = partial(learner, c=options.c)
    context.meta["base_learner"] = (
        f"{base_description(learner)}, with sample_weight (no resampling)"
    )
    context.meta["versions"].update(joblib=joblib.__version__, pandas=pd.__version__)
    tasks = context.meta.setdefault("tasks", {})
    for task in options.tasks:
        start = time.perf_counter()
        try:
            Xs, ys, Xt, yt = data.load_task(task, options.data_dir)
        except FileNotFoundError as exc:
            logger.warning("skipping task %s: %s", task, exc)
            yield {"task": task, "status": f"data missing: {exc}"}
            continue
        tasks[task] = info = describe_task(Xs, ys, Xt, yt, options.fractions)
        logger.info(
            "%s: %d source rows, %d target rows, %d features (loaded in %.1f s)",
            task,
            info["n_source"],
            info["n_target"],
            info["n_features"],
            time.perf_counter() - start,
        )
        with Parallel(n_jobs=options.n_jobs) as parallel:
            for fraction in options.fractions:
                start = time.perf_counter()
                jobs = (
                    delayed(run_split)(
                        task,
                        Xs,
                        ys,
                        Xt,
                        yt,
                        fraction,
                        seed,
                        options.n_estimators,
                        learner,
                        options.drift,
                    )
                    for seed in seeds
                )
                cell = [row for split_rows in parallel(jobs) for row in split_rows]
                yield from cell
                logger.info(
                    "%s fraction %g: %s (%.1f s)",
                    task,
                    fraction,
                    method_means(cell, "error"),
                    time.perf_counter() - start,
                )


# -------------------------------------------------------------- report ---


def gains_vs_best(results, method):
    """Gain of ``method`` over the best baseline of each cell, paired by seed.

    The best baseline is the one with the lowest mean test error in the cell
    (chosen on the test set, which favours the baselines). Gain = baseline
    error - ``method`` error, so positive means ``method`` is better.
    """
    cells = []
    for (task, fraction), cell in results.groupby(["task", "fraction"], sort=False):
        errors = cell.pivot(index="seed", columns="method", values="error")
        best = errors[list(BASELINES)].mean().idxmin()
        gain, se, _ = paired_gain(errors[best], errors[method])
        cells.append(
            {
                "task": task,
                "fraction": fraction,
                "method": method,
                "best_baseline": best,
                "gain": gain,
                "se": se,
                "verdict": verdict(gain, se),
            }
        )
    return pd.DataFrame(cells)


def error_table(task_results, gains, methods):
    """Rows = fraction; mean +- std of the error per method; paired gains."""
    stats = task_results.groupby(["fraction", "method"])["error"].agg(["mean", "std"])
    header = ["labeled fraction (rows)"] + [LABELS[m] for m in methods]
    header += [f"{LABELS[m]} gain vs best baseline" for m in BOOSTED if m in methods]
    rows = []
    for fraction, cell in task_results.groupby("fraction"):
        row = [f"{fraction:g} ({cell['n_labeled'].iloc[0]})"]
        for m in methods:
            mean, std = stats.loc[(fraction, m)]
            row.append(f"{mean:.3f} ± {std:.3f}")
        for m in BOOSTED:
            if m in methods:
                g = gains[(gains.fraction == fraction) & (gains.method == m)].iloc[0]
                row.append(
                    f"{g.gain:+.3f} ± {g.se:.3f} vs {LABELS[g.best_baseline]} "
                    f"**{g.verdict}**"
                )
        rows.append(row)
    return md_table(header, rows)


def diagnostics_table(task_results, n_estimators):
    """Rows = fraction x boosted method; mean over seeds of the diagnostics."""
    boosted = task_results[task_results.method.isin(BOOSTED)]
    columns = {
        "rounds_error_zero": f"rounds with target error 0 (of {n_estimators})",
        "rounds_error_ge_half": "rounds with target error ≥ 0.5",
        "first_target_error": "target error, round 1",
        "voting_target_error": "mean target error, voting rounds",
        "source_share_start": "source weight share, start",
        "source_share_end": "source weight share, end",
        "effective_rows_end": "effective rows (Kish), end",
        "labeled_train_error": "error on labeled target rows",
        "agree_pooled": "test predictions = pooled",
        "agree_source_only": "test predictions = source-only",
    }
    means = boosted.groupby(["fraction", "method"], sort=False)[list(columns)].mean()
    rows = []
    for (fraction, method), values in means.iterrows():
        rows.append(
            [f"{fraction:g}", LABELS[method]]
            + [
                f"{values[c]:.1f}"
                if c.startswith(("rounds", "eff"))
                else f"{values[c]:.4f}"
                for c in columns
            ]
        )
    return md_table(["fraction", "method", *columns.values()], rows)


def round_counts(boost, n_estimators):
    """Per TrAdaBoost fit: rounds that reweight the target, rounds clipped."""
    clipped = boost.rounds_error_zero + boost.rounds_error_ge_half
    return n_estimators - clipped, clipped


def task_summary(results, gains):
    """One row per task: verdicts and the TrAdaBoost diagnostics behind them."""
    n_estimators = results.attrs["n_estimators"]
    rows = []
    for task, boost in results[results.method == "tradaboost"].groupby(
        "task", sort=False
    ):
        verdicts = gains[(gains.task == task) & (gains.method == "tradaboost")]
        counts = verdicts.verdict.value_counts()
        pooled = results[(results.task == task) & (results.method == "pooled")]
        reweighting, clipped = round_counts(boost, n_estimators)
        rows.append(
            [
                task,
                " / ".join(str(counts.get(v, 0)) for v in ("win", "tie", "loss")),
                f"{boost.first_target_error.mean():.3f}",
                f"{reweighting.mean():.1f}",
                f"{boost.rounds_error_zero.mean():.1f} / "
                f"{boost.rounds_error_ge_half.mean():.1f}",
                f"{boost.source_share_start.mean():.3f} → "
                f"{boost.source_share_end.mean():.3f}",
                f"{boost.effective_rows_end.mean():.0f}",
                f"{boost.agree_pooled.mean():.2%}",
                f"{boost.error.mean() - pooled.error.mean():+.3f}",
            ]
        )
    header = [
        "task",
        "win / tie / loss",
        "target error, round 1",
        "rounds with 0 < target error < 0.5",
        "rounds clipped (error 0 / ≥ 0.5)",
        "source weight share, start → end",
        "effective rows, end",
        "test predictions = pooled",
        "TrAdaBoost - pooled error",
    ]
    return md_table(header, rows)


def measured_cells(results, cells, what):
    """Bullets: TrAdaBoost diagnostics over the fits of some (task, fraction) cells."""
    key = ["task", "fraction"]
    fits = {m: results[results.method == m].merge(cells[key], on=key) for m in LABELS}
    boost = fits["tradaboost"]
    n_estimators = results.attrs["n_estimators"]
    reweighting, clipped = round_counts(boost, n_estimators)
    best = cells.best_baseline.value_counts()
    return [
        f"Measured over the TrAdaBoost fits of the cells where it {what} "
        f"({len(cells)} cells, {len(boost)} fits):",
        "",
        f"* Target error in round 1: {boost.first_target_error.mean():.3f}; rounds "
        f"per fit with 0 < target error < 0.5 (the rounds that reweight the "
        f"target): {reweighting.mean():.1f}; clipped rounds: "
        f"{boost.rounds_error_zero.mean():.1f} with target error 0, "
        f"{boost.rounds_error_ge_half.mean():.1f} with target error ≥ 0.5. Mean "
        "error on the labeled target rows after fitting: target-only "
        f"{fits['target_only'].labeled_train_error.mean():.4f}, pooled "
        f"{fits['pooled'].labeled_train_error.mean():.4f}, TrAdaBoost "
        f"{boost.labeled_train_error.mean():.4f}.",
        f"* Source weight share: {boost.source_share_start.mean():.4f} at the "
        f"start, {boost.source_share_end.mean():.4f} after boosting (min "
        f"{boost.source_share_end.min():.4f}); effective number of rows (Kish) at "
        f"the end {boost.effective_rows_end.mean():.0f} of "
        f"{(boost.n_source + boost.n_labeled).mean():.0f}.",
        f"* TrAdaBoost's test predictions equal pooled's on "
        f"{boost.agree_pooled.mean():.2%} of the test rows (min "
        f"{boost.agree_pooled.min():.2%}); mean test error TrAdaBoost "
        f"{boost.error.mean():.3f}, pooled {fits['pooled'].error.mean():.3f}, "
        f"target-only {fits['target_only'].error.mean():.3f}.",
        "* Best baseline in those cells: "
        + ", ".join(f"{LABELS[m]} ({n})" for m, n in best.items())
        + ".",
        "",
    ]


def explanation(results, gains):
    """Measured reasons for the cells where TrAdaBoost wins and where it does not."""
    boosted = gains[gains.method == "tradaboost"]
    won = boosted[boosted.verdict == "win"]
    lost = boosted[boosted.verdict != "win"]
    lines = [
        f"TrAdaBoost beats the best baseline (gain > 2 SE) in {len(won)} of "
        f"{len(boosted)} cells; tie in {int((lost.verdict == 'tie').sum())}, loss "
        f"in {int((lost.verdict == 'loss').sum())}. Per task (TrAdaBoost fits, "
        "mean over fractions and seeds):",
        "",
        task_summary(results, gains),
        "",
    ]
    if not won.empty:
        lines += measured_cells(results, won, "wins")
    if lost.empty:
        return "\n".join(lines)
    lines += measured_cells(results, lost, "does not win")
    key = ["task", "fraction"]
    boost = results[results.method == "tradaboost"].merge(lost[key], on=key)
    total_rounds = len(boost) * results.attrs["n_estimators"]
    zero_share = boost.rounds_error_zero.sum() / total_rounds
    start = boost.source_share_start.mean()
    if zero_share > 0.9 and boost.agree_pooled.mean() > 0.99:
        lines += [
            "Reading: a round with target error 0 multiplies no target weight "
            "(its error is clipped to 1e-10), and only the source rows it "
            "misclassifies lose weight; the base learner separates the pooled "
            "training rows, so almost nothing is reweighted and every round "
            "refits (nearly) the pooled model. TrAdaBoost then equals pooled, "
            "and loses wherever pooled does: where target-only is better, the "
            f"source rows ({start:.1%} of the weight) pull the pooled separator "
            "away from the target.",
            "",
        ]
    return "\n".join(lines)


def drift_explanation(results):
    """Measured behaviour of TrAdaBoost with correct_weight_drift=True."""
    drift = results[results.method == "tradaboost_drift"]
    start, end = drift.source_share_start.mean(), drift.source_share_end.mean()
    text = (
        "With `correct_weight_drift=True` (all cells) the source weight share "
        f"ends at {end:.4f} (min {drift.source_share_end.min():.4f}; start "
        f"{start:.4f}), {drift.rounds_error_zero.mean():.1f} rounds per fit have "
        f"target error 0 and {drift.rounds_error_ge_half.mean():.1f} target error "
        "≥ 0.5, the mean target error of the voting rounds is "
        f"{drift.voting_target_error.mean():.3f}, and the test predictions equal "
        f"pooled's on {drift.agree_pooled.mean():.2%} and source-only's on "
        f"{drift.agree_source_only.mean():.2%} of the test rows."
    )
    text += (
        " Reading: the correction multiplies the source weights by the growth "
        "of the target mass, so reweighting the target no longer moves weight "
        "from source to target; the source share falls only through beta on "
        "misclassified source rows, and the source keeps dominating the fits."
    )
    return text


def table(rows, meta):
    settings, versions = meta["settings"], meta.get("versions", {})
    missing = [r for r in rows if "status" in r]
    results = pd.DataFrame([r for r in rows if "status" not in r])
    lines = [
        f"Base learner `{settings['base']}`: {meta.get('base_learner', '?')}; "
        f"N = {settings['n_estimators']} rounds; seeds 0..{settings['seeds'] - 1} "
        f"({settings['seeds']}); n_jobs {settings['n_jobs']} (joblib "
        f"{versions.get('joblib', '?')}, pandas {versions.get('pandas', '?')}).",
        "",
    ]
    lines += [f"* {r['task']}: not run, {r['status']}" for r in missing]
    if missing:
        lines.append("")
    if results.empty:
        return "\n".join(lines + ["No task was run."])
    results.attrs["n_estimators"] = settings["n_estimators"]
    methods = [m for m in (*BASELINES, *BOOSTED) if m in set(results.method)]
    gains = pd.concat(
        [gains_vs_best(results, m) for m in BOOSTED if m in methods],
        ignore_index=True,
    )
    fit_times = results.groupby("method", sort=False)["fit_seconds"].mean()
    lines += [
        "Target test error (1 - accuracy), mean ± std over seeds. The gain columns "
        "are the paired difference (best baseline error - TrAdaBoost error, per "
        "seed), mean ± standard error: positive = TrAdaBoost better; **win** / "
        "**loss** when beyond 2 SE. The best baseline is picked per cell on the "
        "test set, which favours the baselines.",
        "",
        "Protocol: for each labeled fraction and seed, a stratified random part of "
        "the target is labeled (`labeled_target_split`) and the rest of the target "
        "is the test set. Every method uses the same base learner; TrAdaBoost gets "
        "the source rows and the labeled target rows with `sample_domain`.",
        "",
        "Mean fit time per method (s): "
        + ", ".join(f"{LABELS[m]} {t:.3f}" for m, t in fit_times.items())
        + ".",
        "",
    ]
    for task, info in meta.get("tasks", {}).items():
        task_results = results[results.task == task]
        lines += [
            f"## {task}",
            "",
            f"Source {info['n_source']} rows (class 0 / 1: "
            f"{info['source'].get('0', 0)} / {info['source'].get('1', 0)}), target "
            f"{info['n_target']} rows ({info['target'].get('0', 0)} / "
            f"{info['target'].get('1', 0)}), {info['n_features']} features. "
            "Labeled / test target rows per fraction: "
            + ", ".join(f"{f:g}: {n} / {m}" for f, n, m in info["split"])
            + ".",
            "",
            error_table(task_results, gains[gains.task == task], methods),
            "",
            "Boosting diagnostics (mean over seeds):",
            "",
            diagnostics_table(task_results, settings["n_estimators"]),
            "",
        ]
    lines += ["## Win / tie / loss against the best baseline", ""]
    for method, cells in gains.groupby("method", sort=False):
        counts = cells.verdict.value_counts()
        lines.append(
            f"* {LABELS[method]}: {counts.get('win', 0)} / {counts.get('tie', 0)} / "
            f"{counts.get('loss', 0)} of {len(cells)} cells"
        )
    lines += ["", "## Where TrAdaBoost wins or loses, and why", ""]
    lines += [explanation(results, gains), ""]
    if "tradaboost_drift" in methods:
        lines += [drift_explanation(results), ""]
    return "\n".join(lines)
