"""Provenance for benchmark reports: the machine and the code that was measured."""

import hashlib
import inspect
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent


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


def package_fields(**files):
    """The measured code: ``git_head``, the SHA-1 of each named file of the
    imported ``sktransfer`` package (``key=path`` relative to the package) and
    ``source_modified`` (``sktransfer/`` differs from HEAD)."""
    import sktransfer

    package = Path(sktransfer.__file__).parent
    return {
        "git_head": git("rev-parse", "HEAD"),
        **{key: sha1_file(package / path) for key, path in files.items()},
        "source_modified": bool(git("status", "--porcelain", "--", "sktransfer")),
    }


def snapshot_package(tmp):
    """Copy ``sktransfer/`` to ``tmp/src`` and import it from there.

    The package is installed in development mode and may be edited while the
    benchmark runs (the worker processes import it afresh); every worker of
    ours and this process use the copy, so all rows measure the same code.
    """
    root = Path(tmp) / "src"
    shutil.copytree(
        PROJECT_ROOT / "sktransfer",
        root / "sktransfer",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    if "sktransfer" in sys.modules:
        raise RuntimeError("sktransfer was imported before the snapshot")
    sys.path.insert(0, str(root))
    return str(root)


def code_version(obj):
    """``"<version> (git <commit>; <file> sha256 <digest>[, uncommitted changes])"``.

    Names the commit and a digest of the source file that defines ``obj``, so a
    result can be traced to the code that produced it. sktransfer is imported
    here, not at module load: ``kmm_vs_peers.py`` copies the package before its
    first import.
    """
    import sktransfer

    source = Path(inspect.getsourcefile(obj))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--", str(source))
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", ""
    changes = ", uncommitted changes" if dirty else ""
    return (
        f"{sktransfer.__version__} (git {commit}; {source.name} sha256 "
        f"{digest}{changes})"
    )


def _git(*args):
    return subprocess.run(
        ["git", "-C", str(HERE), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def run_header(args, settings, **files):
    """What every driver records about a run before it starts.

    The command (``args.argv``), start time and load averages, the measured
    code (:func:`package_fields` of ``files``), the library versions, the
    machine, and the values of the argument names in ``settings``.
    """
    import time

    import networkx
    import numpy
    import scipy
    import sklearn

    import sktransfer

    return {
        "argv": args.argv,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "loadavg_start": list(os.getloadavg()),
        **package_fields(**files),
        "versions": {
            "sktransfer": sktransfer.__version__,
            "scikit-learn": sklearn.__version__,
            "scipy": scipy.__version__,
            "numpy": numpy.__version__,
            "networkx": networkx.__version__,
            "python": platform.python_version(),
        },
        "machine": machine_info(),
        "settings": {name: getattr(args, name) for name in settings},
    }
