"""Internal errors: always counted, described on stderr once per kind per interval."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import fastlog_core


class TestErrorReports:
    def test_counted_every_time_reported_once(self) -> None:
        """1000 bad records: 1000 counted, one line on stderr (rate-limited)."""
        code = textwrap.dedent(
            """
            import fastlog_core
            fastlog_core.configure(sink="stdout")
            log = fastlog_core.get_logger()
            for i in range(1000):
                log.info("bad", n=2**100)
            fastlog_core.flush()
            import sys
            print(fastlog_core.stats()["errors_by_kind"], file=sys.stderr)
            """
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
        reports = [line for line in proc.stderr.splitlines() if line.startswith("fastlog:")]
        assert len(reports) == 1
        assert "Integer exceeds 64-bit range" in reports[0]
        assert proc.stderr.splitlines()[-1] == "{'encoding': 1000}"
        assert proc.stdout.count("\n") == 1000

    def test_report_after_interval_says_how_many_were_skipped(
        self, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """After the interval, the next report carries the count of unreported ones."""
        from fastlog_core import _diagnostics

        clock = [1000.0]  # the interval is 10 s: move the clock instead of sleeping
        monkeypatch.setattr(_diagnostics.time, "monotonic", lambda: clock[0])
        for _ in range(5):
            _diagnostics.report("sink", "disk full")
        clock[0] += _diagnostics.REPORT_INTERVAL + 1
        _diagnostics.report("sink", "disk full")
        reports = capfd.readouterr().err.splitlines()
        assert reports == [
            "fastlog: sink: disk full",
            "fastlog: sink: disk full (4 more since the last report)",
        ]
        assert fastlog_core.stats()["errors_by_kind"] == {"sink": 6}
