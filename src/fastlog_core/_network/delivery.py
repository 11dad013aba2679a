"""The delivery layer every network sink shares: queue, sender thread, batches, retries, spill.

The pipeline's writer thread calls ``write`` with whole lines, as for a file; a network sink
only queues them (bounded by ``queue_bytes``) and wakes its sender thread, which cuts the
queue into batches (by count, bytes and time), hands each to the protocol (``_send``, a
subclass's) and retries it with exponential backoff and jitter, honouring ``Retry-After``.
Neither the caller nor the writer ever waits on the network, but for one bounded case: a
writer that finds the queue full while the destination is healthy (sending, only slower)
waits up to ``timeout`` for room, as it would for a slow disk.

When the queue is full and the destination failing:

- with ``spill=`` a directory, lines go to an on-disk queue (``spill.Spill``, bounded by
  ``spill_max``) and are delivered, in order, once the destination is back, by this process
  or the next one using the directory;
- without, or when the spill is full too, ``write`` raises ``OSError``: the pipeline keeps the
  lines and its policy applies (``block`` waits, ``drop`` drops), every drop counted and noted
  in the stream, as for a failing file.

What the sink accepted is counted until it ends one way: ``sent`` = ``delivered`` + ``lost`` +
``queued`` + ``spill_pending``, exactly. ``lost`` are lines the destination refused for good
(HTTP 400, a single line larger than it accepts) or that shutdown could not deliver nor
spill; each loss is reported on stderr with the destination's reason and told in the stream
by a note line sent in the next batch.
"""

from __future__ import annotations

import errno
import itertools
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypedDict

from .. import _diagnostics
from .._encoders import json as _json
from .._presets import parse_size
from .._sinks import SinkClosed
from ..exceptions import ConfigError
from .spill import Spill

__all__ = ["DeliveryStats", "NetworkSink", "Rejected", "Retry", "TooLarge", "TruncatedStats"]

#: First retry after this many seconds; doubled per failure up to ``retry_max_wait``.
BACKOFF_MIN = 0.1
#: A ``Retry-After`` longer than this is cut to it (a misconfigured server says "3600").
RETRY_AFTER_MAX = 300.0
#: Lines a protocol encodes between two ``_pause`` calls.
SLICE = 64
#: Seconds the writer may find the queue full before the sender stops letting the
#: application's threads go first.
DEFER = 0.25
#: Bytes of queued lines split between two pauses.
_SPLIT = 16384


def paced(lines: list[bytes], pause: Callable[[], None] | None) -> Iterable[bytes]:
    """*lines*, calling *pause* between every ``SLICE`` of them (a protocol's encoding loop
    over a batch: ``for line in paced(lines, pause)``); *lines* itself without a *pause*."""
    if pause is None or len(lines) <= SLICE:
        return lines
    return _paced(lines, pause)


def _paced(lines: list[bytes], pause: Callable[[], None]) -> Iterator[bytes]:
    for start in range(0, len(lines), SLICE):
        if start:
            pause()
        yield from lines[start : start + SLICE]


class Retry(Exception):
    """A transient failure: the same batch is sent again after a backoff (or ``after``
    seconds, from a ``Retry-After`` header)."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after


class TooLarge(Exception):
    """The destination refused the batch's size (HTTP 413): it is split in two and each half
    sent; a single line it refuses is lost, counted and reported."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Rejected(Exception):
    """The destination refused the batch for good (HTTP 400, a parse error): not retried.

    *records*: how many of the batch it refused (a partial success); ``None``: all of them.
    """

    def __init__(self, reason: str, records: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.records = records


class DeliveryStats(TypedDict):
    """A network sink's counters, in lines (records and fastlog's own note lines).

    ``sent`` = ``delivered`` + ``lost`` + ``queued`` + ``spill_pending``, exactly.
    """

    sent: int  # accepted by write()
    delivered: int  # acknowledged by the destination
    retried: int  # lines sent again after a failed attempt (one line twice counts twice)
    lost: int  # refused for good, or neither delivered nor spilled at shutdown
    queued: int  # in memory, not yet delivered (the batch in flight included)
    spilled: int  # written to the spill directory, in all
    spill_pending: int  # on disk now, still to deliver
    failures: int  # failed attempts (requests, connections)


class TruncatedStats(DeliveryStats):
    """``DeliveryStats`` of a sink that cuts records to fit its destination's size limit:
    ``truncated`` counts them (each still delivered, marked ``fastlog_truncated``)."""

    truncated: int


class NetworkSink:
    """The base of every network sink: a ``Sink`` whose lines a sender thread delivers.

    Subclasses implement ``_send(lines)`` (one request, or one stream write, for a batch) and
    optionally ``_disconnect()``, and call this ``__init__`` with their defaults.

    Args:
        batch_records: At most this many lines per batch.
        batch_bytes: At most about this many bytes per batch (the lines' own; one longer line
            goes alone).
        batch_wait: Seconds a line may wait for a fuller batch. ``flush()`` sends at once.
        queue_bytes: Memory for lines not yet delivered (the batch in flight included).
        spill: A directory for an on-disk queue used while the destination is down or slower
            than the application; ``None``: none (the pipeline's policy applies instead).
        spill_max: Bytes the spill directory may hold.
        timeout: Seconds for one attempt (connect, send, answer), and the longest a writer
            waits for room in the queue while the destination is healthy.
        close_timeout: Seconds ``close()`` (at shutdown) keeps trying to deliver what is
            queued; the rest is spilled, or counted as lost.
        retry_max_wait: The longest backoff between two attempts, in seconds.
    """

    def __init__(
        self,
        *,
        batch_records: int,
        batch_bytes: int | str,
        batch_wait: float,
        queue_bytes: int | str = "2 MiB",
        spill: str | os.PathLike[str] | None = None,
        spill_max: int | str = "1 GiB",
        timeout: float = 10.0,
        close_timeout: float = 5.0,
        retry_max_wait: float = 30.0,
    ) -> None:
        if (
            not isinstance(batch_records, int)
            or isinstance(batch_records, bool)
            or batch_records < 1
        ):
            raise ConfigError(f"batch_records={batch_records!r}: expected a positive int")
        for option, number in (
            ("batch_wait", batch_wait),
            ("timeout", timeout),
            ("close_timeout", close_timeout),
            ("retry_max_wait", retry_max_wait),
        ):
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0:
                raise ConfigError(f"{option}={number!r}: expected a number of seconds >= 0")
        self.batch_records = batch_records
        self.batch_bytes = parse_size(batch_bytes, "batch_bytes")
        self.queue_bytes = parse_size(queue_bytes, "queue_bytes")
        if self.queue_bytes < self.batch_bytes:
            raise ConfigError(
                f"queue_bytes={queue_bytes!r}: must be at least batch_bytes={batch_bytes!r}"
            )
        self.batch_wait = float(batch_wait)
        self.timeout = float(timeout)
        self.close_timeout = float(close_timeout)
        self.retry_max_wait = float(retry_max_wait)
        self.spill_path = None if spill is None else os.path.abspath(os.fspath(spill))
        self.spill_max = parse_size(spill_max, "spill_max")
        self._start()

    def _start(self) -> None:
        """Fresh state: at creation and in a forked child (the parent's queue is its own)."""
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[bytes] = deque()  # chunks of whole lines, as written, oldest first
        self._queue_lines = 0  # lines in those chunks
        self._queued_bytes = 0  # in memory: the queue, and what the sender holds
        self._queued = 0  # lines, likewise
        self._thread: threading.Thread | None = None
        self._spill: Spill | None = None
        self._spilling = False  # new lines go to the spill, behind what it holds
        self._closing = False
        self._closed = False
        self._flushes = 0  # flush requests; the sender sends a partial batch for each
        self._flushed = 0
        self._healthy = True  # the last attempt succeeded (or none was made)
        self._last_error = ""
        self._unnoted = 0  # lost lines no note in the stream has told yet
        self._last_loss = ""  # why the last ones were lost, for that note
        self._deadline = 0.0  # once closing: when close() stops trying
        self._sent = 0
        self._delivered = 0
        self._retried = 0
        self._lost = 0
        self._spilled = 0
        self._failures = 0
        self._truncated = 0  # records delivered cut to fit (a protocol that cuts counts them)
        self._full_since: float | None = None  # since when the writer finds the queue full
        if self.spill_path is not None:
            self._spill = Spill(self.spill_path, self.spill_max)
            self._spilling = bool(self._spill.records)

    # -- what subclasses implement -------------------------------------------------------------

    def _send(self, lines: list[bytes]) -> None:
        """Deliver *lines* (whole records, without their newline) in one request or one
        stream write; raise ``Retry``, ``TooLarge``, ``Rejected`` or ``OSError``."""
        raise NotImplementedError

    def _disconnect(self) -> None:
        """Drop the connection, if any: after a failure, at close, in a forked child."""

    def _pause(self) -> None:
        """Called by a protocol every ``SLICE`` lines it encodes, in the sender thread.

        The sender's Python work holds the GIL that the application's threads need. Unless
        the queue has stayed more than half full, the writer thread finding it full, for
        ``DEFER`` seconds on end, the sender hands the GIL over here, so a burst of logging is
        encoded and shipped just after it rather than during it (the pipeline's buffer and
        the queue hold the lines meanwhile); once the sender has been the bottleneck that
        long (a steady rate above what it ships while yielding), it no longer steps aside and
        keeps up as fast as it can.
        """
        full = self._full_since
        if full is None or time.monotonic() - full < DEFER:
            time.sleep(0)  # releases the GIL: a waiting thread takes it

    # -- the Sink protocol (the writer thread) --------------------------------------------------

    def write(self, data: bytes, /) -> None:
        """Queue whole lines for the sender thread; see the class docstring for a full queue."""
        data = bytes(data)
        count = data.count(b"\n")
        if not count:
            return
        size = len(data)
        with self._cond:
            if self._closed:
                raise SinkClosed(errno.EPIPE, f"{self!r} is closed")
            if self._thread is None or not self._thread.is_alive():
                self._launch()
            if self._queued_bytes + size <= self.queue_bytes // 2:
                self._full_since = None  # the sender keeps up
            elif self._full_since is None and not self._room(size):
                self._full_since = time.monotonic()
            if not self._spilling and not self._closing and not self._room(size):
                if self._spill is None and self._healthy:
                    self._wait_for_room(size)
                if not self._room(size):
                    if self._spill is None:
                        raise OSError(
                            errno.ENOBUFS,
                            f"{self._queued_bytes} bytes wait for the destination"
                            + (f" ({self._last_error})" if self._last_error else ""),
                        )
                    self._spilling = True
            if self._spilling:
                assert self._spill is not None
                if not self._spill.append(data, count):
                    raise OSError(
                        errno.ENOSPC,
                        f"spill directory {self.spill_path!r} is full "
                        f"(spill_max={self.spill_max} bytes) and the destination is down",
                    )
                self._spilled += count
            else:
                self._queue.append(data)
                self._queue_lines += count
                self._queued_bytes += size
                self._queued += count
            self._sent += count
            self._cond.notify_all()

    def _room(self, size: int) -> bool:
        return self._queued_bytes == 0 or self._queued_bytes + size <= self.queue_bytes

    def flush(self) -> None:
        """Send what is queued now, without waiting for a fuller batch (does not wait for it
        to be delivered: ``drain`` does)."""
        with self._cond:
            self._flushes += 1
            self._cond.notify_all()

    def _wait_for_room(self, size: int) -> None:
        """A healthy destination, only slower: wait for room as for a slow disk (lock held).

        At most ``timeout`` without a batch settled; meanwhile the pipeline's writer is told
        it is not stuck, as long as the sender is healthy: one attempt is bounded by
        ``timeout`` and a failed one ends the wait (the destination is then unhealthy)."""
        from .._pipeline.writer import STALL, still_busy

        deadline = time.monotonic() + self.timeout
        settled = self._delivered + self._lost
        while not self._room(size) and self._healthy and not self._closing:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._cond.wait(min(left, STALL / 4))
            if self._delivered + self._lost != settled:
                settled = self._delivered + self._lost
                deadline = time.monotonic() + self.timeout
            if self._healthy:
                still_busy()

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every line written so far is delivered, lost or spilled; False when an
        attempt fails meanwhile (the lines are kept and retried) or after *timeout* seconds
        (``None``: this sink's ``timeout`` plus one batch wait).

        ``fastlog_core.flush()`` calls it, so a flush returns once the records reached the
        destination."""
        if timeout is None:
            timeout = self.timeout + self.batch_wait
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._thread is None:
                return not self._queued and not self._spilling
            failures = self._failures
            self._flushes += 1
            self._cond.notify_all()
            while self._queued or self._spilling:
                if self._failures != failures or not self._thread.is_alive():
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def closing(self) -> None:
        """Shutdown begins (the pipeline's hook): from now on ``write`` takes every line (the
        pipeline's last batches; its capacity bounds them), and ``close_timeout`` runs."""
        with self._cond:
            if not self._closing:
                self._closing = True
                self._deadline = time.monotonic() + self.close_timeout
                self._cond.notify_all()

    def close(self) -> None:
        """Deliver what is queued within ``close_timeout``; spill the rest, or count it lost."""
        self.closing()
        with self._cond:
            if self._closed:
                return
            thread = self._thread
        if thread is not None:
            thread.join(self.close_timeout + self.timeout + 1.0)
        with self._cond:
            self._closed = True
            if thread is not None and thread.is_alive():
                # Stuck in one attempt past its own timeout: what it holds is counted lost.
                self._lose_queue("the sender was stuck at shutdown")
        try:
            self._disconnect()
        except Exception:
            pass
        if self._spill is not None:
            self._spill.close()

    def after_fork(self) -> None:
        """In a forked child: no sender thread, no connection, an empty queue of its own."""
        try:
            self._disconnect()
        except Exception:
            pass
        self._start()

    def _count_truncated(self, count: int, limit: str) -> None:
        """*count* records of the batch just delivered were cut to fit *limit*: counted for
        ``_truncated_stats`` and reported (sender thread)."""
        with self._cond:
            self._truncated += count
        _diagnostics.report(
            "truncated",
            f"{self!r}: {count} record(s) longer than {limit} were truncated "
            f"(marked {_json.TRUNCATED_KEY})",
        )

    def _truncated_stats(self) -> TruncatedStats:
        """``delivery_stats()`` with ``truncated``, for a protocol that cuts records."""
        stats = NetworkSink.delivery_stats(self)
        with self._cond:
            return {**stats, "truncated": self._truncated}

    def delivery_stats(self) -> DeliveryStats:
        with self._cond:
            return {
                "sent": self._sent,
                "delivered": self._delivered,
                "retried": self._retried,
                "lost": self._lost,
                "queued": self._queued,
                "spilled": self._spilled,
                "spill_pending": self._spill.records if self._spill is not None else 0,
                "failures": self._failures,
            }

    # -- the sender thread --------------------------------------------------------------------

    def _launch(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"fastlog-{type(self).__name__}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        carry: list[bytes] = []  # lines taken from the queue, not yet in a batch
        try:
            while True:
                batch, segment = self._next_batch(carry)
                if batch is None:
                    return
                if segment is None:
                    if not self._deliver(batch, carry, from_memory=True):
                        return  # shutdown's time ran out
                    continue
                # A spill segment: in batches of the usual size, deleted once all delivered.
                for part in self._cut(batch):
                    if not self._deliver(part, carry, from_memory=False):
                        return  # it stays on disk
                assert self._spill is not None
                with self._cond:
                    self._spill.commit(segment)
                    self._cond.notify_all()
        except BaseException as exc:  # pragma: no cover - defensive: report, never vanish
            _diagnostics.report("network", f"{self!r}: sender stopped: {type(exc).__name__}: {exc}")
            with self._cond:
                self._lose_queue(f"the sender stopped ({type(exc).__name__})")
                self._closed = True
                self._cond.notify_all()

    def _next_batch(self, carry: list[bytes]) -> tuple[list[bytes] | None, int | None]:
        """The next batch and, for one read from the spill, its segment: the memory queue's
        lines first (older than anything spilled), then the spill's. Waits for a full batch,
        ``batch_wait``, a flush, or close. ``(None, None)``: closed, nothing left to send now.
        """
        cond = self._cond
        with cond:
            first = 0.0  # when the oldest waiting line was seen (for batch_wait)
            while True:
                flushing = self._flushes != self._flushed or self._closing
                lines = len(carry) + self._queue_lines
                if lines:
                    now = time.monotonic()
                    first = first or now
                    if (
                        flushing
                        or lines >= self.batch_records
                        or self._queued_bytes >= self.batch_bytes
                        or now - first >= self.batch_wait
                    ):
                        break
                    cond.wait(self.batch_wait - (now - first))
                    continue
                spill = self._spill
                if spill is not None and spill.records:
                    if self._closing and time.monotonic() >= self._deadline:
                        return None, None  # it stays on disk, for the next process
                    key, data = spill.oldest()
                    return data.splitlines(), key
                if self._spilling:  # the spill is empty: new lines may stay in memory again
                    self._spilling = False
                if self._closing:
                    return None, None
                if self._flushes != self._flushed:
                    self._flushed = self._flushes
                cond.notify_all()  # drain() waits for an empty queue
                cond.wait()
            wanted = self._flushes
            chunks = list(self._queue)
            self._queue.clear()
            self._queue_lines = 0
        # Outside the lock (the writer thread keeps queuing), in pieces with a pause before
        # each: splitting is the per-line work of every batch.
        for chunk in chunks:
            start = 0
            while start < len(chunk):
                self._pause()
                end = chunk.find(b"\n", start + _SPLIT) + 1 or len(chunk)
                piece = chunk if start == 0 and end == len(chunk) else chunk[start:end]
                carry.extend(piece.splitlines())
                start = end
        batch = carry[: self._fitting(carry, 0)]
        del carry[: len(batch)]
        if not carry:  # every line a flush asked for is in a batch now
            self._flushed = wanted
        return batch, None

    def _cut(self, lines: list[bytes]) -> list[list[bytes]]:
        """*lines* in batches within ``batch_records`` and ``batch_bytes``."""
        out: list[list[bytes]] = []
        start = 0
        while start < len(lines):
            end = start + self._fitting(lines, start)
            out.append(lines[start:end])
            start = end
        return out

    def _fitting(self, lines: list[bytes], start: int) -> int:
        """How many of *lines* from *start* make the next batch: at most ``batch_records``,
        within ``batch_bytes`` (a newline after each), at least one. Slices and C-level sums
        rather than a loop in Python: this runs for every line the sink sends."""
        n = min(len(lines) - start, self.batch_records)
        if n <= 1:
            return n
        part = lines[start : start + n]
        if sum(map(len, part)) + n - 1 <= self.batch_bytes:  # the rule below, for k = n
            return n
        sizes = list(itertools.accumulate(map(len, part)))
        fit, over = 1, n  # k lines fit when sizes[k - 1] + k - 1 <= batch_bytes
        while over - fit > 1:
            mid = (fit + over) // 2
            if sizes[mid - 1] + mid - 1 <= self.batch_bytes:
                fit = mid
            else:
                over = mid
        return fit

    def _deliver(self, batch: list[bytes], carry: list[bytes], *, from_memory: bool) -> bool:
        """Send *batch* until each line is delivered or refused: True. False when shutdown's
        time ran out first: then it and *carry* were spilled, or counted lost."""
        pending = [batch]  # in order; a batch refused as too large becomes its two halves
        failures = 0
        while pending:
            part = pending[0]
            note, told = self._take_note()
            try:
                self._send([note, *part] if note is not None else part)
            except TooLarge as exc:
                self._failed(exc.reason, told, retry=False)
                pending.pop(0)
                if len(part) == 1:
                    reason = f"a record of {len(part[0])} bytes is too large: {exc.reason}"
                    self._account(part, 0, reason, from_memory)
                else:
                    half = len(part) // 2
                    pending[:0] = [part[:half], part[half:]]
                continue
            except Rejected as exc:
                pending.pop(0)
                refused = len(part) if exc.records is None else max(0, min(exc.records, len(part)))
                if refused == len(part):  # the note went with the batch: the next one tells it
                    self._failed(exc.reason, told, retry=False)
                self._account(part, len(part) - refused, exc.reason, from_memory)
                continue
            except (Retry, OSError) as exc:
                if isinstance(exc, Retry):
                    reason, after = exc.reason, exc.after
                else:
                    reason, after = f"{type(exc).__name__}: {exc}", None
                self._failed(reason, told, retry=True)
                self._disconnect_quietly()
                failures += 1
                with self._cond:
                    self._retried += len(part)
                if not self._backoff(failures, after):
                    self._give_up(pending, carry, from_memory)
                    return False
                continue
            except Exception as exc:  # a protocol's bug: never kill the thread, never spin
                pending.pop(0)
                self._failed(f"{type(exc).__name__}: {exc}", told, retry=False)
                self._account(part, 0, f"{type(exc).__name__}: {exc}", from_memory)
                continue
            pending.pop(0)
            failures = 0
            self._account(part, len(part), "", from_memory)
        return True

    def _take_note(self) -> tuple[bytes | None, int]:
        """A note line telling the lines lost since the last note, for the next batch."""
        with self._cond:
            lost = self._unnoted
            if not lost:
                return None, 0
            self._unnoted = 0
            reason = self._last_loss
        note = _json.encode(
            _json.timestamp(),
            "warning",
            "fastlog",
            f"{lost} records lost by {self!r}: {reason}",
            {"lost": lost},
        )
        return bytes(note).rstrip(b"\n"), lost

    def _failed(self, reason: str, told: int, *, retry: bool) -> None:
        """An attempt failed: the note it carried is told by the next one; reported."""
        with self._cond:
            self._unnoted += told
            if retry:
                self._failures += 1
                self._healthy = False
                self._last_error = reason
            self._cond.notify_all()
        if retry:
            _diagnostics.report("network", f"sending to {self!r} failed: {reason}; will retry")

    def _account(self, part: list[bytes], delivered: int, reason: str, from_memory: bool) -> None:
        """*part* is done with: its first ``len(part) - delivered`` lines were refused
        (lost, told in the stream, reported with *reason*), the rest delivered."""
        lost = len(part) - delivered
        with self._cond:
            self._delivered += delivered
            if from_memory:
                self._queued_bytes -= sum(map(len, part)) + len(part)
                self._queued -= len(part)
            if lost:
                self._lost += lost
                self._unnoted += lost
                self._last_loss = reason
            else:
                self._healthy = True
                self._last_error = ""
            self._cond.notify_all()
        if lost:
            _diagnostics.report("network", f"{self!r} lost {lost} records: {reason}")

    def _disconnect_quietly(self) -> None:
        try:
            self._disconnect()
        except Exception as exc:
            _diagnostics.report("network", f"{self!r}: closing the connection: {exc!r}")

    def _backoff(self, failures: int, after: float | None) -> bool:
        """Wait before the next attempt; False when shutdown's time ran out."""
        delay = min(self.retry_max_wait, BACKOFF_MIN * 2 ** min(failures - 1, 30))
        delay *= random.uniform(0.5, 1.0)  # jitter: a fleet does not retry in step
        if after is not None:
            delay = max(delay, min(after, RETRY_AFTER_MAX))
        end = time.monotonic() + delay
        with self._cond:
            while True:
                now = time.monotonic()
                if self._closing and now >= self._deadline:
                    return False
                left = (min(end, self._deadline) if self._closing else end) - now
                if left <= 0:
                    return True
                self._cond.wait(left)

    def _give_up(self, pending: list[list[bytes]], carry: list[bytes], from_memory: bool) -> None:
        """Shutdown's time ran out with *pending* undelivered. A spill segment just stays on
        disk (not committed). Lines from memory, and the rest of it, go to the spill ahead of
        what it holds (they are older), or are counted lost."""
        if not from_memory:
            return
        lines = [line for part in pending for line in part]
        lines.extend(carry)
        carry.clear()
        with self._cond:
            while self._queue:
                lines.extend(self._queue.popleft().splitlines())
            self._queue_lines = 0
            if not lines:
                return
            spill = self._spill
            if spill is not None and spill.prepend(b"\n".join(lines) + b"\n", len(lines)):
                self._spilled += len(lines)
                self._queued = 0
                self._queued_bytes = 0
                self._cond.notify_all()
                return
            self._lose_queue(f"not delivered within close_timeout={self.close_timeout}s")

    def _lose_queue(self, reason: str) -> None:
        """Count everything in memory as lost (lock held)."""
        lost = self._queued
        self._queue.clear()
        self._queue_lines = 0
        self._queued = 0
        self._queued_bytes = 0
        if lost:
            self._lost += lost
            _diagnostics.report("network", f"{self!r}: {lost} records lost: {reason}")
