"""The page of ``fastlog web`` in a real headless Chromium, against the real server.

Log files are written by fastlog and by the peers (structlog's JSONRenderer, loguru's
``serialize=True``, python-json-logger) in child processes; the server is the real ``fastlog
web`` console script on loopback; the page is driven through Playwright. Waiting is on
conditions (Playwright's ``expect`` polls the page), never on sleeps. ``FASTLOG_WEB_SCREENSHOTS=
<dir>`` saves the screenshots docs/web.md shows.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from playwright.sync_api import Page, expect

from tests.cli.helpers import CRASH, TRACEBACK, run_fastlog, write_fastlog, write_with
from tests.read.test_follow import Writer
from tests.web.browser import Tab, screenshot
from tests.web.helpers import fastlog_web

pytestmark = pytest.mark.browser

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)

# Records of the shared files, in the merged order the table shows: fastlog's four records at
# 09:00 (early.log) and again at 10:00 (app.log), then one record of each peer at 10:30.
T9 = "2026-12-07 09:00:00.000000"
T10 = "2026-12-07 10:00:00.000000"
T1030 = "2026-12-07 10:30:00.000000"
FAILED = "charge failed  [ZeroDivisionError]"  # the exception's type follows the message
FASTLOG_ROWS = [
    ["info", "app.payments", "charge ok"],
    ["debug", "app.payments", "lookup"],
    ["warning", "app.payments", "slow"],
    ["error", "app.payments", FAILED],
]
ALL_ROWS = (
    [[T9, *row] for row in FASTLOG_ROWS]
    + [[T10, *row] for row in FASTLOG_ROWS]
    + [
        [T1030, "warning", "", "slow"],
        [T1030, "success", "__main__", "charge ok"],
        [T1030, "error", "pjl.app", "refused"],
    ]
)

PEERS = f"""
import logging, structlog
from loguru import logger
from pythonjsonlogger.json import JsonFormatter
f = open(ROOT + "/structlog.log", "w")
structlog.configure(processors=[structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso"), structlog.processors.format_exc_info,
    structlog.processors.JSONRenderer()], logger_factory=structlog.PrintLoggerFactory(f))
structlog.get_logger().warning("slow", ms=812, trace_id="{TRACE}")
f.flush()
logger.remove()
logger.add(ROOT + "/loguru.log", serialize=True)
logger.bind(order_id=1234).success("charge ok")
h = logging.FileHandler(ROOT + "/pjl.log")
h.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
log = logging.getLogger("pjl.app"); log.addHandler(h); log.propagate = False
log.error("refused", extra={{"port": 5432}})
"""

FILES = ("early.log", "app.log", "structlog.log", "loguru.log", "pjl.log")


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    write_fastlog(root / "early.log", when="2026-12-07T09:00:00+00:00")
    write_fastlog(root / "app.log", when="2026-12-07T10:00:00+00:00")
    write_with(f"ROOT = {str(root)!r}\n" + PEERS, when="2026-12-07T10:30:00+00:00")
    return root


@pytest.fixture(scope="module")
def base(logs: Path) -> Iterator[str]:
    """``fastlog web`` over the five files, for the tests that only read them."""
    with fastlog_web(*FILES, cwd=logs) as server:
        yield server.base + "/"


# -- reading the page ----------------------------------------------------------------------------


def rows(page: Page) -> list[list[str]]:
    """The table's visible rows, each cell's text (level names as written, lower case)."""
    result: list[list[str]] = page.locator("#rows .row:not([hidden])").evaluate_all(
        "rows => rows.map(r => [...r.children].map(c => c.textContent))"
    )
    return result


def expect_count(page: Page, text: str | re.Pattern[str]) -> None:
    expect(page.locator("#count")).to_have_text(text)


def expect_messages(page: Page, expected: list[str]) -> None:
    """Wait until the table shows exactly these messages, in order."""
    expect(page.locator("#rows .row:not([hidden]) > span:last-child")).to_have_text(expected)


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("data-ready", "1")


def hash_params(page: Page) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    fragment: str = page.evaluate("location.hash")
    return parse_qsl(fragment.lstrip("#"), keep_blank_values=True)


# -- the page ------------------------------------------------------------------------------------


def test_open_shows_every_record_of_fastlog_and_the_peers(tab: Tab, base: str) -> None:
    """Every record of the five files, merged by time, with level, logger and message; the
    histogram's legend counts each level."""
    page = tab.page
    open_page(page, base)
    expect_count(page, "11 records")
    expect_messages(page, [row[-1] for row in ALL_ROWS])
    assert rows(page) == ALL_ROWS
    expect(page.locator("#files")).to_have_text("  ".join(FILES))  # as given to the command
    expect(page).to_have_title(" ".join(FILES) + " \u2014 fastlog web")
    expect(page.locator("#hist-legend .legend-item")).to_have_text(
        ["debug 2", "info 2", "success 1", "warning 3", "error 3"]
    )


BOXES = {
    "#f-logger": "logger",
    "#f-since": "since",
    "#f-until": "until",
    "#f-text": "text",
    "#f-grep": "grep",
    "#f-field": "f",
    "#f-trace": "trace_id",
}


def matched(n: int) -> str:
    return f"{n} record match" if n == 1 else f"{n} records match"


@pytest.mark.parametrize(
    ("box", "value", "expected"),
    [
        ("#f-logger", "pjl", ["refused"]),
        (
            "#f-since",
            "2026-12-07T10:00:00Z",
            ["charge ok", "lookup", "slow", FAILED, "slow", "charge ok", "refused"],
        ),
        ("#f-until", "2026-12-07T10:00:00Z", ["charge ok", "lookup", "slow", FAILED]),
        ("#f-text", "port", ["refused"]),
        ("#f-text", "ZERODIVISIONERROR", [FAILED] * 2),  # any case
        ("#f-grep", "^charge", ["charge ok", FAILED] * 2 + ["charge ok"]),
        ("#f-field", "ms>500", ["slow"] * 3),
        ("#f-field", "order_id=1234", ["charge ok"] * 3),
        ("#f-trace", TRACE, ["slow"]),
    ],
)
def test_each_filter(tab: Tab, base: str, box: str, value: str, expected: list[str]) -> None:
    """A filter typed in its box and applied with Enter: the matching records, their exact
    count, and the filter in the URL."""
    page = tab.page
    open_page(page, base)
    expect_count(page, "11 records")
    page.fill(box, value)
    page.press(box, "Enter")
    if box == "#f-field":  # Enter adds the predicate; Apply (or Enter again) applies it
        expect(page.locator("#chips .chip")).to_have_count(1)
        page.click("#apply")
    expect_count(page, matched(len(expected)))
    expect_messages(page, expected)
    assert hash_params(page) == [(BOXES[box], value)]


def test_level_filter(tab: Tab, base: str) -> None:
    """The level box keeps that level and above (success is below warning)."""
    page = tab.page
    open_page(page, base)
    page.select_option("#f-level", "warning")
    page.click("#apply")
    expect_count(page, "6 records match")
    expect_messages(
        page,
        ["slow", FAILED] * 2 + ["slow", "refused"],
    )
    assert hash_params(page) == [("level", "warning")]


def test_filters_combine_and_clear(tab: Tab, base: str) -> None:
    """Several filters at once (all must hold); Clear shows everything again."""
    page = tab.page
    open_page(page, base)
    page.select_option("#f-level", "error")
    page.fill("#f-logger", "app.*, pjl")
    page.fill("#f-field", "order_id=1")
    page.press("#f-field", "Enter")
    page.fill("#f-field", "exception.type=ZeroDivisionError")
    page.press("#f-field", "Enter")
    page.click("#apply")
    expect_count(page, "2 records match")
    assert rows(page) == [[T9, *FASTLOG_ROWS[3]], [T10, *FASTLOG_ROWS[3]]]
    assert hash_params(page) == [
        ("level", "error"),
        ("logger", "app.*"),
        ("logger", "pjl"),
        ("f", "order_id=1"),
        ("f", "exception.type=ZeroDivisionError"),
    ]
    page.click("#clear")
    expect_count(page, "11 records")


def test_bad_filter_shows_the_servers_message_with_a_caret(tab: Tab, base: str) -> None:
    """A predicate the CLI would refuse: the server's message, the expression and a caret under
    the bad character; no records; fixing it recovers."""
    page = tab.page
    open_page(page, base)
    page.fill("#f-field", "ms>fast")
    page.press("#f-field", "Enter")
    page.click("#apply")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error-message")).to_have_text(
        "Bad filter (f): -f 'ms>fast': expected a number after '>' (column 4)"
    )
    assert page.locator("#error-caret").text_content() == "ms>fast\n   ^"
    expect(page.locator("#chips .chip.invalid")).to_have_count(1)
    expect_count(page, "No records: fix the filter")
    assert rows(page) == []
    screenshot(page, "bad-filter")
    page.click("#chips .chip button")
    page.click("#apply")
    expect_count(page, "11 records")
    expect(page.locator("#error")).to_be_hidden()


def test_bad_time_is_reported_on_its_box(tab: Tab, base: str) -> None:
    page = tab.page
    open_page(page, base)
    page.fill("#f-since", "yesterdayish")
    page.press("#f-since", "Enter")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error-message")).to_contain_text("Bad filter (since): ")
    expect(page.locator("#f-since")).to_have_attribute("aria-invalid", "true")


# -- histogram -----------------------------------------------------------------------------------


def histogram_ready(page: Page) -> None:
    """Wait until the histogram of the current view is drawn (it loads after the table)."""
    expect(page.locator("#hist")).to_have_attribute("data-state", "ready")


def drag(page: Page, start: float, end: float) -> None:
    """Drag across the histogram's plot from *start* to *end* (fractions of its width)."""
    histogram_ready(page)
    box = page.locator("#hist").bounding_box()
    assert box is not None
    left, right = box["x"] + 44, box["x"] + box["width"] - 6  # the plot area (app.js PLOT)
    y = box["y"] + box["height"] / 2
    page.mouse.move(left + (right - left) * start, y)
    page.mouse.down()
    page.mouse.move(left + (right - left) * end, y, steps=8)
    page.mouse.up()


def test_drag_on_the_histogram_zooms_and_back_returns(tab: Tab, base: str) -> None:
    """Dragging over the second half (09:45 to the end) keeps the 10:00 and 10:30 records;
    a click on the last bucket keeps 10:30's; Back undoes each zoom."""
    page = tab.page
    open_page(page, base)
    expect_count(page, "11 records")
    drag(page, 0.5, 1.0)
    expect_count(page, "7 records match")
    params = dict(hash_params(page))
    assert params["since"].startswith("2026-12-07T09:4")
    assert params["until"] == "2026-12-07T10:30:00.001Z"
    expect(page.locator("#f-since")).to_have_value(params["since"])
    expect(page.locator("#zoom-out")).to_be_enabled()
    # a click (no drag) zooms into one bucket: the last one holds the peers' records
    histogram_ready(page)
    box = page.locator("#hist").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] - 8, box["y"] + box["height"] / 2)
    expect_count(page, "3 records match")
    expect_messages(page, ["slow", "charge ok", "refused"])
    page.go_back()
    expect_count(page, "7 records match")
    page.go_back()
    expect_count(page, "11 records")
    page.go_forward()
    expect_count(page, "7 records match")


def test_histogram_by_keyboard(tab: Tab, base: str) -> None:
    """Left/Right choose a bucket, Enter zooms into it, minus zooms back out."""
    page = tab.page
    open_page(page, base)
    expect_count(page, "11 records")
    histogram_ready(page)
    page.focus("#hist")
    page.keyboard.press("ArrowRight")  # the first bucket: 09:00
    expect(page.locator("#hist-readout")).to_contain_text(": debug 1, info 1, warning 1, error 1")
    page.keyboard.press("Enter")
    expect_count(page, "4 records match")
    page.focus("#hist")
    page.keyboard.press("-")
    expect_count(page, "11 records")


# -- URL -----------------------------------------------------------------------------------------


def test_a_shared_url_opens_the_same_view(tab: Tab, base: str) -> None:
    """A URL with a hash gives the same filtered view, the form filled in, the record open."""
    page = tab.page
    open_page(page, base + "#level=error&f=order_id%3D1&cols=order_id&sel=7")
    expect_count(page, "2 records match")
    assert rows(page) == [
        [T9, "error", "app.payments", "1", FAILED],
        [T10, "error", "app.payments", "1", FAILED],
    ]
    expect(page.locator("#f-level")).to_have_value("error")
    expect(page.locator("#chips .chip")).to_have_attribute("data-expr", "order_id=1")
    expect(page.locator("#f-cols")).to_have_value("order_id")
    expect(page.locator("#thead span")).to_have_text(
        ["Time", "Level", "Logger", "order_id", "Message"]
    )
    expect(page.locator("#detail")).to_be_visible()
    expect(page.locator("#detail-title")).to_have_text("Record 7")
    expect(page.locator("#detail-message")).to_have_text("charge failed")


# -- detail --------------------------------------------------------------------------------------


def detail_fields(page: Page) -> list[list[str]]:
    result: list[list[str]] = page.locator("#detail-fields tr").evaluate_all(
        "rows => rows.map(r => [r.children[0].textContent, r.children[1].textContent])"
    )
    return result


def test_detail_with_a_traceback(tab: Tab, base: str, logs: Path) -> None:
    """A click on a record opens every field and the traceback as written, preformatted."""
    written = orjson.loads((logs / "app.log").read_bytes().splitlines()[3])
    traceback = written["exception"]["traceback"]
    assert traceback.endswith(TRACEBACK.split("\n", 1)[1])
    page = tab.page
    open_page(page, base)
    page.locator("#rows .row", has_text="charge failed").nth(1).click()
    expect(page.locator("#detail-title")).to_have_text("Record 7")
    expect(page.locator("#detail-traceback")).to_have_text(traceback)
    assert page.locator("#detail-traceback").text_content() == traceback  # byte for byte
    assert page.locator("#detail-traceback").evaluate("e => getComputedStyle(e).whiteSpace") == (
        "pre"
    )
    assert detail_fields(page) == [["order_id", "1"]]
    expect(page.locator("#detail-body .kv").first).to_contain_text("time" + T10)
    assert dict(hash_params(page)) == {"sel": "7"}
    # Escape closes the pane
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).to_be_hidden()


PEER_TRACEBACKS = f"""
import logging, structlog
from loguru import logger
from pythonjsonlogger.json import JsonFormatter
f = open(ROOT + "/structlog.log", "w")
structlog.configure(processors=[structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso"), structlog.processors.dict_tracebacks,
    structlog.processors.JSONRenderer()], logger_factory=structlog.PrintLoggerFactory(f))
try:
    {CRASH}
except ZeroDivisionError:
    structlog.get_logger().exception("charge failed", order_id=1)
f.flush()
logger.remove()
logger.add(ROOT + "/loguru.log", serialize=True)
try:
    {CRASH}
except ZeroDivisionError:
    logger.exception("charge failed")
h = logging.FileHandler(ROOT + "/pjl.log")
h.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
log = logging.getLogger("pjl.app"); log.addHandler(h); log.propagate = False
try:
    {CRASH}
except ZeroDivisionError:
    log.exception("charge failed")
"""


def test_peer_tracebacks_in_the_detail(tab: Tab, tmp_path: Path) -> None:
    """structlog's dict_tracebacks, loguru's serialized traceback and python-json-logger's
    exc_info: each record's detail shows its traceback, as the server read it, preformatted."""
    write_with(f"ROOT = {str(tmp_path)!r}\n" + PEER_TRACEBACKS)
    names = ("structlog.log", "loguru.log", "pjl.log")
    page = tab.page
    with fastlog_web(*names, cwd=tmp_path) as server:
        open_page(page, server.base + "/")
        expect_count(page, "3 records")
        for number, name in enumerate(names):
            record = server.json(f"/api/record/{number}")
            assert record["source"] == name
            traceback = record["exception"]["traceback"]
            assert '  File "/srv/app/payments.py", line 2, in charge\n' in traceback
            assert "ZeroDivisionError: division by zero" in traceback
            page.locator("#rows .row").nth(number).click()
            expect(page.locator("#detail-title")).to_have_text(f"Record {number}")
            expect(page.locator("#detail-traceback")).to_have_text(traceback)
            assert page.locator("#detail-traceback").text_content() == traceback
            expect(page.locator("#detail-body .kv").first).to_contain_text("source" + name)


def test_detail_of_nested_fields_and_the_keyboard(tab: Tab, base: str) -> None:
    """Down/Enter from the table open a record; nested objects are shown with dotted keys."""
    page = tab.page
    open_page(page, base)
    page.focus("#scroller")
    page.keyboard.press("ArrowDown")  # the first record
    page.keyboard.press("ArrowDown")  # the second: lookup, user={"id": 7, "name": "a b"}
    expect(page.locator("#detail-message")).to_have_text("lookup")
    assert detail_fields(page) == [["user.id", "7"], ["user.name", "a b"]]
    expect(page.locator("#rows .row.selected")).to_have_attribute("data-id", "1")


def test_surrounding_records(tab: Tab, base: str) -> None:
    """In a filtered view, "show surrounding records" lists the unfiltered neighbours with the
    record marked; a neighbour opens in the pane."""
    page = tab.page
    open_page(page, base + "#level=error&sel=7")
    expect_count(page, "3 records match")
    expect(page.locator("#detail-message")).to_have_text("charge failed")
    page.click("#around")
    around = page.locator("#around-list .row > span:last-child")
    expect(around).to_have_text([row[-1] for row in ALL_ROWS])
    expect(page.locator("#around-list .row.current")).to_have_attribute("data-id", "7")
    page.locator("#around-list .row", has_text="lookup").nth(1).click()
    expect(page.locator("#detail-title")).to_have_text("Record 5")
    expect(page.locator("#detail-message")).to_have_text("lookup")


def test_filter_on_this_value(tab: Tab, base: str) -> None:
    """The detail's "filter" buttons add the field's predicate (or set the logger, the level,
    the trace id); "exclude" adds its negation."""
    page = tab.page
    open_page(page, base + "#sel=6")
    expect(page.locator("#detail-message")).to_have_text("slow")
    assert detail_fields(page) == [["ms", "812"], ["path", "/api/pay"]]
    page.get_by_role("button", name="Filter on ms=812").click()
    expect_count(page, "3 records match")  # fastlog's two and structlog's
    assert dict(hash_params(page))["f"] == "ms=812"
    page.get_by_role("button", name="Filter on logger app.payments").click()
    expect_count(page, "2 records match")
    page.get_by_role("button", name="Show path as a column").click()
    expect(page.locator("#thead span")).to_have_text(["Time", "Level", "Logger", "path", "Message"])
    expect(page.locator("#rows .row:not([hidden]) > span:nth-child(4)")).to_have_text(
        ["/api/pay", "/api/pay"]
    )
    expect_messages(page, ["slow", "slow"])
    page.get_by_role("button", name="Exclude path=/api/pay").click()
    expect_count(page, "0 records match")
    assert hash_params(page) == [
        ("logger", "app.payments"),
        ("f", "ms=812"),
        ("f", "path!=/api/pay"),
        ("cols", "path"),
        ("sel", "6"),
    ]


# -- a larger file: the virtual table ------------------------------------------------------------

#: An hour of a service's records by fastlog (5,000, 100 ms to 1.3 s apart, a burst of payment
#: errors in the middle), for the virtual table and the screenshots.
SERVICE = """
import datetime, random, time_machine, fastlog_core
random.seed(7)
fastlog_core.configure(sink=PATH, level="debug")
http = fastlog_core.get_logger("app.http")
db = fastlog_core.get_logger("app.db")
pay = fastlog_core.get_logger("app.payments")
mail = fastlog_core.get_logger("worker.email")
start = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.timezone.utc)
with time_machine.travel(start, tick=False) as clock:
    for i in range(5000):
        clock.shift(datetime.timedelta(milliseconds=random.randint(100, 1300)))
        kind = random.random()
        burst = 2400 <= i < 2700
        if kind < 0.45:
            ms = random.randint(3, 900)
            status = 200 if random.random() > 0.04 else 503
            log = http.warning if ms > 700 or status >= 500 else http.info
            log("GET /api/orders", method="GET", path=f"/api/orders/{i % 97}", status=status,
                ms=ms, user_id=random.randint(1, 400))
        elif kind < 0.7:
            db.debug("query", table=random.choice(["orders", "users", "stock"]),
                     ms=random.randint(1, 80), rows=random.randint(0, 50))
        elif kind < 0.9:
            if burst and random.random() < 0.6:
                try:
                    raise ConnectionError("payment gateway timed out after 5.0 s")
                except ConnectionError:
                    pay.exception("charge failed", order_id=10_000 + i, amount=12.5,
                                  trace_id=f"{i:032x}")
            else:
                pay.info("charge ok", order_id=10_000 + i, amount=round(random.uniform(3, 300), 2),
                         trace_id=f"{i:032x}")
        else:
            mail.info("email sent", to=f"user{random.randint(1, 400)}@example.com",
                      template=random.choice(["receipt", "welcome", "reset"]))
fastlog_core.shutdown()
"""


@pytest.fixture(scope="module")
def service_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("service") / "service.log"
    write_with(f"PATH = {str(path)!r}\n" + SERVICE)
    return path


def test_virtual_table_fetches_only_what_is_shown(tab: Tab, service_log: Path) -> None:
    """5,000 records: a few dozen rows in the DOM, pages fetched by offset as the table
    scrolls, each row the record at its position in the file; End reaches the last."""
    lines = [orjson.loads(line) for line in service_log.read_bytes().splitlines()]
    assert len(lines) == 5000
    page = tab.page
    with fastlog_web(service_log.name, cwd=service_log.parent) as server:
        open_page(page, server.base + "/#cols=ms,order_id")
        expect_count(page, "5,000 records")
        expect(page.locator("#rows .row:not(.pending)").first).to_have_attribute("data-id", "0")
        in_dom = page.locator("#rows .row").count()
        assert 20 <= in_dom <= 40  # the visible rows (800 px high window), not 5,000
        histogram_ready(page)
        screenshot(page, "overview")
        page.emulate_media(color_scheme="dark")
        screenshot(page, "overview-dark")
        page.emulate_media(color_scheme="light")

        page.locator("#scroller").evaluate("s => { s.scrollTop = 2500 * 22; }")
        first = page.locator("#rows .row:not([hidden])").first
        expect(first).to_have_attribute("data-id", "2500")
        expect(page.locator("#rows .row.pending")).to_have_count(0)
        visible = page.locator("#rows .row:not([hidden])").evaluate_all(
            "rows => rows.map(r => [Number(r.dataset.id), r.children[0].textContent,"
            " r.children[5].textContent])"
        )
        assert len(visible) >= 20
        for number, time, message in visible:
            line = lines[number]
            assert (time, message.split("  [")[0]) == (shown(line["timestamp"]), line["message"])
        assert page.locator("#rows .row").count() == in_dom

        page.focus("#scroller")
        page.keyboard.press("End")
        expect(page.locator("#detail-title")).to_have_text("Record 4999")
        expect(page.locator("#rows .row.selected")).to_have_attribute("data-id", "4999")
        expect(page.locator("#detail-message")).to_have_text(lines[-1]["message"])
    offsets = sorted(
        int(re.search(r"offset=(\d+)", url).group(1))  # type: ignore[union-attr]
        for url in tab.requests
        if "/api/records?" in url
    )
    assert 0 in offsets and 2400 in offsets and 4800 in offsets
    assert len(offsets) <= 8  # pages, not the whole file


def test_a_scaled_scrollbar_reaches_every_record(tab: Tab, tmp_path: Path) -> None:
    """400,000 records: more rows than a browser lays out at full height, so the scrollbar is
    scaled; its middle shows the middle records, End the last, Home the first."""
    path = tmp_path / "many.log"
    write_with(
        f"""
        import fastlog_core
        fastlog_core.configure(sink={str(path)!r}, level="debug")
        log = fastlog_core.get_logger("many")
        for i in range(400_000):
            log.info("r", i=i)
        fastlog_core.shutdown()
        """
    )
    page = tab.page
    with fastlog_web(str(path)) as server:
        open_page(page, server.base + "/#cols=i")
        expect_count(page, "400,000 records")
        scroller = page.locator("#scroller")
        assert scroller.evaluate("s => s.scrollHeight") == 8_000_000  # capped, not 8.8M
        scroller.evaluate("s => { s.scrollTop = (s.scrollHeight - s.clientHeight) / 2; }")
        expect(page.locator("#rows .row:not([hidden])").first).to_have_attribute(
            "data-id", re.compile(r"^(199|200)\d{3}$")
        )
        expect(page.locator("#rows .row.pending")).to_have_count(0)
        visible = page.locator("#rows .row:not([hidden])").evaluate_all(
            "rows => rows.map(r => [Number(r.dataset.id), r.children[3].textContent])"
        )
        first = visible[0][0]
        assert abs(first - 200_000) < 40, first
        assert visible == [[first + k, str(first + k)] for k in range(len(visible))]
        page.focus("#scroller")
        page.keyboard.press("End")
        expect(page.locator("#rows .row.selected")).to_have_attribute("data-id", "399999")
        expect(page.locator("#rows .row:not([hidden])").last).to_have_attribute("data-id", "399999")
        page.keyboard.press("Home")
        expect(page.locator("#rows .row:not([hidden])").first).to_have_attribute("data-id", "0")
        expect(page.locator("#rows .row.selected")).to_have_attribute("data-id", "0")


def test_screenshots_of_a_service_log(tab: Tab, service_log: Path) -> None:
    """The error burst: zoomed to it, an error's detail; the stats panel on the same view."""
    page = tab.page
    with fastlog_web(service_log.name, cwd=service_log.parent) as server:
        open_page(page, server.base + "/#level=error&cols=order_id")
        expect(page.locator("#count")).to_have_text(re.compile(r"^\d+ records match$"))
        errors = [
            line
            for line in map(orjson.loads, service_log.read_bytes().splitlines())
            if line["level"] == "error"
        ]
        expect_count(page, matched(len(errors)))
        page.locator("#rows .row").nth(2).click()
        expect(page.locator("#detail-traceback")).to_contain_text(
            "ConnectionError: payment gateway timed out after 5.0 s"
        )
        histogram_ready(page)
        screenshot(page, "detail")
        page.click("#detail-close")
        page.click("#stats-toggle")
        expect(page.locator("#stats-errors")).to_contain_text("ConnectionError")
        assert table_cells(page, "#stats-levels") == [["error", str(len(errors))]]
        histogram_ready(page)
        screenshot(page, "stats")


# -- stats ---------------------------------------------------------------------------------------


def table_cells(page: Page, selector: str) -> list[list[str]]:
    result: list[list[str]] = page.locator(f"{selector} tr").evaluate_all(
        "rows => rows.slice(1).map(r => [...r.children].map(c => c.textContent))"
    )
    return result


def shown(iso: str) -> str:
    """A time as the page shows it (UTC, microseconds)."""
    return datetime.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S.%f")


def test_stats_panel_has_the_numbers_of_fastlog_stats(tab: Tab, base: str, logs: Path) -> None:
    """Counts by level and logger, top messages and error types: the same figures as
    ``fastlog stats --json`` with the same filter."""
    page = tab.page
    open_page(page, base + "#since=2026-12-07T09%3A30%3A00Z")
    page.click("#stats-toggle")
    expect(page.locator("#stats-levels")).to_be_visible()
    done = run_fastlog(
        "stats", "--json", "--since", "2026-12-07T09:30:00Z", *(str(logs / n) for n in FILES)
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = orjson.loads(done.stdout)
    assert table_cells(page, "#stats-levels") == [
        [level, str(n)] for level, n in report["levels"].items()
    ]
    assert table_cells(page, "#stats-loggers") == [
        [name, str(n), "filter"] for name, n in report["loggers"].items()
    ]
    assert table_cells(page, "#stats-messages") == [
        [m["template"], str(m["count"]), ", ".join(m["levels"])] for m in report["messages"]
    ]
    assert table_cells(page, "#stats-errors") == [
        [f"{e['type']}first {shown(e['first'])}last {shown(e['last'])}", str(e["count"])]
        for e in report["errors"]
    ]
    assert report["records"] == 7
    assert dict(hash_params(page))["stats"] == "1"


NOTES = """
import fastlog_core
fastlog_core.configure(sink=PATH, level="debug")
fastlog_core.get_logger("app").info("started")
# Lines in the shape of the pipeline's own notes (fastlog_core/_pipeline: accounting, backlog)
note = fastlog_core.get_logger("fastlog")
note.warning("19351 records dropped: buffer full (policy=drop)", dropped=19351,
             dropped_by_level={"info": 19000, "debug": 351}, preset="fastest")
note.warning("3 records dropped: buffer full (policy=drop)", dropped=3,
             dropped_by_level={"info": 3})
note.warning("12 records lost by HTTPSink('http://127.0.0.1:9/x'): HTTP 503", lost=12)
fastlog_core.shutdown()
"""


def test_stats_panel_sums_drop_and_loss_notes(tab: Tab, tmp_path: Path) -> None:
    """fastlog's drop and loss notes summed, by level and by policy, as ``fastlog stats``."""
    path = tmp_path / "app.log"
    write_with(f"PATH = {str(path)!r}\n" + NOTES)
    report = orjson.loads(run_fastlog("stats", "--json", str(path)).stdout)
    dropped, lost = report["dropped"], report["lost"]
    assert (dropped["records"], dropped["notes"], lost["records"], lost["notes"]) == (
        19354,
        2,
        12,
        1,
    )
    page = tab.page
    with fastlog_web(str(path)) as server:
        open_page(page, server.base + "/#stats=1")
        expect(page.locator("#stats-drops p")).to_have_text(
            [
                f"19,354 records dropped in 2 notes ({shown(dropped['first'])} to "
                f"{shown(dropped['last'])})",
                "by level: info 19,003, debug 351",
                "by policy: policy=drop 19,354",
                "by preset: fastest 19,351",
                f"12 records lost in 1 note ({shown(lost['first'])} to {shown(lost['last'])})",
            ]
        )


# -- live tail -----------------------------------------------------------------------------------


@pytest.fixture
def writers() -> Iterator[list[Writer]]:
    started: list[Writer] = []
    yield started
    for w in started:
        if w.process.poll() is None:
            w.process.kill()
        w.process.wait(timeout=60)


def test_live_records_pause_and_resume(
    tab: Tab, browser: Any, tmp_path: Path, writers: list[Writer]
) -> None:
    """Records written by another process while the page is open appear without a reload;
    while paused the page stays as it was (another tab shows the new records), and resume
    brings them in."""
    path = tmp_path / "app.log"
    writer = Writer(path)
    writers.append(writer)
    writer.command("log 0 3")
    page = tab.page
    with fastlog_web(path.name, cwd=tmp_path) as server:
        url = server.base + "/"
        open_page(page, url + "#cols=seq")
        expect_count(page, "3 records")
        expect(page.locator("#live-state")).to_have_text("following")
        writer.command("log 3 6")
        expect_count(page, "6 records")
        expect(page.locator("#rows .row:not([hidden]) > span:nth-child(4)")).to_have_text(
            ["0", "1", "2", "3", "4", "5"]
        )
        page.click("#pause")
        expect(page.locator("#pause")).to_have_text("Resume")
        expect(page.locator("#live-state")).to_have_text("paused")
        writer.command("log 6 9")
        other = page.context.new_page()
        open_page(other, url)
        expect_count(other, "9 records")
        other.close()
        expect_count(page, "6 records")
        page.click("#pause")
        expect_count(page, "9 records")
        expect(page.locator("#rows .row:not([hidden]) > span:nth-child(4)")).to_have_text(
            [str(i) for i in range(9)]
        )
        histogram_ready(page)
        screenshot(page, "live")
    writer.close()


def test_a_burst_is_sampled_on_screen_and_counted_exactly(
    tab: Tab, tmp_path: Path, writers: list[Writer]
) -> None:
    """20,000 records at once: the server sends the newest of each batch and says so; the
    page shows that it samples, counts every record, and fetches the rest when scrolled to."""
    path = tmp_path / "app.log"
    writer = Writer(path)
    writers.append(writer)
    writer.command("log 0 3")
    page = tab.page
    with fastlog_web(str(path)) as server:
        open_page(page, server.base + "/#cols=seq")
        expect_count(page, "3 records")
        expect(page.locator("#live-state")).to_have_text("following")
        writer.command("log 3 20003")
        expect(page.locator("#sampled")).to_be_visible()
        expect_count(page, "20,003 records")
        last = page.locator("#rows .row:not([hidden])").last
        expect(last).to_have_attribute("data-id", "20002")  # still following the end
        expect(last.locator("span").nth(3)).to_have_text("20002")
        page.locator("#scroller").evaluate("s => { s.scrollTop = 10000 * 22; }")
        first = page.locator("#rows .row:not([hidden])").first
        expect(first).to_have_attribute("data-id", "10000")
        expect(first.locator("span").nth(3)).to_have_text("10000")
    writer.close()


def test_no_follow_shows_no_live_controls(tab: Tab, logs: Path) -> None:
    """``--no-follow``: the files as they are, no live controls, no event stream opened."""
    page = tab.page
    with fastlog_web("--no-follow", "app.log", cwd=logs) as server:
        open_page(page, server.base + "/")
        expect_count(page, "4 records")
        expect(page.locator("#live")).to_be_hidden()
    assert not [url for url in tab.requests if "/api/tail" in url]


def test_live_tail_follows_rotation_and_filters(
    tab: Tab, tmp_path: Path, writers: list[Writer]
) -> None:
    """fastlog's FileSink rotates every 8 KB while the page follows with a filter: every
    matching record arrives once, in order, and the rotation is noticed."""
    path = tmp_path / "app.log"
    writer = Writer(path, rotation="8 KB")
    writers.append(writer)
    writer.command("log 0 10")
    page = tab.page
    with fastlog_web(str(path)) as server:
        url = server.base + "/"
        open_page(page, url + "#level=warning&cols=seq")
        expect_count(page, "0 records match")
        expect(page.locator("#live-state")).to_have_text("following")
        writer.command("warn 10 12")
        expect_count(page, "2 records match")
        writer.command("log 12 200")  # several rotations, nothing matches
        writer.command("warn 200 203")
        expect_count(page, "5 records match")
        expect(page.locator("#notice")).to_contain_text("rotated")
        expect(page.locator("#rows .row:not([hidden]) > span:nth-child(4)")).to_have_text(
            ["10", "11", "200", "201", "202"]
        )
    writer.close()


# -- security ------------------------------------------------------------------------------------

XSS = """
import fastlog_core, structlog
fastlog_core.configure(sink=ROOT + "/xss.log", level="debug")
log = fastlog_core.get_logger("<script>window.__xss = 'logger'</script>")
log.error(
    "<script>window.__xss = 'message'</script><img src=x onerror=\\"window.__xss = 'img'\\">",
    link="javascript:window.__xss = 'link'",
    html="<a href=\\"javascript:window.__xss = 'href'\\">click</a>",
    **{"<img src=x onerror=\\"window.__xss = 'key'\\">": "<svg onload=\\"window.__xss = 'svg'\\">"},
)
try:
    raise ValueError("<script>window.__xss = 'exception'</script>")
except ValueError:
    log.exception("</pre><script>window.__xss = 'traceback'</script>")
fastlog_core.shutdown()
f = open(ROOT + "/xss-structlog.log", "w")
structlog.configure(processors=[structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso"), structlog.processors.JSONRenderer()],
    logger_factory=structlog.PrintLoggerFactory(f))
structlog.get_logger().info("<iframe src=\\"javascript:window.__xss = 'iframe'\\">",
    logger="<style>body{display:none}</style>")
"""

XSS_MESSAGE = (
    "<script>window.__xss = 'message'</script><img src=x onerror=\"window.__xss = 'img'\">"
)


def no_markup_ran(page: Page) -> None:
    """Nothing a log value carries was executed or became an element."""
    assert page.evaluate("window.__xss") is None
    counts = page.evaluate(
        "['script', 'img', 'svg', 'iframe', 'a', 'style'].map("
        "t => document.querySelectorAll(t).length)"
    )
    assert counts == [1, 0, 0, 0, 0, 0]  # the one script is app.js


def test_log_values_are_text_never_markup(tab: Tab, tmp_path: Path) -> None:
    """Markup and ``javascript:`` URLs in a message, a logger, a key, a value or a traceback
    are shown as the text they are, in the table, the detail, the stats and the around list;
    none runs (a window flag stays unset) and none becomes an element."""
    write_with(f"ROOT = {str(tmp_path)!r}\n" + XSS)
    page = tab.page
    with fastlog_web(str(tmp_path / "xss.log"), str(tmp_path / "xss-structlog.log")) as server:
        url = server.base + "/"
        open_page(page, url)
        expect_count(page, "3 records")
        logger = "<script>window.__xss = 'logger'</script>"
        assert [row[1:] for row in rows(page)][:2] == [
            ["error", logger, XSS_MESSAGE],
            ["error", logger, "</pre><script>window.__xss = 'traceback'</script>  [ValueError]"],
        ]
        no_markup_ran(page)
        page.locator("#rows .row").first.click()
        expect(page.locator("#detail-message")).to_have_text(XSS_MESSAGE)
        assert sorted(detail_fields(page)) == sorted(
            [
                [
                    "<img src=x onerror=\"window.__xss = 'key'\">",
                    "<svg onload=\"window.__xss = 'svg'\">",
                ],
                ["html", "<a href=\"javascript:window.__xss = 'href'\">click</a>"],
                ["link", "javascript:window.__xss = 'link'"],
            ]
        )
        page.get_by_role("button", name="Filter on link=javascript:window.__xss = 'link'").click()
        expect_count(page, "1 record match")
        page.click("#around")
        expect(page.locator("#around-list .row")).to_have_count(3)
        page.locator("#around-list .row").nth(1).click()
        expect(page.locator("#detail-traceback")).to_contain_text(
            "ValueError: <script>window.__xss = 'exception'</script>"
        )
        page.click("#stats-toggle")
        expect(page.locator("#stats-loggers")).to_contain_text(logger)
        page.locator("#rows .row").first.click()
        no_markup_ran(page)
        assert tab.csp_violations() == []


def test_headers_csp_and_only_loopback(tab: Tab, base: str) -> None:
    """The page and its assets come with the strict policy; using every part of the page
    raises no CSP violation and sends no request anywhere but the server."""
    page = tab.page
    response = page.goto(base)
    assert response is not None
    headers = response.headers
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    expect(page.locator("html")).to_have_attribute("data-ready", "1")
    page.locator("#rows .row").nth(3).click()
    page.click("#around")
    page.click("#stats-toggle")
    expect(page.locator("#stats-levels")).to_be_visible()
    drag(page, 0.2, 0.9)
    expect_count(page, re.compile(r"\d+ records? match"))
    assert tab.csp_violations() == []
    assert tab.foreign_requests() == []
    assert all(url.startswith(base.rstrip("/")) for url in tab.requests), tab.requests
    paths = {url[len(base.rstrip("/")) :].split("?")[0] for url in tab.requests}
    assert {
        "/",
        "/static/app.js",
        "/static/app.css",
        "/api/info",
        "/api/records",
        "/api/histogram",
        "/api/stats",
    } <= paths


def test_a_token_url_opens_the_page_and_its_live_tail(
    tab: Tab, browser: Any, tmp_path: Path, writers: list[Writer]
) -> None:
    """With a token, the printed URL sets the cookie and drops the token from the address; the
    API and the live tail then work with the cookie alone; another browser gets a 401."""
    path = tmp_path / "app.log"
    writer = Writer(path)
    writers.append(writer)
    writer.command("log 0 2")
    page = tab.page
    with fastlog_web("--token", "s3cret-token-for-tests", str(path)) as server:
        assert server.url == server.base + "/?token=s3cret-token-for-tests"
        open_page(page, server.url)
        assert page.url == server.base + "/"
        expect_count(page, "2 records")
        expect(page.locator("#live-state")).to_have_text("following")
        writer.command("log 2 4")
        expect_count(page, "4 records")
        stranger = browser.new_context()
        try:
            response = stranger.new_page().goto(server.base + "/")
            assert response is not None and response.status == 401
        finally:
            stranger.close()
    writer.close()
