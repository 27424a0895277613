"""Peer libraries (ADAPT, SKADA) in their own virtual environments.

The benchmarks compare ``sktransfer`` with the peer libraries ADAPT
(``pip install adapt``) and SKADA (``pip install skada``). Their dependency
pins do not have to agree with ours (ADAPT pulls in TensorFlow), so each peer
gets its own virtual environment under ``benchmarks/.venvs/<name>`` (ignored by
git) and runs in a subprocess. A peer script reads its data from files given
on the command line and prints one JSON object on stdout; :func:`run_in_peer`
returns that object.

``ensure_peer_venv`` builds the environment once and writes
``benchmarks/.venvs/<name>/sktransfer-peer.json`` with the requirements, the
installed versions, the install time and the size on disk, so that results can
quote what was measured (see :func:`peer_info`). The environment is rebuilt
when the requirements listed here change.

Usage from a benchmark::

    from benchmarks.harness import ensure_peer_venv, run_in_peer

    ensure_peer_venv("adapt")
    result = run_in_peer("adapt", PEER_SCRIPTS / "adapt_tradaboost.py",
                         ["--data", "task.npz", "--n-estimators", "20"])

or from the command line, to build (and describe) the environments::

    python -m benchmarks peers adapt skada
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .paths import BENCH_DIR
from .processes import run_json_script, subprocess_env

VENVS_DIR = BENCH_DIR / ".venvs"
MARKER = "sktransfer-peer.json"

# Pinned to the versions checked when the benchmarks were written (PyPI,
# 2025). ADAPT 0.4.5 declares numpy, scipy, tensorflow, scikit-learn, cvxopt
# and scikeras as hard requirements, and ``adapt.instance_based._tradaboost``
# does ``import tensorflow`` at module level, so TensorFlow cannot be left out
# even for the scikit-learn based estimators. SKADA 0.6.0 needs numpy, scipy,
# scikit-learn, POT and pandas (torch only for its "deep" extra).
PEERS = {
    "adapt": {
        "requirements": ["adapt==0.4.5", "numpy", "scipy", "scikit-learn"],
        "modules": ["adapt", "tensorflow", "numpy", "scipy", "sklearn"],
        "distributions": ["adapt", "tensorflow", "numpy", "scipy", "scikit-learn"],
    },
    "skada": {
        "requirements": ["skada==0.6.0", "numpy", "scipy", "scikit-learn"],
        "modules": ["skada", "ot", "numpy", "scipy", "sklearn"],
        "distributions": ["skada", "POT", "numpy", "scipy", "scikit-learn"],
    },
}


def _check_name(name):
    if name not in PEERS:
        raise ValueError(f"unknown peer {name!r}; expected one of {sorted(PEERS)}")


def venv_dir(name):
    """Return the directory of the peer's virtual environment."""
    _check_name(name)
    return VENVS_DIR / name


def _venv_python(path):
    return path / "bin" / "python"


def _dir_size_mb(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            fp = os.path.join(root, f)
            if not os.path.islink(fp):
                total += os.path.getsize(fp)
    return total / 2**20


def peer_info(name):
    """Return the install record of a built peer environment, or None."""
    marker = venv_dir(name) / MARKER
    if not marker.is_file():
        return None
    return json.loads(marker.read_text())


def peer_infos():
    """``{name: peer_info(name) or {}}`` for every peer, for a run's metadata."""
    return {name: peer_info(name) or {} for name in PEERS}


def _installed_versions(python, distributions):
    code = (
        "import json, sys\n"
        "from importlib.metadata import version, PackageNotFoundError\n"
        "out = {'python': sys.version.split()[0]}\n"
        f"for d in {list(distributions)!r}:\n"
        "    try:\n"
        "        out[d] = version(d)\n"
        "    except PackageNotFoundError:\n"
        "        out[d] = None\n"
        "print(json.dumps(out))\n"
    )
    res = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=subprocess_env(),
    )
    return json.loads(res.stdout)


def ensure_peer_venv(name, *, rebuild=False, base_python=None, verbose=True):
    """Create (once) the virtual environment of a peer library.

    Parameters
    ----------
    name : {"adapt", "skada"}
        The peer library.
    rebuild : bool, default=False
        Delete and rebuild the environment even if it is up to date.
    base_python : str, optional
        Interpreter that creates the venv (``python3 -m venv``); default
        ``python3`` on the PATH.
    verbose : bool, default=True
        Print progress to stderr.

    Returns
    -------
    python : pathlib.Path
        The venv's ``bin/python``.

    Raises
    ------
    RuntimeError
        If ``pip install`` or the import check fails; the message holds the
        end of pip's output.
    """
    _check_name(name)
    spec = PEERS[name]
    path = venv_dir(name)
    python = _venv_python(path)
    info = peer_info(name)
    if (
        not rebuild
        and info is not None
        and info.get("requirements") == spec["requirements"]
        and python.exists()
    ):
        return python

    if path.exists():
        shutil.rmtree(path)
    VENVS_DIR.mkdir(parents=True, exist_ok=True)
    base_python = base_python or shutil.which("python3") or sys.executable

    def log(msg):
        if verbose:
            print(f"[peers:{name}] {msg}", file=sys.stderr, flush=True)

    log(f"creating venv at {path} with {base_python}")
    t0 = time.perf_counter()
    subprocess.run([base_python, "-m", "venv", str(path)], check=True)
    cmd = [str(python), "-m", "pip", "install", "--no-input", *spec["requirements"]]
    log(" ".join(cmd))
    res = subprocess.run(
        cmd, capture_output=True, text=True, env=subprocess_env(), check=False
    )
    if res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).splitlines()[-30:])
        raise RuntimeError(f"pip install for peer {name!r} failed:\n{tail}")
    install_seconds = time.perf_counter() - t0

    # Import check: time a cold import of the peer's modules.
    t1 = time.perf_counter()
    res = subprocess.run(
        [str(python), "-c", "import " + ", ".join(spec["modules"])],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        check=False,
    )
    import_seconds = time.perf_counter() - t1
    if res.returncode != 0:
        tail = "\n".join(res.stderr.splitlines()[-30:])
        raise RuntimeError(f"peer {name!r} installed but import failed:\n{tail}")

    info = {
        "name": name,
        "requirements": spec["requirements"],
        "versions": _installed_versions(python, spec["distributions"]),
        "install_seconds": round(install_seconds, 1),
        "first_import_seconds": round(import_seconds, 1),
        "size_mb": round(_dir_size_mb(path), 1),
        "base_python": base_python,
        "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (path / MARKER).write_text(json.dumps(info, indent=2) + "\n")
    log(f"done: {json.dumps(info)}")
    return python


def run_in_peer(name, script_path, args=(), *, timeout=None, env=None):
    """Run a script with a peer's interpreter and return its JSON output.

    The script must print one JSON object on stdout (other lines are allowed
    before it: the last line that parses as a JSON object is returned).

    Parameters
    ----------
    name : {"adapt", "skada"}
        The peer library; its environment is built if needed.
    script_path : str or path-like
        The script to run.
    args : sequence of str
        Command-line arguments of the script.
    timeout : float, optional
        Seconds before the subprocess is killed.
    env : dict, optional
        Extra environment variables (e.g. ``{"OMP_NUM_THREADS": 1}``).

    Returns
    -------
    result : dict
        The parsed JSON object.

    Raises
    ------
    RuntimeError
        If the script exits with a non-zero status or prints no JSON object;
        the message holds the end of its stderr.
    """
    return run_json_script(
        ensure_peer_venv(name), script_path, args, timeout=timeout, env=env
    )


def save_task(
    path, X_source, y_source, X_target_labeled, y_target_labeled, X_test, y_test
):
    """Write a task for a peer script (the format ``peer_scripts`` read).

    ``path`` (``.npz``) receives the label arrays and the dense feature
    matrices; each sparse matrix ``X_<part>`` goes to ``<stem>.X_<part>.npz``
    (:func:`scipy.sparse.save_npz`, CSR) and is listed in ``sparse_keys``.
    Returns the path of the main file.
    """
    import numpy as np
    import scipy.sparse as sp

    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_suffix(".npz")
    stem = path.with_suffix("")
    arrays = {
        "y_source": np.asarray(y_source),
        "y_target_labeled": np.asarray(y_target_labeled),
        "y_test": np.asarray(y_test),
    }
    sparse_keys = []
    parts = {
        "X_source": X_source,
        "X_target_labeled": X_target_labeled,
        "X_test": X_test,
    }
    for key, X in parts.items():
        if sp.issparse(X):
            sp.save_npz(f"{stem}.{key}.npz", sp.csr_matrix(X))
            sparse_keys.append(key)
        else:
            arrays[key] = np.asarray(X)
    arrays["sparse_keys"] = np.array(sparse_keys, dtype=str)
    np.savez(path, **arrays)
    return path
