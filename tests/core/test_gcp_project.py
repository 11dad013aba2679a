"""The gcp schema's project id (``detect_project``): the environment first, then Google Cloud's
metadata server, asked once, briefly, and only on Google Cloud; a loopback server stands in for
it (``GCE_METADATA_HOST``, as google-auth reads it)."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import fastlog_core
from fastlog_core._schemas import gcp
from tests.helpers import read_lines

PATH = "/computeMetadata/v1/project/project-id"


@dataclass
class Metadata:
    """A metadata server: ``answer`` (status, body, whether it says Metadata-Flavor: Google),
    an optional delay, and the requests it got (path, their Metadata-Flavor header)."""

    answer: tuple[int, bytes, bool] = (200, b"my-project-42", True)
    delay: float = 0.0
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    host: str = ""


@pytest.fixture
def metadata(monkeypatch: pytest.MonkeyPatch) -> Iterator[Metadata]:
    state = Metadata()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.requests.append((self.path, self.headers.get("Metadata-Flavor")))
            if state.delay:
                time.sleep(state.delay)  # the server is slow: the client must not wait
            status, body, flavored = state.answer
            self.send_response(status)
            if flavored:
                self.send_header("Metadata-Flavor", "Google")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.host = f"127.0.0.1:{server.server_address[1]}"
    for name in (*gcp.PROJECT_VARIABLES, "FASTLOG_GCP_METADATA", "NO_GCE_CHECK", "K_SERVICE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(gcp, "_metadata_project", [])
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_the_environment_comes_first_and_asks_nothing(metadata: Metadata) -> None:
    env = {"GCE_METADATA_HOST": metadata.host, "GCLOUD_PROJECT": "legacy", "GCP_PROJECT": "old"}
    assert gcp.detect_project(env) == "legacy"
    assert gcp.detect_project({**env, "GOOGLE_CLOUD_PROJECT": "current"}) == "current"
    assert gcp.detect_project({"GCE_METADATA_HOST": metadata.host, "GCP_PROJECT": "old"}) == "old"
    assert metadata.requests == []


def test_the_metadata_server_is_asked_once_with_its_header(metadata: Metadata) -> None:
    env = {"GCE_METADATA_HOST": metadata.host}
    assert gcp.detect_project(env) == "my-project-42"
    assert gcp.detect_project(env) == "my-project-42"  # kept: one request per process
    assert metadata.requests == [(PATH, "Google")]


@pytest.mark.parametrize(
    "answer",
    [
        (200, b"my-project-42", False),  # not the metadata server (no Metadata-Flavor)
        (404, b"not found", True),
        (200, b"", True),
        (200, b"two words", True),
        (200, b"\xff\xfe", True),
    ],
)
def test_an_answer_that_is_not_a_project_id_gives_none(
    metadata: Metadata, answer: tuple[int, bytes, bool]
) -> None:
    metadata.answer = answer
    assert gcp.detect_project({"GCE_METADATA_HOST": metadata.host}) is None
    assert len(metadata.requests) == 1


def test_a_slow_server_costs_at_most_the_timeout(metadata: Metadata) -> None:
    metadata.delay = 2.0
    started = time.monotonic()
    assert gcp.detect_project({"GCE_METADATA_HOST": metadata.host}) is None
    # A bound to tell "gave up" from "waited for the answer", not a timing benchmark.
    assert time.monotonic() - started < gcp.METADATA_TIMEOUT + 1.0
    assert gcp.detect_project({"GCE_METADATA_HOST": metadata.host}) is None
    assert len(metadata.requests) == 1  # the absence is kept too


def test_nothing_is_asked_off_google_cloud_or_when_turned_off(
    metadata: Metadata, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without a serverless variable or a metadata host, only the DMI product name tells.
    dmi = Path("/sys/class/dmi/id/product_name")
    on_gce = dmi.exists() and dmi.read_text(errors="replace").startswith("Google")
    assert gcp._on_google_cloud({"UNRELATED": "1"}) is on_gce
    for env in (
        {"GCE_METADATA_HOST": metadata.host, "FASTLOG_GCP_METADATA": "off"},
        {"GCE_METADATA_HOST": metadata.host, "NO_GCE_CHECK": "true"},
    ):
        monkeypatch.setattr(gcp, "_metadata_project", [])
        assert gcp.detect_project(env) is None
    assert metadata.requests == []


def test_cloud_run_counts_as_google_cloud(metadata: Metadata) -> None:
    assert gcp._on_google_cloud({"K_SERVICE": "billing"})
    assert gcp._on_google_cloud({"GCE_METADATA_HOST": metadata.host})
    assert not gcp._on_google_cloud({"K_SERVICE": "billing", "FASTLOG_GCP_METADATA": "off"})


def test_a_traced_record_carries_the_detected_project(
    metadata: Metadata, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """End to end: schema="gcp" configured on "Cloud Run" (the metadata server answering), a
    record logged in an OpenTelemetry span names the project in its trace field."""
    from opentelemetry.sdk.trace import TracerProvider

    monkeypatch.setenv("GCE_METADATA_HOST", metadata.host)
    monkeypatch.setenv("K_SERVICE", "billing")
    path = tmp_path / "app.log"
    fastlog_core.configure(sink=str(path), schema="gcp")
    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("checkout") as span:
        fastlog_core.get_logger("billing").info("charged")
        trace_id = format(span.get_span_context().trace_id, "032x")
    assert fastlog_core.flush()
    [line] = read_lines(path)
    assert line["logging.googleapis.com/trace"] == f"projects/my-project-42/traces/{trace_id}"
    assert metadata.requests == [(PATH, "Google")]
