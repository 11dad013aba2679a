"""Live tail: a thread that grows the index from the followed inputs, and the SSE endpoint.

The thread polls a :class:`fastlog_read.Follower` (rotation, truncation and new files handled
there) and, for a piped standard input, reads it as it comes; new lines go to
:meth:`fastlog_read.Index.add_lines`. Each ``/api/tail`` connection looks at the index every
50 ms and sends the new records its filter keeps, at most one event every 250 ms.
"""

from __future__ import annotations

import asyncio
import bisect
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, BinaryIO

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from fastlog_read import Filter, Follower, Index, Notice, Record

__all__ = ["Live", "tail_endpoint"]

#: How often a tail connection looks for new records, seconds.
CHECK = 0.05
#: The least time between two ``records`` events of a connection, seconds.
EVERY = 0.25
#: Records sent per event at most; the newest are kept when more arrived.
MAX_EVENT_RECORDS = 500
KEEP_ALIVE = 15.0


class Live:
    """Follows *paths* (and reads a piped *stdin*) into *index* until :meth:`stop`.

    Args:
        index: The index to grow; built with ``follow=True`` over the same paths.
        paths: Plain files to follow (from where the index stopped).
        stdin: A pipe to read to its end, its lines indexed as source ``-``.
        interval: Seconds between polls of the files.
    """

    def __init__(
        self,
        index: Index,
        paths: Sequence[str],
        *,
        stdin: BinaryIO | None = None,
        interval: float = 0.1,
    ) -> None:
        self.index = index
        self.paths = list(paths)
        self.stdin = stdin
        self.interval = interval
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._notices: list[Notice] = []
        self._notices_lock = threading.Lock()
        self._follower = (
            Follower(self.paths, start_at=index.positions(), interval=interval, stop=self._stop)
            if self.paths
            else None
        )

    @property
    def running(self) -> bool:
        """Whether anything is still being followed."""
        return any(thread.is_alive() for thread in self._threads)

    def start(self) -> None:
        """Start the threads (daemons: a stuck read never keeps the process alive)."""
        if self._follower is not None:
            self._threads.append(
                threading.Thread(target=self._follow, name="fastlog-web-follow", daemon=True)
            )
        if self.stdin is not None:
            self._threads.append(
                threading.Thread(target=self._read_stdin, name="fastlog-web-stdin", daemon=True)
            )
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop following (the stdin thread ends with its input)."""
        self._stop.set()
        if self._follower is not None:
            self._follower.close()
        for thread in self._threads:
            if thread.name == "fastlog-web-follow":
                thread.join(timeout=5)

    def notices(self, since: int) -> tuple[int, list[Notice]]:
        """The notices after the first *since*, and how many there are now."""
        with self._notices_lock:
            return len(self._notices), self._notices[since:]

    def _follow(self) -> None:
        follower = self._follower
        assert follower is not None
        lines: list[tuple[str, bytes]] = []
        for item in follower:
            if isinstance(item, Notice):
                if lines:
                    self.index.add_lines(lines)
                    lines = []
                with self._notices_lock:
                    self._notices.append(item)
                continue
            lines.append((item.source, item.data))
            # A poll's lines are indexed together (merged by time among themselves); a long
            # catch-up is indexed in slices so that the page sees it grow.
            if len(lines) >= 50_000 or not follower.busy:
                self.index.add_lines(lines)
                lines = []
        if lines:
            self.index.add_lines(lines)

    def _read_stdin(self) -> None:
        stream = self.stdin
        assert stream is not None
        read = getattr(stream, "read1", stream.read)
        carry = b""
        while not self._stop.is_set():
            data = read(1 << 20)
            if not data:
                break
            parts = (carry + data).split(b"\n")
            carry = parts.pop()
            if parts:
                self.index.add_lines([("-", line) for line in parts])
        if carry:
            self.index.add_lines([("-", carry)])


def _event(name: str, data: Any) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def tail_endpoint(
    index: Index,
    live: Live | None,
    parse: Callable[[Request], tuple[Filter, str | None]],
    record_json: Callable[[int, Record], dict[str, Any]],
) -> Callable[[Request], Awaitable[Response]]:
    """The ``/api/tail`` endpoint (``text/event-stream``) over *index*."""

    async def tail(request: Request) -> Response:
        flt, text = parse(request)  # a bad filter raises: the caller answers 400
        after_text = request.query_params.get("after")
        try:
            after = int(after_text) if after_text else len(index) - 1
        except ValueError:
            payload = {
                "error": f"after={after_text!r}: expected a record id",
                "param": "after",
                "text": after_text,
                "column": 0,
            }
            return Response(orjson.dumps(payload), 400, media_type="application/json")

        async def events() -> AsyncIterator[bytes]:
            clock = asyncio.get_running_loop().time
            seen = after
            notices_at = live.notices(0)[0] if live is not None else 0
            sent_at = -EVERY
            wrote_at = clock()
            yield b": connected\n\n"
            while True:
                if live is not None:
                    notices_at, notices = live.notices(notices_at)
                    for notice in notices:
                        yield _event("notice", {"kind": notice.kind, "text": str(notice)})
                        wrote_at = clock()
                upto = len(index) - 1
                if upto > seen and clock() - sent_at >= EVERY:
                    new = await anyio.to_thread.run_sync(_new, index, flt, text, seen, upto)
                    seen = upto
                    if new is not None:
                        numbers, counts, total, sampled = new
                        records = await anyio.to_thread.run_sync(index.records, numbers)
                        yield _event(
                            "records",
                            {
                                "records": [
                                    record_json(n, r) for n, r in zip(numbers, records, strict=True)
                                ],
                                "total": total,
                                "counts": counts,
                                "sampled": sampled,
                            },
                        )
                        sent_at = wrote_at = clock()
                if clock() - wrote_at >= KEEP_ALIVE:
                    yield b": keep-alive\n\n"
                    wrote_at = clock()
                await asyncio.sleep(CHECK)

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return tail


def _new(
    index: Index, flt: Filter, text: str | None, after: int, upto: int
) -> tuple[list[int], dict[str, int], int, bool] | None:
    """The new matching records in (*after*, *upto*]: the newest :data:`MAX_EVENT_RECORDS`,
    the count per level of all of them, the total matching up to *upto*, and whether some
    were left out."""
    ids = index.match(flt, text=text)
    end = bisect.bisect_right(ids, upto)
    new = ids[bisect.bisect_right(ids, after) : end]
    if not len(new):
        return None
    counts: dict[str, int] = {}
    for n in new:
        name = index.level_of(n) or "(none)"
        counts[name] = counts.get(name, 0) + 1
    sampled = len(new) > MAX_EVENT_RECORDS
    numbers = list(new[-MAX_EVENT_RECORDS:])
    return numbers, counts, end, sampled
