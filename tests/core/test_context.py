"""Context fields: every record carries them, isolated per thread and per asyncio task."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import fastlog_core
from tests.helpers import read_lines, run_threads


def messages_with(path: Path, key: str) -> dict[str, object]:
    assert fastlog_core.flush(timeout=10)
    return {r["message"]: r.get(key) for r in read_lines(path)}


class TestContext:
    def test_context_manager_adds_and_restores(self, configured: Path) -> None:
        """Fields appear inside the block, nested blocks add, and leaving restores."""
        log = fastlog_core.get_logger()
        with fastlog_core.context(request_id="r-1", user="ann") as fields:
            assert fields == {"request_id": "r-1", "user": "ann"}
            log.info("outer")
            with fastlog_core.context(user="bob", step=2):
                log.info("inner")
            log.info("outer again")
        log.info("outside")
        assert fastlog_core.flush(timeout=10)
        records = {r["message"]: r for r in read_lines(configured)}
        assert records["outer"]["request_id"] == "r-1"
        assert records["outer"]["user"] == "ann"
        assert records["inner"]["user"] == "bob"
        assert records["inner"]["step"] == 2
        assert records["outer again"]["user"] == "ann"
        assert "step" not in records["outer again"]
        assert "request_id" not in records["outside"]

    def test_precedence(self, configured: Path) -> None:
        """Call-site fields beat bound fields, which beat context fields."""
        with fastlog_core.context(a="ctx", b="ctx", c="ctx"):
            fastlog_core.get_logger().bind(b="bound", c="bound").info("m", c="call")
        assert fastlog_core.flush(timeout=10)
        (record,) = read_lines(configured)
        assert (record["a"], record["b"], record["c"]) == ("ctx", "bound", "call")

    def test_bind_unbind_clear(self, configured: Path) -> None:
        """bind_context lasts until unbind_context/clear_context."""
        log = fastlog_core.get_logger()
        fastlog_core.bind_context(tenant="t1", region="eu")
        log.info("both")
        fastlog_core.unbind_context("region", "missing")
        log.info("tenant only")
        assert fastlog_core.get_context() == {"tenant": "t1"}
        fastlog_core.clear_context()
        log.info("none")
        assert fastlog_core.flush(timeout=10)
        records = read_lines(configured)
        assert [(r.get("tenant"), r.get("region")) for r in records] == [
            ("t1", "eu"),
            ("t1", None),
            (None, None),
        ]

    def test_threads_are_isolated(self, configured: Path) -> None:
        """Each thread sees only its own context fields."""
        log = fastlog_core.get_logger()
        barrier = threading.Barrier(4)

        def worker(n: int) -> None:
            with fastlog_core.context(worker=n):
                barrier.wait()
                for i in range(100):
                    log.info(f"w{n}-{i}")

        run_threads(worker, 4)
        found = messages_with(configured, "worker")
        assert len(found) == 400
        for message, worker in found.items():
            assert message.startswith(f"w{worker}-")

    def test_asyncio_tasks_are_isolated(self, configured: Path) -> None:
        """Concurrent tasks keep their own fields across awaits; children inherit."""
        log = fastlog_core.get_logger()

        async def handler(n: int) -> None:
            with fastlog_core.context(request=n):
                await asyncio.sleep(0.01 * (3 - n))
                log.info(f"req{n}")
                await asyncio.create_task(child(n))

        async def child(n: int) -> None:
            await asyncio.sleep(0)
            log.info(f"child{n}")

        async def main() -> None:
            await asyncio.gather(*(handler(n) for n in range(3)))

        asyncio.run(main())
        found = messages_with(configured, "request")
        assert found == {f"req{n}": n for n in range(3)} | {f"child{n}": n for n in range(3)}
