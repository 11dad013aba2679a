"""``fastlog web`` as a user runs it: the real console script on loopback."""

from __future__ import annotations

import gzip
import signal
import socket
from pathlib import Path

import pytest

from tests.cli.helpers import run_fastlog
from tests.web.helpers import fastlog_web, wait_for

LINES = (
    b'{"timestamp":"2026-12-07T10:00:00.000000Z","level":"info","logger":"app","message":"one"}\n'
    b'{"timestamp":"2026-12-07T10:00:01.000000Z","level":"error","logger":"db","message":"two"}\n'
)


def test_prints_its_url_and_serves_the_files(tmp_path: Path) -> None:
    """The first stdout line is the loopback URL; /api/info describes the named file."""
    log = tmp_path / "app.log"
    log.write_bytes(LINES)
    with fastlog_web(str(log)) as server:
        assert server.url.startswith("http://127.0.0.1:")
        info = server.json("/api/info")
    assert info == {
        "files": [str(log)],
        "records": 2,
        "first": "2026-12-07T10:00:00Z",
        "last": "2026-12-07T10:00:01Z",
        "levels": ["info", "error"],
        "loggers": ["app", "db"],
        "fields": [],
        "live": True,
    }


def test_missing_dependency_is_a_one_line_hint(tmp_path: Path) -> None:
    """Without starlette: the install hint on one line, exit 3, no traceback."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "starlette.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'starlette'\", name='starlette')\n"
    )
    log = tmp_path / "app.log"
    log.write_bytes(LINES)
    done = run_fastlog("web", str(log), PYTHONPATH_FIRST=str(shadow))
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr == (
        "fastlog: web needs starlette and uvicorn (starlette is missing): "
        'pip install "fastlog-py[web]"\n'
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "fastlog: error: --port 70000: expected 0 (a free port) to 65535\n"),
        (
            ["--token", "short"],
            "fastlog: error: --token: expected at least 8 of A-Z a-z 0-9 - _ . ~ "
            "(got 5 characters)\n",
        ),
        (
            ["--token", "has spaces in it"],
            "fastlog: error: --token: expected at least 8 of A-Z a-z 0-9 - _ . ~ "
            "(got 16 characters)\n",
        ),
    ],
)
def test_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    """A bad option is exit 2 with a message naming it and what it accepts."""
    log = tmp_path / "app.log"
    log.write_bytes(LINES)
    done = run_fastlog("web", *args, str(log))
    assert (done.returncode, done.stdout, done.stderr) == (2, "", message)


def test_port_in_use(tmp_path: Path) -> None:
    """--port N already taken: exit 2 saying so."""
    log = tmp_path / "app.log"
    log.write_bytes(LINES)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_fastlog("web", "--port", str(port), str(log))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"fastlog: error: --host 127.0.0.1 --port {port}: cannot listen there: "
        "Address already in use\n"
    )


def test_given_port_unreadable_input_gzip_and_no_follow(tmp_path: Path) -> None:
    """--port is used; an unreadable input is reported and skipped; a .gz input is read;
    --no-follow serves a fixed set of records."""
    (tmp_path / "app.log.1.gz").write_bytes(gzip.compress(LINES))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    missing = str(tmp_path / "missing.log")
    with fastlog_web(
        "--no-follow", "--port", str(port), missing, str(tmp_path / "app.log.1.gz")
    ) as server:
        assert server.url == f"http://127.0.0.1:{port}/"
        info = server.json("/api/info")
        wait_for(
            lambda: server.stderr_lines[:1] == [f"fastlog: {missing}: No such file or directory\n"]
        )
    assert (info["files"], info["records"], info["live"]) == (
        [missing, str(tmp_path / "app.log.1.gz")],
        2,
        False,
    )


def test_interrupt_stops_the_server(tmp_path: Path) -> None:
    """SIGINT ends the server (exit 130, as for any interrupted fastlog command)."""
    log = tmp_path / "app.log"
    log.write_bytes(LINES)
    with fastlog_web(str(log)) as server:
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=15) == 130
        wait_for(lambda: server.stderr_lines == ["fastlog web: 2 records indexed\n"])


def test_listed_in_help() -> None:
    """``fastlog --help`` lists the web subcommand."""
    assert "web" in run_fastlog("--help").stdout.split("examples:")[0]
    usage = run_fastlog("web", "--help").stdout
    assert "--host HOST" in usage and "--token TOKEN" in usage and "--open" in usage


def test_open_launches_the_browser_on_the_url(tmp_path: Path) -> None:
    """--open hands the printed URL to the browser ($BROWSER, as webbrowser reads it)."""
    log = tmp_path / "app.log"
    log.write_bytes(LINES)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(
        f'#!/bin/sh\nprintf "%s" "$1" > {opened}.part && mv {opened}.part {opened}\n'
    )
    browser.chmod(0o755)
    with fastlog_web("--open", str(log), BROWSER=f"{browser} %s") as server:
        wait_for(opened.exists, what="the browser to be launched")
        assert opened.read_text() == server.url
