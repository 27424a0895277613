"""The benchmark package: every study's smoke run, its committed reports, its imports.

``benchmark_smoke`` (tests/conftest.py) is one ``python -m benchmarks run all
--smoke`` in the background, a few seconds per study, so that a change to the
library cannot silently break a benchmark. The committed reports must be what
the study's ``table`` makes of the committed rows, and no benchmark module may
reach into the library's private names, another study, or ``sys.path``.
"""

import ast
import json
from pathlib import Path

import pytest

from benchmarks.__main__ import main as benchmarks_main
from benchmarks.harness import RESULTS_DIR, mean_se, paired_gain, verdict
from benchmarks.harness.study import load_study, render_report, study_names

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
STUDIES = study_names()
COMMITTED = sorted(RESULTS_DIR.glob("*.json"))


def test_there_are_studies_and_results():
    assert len(STUDIES) >= 10
    assert COMMITTED


@pytest.mark.parametrize("name", STUDIES)
def test_study_follows_the_contract(name):
    module = load_study(name)
    doc = (module.__doc__ or "").strip().splitlines()
    assert len(doc) >= 5, f"{name}: the docstring must give a title and the protocol"
    assert "python -m benchmarks run " + name in module.__doc__, (
        f"{name}: the docstring must give the command that runs it"
    )
    assert isinstance(module.SMOKE, dict)
    assert callable(module.run)
    assert callable(module.table)


@pytest.mark.parametrize("name", STUDIES)
def test_smoke_run(benchmark_smoke, name):
    log = benchmark_smoke.log.read_text(errors="replace")
    json_path = benchmark_smoke.results / f"{name}.json"
    assert json_path.is_file(), f"no smoke result for {name}; log:\n{log[-5000:]}"
    saved = json.loads(json_path.read_text())
    meta, rows = saved["meta"], saved["rows"]
    assert "error" not in meta, meta.get("error")
    assert meta["smoke"] is True
    assert "finished" in meta
    assert rows, f"{name}: the smoke run produced no rows"
    report = (benchmark_smoke.results / f"{name}.md").read_text()
    assert report.startswith("# ")
    assert "SMOKE RUN" in report


def test_smoke_runs_all_succeed(benchmark_smoke):
    log = benchmark_smoke.log.read_text(errors="replace")
    assert benchmark_smoke.returncode == 0, log[-5000:]


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: path.stem)
def test_committed_report_is_rendered_from_its_rows(path):
    saved = json.loads(path.read_text())
    meta = saved["meta"]
    assert not meta.get("smoke"), f"{path.name} is a smoke run: not a result"
    assert "error" not in meta, f"{path.name} records a failed run"
    module = load_study(meta["study"])
    expected = render_report(module, meta, saved["rows"])
    assert path.with_suffix(".md").read_text() == expected, (
        f"{path.with_suffix('.md').name} is not what the study's table makes of "
        f"{path.name}: run python -m benchmarks report {meta['study']} "
        f"--name {path.stem}"
    )


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:  # the imported name may be a private module
                yield node.level, f"{node.module or ''}.{alias.name}".lstrip(".")


def _problems(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    in_studies = path.parent.name == "studies"
    for level, module in _imports(tree):
        parts = module.split(".")
        if parts[0] == "sktransfer" and any(p.startswith("_") for p in parts[1:]):
            yield f"imports the private {module}"
        if in_studies and (
            level == 1
            or module.startswith("benchmarks.studies")
            or (level == 2 and parts[0] == "studies")
        ):
            yield f"imports another study ({'.' * level}{module})"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "path"
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
            and path.name != "provenance.py"  # the package snapshot, one place
        ):
            yield "edits or reads sys.path"


def test_benchmarks_use_only_the_public_api_and_no_other_study():
    problems = [
        f"{path.relative_to(BENCHMARKS)}: {problem}"
        for path in sorted(BENCHMARKS.rglob("*.py"))
        if ".venvs" not in path.parts
        for problem in _problems(path)
    ]
    assert not problems, "\n".join(problems)


def test_unknown_study_is_a_usage_error(capsys):
    assert benchmarks_main(["run", "no_such_study", "--smoke"]) == 2
    err = capsys.readouterr().err
    assert "no_such_study" in err
    assert "kmm_fast_vs_exact" in err
    assert benchmarks_main(["frobnicate"]) == 2


def test_report_without_results_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m benchmarks run"):
        benchmarks_main(["report", "kmm_fast_vs_exact", "--out-dir", str(tmp_path)])


def test_paired_statistics():
    mean, se, n = paired_gain([0.8, 0.7, 0.9, float("nan")], [0.6, 0.7, 0.7, 0.5])
    assert n == 3
    assert mean == pytest.approx(0.2 / 3 + 0.2 / 3)
    assert se == pytest.approx(mean_se([0.2, 0.0, 0.2])[1])
    assert verdict(0.5, 0.1) == "win"
    assert verdict(-0.5, 0.1) == "loss"
    assert verdict(0.1, 0.1) == "tie"
    assert verdict(0.5, float("nan")) == "tie"
