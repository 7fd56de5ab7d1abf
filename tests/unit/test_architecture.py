"""The house rules are checked by a tool, and the tool is checked too: each import-linter contract in
pyproject.toml breaks when the code breaks the rule it states. The code map names only real packages."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
LINT = Path(sys.executable).parent / "lint-imports"

# One violation per contract, each appended to a copy of the code.
VIOLATIONS = {
    "states/colours.py": "from workflow import clock",
    "workflow/read/people.py": "import click",
    "workflow/read/rounds.py": "from workflow.items import store",
    "workflow/reminders/catalogue.py": "from workflow.reminders import text",
    "workflow/reports/document.py": "from workflow.reports import public",
}


def lint(tree: Path) -> str:
    result = subprocess.run(
        [str(LINT)], cwd=tree, env={"PYTHONPATH": str(tree)}, capture_output=True, text=True, check=False
    )
    return result.stdout + result.stderr


@pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed (make install)")
def test_every_layer_contract_holds_and_breaks_when_its_rule_is_broken(tmp_path: Path) -> None:
    assert "0 broken" in lint(ROOT)
    for part in ("states", "workflow", "cli.py", "pyproject.toml"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / part)
    for path, line in VIOLATIONS.items():
        with (tmp_path / path).open("a", encoding="utf-8") as f:
            f.write(f"\n{line}  # noqa\n")
    report = lint(tmp_path)
    contracts = len(
        re.findall(r"^\[\[tool\.importlinter\.contracts\]\]", (ROOT / "pyproject.toml").read_text(), re.M)
    )
    assert f"0 kept, {contracts} broken" in report, report


def test_the_code_map_names_only_packages_and_modules_that_exist() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:states|workflow)(?:/[a-z_]+)*/?(?:\.py)?)`", text))
    assert len(named) > 15  # the map names the packages, not just one or two
    missing = sorted(n for n in named if not (ROOT / n).exists())
    assert missing == []
