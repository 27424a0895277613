"""Provenance of a run: the machine, the code that was measured, the versions.

A study's package copy (:func:`snapshot_package`) makes every process of a run
measure the same code even when ``sktransfer/`` is edited while it runs.
"""

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .paths import PROJECT_ROOT


def cpu_model():
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def machine_info():
    """Cores, CPU model, RAM (GiB) and operating system of this machine."""
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "memory_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
        "system": f"{platform.system()} {platform.release()}",
    }


def load_averages():
    """The 1, 5 and 15 minute load averages."""
    return list(os.getloadavg())


def sha1_file(path):
    """The SHA-1 hex digest of a file's bytes."""
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()


def git(*cmd):
    """Output of ``git *cmd`` run in the project root ("" when git fails)."""
    try:
        return subprocess.run(
            ["git", *cmd], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def code_fields(files=()):
    """The measured code: ``git_head``, ``source_modified`` (``sktransfer/``
    differs from HEAD) and the SHA-1 of each file of the imported package named
    in ``files`` (paths relative to the package, e.g. ``"instance/_kmm.py"``)."""
    import sktransfer

    package = Path(sktransfer.__file__).parent
    return {
        "git_head": git("rev-parse", "HEAD"),
        "source_modified": bool(git("status", "--porcelain", "--", "sktransfer")),
        "files_sha1": {path: sha1_file(package / path) for path in files},
    }


def versions():
    """Versions of sktransfer, its dependencies and Python."""
    import networkx
    import numpy
    import scipy
    import sklearn

    import sktransfer

    return {
        "sktransfer": sktransfer.__version__,
        "scikit-learn": sklearn.__version__,
        "scipy": scipy.__version__,
        "numpy": numpy.__version__,
        "networkx": networkx.__version__,
        "python": platform.python_version(),
    }


def now():
    """The local time as ``YYYY-mm-dd HH:MM:SS +zzzz``."""
    return time.strftime("%Y-%m-%d %H:%M:%S %z")


def snapshot_package(tmp):
    """Copy ``sktransfer/`` to ``tmp/src`` and import it from there.

    The package is installed in development mode and may be edited while a
    study runs (its worker processes import it afresh); this process and every
    worker of ours use the copy (:func:`benchmarks.harness.processes.worker_env`),
    so all rows of a run measure the same code. Returns the directory to put on
    ``PYTHONPATH``.
    """
    root = Path(tmp) / "src"
    shutil.copytree(
        PROJECT_ROOT / "sktransfer",
        root / "sktransfer",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    if "sktransfer" in sys.modules:
        raise RuntimeError(
            "sktransfer was imported before the package snapshot; run the study "
            "through `python -m benchmarks run STUDY`"
        )
    sys.path.insert(0, str(root))
    return str(root)
