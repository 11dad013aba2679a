"""What every request passes through: the Host check, the token, the security headers.

A pure ASGI middleware (no Starlette middleware class), so that nothing reaches a route, a static
file or an error page without it.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["COOKIE", "CSP", "Guard", "allowed_hosts", "is_loopback"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The page's Content-Security-Policy: its own scripts, styles and API only; no inline code.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
COOKIE = "fastlog_token"
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def is_loopback(host: str) -> bool:
    """Whether *host* (a name or an address) is this machine's loopback."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(bound: str) -> frozenset[str]:
    """The Host header names accepted for a server bound to *bound* (ports aside).

    A name that resolves elsewhere (DNS rebinding) is never in it; a server bound to every
    interface also accepts any IP address (checked by :class:`Guard`) and this machine's name.
    """
    names = {bound.lower().strip("[]"), "localhost", "127.0.0.1", "::1"}
    try:
        if ipaddress.ip_address(bound.strip("[]")).is_unspecified:
            names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    except ValueError:
        pass
    return frozenset(names)


def _host_name(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):  # [::1]:8000
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.rsplit(":", 1)[0]
    return value


class Guard:
    """The ASGI middleware: Host check (403), token (401), headers on every response.

    Args:
        app: The application it guards.
        bound: The address the server is bound to.
        token: The access token, or ``None`` when none is required (loopback).
    """

    def __init__(self, app: ASGIApp, *, bound: str, token: str | None) -> None:
        self.app = app
        self.hosts = allowed_hosts(bound)
        self.any_address = _unspecified(bound)
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path: str = scope.get("path", "")
        api = path.startswith("/api/")
        if not self._host_ok(headers.get("host", "")):
            await _plain(send, 403, "forbidden: unexpected Host header", api)
            return
        if self.token is not None:
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
            given = next((v for k, v in query if k == "token"), None)
            if given is not None:
                if not secrets.compare_digest(given.encode(), self.token.encode()):
                    await _plain(send, 401, "unauthorized: wrong token", api)
                    return
                rest = urlencode([(k, v) for k, v in query if k != "token"])
                raw = scope.get("raw_path") or path.encode("utf-8")
                target = raw.decode("latin-1") + (f"?{rest}" if rest else "")
                await _redirect(send, target, self.token)
                return
            if not self._cookie_ok(headers.get("cookie", "")):
                await _plain(send, 401, "unauthorized: open the URL printed by fastlog web", api)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = list(_HEADERS)
                if api:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _host_ok(self, value: str) -> bool:
        name = _host_name(value)
        if name in self.hosts:
            return True
        if self.any_address:
            try:
                ipaddress.ip_address(name)
            except ValueError:
                return False
            return True
        return False

    def _cookie_ok(self, header: str) -> bool:
        assert self.token is not None
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(header)
        except Exception:  # a malformed Cookie header is no token
            return False
        morsel = cookie.get(COOKIE)
        return morsel is not None and secrets.compare_digest(
            morsel.value.encode(), self.token.encode()
        )


def _unspecified(bound: str) -> bool:
    try:
        return ipaddress.ip_address(bound.strip("[]")).is_unspecified
    except ValueError:
        return False


async def _plain(send: Send, status: int, text: str, api: bool) -> None:
    if api:
        import orjson

        body, kind = orjson.dumps({"error": text}), b"application/json"
    else:
        body, kind = text.encode() + b"\n", b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str, token: str) -> None:
    cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", location.encode("latin-1", "replace")),
                (b"set-cookie", cookie.encode("latin-1")),
                (b"content-length", b"0"),
                (b"cache-control", b"no-store"),
                *_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})
