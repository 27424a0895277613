"""Running a study and writing its report.

A study is a module of :mod:`benchmarks.studies` (see its docstring for what
one defines). :func:`run_study` parses the study's options, records the run's
provenance, copies the package, iterates the study's ``run`` and saves
``<out-dir>/<name>.json`` (``{"meta": ..., "rows": ...}``) as rows come,
then writes ``<name>.md``: a header common to all studies followed by the
study's ``table``. :func:`write_report` rewrites the markdown from the JSON.
"""

import argparse
import importlib
import json
import logging
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import peers, provenance
from .paths import PEER_SCRIPTS, RESULTS_DIR
from .processes import run_json_script, worker_env
from .tables import header_lines

logger = logging.getLogger("benchmarks")

COMMON_OPTIONS = ("smoke", "out_dir", "name", "note", "verbose")
SAVE_EVERY_SECONDS = 10.0


def parse_max_n(items, methods):
    """A ``--max-n METHOD=N ...`` option as ``{METHOD: N}`` (``none``: no
    limit); a ``ValueError`` for an unknown method or a missing ``N``."""
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        if name not in methods or not value:
            raise ValueError(
                f"expected METHOD=N with a method of {list(methods)}, got {item!r}"
            )
        out[name] = None if value.lower() == "none" else int(value)
    return out


def study_names():
    """The studies, by module name."""
    from benchmarks import studies

    return studies.names()


def load_study(name):
    """The study module ``benchmarks.studies.<name>``; a ``ValueError`` naming
    the known studies when there is none."""
    known = study_names()
    if name not in known:
        raise ValueError(f"unknown study {name!r}; the studies are: {', '.join(known)}")
    return importlib.import_module(f"benchmarks.studies.{name}")


def study_title(module):
    """The first line of the study's docstring."""
    return (module.__doc__ or module.__name__).strip().splitlines()[0].rstrip(".")


@dataclass
class Context:
    """What a study's ``run`` gets besides its options."""

    smoke: bool
    tmp: Path
    snapshot: str | None
    meta: dict
    log: logging.Logger = field(default=logger)

    def worker(self, script, args=(), *, env=None, timeout=None):
        """Run ``peer_scripts/<script>`` with our interpreter, importing the
        run's package copy, in a fresh process; return its JSON result."""
        return run_json_script(
            sys.executable,
            PEER_SCRIPTS / script,
            args,
            env=worker_env(self.snapshot, env),
            timeout=timeout,
        )

    def peer_python(self, name):
        """A peer library's interpreter (its environment built if needed), or
        None in a smoke run: a smoke run checks our side of a study and never
        runs a peer, whose code does not change with ours; the study records
        the peer's rows as not run."""
        if self.smoke:
            return None
        python = peers.ensure_peer_venv(name)
        self.meta.setdefault("peers", {})[name] = peers.peer_info(name) or {}
        return python

    def peer(self, name, script, args=(), *, env=None, timeout=None):
        """Run ``peer_scripts/<script>`` with a peer's interpreter; None when
        :meth:`peer_python` has none."""
        python = self.peer_python(name)
        if python is None:
            return None
        return run_json_script(
            python, PEER_SCRIPTS / script, args, env=env, timeout=timeout
        )


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"a row holds {type(value).__name__}, which JSON cannot store")


def save_json(path, meta, rows):
    Path(path).write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=1, default=_jsonable) + "\n"
    )


def result_paths(out_dir, name):
    out_dir = Path(out_dir)
    return out_dir / f"{name}.json", out_dir / f"{name}.md"


def render_report(module, meta, rows):
    """The markdown of a run: title, common header, protocol pointer, tables."""
    study_file = module.__name__.split(".")[-1] + ".py"
    lines = [
        f"# {study_title(module)}",
        "",
        *header_lines(meta),
        "",
        f"Protocol: see the docstring of `benchmarks/studies/{study_file}`.",
        "",
        module.table(rows, meta).rstrip(),
    ]
    return "\n".join(lines) + "\n"


def write_report(name, *, out_dir=RESULTS_DIR, result_name=None):
    """Rewrite ``<result_name>.md`` from the saved ``.json``; return its path."""
    module = load_study(name)
    json_path, md_path = result_paths(out_dir, result_name or name)
    if not json_path.is_file():
        raise FileNotFoundError(
            f"no results at {json_path}; run `python -m benchmarks run {name}` first"
        )
    saved = json.loads(json_path.read_text())
    md_path.write_text(render_report(module, saved["meta"], saved["rows"]))
    return md_path


def study_parser(module, *, smoke):
    name = module.__name__.split(".")[-1]
    parser = argparse.ArgumentParser(
        prog=f"python -m benchmarks run {name}",
        description=study_title(module),
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: check the study runs"
    )
    parser.add_argument("--out-dir", default=None, help="default benchmarks/results")
    parser.add_argument("--name", default=name, help="stem of the result files")
    parser.add_argument("--note", default="", help="a remark kept in the report")
    parser.add_argument("--verbose", action="store_true", help="debug logging")
    if hasattr(module, "add_arguments"):
        module.add_arguments(parser)
    if smoke:
        parser.set_defaults(**module.SMOKE)
    return parser


def parse_options(module, argv):
    smoke = "--smoke" in argv
    options = study_parser(module, smoke=smoke).parse_args(argv)
    if options.out_dir is None:
        options.out_dir = str(RESULTS_DIR / "smoke" if options.smoke else RESULTS_DIR)
    return options


def run_header(module, options, argv):
    """The provenance a run records before it starts."""
    name = module.__name__.split(".")[-1]
    return {
        "study": name,
        "argv": ["python", "-m", "benchmarks", "run", name, *argv],
        "smoke": bool(options.smoke),
        "started": provenance.now(),
        "loadavg_start": provenance.load_averages(),
        "code": provenance.code_fields(getattr(module, "CODE", ())),
        "versions": provenance.versions(),
        "machine": provenance.machine_info(),
        "settings": {
            key: value
            for key, value in vars(options).items()
            if key not in COMMON_OPTIONS
        },
        "note": options.note,
        "peers": {
            name: {} if options.smoke else peers.peer_info(name) or {}
            for name in getattr(module, "PEERS", ())
        },
    }


def run_study(module, argv, *, snapshot, tmp):
    """Run one study with its command-line arguments; return the JSON path."""
    options = parse_options(module, argv)
    json_path, md_path = result_paths(options.out_dir, options.name)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    meta = run_header(module, options, argv)
    context = Context(smoke=options.smoke, tmp=Path(tmp), snapshot=snapshot, meta=meta)
    logger.info("%s: %s", meta["study"], " ".join(meta["argv"]))
    start = time.perf_counter()
    rows = []
    saved = time.perf_counter()
    try:
        for row in module.run(options, context):
            rows.append(row)
            # saved as they come, so an interrupted run keeps its rows, but at
            # most every few seconds: a study of thousands of rows would spend
            # minutes rewriting the file
            if time.perf_counter() - saved > SAVE_EVERY_SECONDS:
                save_json(json_path, meta, rows)
                saved = time.perf_counter()
    except BaseException:
        meta["error"] = traceback.format_exc()
        save_json(json_path, meta, rows)
        raise
    meta["seconds"] = time.perf_counter() - start
    meta["finished"] = provenance.now()
    meta["loadavg_end"] = provenance.load_averages()
    save_json(json_path, meta, rows)
    md_path.write_text(render_report(module, meta, rows))
    logger.info(
        "%s: %d rows in %.1f s -> %s",
        meta["study"],
        len(rows),
        meta["seconds"],
        md_path,
    )
    return json_path
