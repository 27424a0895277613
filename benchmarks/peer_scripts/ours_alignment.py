"""CORAL, subspace alignment and linear TCA with sktransfer; prints one JSON line.

Runs with our interpreter and the run's package copy (``Context.worker`` of
``benchmarks/harness/study.py``), one process for all the methods and
problems of a data set; imports only sktransfer's public API. See
``_alignment_worker.py`` for the files, the timing and the output.

Timed, with ``X`` the source rows stacked over the target rows and
``sample_domain`` 1 / -2 (built before the timer)::

    coral: CORAL(reg=REG).fit_transform(X, sample_domain=sample_domain)
    sa:    SubspaceAlignment(n_components=K).fit_transform(X, sample_domain=...)
    tca:   TransferComponentAnalysis(n_components=K, kernel="linear", mu=MU,
                                     solver="exact", [scaling=S,]
                                     random_state=SEED).fit_transform(X, ...)

``fit_transform`` returns every training row in input order: source rows
moved (CORAL: ``x A``; SA: ``(x - m_s) P_s M``), target rows as target rows
(CORAL: unchanged; SA: ``(x - m_t) P_t``); TCA's embedding of every row
(centred; unit variance per component by default).

TCA's ``scaling``: when the installed ``TransferComponentAnalysis`` takes a
``scaling`` parameter (read with ``inspect.signature``), a ``tca`` method of
the spec runs once per value of ``SCALINGS``, as ``<key>_unit_variance`` and
``<key>_unit_norm``, each with ``scaling`` passed; otherwise it runs once as
``<key>`` without it. The record's ``fitted`` says which: ``scaling`` (the
value the fitted model holds, None without the parameter) and
``scaling_default`` (the constructor's default, None without it).
"""

import inspect
import sys

from _alignment_worker import main, split_rows, stacked

SCALINGS = ("unit_variance", "unit_norm")


def scaling_parameter():
    """TCA's ``scaling`` parameter (an ``inspect.Parameter``); None without it."""
    from sktransfer import TransferComponentAnalysis

    return inspect.signature(TransferComponentAnalysis).parameters.get("scaling")


def expand(method):
    """A ``tca`` method as one method per scaling, when the parameter exists."""
    if method["kind"] != "tca" or scaling_parameter() is None:
        return [method]
    return [
        dict(
            method,
            key=f"{method['key']}_{scaling}",
            params={**method["params"], "scaling": scaling},
        )
        for scaling in SCALINGS
    ]


def prepare(kind, params, task, seed):
    from sktransfer import TransferComponentAnalysis
    from sktransfer.feature import CORAL, SubspaceAlignment

    X, sample_domain = stacked(task)
    n_source = task["X_source"].shape[0]
    fitted = []

    def make():
        if kind == "coral":
            return CORAL(**params)
        if kind == "sa":
            return SubspaceAlignment(**params)
        return TransferComponentAnalysis(**params, random_state=seed)

    def compute():
        model = make()
        fitted[:] = [model]
        return split_rows(model.fit_transform(X, sample_domain=sample_domain), n_source)

    def describe(result):
        model = fitted[0]
        if kind == "tca":
            parameter = scaling_parameter()
            return {
                "solver_": model.solver_,
                "eigenvalues_": [float(v) for v in model.eigenvalues_],
                "scaling": model.get_params().get("scaling"),
                "scaling_parameter": parameter is not None,
                "scaling_default": None if parameter is None else parameter.default,
            }
        if kind == "sa":
            return {"n_components_": int(model.n_components_)}
        return {}

    return compute, describe


def library_info():
    import sktransfer

    return {
        "library": "sktransfer",
        "versions": {
            "sktransfer": sktransfer.__version__,
            "sktransfer_path": sktransfer.__path__[0],
            "scikit-learn": sys.modules["sklearn"].__version__,
            "scipy": sys.modules["scipy"].__version__,
        },
    }


if __name__ == "__main__":
    main(__doc__.splitlines()[0], prepare, library_info, expand=expand)
