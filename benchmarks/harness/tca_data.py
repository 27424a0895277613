"""The synthetic problem of the TCA studies (``tca_vs_peers``, ``tca_scale``).

The generator, ``make_problem`` of ``peer_scripts/_tca_worker.py``, lives with
the worker scripts, which also draw it themselves (``--generate``, so that a
worker's peak memory includes the data); a study gets the same arrays from it
in a fresh process, as a file the workers read with ``--data``.
"""

import numpy as np


def tca_problem(context, n_source, n_target, seed):
    """``(path, X_source, y_source, X_target, y_target)`` of ``make_problem``.

    ``path`` is the ``.npz`` in the run's temporary directory (written once per
    sizes and seed; a study may delete it when done).
    """
    path = context.tmp / f"tca_problem_{n_source}_{n_target}_{seed}.npz"
    if not path.is_file():
        context.worker(
            "_tca_worker.py",
            ["--problem", n_source, n_target, "--seed", seed, "--out", path],
        )
    with np.load(path) as f:
        return path, f["X_source"], f["y_source"], f["X_target"], f["y_target"]
