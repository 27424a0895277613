"""The docs examples run and write their figure."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "docs" / "examples").glob("plot_*.py"))


def test_there_are_examples():
    assert EXAMPLES


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs_and_writes_its_figure(script, tmp_path):
    figure = tmp_path / f"{script.stem}.png"
    subprocess.run([sys.executable, str(script), str(figure)], check=True, timeout=300)
    assert figure.stat().st_size > 10_000
