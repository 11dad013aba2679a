"""``fastlog web`` as a user runs it: the real console script on loopback."""

from __future__ import annotations

from pathlib import Path

from tests.web.helpers import fastlog_web

LINES = (
    b'{"timestamp":"2026-12-07T10:00:00.000000Z","level":"info","logger":"app","message":"one"}\n'
    b'{"timestamp":"2026-12-07T10:00:01.000000Z","level":"error","logger":"db","message":"two"}\n'
)


def test_prints_its_url_and_serves_the_files(tmp_path: Path) -> None:
    """The first stdout line is the loopback URL; /api/info describes the named file."""
    log = tmp_path / "app.log"
    log.write_bytes(LINES)
    with fastlog_web(str(log)) as server:
        assert server.url.startswith("http://127.0.0.1:")
        info = server.json("/api/info")
    assert info == {
        "files": [str(log)],
        "records": 2,
        "first": "2026-12-07T10:00:00Z",
        "last": "2026-12-07T10:00:01Z",
        "levels": ["info", "error"],
        "loggers": ["app", "db"],
        "fields": [],
        "live": True,
    }
