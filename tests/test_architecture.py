"""The layout's rules, checked on the source: who may import what, and what importing does.

- An adapter package uses only the public face of the core (``fastlog_core`` and its
  non-underscore modules, ``fastlog_core.adapter`` above all), never a private module.
- No package imports another package's private modules; the core imports no host library.
- Module-level imports inside ``fastlog_core`` form no cycle (a part never reaches upward).
- Importing the packages changes nothing process-wide: no handler, hook, thread or optional
  dependency until the first pipeline exists.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGES = (
    "fastlog_core",
    "fastlog_stdlib",
    "fastlog_structlog",
    "fastlog_loguru",
    "fastlog_read",
    "fastlog_cli",
    "fastlog_web",
)
HOSTS = (
    "structlog",
    "loguru",
    "pythonjsonlogger",
    "msgpack",
    "opentelemetry",
    "boto3",
    "botocore",
    "ddtrace",
    "duckdb",
    "starlette",
    "uvicorn",
)


def modules(package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of *package*."""
    out = {}
    for path in sorted((SRC / package).rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(module: str, path: Path, *, top_level_only: bool = False) -> list[str]:
    """The absolute names *module* imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found = []
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.If) and top_level_only:  # if TYPE_CHECKING: not at run time
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names]
    return found


def is_private(name: str) -> bool:
    return any(part.startswith("_") for part in name.split(".")[1:])


@pytest.mark.parametrize("package", PACKAGES[1:])
def test_adapters_use_only_the_public_core(package: str) -> None:
    """No adapter imports a private module of the core (or of another adapter)."""
    bad = []
    for module, path in modules(package).items():
        for name in imports(module, path):
            top = name.split(".")[0]
            if top in PACKAGES and top != package and is_private(name):
                bad.append(f"{module}: {name}")
    assert bad == []


def test_core_imports_no_host_library() -> None:
    """fastlog_core never imports structlog, loguru or an optional dependency at module level
    (msgpack and opentelemetry are imported on first use, inside a function)."""
    bad = [
        f"{module}: {name}"
        for module, path in modules("fastlog_core").items()
        for name in imports(module, path, top_level_only=True)
        if name.split(".")[0] in HOSTS
    ]
    assert bad == []


def test_core_does_not_import_the_reading_layer() -> None:
    """fastlog_core imports fastlog_read/fastlog_cli at no module level (``python -m
    fastlog_core`` imports the command inside a function, when run)."""
    bad = [
        f"{module}: {name}"
        for module, path in modules("fastlog_core").items()
        for name in imports(module, path, top_level_only=True)
        if name.split(".")[0] in ("fastlog_read", "fastlog_cli")
    ]
    assert bad == []


def test_no_import_cycle_in_the_core() -> None:
    """Module-level imports inside fastlog_core form a DAG."""
    mods = modules("fastlog_core")
    graph: dict[str, set[str]] = {}
    for module, path in mods.items():
        targets = set()
        for imported in imports(module, path, top_level_only=True):
            name = imported
            while name and name not in mods:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                targets.add(name)
        graph[module] = targets
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle.extend([*stack[stack.index(nxt) :], nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycle == []


def test_import_has_no_side_effects() -> None:
    """Importing every package installs no handler, hook or thread, and no optional library."""
    code = textwrap.dedent(
        """
        import atexit, logging, signal, sys, threading  # logging registers its own atexit hook
        HOSTS = sys.argv[1].split(",")
        hooks = atexit._ncallbacks()
        import fastlog_core, fastlog_core.adapter, fastlog_stdlib
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        assert atexit._ncallbacks() == hooks, "atexit hook at import"
        assert threading.active_count() == 1, "a thread at import"
        loaded = sorted(m for m in HOSTS if m in sys.modules)
        assert loaded == [], loaded
        assert "multiprocessing" not in sys.modules
        fastlog_core.get_logger("x").info("first record")
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        assert atexit._ncallbacks() == hooks + 1
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code, ",".join(HOSTS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout.splitlines()


@pytest.mark.parametrize("package", ["fastlog_read", "fastlog_cli"])
def test_the_reading_layer_imports_no_host_at_module_level(package: str) -> None:
    """duckdb and msgpack are imported inside the functions that need them."""
    bad = [
        f"{module}: {name}"
        for module, path in modules(package).items()
        for name in imports(module, path, top_level_only=True)
        if name.split(".")[0] in HOSTS
    ]
    assert bad == []


def test_importing_the_command_loads_neither_hosts_nor_the_core() -> None:
    """``fastlog view`` starts fast: no host library, no fastlog_core, no thread at import."""
    code = textwrap.dedent(
        """
        import sys, threading
        import fastlog_read, fastlog_cli
        loaded = sorted(m for m in [*sys.argv[1].split(","), "fastlog_core"] if m in sys.modules)
        assert loaded == [], loaded
        assert threading.active_count() == 1
        assert "multiprocessing" not in sys.modules
        print("ok")
        """
    )
    # This checkout's packages first, whatever the working directory of the run.
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-c", code, ",".join(HOSTS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout.splitlines()
