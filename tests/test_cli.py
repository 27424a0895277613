"""The command line and the demo experiment."""

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sktransfer import _demo
from sktransfer.cli import main


@pytest.fixture
def baselines_only(monkeypatch):
    """Only the no-transfer rows: the demo's protocol without the slow fits."""
    baselines = [method for method in _demo.METHODS if method.baseline]
    monkeypatch.setattr(_demo, "METHODS", baselines)
    return baselines


@pytest.fixture
def restore_root_logger():
    """Undo ``main``'s ``logging.basicConfig``, whose handler holds capsys's stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_full_demo_scores_every_method():
    # The one run of every method (the others use the baselines only).
    rows = _demo.run_demo("mushroom", target_labels=0.02, seed=3, repeats=1)
    assert [row["method"] for row in rows] == [m.name for m in _demo.METHODS]
    # Mushroom's domains are split by a feature (stalk shape), so the density
    # ratio is 0 on every source row; the domain classifier says so.
    refused = {row["method"]: row["refused"] for row in rows if row["refused"]}
    assert list(refused) == ["discriminative reweighting"]
    assert "do not overlap" in refused["discriminative reweighting"]
    for row in rows:
        if row["refused"]:
            assert row["scores"] == row["fit_times"] == []
            continue
        assert len(row["scores"]) == len(row["fit_times"]) == 1
        assert 0.5 < row["scores"][0] <= 1.0, row
    table = _demo.format_table(rows).splitlines()
    assert re.search(
        r"discriminative reweighting +refused: The domains do not overlap",
        "\n".join(table),
    )
    assert [line.split("  ")[0] for line in table[2:]] == [
        m.name for m in _demo.METHODS
    ]


def test_demo_prints_baselines_table(baselines_only, capsys):
    assert main(["demo", "--repeats", "2", "--quiet", "--target-labels", "0.02"]) == 0
    captured = capsys.readouterr()
    for method in baselines_only:
        assert method.name in captured.out
    assert "accuracy (mean ± std)" in captured.out
    assert "fit time (s)" in captured.out
    assert "2 repeats from seed 0" in captured.out
    assert captured.err == ""


def test_demo_reports_progress_by_default(baselines_only, capsys, restore_root_logger):
    main(["demo", "--repeats", "1"])
    err = capsys.readouterr().err
    assert "repeat 1/1  source only: accuracy" in err


def test_run_demo_scores_are_sane_and_deterministic(baselines_only):
    first = _demo.run_demo("mushroom", target_labels=0.02, seed=3, repeats=2)
    second = _demo.run_demo("mushroom", target_labels=0.02, seed=3, repeats=2)
    other_seed = _demo.run_demo("mushroom", target_labels=0.02, seed=4, repeats=2)
    assert len(first) == len(baselines_only)
    for a, b in zip(first, second):
        assert a["scores"] == b["scores"]
        assert all(0.5 < s <= 1.0 for s in a["scores"])
        assert len(a["fit_times"]) == 2
    # seed + r seeds repeat r: seed 4's first repeat is seed 3's second.
    assert first[1]["scores"][1] == other_seed[1]["scores"][0]


def test_run_demo_credit_uses_auc(baselines_only):
    rows = _demo.run_demo("credit", target_labels=0.05, repeats=1)
    assert rows[0]["metric"] == "ROC AUC"
    assert all(0.5 < row["scores"][0] < 1.0 for row in rows)


def test_adding_a_method_is_one_entry(baselines_only, monkeypatch):
    extra = _demo.Method(
        "also source", lambda base: _demo.LabeledOnly(base, domains="source")
    )
    monkeypatch.setattr(_demo, "METHODS", [*baselines_only, extra])
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
        ({"dataset": "iris"}, r"'dataset' .* a str among .*'mushroom'.* Got 'iris'"),
        ({"target_labels": 0.6}, r"'target_labels' .* in the range \(0.0, 0.5\)"),
        ({"target_labels": float("nan")}, r"'target_labels' .* range \(0.0, 0.5\)"),
        ({"repeats": 0}, r"'repeats' .* in the range \[1, inf\)"),
        ({"repeats": 1.5}, r"'repeats' .* an int"),
        ({"seed": -1}, r"'seed' .* in the range \[0, 4294967295\]"),
        ({"seed": 2**32 - 2, "repeats": 3}, "use a seed of at most 4294967293"),
    ],
)
def test_run_demo_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _demo.run_demo(**kwargs)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--seed", "-1"], "--seed: must be an integer in [0, 4294967295]; got -1"),
        (["--seed", "x"], "--seed: must be an integer in [0, 4294967295]; got 'x'"),
        (
            ["--seed", "4294967295", "--repeats", "2"],
            "--seed: seed 4294967295 with 2 repeats seeds the last repeat with "
            "4294967296, above the largest seed 4294967295; use a seed of at most "
            "4294967294.",
        ),
        (["--repeats", "0"], "--repeats: must be an integer of at least 1; got 0"),
        (["--repeats", "-3"], "--repeats: must be an integer of at least 1; got -3"),
        (
            ["--repeats", "2.5"],
            "--repeats: must be an integer of at least 1; got '2.5'",
        ),
        (["--target-labels", "0.7"], "--target-labels: must be a fraction in (0, 0.5)"),
        (["--target-labels", "0"], "--target-labels: must be a fraction in (0, 0.5)"),
        (
            ["--target-labels", "-0.1"],
            "--target-labels: must be a fraction in (0, 0.5)",
        ),
        (["--target-labels", "nan"], "--target-labels: must be a fraction in (0, 0.5)"),
        (["--target-labels", "ten"], "--target-labels: must be a fraction in (0, 0.5)"),
        (["--dataset", "iris"], "--dataset: invalid choice: 'iris'"),
    ],
)
def test_cli_rejects_bad_options(options, message, capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["demo", *options])
    assert excinfo.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: sktransfer demo")
    assert f"sktransfer demo: error: argument {message}" in err


def test_bad_seed_exits_with_a_usage_error_not_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "sktransfer", "demo", "--seed", "-1"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "argument --seed: must be an integer in [0, 4294967295]" in result.stderr


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
