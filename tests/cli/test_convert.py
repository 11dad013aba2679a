"""``fastlog convert`` run as the real console script: output equals fastlog's own encoders."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from fastlog_core import ConsoleEncoder, LogfmtEncoder, MsgpackEncoder

from .helpers import run_fastlog, run_fastlog_bytes, write_fastlog

SCHEMAS = ("default", "ecs", "gcp", "datadog", "otel")


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("convert")
    files = {}
    for schema in SCHEMAS:
        files[schema] = root / f"{schema}.log"
        write_fastlog(files[schema], schema)
    return files


@pytest.mark.parametrize("schema", SCHEMAS)
def test_to_json_gives_fastlogs_default_schema_byte_for_byte(
    logs: dict[str, Path], schema: str
) -> None:
    result = run_fastlog_bytes("convert", "--to", "json", str(logs[schema]))
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout == logs["default"].read_bytes()


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize(
    ("to", "encoder"),
    [
        ("logfmt", LogfmtEncoder()),
        ("console", ConsoleEncoder(colors=False)),
        ("msgpack", MsgpackEncoder()),
    ],
)
def test_encoders_equal_a_sinks_output(
    logs: dict[str, Path], schema: str, to: str, encoder: LogfmtEncoder
) -> None:
    lines = logs["default"].read_bytes().splitlines()
    expected = b"".join(encoder.encode(orjson.loads(line)) for line in lines)
    result = run_fastlog_bytes("convert", "--to", to, str(logs[schema]))
    assert (result.returncode, result.stdout) == (0, expected)


def test_round_trip_and_filters(logs: dict[str, Path]) -> None:
    json_out = run_fastlog_bytes("convert", "--to", "json", str(logs["otel"])).stdout
    again = run_fastlog_bytes("convert", "--to", "json", "-", input=json_out)
    assert again.stdout == json_out
    errors = run_fastlog_bytes("convert", "--to", "json", "-l", "error", str(logs["gcp"]))
    assert errors.stdout == logs["default"].read_bytes().splitlines(keepends=True)[3]
    logfmt = run_fastlog_bytes("convert", "--to", "logfmt", str(logs["default"])).stdout
    relogfmt = run_fastlog_bytes("convert", "--to", "logfmt", "-", input=logfmt).stdout
    # logfmt flattens nested objects to JSON strings; everything else survives the trip
    assert relogfmt == logfmt


def test_text_lines_become_messages_and_bad_target_is_usage() -> None:
    result = run_fastlog_bytes("convert", "--to", "json", "-", input=b"plain text\n")
    assert result.stdout == b'{"message":"plain text"}\n'
    assert run_fastlog_bytes("convert", "--to", "yaml", "-", input=b"").returncode == 2


def test_missing_msgpack_exits_3(tmp_path: Path) -> None:
    # A module named msgpack that fails to import shadows the installed one for the child.
    (tmp_path / "msgpack.py").write_text("raise ImportError('msgpack is not installed')\n")
    shadow = str(tmp_path)
    result = run_fastlog("convert", "--to", "msgpack", "-", input=b"{}\n", PYTHONPATH_FIRST=shadow)
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == (
        "fastlog: convert --to msgpack needs msgpack: pip install 'fastlog-py[msgpack]'\n"
    )
