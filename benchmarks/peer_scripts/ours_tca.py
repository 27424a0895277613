"""TCA with ``sktransfer.TransferComponentAnalysis``; prints one JSON line.

Runs in our development environment (``sktransfer`` importable), in a fresh
process per run so that its peak memory is its own; see ``_tca_worker.py`` for
the problem, the measurement and the output fields.

Timed (the public API, nothing else inside the timer; ``X`` is the source rows
stacked over the target rows, built before the timer)::

    model = TransferComponentAnalysis(N_COMPONENTS, kernel="rbf", gamma=GAMMA,
                                      mu=MU, solver=SOLVER,
                                      n_landmarks=N_LANDMARKS, n_jobs=N_JOBS,
                                      random_state=SEED)
    model.fit(X, sample_domain=sample_domain)   # >= 0 source, < 0 target
    Z = model.transform(X)                       # every row, input order

i.e. fit, then a separate transform of all rows (``fit_transform`` would
return the same embedding without the second pass over the kernel).

The script uses sktransfer's public API only (the fitted attributes
``landmarks_``, ``coefficients_``, ``mean_``, ``solver_``, ``n_landmarks_``,
``rank_``, ``eigenvalues_``). ``--profile-steps`` (used by
``python -m benchmarks run tca_scale``, part (b)) runs the timed fit and
transform under Python's profiler (``cProfile``) and reports, for each of a few
functions of the library's TCA code (kernel values, Nystroem basis, the
solvers, the eigensolver, the standardization, input validation), the
cumulative seconds of the calls made to it from the library, so
that ``steps`` in the JSON says where the time goes. The functions are named as
the profiler reports them; nothing of the library is imported or replaced. The
profiler adds a little time per Python call (there are few: the work is in
numpy), and the timings of a profiled run include it.

Usage::

    python ours_tca.py --data PROBLEM.npz --out Z.npz --gamma 0.011 \
        --solver exact [--n-jobs 2]
    python ours_tca.py --generate 500000 500000 --out Z.npz --gamma 0.011 \
        --solver fast --profile-steps
"""

import cProfile
import hashlib
import os
import pstats
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from _runtime import quiet_stdout
from _tca_worker import (
    base_parser,
    finish,
    finish_order_check,
    library_versions,
    load_problem,
    measure,
    order_checks,
    shuffled_stack,
)

LIBRARY_DIR = os.path.join("sktransfer", "")
PROFILED = (  # in the order of a fit: the steps table lists them so
    "validate_data",
    "nystroem_basis",
    "kernel_features",
    "pairwise_kernels",
    "top_eigenpairs",
    "_exact_kernel",
    "_fast_kernel",
    "_solve_exact",
    "_solve_fast",
    "_standardized",
)


def profiled(function, phase, durations):
    """Run ``function()`` under cProfile; add to ``durations["<phase>:<name>"]``
    the cumulative seconds of the calls to each function in ``PROFILED`` made
    from the library. Returns what ``function`` returns."""
    profiler = cProfile.Profile()
    result = profiler.runcall(function)
    seconds = defaultdict(float)
    for (_, _, name), entry in pstats.Stats(profiler).stats.items():
        if name not in PROFILED:
            continue
        for (caller_file, _, _), caller_entry in entry[4].items():
            if LIBRARY_DIR in caller_file:
                seconds[name] += caller_entry[3]
    for name in PROFILED:
        if name in seconds:
            durations[f"{phase}:{name}"] += seconds[name]
    return result


def main(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--solver", choices=["exact", "fast", "auto"], default="exact")
    parser.add_argument("--mu", type=float, default=0.1)
    parser.add_argument("--n-landmarks", type=int, default=500)
    parser.add_argument(
        "--n-jobs", type=int, default=None, help="n_jobs (default: None, one job)"
    )
    parser.add_argument("--profile-steps", action="store_true")
    args = parser.parse_args(argv)

    with quiet_stdout():
        import sktransfer
        from sktransfer import TransferComponentAnalysis

        X_source, X_target = load_problem(args)
        n_source = X_source.shape[0]

        def make_model():
            return TransferComponentAnalysis(
                args.n_components,
                kernel="rbf",
                gamma=args.gamma,
                mu=args.mu,
                solver=args.solver,
                n_landmarks=args.n_landmarks,
                n_jobs=args.n_jobs,
                random_state=args.seed,
            )

        if args.order_check:
            from sklearn.metrics.pairwise import rbf_kernel

            X, is_source = shuffled_stack(
                X_source, X_target, args.order_rows, args.seed
            )
            sample_domain = np.where(is_source, 1, -1)
            model = make_model()
            returned = model.fit_transform(X, sample_domain=sample_domain)
            reference = (
                rbf_kernel(X, model.landmarks_, gamma=args.gamma) @ model.coefficients_
                - model.mean_
            )
            returned = {
                "fit_transform(X_shuffled, sample_domain=...)": returned,
                "transform(X_shuffled)": model.transform(X),
            }
            finish_order_check(
                order_checks(returned, reference, is_source),
                library="sktransfer",
                solver=args.solver,
            )
            return

        X = np.vstack([X_source, X_target])
        sample_domain = np.r_[
            np.ones(n_source, np.int64), -np.ones(X_target.shape[0], np.int64)
        ]
        del X_source, X_target
        durations = defaultdict(float)

        def run(phase, function):
            if args.profile_steps:
                return profiled(function, phase, durations)
            return function()

        def compute():
            durations.clear()
            t0 = time.perf_counter()
            model = run("fit", lambda: make_model().fit(X, sample_domain=sample_domain))
            t1 = time.perf_counter()
            Z = run("transform", lambda: model.transform(X))
            t2 = time.perf_counter()
            steps = {"fit": t1 - t0, "transform": t2 - t1, **durations}
            return Z[:n_source], Z[n_source:], model, steps

        (Z_source, Z_target, model, _), record = measure(
            compute, repeats=args.repeats, budget=args.repeat_budget
        )
        coef_gram = None
        if model.solver_ == "exact":  # coefficients over the training rows
            coef_gram = model.coefficients_.T @ model.coefficients_

    source = Path(sktransfer.__file__).parent / "feature" / "_tca.py"
    finish(
        args,
        Z_source,
        Z_target,
        record,
        coef_gram=coef_gram,
        library="sktransfer",
        versions=library_versions(
            {
                "sktransfer": sktransfer.__version__,
                "_tca.py sha1": hashlib.sha1(source.read_bytes()).hexdigest(),
                "sktransfer_path": str(Path(sktransfer.__file__).parent),
            }
        ),
        params={
            "n_components": args.n_components,
            "kernel": "rbf",
            "gamma": args.gamma,
            "mu": args.mu,
            "solver": args.solver,
            "n_landmarks": args.n_landmarks,
            "n_jobs": args.n_jobs,
            "random_state": args.seed,
        },
        fitted={
            "solver_": model.solver_,
            "n_landmarks_": int(model.n_landmarks_),
            "rank_": model.rank_,
            "eigenvalues_": [float(v) for v in model.eigenvalues_],
        },
    )


if __name__ == "__main__":
    main()
