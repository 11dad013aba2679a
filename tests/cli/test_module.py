"""``python -m fastlog_core`` runs the ``fastlog`` command (issue 21)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .helpers import env, write_fastlog


def run_module(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastlog_core", *args],
        capture_output=True,
        text=True,
        env=env(**extra),
        timeout=120,
        check=False,
    )


def test_help_and_view(tmp_path: Path) -> None:
    done = run_module("--help")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: fastlog [-h] [--version] COMMAND ...\n")
    log = tmp_path / "app.log"
    write_fastlog(log)
    done = run_module("view", "--color", "never", "-l", "warning", str(log))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[:2] == [
        "10:00:00.000000 WARNING  app.payments  slow  ms=812 path=/api/pay",
        "10:00:00.000000 ERROR    app.payments  charge failed  order_id=1",
    ]
    done = run_module("view", "--color", "blue", str(log))  # the command's own exit codes
    assert done.returncode == 2


def test_without_the_command_one_line_and_exit_1(tmp_path: Path) -> None:
    """A fastlog_cli that cannot be imported (shadowed here by a broken one): one line, no
    traceback."""
    broken = tmp_path / "shadow" / "fastlog_cli"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError(\"No module named 'duckdb'\")\n")
    done = run_module("--help", PYTHONPATH_FIRST=str(broken.parent))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "fastlog: the fastlog command is not available (No module named 'duckdb')\n"
    )
