"""The console script on a terminal (pager, colours), on pipes (broken pipe, live stdin)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import finishes

from .helpers import FASTLOG, env, run_fastlog, write_fastlog

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pty and SIGPIPE are POSIX")


@pytest.fixture(scope="module")
def app_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("term") / "app.log"
    write_fastlog(path)
    return path


def _on_a_terminal(*args: str, **extra: str) -> tuple[int, bytes]:
    main, child = pty.openpty()
    done = subprocess.Popen(
        [str(FASTLOG), *args],
        stdout=child,
        stderr=child,
        stdin=subprocess.DEVNULL,
        env=env(**extra),
    )
    os.close(child)
    out = b""
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        out += data
    os.close(main)
    return done.wait(timeout=60), out


def test_a_terminal_gets_colours_through_the_pager(app_log: Path, tmp_path: Path) -> None:
    seen = tmp_path / "pager-env"
    # The pager: a shell command that records LESS and copies its input to the terminal.
    pager = f"sh -c 'echo \"LESS=$LESS\" > {seen}; cat'"
    code, out = _on_a_terminal("-l", "warning", str(app_log), PAGER=pager)
    assert code == 0
    assert seen.read_text() == "LESS=FRX\n"
    assert out.replace(b"\r\n", b"\n").startswith(
        b"\x1b[2m10:00:00.000000\x1b[0m \x1b[33mWARNING \x1b[0m app.payments  slow  "
    )
    code, out = _on_a_terminal(
        "--no-pager", "-l", "warning", str(app_log), PAGER=pager, NO_COLOR="1"
    )
    assert not seen.unlink() and code == 0
    assert out.replace(b"\r\n", b"\n").startswith(b"10:00:00.000000 WARNING  app.payments  slow")


def test_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    path = tmp_path / "many.log"
    line = (
        b'{"timestamp":"2026-12-07T10:00:00.000000Z","level":"info","logger":"a","message":"m"}\n'
    )
    path.write_bytes(line * 200_000)
    for args in ([str(path)], ["-l", "info", str(path)]):
        reader = subprocess.Popen(
            [str(FASTLOG), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env()
        )
        assert reader.stdout is not None and reader.stderr is not None
        assert reader.stdout.readline() == b"10:00:00.000000 INFO     a  m\n"
        reader.stdout.close()
        assert reader.wait(timeout=60) == 141
        assert reader.stderr.read() == b""


def test_standard_input_is_shown_as_it_arrives() -> None:
    proc = subprocess.Popen(
        [str(FASTLOG), "-", "--color", "never"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(b'{"level":"info","msg":"first"}\n')
        proc.stdin.flush()
        # The first line comes out while the input is still open.
        first = finishes(proc.stdout.readline, message="the first line before EOF")
        assert first == b" INFO       first\n"
        proc.stdin.write(b"not json\n")
        proc.stdin.close()
        assert proc.stdout.read() == b"not json\n"
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait()


def test_view_is_the_default_and_python_m_works(app_log: Path) -> None:
    assert run_fastlog("view", str(app_log)).stdout == run_fastlog(str(app_log)).stdout != ""
    done = subprocess.run(
        [sys.executable, "-m", "fastlog_cli", "-l", "error", "--raw", str(app_log)],
        capture_output=True,
        env=env(),
        check=False,
        timeout=60,
    )
    assert done.stdout == app_log.read_bytes().splitlines(keepends=True)[3]
    view_help = run_fastlog("view", "--help").stdout
    assert "examples:\n  fastlog app.log\n" in view_help
    assert "--trace-id ID" in view_help
