"""Developer entry point: needs only Python >= 3.11 and pip.

    python3 dev.py demo      # set up .venv, run the demo (native API, JSON written, records/s)
    python3 dev.py test      # set up .venv, run lint, type checks and the whole test suite
    python3 dev.py bench     # set up .venv, run every benchmarks/bench_*.py (--quick: smoke run)

The virtual environment lives in .venv next to this file and is reused on later runs; it is
reinstalled when pyproject.toml changes. Extra arguments after ``test`` go to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".fastlog-installed"


def run(*cmd: str | os.PathLike[str]) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"fastlog needs Python >= 3.11; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    # Dependency groups (PEP 735) need pip >= 25.1.
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip>=25.1")
    run(
        PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[all]",
        "--group", "test", "--group", "lint", "--group", "bench", "--group", "docs",
    )  # fmt: skip
    STAMP.write_text(wanted)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in ("demo", "test", "bench"):
        sys.exit(__doc__)
    command, rest = argv[0], argv[1:]
    ensure_venv()
    if command == "demo":
        run(PYTHON, "examples/demo.py", *rest)
    elif command == "test":
        run(PYTHON, "-m", "ruff", "check", "src", "tests", "benchmarks", "examples", "dev.py")
        run(PYTHON, "-m", "ruff", "format", "--check", "src", "tests", "benchmarks", "examples")
        run(PYTHON, "-m", "mypy")
        run(PYTHON, "-m", "pytest", *rest)
    else:
        for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
            run(PYTHON, script.relative_to(ROOT), *rest)


if __name__ == "__main__":
    main(sys.argv[1:])
