"""docs/platforms/gcp.md's examples, run as Cloud Run runs a container: each in its own process,
with Cloud Run's variables and the metadata server played on loopback, its stdout read the way
Google's logging agent reads a line (the special fields into the ``LogEntry``, by the rules
documented for them; the rest as ``jsonPayload``)."""

from __future__ import annotations

import datetime
import http.server
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "platforms" / "gcp.md"
BLOCK = re.compile(r"<!-- test: (\w+) -->\n```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
PROJECT = "shop-prod"
SERVICE = {"service": "checkout", "version": "checkout-00042-abc"}

# https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#logseverity
SEVERITIES = {
    "DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY",
}  # fmt: skip
# https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#httprequest
HTTP_REQUEST = {
    "requestMethod": str, "requestUrl": str, "requestSize": "int64", "status": int,
    "responseSize": "int64", "userAgent": str, "remoteIp": str, "serverIp": str, "referer": str,
    "latency": "duration", "cacheLookup": bool, "cacheHit": bool,
    "cacheValidatedWithOriginServer": bool, "cacheFillBytes": "int64", "protocol": str,
}  # fmt: skip
SPECIAL = "logging.googleapis.com/"


def agent_entry(line: bytes) -> dict[str, Any]:
    """*line* as the logging agent makes a ``LogEntry`` of it, asserting each special field
    follows its documented form (https://cloud.google.com/logging/docs/structured-logging)."""
    payload = orjson.loads(line)
    assert type(payload) is dict
    entry: dict[str, Any] = {}
    severity = payload.pop("severity")
    assert severity in SEVERITIES
    entry["severity"] = severity
    stamp = payload.pop("time")
    parsed = datetime.datetime.fromisoformat(stamp)
    assert parsed.utcoffset() == datetime.timedelta(0), stamp
    entry["timestamp"] = parsed
    labels = payload.pop(SPECIAL + "labels", None)
    if labels is not None:
        assert all(type(k) is str and type(v) is str for k, v in labels.items()), labels
        entry["labels"] = labels
    location = payload.pop(SPECIAL + "sourceLocation", None)
    if location is not None:
        assert set(location) <= {"file", "line", "function"}
        assert type(location["line"]) is int or str(location["line"]).isdecimal()
        entry["sourceLocation"] = location
    if SPECIAL + "trace" in payload:
        trace = payload.pop(SPECIAL + "trace")
        assert re.fullmatch(r"projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/traces/[0-9a-f]{32}", trace)
        span = payload.pop(SPECIAL + "spanId")
        assert re.fullmatch(r"[0-9a-f]{16}", span)
        sampled = payload.pop(SPECIAL + "trace_sampled")
        assert type(sampled) is bool
        entry.update(trace=trace, spanId=span, traceSampled=sampled)
    request = payload.pop("httpRequest", None)
    if request is not None:
        for key, value in request.items():
            kind = HTTP_REQUEST[key]
            if kind == "int64":
                assert type(value) is str and value.isdecimal(), (key, value)
            elif kind == "duration":
                assert re.fullmatch(r"\d+(\.\d{1,9})?s", value), value
            else:
                assert type(value) is kind, (key, value)
        entry["httpRequest"] = request
    assert not [key for key in payload if key.startswith(SPECIAL)], payload
    entry["jsonPayload"] = payload
    return entry


class MetadataServer:
    """Google's metadata server for the project id: answers only requests that carry
    ``Metadata-Flavor: Google``, with that header, as the real one does."""

    def __init__(self) -> None:
        self.requests = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests += 1
                if (
                    self.path != "/computeMetadata/v1/project/project-id"
                    or self.headers.get("Metadata-Flavor") != "Google"
                ):
                    self.send_error(403)
                    return
                body = PROJECT.encode()
                self.send_response(200)
                self.send_header("Metadata-Flavor", "Google")
                self.send_header("Content-Type", "application/text")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def metadata() -> Iterator[MetadataServer]:
    server = MetadataServer()
    try:
        yield server
    finally:
        server.close()


def cloud_run(
    code: str, metadata: MetadataServer, tmp_path: Path
) -> subprocess.CompletedProcess[bytes]:
    """*code* in a process with Cloud Run's container environment (no project variable: the
    metadata server gives it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("K_", "GOOGLE_", "GCP"))}
    env.pop("FASTLOG_GCP_METADATA", None)  # tests/conftest.py turns the lookup off elsewhere
    env.pop("GCLOUD_PROJECT", None)
    env.update(
        K_SERVICE="checkout",
        K_REVISION="checkout-00042-abc",
        K_CONFIGURATION="checkout",
        PORT="8080",
        GCE_METADATA_HOST=metadata.host,
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done


def example(name: str) -> str:
    blocks = dict(BLOCK.findall(PAGE.read_text(encoding="utf-8")))
    return blocks[name]


def test_every_block_is_tested() -> None:
    """Every python block of the page is one of the named examples this module runs."""
    text = PAGE.read_text(encoding="utf-8")
    assert text.count("```python") == len(BLOCK.findall(text)) == 4


def test_native(metadata: MetadataServer, tmp_path: Path) -> None:
    done = cloud_run(example("native"), metadata, tmp_path)
    info, error = (agent_entry(line) for line in done.stdout.splitlines())
    assert info["severity"] == "INFO"
    assert info["labels"] == {"python_logger": "checkout", "shard": "3"}
    assert info["jsonPayload"] == {"message": "order placed", "order_id": 1234}
    assert error["severity"] == "ERROR"
    assert error["labels"] == {"python_logger": "checkout"}
    trace = error["jsonPayload"].pop("stack_trace")
    assert trace.startswith("Traceback (most recent call last):\n")
    assert trace.endswith("\nZeroDivisionError: division by zero\n")
    assert error["jsonPayload"] == {
        "message": "payment failed",
        "serviceContext": SERVICE,
        "order_id": 1234,
    }
    assert info["timestamp"] <= error["timestamp"]
    assert metadata.requests == 1  # once per process, when the schema is configured


def test_stdlib(metadata: MetadataServer, tmp_path: Path) -> None:
    done = cloud_run(example("stdlib"), metadata, tmp_path)
    (entry,) = (agent_entry(line) for line in done.stdout.splitlines())
    assert entry["severity"] == "WARNING"
    assert entry["labels"] == {"python_logger": "checkout"}
    assert entry["jsonPayload"] == {"message": "stock low", "sku": "A-17", "left": 2}


def test_structlog(metadata: MetadataServer, tmp_path: Path) -> None:
    done = cloud_run(example("structlog"), metadata, tmp_path)
    (entry,) = (agent_entry(line) for line in done.stdout.splitlines())
    assert entry["severity"] == "INFO"
    assert entry["labels"] == {"python_logger": "checkout"}
    assert entry["jsonPayload"] == {"message": "order placed", "order_id": 1234}


# Installed before the example's own provider (which OpenTelemetry then declines: one provider
# per process), to learn the span's ids from the SDK itself.
SPAN_IDS = """
import sys
from opentelemetry import trace as _trace
from opentelemetry.sdk.trace import TracerProvider as _Provider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

class _Print(SpanExporter):
    def export(self, spans):
        for span in spans:
            c = span.get_span_context()
            print(f"{c.trace_id:032x} {c.span_id:016x} {c.trace_flags.sampled}", file=sys.stderr)
        return SpanExportResult.SUCCESS

_provider = _Provider()
_provider.add_span_processor(SimpleSpanProcessor(_Print()))
_trace.set_tracer_provider(_provider)
"""


def test_trace(metadata: MetadataServer, tmp_path: Path) -> None:
    """In a span: the trace names the project the metadata server gave, the span its id."""
    done = cloud_run(SPAN_IDS + example("trace"), metadata, tmp_path)
    trace_id, span_id, sampled = done.stderr.decode().splitlines()[-1].split()
    (entry,) = (agent_entry(line) for line in done.stdout.splitlines())
    assert entry["trace"] == f"projects/{PROJECT}/traces/{trace_id}"
    assert (entry["spanId"], entry["traceSampled"]) == (span_id, sampled == "True")
    assert entry["jsonPayload"] == {"message": "order placed", "order_id": 1234}
    assert metadata.requests == 1


def test_access_record(metadata: MetadataServer, tmp_path: Path) -> None:
    """An access record's HTTP fields become an ``httpRequest`` the agent takes, every field of
    ``LogEntry.HttpRequest`` in its documented form."""
    code = """
import fastlog_core
fastlog_core.configure("stdout", schema="gcp")
fastlog_core.get_logger("access").info("POST /orders", **{
    "http.request.method": "POST", "url.path": "/orders", "url.query": "v=2",
    "http.response.status_code": 201, "client.address": "203.0.113.9", "client.port": 50123,
    "network.protocol.version": "1.1", "user_agent.original": "curl/8.5",
    "http.request.header.referer": ["https://shop.example/"], "http.response.body.size": 512,
    "http.server.request.duration": 0.0123, "http.request.body.size": 37,
})
"""
    done = cloud_run(code, metadata, tmp_path)
    (entry,) = (agent_entry(line) for line in done.stdout.splitlines())
    assert entry["httpRequest"] == {
        "requestMethod": "POST",
        "requestUrl": "/orders?v=2",
        "requestSize": "37",
        "status": 201,
        "responseSize": "512",
        "userAgent": "curl/8.5",
        "remoteIp": "203.0.113.9",
        "referer": "https://shop.example/",
        "latency": "0.0123s",
        "protocol": "HTTP/1.1",
    }
    assert entry["jsonPayload"] == {"message": "POST /orders", "client.port": 50123}


def test_user_trace_outside_a_span(metadata: MetadataServer, tmp_path: Path) -> None:
    """A trace field of the user's own (from X-Cloud-Trace-Context) is the entry's trace."""
    code = """
import fastlog_core
fastlog_core.configure("stdout", schema="gcp")
fastlog_core.get_logger("web").info("request", **{
    "logging.googleapis.com/trace": "projects/shop-prod/traces/0af7651916cd43dd8448eb211c80319c",
    "logging.googleapis.com/spanId": "b7ad6b7169203331",
    "logging.googleapis.com/trace_sampled": True,
})
"""
    done = cloud_run(code, metadata, tmp_path)
    (entry,) = (agent_entry(line) for line in done.stdout.splitlines())
    assert entry["trace"] == "projects/shop-prod/traces/0af7651916cd43dd8448eb211c80319c"
    assert (entry["spanId"], entry["traceSampled"]) == ("b7ad6b7169203331", True)
