"""Fit time of TwoStageTrAdaBoostRegressor with 1 and 2 joblib workers.

The stage-two cross-validation fits (``n_steps * cv`` AdaBoost.R2' models) run
in one ``joblib.Parallel``; this measures the speed-up on the Friedman #1 task
of ``tradaboost_regression.py`` (1000 source rows, 25 labeled target rows,
defaults ``n_steps=10``, ``cv=5``, ``n_estimators=50``) and checks that both
give the same model. Writes ``results/two_stage_n_jobs.md``.

    python benchmarks/two_stage_n_jobs.py [--repeats 3]
"""

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from tradaboost_regression import friedman1_task  # noqa: E402

from sktransfer import TwoStageTrAdaBoostRegressor  # noqa: E402

logger = logging.getLogger("two_stage_n_jobs")


def timed_fit(n_jobs, X, y, sample_domain):
    model = TwoStageTrAdaBoostRegressor(n_jobs=n_jobs, random_state=0)
    start = time.perf_counter()
    model.fit(X, y, sample_domain=sample_domain)
    return time.perf_counter() - start, model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out-dir", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    Xs, ys, Xt, yt, _, _ = friedman1_task(25, seed=0)
    X, y = np.vstack([Xs, Xt]), np.concatenate([ys, yt])
    sample_domain = np.r_[np.ones(len(ys), int), -np.ones(len(yt), int)]
    times, models = {1: [], 2: []}, {}
    for _ in range(args.repeats):
        for n_jobs in times:  # interleaved, so both see the same machine state
            seconds, models[n_jobs] = timed_fit(n_jobs, X, y, sample_domain)
            times[n_jobs].append(seconds)
            logger.info("n_jobs=%d: %.2f s", n_jobs, seconds)
    same = np.array_equal(models[1].predict(Xt), models[2].predict(Xt))
    median = {n: float(np.median(t)) for n, t in times.items()}
    lines = [
        "# TwoStageTrAdaBoostRegressor: fit time by n_jobs",
        "",
        f"Command: `python benchmarks/two_stage_n_jobs.py --repeats {args.repeats}`; "
        f"{os.cpu_count()} cores, 1-minute load {os.getloadavg()[0]:.2f} at the end.",
        "",
        "| n_jobs | fit times (s) | median (s) |",
        "|---|---|---|",
        *(
            f"| {n} | {', '.join(f'{t:.2f}' for t in times[n])} | {median[n]:.2f} |"
            for n in times
        ),
        "",
        f"Speed-up (median n_jobs=1 / n_jobs=2): {median[1] / median[2]:.2f}. "
        f"Same predictions with 1 and 2 jobs: {same}.",
        "",
    ]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "two_stage_n_jobs.md").write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
