"""KMM weights with ``sktransfer.instance.kmm_weights``; prints one JSON line.

Runs with our interpreter and the run's package copy (``Context.worker`` of
``benchmarks/harness/study.py``), in a fresh process per run so that its peak
memory is its own; imports only sktransfer's public API. See
``_kmm_worker.py`` for the problem file, the measurement and the output
fields. The ``_kmm.py`` and ``_interior_point.py`` SHA-1 in ``versions`` are
of the files of the imported package (read, not imported).

Timed call (the public API, nothing else inside the timer)::

    kmm_weights(X_source, X_target, kernel="rbf", gamma=GAMMA, B=B, eps=EPS,
                solver=SOLVER, n_components=N_COMPONENTS, n_jobs=N_JOBS,
                random_state=SEED, verbose=2)

``verbose=2`` makes the fast path log one line per interior-point iteration
(logger ``sktransfer``; ``verbose=1`` logs its stages only); a handler counts
them (``n_iter``, the last logged duality gap). It costs a few microseconds per
iteration. The exact path logs no iterations (``n_iter`` is then None).

Usage::

    python ours_kmm.py --data PROBLEM.npz --out W.npy --gamma 0.0128 \
        --eps 0.968 --solver fast --n-jobs 2
"""

import hashlib
import logging
import re
import sys
from pathlib import Path

from _kmm_worker import base_parser, finish, kmm_params, load_problem, measure
from _runtime import quiet_stdout


class _IterationLog(logging.Handler):
    pattern = re.compile(r"interior point (\d+):.*duality gap ([0-9.eE+-]+)")

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.n_iter, self.last_gap = 0, None

    def emit(self, record):
        match = self.pattern.search(record.getMessage())
        if match:
            self.n_iter = int(match.group(1))
            self.last_gap = float(match.group(2))


def main(argv=None):
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--solver", choices=["exact", "fast", "auto"], default="fast")
    parser.add_argument("--n-components", type=int, default=300)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)

    with quiet_stdout():
        import sktransfer
        from sktransfer.instance import kmm_weights

        X_source, X_target = load_problem(args.data)
        log = _IterationLog()
        sk_logger = logging.getLogger("sktransfer")
        sk_logger.addHandler(log)
        sk_logger.setLevel(logging.INFO)
        sk_logger.propagate = False
        runs = []

        def compute():
            log.n_iter, log.last_gap = 0, None
            weights = kmm_weights(
                X_source,
                X_target,
                kernel="rbf",
                gamma=args.gamma,
                B=args.B,
                eps=args.eps,
                solver=args.solver,
                n_components=args.n_components,
                n_jobs=args.n_jobs,
                random_state=args.seed,
                verbose=2,
            )
            runs.append({"n_iter": log.n_iter or None, "last_gap": log.last_gap})
            return weights

        weights, record = measure(
            compute, repeats=args.repeats, budget=args.repeat_budget
        )

    instance = Path(sktransfer.__file__).parent / "instance"
    solver = instance / "_interior_point.py"
    finish(
        args,
        weights,
        record,
        library="sktransfer",
        versions={
            "sktransfer": sktransfer.__version__,
            "_kmm.py sha1": hashlib.sha1(
                (instance / "_kmm.py").read_bytes()
            ).hexdigest(),
            "_interior_point.py sha1": hashlib.sha1(solver.read_bytes()).hexdigest(),
            "sktransfer_path": str(Path(sktransfer.__file__).parent),
            "scikit-learn": sys.modules["sklearn"].__version__,
            "cvxpy": getattr(sys.modules.get("cvxpy"), "__version__", None),
        },
        params=kmm_params(
            args,
            solver=args.solver,
            n_components=args.n_components,
            n_jobs=args.n_jobs,
            random_state=args.seed,
        ),
        solver_info={"runs": runs, "solver": args.solver},
        n_target=int(X_target.shape[0]),
    )


if __name__ == "__main__":
    main()
