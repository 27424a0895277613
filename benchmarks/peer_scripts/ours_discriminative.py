"""One configuration of the study ``discriminative_scale`` in a fresh process.

The study (``benchmarks/studies/discriminative_scale.py``, ``python -m
benchmarks run discriminative_scale``) runs it with our interpreter through
``Context.worker``; it imports sktransfer's public API only and prints one
JSON line on stdout.

``--n-rows N --cv K --calibration {sigmoid,none} --seed S``: draw N rows (half
source, half target) of the covariate-shift table described in the study, then
fit ``DiscriminativeReweighting(HistGradientBoostingClassifier(...),
domain_classifier=HistGradientBoostingClassifier(...), cv=K,
calibration=...)`` once, with the high-water mark reset just before the fit
(``peak_mb``: the fit's peak RSS, the data included; ``rss_before_mb``: the
RSS after drawing the data). Then, for the accuracy, the same estimator
without weights (source rows only) and both scored on ``--n-test`` labeled
target rows drawn apart. With ``--weights-out`` the source weights and the
true density ratio at the source rows are saved (``.npz``).
"""

import argparse
import json
import time
import warnings

import numpy as np
from _proc_memory import measured_call
from _runtime import package_versions, quiet_stdout, threadpools

N_NUMERIC = 8
N_CATEGORICAL = 4
N_CATEGORIES = 20
# The target's numeric columns are shifted by this much (the first two of them).
SHIFT = 0.5
MIX = 1 / 3


def domain_table(n_rows, domain, seed):
    """A source (``domain=0``) or target (``1``) table and its labels, with the
    log-density-ratio of each row (target over source) in closed form."""
    import pandas as pd

    rng = np.random.RandomState(seed)
    shape = np.random.RandomState(12345)  # the same category laws in every call
    laws = shape.dirichlet(np.ones(N_CATEGORIES), size=(2, N_CATEGORICAL))
    # The target's laws: a third of the way from the source's to others.
    laws[1] = (1 - MIX) * laws[0] + MIX * laws[1]
    mean = np.zeros(N_NUMERIC)
    mean[:2] = SHIFT * domain
    numeric = rng.normal(size=(n_rows, N_NUMERIC)) + mean
    codes = np.column_stack(
        [
            rng.choice(N_CATEGORIES, n_rows, p=laws[domain, j])
            for j in range(N_CATEGORICAL)
        ]
    )
    effects = shape.normal(0, 1.0, size=(N_CATEGORICAL, N_CATEGORIES))
    score = (
        numeric[:, 0]
        - 0.5 * numeric[:, 1] ** 2
        + numeric[:, 2]
        + effects[np.arange(N_CATEGORICAL), codes].sum(axis=1)
    )
    y = (score + rng.logistic(size=n_rows) > 0).astype(np.int64)
    # log p_t(x) - log p_s(x): the Gaussian part and the categorical laws.
    offset = np.zeros(N_NUMERIC)
    offset[:2] = SHIFT
    columns_index = np.arange(N_CATEGORICAL)
    log_ratio = (
        numeric @ offset
        - offset @ offset / 2
        + np.log(laws[1, columns_index, codes] / laws[0, columns_index, codes]).sum(
            axis=1
        )
    )
    columns = {f"x{j}": numeric[:, j] for j in range(N_NUMERIC)}
    for j in range(N_CATEGORICAL):
        columns[f"c{j}"] = pd.Categorical(codes[:, j], categories=range(N_CATEGORIES))
    return pd.DataFrame(columns), y, log_ratio


def hgb(seed):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        categorical_features="from_dtype", random_state=seed
    )


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-rows", type=int, required=True)
    parser.add_argument("--n-test", type=int, default=50_000)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--calibration", choices=["sigmoid", "none"], default="none")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights-out", default=None)
    args = parser.parse_args(argv)

    from sktransfer import DiscriminativeReweighting, stack_domains

    t0 = time.perf_counter()
    n_source = args.n_rows // 2
    X_source, y_source, log_ratio = domain_table(n_source, 0, args.seed)
    X_target, _, _ = domain_table(args.n_rows - n_source, 1, args.seed + 1)
    X_test, y_test, _ = domain_table(args.n_test, 1, args.seed + 2)
    X, y, sample_domain = stack_domains(
        source=(X_source, y_source), target=(X_target, None)
    )
    data_seconds = time.perf_counter() - t0
    model = DiscriminativeReweighting(
        hgb(args.seed),
        domain_classifier=hgb(args.seed),
        cv=args.cv,
        calibration=None if args.calibration == "none" else "sigmoid",
        random_state=args.seed,
    )
    with warnings.catch_warnings(record=True) as caught, quiet_stdout():
        warnings.simplefilter("always")
        _, readings = measured_call(
            lambda: model.fit(X, y, sample_domain=sample_domain)
        )
    t0 = time.perf_counter()
    plain = hgb(args.seed).fit(X_source, y_source)
    plain_seconds = time.perf_counter() - t0
    weights = model.weights_
    truth = np.exp(log_ratio)
    if args.weights_out:
        np.savez(args.weights_out, weights=weights, truth=truth)
    result = {
        "n_rows": args.n_rows,
        "n_source": n_source,
        "cv": args.cv,
        "calibration": args.calibration,
        "seed": args.seed,
        "dtypes": {
            str(k): int(v) for k, v in X.dtypes.astype(str).value_counts().items()
        },
        "data_seconds": data_seconds,
        "fit_seconds": readings["seconds"],
        "unweighted_fit_seconds": plain_seconds,
        "rss_before_mb": readings["rss_before"],
        "peak_mb": readings["peak"],
        "hwm_reset": readings["hwm_reset"],
        "effective_sample_size": float(model.effective_sample_size_),
        "weight_max": float(weights.max()),
        "log_weight_truth_pearson": float(
            np.corrcoef(np.log(weights), log_ratio)[0, 1]
        ),
        "weighted_accuracy": float(np.mean(model.predict(X_test) == y_test)),
        "unweighted_accuracy": float(np.mean(plain.predict(X_test) == y_test)),
        "warnings": sorted(
            {f"{w.category.__name__}: {w.message}"[:200] for w in caught}
        ),
        "versions": package_versions("scikit-learn", "pandas"),
        "threadpools": threadpools(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
