"""structlog's own test suite, run with fastlog configured: the harness around the vendored copy.

``tests/`` beside this file is structlog's test suite, unchanged (see README.md). Its conftest
resets structlog (``structlog.reset_defaults()``) in an autouse fixture before every test; the
fixture here runs right after that reset and applies ``fastlog_structlog.configure()``, so every
test that does not configure structlog itself logs through fastlog. A test that calls
``structlog.configure()`` overrides it, as it would override any application's configuration; a
test that calls ``structlog.reset_defaults()`` in its body gets structlog's defaults, because
that is what it asks for and then asserts (``reset_defaults`` is not wrapped: a wrapper would
turn structlog's tests of its own reset into tests of the wrapper).

The tests that fail only because they assert structlog's *unconfigured* defaults are listed in
``EXPECTED_FAILURES`` below, each with the reason, and marked ``xfail(strict=True)``: one that
starts passing fails the run, and so does an entry that no longer names a test.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest
import structlog

import fastlog_structlog
from fastlog_core import _context, _registry
from fastlog_structlog import FastlogLoggerFactory

HERE = Path(__file__).resolve().parent

# structlog's tests import each other as the package ``tests`` (``from .helpers import ...``)
# and some assert their own module names (``tests.test_stdlib``), so that package must be the
# vendored one, not fastlog's own ``tests`` that ``python -m pytest`` from the repository root
# would find first on sys.path.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
_tests = sys.modules.get("tests")
if _tests is not None and Path(getattr(_tests, "__file__", "") or "").parent != HERE / "tests":
    raise pytest.UsageError(
        f"the package 'tests' is already imported from {_tests.__file__}; run this suite in its "
        "own pytest process (python3 dev.py test does)"
    )


def pytest_configure(config: pytest.Config) -> None:
    # structlog's tests of one release say nothing reliable about another: refuse to run them
    # against a different installed structlog (tests/test_upstream.py flags it in the main
    # suite too).
    vendored = (HERE / "VERSION").read_text(encoding="utf-8").strip()
    installed = metadata.version("structlog")
    if installed != vendored:
        raise pytest.UsageError(
            f"structlog {installed} is installed, these are the tests of {vendored}: refresh "
            f"the copy ({HERE / 'README.md'})"
        )


#: structlog's tests that assert structlog's unconfigured defaults, which fastlog's
#: configuration replaces by design: node id (or node id without its parameters) -> why.
#: Nothing else belongs here; a test failing for any other reason is a fidelity bug.
_CONFIG = "tests/test_config.py::"
EXPECTED_FAILURES: dict[str, str] = {
    _CONFIG + "TestConfigure::test_get_config_is_configured": (
        "asserts is_configured() is False at the start: the harness has configured structlog"
    ),
    _CONFIG + "TestConfigure::test_configure_sets_is_configured": (
        "asserts _CONFIG.is_configured is False at the start: the harness has configured it"
    ),
    _CONFIG + "TestConfigure::test_just_context_class": (
        "configures only context_class, then asserts the processors are structlog's built-in "
        "default chain (they are fastlog's: merge_contextvars + FastlogRenderer)"
    ),
    _CONFIG + "TestBoundLoggerLazyProxy::test_does_not_cache_by_default": (
        "asserts structlog's default cache_logger_on_first_use=False; fastlog's configure() "
        "defaults to True (passes with cache_logger_on_first_use=False)"
    ),
    _CONFIG + "TestBoundLoggerLazyProxy::test_bind_doesnt_cache_logger": (
        "binds a proxy before its own configure() and relies on structlog's default "
        "cache_logger_on_first_use=False; fastlog's True caches the first bound logger "
        "(passes with cache_logger_on_first_use=False)"
    ),
    _CONFIG + "TestFunctions::test_configure_once_issues_warning_on_repeated_call": (
        "expects the first configure_once() not to warn, i.e. structlog unconfigured"
    ),
    _CONFIG + "TestFunctions::test_get_logger_configures_according_to_config": (
        "asserts get_logger() yields the built-in defaults: PrintLogger, the default "
        "processors and wrapper class"
    ),
    "tests/test_dev.py::TestGetActiveConsoleRenderer::test_ok": (
        "asserts the configured chain ends in ConsoleRenderer, structlog's default renderer "
        "(fastlog's ends in FastlogRenderer)"
    ),
}


@pytest.fixture
def fastlog_sink(request: pytest.FixtureRequest) -> Path:
    """The file fastlog's configuration writes to in this test (for test_harness.py)."""
    sink: Path = request.node.stash[_sink_key]
    return sink


@dataclass
class Tally:
    """What the run proves about the wiring, printed at the end."""

    ran: int = 0
    #: tests whose body started with fastlog's configuration in effect
    configured: int = 0
    #: of those, the tests that wrote at least one line through fastlog's sink
    wrote: list[str] = field(default_factory=list)
    lines: int = 0
    not_configured: list[str] = field(default_factory=list)


TALLY = Tally()
_factory_key = pytest.StashKey[FastlogLoggerFactory]()
_sink_key = pytest.StashKey[Path]()
_configured_key = pytest.StashKey[bool]()


#: structlog's fixtures that configure structlog themselves (so a test using one starts with
#: that configuration, not fastlog's, as the test intends): fixture name -> what it sets up.
CONFIGURING_FIXTURES: dict[str, str] = {
    "configure_for_processor_formatter": "test_stdlib.py: structlog.stdlib for ProcessorFormatter",
}


@pytest.fixture(autouse=True)
def _fastlog_configured(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """fastlog's structlog configuration, applied after structlog's own reset.

    Running ``_reset_config`` (structlog's autouse fixture in tests/conftest.py) from here
    orders this fixture after it: autouse fixtures of this outer conftest run first, and
    structlog's reset would otherwise undo the configuration. The harness's own tests
    (test_harness.py) are outside structlog's conftest and get the same reset directly.
    """
    try:
        request.getfixturevalue("_reset_config")
    except pytest.FixtureLookupError:
        structlog.reset_defaults()
    _registry._reset()
    _context.clear_context()
    sink = tmp_path_factory.mktemp("fastlog") / "structlog.jsonl"
    # level=0: structlog's unconfigured wrapper filters nothing; fastlog's default "info"
    # would turn every debug() in these tests into a no-op for a reason that is not fidelity.
    fastlog_structlog.configure(sink=str(sink), level=0)
    factory = structlog.get_config()["logger_factory"]
    assert isinstance(factory, FastlogLoggerFactory)
    request.node.stash[_factory_key] = factory
    request.node.stash[_sink_key] = sink
    yield
    # Shutting down flushes: the line count below is what the test wrote through fastlog.
    _registry._reset()
    _context.clear_context()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # Checked when the test body starts, after every fixture: fastlog's configuration must be
    # the one in effect, or the test would run against something else unnoticed. The one
    # legitimate exception is a fixture of the test's own that configures structlog.
    factory = item.stash.get(_factory_key, None)
    configured = factory is not None and structlog.get_config()["logger_factory"] is factory
    item.stash[_configured_key] = configured
    fixtures = set(getattr(item, "fixturenames", ()))
    if not configured and not fixtures & CONFIGURING_FIXTURES.keys():
        pytest.fail(
            "fastlog's structlog configuration is not in effect at the start of this test, and "
            "none of its fixtures is one that configures structlog (CONFIGURING_FIXTURES)"
        )
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    result = yield
    if _configured_key in item.stash:
        TALLY.ran += 1
        if item.stash[_configured_key]:
            TALLY.configured += 1
            sink = item.stash.get(_sink_key, None)
            lines = len(sink.read_bytes().splitlines()) if sink and sink.exists() else 0
            if lines:
                TALLY.wrote.append(item.nodeid)
            TALLY.lines += lines
        else:
            TALLY.not_configured.append(item.nodeid)
    return result


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    matched: set[str] = set()
    for item in items:
        base = item.nodeid.split("[", 1)[0]
        for key in (item.nodeid, base):
            reason = EXPECTED_FAILURES.get(key)
            if reason is not None:
                item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
                matched.add(key)
                break
    # An entry that matches no test is stale (renamed or removed upstream): checked when whole
    # files were collected, not for a run narrowed to some tests.
    narrowed = config.getoption("keyword") or config.getoption("markexpr")
    if narrowed or any("::" in arg for arg in config.args):
        return
    files = {item.nodeid.split("::", 1)[0] for item in items}
    stale = [k for k in EXPECTED_FAILURES if k not in matched and k.split("::", 1)[0] in files]
    if stale:
        raise pytest.UsageError(f"EXPECTED_FAILURES names no collected test: {stale}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    t = TALLY
    terminalreporter.section("fastlog_structlog")
    terminalreporter.write_line(
        f"{t.configured} of {t.ran} tests started with fastlog's configuration in effect; "
        f"{len(t.wrote)} of them wrote {t.lines} lines through fastlog"
    )
    for nodeid in t.wrote:
        terminalreporter.write_line(f"  wrote through fastlog: {nodeid}")
    for nodeid in t.not_configured:
        terminalreporter.write_line(f"  configured by its own fixture: {nodeid}")
