"""The OTLP/HTTP test receiver: the scripted loopback receiver (``receiver.py``) plus the
decoding of every request with the official ``opentelemetry-proto`` messages.

A protobuf body is parsed with ``ExportLogsServiceRequest.FromString``; a JSON one with
``google.protobuf.json_format.Parse`` after checking it is OTLP/JSON as the spec writes it
(lowerCamelCase keys, enums as numbers, 64-bit integers as strings, ids as hex; the hex ids
are turned into base64 for ``json_format``, which follows the plain proto3 mapping). Replies
can be scripted: a partial success (``partial``), an error status with a ``google.rpc.Status``
body (``status``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from tests.network.receiver import Receiver, Reply, Request

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


def _status_class() -> Any:
    """A message with ``google.rpc.Status``'s fields (``code`` 1, ``message`` 2): what an
    OTLP/HTTP server puts in an error's body. Built here because googleapis-common-protos is
    not a test dependency; the wire format is the same."""
    file = descriptor_pb2.FileDescriptorProto(
        name="fastlog_tests/status.proto", package="fastlog_tests.rpc", syntax="proto3"
    )
    message = file.message_type.add(name="Status")
    message.field.add(name="code", number=1, type=5, label=1)  # int32
    message.field.add(name="message", number=2, type=9, label=1)  # string
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("fastlog_tests.rpc.Status"))


Status = _status_class()


@dataclass
class Decoded:
    """One request as the receiver got it, and its body parsed."""

    request: Request
    message: ExportLogsServiceRequest
    accepted: bool


@dataclass
class Record:
    """One log record, with what encloses it."""

    resource: dict[str, Any]
    scope: str
    record: LogRecord

    @property
    def attributes(self) -> dict[str, Any]:
        return {kv.key: plain(kv.value) for kv in self.record.attributes}

    @property
    def body(self) -> Any:
        return plain(self.record.body)


def plain(value: AnyValue) -> Any:
    """An ``AnyValue`` as Python: an empty one is ``None``, a kvlist a dict, an array a list."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "kvlist_value":
        return {kv.key: plain(kv.value) for kv in value.kvlist_value.values}
    if kind == "array_value":
        return [plain(v) for v in value.array_value.values]
    return getattr(value, kind)


def _check_otlp_json(node: Any, path: str = "") -> None:
    """OTLP/JSON's rules the plain proto3 parser does not enforce."""
    if isinstance(node, dict):
        for key, value in node.items():
            assert "_" not in key, f"{path}.{key}: OTLP/JSON keys are lowerCamelCase"
            where = f"{path}.{key}"
            if key in ("timeUnixNano", "observedTimeUnixNano", "intValue"):
                assert isinstance(value, str), f"{where}: a 64-bit integer is a decimal string"
            if key == "severityNumber":
                assert isinstance(value, int), f"{where}: enums are numbers in OTLP/JSON"
            if key in ("traceId", "spanId"):
                assert isinstance(value, str), where
                bytes.fromhex(value)  # hex, not base64
            _check_otlp_json(value, where)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _check_otlp_json(item, f"{path}[{i}]")


def _ids_to_base64(node: Any) -> None:
    if isinstance(node, dict):
        for key in ("traceId", "spanId"):
            if key in node:
                node[key] = base64.b64encode(bytes.fromhex(node[key])).decode()
        for value in node.values():
            _ids_to_base64(value)
    elif isinstance(node, list):
        for item in node:
            _ids_to_base64(item)


def decode(request: Request) -> ExportLogsServiceRequest:
    """The body of a request to ``/v1/logs``, parsed with the official message."""
    assert request.path == "/v1/logs", request.path
    kind = request.headers.get("content-type")
    if kind == PROTOBUF:
        message = ExportLogsServiceRequest.FromString(request.body)
        # Byte for byte what protobuf itself writes for the message it read: no unknown or
        # repeated field, canonical varints, fields in protobuf's order.
        assert message.SerializeToString() == request.body
        return message
    assert kind == JSON, f"content-type {kind!r}"
    tree = json.loads(request.body)
    _check_otlp_json(tree)
    _ids_to_base64(tree)
    return json_format.Parse(json.dumps(tree), ExportLogsServiceRequest())


class OTLPReceiver:
    """A loopback OTLP/HTTP receiver: ``url`` is the base (``http://127.0.0.1:<port>``) an
    ``OTLPSink`` is given; replies are scripted in ``script`` (see ``partial``, ``status``)."""

    def __init__(self) -> None:
        self.http = Receiver()
        self.url = self.http.url
        self.script = self.http.script

    def decoded(self) -> list[Decoded]:
        """Every request, accepted and refused, in the order they were answered per kind."""
        with self.http._cond:
            accepted = list(self.http.requests)
            refused = list(self.http.refused)
        return [Decoded(r, decode(r), True) for r in accepted] + [
            Decoded(r, decode(r), False) for r in refused
        ]

    def accepted(self) -> list[ExportLogsServiceRequest]:
        with self.http._cond:
            return [decode(r) for r in self.http.requests]

    def records(self) -> list[Record]:
        """Every record of the accepted requests, in order."""
        return [
            Record(
                {kv.key: plain(kv.value) for kv in resource_logs.resource.attributes},
                scope_logs.scope.name,
                record,
            )
            for message in self.accepted()
            for resource_logs in message.resource_logs
            for scope_logs in resource_logs.scope_logs
            for record in scope_logs.log_records
        ]

    def wait_records(self, count: int, timeout: float = 30.0) -> list[Record]:
        """Once the accepted requests hold at least *count* records: all of them."""

        def enough(requests: list[Request]) -> bool:
            total = 0
            for request in requests:
                for resource_logs in decode(request).resource_logs:
                    for scope_logs in resource_logs.scope_logs:
                        total += len(scope_logs.log_records)
            return total >= count

        self.http.wait_for(enough, timeout)
        return self.records()

    @staticmethod
    def partial(rejected: int, message: str, *, kind: str = PROTOBUF) -> Reply:
        """A 200 whose ``ExportLogsServiceResponse`` says *rejected* records were refused."""
        response = ExportLogsServiceResponse(
            partial_success=ExportLogsPartialSuccess(
                rejected_log_records=rejected, error_message=message
            )
        )
        body = (
            response.SerializeToString()
            if kind == PROTOBUF
            else json_format.MessageToJson(response).encode()
        )
        return Reply(200, body, {"Content-Type": kind})

    @staticmethod
    def status(
        code: int, message: str, *, retry_after: str | None = None, kind: str = PROTOBUF
    ) -> Reply:
        """An error reply: HTTP *code*, a ``Status`` body with *message*."""
        status = Status(code=3, message=message)
        body = (
            status.SerializeToString()
            if kind == PROTOBUF
            else json_format.MessageToJson(status).encode()
        )
        headers = {"Content-Type": kind}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return Reply(code, body, headers)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def otlp_receiver() -> Iterator[OTLPReceiver]:
    receiver = OTLPReceiver()
    try:
        yield receiver
    finally:
        receiver.close()
