"""The process of a worker or peer script: stdout kept for JSON, versions,
thread pools.

Standard library only (and ``threadpoolctl`` where it is installed): the
scripts run in our environment and in the peers' virtual environments alike,
and import this from their own directory (Python puts a script's directory
first on ``sys.path``). Memory readings are in ``_proc_memory.py``.
"""

import contextlib
import sys
from importlib.metadata import PackageNotFoundError, version


@contextlib.contextmanager
def quiet_stdout():
    """Send library chatter (TensorFlow, solvers) to stderr: stdout is for JSON."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def installed_version(name):
    """The version of the installed distribution ``name``; None without it."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def package_versions(*names):
    """``{name: installed_version(name)}`` for each of ``names``, then the
    versions of NumPy and Python."""
    return {
        **{name: installed_version(name) for name in names},
        "numpy": installed_version("numpy"),
        "python": sys.version.split()[0],
    }


def threadpools():
    """The thread pools loaded in this process (``user_api``, ``internal_api``,
    ``num_threads`` each); none without ``threadpoolctl``."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [
        {k: p.get(k) for k in ("user_api", "internal_api", "num_threads")}
        for p in threadpool_info()
    ]
