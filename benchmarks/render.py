"""Regenerate results.md, the PNG charts and the README's table from a suite's results.json.

    python benchmarks/render.py                          # docs/benchmarks/results.json
    python benchmarks/render.py path/to/results.json     # writes next to that file
    python benchmarks/render.py --no-readme              # leave README.md alone

The README's section between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` is rewritten;
without those markers the README is left alone and a notice is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _suite_report import summarize, write_outputs

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "results",
        nargs="?",
        default=os.path.join(os.path.dirname(HERE), "docs", "benchmarks", "results.json"),
    )
    parser.add_argument("--no-readme", action="store_true", help="do not touch README.md")
    args = parser.parse_args(argv)
    with open(args.results) as f:
        results = json.load(f)
    summarize(results)
    out = os.path.dirname(os.path.abspath(args.results))
    write_outputs(results, out, readme=not args.no_readme)
    print(f"wrote {out}/results.md and charts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
