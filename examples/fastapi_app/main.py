"""FastAPI on uvicorn, every log line JSON through fastlog, each request tagged with its id.

Run it from this directory, with fastlog installed (see the README) and
``pip install fastapi uvicorn pyyaml``::

    APP_LOG_FILE=app.log python main.py               # uvicorn.run(..., log_config=LOG_CONFIG)
    uvicorn main:app --log-config logging.yaml        # the same config as a file: writes app.log

    curl -i localhost:8000/orders/1                   # answers with an X-Request-ID header
    curl -i -H "X-Request-ID: abc-123" localhost:8000/orders/99
    curl -i localhost:8000/orders/0                   # an unhandled error: logged with its id

What it shows:

- One ``dictConfig`` (``LOG_CONFIG`` below, or ``logging.yaml``) puts
  ``fastlog_stdlib.FastlogHandler`` on the root logger: uvicorn's startup, error and access
  lines and the app's own ``logging`` calls all become JSON lines in one file, in one schema.
- ``RequestIdMiddleware`` binds the request's id with ``fastlog_core.bind_context``: every
  record logged while the request is handled carries ``request_id`` -- the app's records,
  uvicorn's access line and, for an exception nothing handled, uvicorn's "Exception in ASGI
  application" record with the structured ``exception``. No unbinding is needed: uvicorn runs
  each request in its own asyncio task, and a task has its own copy of the context, so the id
  ends with the request and concurrent requests never see each other's. (Sync ``def``
  endpoints run in a thread pool with a copy of the context: they see the id too.)
- The id comes from the client's ``X-Request-ID`` when it is sane, otherwise a new one is made,
  and it is returned in the ``X-Request-ID`` response header, on 500s too.
- Stopping uvicorn with Ctrl-C or SIGTERM loses nothing: fastlog flushes on exit and on SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import uuid
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import PlainTextResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import fastlog_core

LOG_FILE = os.environ.get("APP_LOG_FILE", "app.log")

# Passed to uvicorn as log_config=: uvicorn then applies it instead of its own text config.
# uvicorn's loggers ("uvicorn.error", "uvicorn.access") and the app's propagate to root.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "json": {"class": "fastlog_stdlib.FastlogHandler", "sink": LOG_FILE, "level": "INFO"},
    },
    "root": {"handlers": ["json"], "level": "INFO"},
}

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # a client's id is kept only if it looks like one


class RequestIdMiddleware:
    """Bind a request id in fastlog's context for the rest of the request's task.

    A pure ASGI middleware rather than ``@app.middleware("http")``, so that it also sees the
    response being sent (to add the header), which is when uvicorn logs its access line.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"")
        request_id = incoming.decode("latin-1")
        if not _SANE_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
        fastlog_core.bind_context(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        await self.app(scope, receive, send_with_id)


log = logging.getLogger("shop.orders")
app = FastAPI(title="fastlog example")
app.add_middleware(RequestIdMiddleware)

ORDERS = {1: {"item": "book", "amount": 12.5}, 2: {"item": "pen", "amount": 1.2}}


@app.exception_handler(Exception)
async def unhandled_error(request: Request, exc: Exception) -> PlainTextResponse:
    """The 500 for an exception nothing handled, with the request id header.

    Starlette runs this outside every middleware added with ``add_middleware`` (so the response
    bypasses ``send_with_id``), but in the request's task: the id is still bound. Starlette
    re-raises the exception afterwards and uvicorn logs it, with the id.
    """
    request_id = fastlog_core.get_context().get("request_id", "")
    headers = {REQUEST_ID_HEADER: request_id}
    return PlainTextResponse("Internal Server Error", status_code=500, headers=headers)


@app.get("/orders/{order_id}")
async def get_order(order_id: int) -> dict[str, Any]:
    log.info("looking up order", extra={"order_id": order_id})
    if order_id == 0:
        raise RuntimeError("order 0 is corrupt")  # a bug: nothing handles it
    await asyncio.sleep(0.01)  # stands for a database call: other requests run meanwhile
    order = ORDERS.get(order_id)
    if order is None:
        log.warning("order not found", extra={"order_id": order_id})
        raise HTTPException(status_code=404, detail="no such order")
    log.info("order found", extra={"order_id": order_id, "amount": order["amount"]})
    return {"order_id": order_id, **order}


if __name__ == "__main__":
    uvicorn.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        log_config=LOG_CONFIG,
    )
