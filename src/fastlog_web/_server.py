"""Running the application on uvicorn, on a socket bound before the URL is printed."""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn

from fastlog_read import Index

from ._app import create_app
from ._live import Live

__all__ = ["serve"]


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on *host*:*port* (``0``: a free port).

    Raises:
        OSError: the address cannot be bound (in use, not this machine's).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
    except OSError:
        sock.close()
        raise
    return sock


def serve(
    index: Index,
    sock: socket.socket,
    *,
    live: Live | None = None,
    token: str | None = None,
    files: list[str] | None = None,
    ready: Callable[[], None] | None = None,
) -> None:
    """Serve *index* on the bound *sock* until interrupted (SIGINT or SIGTERM).

    Args:
        index: The records served.
        sock: A listening socket (:func:`bind`).
        live: The follower growing the index, started here and stopped on exit.
        token: Required on every request when given.
        files: The inputs as named on the command line (``/api/info``'s ``files``).
        ready: Called once the server accepts requests.
    """
    host = sock.getsockname()[0]
    app = create_app(index, live=live, bound=host, token=token, files=files)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=1,
    )
    server = _Server(config, ready)
    if live is not None:
        live.start()
    try:
        server.run(sockets=[sock])
    finally:
        if live is not None:
            live.stop()


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self._ready is not None and self.started:
            self._ready()
