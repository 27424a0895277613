"""The docs examples run and draw their figures.

The docs build (the ``docs_build`` fixture of ``tests/conftest.py``) runs each
example once through sphinx-gallery; these tests check what it rendered: a page
per example with its figures, its printed output and its run time. With
``SKTRANSFER_SKIP_DOCS_BUILD=1`` there is no build, and each example runs as a
script instead (``python docs/examples/plot_x.py figure.png``).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "docs" / "examples").glob("plot_*.py"))
QUICKEST = "plot_tca_embedding"  # a few seconds


def test_there_are_examples():
    assert EXAMPLES


def _run_as_script(script, figure):
    subprocess.run(
        [sys.executable, str(script), str(figure)],
        check=True,
        timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert figure.stat().st_size > 10_000


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs_and_draws_its_figure(script, docs_build, tmp_path):
    if docs_build is None:  # the docs build is skipped: run the script itself
        _run_as_script(script, tmp_path / f"{script.stem}.png")
        return
    assert docs_build.returncode == 0, f"the docs build failed: {docs_build.log}"
    page = docs_build.html / "auto_examples" / f"{script.stem}.html"
    assert page.is_file(), f"the gallery has no page for {script.name}"
    html = page.read_text()
    images = re.findall(rf'src="\.\./_images/(sphx_glr_{script.stem}_\d+\.png)"', html)
    assert images, f"{page.name} shows no figure"
    for image in images:
        assert (docs_build.html / "_images" / image).stat().st_size > 10_000
    assert "Total running time of the script" in html  # executed, not just shown
    assert "Traceback" not in html


def test_an_example_runs_as_a_script(tmp_path):
    """The gallery shows the figure it captures; as a script, it is written."""
    (script,) = (path for path in EXAMPLES if path.stem == QUICKEST)
    _run_as_script(script, tmp_path / "figure.png")
