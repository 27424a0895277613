"""Provenance for benchmark reports: the machine and the code that was measured."""

import hashlib
import inspect
import platform
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


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
