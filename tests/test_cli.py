"""The command line and the demo experiment."""

import subprocess
import sys
from pathlib import Path

import pytest

from sktransfer import _demo
from sktransfer.cli import main


def test_demo_prints_baselines_table(capsys):
    assert main(["demo", "--repeats", "2", "--quiet", "--target-labels", "0.02"]) == 0
    out = capsys.readouterr().out
    for method in ("source only", "target only", "pooled", "TrAdaBoost"):
        assert method in out
    assert "accuracy (mean ± std)" in out
    assert "fit time (s)" in out


def test_demo_reports_progress_by_default(capsys):
    main(["demo", "--repeats", "1"])
    err = capsys.readouterr().err
    assert "repeat 1/1" in err


def test_run_demo_scores_are_sane_and_deterministic():
    first = _demo.run_demo("mushroom", target_labels=0.02, seed=3, repeats=2)
    second = _demo.run_demo("mushroom", target_labels=0.02, seed=3, repeats=2)
    for a, b in zip(first, second):
        assert a["scores"] == b["scores"]
        assert all(0.5 < s <= 1.0 for s in a["scores"])
        assert len(a["fit_times"]) == 2


def test_run_demo_credit_uses_auc(monkeypatch):
    baselines = [method for method in _demo.METHODS if method.baseline]
    monkeypatch.setattr(_demo, "METHODS", baselines)
    rows = _demo.run_demo("credit", target_labels=0.05, repeats=1)
    assert rows[0]["metric"] == "ROC AUC"
    assert all(0.5 < row["scores"][0] < 1.0 for row in rows)


def test_adding_a_method_is_one_entry(monkeypatch):
    extra = _demo.Method(
        "also source", lambda base: _demo.LabeledOnly(base, domains="source")
    )
    monkeypatch.setattr(_demo, "METHODS", [*_demo.METHODS, extra])
    rows = _demo.run_demo("mushroom", target_labels=0.02, repeats=3)
    assert rows[-1]["method"] == "also source"
    last_line = _demo.format_table(rows).splitlines()[-1]
    assert last_line.startswith("also source")
    # Source only is far below the target-labeled baselines on this split.
    assert "negative transfer" in last_line


def test_flag_follows_paired_gain():
    best = {"baseline": True, "scores": [0.80, 0.82, 0.84]}
    better = {"baseline": False, "scores": [0.85, 0.87, 0.89]}
    noisy = {"baseline": False, "scores": [0.79, 0.84, 0.83]}
    assert _demo._gain_and_flag(better, best) == ("+0.0500", "gain")
    assert _demo._gain_and_flag(noisy, best)[1] == "within noise"
    assert _demo._gain_and_flag(best, best) == ("", "")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dataset": "iris"}, "Unknown dataset"),
        ({"target_labels": 0.6}, "fraction in"),
        ({"repeats": 0}, "at least 1"),
    ],
)
def test_run_demo_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _demo.run_demo(**kwargs)


@pytest.mark.parametrize(
    "argv", [["demo", "--target-labels", "0.7"], ["demo", "--repeats", "0"]]
)
def test_cli_rejects_bad_options(argv, capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(argv)
    assert excinfo.value.code == 2
    assert "must be" in capsys.readouterr().err


def test_help_lists_options():
    result = subprocess.run(
        [sys.executable, "-m", "sktransfer", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in ("--dataset", "--target-labels", "--seed", "--repeats"):
        assert option in result.stdout


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "sktransfer"
    if not script.exists():
        pytest.skip(
            "sktransfer is not installed in this environment (pip install -e .)"
        )
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "demo" in result.stdout
