"""Docs that run: every `console` block of the README is executed in one shell, in order, and each
command's shown output is checked; every CLI command is documented there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest

from cli import cli

pytestmark = pytest.mark.sqlite_only  # the README's walk uses the SQLite demo

README = Path(__file__).parents[2] / "README.md"


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)
    exit_code: int = 0


def steps() -> list[Step]:
    out: list[Step] = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                command = line[2:]
                code = re.search(r"#\s*exit (\d+)\s*$", command)
                out.append(Step(command, exit_code=int(code.group(1)) if code else 0))
            elif line.strip() and line.strip() != "...":
                out[-1].expected.append(line.rstrip())
    return out


def test_the_readme_walkthrough_runs_as_shown(tmp_path: Path) -> None:
    plan = steps()
    assert len(plan) > 10
    # Braces, not a subshell, so `export` carries on; the newline keeps a trailing comment harmless.
    script = "\n".join(
        f'echo "@@CMD {i}"\n{{ {s.command}\n}} 2>&1\necho "@@RC $?"' for i, s in enumerate(plan)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHENGGAI_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        # A guard against a hung command, not a speed test: some 50 commands, each a new Python
        # process, took over 300 s beside another test process (pytest-xdist) on a busy machine.
        timeout=1200,
        check=False,
    )
    chunks = re.split(r"^@@CMD \d+\n", result.stdout, flags=re.M)[1:]
    assert len(chunks) == len(plan), result.stdout + result.stderr
    for step, chunk in zip(plan, chunks, strict=True):
        body, _, rc = chunk.rpartition("@@RC ")
        assert int(rc) == step.exit_code, f"{step.command}\n{body}"
        lines = [line.rstrip() for line in body.splitlines()]
        position = 0
        for want in step.expected:  # in order, each a prefix of some output line
            while position < len(lines) and not lines[position].startswith(want):
                position += 1
            assert position < len(lines), f"{step.command}\nexpected: {want}\ngot:\n{body}"
            position += 1


def _commands(group: click.Group, prefix: str) -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names += _commands(command, f"{prefix} {name}")
        else:
            names.append(f"{prefix} {name}")
    return names


@pytest.mark.parametrize("command", _commands(cli, "zhenggai"))
def test_every_command_is_in_the_readme(command: str) -> None:
    text = README.read_text(encoding="utf-8")
    *parent, leaf = command.split()
    # Triggers are documented together: `zhenggai item assign|start|…`.
    assert f"`{command}" in text or re.search(rf"`{' '.join(parent)} [\w|\\-]*\b{leaf}\b", text), command
