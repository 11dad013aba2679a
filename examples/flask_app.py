"""Flask with stdlib logging through fastlog, each request's records tagged with its id.

Run it with fastlog installed (see the README) and ``pip install flask``::

    APP_LOG_FILE=app.log flask --app examples/flask_app.py run --port 5000

    curl -i localhost:5000/orders/1                   # answers with an X-Request-ID header
    curl -i -H "X-Request-ID: abc-123" localhost:5000/orders/99
    curl -i localhost:5000/orders/0                   # an unhandled error: logged with its id

What it shows:

- ``logging.config.dictConfig`` with ``fastlog_stdlib.FastlogHandler`` on the root logger, done
  before the app is created: Flask's ``app.logger``, the app's own loggers and werkzeug's
  warnings all become JSON lines in one file (neither Flask nor werkzeug adds its own stderr
  handler when the root logger already has one).
- ``before_request`` binds the request id with ``fastlog_core.bind_context`` and
  ``teardown_request`` unbinds it with ``fastlog_core.unbind_context``: every record logged while
  the request is handled carries ``request_id`` -- including Flask's own "Exception on ..."
  record, with the structured ``exception``. The context is per thread (and per asyncio task),
  so the threaded server's concurrent requests keep their own ids; unbinding matters on servers
  that reuse threads (gunicorn's gthread workers, waitress).
- ``after_request`` writes an access record that carries the id, and returns the id in the
  ``X-Request-ID`` header. (It replaces werkzeug's access line, which is logged after the
  request context has ended, so would have no ``request_id``, and is coloured with ANSI codes.)
"""

from __future__ import annotations

import logging
import logging.config
import os
import re
import uuid
from typing import Any

from flask import Flask, Response, abort, g, request

import fastlog_core

LOG_FILE = os.environ.get("APP_LOG_FILE", "app.log")

logging.config.dictConfig(
    {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {
            "json": {"class": "fastlog_stdlib.FastlogHandler", "sink": LOG_FILE, "level": "INFO"},
        },
        "root": {"handlers": ["json"], "level": "INFO"},
        # werkzeug's development server colours its INFO lines with ANSI codes, even in a file;
        # its access line is replaced by "shop.access" below (it keeps its warnings and errors).
        "loggers": {"werkzeug": {"level": "WARNING"}},
    }
)

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # a client's id is kept only if it looks like one

app = Flask(__name__)
log = logging.getLogger("shop.orders")
access_log = logging.getLogger("shop.access")

ORDERS = {1: {"item": "book", "amount": 12.5}, 2: {"item": "pen", "amount": 1.2}}


@app.before_request
def bind_request_id() -> None:
    request_id = request.headers.get(REQUEST_ID_HEADER, "")
    if not _SANE_ID.fullmatch(request_id):
        request_id = uuid.uuid4().hex
    g.request_id = request_id
    fastlog_core.bind_context(request_id=request_id)


@app.after_request
def log_and_return_request_id(response: Response) -> Response:
    access_log.info(
        "%s %s %d",
        request.method,
        request.path,
        response.status_code,
        extra={"method": request.method, "path": request.path, "status": response.status_code},
    )
    response.headers[REQUEST_ID_HEADER] = g.request_id
    return response


@app.teardown_request
def unbind_request_id(exc: BaseException | None) -> None:
    fastlog_core.unbind_context("request_id")


@app.get("/orders/<int:order_id>")
def get_order(order_id: int) -> dict[str, Any]:
    log.info("looking up order", extra={"order_id": order_id})
    if order_id == 0:
        raise RuntimeError("order 0 is corrupt")  # Flask logs it, with the request id, as a 500
    order = ORDERS.get(order_id)
    if order is None:
        log.warning("order not found", extra={"order_id": order_id})
        abort(404)
    log.info("order found", extra={"order_id": order_id, "amount": order["amount"]})
    return {"order_id": order_id, **order}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
