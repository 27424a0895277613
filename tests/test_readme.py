"""The README's commands and quick start stay true."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _blocks(language):
    text = (ROOT / "README.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_readme_has_exactly_two_commands():
    commands = [block.strip() for block in _blocks("bash")]
    assert len(commands) == 2
    demo, tests = commands
    assert demo.endswith("sktransfer demo")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = _blocks("bash")[1].strip()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_quick_start_runs():
    (code,) = _blocks("python")
    exec(compile(code, "README quick start", "exec"), {})
