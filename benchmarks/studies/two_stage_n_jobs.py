"""Fit time of TwoStageTrAdaBoostRegressor with 1 and 2 joblib workers.

The stage-two cross-validation fits (``n_steps * cv`` AdaBoost.R2' models) run
in one ``joblib.Parallel``; this measures the speed-up on the Friedman #1 task
of the ``tradaboost_regression`` study
(:func:`benchmarks.harness.synthetic.friedman1_task`, seed 0: 1000 source
rows, 25 labeled target rows) with the estimator's defaults (``n_steps=10``,
``cv=5``, ``n_estimators=50``; ``--n-steps`` and ``--n-estimators`` only
shrink the smoke run), ``random_state=0``, and checks that both give the same
model (same predictions on the labeled target rows). ``--repeats`` fits per
``n_jobs``, interleaved (1, 2, 1, 2, ...) so that both see the same machine
state; one row per fit; the report gives the median per ``n_jobs`` and the
speed-up. About 40 s on 2 cores::

    python -m benchmarks run two_stage_n_jobs
    python -m benchmarks run two_stage_n_jobs --repeats 5
"""

import logging
import time

import numpy as np

from sktransfer import TwoStageTrAdaBoostRegressor

from ..harness import md_table
from ..harness.synthetic import friedman1_task

CODE = ("instance/_tradaboost.py", "instance/_tradaboost_boosting.py")
SMOKE = {"repeats": 1, "n_estimators": 2, "n_steps": 2}
N_JOBS = (1, 2)
logger = logging.getLogger(__name__)


def add_arguments(parser):
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--n-estimators", type=int, default=50, help="the estimator's default 50"
    )
    parser.add_argument("--n-steps", type=int, default=10, help="the default 10")


def run(options, context):
    Xs, ys, Xt, yt, _, _ = friedman1_task(25, seed=0)
    X, y = np.vstack([Xs, Xt]), np.concatenate([ys, yt])
    sample_domain = np.r_[np.ones(len(ys), int), -np.ones(len(yt), int)]
    predictions = {}
    for repeat in range(options.repeats):
        for n_jobs in N_JOBS:  # interleaved, so both see the same machine state
            model = TwoStageTrAdaBoostRegressor(
                n_steps=options.n_steps,
                n_estimators=options.n_estimators,
                n_jobs=n_jobs,
                random_state=0,
            )
            start = time.perf_counter()
            model.fit(X, y, sample_domain=sample_domain)
            seconds = time.perf_counter() - start
            predictions[n_jobs] = model.predict(Xt)
            logger.info("n_jobs=%d: %.2f s", n_jobs, seconds)
            yield {"n_jobs": n_jobs, "repeat": repeat, "seconds": seconds}
        context.meta["same_predictions"] = bool(
            np.array_equal(predictions[1], predictions[2])
        )


def table(rows, meta):
    times = {n: [r["seconds"] for r in rows if r["n_jobs"] == n] for n in N_JOBS}
    median = {n: float(np.median(t)) for n, t in times.items()}
    cells = [
        [n, ", ".join(f"{t:.2f}" for t in times[n]), f"{median[n]:.2f}"] for n in N_JOBS
    ]
    return "\n".join(
        [
            md_table(["n_jobs", "fit times (s)", "median (s)"], cells),
            "",
            f"Speed-up (median n_jobs=1 / n_jobs=2): {median[1] / median[2]:.2f}. "
            f"Same predictions with 1 and 2 jobs: {meta.get('same_predictions')}.",
        ]
    )
