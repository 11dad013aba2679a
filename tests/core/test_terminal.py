"""Unconfigured stdout: console lines on a terminal, JSON elsewhere; ``FASTLOG_FORMAT``.

The terminal is a real pseudo-terminal (``os.openpty``) given to a child process as its stdout;
the child's bytes are read from the master side exactly as a terminal would get them (the
line discipline turns ``\\n`` into ``\\r\\n``). The clock is the only part that varies: it is
replaced by ``HH:MM:SS.ffffff`` (console) or ``TIME`` (JSON) before comparing the bytes.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fastlog_core
from fastlog_core import _registry
from tests.helpers import child_env

CLOCK = re.compile(rb"\d\d:\d\d:\d\d\.\d{6}")
STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
DIM, RESET, GREEN, YELLOW, RED = b"\x1b[2m", b"\x1b[0m", b"\x1b[32m", b"\x1b[33m", b"\x1b[31m"

#: The native API, unconfigured: a DEBUG call (below the default level), a record with a
#: field, a print() between, then a WARNING.
NATIVE = """
    import fastlog_core
    log = fastlog_core.get_logger("app")
    log.debug("hidden")
    log.info("hello", user="ann")
    print("between", flush=True)
    log.warning("careful")
"""


def run(code: str, *, tty: bool, env: dict[str, str] | None = None) -> tuple[bytes, bytes]:
    """Run *code* in a child with stdout on a pseudo-terminal (*tty*) or a pipe; its stdout
    (clock masked) and stderr."""
    environ = child_env(**(env or {}))
    for name in ("FASTLOG_FORMAT", "NO_COLOR"):
        if env is None or name not in env:
            environ.pop(name, None)
    argv = [sys.executable, "-c", textwrap.dedent(code)]
    if not tty:
        done = subprocess.run(argv, capture_output=True, env=environ, timeout=60, check=True)
        return mask(done.stdout), done.stderr
    master, slave = os.openpty()
    try:
        child = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE, env=environ
        )
    finally:
        os.close(slave)
    out = bytearray()
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError as exc:  # Linux: EIO once the child's side is closed
                if exc.errno != errno.EIO:
                    raise
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    assert child.stderr is not None
    err = child.stderr.read()
    assert child.wait(timeout=60) == 0, err
    return mask(bytes(out)), err


def mask(data: bytes) -> bytes:
    return CLOCK.sub(b"HH:MM:SS.ffffff", STAMP.sub(b"TIME", data))


def console(level: bytes, color: bytes, logger: str, message: str, fields: str = "") -> bytes:
    """One coloured console line as the terminal gets it."""
    head = (
        DIM + b"HH:MM:SS.ffffff" + RESET + b" " + color + level.ljust(8) + RESET
        + f" {logger}  {message}".encode()
    )  # fmt: skip
    if fields:
        head += b"  " + DIM + fields.encode() + RESET
    return head + b"\r\n"


NATIVE_CONSOLE = (
    console(b"INFO", GREEN, "app", "hello", "user=ann")
    + b"between\r\n"
    + console(b"WARNING", YELLOW, "app", "careful")
)
NATIVE_JSON = (
    b'{"timestamp":"TIME","level":"info","logger":"app","message":"hello","user":"ann"}\n'
    b"between\n"
    b'{"timestamp":"TIME","level":"warning","logger":"app","message":"careful"}\n'
)


class TestUnconfigured:
    def test_console_in_call_order_on_a_terminal(self) -> None:
        """On a terminal: the dev preset's coloured console lines, in call order with
        ``print()``."""
        out, err = run(NATIVE, tty=True)
        assert out == NATIVE_CONSOLE
        assert err == b""

    def test_no_color_on_a_terminal(self) -> None:
        """``NO_COLOR`` set (no-color.org): the same console lines without colour."""
        out, err = run(NATIVE, tty=True, env={"NO_COLOR": "1"})
        assert out == (
            b"HH:MM:SS.ffffff INFO     app  hello  user=ann\r\n"
            b"between\r\n"
            b"HH:MM:SS.ffffff WARNING  app  careful\r\n"
        )
        assert err == b""

    def test_json_when_piped(self) -> None:
        """stdout a pipe (a container, ``| jq``): JSON lines, as always."""
        out, err = run(NATIVE, tty=False)
        # The writer thread writes at exit, after the print().
        assert sorted(out.splitlines()) == sorted(NATIVE_JSON.splitlines())
        assert err == b""

    def test_json_to_a_file(self, tmp_path: Path) -> None:
        """stdout redirected to a file: JSON lines."""
        target = tmp_path / "out.log"
        code = f"""
            import os, sys
            fd = os.open({str(target)!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            import fastlog_core
            fastlog_core.get_logger("app").info("to a file")
        """
        run(code, tty=True)
        assert mask(target.read_bytes()) == (
            b'{"timestamp":"TIME","level":"info","logger":"app","message":"to a file"}\n'
        )

    def test_configure_without_a_format_choice(self) -> None:
        """``configure()`` with a level but no preset, format or encoder is still unconfigured
        as to the format: console on a terminal, at the level given."""
        code = """
            import fastlog_core
            fastlog_core.configure(level="debug")
            fastlog_core.get_logger("app").debug("shown")
        """
        out, _ = run(code, tty=True)
        assert out == console(b"DEBUG", DIM, "app", "shown")

    @pytest.mark.parametrize(
        "call",
        [
            'configure(preset="balanced")',
            'configure(format="json")',
            'configure(encoder="json")',
            'configure(sink={"sink": "stdout", "encoder": "json"})',
        ],
    )
    def test_a_chosen_format_is_kept(self, call: str) -> None:
        """A preset, ``format`` or ``encoder`` given in code is a choice: JSON on a terminal
        too."""
        code = f"""
            import fastlog_core
            fastlog_core.{call}
            fastlog_core.get_logger("app").error("chosen")
        """
        out, _ = run(code, tty=True)
        assert out == (
            b'{"timestamp":"TIME","level":"error","logger":"app","message":"chosen"}\r\n'
        )

    def test_only_the_terminal_gets_console_lines(self, tmp_path: Path) -> None:
        """stdout and a file as one destination: console on the terminal, JSON in the file."""
        path = tmp_path / "app.log"
        code = f"""
            import fastlog_core
            fastlog_core.configure(sink=["stdout", {str(path)!r}])
            fastlog_core.get_logger("app").error("both", n=1)
        """
        out, _ = run(code, tty=True)
        assert out == console(b"ERROR", RED, "app", "both", "n=1")
        assert mask(path.read_bytes()) == (
            b'{"timestamp":"TIME","level":"error","logger":"app","message":"both","n":1}\n'
        )

    def test_stderr_on_a_terminal(self) -> None:
        """``sink="stderr"`` follows the same rule as stdout (here: stderr is a pipe)."""
        code = """
            import fastlog_core
            fastlog_core.configure(sink="stderr")
            fastlog_core.get_logger("app").info("on stderr")
        """
        _, err = run(code, tty=True)
        assert mask(err) == (
            b'{"timestamp":"TIME","level":"info","logger":"app","message":"on stderr"}\n'
        )


class TestAdapters:
    def test_every_default_destination_on_a_terminal(self) -> None:
        """The stdlib handler, structlog's ``configure()``, the loguru sink and the native API
        without a destination all write to the default stdout: console lines, one order."""
        code = """
            import logging
            import fastlog_core, fastlog_structlog, structlog
            from fastlog_stdlib import FastlogHandler
            from fastlog_loguru import FastlogSink
            from loguru import logger

            logging.basicConfig(handlers=[FastlogHandler()], level=logging.INFO, force=True)
            fastlog_structlog.configure()
            logger.remove()
            logger.add(FastlogSink(), level="INFO")

            logging.getLogger("std").info("from stdlib")
            structlog.get_logger("sl").info("from structlog", k=1)
            logger.bind(k=2).info("from loguru")
            fastlog_core.get_logger("native").info("from fastlog")
        """
        out, err = run(code, tty=True)
        assert out == (
            console(b"INFO", GREEN, "std", "from stdlib")
            + console(b"INFO", GREEN, "sl", "from structlog", "k=1")
            + console(b"INFO", GREEN, "__main__", "from loguru", "k=2")
            + console(b"INFO", GREEN, "native", "from fastlog")
        )
        assert err == b""

    def test_every_default_destination_piped(self) -> None:
        """The same program piped: JSON lines from each."""
        code = """
            import logging
            import fastlog_structlog, structlog
            from fastlog_stdlib import FastlogHandler
            from fastlog_loguru import FastlogSink
            from loguru import logger

            logging.basicConfig(handlers=[FastlogHandler()], level=logging.INFO, force=True)
            fastlog_structlog.configure()
            logger.remove()
            logger.add(FastlogSink(), level="INFO")
            logging.getLogger("std").info("from stdlib")
            structlog.get_logger("sl").info("from structlog")
            logger.info("from loguru")
        """
        out, _ = run(code, tty=False)
        assert out == (
            b'{"timestamp":"TIME","level":"info","logger":"std","message":"from stdlib"}\n'
            b'{"timestamp":"TIME","level":"info","logger":"sl","message":"from structlog"}\n'
            b'{"timestamp":"TIME","level":"info","logger":"__main__","message":"from loguru"}\n'
        )


class TestEnvironment:
    def test_json_forced_on_a_terminal(self) -> None:
        """``FASTLOG_FORMAT=json``: JSON on a terminal (still written in call order)."""
        out, _ = run(NATIVE, tty=True, env={"FASTLOG_FORMAT": "json"})
        assert out == NATIVE_JSON.replace(b"\n", b"\r\n")

    def test_console_forced_when_piped(self) -> None:
        """``FASTLOG_FORMAT=console`` (any case, blanks ignored): console lines without colours
        where stdout is not a terminal."""
        out, _ = run(NATIVE, tty=False, env={"FASTLOG_FORMAT": " Console "})
        assert sorted(out.splitlines()) == sorted(
            [
                b"between",
                b"HH:MM:SS.ffffff INFO     app  hello  user=ann",
                b"HH:MM:SS.ffffff WARNING  app  careful",
            ]
        )

    def test_empty_is_unset(self) -> None:
        """``FASTLOG_FORMAT=`` (empty) is the terminal test."""
        out, _ = run(NATIVE, tty=True, env={"FASTLOG_FORMAT": ""})
        assert out == NATIVE_CONSOLE

    def test_a_chosen_format_wins_over_the_variable(self) -> None:
        """The variable decides only what code left open: ``format="json"`` stays JSON."""
        code = """
            import fastlog_core
            fastlog_core.configure(format="json")
            fastlog_core.get_logger("app").info("code decides")
        """
        out, _ = run(code, tty=False, env={"FASTLOG_FORMAT": "console"})
        assert out == (
            b'{"timestamp":"TIME","level":"info","logger":"app","message":"code decides"}\n'
        )

    def test_bad_value_fails_configure(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A bad value is a ConfigError from ``configure()`` naming the variable and the
        accepted values (the destination is stdout)."""
        monkeypatch.setenv("FASTLOG_FORMAT", "yaml")
        with pytest.raises(fastlog_core.ConfigError) as caught:
            fastlog_core.configure(level="info")
        assert str(caught.value) == (
            "FASTLOG_FORMAT='yaml': expected one of json, console "
            "(or unset: console on a terminal, JSON elsewhere)"
        )

    def test_bad_value_unconfigured_warns_and_writes_json(self) -> None:
        """Unconfigured (no call that could raise): one warning on stderr, then JSON."""
        out, err = run(NATIVE, tty=True, env={"FASTLOG_FORMAT": "yaml"})
        assert out == NATIVE_JSON.replace(b"\n", b"\r\n")
        assert err == (
            b"fastlog: config: FASTLOG_FORMAT='yaml': expected one of json, console "
            b"(or unset: console on a terminal, JSON elsewhere); writing JSON\n"
        )


class TestSharedDestination:
    """The automatic format gives way to one chosen by any entry point (the environment
    variable stands in for a terminal here: the same decision)."""

    def test_an_adapter_choice_replaces_the_automatic_format(
        self, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """After ``configure()`` gave stdout console lines automatically, a handler asking
        for JSON on stdout is no conflict: JSON from then on."""
        from fastlog_stdlib import FastlogHandler

        monkeypatch.setenv("FASTLOG_FORMAT", "console")
        fastlog_core.configure(level="info")
        log = fastlog_core.get_logger("app")
        log.info("console")
        assert fastlog_core.flush(timeout=10)
        FastlogHandler(sink="stdout", format="json")
        log.info("json")
        assert fastlog_core.flush(timeout=10)
        out = mask(capfd.readouterr().out.encode())
        assert out == (
            b"HH:MM:SS.ffffff INFO     app  console\n"
            b'{"timestamp":"TIME","level":"info","logger":"app","message":"json"}\n'
        )

    def test_an_automatic_request_shares_a_chosen_format(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A request that leaves the format open keeps the destination's chosen one."""
        monkeypatch.setenv("FASTLOG_FORMAT", "console")
        fastlog_core.configure(format="json")
        pipeline = fastlog_core.get_pipeline("stdout", policy="block")
        (spec,) = _registry._entries[("stream", "stdout")].specs
        assert pipeline is fastlog_core.get_pipeline("stdout")
        assert spec.options.encoder is None
        assert not spec.auto

    @pytest.mark.parametrize("schema", ["ecs", "gcp", "datadog", "otel", {"message": "msg"}])
    def test_a_platform_schema_keeps_json(
        self, monkeypatch: pytest.MonkeyPatch, schema: object
    ) -> None:
        """A platform schema is a choice of JSON: its lines are for that platform."""
        monkeypatch.setenv("FASTLOG_FORMAT", "console")
        fastlog_core.configure(schema=schema)  # type: ignore[arg-type]
        (spec,) = _registry._entries[("stream", "stdout")].specs
        assert not spec.auto
        assert spec.options.encoder is None

    def test_configure_replaces_a_chosen_format_with_the_automatic_one(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``configure()`` is the application's word: without a format, it puts the automatic
        one back."""
        monkeypatch.setenv("FASTLOG_FORMAT", "console")
        fastlog_core.configure(encoder="logfmt")
        fastlog_core.configure()
        (spec,) = _registry._entries[("stream", "stdout")].specs
        assert spec.auto
        assert isinstance(spec.options.encoder, fastlog_core.ConsoleEncoder)
