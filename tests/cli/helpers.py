"""Running the real ``fastlog`` console script, and writing log files with the real libraries."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
FASTLOG = Path(sys.executable).with_name("fastlog")

# Tracebacks come from code compiled under a fixed file name, so their text is the same on
# every Python version (no source line, no ~^~ markers).
CRASH = 'exec(compile("def charge():\\n    1/0\\ncharge()\\n", "/srv/app/payments.py", "exec"))'
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/payments.py", line 3, in <module>\n'
    '  File "/srv/app/payments.py", line 2, in charge\n'
    "ZeroDivisionError: division by zero\n"
)


def env(**extra: str) -> dict[str, str]:
    """The console script's environment: this worktree's code, UTC, no colour overrides."""
    base = {
        k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "LESS", "PAGER")
    }
    first = extra.pop("PYTHONPATH_FIRST", None)  # a directory shadowing installed modules
    path = os.pathsep.join(p for p in (first, str(SRC), os.environ.get("PYTHONPATH")) if p)
    return {**base, "PYTHONPATH": path, "TZ": "UTC", "COLUMNS": "100", **extra}


def run_fastlog(
    *args: str, input: bytes | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run the real ``fastlog`` script; text output."""
    return subprocess.run(
        [str(FASTLOG), *args],
        input=input.decode() if input is not None else None,
        capture_output=True,
        text=True,
        env=env(**extra),
        timeout=120,
        check=False,
    )


def run_fastlog_bytes(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run the real ``fastlog`` script; byte output."""
    return subprocess.run(
        [str(FASTLOG), *args], input=input, capture_output=True, env=env(), timeout=120, check=False
    )


def write_with(code: str, when: str = "2026-12-07T10:00:00+00:00", tz: str = "UTC") -> None:
    """Run *code* in a child process with the clock frozen at *when* (time-machine), in the
    time zone *tz* (python-json-logger's ``asctime`` is the writer's local time)."""
    # time-machine sets the zone of the destination's tzinfo (UTC for an offset): a ZoneInfo
    # destination keeps *tz*.
    script = (
        "import time_machine, datetime, zoneinfo\n"  # two lines: tracebacks' line numbers
        "with time_machine.travel(datetime.datetime.fromisoformat("
        f"{when!r}).astimezone(zoneinfo.ZoneInfo({tz!r})), tick=False):\n"
        + textwrap.indent(textwrap.dedent(code), "    ")
    )
    subprocess.run([sys.executable, "-c", script], env=env(TZ=tz), check=True, timeout=120)


def write_fastlog(
    path: Path, schema: str = "default", when: str = "2026-12-07T10:00:00+00:00"
) -> None:
    """Four records (info with fields, debug nested, warning, error with traceback) by fastlog."""
    write_with(
        f"""
        import fastlog_core
        fastlog_core.configure(sink={str(path)!r}, schema={schema!r}, level="debug")
        log = fastlog_core.get_logger("app.payments")
        log.info("charge ok", order_id=1234, amount=12.5)
        log.debug("lookup", user={{"id": 7, "name": "a b"}})
        log.warning("slow", ms=812, path="/api/pay")
        try:
            {CRASH}
        except ZeroDivisionError:
            log.exception("charge failed", order_id=1)
        fastlog_core.shutdown()
        """,
        when,
    )


#: A process logging with fastlog while a library prints into the same file (a banner before
#: any record, lines after records), as when stderr and the log file are one.
MIXED = """
import fastlog_core
path = {path!r}
fastlog_core.configure(sink=path, level="debug")
log = fastlog_core.get_logger("app.payments")

def lib(*lines):
    assert fastlog_core.flush(timeout=60)
    with open(path, "a") as f:
        f.write("".join(line + "\\n" for line in lines))

lib(*{banner!r})
log.info("charge ok", order_id=1)
lib("lib: retrying", "lib:   attempt 2")
log.warning("slow", ms=812)
log.debug("lookup", user=7)
lib("lib: cache miss")
log.error("charge failed", order_id=2)
lib("Traceback (most recent call last):", "  File \\"lib.py\\", line 1", "OSError: gone")
fastlog_core.shutdown()
"""


def write_mixed(path: Path, when: str, banner: str | None = "worker starting") -> None:
    """Four fastlog records with text lines a library printed between them (and *banner*
    before them), appended to *path*."""
    write_with(MIXED.format(path=str(path), banner=() if banner is None else (banner,)), when)


def write_docs_fixtures(root: Path) -> None:
    """The files docs/cli.md's examples read: ``app.log`` (fastlog, 10:00), its rotated
    ``app.log.1.gz`` (09:00), ``worker.log`` (fastlog with ``schema="ecs"``, 09:30) and
    ``night.log`` (:func:`write_mixed` at 23:59:59, then at 00:00:05 the next day)."""
    import gzip

    write_fastlog(root / "app.log", when="2026-12-07T10:00:00.250000+00:00")
    write_fastlog(root / "app.log.1", when="2026-12-07T09:00:00.125000+00:00")
    rotated = root / "app.log.1"
    (root / "app.log.1.gz").write_bytes(gzip.compress(rotated.read_bytes(), mtime=0))
    rotated.unlink()
    write_fastlog(root / "worker.log", "ecs", when="2026-12-07T09:30:00.500000+00:00")
    write_mixed(root / "night.log", "2026-12-07T23:59:59+00:00")
    write_mixed(root / "night.log", "2026-12-08T00:00:05+00:00", banner=None)


def write_peers(root: Path, tz: str = "UTC") -> dict[str, Path]:
    """The same four records as ``write_fastlog()`` (info with fields, debug nested, warning,
    error with traceback), written by the real peers: structlog (stdlib logger, JSONRenderer,
    ISO TimeStamper, ``add_log_level``, ``add_logger_name``, ``format_exc_info``), loguru
    (``serialize=True``) and python-json-logger (``JsonFormatter`` with asctime, levelname,
    name, message). The clock is frozen at 2026-12-07 10:00:00 UTC; *tz* is the writer's zone.
    Returns the files by peer name."""
    paths = {name: root / f"{name}.log" for name in ("structlog", "loguru", "pjl")}
    write_with(
        f"""
        import logging, structlog
        from loguru import logger
        from pythonjsonlogger.json import JsonFormatter

        def crash():
            {CRASH}

        handler = logging.FileHandler({str(paths["structlog"])!r})
        handler.setFormatter(logging.Formatter("%(message)s"))
        slog = logging.getLogger("app.api")
        slog.addHandler(handler); slog.setLevel(logging.DEBUG); slog.propagate = False
        structlog.configure(
            processors=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso"),
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
        )
        log = structlog.get_logger("app.api")
        log.info("charge ok", order_id=1234, amount=12.5)
        log.debug("lookup", user={{"id": 7, "name": "a b"}})
        log.warning("slow", ms=812, path="/api/pay")
        try:
            crash()
        except ZeroDivisionError:
            # error(exc_info=True): stdlib's exception() would add the traceback again as text
            log.error("charge failed", order_id=1, exc_info=True)
        handler.close()

        logger.remove()
        logger.add({str(paths["loguru"])!r}, serialize=True, level="DEBUG")
        logger.bind(order_id=1234, amount=12.5).info("charge ok")
        logger.bind(user={{"id": 7, "name": "a b"}}).debug("lookup")
        logger.bind(ms=812, path="/api/pay").warning("slow")
        try:
            crash()
        except ZeroDivisionError:
            logger.bind(order_id=1).exception("charge failed")
        logger.remove()

        handler = logging.FileHandler({str(paths["pjl"])!r})
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        plog = logging.getLogger("pjl.app")
        plog.addHandler(handler); plog.setLevel(logging.DEBUG); plog.propagate = False
        plog.info("charge ok", extra={{"order_id": 1234, "amount": 12.5}})
        plog.debug("lookup", extra={{"user": {{"id": 7, "name": "a b"}}}})
        plog.warning("slow", extra={{"ms": 812, "path": "/api/pay"}})
        try:
            crash()
        except ZeroDivisionError:
            plog.exception("charge failed", extra={{"order_id": 1}})
        handler.close()
        """,
        tz=tz,
    )
    return paths
