"""SyslogSink: RFC 5424 messages with the JSON record as MSG, octet-counted on streams, one
datagram per record, read back from a real rsyslog's own output (``tests/network/rsyslog.py``)
after its ``mmjsonparse`` parsed them; and the formatter on its own, byte for byte."""

from __future__ import annotations

import logging
import logging.config
import os
import re
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastlog_core
from fastlog_core import ConfigError
from fastlog_core._network.syslog import (
    FACILITIES,
    SyslogFormat,
    SyslogSink,
    program_name,
    sd_escape,
    severity,
)
from fastlog_stdlib import FastlogHandler
from tests.helpers import child_env, wait_until
from tests.network.rsyslog import Rsyslog

HOST = socket.gethostname()
LINE = b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"warning","logger":"db","message":"slow","ms":870}'  # noqa: E501
LEVELS = {"trace": 7, "debug": 7, "info": 6, "success": 5, "warning": 4, "error": 3, "critical": 2}

_apps = iter(range(1, 1 << 30))


@pytest.fixture
def app(request: pytest.FixtureRequest) -> str:
    """An APP-NAME of this test's own: rsyslog writes its messages to a file of their own."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name.removeprefix("test_"))
    return f"{name[:24]}-{next(_apps)}"


# -- parsing what the sink sends (the tests' own, strict, reading of RFC 5424 and 6587) --------


def unframe(data: bytes) -> list[bytes]:
    """The messages of an octet-counted stream (RFC 6587 3.4.1); fails on anything else."""
    out = []
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        digits = data[pos:space]
        assert digits.isdigit() and not digits.startswith(b"0"), data[pos : pos + 20]
        end = space + 1 + int(digits)
        assert end <= len(data), "a frame runs past the end"
        out.append(data[space + 1 : end])
        pos = end
    return out


def parse_sd(data: bytes) -> tuple[dict[str, dict[str, str]], bytes]:
    """RFC 5424 STRUCTURED-DATA at the start of *data*: ``({sd_id: {name: value}}, rest)``."""
    if data.startswith(b"-"):
        return {}, data[1:]
    elements: dict[str, dict[str, str]] = {}
    text = data.decode()
    pos = 0
    while pos < len(text) and text[pos] == "[":
        match = re.compile(r"[^ \]=\"]+").match(text, pos + 1)
        assert match is not None
        params: dict[str, str] = {}
        elements[match.group()] = params
        pos = match.end()
        while text[pos] == " ":
            name = re.compile(r"[^ \]=\"]+").match(text, pos + 1)
            assert name is not None and text[name.end() : name.end() + 2] == '="'
            pos = name.end() + 2
            value = []
            while text[pos] != '"':
                if text[pos] == "\\" and text[pos + 1] in '"\\]':
                    pos += 1
                else:
                    assert text[pos] not in '"]', "an unescaped quote or bracket"
                value.append(text[pos])
                pos += 1
            params[name.group()] = "".join(value)
            pos += 1
        assert text[pos] == "]"
        pos += 1
    return elements, text[pos:].encode()


def parse(message: bytes) -> dict[str, Any]:
    """An RFC 5424 message's parts (MSG as bytes)."""
    match = re.match(rb"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) ", message)
    assert match is not None, message[:120]
    pri = int(match.group(1))
    sd, rest = parse_sd(message[match.end() :])
    assert rest == b"" or rest.startswith(b" ")
    return {
        "facility": pri // 8,
        "severity": pri % 8,
        "timestamp": match.group(2).decode(),
        "hostname": match.group(3).decode(),
        "app_name": match.group(4).decode(),
        "procid": match.group(5).decode(),
        "msgid": match.group(6).decode(),
        "sd": sd,
        "msg": rest[1:],
    }


def line_of(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record)


def default_line(level: str = "info", message: str = "m", **fields: Any) -> bytes:
    return line_of(
        {
            "timestamp": "2026-01-02T03:04:05.123456Z",
            "level": level,
            "logger": "t",
            "message": message,
            **fields,
        }
    )


def formatter(**options: Any) -> SyslogFormat:
    defaults: dict[str, Any] = {
        "facility": 1,
        "hostname": b"host",
        "app_name": b"app",
        "procid": b"42",
    }
    return SyslogFormat(**{**defaults, **options})


# -- the formatter, on its own --------------------------------------------------------------


class TestSyslogFormat:
    def test_header_and_msg(self) -> None:
        """A default-schema line: PRI from facility and level, its timestamp, the header, and
        the line itself as MSG, without a BOM."""
        fmt = formatter(facility=16, msgid=b"ID7")
        assert fmt.message(LINE) == (
            b"<132>1 2026-01-02T03:04:05.123456Z host app 42 ID7 - " + LINE
        )

    @pytest.mark.parametrize(("level", "sev"), LEVELS.items())
    def test_severity_per_level(self, level: str, sev: int) -> None:
        """Each level name maps to its severity, in the fast path and the parsed one alike."""
        fmt = formatter()
        assert parse(fmt.message(default_line(level)))["severity"] == sev
        other = line_of({"@timestamp": "2026-01-02T03:04:05Z", "log.level": level})
        assert parse(fmt.message(other))["severity"] == sev

    def test_severity_ranges(self) -> None:
        """Level numbers without a name fall in their range; none at all is info."""
        assert [severity(n) for n in (None, 0, 5, 15, 20, 25, 35, 45, 55, 65, 70, 99)] == [
            6, 6, 7, 7, 6, 5, 4, 3, 2, 1, 0, 0,
        ]  # fmt: skip
        assert parse(formatter().message(default_line("level-45")))["severity"] == 3

    def test_other_schemas(self) -> None:
        """ECS, Cloud Logging and Datadog lines: their timestamp and level keys are read."""
        fmt = formatter()
        ecs = parse(fmt.message(b'{"@timestamp":"2026-01-02T03:04:05.5Z","log.level":"error"}'))
        assert (ecs["timestamp"], ecs["severity"]) == ("2026-01-02T03:04:05.5Z", 3)
        gcp = parse(fmt.message(b'{"severity":"NOTICE","time":"2026-01-02T03:04:05+02:00"}'))
        assert (gcp["timestamp"], gcp["severity"]) == ("2026-01-02T03:04:05+02:00", 5)
        assert parse(fmt.message(b'{"status":"critical"}'))["severity"] == 2

    def test_not_json(self) -> None:
        """A line of another encoder (console) is sent as it is: severity info, no
        timestamp (the receiver stamps it)."""
        line = "12:00:00 WARNING db slow ms=870 é".encode()
        message = parse(formatter().message(line))
        assert (message["severity"], message["timestamp"], message["msg"]) == (6, "-", line)

    def test_bad_timestamp_is_nil(self) -> None:
        """A timestamp RFC 5424 cannot carry (no time zone, more than 6 fraction digits) is
        left to the receiver."""
        for value in ("2026-01-02 03:04:05", "2026-01-02T03:04:05.1234567Z", 1767322245):
            line = line_of({"timestamp": value, "level": "info"})
            assert parse(formatter().message(line))["timestamp"] == "-"

    def test_local_header(self) -> None:
        """The local format, as glibc's syslog() writes it to /dev/log without a timestamp."""
        fmt = formatter(header="local", facility=3)
        assert fmt.message(LINE) == b"<28>app[42]: " + LINE

    def test_frame_is_octet_counted(self) -> None:
        """A batch is one buffer of ``LEN SP MSG`` frames, one per line, in order."""
        fmt = formatter()
        lines = [LINE, b"plain text", default_line("error", "x" * 300)]
        assert unframe(fmt.frame(lines)) == [fmt.message(line) for line in lines]

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(
            st.one_of(
                st.builds(
                    default_line,
                    st.sampled_from([*LEVELS, "level-33", "custom"]),
                    st.text(max_size=300),
                    extra=st.text(max_size=50),
                ),
                st.binary(max_size=200).map(lambda b: b.replace(b"\n", b" ")),
                st.dictionaries(st.text(max_size=10), st.integers(-(2**63), 2**63 - 1)).map(
                    orjson.dumps
                ),
            ),
            max_size=20,
        ),
        st.sampled_from([None, 480, 700, 8096]),
        st.booleans(),
    )
    def test_frame_round_trip(
        self, lines: list[bytes], limit: int | None, structured: bool
    ) -> None:
        """Any lines: the frames split back into exactly one message per line, each within
        ``max_message``, equal to what ``message`` makes of it, with a parseable header."""
        fmt = formatter(max_message=limit, structured_data=structured)
        messages = unframe(fmt.frame(lines))
        assert messages == [fmt.message(line) for line in lines]
        for line, message in zip(lines, messages, strict=True):
            assert limit is None or len(message) <= limit
            parsed = parse(message)
            one = formatter(max_message=limit, structured_data=structured)
            one.message(line)
            if not structured and not one.truncated:
                assert parsed["msg"] == line

    @settings(max_examples=300, deadline=None)
    @given(st.text())
    def test_sd_escape(self, value: str) -> None:
        """Escaping leaves no bare ``"``, ``\\`` or ``]``, and reading it back gives the text."""
        escaped = sd_escape(value)
        assert re.sub(r'\\["\\\]]', "", escaped).count('"') == 0
        assert re.sub(r'\\["\\\]]', "", escaped).count("]") == 0
        assert re.sub(r'\\(["\\\]])', r"\1", escaped) == value

    @settings(max_examples=200, deadline=None)
    @given(
        st.dictionaries(
            st.text(
                st.characters(codec="ascii", exclude_characters="\x00"), min_size=1, max_size=40
            ),
            st.one_of(
                st.text(),
                st.integers(-(2**63), 2**63 - 1),
                st.booleans(),
                st.none(),
                st.floats(allow_nan=False, allow_infinity=False),
            ),
            max_size=8,
        ),
        st.text(),
    )
    def test_structured_data(self, fields: dict[str, Any], text: str) -> None:
        """``structured_data=True``: every top-level field is one SD-PARAM whose value reads
        back as the field's text (its JSON for other types), and the message is MSG."""
        fields.pop("message", None)
        fields.pop("timestamp", None)
        record = {"timestamp": "2026-01-02T03:04:05.123456Z", "message": text, **fields}
        message = parse(formatter(structured_data=True, max_message=None).message(line_of(record)))
        assert message["timestamp"] == "2026-01-02T03:04:05.123456Z"
        assert message["msg"] == text.encode("utf-8", "surrogatepass")
        params = message["sd"]["fastlog@32473"]
        expected = {}
        for key, value in fields.items():
            name = re.sub(r"[^!#-<>-\\^-~]", "_", key)[:32]
            expected[name] = value if isinstance(value, str) else orjson.dumps(value).decode()
        assert params == expected

    def test_structured_data_escaping(self) -> None:
        """The three characters RFC 5424 escapes in a value, and an object as JSON text."""
        line = default_line("error", "msg", q='a"b\\c]d', obj={"k": [1]})
        message = formatter(structured_data=True).message(line)
        assert message == (
            b'<11>1 2026-01-02T03:04:05.123456Z host app 42 - [fastlog@32473 level="error" '
            b'logger="t" q="a\\"b\\\\c\\]d" obj="{\\"k\\":[1\\]}"] msg'
        )

    @settings(max_examples=150, deadline=None)
    @given(
        st.text(min_size=1, max_size=4000),
        st.dictionaries(
            st.text(max_size=20).filter(lambda k: k not in ("level", "message")),
            st.text(max_size=3000),
            max_size=6,
        ),
        st.integers(480, 3000),
        st.booleans(),
    )
    def test_truncated_is_valid_and_marked(
        self, text: str, fields: dict[str, str], limit: int, structured: bool
    ) -> None:
        """A record longer than ``max_message``: the message fits, its MSG (or SD) is still
        one JSON object marked with the original size, and it is counted."""
        line = default_line("info", text, **fields)
        whole = formatter(max_message=None, structured_data=structured).message(line)
        fmt = formatter(max_message=limit, structured_data=structured)
        message = fmt.message(line)
        assert len(message) <= limit
        parsed = parse(message)
        if len(whole) <= limit:
            assert (message, fmt.truncated) == (whole, 0)
            return
        assert fmt.truncated == 1
        if structured:
            assert parsed["sd"]["fastlog@32473"]["fastlog_truncated"] == str(len(line))
        else:
            assert orjson.loads(parsed["msg"])["fastlog_truncated"] == len(line)

    def test_truncated_text(self) -> None:
        """A line that is not JSON is cut at a character boundary and marked."""
        fmt = formatter(max_message=600)
        message = fmt.message(("é" * 1000).encode())
        assert len(message) <= 600
        msg = parse(message)["msg"].decode()  # valid UTF-8
        assert msg.endswith("… [fastlog_truncated=2000]")
        assert fmt.truncated == 1


class TestConfig:
    def test_bad_scheme(self) -> None:
        """A URL of another scheme names those accepted."""
        with pytest.raises(ConfigError, match=r"tcp://, tls://, udp://, unix://"):
            SyslogSink("http://127.0.0.1:514")

    @pytest.mark.parametrize("url", ["tcp://:514", "unix://", "tcp://h:99999"])
    def test_bad_url(self, url: str) -> None:
        """A URL without a host, a path or with a bad port."""
        with pytest.raises(ConfigError, match=r"url="):
            SyslogSink(url)

    @pytest.mark.parametrize("facility", ["local8", 24, -1, True, "LOCAL"])
    def test_bad_facility(self, facility: Any) -> None:
        """The message names the option and lists the names accepted."""
        with pytest.raises(ConfigError, match=r"facility=.*local7.*0 to 23"):
            SyslogSink("udp://127.0.0.1:514", facility=facility)

    def test_facility_names(self) -> None:
        """Names (any case) and numbers."""
        for name, number in FACILITIES.items():
            sink = SyslogSink("udp://127.0.0.1:514", facility=name.upper())
            assert sink.formatter.facility == number
        assert SyslogSink("udp://127.0.0.1:514", facility=23).formatter.facility == 23

    @pytest.mark.parametrize(
        ("option", "value"),
        [
            ("app_name", "has space"),
            ("app_name", "x" * 49),
            ("hostname", ""),
            ("msgid", "x" * 33),
            ("procid", "é"),
            ("max_message", 479),
            ("max_message", 500),  # with a 255-character hostname: too little left
            ("max_message", 65508),
            ("header", "rfc3164"),
            ("sd_id", "a b"),
            ("timeout", 0),
            ("ca_file", "/etc/ssl/certs/ca-certificates.crt"),
        ],
    )
    def test_bad_options(self, option: str, value: Any) -> None:
        """Each bad value fails at construction, naming its option."""
        extra = {"hostname": "h" * 255} if value == 500 else {}
        with pytest.raises(ConfigError, match=rf"{option}"):
            SyslogSink("udp://127.0.0.1:514", **{option: value, **extra})

    @pytest.mark.parametrize(
        ("args", "name"),
        [(["app.py"], "app.py"), (["-m", "tool"], "tool"), (["-c", "import app"], "python")],
    )
    def test_program_name(self, tmp_path: Path, args: list[str], name: str) -> None:
        """The default APP-NAME: the script's file name, the package run with ``-m``, or
        ``python`` for ``-c``."""
        (tmp_path / "app.py").write_text(
            "from fastlog_core._network.syslog import program_name; print(program_name())"
        )
        (tmp_path / "tool").mkdir()
        (tmp_path / "tool" / "__main__.py").write_text("import app")
        done = subprocess.run(
            [sys.executable, *args], cwd=tmp_path, env=child_env(), capture_output=True, check=False
        )
        assert done.stdout.decode().strip() == name, done.stderr.decode()

    def test_structured_data_needs_rfc5424(self) -> None:
        """The local header has no place for structured data."""
        with pytest.raises(ConfigError, match="structured_data"):
            SyslogSink("unix:///dev/log", structured_data=True)
        SyslogSink("unix:///dev/log", structured_data=True, header="rfc5424")

    def test_defaults(self) -> None:
        """APP-NAME is the program's name, HOSTNAME the host's, PROCID the pid; unix://
        speaks the local format, the others RFC 5424."""
        fmt = SyslogSink("tcp://127.0.0.1").formatter
        assert fmt.app_name == program_name().encode() == b"pytest"  # python -m pytest
        assert (fmt.hostname, fmt.procid, fmt.msgid) == (
            HOST.encode(),
            str(os.getpid()).encode(),
            b"-",
        )
        assert (fmt.header, fmt.max_message) == ("rfc5424", 8096)
        assert SyslogSink("unix:///dev/log").formatter.header == "local"
        assert repr(SyslogSink("udp://127.0.0.1:514")) == "SyslogSink('udp://127.0.0.1:514')"


# -- against rsyslog --------------------------------------------------------------------------


@pytest.fixture
def configure() -> Iterator[Any]:
    """``configure(sink)``: the native API's default route to *sink*, at TRACE."""

    def configure(sink: SyslogSink) -> fastlog_core.Logger:
        fastlog_core.configure(sink=sink, level="trace")
        return fastlog_core.get_logger("net")

    yield configure
    fastlog_core.shutdown()


def delivered(sink: SyslogSink, count: int) -> None:
    """Wait until the sink counts *count* lines delivered (flush() starts the batch)."""
    fastlog_core.flush()
    wait_until(lambda: sink.delivery_stats()["delivered"] >= count, 30, "delivered")


class TestRsyslog:
    def test_tcp(self, rsyslog: Rsyslog, app: str, configure: Any) -> None:
        """Over TCP: the header as rsyslog parsed it, and the record's fields as its
        mmjsonparse parsed the MSG."""
        sink = SyslogSink(
            rsyslog.url("tcp"), facility="local3", app_name=app, hostname="web-1",
            procid="p-9", msgid="BILL",
        )  # fmt: skip
        log = configure(sink)
        log.warning("charge failed", amount=12.5, user={"id": 42}, text='q"\\]é\ttab')
        fastlog_core.flush()
        [got] = rsyslog.wait_for(app, 1)
        fields = got["fields"]
        assert (fields["message"], fields["amount"], fields["user"]) == (
            "charge failed", 12.5, {"id": 42},
        )  # fmt: skip
        assert fields["text"] == 'q"\\]é\ttab'
        assert got["msg"].encode() == orjson.dumps(fields)  # MSG is the line, byte for byte
        assert {k: got[k] for k in ("hostname", "app_name", "procid", "msgid")} == {
            "hostname": "web-1", "app_name": app, "procid": "p-9", "msgid": "BILL",
        }  # fmt: skip
        assert (got["facility"], got["severity"], got["input"]) == ("19", "4", "tcp")
        assert got["timestamp"] == fields["timestamp"]
        assert got["structured_data"] == "-"

    def test_no_bom(self, rsyslog: Rsyslog, app: str) -> None:
        """Why MSG has no BOM, though RFC 5424 allows one: rsyslog's mmjsonparse does not
        parse a MSG that starts with it (sent here by hand, next to the same MSG without)."""
        record = b'{"message":"m","n":1}'
        with socket.create_connection(("127.0.0.1", rsyslog.tcp)) as conn:
            for msg in (b"\xef\xbb\xbf" + record, record):
                message = b"<14>1 - - %s - - - %s" % (app.encode(), msg)
                conn.sendall(b"%d %s" % (len(message), message))
        with_bom, without = rsyslog.wait_for(app, 2)
        assert with_bom["fields"] == {"msg": "\ufeff" + record.decode()}  # not parsed
        assert without["fields"] == {"message": "m", "n": 1}

    def test_default_header_fields(self, rsyslog: Rsyslog, configure: Any) -> None:
        """Without options: facility user, the host's name, the program's name, the pid."""
        sink = SyslogSink(rsyslog.url("tcp"))
        configure(sink).info("defaults")
        fastlog_core.flush()
        app = program_name()
        got = wait_until(
            lambda: [r for r in rsyslog.records(app) if r["fields"].get("message") == "defaults"]
        )
        assert (got[0]["hostname"], got[0]["procid"], got[0]["facility"]) == (
            HOST, str(os.getpid()), "1",
        )  # fmt: skip

    def test_severity_for_each_level(self, rsyslog: Rsyslog, app: str, configure: Any) -> None:
        """trace and debug: debug (7), info 6, success notice (5), warning 4, error 3,
        critical 2: as rsyslog reads the PRI."""
        log = configure(SyslogSink(rsyslog.url("tcp"), app_name=app))
        for level in LEVELS:
            log.log(level, level)
        fastlog_core.flush()
        got = rsyslog.wait_for(app, len(LEVELS))
        assert {r["fields"]["level"]: int(r["severity"]) for r in got} == LEVELS

    def test_many_in_order(self, rsyslog: Rsyslog, app: str, configure: Any) -> None:
        """10,000 records: all there, once each, in order, and so counted."""
        sink = SyslogSink(rsyslog.url("tcp"), app_name=app)
        log = configure(sink)
        for i in range(10_000):
            log.info("r", i=i)
        fastlog_core.flush()
        got = rsyslog.wait_for(app, 10_000)
        assert [r["fields"]["i"] for r in got] == list(range(10_000))
        stats = sink.delivery_stats()
        assert (stats["sent"], stats["delivered"], stats["lost"], stats["truncated"]) == (
            10_000, 10_000, 0, 0,
        )  # fmt: skip

    def test_udp(self, rsyslog: Rsyslog, app: str, configure: Any) -> None:
        """Over UDP, one datagram a record; one too large for ``max_message`` arrives cut,
        still valid JSON, marked with its original size, and counted."""
        sink = SyslogSink(rsyslog.url("udp"), app_name=app, max_message=2048)
        log = configure(sink)
        log.info("small", i=1)
        log.error("big", blob="x" * 5000, i=2)
        log.info("after", i=3)
        fastlog_core.flush()
        got = rsyslog.wait_for(app, 3)
        assert [(r["input"], r["fields"]["i"]) for r in got] == [("udp", 1), ("udp", 2), ("udp", 3)]
        big = got[1]
        assert 1900 < len(big["msg"].encode()) < 2048  # most of the room kept
        assert big["fields"]["message"] == "big" and big["severity"] == "3"
        assert big["fields"]["blob"].startswith("xxx") and big["fields"]["blob"].endswith("…")
        assert big["fields"]["fastlog_truncated"] > 5000
        assert sink.delivery_stats()["truncated"] == 1
        [pipeline] = fastlog_core.stats()["pipelines"].values()
        assert pipeline["sinks"][0]["delivery"]["truncated"] == 1  # type: ignore[typeddict-item]

    def test_tcp_keeps_large_records_whole(
        self, rsyslog: Rsyslog, app: str, configure: Any
    ) -> None:
        """On TCP too the record is cut to ``max_message``, so rsyslog never cuts a frame
        and takes its rest as a message (its default limit is 8096 bytes)."""
        sink = SyslogSink(rsyslog.url("tcp"), app_name=app)
        log = configure(sink)
        log.info("big", blob="y" * 20_000)
        log.info("next")
        fastlog_core.flush()
        got = rsyslog.wait_for(app, 2)
        assert 7900 < len(got[0]["msg"].encode()) < 8096
        assert got[0]["fields"]["fastlog_truncated"] > 20_000
        assert got[1]["fields"]["message"] == "next"

    def test_unix_datagram(self, rsyslog: Rsyslog, app: str, configure: Any) -> None:
        """``unix://`` to a datagram socket set up as /dev/log is: the local format, which
        rsyslog's imuxsock parses with its default settings."""
        sink = SyslogSink(rsyslog.url("unix"), app_name=app, facility="daemon")
        log = configure(sink)
        for i in range(50):
            log.error("local", i=i)
        fastlog_core.flush()
        got = rsyslog.wait_for(app, 50)
        assert [r["fields"]["i"] for r in got] == list(range(50))
        assert {(r["input"], r["procid"], r["facility"], r["severity"]) for r in got} == {
            ("imuxsock", str(os.getpid()), "3", "3")
        }

    @pytest.mark.parametrize("header", ["local", "rfc5424"])
    def test_unix_stream(self, rsyslog: Rsyslog, app: str, configure: Any, header: str) -> None:
        """``unix://`` to a stream socket: octet-counted frames, either header."""
        sink = SyslogSink(rsyslog.url("unix-stream"), app_name=app, header=header)  # type: ignore[arg-type]
        log = configure(sink)
        for i in range(100):
            log.info("stream", i=i)
        fastlog_core.flush()
        got = rsyslog.wait_for(app, 100)
        assert [r["fields"]["i"] for r in got] == list(range(100))
        assert {(r["input"], r["app_name"], r["procid"]) for r in got} == {
            ("unix-stream", app, str(os.getpid()))
        }

    def test_tls(self, rsyslog: Rsyslog, app: str, configure: Any) -> None:
        """Over TLS, the server's certificate checked against ``ca_file``."""
        sink = SyslogSink(rsyslog.url("tls"), app_name=app, ca_file=rsyslog.ca)
        log = configure(sink)
        for i in range(20):
            log.info("secret", i=i)
        fastlog_core.flush()
        got = rsyslog.wait_for(app, 20)
        assert [(r["input"], r["fields"]["i"]) for r in got] == [("tls", i) for i in range(20)]

    def test_tls_untrusted(
        self, rsyslog: Rsyslog, app: str, configure: Any, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """Verification is on by default: a certificate the system's CAs did not sign is
        refused, each attempt counted and reported, nothing sent, the records kept until
        shutdown gives up on them (counted lost)."""
        sink = SyslogSink(rsyslog.url("tls"), app_name=app, retry_max_wait=0.2, close_timeout=0.5)
        log = configure(sink)
        log.info("never")
        fastlog_core.flush()
        wait_until(lambda: sink.delivery_stats()["failures"] >= 2)
        assert "CERTIFICATE_VERIFY_FAILED" in capfd.readouterr().err
        assert sink.delivery_stats()["queued"] == 1
        fastlog_core.shutdown()
        assert sink.delivery_stats()["lost"] == 1
        assert rsyslog.records(app) == []

    def test_tls_verify_off(self, rsyslog: Rsyslog, app: str, configure: Any) -> None:
        """``verify=False`` accepts any certificate (for tests; not for production)."""
        sink = SyslogSink(rsyslog.url("tls"), app_name=app, verify=False)
        configure(sink).info("unverified")
        fastlog_core.flush()
        assert rsyslog.wait_for(app, 1)[0]["input"] == "tls"

    def test_structured_data(self, rsyslog: Rsyslog, app: str, configure: Any) -> None:
        """``structured_data=True``: rsyslog's mmpstrucdata reads each field back from the
        SD element, escapes undone; the message is MSG."""
        sink = SyslogSink(rsyslog.url("tcp"), app_name=app, structured_data=True)
        log = configure(sink)
        log.error("card declined", code=51, tricky='a"b\\c]d', nested={"k": [1, 2]}, ok=True)
        fastlog_core.flush()
        [got] = rsyslog.wait_for(app, 1)
        assert got["msg"] == "card declined"
        params = got["fields"]["rfc5424-sd"]["fastlog@32473"]
        assert params == {
            "level": "error",
            "logger": "net",
            "code": "51",
            "tricky": 'a"b\\c]d',
            "nested": '{"k":[1,2]}',
            "ok": "true",
        }
        assert got["severity"] == "3"

    def test_console_encoder(self, rsyslog: Rsyslog, app: str) -> None:
        """A sink with the console encoder: its lines (not JSON) are delivered as they are,
        severity info."""
        sink = SyslogSink(rsyslog.url("tcp"), app_name=app)
        fastlog_core.configure(sink={"sink": sink, "encoder": "console"}, colors=False)
        fastlog_core.get_logger("con").warning("plain text", k=1)
        fastlog_core.flush()
        [got] = rsyslog.wait_for(app, 1)
        assert "plain text" in got["msg"] and "k=1" in got["msg"]
        assert (got["severity"], got["fields"]) == ("6", {"msg": got["msg"]})
        fastlog_core.shutdown()

    def test_stdlib_handler(self, rsyslog: Rsyslog, app: str) -> None:
        """stdlib logging through ``FastlogHandler(sink=SyslogSink(...))``."""
        handler = FastlogHandler(sink=SyslogSink(rsyslog.url("tcp"), app_name=app))
        logger = logging.getLogger(f"stdlib.{app}")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        try:
            logger.warning("from %s", "stdlib", extra={"order": 7})
            logger.debug("debug too")
            handler.flush()
            got = rsyslog.wait_for(app, 2)
        finally:
            logger.removeHandler(handler)
            handler.close()
        assert [(r["fields"]["message"], r["severity"]) for r in got] == [
            ("from stdlib", "4"),
            ("debug too", "7"),
        ]
        assert got[0]["fields"]["order"] == 7 and got[0]["fields"]["logger"] == f"stdlib.{app}"

    def test_sink_url(self, rsyslog: Rsyslog, app: str) -> None:
        """By URL in a sink dict, the dict's other keys as the sink's options."""
        url = f"syslog+tcp://127.0.0.1:{rsyslog.tcp}"
        fastlog_core.configure(sink={"sink": url, "app_name": app, "facility": "local1"})
        fastlog_core.get_logger("url").error("by url")
        fastlog_core.flush()
        [got] = rsyslog.wait_for(app, 1)
        assert (got["facility"], got["severity"], got["fields"]["message"]) == (
            "17", "3", "by url",
        )  # fmt: skip
        fastlog_core.shutdown()
        with pytest.raises(ConfigError, match="facility="):
            fastlog_core.configure(sink={"sink": url, "facility": "nope"})

    def test_dictconfig(self, rsyslog: Rsyslog, app: str) -> None:
        """stdlib's dictConfig, a FastlogHandler whose sink is a syslog URL over UDP."""
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "handlers": {
                    "syslog": {
                        "class": "fastlog_stdlib.FastlogHandler",
                        "sink": {"sink": rsyslog.url("udp").replace("udp", "syslog+udp"),
                                 "app_name": app, "msgid": "DC"},
                    }
                },
                "loggers": {app: {"handlers": ["syslog"], "level": "INFO", "propagate": False}},
            }
        )  # fmt: skip
        logger = logging.getLogger(app)
        try:
            logger.info("configured", extra={"n": 1})
            logger.handlers[0].flush()
            [got] = rsyslog.wait_for(app, 1)
        finally:
            for handler in logger.handlers[:]:
                logger.removeHandler(handler)
                handler.close()
        assert (got["input"], got["msgid"], got["fields"]["n"]) == ("udp", "DC", 1)

    def test_rsyslog_restarted(self, rsyslog: Rsyslog, app: str, configure: Any) -> None:
        """rsyslog stopped and started again mid-stream: what was logged meanwhile is retried
        and delivered once rsyslog is back, none lost, the retries counted, a truncation
        counted once however many attempts."""
        sink = SyslogSink(rsyslog.url("tcp"), app_name=app, retry_max_wait=0.5)
        log = configure(sink)
        for i in range(100):
            log.info("before", i=i)
        fastlog_core.flush()
        rsyslog.wait_for(app, 100)
        rsyslog.stop()
        try:
            for i in range(100, 200):
                log.info("while down", i=i, blob="z" * (20_000 if i == 150 else 1))
            fastlog_core.flush()
            wait_until(lambda: sink.delivery_stats()["failures"] >= 1, 30, "a failed attempt")
        finally:
            rsyslog.restart()
        got = rsyslog.wait_for(app, 200)
        assert [r["fields"]["i"] for r in got] == list(range(200))
        stats = sink.delivery_stats()
        assert (stats["delivered"], stats["lost"]) == (200, 0)
        assert stats["retried"] >= 100 and stats["failures"] >= 1
        # The large record: formatted at each attempt, counted once, delivered once.
        assert got[150]["fields"]["fastlog_truncated"] > 20_000
        assert stats["truncated"] == 1

    def test_procid_after_fork(self, rsyslog: Rsyslog, app: str, tmp_path: Path) -> None:
        """A forked child's records carry its own pid as PROCID."""
        code = textwrap.dedent(
            f"""
            import os, fastlog_core
            from fastlog_core._network.syslog import SyslogSink
            fastlog_core.configure(sink=SyslogSink({rsyslog.url("tcp")!r}, app_name={app!r}))
            log = fastlog_core.get_logger("fork")
            log.info("parent")
            fastlog_core.flush()
            pid = os.fork()
            if pid == 0:
                log.info("child")
                fastlog_core.shutdown()
                os._exit(0)
            os.waitpid(pid, 0)
            print(pid)
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=child_env(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        child = done.stdout.decode().split()[-1]
        got = rsyslog.wait_for(app, 2)
        procids = {r["fields"]["message"]: r["procid"] for r in got}
        assert procids["child"] == child != procids["parent"]


class TestDatagrams:
    def test_udp_receiver_down(
        self, app: str, configure: Any, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """UDP to a port nobody listens on: the kernel's report of it (ICMP port unreachable,
        as ECONNREFUSED on the next send) fails that send, which is retried, and is reported;
        the datagram it was about is gone, as UDP goes (counted delivered: sent)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        sink = SyslogSink(f"udp://127.0.0.1:{port}", app_name=app, retry_max_wait=0.1)
        log = configure(sink)
        log.info("first")  # sent into the void: the port is closed
        delivered(sink, 1)
        log.info("second")  # its send meets the ICMP report of the first
        delivered(sink, 2)
        stats = sink.delivery_stats()
        assert stats["failures"] >= 1 and stats["retried"] >= 1
        assert "the receiver refused a datagram" in capfd.readouterr().err

    def test_retry_resumes_without_duplicates(self, tmp_path: Path, app: str) -> None:
        """A Unix datagram socket that stops reading: the send times out part way through a
        batch; the retry goes on from the first datagram not sent, so each record arrives
        once, in order."""
        path = str(tmp_path / "log.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        server.bind(path)
        try:
            sink = SyslogSink(f"unix://{path}", app_name=app, timeout=0.2, retry_max_wait=0.2)
            fastlog_core.configure(sink=sink)
            log = fastlog_core.get_logger("dgram")
            count = 3000  # more than a Unix socket queues (net.unix.max_dgram_qlen)
            for i in range(count):
                log.info("d", i=i)
            fastlog_core.flush()
            wait_until(lambda: sink.delivery_stats()["failures"] >= 1, 30, "a full socket")
            received: list[int] = []

            def read() -> None:
                server.settimeout(10)
                while len(received) < count:
                    data = server.recv(65536)
                    head, _, msg = data.partition(b": ")
                    assert head.endswith(f"{app}[{os.getpid()}]".encode())
                    received.append(orjson.loads(msg)["i"])

            reader = threading.Thread(target=read)
            reader.start()
            reader.join(60)
            assert received == list(range(count))
            wait_until(lambda: sink.delivery_stats()["delivered"] == count)
            server.setblocking(False)
            with pytest.raises(BlockingIOError):  # and nothing more: no record sent twice
                server.recv(65536)
        finally:
            fastlog_core.shutdown()
            server.close()
