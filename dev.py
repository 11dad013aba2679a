"""Developer entry point: needs only Python >= 3.11 and pip.

    python3 dev.py demo      # fastlog and orjson only, then the demo (its lines, vs stdlib logging)
    python3 dev.py test      # the dev group, then ruff, mypy --strict and the whole test suite
                             # (ours, then each host's own suite in tests/upstream/)
    python3 dev.py bench     # the bench group, then every benchmarks/bench_*.py (--quick: smoke)

The environments are declared in pyproject.toml (extras and PEP 735 dependency groups) and pinned
in uv.lock; this file only fronts uv. It creates .venv next to this file, pip-installs uv into it
(the version below) and runs ``uv sync --inexact`` with the groups the command needs, so a later
command adds to what an earlier one installed and never removes it. Extra arguments after
``test`` go to the pytest run of fastlog's own suite (not to the upstream suites, which always
run whole: a few seconds each), after ``demo`` and ``bench`` to the scripts.

In CI (``CI`` set) the sync is ``--locked``: it fails when uv.lock is out of date with
pyproject.toml instead of updating it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
UV = BIN / ("uv.exe" if os.name == "nt" else "uv")
UV_VERSION = "0.13.9"  # also in the workflows (astral-sh/setup-uv); uv.lock is written by it

# What each command installs on top of fastlog itself (editable) and orjson.
GROUPS = {
    "demo": [],  # examples/demo.py imports fastlog_core, fastlog_stdlib and the standard library
    "test": ["dev"],  # test + lint + docs, with every extra
    "bench": ["bench"],  # the peer libraries and matplotlib, with every extra
}


def run(*cmd: str | os.PathLike[str], env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_uv() -> None:
    """Create .venv with the running Python and pip-install the pinned uv into it."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"fastlog needs Python >= 3.11; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if UV.exists():
        done = subprocess.run([UV, "--version"], capture_output=True, text=True, check=False)
        if done.stdout.split()[1:2] == [UV_VERSION]:
            return
    run(PYTHON, "-m", "pip", "install", "--quiet", f"uv=={UV_VERSION}")


def sync(command: str) -> None:
    """Install what *command* needs from uv.lock into .venv, keeping what is already there."""
    env = dict(os.environ)
    env.update(
        UV_PROJECT_ENVIRONMENT=str(VENV),  # this .venv, even if the caller set another one
        UV_PYTHON=str(PYTHON),
        UV_PYTHON_DOWNLOADS="never",  # the Python that runs dev.py, nothing downloaded
        VIRTUAL_ENV=str(VENV),
    )
    env.pop("UV_FROZEN", None)
    groups = [arg for group in GROUPS[command] for arg in ("--group", group)]
    locked = ["--locked"] if os.environ.get("CI") else []
    run(UV, "sync", "--inexact", "--quiet", "--no-default-groups", *groups, *locked, env=env)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in GROUPS:
        sys.exit(__doc__)
    command, rest = argv[0], argv[1:]
    ensure_uv()
    sync(command)
    if command == "demo":
        run(PYTHON, "examples/demo.py", *rest)
    elif command == "test":
        paths = ("src", "tests", "benchmarks", "examples", "dev.py", "hatch_build.py")
        run(PYTHON, "-m", "ruff", "check", *paths)
        run(PYTHON, "-m", "ruff", "format", "--check", *paths)
        run(PYTHON, "-m", "mypy")
        run(PYTHON, "-m", "pytest", *rest)
        # Each host's own test suite, vendored in tests/upstream/<host>/ with fastlog configured
        # around it: a pytest process per suite, because each brings its host's pytest settings
        # and a top-level package named "tests" of its own (tests/upstream/README.md).
        # A suite's optional runs.txt gives one run per line (extra pytest arguments, e.g. the
        # harness's configuration to test); without it, one run.
        for ini in sorted((ROOT / "tests" / "upstream").glob("*/pytest.ini")):
            suite = ini.parent
            runs = suite / "runs.txt"
            lines = runs.read_text(encoding="utf-8").splitlines() if runs.exists() else [""]
            for line in lines:
                if line.strip().startswith("#"):
                    continue
                run(PYTHON, "-m", "pytest", suite.relative_to(ROOT), *line.split())
    else:
        for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
            run(PYTHON, script.relative_to(ROOT), *rest)


if __name__ == "__main__":
    main(sys.argv[1:])
