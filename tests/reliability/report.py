"""Regenerate the fault table of docs/reliability.md from a run of this suite.

    python -m tests.reliability.report            # runs tests/reliability, rewrites the table
    FASTLOG_SOAK=1 python -m tests.reliability.report   # the long variants

The table sits between ``<!-- reliability:start -->`` and ``<!-- reliability:end -->``; the rest
of the page is prose, kept by hand.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reliability.md"
START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"


def render(rows: list[dict[str, object]]) -> str:
    lines = [
        f"Measured by `python -m tests.reliability.report` on Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs{' (soak)' if os.environ.get('FASTLOG_SOAK') else ''}.",
        "",
        "| Fault | Setup | Sent | Written | Dropped | Lost | Notes |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    lines.extend(
        f"| {r['fault']} | {r['setup']} | {r['sent']:,} | {r['written']:,} | "
        f"{r['dropped']:,} | {r['lost']:,} | {r['note']} |"
        for r in rows
    )
    return "\n".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        env = {**os.environ, "FASTLOG_RELIABILITY_REPORT": str(out)}
        code = subprocess.call(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/reliability"],
            cwd=ROOT,
            env=env,
        )
        if not out.exists():
            print("no results recorded", file=sys.stderr)
            return code or 1
        rows = json.loads(out.read_text())
    page = PAGE.read_text(encoding="utf-8")
    before, _, rest = page.partition(START)
    _, _, after = rest.partition(END)
    PAGE.write_text(f"{before}{START}\n{render(rows)}\n{END}{after}", encoding="utf-8")
    print(f"{len(rows)} rows written to {PAGE.relative_to(ROOT)}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
