"""``fastlog web``: index the files, then serve the viewer on loopback (``fastlog_web``)."""

from __future__ import annotations

import argparse
import os
import re
import secrets
import stat
import sys
from typing import TYPE_CHECKING, BinaryIO

import fastlog_read

if TYPE_CHECKING:
    import socket

__all__ = ["access_token", "run_web", "web_arguments"]

_TOKEN = re.compile(r"[A-Za-z0-9_\-.~]{8,}")


def web_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``fastlog web``."""
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="log files (.gz read transparently), or -"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1); any other than loopback needs a token",
    )
    parser.add_argument(
        "--port", type=int, default=0, metavar="N", help="port (default: a free one)"
    )
    parser.add_argument(
        "--token",
        metavar="TOKEN",
        help="require this token (at least 8 of A-Z a-z 0-9 - _ . ~); generated when --host "
        "is not loopback",
    )
    parser.add_argument("--open", action="store_true", help="open the page in a browser")
    parser.add_argument(
        "--no-follow", action="store_true", help="do not follow the files for new records"
    )


def _plain_file(path: str) -> bool:
    try:
        with open(path, "rb") as stream:
            return stat.S_ISREG(os.fstat(stream.fileno()).st_mode) and stream.read(2) != b"\x1f\x8b"
    except OSError:
        return False


def access_token(host: str, given: str | None, *, loopback: bool) -> tuple[str | None, bool]:
    """The token the server requires, and whether it was generated: *given*, else a new one
    when *host* is not *loopback*, else none."""
    if given is not None or loopback:
        return given, False
    return secrets.token_urlsafe(24), True


def run_web(args: argparse.Namespace) -> int:
    """``fastlog web``."""
    from ._app import MissingDependency, UsageError

    try:
        import fastlog_web
    except ImportError as exc:
        raise MissingDependency(
            f"web needs starlette and uvicorn ({exc.name} is missing): "
            'pip install "fastlog-py[web]"'
        ) from None
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: expected 0 (a free port) to 65535")
    if args.token is not None and not _TOKEN.fullmatch(args.token):
        raise UsageError(
            f"--token: expected at least 8 of A-Z a-z 0-9 - _ . ~ (got {len(args.token)} "
            "characters)"
        )
    token, generated = access_token(
        args.host, args.token, loopback=fastlog_web.is_loopback(args.host)
    )
    try:
        sock: socket.socket = fastlog_web.bind(args.host, args.port)
    except OSError as exc:
        raise UsageError(
            f"--host {args.host} --port {args.port}: cannot listen there: {exc.strerror or exc}"
        ) from None

    paths = list(args.files)
    stdin: BinaryIO | None = None
    if "-" in paths and not args.no_follow:
        try:
            piped = not stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode)
        except (OSError, ValueError):
            piped = False
        if piped:  # read as it comes, after the server starts
            stdin = sys.stdin.buffer
            paths = [p for p in paths if p != "-"]
    followed = [] if args.no_follow else [p for p in paths if p != "-" and _plain_file(p)]

    errors = 0

    def unreadable(path: str, exc: OSError) -> None:
        nonlocal errors
        errors += 1
        sys.stderr.write(f"fastlog: {path}: {exc.strerror or exc}\n")

    def progress(count: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"fastlog web: {count:,} records indexed\r")
            sys.stderr.flush()

    index = fastlog_read.Index(paths, on_error=unreadable, progress=progress, follow=bool(followed))
    count = len(index)
    sys.stderr.write(f"fastlog web: {count:,} record{'' if count == 1 else 's'} indexed\n")
    live = fastlog_web.Live(index, followed, stdin=stdin) if (followed or stdin) else None
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")

    def ready() -> None:
        sys.stdout.write(f"fastlog web: {url}\n")
        sys.stdout.flush()
        if generated:
            sys.stderr.write(
                f"fastlog web: listening on {args.host}, not loopback: a generated token is "
                "required (it is in the URL above)\n"
            )
        if args.open:
            import webbrowser

            webbrowser.open(url)

    try:
        fastlog_web.serve(index, sock, live=live, token=token, files=list(args.files), ready=ready)
    finally:
        index.close()
        sock.close()
    return 4 if errors else 0
