"""A real uvicorn server configured with --log-config, serving requests, stopped by SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import free_port, read_lines, wait_for_port

pytest.importorskip("uvicorn", reason="uvicorn is part of the test dependencies")

APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})
"""

REQUESTS = 60


def log_config(kind: str, path: Path, log: Path) -> Path:
    if kind == "ini":
        text = (
            "[loggers]\nkeys=root,uvicorn,access\n\n"
            "[handlers]\nkeys=json\n\n[formatters]\nkeys=\n\n"
            "[logger_root]\nlevel=INFO\nhandlers=json\n\n"
            "[logger_uvicorn]\nlevel=INFO\nhandlers=\nqualname=uvicorn\npropagate=1\n\n"
            "[logger_access]\nlevel=INFO\nhandlers=\nqualname=uvicorn.access\npropagate=1\n\n"
            "[handler_json]\nclass=fastlog_stdlib.FastlogHandler\nlevel=INFO\n"
            f"args=({str(log)!r},)\n"
        )
        target = path / "log.ini"
        target.write_text(text)
        return target
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {
            "json": {"class": "fastlog_stdlib.FastlogHandler", "sink": str(log), "level": "INFO"}
        },
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": ["json"], "level": "INFO", "propagate": False},
        },
    }
    if kind == "json":
        target = path / "log.json"
        target.write_text(json.dumps(config))
    else:
        import yaml

        target = path / "log.yaml"
        target.write_text(yaml.safe_dump(config))
    return target


@pytest.mark.parametrize("kind", ["json", "yaml", "ini"])
def test_uvicorn_access_log_complete_after_sigterm(tmp_path: Path, kind: str) -> None:
    """Every access-log line is present and valid after SIGTERM, for each config format."""
    if kind == "yaml":
        pytest.importorskip("yaml", reason="PyYAML is part of the test dependencies")
    (tmp_path / "app.py").write_text(APP)
    log = tmp_path / "server.log"
    config = log_config(kind, tmp_path, log)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-config", str(config)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        for i in range(REQUESTS):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/item/{i}", timeout=5) as resp:
                assert resp.status == 200
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    # uvicorn >= 0.29 re-raises SIGTERM after its graceful shutdown (older ones exit 0); either
    # way atexit does not run on the re-raised signal: fastlog's SIGTERM flush must do it.
    assert server.returncode in (0, -signal.SIGTERM), stderr
    records = read_lines(log)
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert [r["message"] for r in access] == [
        f'127.0.0.1:{r["message"].split(":")[1].split(" ")[0]} - "GET /item/{i} HTTP/1.1" 200'
        for i, r in enumerate(access)
    ]
    assert len(access) == REQUESTS
    assert all(r["level"] == "info" for r in access)
    messages = [r["message"] for r in records if r["logger"] == "uvicorn.error"]
    assert any("Uvicorn running on" in m for m in messages)
    assert "Shutting down" in messages
    assert any(m.startswith("Finished server process") for m in messages)
    assert all("color_message" not in r for r in records)
