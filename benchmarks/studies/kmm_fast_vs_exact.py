"""KMM's fast path against its exact path: objective gap and weight agreement.

Protocol (issue 4, "correctness against exact"): d = 20 Gaussian covariate
shift, source N(0, I), target N(mu, 0.8^2 I) with mu = 0.5 on the first five
coordinates; n_s = n_t in {500, 1000, 2000, 5000}; one data set per size and
seed. Both paths solve the paper's QP with the same RBF kernel (gamma from the
median heuristic, computed once per data set), B = 1000 and the default eps.
The exact path is cvxpy + Clarabel with the full kernel; the fast path is the
Nystroem interior-point solver at n_components in {100, 300, 1000}.

Every weight vector is scored on the exact problem:

- ``gap``: (f(b_fast) - f(b_exact)) / |f(b_exact)| for the paper's objective
  f(b) = 1/2 b'Kb - kappa'b (the issue's criterion: below 1 %);
- ``MMD^2``: the squared distance between the weighted source mean and the
  target mean in the kernel's feature space, (2 f(b) + (n_s/n_t)^2 1'K_tt 1)
  / n_s^2, as a fraction of the unweighted MMD^2 (stricter than ``gap``: f is
  dominated by a constant);
- ``corr``: Pearson correlation of the weights with the exact ones;
- constraint violations: max(0, max b - B), max(0, -min b) and the distance of
  sum(b) outside [n_s (1 - eps), n_s (1 + eps)], relative to n_s.

Per row of the report: median time, the worst objective gap and weight
correlation over seeds (``--seeds`` below n = 5000, 1 at 5000), the mean
weighted MMD^2 as a fraction of the unweighted one, and the largest constraint
violation (weight above B, below 0, or sum outside its bounds relative to n_s).

Command (about 6 minutes on 2 cores)::

    python -m benchmarks run kmm_fast_vs_exact
    python -m benchmarks run kmm_fast_vs_exact --sizes 500 1000 --seeds 2
"""

import logging

import numpy as np
from sklearn.metrics.pairwise import rbf_kernel

from sktransfer.instance import kmm_weights
from sktransfer.metrics import gamma_from_bandwidth, median_bandwidth

from ..harness import best_time, md_table

CODE = ("instance/_kmm.py", "instance/_interior_point.py", "_kernels.py")
SMOKE = {"sizes": [200], "components": [50], "seeds": 1}
logger = logging.getLogger(__name__)


def make_shift(n_source, n_target, seed, n_features=20):
    rng = np.random.RandomState(seed)
    X_source = rng.normal(size=(n_source, n_features))
    mean = np.zeros(n_features)
    mean[:5] = 0.5
    X_target = rng.normal(mean, 0.8, size=(n_target, n_features))
    return X_source, X_target


class ExactProblem:
    """The paper's objective and the MMD^2 of weights, with the full kernel."""

    def __init__(self, X_source, X_target, gamma):
        self.n_source, self.n_target = len(X_source), len(X_target)
        self.gram = rbf_kernel(X_source, gamma=gamma)
        ratio = self.n_source / self.n_target
        self.kappa = ratio * rbf_kernel(X_source, X_target, gamma=gamma).sum(axis=1)
        self.target_term = ratio**2 * rbf_kernel(X_target, gamma=gamma).sum()

    def objective(self, weights):
        return 0.5 * weights @ self.gram @ weights - self.kappa @ weights

    def mmd2(self, weights):
        value = 2 * self.objective(weights) + self.target_term
        return value / self.n_source**2


def violations(weights, B, n_source):
    eps = (np.sqrt(n_source) - 1) / np.sqrt(n_source)
    low, high = n_source * (1 - eps), n_source * (1 + eps)
    total = weights.sum()
    return {
        "above_B": float(max(0.0, weights.max() - B)),
        "below_0": float(max(0.0, -weights.min())),
        "sum_outside": float(max(0.0, low - total, total - high) / n_source),
    }


def timed_weights(X_source, X_target, **params):
    return best_time(lambda: kmm_weights(X_source, X_target, **params), 1)


def run_size(n, seed, components, B=1000.0):
    X_source, X_target = make_shift(n, n, seed)
    gamma = gamma_from_bandwidth(median_bandwidth(X_source, X_target, random_state=0))
    problem = ExactProblem(X_source, X_target, gamma)
    exact, exact_time = timed_weights(
        X_source, X_target, gamma=gamma, B=B, solver="exact"
    )
    f_exact = problem.objective(exact)
    mmd_uniform = problem.mmd2(np.ones(n))
    rows = [
        {
            "n": n,
            "seed": seed,
            "path": "exact",
            "n_components": None,
            "time_s": exact_time,
            "gap": 0.0,
            "mmd2_fraction": problem.mmd2(exact) / mmd_uniform,
            "corr": 1.0,
            **violations(exact, B, n),
        }
    ]
    logger.info("n=%d seed=%d exact: %.2f s", n, seed, exact_time)
    for m in components:
        fast, fast_time = timed_weights(
            X_source,
            X_target,
            gamma=gamma,
            B=B,
            solver="fast",
            n_components=m,
            random_state=seed,
        )
        rows.append(
            {
                "n": n,
                "seed": seed,
                "path": "fast",
                "n_components": m,
                "time_s": fast_time,
                "gap": (problem.objective(fast) - f_exact) / abs(f_exact),
                "mmd2_fraction": problem.mmd2(fast) / mmd_uniform,
                "corr": float(np.corrcoef(fast, exact)[0, 1]),
                **violations(fast, B, n),
            }
        )
        logger.info(
            "n=%d seed=%d fast m=%d: %.2f s, gap %.2e, corr %.4f",
            n,
            seed,
            m,
            fast_time,
            rows[-1]["gap"],
            rows[-1]["corr"],
        )
    return rows


def table(rows, meta):
    keys = sorted({(r["n"], r["path"], r["n_components"] or 0) for r in rows})
    header = [
        "n_s = n_t",
        "path",
        "m",
        "time (s)",
        "objective gap",
        "MMD^2 / unweighted",
        "weight corr.",
        "max violation",
    ]
    cells = []
    for n, path, m in keys:
        group = [
            r
            for r in rows
            if r["n"] == n and r["path"] == path and (r["n_components"] or 0) == m
        ]
        worst = max(max(r["above_B"], r["below_0"], r["sum_outside"]) for r in group)
        cells.append(
            [
                n,
                path,
                m or "-",
                f"{np.median([r['time_s'] for r in group]):.2f}",
                f"{max(r['gap'] for r in group):.1e}",
                f"{np.mean([r['mmd2_fraction'] for r in group]):.4f}",
                f"{min(r['corr'] for r in group):.3f}",
                f"{worst:.1e}",
            ]
        )
    return md_table(header, cells)


def add_arguments(parser):
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 5000])
    parser.add_argument("--components", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--seeds", type=int, default=3, help="seeds below 5000 rows")


def run(options, context):
    for n in options.sizes:
        for seed in range(options.seeds if n < 5000 else 1):
            yield from run_size(n, seed, options.components)
