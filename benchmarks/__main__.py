"""``python -m benchmarks``: list, run and report the studies.

::

    python -m benchmarks list
    python -m benchmarks run STUDY [--smoke] [study options]   # --help for them
    python -m benchmarks run STUDY STUDY ... --smoke [--out-dir DIR]
    python -m benchmarks run all --smoke --out-dir DIR
    python -m benchmarks report STUDY [--name NAME] [--out-dir DIR]
    python -m benchmarks peers [adapt] [skada]                 # build peer venvs
"""

import argparse
import json
import logging
import sys
import tempfile
import traceback
from pathlib import Path

from .harness import peers, provenance
from .harness.paths import RESULTS_DIR
from .harness.study import load_study, run_study, study_names, study_title, write_report

USAGE = __doc__.split("::", 1)[1]


def _setup_logging(verbose):
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )


def cmd_list(argv):
    for name in study_names():
        print(f"{name:24} {study_title(load_study(name))}")
    return 0


def _split_names(argv):
    names = []
    while argv and not argv[0].startswith("-"):
        names.append(argv.pop(0))
    if names == ["all"]:
        names = study_names()
    return names, argv


def cmd_run(argv):
    names, rest = _split_names(list(argv))
    if not names:
        print("usage: python -m benchmarks run STUDY [options]", file=sys.stderr)
        return 2
    unknown = [name for name in names if name not in study_names()]
    if unknown:
        print(
            f"unknown studies {unknown}; the studies are: {', '.join(study_names())}",
            file=sys.stderr,
        )
        return 2
    _setup_logging("--verbose" in rest)
    failed = []
    with tempfile.TemporaryDirectory(prefix="sktransfer-bench-") as tmp:
        snapshot = provenance.snapshot_package(tmp)
        for name in names:
            study_tmp = Path(tmp) / name
            study_tmp.mkdir()
            if len(names) == 1:
                run_study(load_study(name), rest, snapshot=snapshot, tmp=study_tmp)
                continue
            try:
                run_study(load_study(name), rest, snapshot=snapshot, tmp=study_tmp)
            except Exception:
                failed.append(name)
                logging.getLogger("benchmarks").error(
                    "%s failed:\n%s", name, traceback.format_exc()
                )
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def cmd_report(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks report")
    parser.add_argument("study", choices=study_names())
    parser.add_argument("--name", default=None, help="stem of the result files")
    parser.add_argument("--out-dir", default=str(RESULTS_DIR))
    args = parser.parse_args(argv)
    path = write_report(args.study, out_dir=args.out_dir, result_name=args.name)
    print(f"wrote {path}")
    return 0


def cmd_peers(argv):
    for name in argv or sorted(peers.PEERS):
        peers.ensure_peer_venv(name)
        print(json.dumps(peers.peer_info(name)))
    return 0


COMMANDS = {"list": cmd_list, "run": cmd_run, "report": cmd_report, "peers": cmd_peers}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage:{USAGE}", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
