"""The HTTP API over an :class:`fastlog_read.Index` and the page's static files (Starlette).

Every endpoint is a GET returning JSON; filters have the ``fastlog`` command's syntax and
meaning (parsed by :func:`fastlog_read.parse_filter`). The page and its assets are the files of
the package's ``static`` directory; no request names a log file (only the files given on the
command line are served).
"""

from __future__ import annotations

import datetime
import json
import math
import mimetypes
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from fastlog_read import Filter, FilterError, Index, Record, Stats, parse_filter

from ._live import Live, tail_endpoint
from ._security import Guard

__all__ = ["STATIC", "create_app", "record_json"]

#: The page and its assets.
STATIC = Path(__file__).resolve().parent / "static"
MAX_LIMIT = 1000
MAX_BUCKETS = 2000
_FILTER_PARAMS = ("level", "logger", "since", "until", "grep", "f", "trace_id", "text")
_UTC = datetime.UTC
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


class JSON(Response):
    """A JSON response written by orjson (big integers and the like through ``json``)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:  # an integer over 64 bits read by the json fallback
            return json.dumps(content, default=str, allow_nan=False).encode()


class BadRequest(Exception):
    """A request parameter the API refuses (400), with what the page needs to point at it."""

    def __init__(self, message: str, param: str, text: str = "", column: int = 0) -> None:
        super().__init__(message)
        self.param = param
        self.text = text
        self.column = column

    def body(self) -> dict[str, Any]:
        return {"error": str(self), "param": self.param, "text": self.text, "column": self.column}


def iso(seconds: float | None) -> str | None:
    """Epoch seconds as RFC 3339 UTC with a ``Z`` (as ``fastlog stats`` writes times)."""
    if seconds is None or math.isnan(seconds):
        return None
    when = datetime.datetime.fromtimestamp(seconds, _UTC)
    return when.isoformat().replace("+00:00", "Z")


def _time_iso(when: datetime.datetime | None) -> str | None:
    return None if when is None else when.astimezone(_UTC).isoformat().replace("+00:00", "Z")


def record_json(number: int, record: Record) -> dict[str, Any]:
    """The API's form of a record (``R``)."""
    return {
        "id": number,
        "time": _time_iso(record.time),
        "level": record.level,
        "logger": record.logger,
        "message": record.message,
        "fields": record.fields,
        "exception": record.exception,
        "trace_id": record.trace_id,
        "layout": record.layout,
        "source": record.source,
    }


def _now() -> datetime.datetime | None:
    if os.environ.get("FASTLOG_NOW"):  # tests pin "now" for since=-15m, as the CLI's do
        return datetime.datetime.fromisoformat(os.environ["FASTLOG_NOW"])
    return None


def parse_request_filter(request: Request) -> tuple[Filter, str | None]:
    """The filter and the free text of a request's query parameters.

    Raises:
        BadRequest: a parameter cannot be parsed (``param`` names it).
    """
    q = request.query_params
    args: dict[str, Any] = {
        "level": q.get("level") or None,
        "loggers": [v for v in q.getlist("logger") if v],
        "since": q.get("since") or None,
        "until": q.get("until") or None,
        "fields": [v for v in q.getlist("f") if v],
        "grep": q.get("grep") or None,
        "trace_id": q.get("trace_id") or None,
    }
    now = _now()
    try:
        return parse_filter(**args, now=now), q.get("text") or None
    except FilterError as exc:
        raise _which(args, now, exc) from None


def _which(args: dict[str, Any], now: datetime.datetime | None, error: FilterError) -> BadRequest:
    # parse_filter reports the first bad expression; find the parameter it came from.
    names = {"loggers": "logger", "fields": "f"}
    for name, value in args.items():
        if not value:
            continue
        try:
            parse_filter(**{name: value}, now=now)
        except FilterError as exc:
            return BadRequest(str(exc), names.get(name, name), exc.text, exc.column)
    return BadRequest(str(error), "f", error.text, error.column)


def _filter_key(flt: Filter) -> tuple[object, ...]:
    return (
        flt.min_levelno,
        flt.loggers,
        flt.since,
        flt.until,
        tuple((p.key, p.op, p.value) for p in flt.predicates),
        None if flt.grep is None else (flt.grep.pattern, flt.grep.flags),
        flt.trace_id,
    )


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"{name}={text!r}: expected a whole number", name, text) from None
    if not low <= value <= high:
        raise BadRequest(f"{name}={value}: expected {low} to {high}", name, text)
    return value


def _iso_param(request: Request, name: str) -> float | None:
    text = request.query_params.get(name)
    if not text:
        return None
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name}={text!r}: expected an RFC 3339 time", name, text) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_UTC)
    return when.timestamp()


class _Summary:
    """The stats of one filter's matches so far: the first *done* of them."""

    __slots__ = ("done", "lock", "report", "stats")

    def __init__(self, top: int) -> None:
        self.stats = Stats(top=top)
        self.done = 0
        self.report: dict[str, Any] | None = None
        self.lock = threading.Lock()


class Api:
    """The endpoints; one per method, each returning the contract's JSON."""

    def __init__(self, index: Index, live: Live | None, files: list[str], static: Path) -> None:
        self.index = index
        self.static = static
        self.live = live
        self.files = files
        self._stats_lock = threading.Lock()
        self._stats: dict[tuple[object, ...], _Summary] = {}

    def info(self, request: Request) -> Response:
        index = self.index
        extent = index.extent()
        return JSON(
            {
                "files": self.files,
                "records": len(index),
                "first": iso(extent[0]) if extent else None,
                "last": iso(extent[1]) if extent else None,
                "levels": index.levels(),
                "loggers": [name for name, _ in index.loggers(200)],
                "fields": index.fields(50),
                "live": self.live is not None and self.live.running,
            }
        )

    def histogram(self, request: Request) -> Response:
        flt, text = parse_request_filter(request)
        buckets = _int(request, "buckets", 120, 1, MAX_BUCKETS)
        start, end = _iso_param(request, "start"), _iso_param(request, "end")
        ids = self.index.match(flt, text=text)
        if start is None or end is None:
            extent = self.index.extent(ids)
            if extent is None and (start is None or end is None):
                return JSON(
                    {
                        "start": iso(start),
                        "end": iso(end),
                        "bucket_seconds": 0.0,
                        "levels": [],
                        "counts": [],
                        "total": 0,
                    }
                )
            assert extent is not None
            start = extent[0] if start is None else start
            end = extent[1] if end is None else end
        if end < start:
            raise BadRequest("end: expected a time after start", "end")
        levels, counts = self.index.histogram(ids, start, end, buckets)
        width = (end - start) / buckets if end > start else 1.0
        return JSON(
            {
                "start": iso(start),
                "end": iso(end),
                "bucket_seconds": width,
                "levels": levels,
                "counts": counts,
                "total": sum(sum(row) for row in counts),
            }
        )

    def records(self, request: Request) -> Response:
        flt, text = parse_request_filter(request)
        offset = _int(request, "offset", 0, 0, 2**62)
        limit = _int(request, "limit", 200, 0, MAX_LIMIT)
        ids = self.index.match(flt, text=text)
        page = list(ids[offset : offset + limit])
        records = self.index.records(page)
        return JSON(
            {
                "total": len(ids),
                "offset": offset,
                "records": [record_json(n, r) for n, r in zip(page, records, strict=True)],
            }
        )

    def _number(self, request: Request) -> int:
        text = request.path_params["id"]
        try:
            number = int(text)
        except ValueError:
            raise BadRequest(f"id {text!r}: expected a record id", "id", text) from None
        if not 0 <= number < len(self.index):
            raise LookupError(f"no record {number} (the index has {len(self.index)})")
        return number

    def record(self, request: Request) -> Response:
        number = self._number(request)
        raw = self.index.raw(number)
        body = record_json(number, self.index.record(number))
        body["raw"] = raw.decode("utf-8", "replace")
        return JSON(body)

    def around(self, request: Request) -> Response:
        number = self._number(request)
        before = _int(request, "before", 20, 0, MAX_LIMIT)
        after = _int(request, "after", 20, 0, MAX_LIMIT)
        low = max(0, number - before)
        high = min(len(self.index), number + after + 1)
        page = list(range(low, high))
        records = self.index.records(page)
        return JSON(
            {
                "records": [record_json(n, r) for n, r in zip(page, records, strict=True)],
                "index": number - low,
            }
        )

    def stats(self, request: Request) -> Response:
        flt, text = parse_request_filter(request)
        top = _int(request, "top", 10, 1, 1000)
        return JSON(self.summary(flt, text, top))

    def summary(self, flt: Filter, text: str | None, top: int = 10) -> dict[str, Any]:
        """``Stats(top=top).to_dict()`` of the records *flt* and *text* keep.

        Counted once (:meth:`Index.stats`): the last summaries are kept, each extended with
        the records that matched since (a match only ever grows at its end, in id order, the
        order the records are counted in); a summary asked for by several requests at once
        is computed by the first, the others wait for it.
        """
        key = (_filter_key(flt), text, top)
        with self._stats_lock:
            summary = self._stats.get(key)
            if summary is None:
                if len(self._stats) >= 8:
                    self._stats.pop(next(iter(self._stats)))
                summary = self._stats[key] = _Summary(top)
        with summary.lock:
            ids = self.index.match(flt, text=text)
            if len(ids) < summary.done:  # not a longer match: start again
                summary.stats, summary.done = Stats(top=top), 0
            step = 10_000
            try:
                if not summary.done and ids:  # from the index's arrays where they tell
                    summary.stats = self.index.stats(ids, top)
                    summary.done, summary.report = len(ids), None
                for at in range(summary.done, len(ids), step):
                    summary.report = None
                    summary.stats.update(self.index.records(ids[at : at + step]))
            except BaseException:
                summary.stats, summary.done = Stats(top=top), 0  # counted in part: forget it
                raise
            summary.done = len(ids)
            if summary.report is None:
                summary.report = summary.stats.to_dict()
            return summary.report

    def warm(self) -> None:
        """Compute the summary of every record (the stats panel with no filter) ahead of the
        first request for it."""
        try:
            self.summary(Filter(), None)
        except Exception:  # the index closed at exit: a request computes it again
            return

    def asset(self, request: Request) -> Response:
        # Only a file directly in the static directory, by its exact name: no subdirectory,
        # no dot file, nothing a crafted path could reach outside it.
        name: str = request.path_params["name"]
        path = self.static / name
        if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
            return Response("not found\n", 404, media_type="text/plain")
        kind = _TYPES.get(path.suffix) or mimetypes.guess_type(name)[0]
        return FileResponse(path, media_type=kind or "application/octet-stream")

    def page(self, request: Request) -> Response:
        page = self.static / "index.html"
        if not page.is_file():
            return Response("the page is not installed\n", 404, media_type="text/plain")
        return FileResponse(page, media_type="text/html; charset=utf-8")


def _guarded(endpoint: Callable[[Request], Response]) -> Callable[[Request], Response]:
    def run(request: Request) -> Response:
        try:
            return endpoint(request)
        except BadRequest as exc:
            return JSON(exc.body(), status_code=400)
        except LookupError as exc:
            return JSON({"error": str(exc)}, status_code=404)

    run.__name__ = endpoint.__name__
    return run


def _guarded_stream(
    endpoint: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except BadRequest as exc:
            return JSON(exc.body(), status_code=400)

    run.__name__ = endpoint.__name__
    return run


def create_app(
    index: Index,
    *,
    live: Live | None = None,
    bound: str = "127.0.0.1",
    token: str | None = None,
    files: list[str] | None = None,
    static: Path = STATIC,
    warm: bool = True,
) -> Guard:
    """The ASGI application serving *index*: the page, its assets and the API.

    Args:
        index: The records served.
        live: The follower growing the index (``/api/tail``), if any.
        bound: The address the server listens on (the Host header is checked against it).
        token: Required on every request when given (``?token=`` once, then a cookie).
        files: The inputs as named on the command line (default: the index's paths).
        static: The directory of the page and its assets (default: the package's).
        warm: Compute the stats of every record in a background thread now, so that the
            stats panel shows at once when it is opened.
    """
    api = Api(index, live, list(index.paths if files is None else files), static)
    if warm:
        threading.Thread(target=api.warm, name="fastlog-web-stats", daemon=True).start()
    routes = [
        Route("/", _guarded(api.page)),
        Route("/api/info", _guarded(api.info)),
        Route("/api/histogram", _guarded(api.histogram)),
        Route("/api/records", _guarded(api.records)),
        Route("/api/record/{id}", _guarded(api.record)),
        Route("/api/around/{id}", _guarded(api.around)),
        Route("/api/stats", _guarded(api.stats)),
        Route(
            "/api/tail",
            _guarded_stream(tail_endpoint(index, live, parse_request_filter, record_json)),
        ),
        Route("/static/{name:path}", _guarded(api.asset)),
    ]
    return Guard(Starlette(routes=routes), bound=bound, token=token)
