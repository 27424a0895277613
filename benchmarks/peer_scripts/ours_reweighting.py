"""Density-ratio weights with sktransfer's public API; prints one JSON line.

Runs with our interpreter and the run's package copy (``Context.worker`` of
``benchmarks/harness/study.py``), in a fresh process per method and problem
file; imports only sktransfer's public API. See ``_reweighting_worker.py``
for the problem file, the measurement and the output fields.

Timed calls (``--methods``; the defaults of sktransfer unless said)::

    ulsif:          ulsif_weights(X_source, X_target, alpha=0.0, random_state=SEED)
    rulsif:         ulsif_weights(X_source, X_target, alpha=0.1, random_state=SEED)
    kliep:          kliep_weights(X_source, X_target, random_state=SEED)
    discriminative: DiscriminativeReweighting(DummyClassifier(),
                        random_state=SEED).fit(X, y, sample_domain=...).weights_

The kernel methods choose their width (and uLSIF/RuLSIF their regulariser)
themselves, by leave-one-out (least squares) or 5-fold likelihood
cross-validation (KLIEP) over ``sigma = f * median distance``, ``f`` in
0.25, 0.5, 1, 2, 4 (the ``gammas`` of the problem file are the peers' and
are not passed). ``DiscriminativeReweighting`` (5-fold cross-fitting, sigmoid
calibration, a logistic regression on standardized features as the domain
classifier) fits an estimator after the weights; a ``DummyClassifier`` makes
that step negligible, so the time is the weights' (``X, y, sample_domain``
from ``stack_domains`` are built before the timer). Its ``fit`` also refits
the domain classifier on all rows (for ``predict_weights``), which is timed.

What the fit chose (``chosen``): for the kernel methods, once the timing is
done and if the timed run took less than ``--describe-budget`` seconds, the
estimator class (``ULSIF``, ``RuLSIF``, ``KLIEP`` with a ``DummyClassifier``
and the same ``random_state``) is fitted once more, untimed, for its
``gamma_`` (and ``reg_``, ``n_iter_``); ``weights_match`` says whether its
weights equal the function's.
"""

import hashlib
import sys
from pathlib import Path

import numpy as np
from _reweighting_worker import main

KERNEL_METHODS = {"ulsif": 0.0, "rulsif": 0.1}


def _lsif(method, task, args):
    from sktransfer.instance import ulsif_weights

    alpha = KERNEL_METHODS[method]

    def compute():
        return ulsif_weights(
            task["X_source"], task["X_target"], alpha=alpha, random_state=args.seed
        )

    return compute, _describer(method, task, args)


def _kliep(method, task, args):
    from sktransfer.instance import kliep_weights

    def compute():
        return kliep_weights(task["X_source"], task["X_target"], random_state=args.seed)

    return compute, _describer(method, task, args)


def _estimator(method, seed):
    from sklearn.dummy import DummyClassifier

    from sktransfer.instance import KLIEP, ULSIF, RuLSIF

    if method == "kliep":
        return KLIEP(DummyClassifier(), random_state=seed)
    if method == "ulsif":
        return ULSIF(DummyClassifier(), random_state=seed)
    return RuLSIF(DummyClassifier(), alpha=KERNEL_METHODS[method], random_state=seed)


def _stacked(task):
    from sktransfer import stack_domains

    return stack_domains(
        source=(task["X_source"], task["y_source"]), target=(task["X_target"], None)
    )


def _describer(method, task, args):
    def describe(weights, seconds):
        if seconds > args.describe_budget:
            return {"note": f"not described: {seconds:.0f} s > describe budget"}
        X, y, sample_domain = _stacked(task)
        model = _estimator(method, args.seed).fit(X, y, sample_domain=sample_domain)
        out = {
            "gamma": model.gamma_,
            "weights_match": bool(np.allclose(model.weights_, weights)),
        }
        for name in ("reg_", "n_iter_"):
            if hasattr(model, name):
                out[name.rstrip("_")] = getattr(model, name)
        return out

    return describe


def _discriminative(method, task, args):
    from sklearn.dummy import DummyClassifier

    from sktransfer import DiscriminativeReweighting

    X, y, sample_domain = _stacked(task)
    models = []

    def compute():
        model = DiscriminativeReweighting(DummyClassifier(), random_state=args.seed)
        models[:] = [model.fit(X, y, sample_domain=sample_domain)]
        return model.weights_

    def describe(weights, seconds):
        model = models[0]
        return {
            "cv": model.cv,
            "calibration": model.calibration,
            "scale": float(model.scale_),
            "effective_sample_size": float(model.effective_sample_size_),
        }

    return compute, describe


METHODS = {
    "ulsif": _lsif,
    "rulsif": _lsif,
    "kliep": _kliep,
    "discriminative": _discriminative,
}


def library_info(args):
    import sktransfer

    instance = Path(sktransfer.__file__).parent / "instance"
    files = ("_kernel_density_ratio.py", "_density_ratio_solvers.py")
    return {
        "library": "sktransfer",
        "versions": {
            "sktransfer": sktransfer.__version__,
            **{
                f"{name} sha1": hashlib.sha1((instance / name).read_bytes()).hexdigest()
                for name in (*files, "_discriminative.py")
            },
            "sktransfer_path": str(Path(sktransfer.__file__).parent),
            "scikit-learn": sys.modules["sklearn"].__version__,
        },
    }


def add_arguments(parser):
    parser.add_argument(
        "--describe-budget",
        type=float,
        default=30.0,
        help="refit the estimator class for its chosen width only when the "
        "timed run took less than this many seconds",
    )


if __name__ == "__main__":
    main(__doc__.splitlines()[0], METHODS, library_info, add_arguments)
