"""What a real terminal receives: the CLI run as a process whose stdout and stderr are a pseudo-terminal
(and, for comparison, pipes). Click strips ANSI sequences only when the stream is not a terminal, and
CliRunner is not one, so only a real stream shows whether a person's text reaches the terminal raw.

No stdout or stderr may carry a control character (C0 but tab and line breaks, DEL, C1 such as the
single-byte CSI U+009B): an error that repeats what was typed shows it escaped (\\x1b), not obeyed."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys

import pytest

from tests.backends import fresh_url

# \r is what the terminal's line discipline makes of \n; everything else below space is a control.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
HOSTILE = "甲\x1b[2J乙\x9b3m丙"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("tty")
    address = fresh_url(folder)
    done = subprocess.run(_command(address, "init", "--admin", "镇整改办"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return address


def _command(url: str, *args: str) -> list[str]:
    code = "import sys, cli; sys.argv[0] = 'zhenggai'; cli.main()"
    return [sys.executable, "-c", code, "--db", url, "--now", "2025-01-10T10:00", *args]


def on_a_terminal(url: str, *args: str) -> tuple[int, str]:
    """Run with stdout and stderr on one pseudo-terminal; what the terminal was sent, decoded."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        _command(url, *args), stdin=subprocess.DEVNULL, stdout=follower, stderr=follower
    )
    os.close(follower)
    received = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the process closed its side
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    return process.wait(timeout=60), received.decode("utf-8")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["board", "--round", HOSTILE], "没有名为「甲\\x1b[2J乙\\x9b3m丙」的巡察轮次"),
        (["rule", "list", "--round", HOSTILE], "没有名为「甲\\x1b[2J乙\\x9b3m丙」的巡察轮次"),
        (["board", "--rou\x1bnd", "x"], "No such option '--rou\\x1bnd'"),
    ],
    ids=["board-round", "rule-list-round", "unknown-option"],
)
def test_an_error_repeating_typed_text_reaches_the_terminal_escaped(
    url: str, args: list[str], reason: str
) -> None:
    code, shown = on_a_terminal(url, *args)
    assert code in (1, 2)
    assert reason in shown, shown
    assert _CONTROL.search(shown) is None, repr(shown)


def test_pipes_carry_no_control_character_either(url: str) -> None:
    done = subprocess.run(_command(url, "board", "--round", HOSTILE), capture_output=True)
    assert done.returncode == 1 and done.stdout == b""
    stderr = done.stderr.decode("utf-8")
    assert "甲\\x1b[2J乙\\x9b3m丙" in stderr
    assert _CONTROL.search(stderr.replace("\r", "")) is None, repr(stderr)


def test_the_control_a_plain_error_is_unchanged_on_the_terminal(url: str) -> None:
    code, shown = on_a_terminal(url, "board", "--round", "第九轮")
    assert code == 1 and "没有名为「第九轮」的巡察轮次" in shown
