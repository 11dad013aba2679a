"""python-json-logger's own test suite, run with ``FastlogFormatter`` in place of its
``JsonFormatter``: the harness around the vendored copy.

``tests/`` beside this file is python-json-logger's test suite, unchanged (see README.md). Before
it is collected, ``pythonjsonlogger.json.JsonFormatter`` is replaced by fastlog's formatter, so
every test written for ``JsonFormatter`` (and the dictConfig test, which names it by its dotted
path) runs against fastlog. ``--formatter`` picks which configuration stands in:

- ``fastlog`` (the default): ``FastlogFormatter`` as a migrating user gets it, fastlog's schema.
  The tests that fail only because of a documented schema choice are listed in
  ``EXPECTED_FAILURES`` with the choice, and marked ``xfail(strict=True)``: one that starts
  passing fails the run, and so does an entry that names no test.
- ``pjl_compatible``: ``FastlogFormatter(pjl_compatible=True)``. Every test must pass.

The tests pjl parametrizes over its other formatters (``OrjsonFormatter``, ``MsgspecFormatter``,
pjl's own code, present when orjson/msgspec are installed) are deselected: fastlog stands in
for ``JsonFormatter`` only.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import pythonjsonlogger.json

from fastlog_stdlib import FastlogFormatter

HERE = Path(__file__).resolve().parent

# The suite imports itself as the package ``tests`` ("ext://tests.test_dictconfig..."): that
# must be the vendored one, not fastlog's own ``tests``.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
_tests = sys.modules.get("tests")
if _tests is not None and Path(getattr(_tests, "__file__", "") or "").parent != HERE / "tests":
    raise pytest.UsageError(
        f"the package 'tests' is already imported from {_tests.__file__}; run this suite in its "
        "own pytest process (python3 dev.py test does)"
    )


class PjlCompatibleFormatter(FastlogFormatter):
    """``FastlogFormatter(pjl_compatible=True)``, as a class the suite can construct and
    subclass as it does ``JsonFormatter``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("pjl_compatible", True)
        super().__init__(*args, **kwargs)


FORMATTERS: dict[str, type[FastlogFormatter]] = {
    "fastlog": FastlogFormatter,
    "pjl_compatible": PjlCompatibleFormatter,
}

#: The formatter tests that fail with fastlog's schema, by a documented schema choice
#: (docs/migrate/stdlib.md): node id without parameters -> the choice. Nothing else belongs
#: here; a test failing for any other reason is a fidelity bug.
_F = "tests/test_formatters.py::"
_KEYS = (
    "asserts pjl's key names: fastlog writes asctime, levelname and name as timestamp, level "
    "and logger, always present"
)
_ORDER = "asserts the renamed level is the first key: fastlog's schema starts with timestamp"
_LEVEL = "asserts the level 'INFO': fastlog writes level names in lower case"
_EXC = (
    "asserts the traceback text under exc_info: fastlog writes a structured exception object "
    "(type, message, traceback) under exception"
)
_TIME = (
    "asserts pjl's timestamp text (+00:00, seconds): fastlog writes RFC 3339 UTC, microseconds, Z"
)
_LAYOUT = (
    "reads the raw line as json.dumps lays it out (': ', \\u escapes): fastlog writes orjson's "
    "compact UTF-8 unless asked (json_ensure_ascii=True, json_indent, pjl_compatible)"
)
EXPECTED_FAILURES: dict[str, str] = {
    _F + "test_percentage_format": _KEYS,
    _F + "test_string_template_format": _KEYS,
    _F + "test_comma_format": _KEYS,
    _F + "test_sequence_list_format": _KEYS,
    _F + "test_sequence_tuple_format": _KEYS,
    _F + "test_format_keys": _KEYS,
    _F + "test_rename_preserve_order": _ORDER,
    _F + "test_rename_once": _LEVEL,
    _F + "test_log_dict_not_modified": _EXC,
    _F + "test_exc_info": _EXC,
    _F + "test_exc_info_renamed": _EXC,
    _F + "test_exc_info_renamed_not_required": _EXC,
    _F + "test_exc_info_as_array": _EXC,
    _F + "test_exception_notes": _EXC,
    _F + "test_exception_notes_as_array": _EXC,
    _F + "test_exception_groups": _EXC,
    _F + "test_exception_groups_as_array": _EXC,
    _F + "test_exception_groups_with_notes": _EXC,
    _F + "test_exception_groups_with_notes_as_array": _EXC,
    _F + "test_default_encoder_with_timestamp": _TIME,
    _F + "test_json_ensure_ascii_true": _LAYOUT,
    _F + "test_json_ensure_ascii_false": _LAYOUT,
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--formatter",
        choices=sorted(FORMATTERS),
        default="fastlog",
        help="which FastlogFormatter configuration stands in for pjl's JsonFormatter",
    )


def pytest_configure(config: pytest.Config) -> None:
    # pjl's tests of one release say nothing reliable about another (tests/test_upstream.py
    # flags a mismatch in the main suite too).
    vendored = (HERE / "VERSION").read_text(encoding="utf-8").strip()
    installed = metadata.version("python-json-logger")
    if installed != vendored:
        raise pytest.UsageError(
            f"python-json-logger {installed} is installed, these are the tests of {vendored}: "
            f"refresh the copy ({HERE / 'README.md'})"
        )
    # Before the suite's modules are imported: they bind JsonFormatter at import.
    pythonjsonlogger.json.JsonFormatter = FORMATTERS[config.getoption("formatter")]  # type: ignore[misc]


def _stands_in(item: pytest.Item) -> bool:
    """False for a test run with one of pjl's other formatters."""
    callspec = getattr(item, "callspec", None)
    if callspec is None or "class_" not in callspec.params:
        return True
    return issubclass(callspec.params["class_"], FastlogFormatter)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    others = [item for item in items if not _stands_in(item)]
    if others:
        config.hook.pytest_deselected(items=others)
        items[:] = [item for item in items if _stands_in(item)]
    if config.getoption("formatter") != "fastlog":
        return  # pjl_compatible: everything passes
    matched: set[str] = set()
    for item in items:
        base = item.nodeid.split("[", 1)[0]
        reason = EXPECTED_FAILURES.get(base)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
            matched.add(base)
    narrowed = config.getoption("keyword") or config.getoption("markexpr")
    if narrowed or any("::" in arg for arg in config.args):
        return
    files = {item.nodeid.split("::", 1)[0] for item in items}
    stale = [k for k in EXPECTED_FAILURES if k not in matched and k.split("::", 1)[0] in files]
    if stale:
        raise pytest.UsageError(f"EXPECTED_FAILURES names no collected test: {stale}")


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    mode = config.getoption("formatter")
    stats = terminalreporter.stats
    formatter_tests = [
        report
        for key in ("passed", "failed", "xfailed", "xpassed")
        for report in stats.get(key, [])
        if getattr(report, "when", "call") == "call"
        and report.nodeid.startswith(("tests/test_formatters.py", "tests/test_dictconfig.py"))
        and not report.nodeid.startswith("tests/test_formatters.py::test_merge_record_extra")
    ]
    passed = sum(
        1
        for report in formatter_tests
        if report.outcome == "passed" and not hasattr(report, "wasxfail")
    )
    terminalreporter.section("fastlog_stdlib")
    terminalreporter.write_line(
        f"JsonFormatter -> {FORMATTERS[mode].__name__} ({mode}): "
        f"{passed} of {len(formatter_tests)} formatter tests pass"
    )
