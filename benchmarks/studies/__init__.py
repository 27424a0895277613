"""The studies: one module each, run by ``python -m benchmarks run NAME``.

A study module defines

- a docstring: its title on the first line, then the protocol (data, splits,
  methods, baselines, what is measured, how long a full run takes);
- ``SMOKE``: option values for ``--smoke``, a run of a few seconds that goes
  through every code path of the study (the test suite runs it);
- ``add_arguments(parser)`` (optional): the study's own options;
- ``run(options, context)``: yields the result rows (JSON-able dicts); the
  harness saves them as they come (:class:`benchmarks.harness.Context` gives the
  temporary directory, the package snapshot for worker processes and the peer
  interpreters);
- ``table(rows, meta)``: the markdown tables of the report, from the rows;
- ``CODE`` (optional): package files whose SHA-1 the run records;
- ``PEERS`` (optional): the peer libraries it runs (``"adapt"``, ``"skada"``).

A study imports only :mod:`benchmarks.harness` and sktransfer's public API,
never another study.
"""

import pkgutil


def names():
    """The study module names, sorted."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    )
