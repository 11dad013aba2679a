"""One destination, one set of settings: the rule every entry point follows (``_registry``).

Identical settings are accepted in any form (a path with options or a ``FileSink``); a call
without settings shares the destination's; ``configure()`` replaces them and notes in the
stream what changed; any other entry point asking for other settings fails at configure time,
naming each option and both values.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import fastlog_core
from fastlog_core import ConfigError, FileSink, adapter
from tests.helpers import child_env, read_lines


def notes(path: Path) -> list[dict[str, object]]:
    """The records fastlog itself wrote into *path*."""
    return [r for r in read_lines(path) if r["logger"] == "fastlog"]


class TestConfigureTwice:
    def test_identical_options_in_any_form_are_accepted(self, log_path: Path) -> None:
        """A FileSink with rotation, then the path with the same rotation ("100 MB" is
        100_000_000): one pipeline, nothing changed, nothing noted."""
        sink = FileSink(log_path, rotation="100 MB", retention=10, compression="gz")
        fastlog_core.configure(sink=sink)
        pipeline = fastlog_core.get_pipeline(str(log_path))
        fastlog_core.configure(
            sink=str(log_path), rotation=100_000_000, retention=10, compression="gzip"
        )
        fastlog_core.get_logger().info("one")
        assert fastlog_core.get_pipeline(str(log_path)) is pipeline
        assert pipeline.sinks == [sink]
        assert fastlog_core.flush(timeout=10)
        assert [r["message"] for r in read_lines(log_path)] == ["one"]

    def test_new_rotation_is_applied_and_noted(self, log_path: Path) -> None:
        """The second configure() replaces the rotation on the live pipeline and writes one
        record naming each option with its old and new value."""
        fastlog_core.configure(sink=str(log_path), rotation="100 MB", retention=10)
        pipeline = fastlog_core.get_pipeline(str(log_path))
        fastlog_core.configure(sink=str(log_path), rotation="1 GB", retention=10)
        assert fastlog_core.get_pipeline(str(log_path)) is pipeline
        assert (
            repr(pipeline.sinks[0]) == f"FileSink({str(log_path)!r}, rotation='1 GB', retention=10)"
        )
        assert fastlog_core.flush(timeout=10)
        (note,) = notes(log_path)
        assert note["level"] == "info"
        assert note["message"] == (
            f"configure() changed the settings of {log_path} (given by configure()): "
            "rotation='100 MB' -> '1 GB'"
        )
        assert note["changed"] == {"rotation": ["100 MB", "1 GB"]}

    def test_file_sink_object_after_a_path_is_applied(self, log_path: Path) -> None:
        """configure(path), then configure(FileSink(path, rotation=...)): the FileSink given is
        the one writing (it used to be ignored without a word)."""
        fastlog_core.configure(sink=str(log_path))
        sink = FileSink(log_path, rotation="00:00")
        fastlog_core.configure(sink=sink)
        assert fastlog_core.get_pipeline(str(log_path)).sinks == [sink]
        fastlog_core.get_logger().info("after")
        assert fastlog_core.flush(timeout=10)
        note, record = read_lines(log_path)
        assert note["changed"] == {"rotation": [None, "00:00"]}
        assert record["message"] == "after"

    def test_records_logged_before_the_change_go_out_before_it(self, log_path: Path) -> None:
        """Records logged with the old settings are written before the sink changes."""
        fastlog_core.configure(sink=str(log_path), flush_interval=60)
        log = fastlog_core.get_logger()
        for i in range(100):
            log.info("before", i=i)
        fastlog_core.configure(sink=str(log_path), rotation="1 GB", flush_interval=60)
        log.info("after")
        assert fastlog_core.flush(timeout=10)
        records = read_lines(log_path)
        assert [r.get("i") for r in records[:100]] == list(range(100))
        assert records[100]["logger"] == "fastlog"
        assert records[101]["message"] == "after"
        assert fastlog_core.stats()["lost"] == 0

    def test_replacing_an_adapters_settings_is_noted(self, log_path: Path) -> None:
        """configure() on a destination whose sampling another entry point gave: applied,
        and the note names who gave the old settings."""
        fastlog_core.get_pipeline(str(log_path), sample={"debug": 10}, owner="FastlogHandler")
        fastlog_core.configure(sink=str(log_path), level="debug")
        assert fastlog_core.get_pipeline(str(log_path)).settings.sample == ()
        assert fastlog_core.flush(timeout=10)
        (note,) = notes(log_path)
        assert "(given by FastlogHandler): sample={'debug': 10} -> None" in str(note["message"])

    def test_defaults_nobody_gave_are_replaced_without_a_note(self, log_path: Path) -> None:
        """A destination only asked for by a bare path takes configure()'s settings quietly."""
        bare = fastlog_core.get_pipeline(str(log_path))
        fastlog_core.configure(sink=str(log_path), preset="fastest")
        assert bare.settings.policy == "drop"
        assert fastlog_core.flush(timeout=10)
        assert notes(log_path) == []


class TestOtherEntryPoints:
    def test_other_settings_fail_naming_option_and_both_values(self, log_path: Path) -> None:
        """A second entry point with another rotation fails at configure time; the message
        names the option, both values, and who gave the destination's."""
        fastlog_core.get_pipeline(str(log_path), rotation="100 MB", owner="FastlogHandler")
        with pytest.raises(ConfigError) as info:
            fastlog_core.get_pipeline(str(log_path), rotation="1 GB", owner="FastlogSink")
        message = str(info.value)
        assert message.startswith(f"FastlogSink: sink={str(log_path)!r} already has other")
        assert "given by FastlogHandler: rotation='100 MB' vs '1 GB'" in message

    def test_without_settings_shares(self, log_path: Path) -> None:
        """A bare path shares the destination's settings, whoever gave them."""
        first = fastlog_core.get_pipeline(str(log_path), preset="fastest")
        assert fastlog_core.get_pipeline(str(log_path)) is first
        assert first.settings.policy == "drop"

    @pytest.mark.parametrize("bare_first", [True, False], ids=["bare-first", "options-first"])
    def test_order_does_not_matter(self, log_path: Path, bare_first: bool) -> None:
        """Options in one place and a bare path in the other: the same result either way."""
        calls = [
            lambda: fastlog_core.get_pipeline(str(log_path)),
            lambda: fastlog_core.get_pipeline(str(log_path), preset="fastest", rotation="1 GB"),
        ]
        for call in calls if bare_first else calls[::-1]:
            call()
        pipeline = fastlog_core.get_pipeline(str(log_path))
        assert pipeline.settings.policy == "drop"
        assert "rotation='1 GB'" in repr(pipeline.sinks[0])

    def test_a_file_sink_object_gives_its_options(self, log_path: Path) -> None:
        """A FileSink with other rotation than the destination's conflicts, as the path would."""
        fastlog_core.get_pipeline(str(log_path), rotation="1 GB")
        with pytest.raises(ConfigError, match=r"rotation='1 GB' vs '1 MB'"):
            fastlog_core.get_pipeline(FileSink(log_path, rotation="1 MB"))
        assert fastlog_core.get_pipeline(FileSink(log_path, rotation=10**9)) is not None

    def test_per_sink_options_named_with_their_sink(self, tmp_path: Path) -> None:
        """Two sinks: a per-sink difference names the sink it is about."""
        sinks = [str(tmp_path / "a.log"), {"sink": "stderr", "level": "warning"}]
        fastlog_core.get_pipeline(sinks)
        other = [str(tmp_path / "a.log"), {"sink": "stderr", "level": "error"}]
        with pytest.raises(ConfigError, match=r"sink 'stderr' level='warning' vs 'error'"):
            fastlog_core.get_pipeline(other)


class TestOptionNames:
    @pytest.mark.parametrize(
        ("call", "suggestion"),
        [
            (lambda: fastlog_core.configure(capcity=1), "'capcity' (did you mean 'capacity'?)"),
            (lambda: fastlog_core.configure(levl="debug"), "'levl' (did you mean 'level'?)"),
            (lambda: fastlog_core.configure(preset="balance"), "(did you mean 'balanced'?)"),
            (lambda: fastlog_core.get_pipeline(rotaton="1 MB"), "(did you mean 'rotation'?)"),
            (
                lambda: fastlog_core.configure(sink={"sink": "stdout", "levle": 30}),
                "unknown key 'levle' (did you mean 'level'?)",
            ),
        ],
        ids=["option", "parameter", "preset", "get_pipeline", "sink-dict-key"],
    )
    def test_misspelt_names_get_a_suggestion(self, call: object, suggestion: str) -> None:
        """A misspelt option, parameter, preset or sink key fails with the closest name."""
        with pytest.raises(ConfigError) as info:
            call()  # type: ignore[operator]
        assert suggestion in str(info.value)


class TestStats:
    def test_speedups_says_which_path_runs(self) -> None:
        """stats()["speedups"]: True with the C extension in use, False on the pure-Python path
        (FASTLOG_NO_SPEEDUPS=1 here), so a failed build shows at run time, not only in pip -v."""
        code = "import fastlog_core; print(fastlog_core.stats()['speedups'])"
        shown = {}
        for off in ("", "1"):
            env = child_env(FASTLOG_NO_SPEEDUPS=off)
            if not off:
                del env["FASTLOG_NO_SPEEDUPS"]
            proc = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
            )
            shown[off] = proc.stdout.strip()
        built = importlib.util.find_spec("fastlog_core._speedups") is not None
        gil = getattr(sys, "_is_gil_enabled", lambda: True)()
        assert shown == {"": str(built and gil), "1": "False"}
        assert fastlog_core.stats()["speedups"] is adapter.SPEEDUPS
