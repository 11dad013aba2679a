"""Presets keep their promises; bad configuration fails at configure time, naming the option."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import fastlog_core
from fastlog_core import ConfigError
from tests.helpers import read_lines


class TestConfigErrors:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"preset": "turbo"}, "preset='turbo'"),
            ({"capcity": 10}, "unknown option 'capcity'"),
            ({"capacity": -1}, "capacity=-1"),
            ({"capacity": "lots"}, "capacity='lots'"),
            ({"policy": "retry"}, "policy='retry'"),
            ({"flush_interval": 0}, "flush_interval=0"),
            ({"flush_interval": "fast"}, "flush_interval='fast'"),
            ({"level": "verbose"}, "level='verbose'"),
            ({"max_record_bytes": 10}, "max_record_bytes=10"),
            ({"capacity": 4096, "max_record_bytes": 8192}, "larger than capacity=4096"),
            ({"block_timeout": -1}, "block_timeout=-1"),
            ({"format": "xml"}, "format='xml'"),
            ({"colors": "yes"}, "colors='yes'"),
            ({"sink": 42}, "sink=42"),
            ({"sink": []}, "sink=[]"),
        ],
    )
    def test_bad_option_named(self, kwargs: dict[str, object], message: str) -> None:
        """Each bad option raises ConfigError whose message names it."""
        with pytest.raises(ConfigError) as info:
            fastlog_core.configure(**kwargs)  # type: ignore[arg-type]
        assert message in str(info.value)

    def test_unwritable_path(self, tmp_path: Path) -> None:
        """A path that cannot be created fails at configure time."""
        blocker = tmp_path / "file"
        blocker.write_text("")
        with pytest.raises(ConfigError, match="cannot open for appending"):
            fastlog_core.configure(sink=str(blocker / "sub" / "app.log"))

    @pytest.mark.parametrize("value", [float("inf"), 1e10, -1])
    def test_flush_interval_out_of_range(self, value: float) -> None:
        """An interval the platform cannot wait for fails at configure time."""
        with pytest.raises(ConfigError, match="flush_interval="):
            fastlog_core.configure(flush_interval=value)

    def test_sizes_accept_units(self, log_path: Path) -> None:
        """Sizes accept '64 KiB' and '16MB' as well as integers."""
        fastlog_core.configure(sink=str(log_path), capacity="16MB", max_record_bytes="64 KiB")
        settings = fastlog_core.get_pipeline(str(log_path)).settings
        assert settings.capacity == 16_000_000
        assert settings.max_record_bytes == 65536


class TestPresets:
    def test_fastest_never_blocks(self, log_path: Path) -> None:
        """fastest drops instead of blocking when full."""
        fastlog_core.configure(sink=str(log_path), preset="fastest")
        assert fastlog_core.get_pipeline(str(log_path)).settings.policy == "drop"

    def test_durable_error_on_disk_when_call_returns(self, log_path: Path) -> None:
        """durable: an ERROR record is in the file as soon as the call returns."""
        fastlog_core.configure(sink=str(log_path), preset="durable", flush_interval=60)
        log = fastlog_core.get_logger()
        log.info("buffered")
        log.error("on disk")
        assert [r["message"] for r in read_lines(log_path)] == ["buffered", "on disk"]

    def test_dev_is_synchronous_and_readable(self, log_path: Path) -> None:
        """dev writes human-readable lines in the caller, before the call returns."""
        fastlog_core.configure(sink=str(log_path), preset="dev", level="debug")
        log = fastlog_core.get_logger("web")
        log.info("listening", port=8080, host="0.0.0.0")
        try:
            raise KeyError("x")
        except KeyError:
            log.exception("boom")
        text = log_path.read_text()
        first = text.splitlines()[0]
        assert first.endswith(" INFO     web  listening  port=8080 host=0.0.0.0")
        assert first[:15].count(":") == 2
        assert "ERROR    web  boom" in text
        assert "Traceback (most recent call last):" in text
        assert "\x1b[" not in text

    def test_dev_colors_on_a_terminal_only(self, tmp_path: Path) -> None:
        """dev colours stderr when it is a TTY, here forced with colors=True."""
        script = tmp_path / "s.py"
        script.write_text(
            "import fastlog_core\n"
            "fastlog_core.configure(sink='stderr', preset='dev', colors=True)\n"
            "fastlog_core.get_logger('c').warning('careful')\n"
        )
        proc = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
        )
        assert "\x1b[33mWARNING " in proc.stderr
        assert "careful" in proc.stderr

    def test_reconfigure_preset_in_place(self, log_path: Path) -> None:
        """configure() again on the same file switches its preset without losing records."""
        fastlog_core.configure(sink=str(log_path))
        log = fastlog_core.get_logger()
        log.info("async")
        fastlog_core.configure(sink=str(log_path), preset="dev")
        log.info("sync")
        assert "sync" in log_path.read_text()
        fastlog_core.configure(sink=str(log_path), preset="balanced")
        log.info("async again")
        assert fastlog_core.flush(timeout=10)
        lines = log_path.read_text().splitlines()
        assert lines[0].startswith('{"timestamp"')
        # configure() notes each change of settings it makes, in the new settings' format.
        assert (
            "fastlog  configure() changed" in lines[1] and "preset='balanced' -> 'dev'" in lines[1]
        )
        assert "INFO" in lines[2] and "sync" in lines[2]
        assert '"logger":"fastlog"' in lines[3] and "preset='dev' -> 'balanced'" in lines[3]
        assert '"async again"' in lines[4]
        assert len(lines) == 5

    def test_balanced_block_default(self) -> None:
        """balanced blocks by default and has a stated capacity."""
        settings = fastlog_core.PRESETS["balanced"]
        assert settings.policy == "block"
        assert settings.capacity == 32 * 1024 * 1024
