"""Command-line and results plumbing shared by the benchmark drivers.

A driver writes ``<out-dir>/<name>.json`` (``{"meta": ..., "rows": ...}``) as
it goes and ``<out-dir>/<name>.md`` at the end; ``--report-only`` rewrites the
``.md`` from the ``.json``.
"""

import argparse
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path


def script_argv(script, argv):
    """The command line to quote in the report: ``python <script> <args>``."""
    return [
        "python",
        os.path.relpath(script, Path.cwd()),
        *(argv if argv is not None else sys.argv[1:]),
    ]


def parse_max_n(items, methods):
    """``["METHOD=N", ...]`` to ``{METHOD: N}`` (``none``: no limit)."""
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        if name not in methods or not value:
            raise argparse.ArgumentTypeError(f"expected METHOD=N, got {item!r}")
        out[name] = None if value.lower() == "none" else int(value)
    return out


def setup_logging(verbose=False):
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
    )


def result_paths(args):
    """``(json_path, md_path)`` from ``args.out_dir`` and ``args.name``."""
    out_dir = Path(args.out_dir)
    return out_dir / f"{args.name}.json", out_dir / f"{args.name}.md"


def rewrite_report(json_path, md_path, write_markdown, logger):
    """``--report-only``: write the ``.md`` from the saved ``.json``."""
    saved = json.loads(json_path.read_text())
    write_markdown(md_path, saved["rows"], saved["meta"])
    logger.info("rewrote %s from %s", md_path, json_path)


def save_results(json_path, meta, rows):
    json_path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")


def finish_meta(meta, t0):
    """Record the run's duration (since ``perf_counter`` ``t0``) and end time."""
    meta["seconds"] = time.perf_counter() - t0
    meta["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")


def write_results(json_path, md_path, meta, rows, write_markdown, logger):
    """Save the ``.json``, write the ``.md`` and log where they went."""
    save_results(json_path, meta, rows)
    write_markdown(md_path, rows, meta)
    logger.info("wrote %s and %s (%.1f min)", json_path, md_path, meta["seconds"] / 60)


def caught_convergence(function, *args, **kwargs):
    """Call; return (result, seconds, ConvergenceWarning messages)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as found:
        warnings.simplefilter("always")
        start = time.perf_counter()
        result = function(*args, **kwargs)
        seconds = time.perf_counter() - start
    messages = [
        str(w.message) for w in found if issubclass(w.category, ConvergenceWarning)
    ]
    return result, seconds, messages


def to_jsonable(frame):
    """A pandas frame as a list of records, floats to 6 significant digits."""
    return json.loads(frame.to_json(orient="records", double_precision=6))
