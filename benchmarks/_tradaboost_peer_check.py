"""End-to-end check of the ADAPT TrAdaBoost plumbing on a TrAdaBoost task.

Loads a task (:mod:`_tradaboost_data`), draws a stratified labeled part of
the target, writes it with :func:`_peers.save_task`, fits ADAPT's TrAdaBoost
in the ADAPT virtual environment (built on first use) and prints the JSON the
peer script returns, plus the install record of the environment.

    PYTHONPATH=. python benchmarks/_tradaboost_peer_check.py --task mushroom \
        --fraction 0.01 --estimator DecisionTreeClassifier \
        --estimator-params '{"max_depth": 3}' --n-estimators 20
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _tradaboost_data as data  # noqa: E402
from _peers import peer_info, run_in_peer, save_task  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="mushroom")
    parser.add_argument("--fraction", type=float, default=0.01)
    parser.add_argument("--estimator", default="DecisionTreeClassifier")
    parser.add_argument("--estimator-params", default='{"max_depth": 3}')
    parser.add_argument("--n-estimators", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)

    Xs, ys, Xt, yt = data.load_task(args.task)
    frac = int(args.fraction) if args.fraction >= 1 else args.fraction
    lab, test = data.labeled_target_split(yt, frac, args.seed)
    with tempfile.TemporaryDirectory(prefix="sktransfer-peer-") as tmp:
        path = save_task(
            Path(tmp) / "task.npz", Xs, ys, Xt[lab], yt[lab], Xt[test], yt[test]
        )
        result = run_in_peer(
            "adapt",
            HERE / "peer_scripts" / "adapt_tradaboost.py",
            [
                "--data", path,
                "--estimator", args.estimator,
                "--estimator-params", args.estimator_params,
                "--n-estimators", args.n_estimators,
                "--seed", args.seed,
                "--repeats", args.repeats,
            ],
        )  # fmt: skip
    result["task"] = args.task
    result["labeled_fraction"] = args.fraction
    print(json.dumps(result))
    print(json.dumps({"adapt_env": peer_info("adapt")}))


if __name__ == "__main__":
    main()
