"""Files of the shared data folder, and row subsets for smoke runs.

The loaders have their own modules (:mod:`.reuters`, :mod:`.newsgroups`,
:mod:`.relational_data`, :mod:`.tabular_tasks`). :func:`shared_file` names a
file of the shared data folder (``../shared/data`` relative to the project
root, or ``data_dir``) and raises :class:`FileNotFoundError` naming the path
when it is absent, so a study can record that its data are missing.
"""

from pathlib import Path

import numpy as np

from .paths import PROJECT_ROOT, SHARED_DATA


def shared_file(relative, data_dir=None):
    """``data_dir / relative`` (default the shared data folder);
    FileNotFoundError when it is absent."""
    root = Path(data_dir) if data_dir is not None else SHARED_DATA
    path = root / relative
    if not path.exists():
        raise FileNotFoundError(f"benchmark data not found: {path}")
    return path


def project_data_dir(data_dir):
    """The data folder ``data_dir`` given relative to the project root (the
    ``--data-dir`` of :func:`.options.add_project_data_options`)."""
    return PROJECT_ROOT / data_dir


def subsample_rows(n_rows, max_rows, seed=0):
    """Sorted indices of ``max_rows`` of ``n_rows`` rows drawn at random, or of
    all rows when ``max_rows`` is None or not smaller: a data set cut down for
    a smoke run."""
    if max_rows is None or n_rows <= max_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_rows, max_rows, replace=False))
