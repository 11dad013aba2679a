"""Google Cloud Logging's structured-logging fields (``schema="gcp"``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final

import orjson

from . import http
from .base import (
    CORE,
    EXC,
    HTTP,
    LABELS,
    LOC,
    LevelCache,
    Schema,
    clamp,
    copy_rest,
    key_tables,
)


def gcp_severity(levelno: int) -> str:
    """Cloud Logging's ``LogSeverity`` for a level number, by range.

    0 is DEFAULT ("no assigned severity"), below 20 DEBUG, 20-24 INFO, 25-29 NOTICE (loguru's
    SUCCESS: "normal but significant"), 30s WARNING, 40s ERROR, 50s CRITICAL, 60s ALERT,
    70 and above EMERGENCY.
    """
    levelno = clamp(levelno)
    if levelno == 0:
        return "DEFAULT"
    if levelno < 20:
        return "DEBUG"
    if levelno < 25:
        return "INFO"
    if levelno < 30:
        return "NOTICE"
    if levelno < 40:
        return "WARNING"
    if levelno < 50:
        return "ERROR"
    if levelno < 60:
        return "CRITICAL"
    if levelno < 70:
        return "ALERT"
    return "EMERGENCY"


_GCP_LEVELS: Final = LevelCache(gcp_severity)

# The project id, for the trace field's full form

#: Where the project id is looked for first, in order (google-auth's ``PROJECT`` and
#: ``LEGACY_PROJECT``, then older Cloud Functions' own).
PROJECT_VARIABLES: Final = ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "GCP_PROJECT")
#: Set by Cloud Run services and jobs, Cloud Functions and App Engine.
_SERVERLESS: Final = ("K_SERVICE", "CLOUD_RUN_JOB", "FUNCTION_TARGET", "GAE_APPLICATION")
_METADATA_PATH: Final = "/computeMetadata/v1/project/project-id"
#: The whole metadata request's time, in seconds: it runs once, when the schema is configured.
METADATA_TIMEOUT: Final = 0.2
_OFF: Final = ("off", "0", "false", "no")
_metadata_project: list[str | None] = []  # the metadata server's answer, once asked


def detect_project(environ: Mapping[str, str] = os.environ) -> str | None:
    """The Google Cloud project id: from the environment (``PROJECT_VARIABLES``), else from
    the metadata server when running on Google Cloud, else ``None``.

    The metadata server is asked once per process (the answer, or its absence, is kept), with
    ``Metadata-Flavor: Google`` and a ``METADATA_TIMEOUT`` in all, and only on Google Cloud:
    a Cloud Run, Cloud Functions or App Engine variable, ``GCE_METADATA_HOST`` (or
    ``GCE_METADATA_ROOT``) set, or a machine whose DMI product name starts with ``Google``
    (Compute Engine, GKE nodes), as google-auth checks. ``FASTLOG_GCP_METADATA=off`` (or
    google-auth's ``NO_GCE_CHECK=true``) never asks.
    """
    for name in PROJECT_VARIABLES:
        value = environ.get(name)
        if value:
            return value
    if _metadata_project:
        return _metadata_project[0]
    value = _ask_metadata(environ) if _on_google_cloud(environ) else None
    _metadata_project[:] = [value]
    return value


def _on_google_cloud(environ: Mapping[str, str]) -> bool:
    if environ.get("FASTLOG_GCP_METADATA", "").strip().lower() in _OFF:
        return False
    if environ.get("NO_GCE_CHECK", "").strip().lower() in ("1", "true", "yes"):
        return False
    if environ.get("GCE_METADATA_HOST") or environ.get("GCE_METADATA_ROOT"):
        return True
    if any(environ.get(name) for name in _SERVERLESS):
        return True
    try:
        with open("/sys/class/dmi/id/product_name", encoding="ascii", errors="replace") as f:
            return f.read().startswith("Google")
    except OSError:
        return False


def _ask_metadata(environ: Mapping[str, str]) -> str | None:
    """One GET to the metadata server; its answer if it is one (a 200 carrying
    ``Metadata-Flavor: Google``, a plausible id), else ``None``. Never raises."""
    import http.client
    import time

    host = (
        environ.get("GCE_METADATA_HOST")
        or environ.get("GCE_METADATA_ROOT")
        or "metadata.google.internal"
    )
    deadline = time.monotonic() + METADATA_TIMEOUT
    conn = http.client.HTTPConnection(host, timeout=METADATA_TIMEOUT)
    try:
        conn.connect()
        conn.request("GET", _METADATA_PATH, headers={"Metadata-Flavor": "Google"})
        left = deadline - time.monotonic()
        if left <= 0 or conn.sock is None:
            return None
        conn.sock.settimeout(left)
        response = conn.getresponse()
        body = response.read(256)
        if response.status != 200 or response.getheader("Metadata-Flavor") != "Google":
            return None
        if time.monotonic() > deadline:
            return None
        project = body.decode("ascii").strip()
    except (OSError, http.client.HTTPException, UnicodeDecodeError, ValueError):
        return None
    finally:
        conn.close()
    if not project or len(project) > 100 or not project.isprintable() or "/" in project:
        return None
    if any(c.isspace() for c in project):
        return None
    return project


def service_context(environ: Mapping[str, str] = os.environ) -> dict[str, str] | None:
    """Error Reporting's ``serviceContext`` for this process: the service and version Cloud
    Run (and Cloud Functions) or App Engine name in the environment, else ``None``."""
    service = environ.get("K_SERVICE") or environ.get("GAE_SERVICE")
    if not service:
        return None
    context = {"service": service}
    version = environ.get("K_REVISION") or environ.get("GAE_VERSION")
    if version:
        context["version"] = version
    return context


def label_value(value: Any) -> str:
    """A label's value as the string ``LogEntry.labels`` (``map<string, string>``) holds: a
    string as it is, anything else as its JSON text (``42``, ``true``, ``null``)."""
    if type(value) is str:
        return value
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except Exception:  # not JSON-serialisable: its str(), or its type's name
        try:
            return str(value)
        except Exception:
            return f"<{type(value).__name__}>"


def _labels(labels: dict[Any, Any]) -> dict[str, str]:
    for key, value in labels.items():
        if type(key) is not str or type(value) is not str:
            break
    else:  # the common case: all strings already
        return labels
    return {
        key if type(key) is str else label_value(key): label_value(value)
        for key, value in labels.items()
    }


# Google Cloud Logging

_SERVICE_CONTEXT: Final = "serviceContext"
_GCP_SOURCE: Final = "logging.googleapis.com/sourceLocation"
_GCP_LABELS: Final = "logging.googleapis.com/labels"
_GCP_TRACE: Final = "logging.googleapis.com/trace"
_GCP_SPAN: Final = "logging.googleapis.com/spanId"
_GCP_SAMPLED: Final = "logging.googleapis.com/trace_sampled"

_GCP_CONSUMED: Final = {
    "file": LOC,
    "line": LOC,
    "function": LOC,
    "exception": EXC,
    _GCP_LABELS: LABELS,
}
_GCP_WRITTEN: Final = ("severity", "time", _GCP_SOURCE, _GCP_LABELS, "stack_trace")
_GCP_SOFT: Final = (_GCP_TRACE, _GCP_SPAN, _GCP_SAMPLED)

_GCP_TABLES = _GCP_KEYS, _GCP_KEYS_TRACED = key_tables(
    consumed=_GCP_CONSUMED, written=_GCP_WRITTEN, soft=_GCP_SOFT, same=("message",)
)
# For a record with the HTTP group: httpRequest is the schema's then, a user's own one
# passes through in any other record.
_GCP_HTTP_TABLES = key_tables(
    consumed={**_GCP_CONSUMED, **dict.fromkeys(http.GCP_CONSUMED, HTTP)},
    written=(*_GCP_WRITTEN, *http.GCP_WRITTEN),
    soft=_GCP_SOFT,
    same=("message",),
)


class GcpSchema(Schema):
    """Google Cloud Logging's structured-logging special fields.

    ``severity`` (LogSeverity), ``message``, ``time`` (RFC 3339), the location as
    ``logging.googleapis.com/sourceLocation`` ``{file, line, function}``, the logger as the
    label ``python_logger`` (as Google's own ``StructuredLogHandler`` does; a user's
    ``logging.googleapis.com/labels`` dict is merged in), the traceback as ``stack_trace``
    (which Error Reporting evaluates first) with ``serviceContext`` (``service_context``) when
    the environment names the service, label values as strings, and in a span
    ``logging.googleapis.com/trace``
    (``projects/<project>/traces/<id>``, the project from ``detect_project`` when the schema
    is resolved, or the bare id without one), ``logging.googleapis.com/spanId`` and
    ``logging.googleapis.com/trace_sampled``.
    Process and thread fields keep the core's names. An access record's HTTP fields become
    the ``httpRequest`` special field (``http.py``).
    """

    __slots__ = ("project", "service")

    def __init__(self, project: str | None = None) -> None:
        super().__init__("gcp", "severity")
        if project is None:
            project = detect_project()
        self.project = project
        self.service = service_context()

    def _ids(self, trace_id: int, span_id: int, flags: int) -> Any:
        trace = format(trace_id, "032x")
        if self.project:
            trace = f"projects/{self.project}/traces/{trace}"
        return (trace, format(span_id, "016x"), bool(flags & 1))

    def apply(self, fields: dict[str, Any], levelno: int) -> dict[str, Any]:
        """The record in Cloud Logging's layout. Never raises.

        timeit, Python 3.11 (machine and method in ``Schema.apply``): 770 ns; 1290 ns with
        location, process, thread and an exception; 940 ns with opentelemetry installed and
        no span; 1260 ns in a span.
        """
        try:
            get = fields.get
            severity = _GCP_LEVELS[levelno]
            out: dict[str, Any] = {
                "severity": severity,
                "message": get("message"),
                "time": get("timestamp"),
            }
            consumed = CORE
            if "function" in fields and "line" in fields and "file" in fields:
                consumed |= LOC
                out[_GCP_SOURCE] = {
                    "file": fields["file"],
                    "line": fields["line"],
                    "function": fields["function"],
                }
            logger = get("logger")
            labels: dict[str, Any] | None = (
                {"python_logger": logger} if logger is not None else None
            )
            user_labels = get(_GCP_LABELS)
            if type(user_labels) is dict:
                consumed |= LABELS
                labels = {**labels, **user_labels} if labels is not None else dict(user_labels)
                labels = _labels(labels)
            elif labels is not None and type(logger) is not str:
                labels = _labels(labels)
            if labels:
                out[_GCP_LABELS] = labels
            exc = get("exception")
            if type(exc) is dict and "traceback" in exc:
                consumed |= EXC
                out["stack_trace"] = exc.get("traceback")
                if self.service is not None:  # a user's own serviceContext field replaces it
                    out[_SERVICE_CONTEXT] = self.service
            tables = _GCP_TABLES
            if "http.response.status_code" in fields:  # http.HTTP_MARK, inlined: the one test
                consumed |= HTTP
                tables = _GCP_HTTP_TABLES
                out[http.GCP_HTTP_REQUEST] = http.gcp_http(fields)
            ids = self._trace() if self._current_span is not None else None
            if ids is None:
                copy_rest(fields, out, tables[0], consumed)
            else:
                out[_GCP_TRACE] = ids[0]
                out[_GCP_SPAN] = ids[1]
                out[_GCP_SAMPLED] = ids[2]
                copy_rest(fields, out, tables[1], consumed)
            return out
        except Exception as exc:
            return self._failed(fields, exc)
