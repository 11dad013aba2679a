// fastlog web: the page. Vanilla JavaScript, no build step, no third-party code.
//
// Every value read from a log reaches the page through textContent or a text node, never as
// markup: a record holding "<script>" shows that text. The server's Content-Security-Policy
// forbids inline scripts and styles, so nothing here writes a style attribute or an event
// handler attribute; positions are set through the CSSOM (element.style.x = ...), which the
// policy allows.
"use strict";

(() => {
  const ROW_H = 22; // px, matches --row-h in app.css: the table relies on a fixed row height
  const PAGE = 200; // records per /api/records request
  const MAX_PAGES = 64; // pages kept in memory
  const MAX_SCROLL_PX = 8000000; // past this the scrollbar is scaled (browsers cap element height)
  const AROUND = 20;
  const BUCKETS = 120;
  const LEVELS = [
    "trace", "debug", "info", "success", "notice", "warning", "error", "critical", "alert",
    "emergency",
  ];
  // The URL hash keeps the same parameter names as the API (shareable links).
  const FILTER_KEYS = ["level", "logger", "since", "until", "text", "grep", "f", "trace_id"];
  const MULTI = new Set(["logger", "f"]);
  // What `fastlog -f` accepts as a key (fastlog_read's _KEY).
  const KEY_RE = /^[A-Za-z_@][\w.\-/@]*$/;

  const $ = (id) => document.getElementById(id);
  const numberFormat = new Intl.NumberFormat("en-US");
  const fmtNum = (n) => numberFormat.format(n);

  /** An element with a class and text (or children); text is always a text node. */
  function el(tag, cls, ...children) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function button(text, label, onClick) {
    const b = el("button", null, text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  const ISO_RE = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$/;

  /** "2026-12-07T10:00:00.25+00:00" -> "2026-12-07 10:00:00.250000": always six digits, so
   * the column lines up; UTC is shown bare, another offset is kept. */
  function fmtTime(iso) {
    if (!iso) return "";
    const m = ISO_RE.exec(iso);
    if (!m) return iso;
    const frac = (m[3] || ".").padEnd(7, "0").slice(0, 7);
    const zone = !m[4] || m[4] === "Z" || m[4] === "+00:00" ? "" : ` ${m[4]}`;
    return `${m[1]} ${m[2]}${frac}${zone}`;
  }

  /** The message as the table shows it: the exception's type after it. */
  function messageText(record) {
    const exc = record.exception && record.exception.type ? `  [${record.exception.type}]` : "";
    return (record.message ?? "") + exc;
  }

  function valueText(value) {
    if (typeof value === "string") return value;
    if (value === undefined) return "";
    return JSON.stringify(value);
  }

  function levelClass(level) {
    return LEVELS.includes(level) ? level : "none";
  }

  // ------------------------------------------------------------------ state and URL hash

  function emptyState() {
    return {
      level: "", logger: [], since: "", until: "", text: "", grep: "", f: [], trace_id: "",
      cols: [], sel: null, stats: false,
    };
  }

  function stateFromHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const state = emptyState();
    for (const key of FILTER_KEYS) {
      if (MULTI.has(key)) state[key] = params.getAll(key).filter((v) => v !== "");
      else state[key] = params.get(key) || "";
    }
    state.cols = (params.get("cols") || "").split(",").map((s) => s.trim()).filter(Boolean);
    const sel = params.get("sel");
    state.sel = sel !== null && /^\d+$/.test(sel) ? Number(sel) : null;
    state.stats = params.get("stats") === "1";
    return state;
  }

  function filterParams(state) {
    const params = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      if (MULTI.has(key)) for (const v of state[key]) params.append(key, v);
      else if (state[key]) params.set(key, state[key]);
    }
    return params;
  }

  function hashOf(state) {
    const params = filterParams(state);
    if (state.cols.length) params.set("cols", state.cols.join(","));
    if (state.sel !== null) params.set("sel", String(state.sel));
    if (state.stats) params.set("stats", "1");
    const text = params.toString();
    return text ? "#" + text : "";
  }

  function filtersActive(state) {
    return filterParams(state).toString() !== "";
  }

  /** A new history entry for a new view; hashchange then loads it (back/forward alike). */
  function navigate(state) {
    const hash = hashOf(state);
    if (hash.replace(/^#/, "") === location.hash.replace(/^#/, "")) load(state);
    else location.hash = hash;
  }

  /** Same view, small change (selection, panes): no history entry. */
  function replaceHash() {
    const hash = hashOf(view.state);
    history.replaceState(null, "", location.pathname + location.search + hash);
  }

  // ------------------------------------------------------------------ server access

  class HttpError extends Error {
    constructor(status, body) {
      super(body && typeof body.error === "string" ? body.error : `HTTP ${status}`);
      this.status = status;
      this.body = body || {};
    }
  }

  async function getJSON(path, params, signal) {
    const query = params && params.toString();
    const resp = await fetch(query ? `${path}?${query}` : path, {
      signal,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    let body = null;
    try {
      body = await resp.json();
    } catch (_) {
      body = null;
    }
    if (!resp.ok) throw new HttpError(resp.status, body);
    return body;
  }

  function isAbort(err) {
    return err && err.name === "AbortError";
  }

  // ------------------------------------------------------------------ the view

  const view = {
    info: null,
    state: emptyState(),
    gen: 0, // bumped on every new view; late answers of an older one are ignored
    abort: new AbortController(),
    total: 0,
    pages: new Map(), // page number -> sparse array of records
    complete: new Set(), // pages fetched whole
    inflight: new Map(), // page number -> AbortController
    selIndex: -1,
    selId: null,
    detail: null,
    hist: null,
    histCursor: -1,
    histLoading: false,
    error: false,
  };

  const els = {};

  function cacheElements() {
    for (const id of [
      "files", "live", "live-state", "sampled", "pause", "stats-toggle", "filters", "f-level",
      "f-logger", "f-since", "f-until", "f-text", "f-grep", "f-trace", "f-field", "chips",
      "f-cols", "clear", "loggers", "fieldkeys", "error", "error-message", "error-caret",
      "hist-legend", "hist-readout", "zoom-out", "hist", "hist-sel", "thead", "scroller",
      "spacer", "rows", "count", "notice", "detail", "detail-title", "detail-body", "around",
      "detail-close", "stats", "stats-body", "stats-close",
    ]) {
      els[id] = $(id);
    }
  }

  // ------------------------------------------------------------------ filter bar

  const INPUTS = {
    level: "f-level", logger: "f-logger", since: "f-since", until: "f-until", text: "f-text",
    grep: "f-grep", trace_id: "f-trace", f: "f-field",
  };

  let chips = []; // field predicates being edited

  function renderChips() {
    els.chips.replaceChildren();
    chips.forEach((expr, i) => {
      const chip = el("span", "chip", expr);
      chip.dataset.expr = expr;
      chip.append(button("\u00d7", `Remove the predicate ${expr}`, () => {
        chips.splice(i, 1);
        renderChips();
        els["f-field"].focus();
      }));
      els.chips.append(chip);
    });
  }

  function fillForm(state) {
    const select = els["f-level"];
    if (state.level && ![...select.options].some((o) => o.value === state.level)) {
      select.append(new Option(state.level, state.level));
    }
    select.value = state.level;
    els["f-logger"].value = state.logger.join(", ");
    els["f-since"].value = state.since;
    els["f-until"].value = state.until;
    els["f-text"].value = state.text;
    els["f-grep"].value = state.grep;
    els["f-trace"].value = state.trace_id;
    els["f-field"].value = "";
    els["f-cols"].value = state.cols.join(", ");
    chips = [...state.f];
    renderChips();
  }

  function splitList(text) {
    return text.split(",").map((s) => s.trim()).filter(Boolean);
  }

  function stateFromForm() {
    const state = emptyState();
    state.level = els["f-level"].value;
    state.logger = splitList(els["f-logger"].value);
    state.since = els["f-since"].value.trim();
    state.until = els["f-until"].value.trim();
    state.text = els["f-text"].value;
    state.grep = els["f-grep"].value;
    state.trace_id = els["f-trace"].value.trim();
    const pending = els["f-field"].value.trim();
    state.f = pending && !chips.includes(pending) ? [...chips, pending] : [...chips];
    state.cols = splitList(els["f-cols"].value);
    state.stats = view.state.stats;
    return state;
  }

  function showError(err) {
    view.error = true;
    for (const id of Object.values(INPUTS)) els[id].removeAttribute("aria-invalid");
    for (const chip of els.chips.children) chip.classList.remove("invalid");
    const body = err instanceof HttpError ? err.body : {};
    const param = typeof body.param === "string" ? body.param : "";
    els["error-message"].textContent = param
      ? `Bad filter (${param}): ${err.message}`
      : err.message || String(err);
    if (typeof body.text === "string" && Number.isInteger(body.column)) {
      els["error-caret"].textContent = `${body.text}\n${" ".repeat(body.column)}^`;
      els["error-caret"].hidden = false;
    } else {
      els["error-caret"].textContent = "";
      els["error-caret"].hidden = true;
    }
    if (param === "f") {
      for (const chip of els.chips.children) {
        chip.classList.toggle("invalid", chip.dataset.expr === body.text);
      }
    } else if (INPUTS[param]) {
      els[INPUTS[param]].setAttribute("aria-invalid", "true");
    }
    els.error.hidden = false;
  }

  function clearError() {
    view.error = false;
    els.error.hidden = true;
    for (const id of Object.values(INPUTS)) els[id].removeAttribute("aria-invalid");
  }

  function applyFilter(change) {
    const state = { ...view.state, f: [...view.state.f], logger: [...view.state.logger] };
    change(state);
    navigate(state);
  }

  // ------------------------------------------------------------------ loading a view

  async function load(state) {
    view.gen += 1;
    const gen = view.gen;
    view.abort.abort();
    view.abort = new AbortController();
    for (const ctl of view.inflight.values()) ctl.abort();
    view.inflight.clear();
    view.pages.clear();
    view.complete.clear();
    view.state = state;
    view.total = 0;
    view.selIndex = -1;
    view.hist = null;
    view.histLoading = true;
    drawHistogram();
    fillForm(state);
    setColumns(state.cols);
    els["zoom-out"].disabled = !(state.since || state.until);
    stopTail();
    els.count.textContent = "Loading\u2026";
    layoutRows(true);

    const params = filterParams(state);
    const signal = view.abort.signal;
    // Both at once: the server computes a filter once for concurrent requests.
    const first = getJSON("/api/records", withParams(params, { offset: 0, limit: PAGE }), signal);
    const hist = getJSON("/api/histogram", withParams(params, { buckets: BUCKETS }), signal);
    hist.catch(() => {}); // handled below; it may fail before the records do (a bad filter)
    try {
      const page = await first;
      if (gen !== view.gen) return;
      clearError();
      storePage(0, page);
      view.total = page.total;
      renderCount();
      layoutRows(true);
    } catch (err) {
      if (isAbort(err) || gen !== view.gen) return;
      showError(err);
      view.histLoading = false;
      view.total = 0;
      els.count.textContent = "No records: fix the filter";
      if (view.info && view.info.live) setLiveState("not following: fix the filter", false);
      layoutRows(true);
      drawHistogram();
      if (state.stats) els["stats-body"].replaceChildren(el("p", "muted", "No stats: fix the filter."));
      return;
    }
    hist.then((data) => {
      if (gen !== view.gen) return;
      view.hist = data;
      view.histLoading = false;
      drawHistogram();
    }).catch((err) => {
      if (!isAbort(err) && gen === view.gen) showError(err);
    });
    if (state.stats) loadStats();
    if (state.sel !== null) {
      openDetail(state.sel, false);
    } else {
      els.detail.hidden = true;
      view.selId = null;
    }
    startTail();
  }

  function withParams(params, extra) {
    const out = new URLSearchParams(params);
    for (const [k, v] of Object.entries(extra)) out.set(k, String(v));
    return out;
  }

  function renderCount() {
    const n = fmtNum(view.total);
    const noun = view.total === 1 ? "record" : "records";
    els.count.textContent = filtersActive(view.state) ? `${n} ${noun} match` : `${n} ${noun}`;
  }

  // ------------------------------------------------------------------ virtual table

  let columns = [];

  function setColumns(cols) {
    columns = cols;
    const template = ["200px", "80px", "160px", ...cols.map(() => "120px"), "minmax(0, 1fr)"];
    document.documentElement.style.setProperty("--cols", template.join(" "));
    const names = ["Time", "Level", "Logger", ...cols, "Message"];
    els.thead.replaceChildren(...names.map((n) => {
      const cell = el("span", null, n);
      cell.setAttribute("role", "columnheader");
      return cell;
    }));
    for (const row of pool) row.remove();
    pool.length = 0;
  }

  function storePage(p, page) {
    const records = page.records || [];
    let arr = view.pages.get(p);
    if (!arr) {
      arr = [];
      view.pages.set(p, arr);
    }
    const base = page.offset - p * PAGE;
    records.forEach((r, i) => {
      arr[base + i] = r;
    });
    if (records.length === PAGE || page.offset + records.length >= page.total) view.complete.add(p);
    trimPages();
  }

  /** Forget the pages farthest from the rows on screen when more than MAX_PAGES are kept. */
  function trimPages() {
    if (view.pages.size <= MAX_PAGES) return;
    const { ratio } = geometry();
    const keep = Math.floor((els.scroller.scrollTop * ratio) / ROW_H / PAGE);
    const far = [...view.pages.keys()].sort((a, b) => Math.abs(b - keep) - Math.abs(a - keep));
    for (const p of far.slice(0, view.pages.size - MAX_PAGES)) {
      view.pages.delete(p);
      view.complete.delete(p);
    }
  }

  function recordAt(index) {
    const arr = view.pages.get(Math.floor(index / PAGE));
    return arr ? arr[index % PAGE] : undefined;
  }

  function requestPage(p) {
    if (view.inflight.has(p) || view.complete.has(p) || p * PAGE >= view.total) return;
    const ctl = new AbortController();
    const gen = view.gen;
    view.inflight.set(p, ctl);
    getJSON(
      "/api/records", withParams(filterParams(view.state), { offset: p * PAGE, limit: PAGE }),
      ctl.signal,
    ).then((page) => {
      if (gen !== view.gen) return;
      view.inflight.delete(p);
      storePage(p, page);
      if (page.total !== view.total && !live.paused) {
        view.total = page.total;
        renderCount();
      }
      layoutRows(false);
      if (view.selIndex >= 0 && Math.floor(view.selIndex / PAGE) === p) syncSelection();
    }).catch((err) => {
      if (gen === view.gen) view.inflight.delete(p);
      if (!isAbort(err) && gen === view.gen) showError(err);
    });
  }

  const pool = [];
  let frame = 0;

  function scheduleRender() {
    if (!frame) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        renderRows();
      });
    }
  }

  /** The scroll geometry; past MAX_SCROLL_PX the scrollbar maps onto rows proportionally. */
  function geometry() {
    const scroller = els.scroller;
    const viewH = scroller.clientHeight;
    const realH = view.total * ROW_H;
    const fakeH = Math.min(realH, MAX_SCROLL_PX);
    const ratio = fakeH > viewH && realH > fakeH ? (realH - viewH) / (fakeH - viewH) : 1;
    return { viewH, realH, fakeH, ratio };
  }

  function layoutRows(reset) {
    const { fakeH } = geometry();
    els.spacer.style.height = `${fakeH}px`;
    if (reset) els.scroller.scrollTop = 0;
    renderRows();
  }

  function makeRow() {
    const row = el("div", "row");
    row.setAttribute("role", "row");
    const n = 4 + columns.length;
    for (let i = 0; i < n; i += 1) {
      const cell = el("span");
      cell.setAttribute("role", "gridcell");
      row.append(cell);
    }
    row.addEventListener("click", () => {
      const index = Number(row.dataset.index);
      if (Number.isInteger(index)) select(index, true);
    });
    return row;
  }

  function fieldAt(record, key) {
    const fields = record.fields || {};
    if (key in fields) return fields[key];
    let node = fields;
    for (const part of key.split(".")) {
      if (node && typeof node === "object" && !Array.isArray(node) && part in node) node = node[part];
      else return undefined;
    }
    return node;
  }

  function fillRow(row, index, record) {
    row.dataset.index = String(index);
    row.classList.toggle("selected", index === view.selIndex);
    if (row.record === record && record !== undefined) return;
    row.record = record;
    const cells = row.children;
    if (!record) {
      row.classList.add("pending");
      row.removeAttribute("data-id");
      cells[0].textContent = "\u2026";
      for (let i = 1; i < cells.length; i += 1) cells[i].textContent = "";
      cells[1].className = "";
      return;
    }
    row.classList.remove("pending");
    row.dataset.id = String(record.id);
    cells[0].textContent = fmtTime(record.time);
    cells[1].textContent = record.level || "";
    cells[1].className = `lvl lvl-${levelClass(record.level)}`;
    cells[2].textContent = record.logger || "";
    columns.forEach((key, i) => {
      cells[3 + i].textContent = valueText(fieldAt(record, key));
    });
    cells[cells.length - 1].textContent = messageText(record);
  }

  function renderRows() {
    const { viewH, ratio } = geometry();
    const scrollTop = els.scroller.scrollTop;
    const realTop = scrollTop * ratio;
    const first = Math.max(0, Math.floor(realTop / ROW_H));
    const count = Math.min(Math.ceil(viewH / ROW_H) + 1, Math.max(0, view.total - first));
    while (pool.length < count) {
      const row = makeRow();
      pool.push(row);
      els.rows.append(row);
    }
    els.rows.style.transform = `translateY(${scrollTop + first * ROW_H - realTop}px)`;
    const wanted = new Set();
    for (let i = 0; i < pool.length; i += 1) {
      const row = pool[i];
      if (i >= count) {
        row.hidden = true;
        continue;
      }
      row.hidden = false;
      const index = first + i;
      const record = recordAt(index);
      fillRow(row, index, record);
      if (!record) wanted.add(Math.floor(index / PAGE));
    }
    for (const [p, ctl] of view.inflight) {
      // a page scrolled past is not worth its request any more
      if (!wanted.has(p) && Math.abs(p * PAGE - first) > 2 * PAGE) {
        ctl.abort();
        view.inflight.delete(p);
      }
    }
    for (const p of wanted) requestPage(p);
    els.scroller.setAttribute("aria-rowcount", String(view.total));
  }

  function visibleRows() {
    return Math.max(1, Math.floor(els.scroller.clientHeight / ROW_H));
  }

  function scrollToIndex(index) {
    const { viewH, ratio } = geometry();
    const realTop = els.scroller.scrollTop * ratio;
    const top = index * ROW_H;
    if (top < realTop) els.scroller.scrollTop = top / ratio;
    else if (top + ROW_H > realTop + viewH) els.scroller.scrollTop = (top + ROW_H - viewH) / ratio;
  }

  function atBottom() {
    const s = els.scroller;
    return s.scrollTop + s.clientHeight >= s.scrollHeight - ROW_H;
  }

  function select(index, openIt) {
    if (view.total === 0) return;
    view.selIndex = Math.max(0, Math.min(view.total - 1, index));
    scrollToIndex(view.selIndex);
    renderRows();
    if (openIt) syncSelection();
  }

  function syncSelection() {
    const record = recordAt(view.selIndex);
    if (record && record.id !== view.selId) openDetail(record.id, true);
  }

  function onTableKey(event) {
    let index = view.selIndex;
    const page = visibleRows();
    switch (event.key) {
      case "ArrowDown": index += 1; break;
      case "ArrowUp": index -= 1; break;
      case "PageDown": index += page; break;
      case "PageUp": index -= page; break;
      case "Home": index = 0; break;
      case "End": index = view.total - 1; break;
      case "Enter": if (index >= 0) syncSelection(); event.preventDefault(); return;
      case "Escape": closeDetail(); return;
      default: return;
    }
    event.preventDefault();
    if (view.selIndex < 0 && event.key === "ArrowDown") index = 0;
    select(index, true);
  }

  // ------------------------------------------------------------------ detail pane

  function flatten(value, prefix, out) {
    if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length) {
      for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    } else {
      out.push([prefix, value]);
    }
    return out;
  }

  function predicateValue(value) {
    if (value === null || typeof value === "boolean" || typeof value === "number") return String(value);
    if (typeof value === "string") return value;
    return null; // lists and objects: `-f` compares scalars
  }

  function actionCell(key, value) {
    const td = el("td", "act");
    const text = predicateValue(value);
    if (text !== null && KEY_RE.test(key)) {
      td.append(
        button("filter", `Filter on ${key}=${text}`, () => addPredicate(`${key}=${text}`)),
        " ",
        button("exclude", `Exclude ${key}=${text}`, () => addPredicate(`${key}!=${text}`)),
        " ",
      );
    }
    if (!key.includes(",") && !view.state.cols.includes(key)) {
      td.append(button("column", `Show ${key} as a column`, () => {
        const state = { ...view.state, cols: [...view.state.cols, key] };
        navigate(state);
      }));
    }
    return td;
  }

  function addPredicate(expr) {
    applyFilter((s) => {
      if (!s.f.includes(expr)) s.f.push(expr);
    });
  }

  function kvRow(key, value, action) {
    const tr = el("tr", null, el("th", null, key), el("td", "value", valueText(value)));
    tr.append(action || el("td", "act"));
    return tr;
  }

  function escapeRegex(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  function headerAction(kind, value) {
    const td = el("td", "act");
    if (value === null || value === undefined || value === "") return td;
    const label = {
      level: `Show ${value} and above`,
      logger: `Filter on logger ${value}`,
      trace_id: `Filter on trace ${value}`,
      message: "Filter on this message",
      exception: `Filter on exception type ${value}`,
    }[kind];
    td.append(button(kind === "level" ? "and above" : "filter", label, () => {
      applyFilter((s) => {
        if (kind === "level") s.level = value;
        else if (kind === "logger") s.logger = [value];
        else if (kind === "trace_id") s.trace_id = value;
        else if (kind === "message") s.grep = `^${escapeRegex(value)}$`;
        else if (kind === "exception") {
          const expr = `exception.type=${value}`;
          if (!s.f.includes(expr)) s.f.push(expr);
        }
      });
    }));
    return td;
  }

  async function openDetail(id, updateHash) {
    view.selId = id;
    view.state.sel = id;
    if (updateHash) replaceHash();
    const gen = view.gen;
    els.detail.hidden = false;
    els["detail-title"].textContent = `Record ${id}`;
    let record;
    try {
      record = await getJSON(`/api/record/${encodeURIComponent(id)}`, null, view.abort.signal);
    } catch (err) {
      if (isAbort(err) || gen !== view.gen || view.selId !== id) return;
      els["detail-body"].replaceChildren(el("p", "muted", `Record ${id}: ${err.message}`));
      return;
    }
    if (gen !== view.gen || view.selId !== id) return;
    view.detail = record;
    renderDetail(record);
  }

  function renderDetail(record) {
    const body = els["detail-body"];
    const head = el("table", "kv");
    head.append(
      kvRow("time", fmtTime(record.time)),
      kvRow("level", record.level ?? "", headerAction("level", record.level)),
      kvRow("logger", record.logger ?? "", headerAction("logger", record.logger)),
    );
    if (record.trace_id) head.append(kvRow("trace_id", record.trace_id, headerAction("trace_id", record.trace_id)));
    head.append(kvRow("source", record.source ?? ""), kvRow("layout", record.layout ?? ""));
    const parts = [head];

    const msgHead = el("h3", null, "Message");
    const msg = el("div", "message", record.message ?? "");
    msg.id = "detail-message";
    const msgActions = el("div");
    if (record.message) {
      msgActions.append(button("filter on this message", "Filter on this message", () => {
        applyFilter((s) => {
          s.grep = `^${escapeRegex(record.message)}$`;
        });
      }));
    }
    parts.push(msgHead, msg, msgActions);

    if (record.exception) {
      const exc = record.exception;
      parts.push(el("h3", null, "Exception"));
      const t = el("table", "kv");
      if (exc.type) t.append(kvRow("type", exc.type, headerAction("exception", exc.type)));
      if (exc.message !== undefined) t.append(kvRow("message", exc.message));
      for (const [k, v] of Object.entries(exc)) {
        if (!["type", "message", "traceback"].includes(k)) t.append(kvRow(k, v));
      }
      parts.push(t);
      if (exc.traceback) {
        const pre = el("pre", "traceback", valueText(exc.traceback));
        pre.id = "detail-traceback";
        pre.tabIndex = 0;
        parts.push(pre);
      }
    }

    const fields = flatten(record.fields || {}, "", []);
    parts.push(el("h3", null, `Fields (${fields.length})`));
    if (fields.length) {
      const t = el("table", "kv");
      t.id = "detail-fields";
      for (const [key, value] of fields) t.append(kvRow(key, value, actionCell(key, value)));
      parts.push(t);
    } else {
      parts.push(el("p", "muted", "No other fields."));
    }

    if (typeof record.raw === "string") {
      const details = el("details", null, el("summary", null, "Raw line"));
      details.append(el("pre", "raw", record.raw));
      parts.push(details);
    }
    const around = el("section", "around");
    around.id = "around-list";
    parts.push(around);
    body.replaceChildren(...parts);
    body.scrollTop = 0;
  }

  async function showAround() {
    const id = view.selId;
    if (id === null) return;
    const gen = view.gen;
    let data;
    try {
      data = await getJSON(
        `/api/around/${encodeURIComponent(id)}`,
        new URLSearchParams({ before: String(AROUND), after: String(AROUND) }),
        view.abort.signal,
      );
    } catch (err) {
      if (!isAbort(err) && gen === view.gen) showError(err);
      return;
    }
    if (gen !== view.gen || view.selId !== id) return;
    const box = $("around-list");
    if (!box) return;
    const rows = data.records.map((r, i) => {
      const row = el(
        "div", i === data.index ? "row current" : "row",
        el("span", null, fmtTime(r.time)),
        el("span", `lvl lvl-${levelClass(r.level)}`, r.level || ""),
        el("span", null, messageText(r)),
      );
      row.dataset.id = String(r.id);
      row.tabIndex = 0;
      row.setAttribute("role", "button");
      const open = () => openDetail(r.id, true);
      row.addEventListener("click", open);
      row.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          open();
        }
      });
      return row;
    });
    box.replaceChildren(
      el("h3", null, `Surrounding records (${data.records.length}, unfiltered)`), ...rows,
    );
    const current = box.querySelector(".current");
    if (current) current.scrollIntoView({ block: "center" });
  }

  function closeDetail() {
    els.detail.hidden = true;
    view.selId = null;
    view.state.sel = null;
    replaceHash();
    els.scroller.focus();
  }

  // ------------------------------------------------------------------ histogram

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  const PLOT = { left: 44, right: 6, top: 6, bottom: 18 };

  function histTimes() {
    const h = view.hist;
    const start = Date.parse(h.start);
    return { start, width: h.bucket_seconds * 1000 };
  }

  function fmtTick(ms, spanMs) {
    const iso = new Date(ms).toISOString();
    if (spanMs <= 120000) return iso.slice(11, 21);
    if (spanMs <= 86400000) return iso.slice(11, 19);
    return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  }

  function drawHistogram() {
    const canvas = els.hist;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const data = view.hist;
    // what is drawn: "loading", "ready" (bars) or "empty"
    canvas.dataset.state = view.histLoading ? "loading" : data && data.counts.length ? "ready" : "empty";
    renderLegend();
    if (!data || !data.counts || !data.counts.length) {
      ctx.fillStyle = cssVar("--fg-dim");
      ctx.font = `12px ${cssVar("--sans")}`;
      let text = "No records with a time";
      if (view.error) text = "";
      else if (view.histLoading) text = "Counting\u2026";
      ctx.fillText(text, PLOT.left, h / 2);
      return;
    }
    const plotW = w - PLOT.left - PLOT.right;
    const plotH = h - PLOT.top - PLOT.bottom;
    const n = data.counts.length;
    const max = Math.max(1, ...data.counts.map((c) => c.reduce((a, b) => a + b, 0)));
    const colors = data.levels.map((l) => cssVar(`--lvl-${levelClass(l)}`));
    const bw = plotW / n;
    for (let i = 0; i < n; i += 1) {
      let y = PLOT.top + plotH;
      data.counts[i].forEach((c, j) => {
        if (!c) return;
        const bh = (c / max) * plotH;
        ctx.fillStyle = colors[j];
        ctx.fillRect(PLOT.left + i * bw + 0.5, y - bh, Math.max(1, bw - 1), bh);
        y -= bh;
      });
      if (i === view.histCursor) {
        ctx.strokeStyle = cssVar("--accent");
        ctx.lineWidth = 2;
        ctx.strokeRect(PLOT.left + i * bw + 1, PLOT.top + 1, Math.max(2, bw - 2), plotH - 2);
      }
    }
    ctx.fillStyle = cssVar("--fg-dim");
    ctx.strokeStyle = cssVar("--border");
    ctx.lineWidth = 1;
    ctx.font = `11px ${cssVar("--mono")}`;
    ctx.textAlign = "right";
    ctx.textBaseline = "top";
    ctx.fillText(fmtNum(max), PLOT.left - 4, PLOT.top);
    ctx.textBaseline = "bottom";
    ctx.fillText("0", PLOT.left - 4, PLOT.top + plotH);
    ctx.beginPath();
    ctx.moveTo(PLOT.left, PLOT.top + plotH + 0.5);
    ctx.lineTo(PLOT.left + plotW, PLOT.top + plotH + 0.5);
    ctx.stroke();
    const { start, width } = histTimes();
    const span = width * n;
    const ticks = Math.max(2, Math.min(8, Math.floor(plotW / 140)));
    ctx.textBaseline = "top";
    for (let k = 0; k <= ticks; k += 1) {
      const x = PLOT.left + (plotW * k) / ticks;
      ctx.textAlign = k === 0 ? "left" : k === ticks ? "right" : "center";
      ctx.fillText(fmtTick(start + (span * k) / ticks, span), x, PLOT.top + plotH + 3);
    }
  }

  function renderLegend() {
    const data = view.hist;
    const items = [];
    if (data && data.levels) {
      data.levels.forEach((level, j) => {
        const sum = data.counts.reduce((a, c) => a + (c[j] || 0), 0);
        const item = el(
          "span", "legend-item", el("span", `swatch sw-${levelClass(level)}`), `${level} ${fmtNum(sum)}`,
        );
        item.dataset.level = level;
        items.push(item);
      });
    }
    els["hist-legend"].replaceChildren(...items);
  }

  function bucketAt(x) {
    const n = view.hist ? view.hist.counts.length : 0;
    const plotW = els.hist.clientWidth - PLOT.left - PLOT.right;
    if (!n) return -1;
    return Math.max(0, Math.min(n - 1, Math.floor(((x - PLOT.left) / plotW) * n)));
  }

  function timeAt(x) {
    const n = view.hist.counts.length;
    const plotW = els.hist.clientWidth - PLOT.left - PLOT.right;
    const { start, width } = histTimes();
    const frac = Math.max(0, Math.min(1, (x - PLOT.left) / plotW));
    return start + frac * n * width;
  }

  function readout(i) {
    if (!view.hist || i < 0) {
      els["hist-readout"].textContent = "";
      return;
    }
    const { start, width } = histTimes();
    const counts = view.hist.levels
      .map((l, j) => [l, view.hist.counts[i][j] || 0])
      .filter(([, c]) => c)
      .map(([l, c]) => `${l} ${fmtNum(c)}`);
    const from = new Date(start + i * width).toISOString().slice(0, 23).replace("T", " ");
    els["hist-readout"].textContent = `${from} +${fmtDuration(width)}: ${counts.join(", ") || "none"}`;
  }

  function fmtDuration(ms) {
    if (ms < 1000) return `${+ms.toFixed(1)}ms`;
    if (ms < 60000) return `${+(ms / 1000).toFixed(2)}s`;
    if (ms < 3600000) return `${+(ms / 60000).toFixed(1)}m`;
    return `${+(ms / 3600000).toFixed(1)}h`;
  }

  /** Zoom to [fromMs, toMs): since is inclusive and until exclusive, as in the CLI. */
  function zoomTo(fromMs, toMs) {
    const since = new Date(Math.floor(fromMs)).toISOString();
    const until = new Date(Math.ceil(toMs) + 1).toISOString();
    applyFilter((s) => {
      s.since = since;
      s.until = until;
    });
  }

  function zoomBucket(i) {
    const { start, width } = histTimes();
    zoomTo(start + i * width, start + (i + 1) * width);
  }

  /** Back to every time (Back in the browser steps out one zoom at a time). */
  function zoomOut() {
    if (!view.state.since && !view.state.until) return;
    applyFilter((s) => {
      s.since = "";
      s.until = "";
    });
  }

  function setupHistogram() {
    const canvas = els.hist;
    const sel = els["hist-sel"];
    let dragFrom = null;
    canvas.addEventListener("pointerdown", (e) => {
      if (!view.hist || !view.hist.counts.length || e.button !== 0) return;
      dragFrom = e.offsetX;
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!view.hist) return;
      readout(bucketAt(e.offsetX));
      if (dragFrom === null) return;
      const lo = Math.max(PLOT.left, Math.min(dragFrom, e.offsetX));
      const hi = Math.min(canvas.clientWidth - PLOT.right, Math.max(dragFrom, e.offsetX));
      sel.style.left = `${lo}px`;
      sel.style.width = `${Math.max(0, hi - lo)}px`;
      sel.hidden = hi - lo < 4;
    });
    canvas.addEventListener("pointerup", (e) => {
      if (dragFrom === null) return;
      const from = dragFrom;
      dragFrom = null;
      sel.hidden = true;
      if (Math.abs(e.offsetX - from) < 4) {
        zoomBucket(bucketAt(e.offsetX));
      } else {
        const a = timeAt(Math.min(from, e.offsetX));
        const b = timeAt(Math.max(from, e.offsetX));
        zoomTo(a, b);
      }
    });
    canvas.addEventListener("pointercancel", () => {
      dragFrom = null;
      sel.hidden = true;
    });
    canvas.addEventListener("pointerleave", () => {
      if (dragFrom === null) readout(view.histCursor);
    });
    canvas.addEventListener("keydown", (e) => {
      if (e.key === "-") {
        e.preventDefault();
        zoomOut();
        return;
      }
      const n = view.hist ? view.hist.counts.length : 0;
      if (!n) return;
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        const step = e.key === "ArrowRight" ? 1 : -1;
        view.histCursor = view.histCursor < 0
          ? (step > 0 ? 0 : n - 1)
          : Math.max(0, Math.min(n - 1, view.histCursor + step));
      } else if (e.key === "Enter" && view.histCursor >= 0) {
        zoomBucket(view.histCursor);
      } else if (e.key === "Escape") {
        view.histCursor = -1;
      } else {
        return;
      }
      e.preventDefault();
      readout(view.histCursor);
      drawHistogram();
    });
    canvas.addEventListener("blur", () => {
      view.histCursor = -1;
      drawHistogram();
    });
  }

  // ------------------------------------------------------------------ live tail

  const live = { source: null, paused: false, lastId: -1, sampledAt: 0, histTimer: 0, gen: 0 };

  function stopTail() {
    if (live.source) live.source.close();
    live.source = null;
  }

  function tailUrl() {
    const params = filterParams(view.state);
    if (live.lastId >= 0) params.set("after", String(live.lastId));
    return `/api/tail?${params.toString()}`;
  }

  function startTail() {
    stopTail();
    if (!view.info || !view.info.live || view.error) return;
    els.live.hidden = false;
    if (live.paused) {
      setLiveState("paused", false);
      return;
    }
    const lastRecord = view.total > 0 ? recordAt(view.total - 1) : undefined;
    live.lastId = lastRecord ? lastRecord.id : -1;
    const source = new EventSource(tailUrl());
    const gen = view.gen;
    live.source = source;
    source.addEventListener("open", () => setLiveState("following", true));
    source.addEventListener("error", () => {
      if (live.source === source) setLiveState("reconnecting\u2026", false);
    });
    source.addEventListener("records", (e) => {
      if (gen !== view.gen || live.source !== source) return;
      onLiveRecords(JSON.parse(e.data));
    });
    source.addEventListener("notice", (e) => {
      if (gen !== view.gen || live.source !== source) return;
      const notice = JSON.parse(e.data);
      const when = new Date().toISOString().slice(11, 19);
      els.notice.textContent = `${when} ${notice.kind}: ${notice.text}`;
    });
  }

  function setLiveState(text, on) {
    els["live-state"].textContent = text;
    els["live-state"].classList.toggle("on", on);
  }

  function onLiveRecords(data) {
    const follow = atBottom();
    const records = data.records || [];
    const oldTotal = view.total;
    view.total = data.total;
    // The newest records sit at the end of the filtered list: place them there, so the rows
    // show without another request. A page that grew is no longer complete.
    for (let p = Math.floor(oldTotal / PAGE); p * PAGE < view.total; p += 1) view.complete.delete(p);
    records.forEach((r, i) => {
      const index = view.total - records.length + i;
      const p = Math.floor(index / PAGE);
      let arr = view.pages.get(p);
      if (!arr) {
        arr = [];
        view.pages.set(p, arr);
      }
      arr[index % PAGE] = r;
      if (r.id > live.lastId) live.lastId = r.id;
    });
    if (data.sampled) {
      live.sampledAt = Date.now();
      els.sampled.hidden = false;
      els.sampled.textContent = `display sampled: newest ${fmtNum(records.length)} shown`;
    } else if (Date.now() - live.sampledAt > 3000) {
      els.sampled.hidden = true;
    }
    renderCount();
    const { fakeH } = geometry();
    els.spacer.style.height = `${fakeH}px`;
    if (follow) els.scroller.scrollTop = els.scroller.scrollHeight;
    trimPages();
    renderRows();
    if (!live.histTimer && !view.state.until) {
      live.histTimer = setTimeout(refreshHistogram, 1000);
    }
  }

  function refreshHistogram() {
    live.histTimer = 0;
    const gen = view.gen;
    getJSON("/api/histogram", withParams(filterParams(view.state), { buckets: BUCKETS }), view.abort.signal)
      .then((data) => {
        if (gen !== view.gen) return;
        view.hist = data;
        drawHistogram();
      })
      .catch(() => {});
  }

  function togglePause() {
    live.paused = !live.paused;
    els.pause.textContent = live.paused ? "Resume" : "Pause";
    els.pause.setAttribute("aria-pressed", String(live.paused));
    if (live.paused) {
      stopTail();
      setLiveState("paused", false);
      return;
    }
    // Records that arrived while paused: the table's count and pages are fetched anew.
    const gen = view.gen;
    getJSON("/api/records", withParams(filterParams(view.state), {
      offset: Math.max(0, view.total - 1), limit: 1,
    }), view.abort.signal).then((page) => {
      if (gen !== view.gen) return;
      const follow = atBottom();
      const before = view.total;
      view.total = page.total;
      for (let p = Math.floor(before / PAGE); p * PAGE < view.total; p += 1) view.complete.delete(p);
      renderCount();
      const { fakeH } = geometry();
      els.spacer.style.height = `${fakeH}px`;
      if (follow) els.scroller.scrollTop = els.scroller.scrollHeight;
      renderRows();
      refreshHistogram();
      startTail();
    }).catch((err) => {
      if (!isAbort(err) && gen === view.gen) showError(err);
    });
  }

  // ------------------------------------------------------------------ stats panel

  /** A table of the stats panel: the first column takes the room, the others fit. */
  function statTable(headings, rows) {
    const t = el("table", "kv stat");
    t.append(el("tr", null, ...headings.map((h) => el("th", h === "count" ? "num" : null, h))));
    for (const cells of rows) {
      const tr = el("tr");
      for (const c of cells) {
        if (c instanceof Node) tr.append(c);
        else if (typeof c === "number") tr.append(el("td", "num", fmtNum(c)));
        else tr.append(el("td", "value", c ?? ""));
      }
      t.append(tr);
    }
    return t;
  }

  async function loadStats() {
    const gen = view.gen;
    els["stats-body"].replaceChildren(el("p", "muted", "Counting\u2026"));
    let s;
    try {
      s = await getJSON("/api/stats", filterParams(view.state), view.abort.signal);
    } catch (err) {
      if (!isAbort(err) && gen === view.gen) {
        els["stats-body"].replaceChildren(el("p", "muted", err.message));
      }
      return;
    }
    if (gen !== view.gen) return;
    renderStats(s);
  }

  function renderStats(s) {
    const parts = [];
    const summary = el("table", "kv");
    summary.id = "stats-summary";
    summary.append(
      kvRow("records", fmtNum(s.records)),
      kvRow("first", fmtTime(s.first)),
      kvRow("last", fmtTime(s.last)),
    );
    if (s.text_lines) summary.append(kvRow("text lines", fmtNum(s.text_lines)));
    if (s.without_time) summary.append(kvRow("without a time", fmtNum(s.without_time)));
    parts.push(summary);

    parts.push(el("h3", null, "Levels"));
    const levels = statTable(["level", "count"], Object.entries(s.levels || {}).map(([l, c]) => {
      const name = el("td", `lvl lvl-${levelClass(l)}`, l);
      return [name, c];
    }));
    levels.id = "stats-levels";
    parts.push(levels);

    parts.push(el("h3", null, "Loggers"));
    const loggerRows = Object.entries(s.loggers || {}).map(([name, c]) => {
      const act = el("td", "act");
      act.append(button("filter", `Filter on logger ${name}`, () => {
        applyFilter((st) => { st.logger = [name]; });
      }));
      return [el("td", "value", name), c, act];
    });
    if (s.loggers_other) loggerRows.push([el("td", "value muted", "(other loggers)"), s.loggers_other, el("td")]);
    const loggers = statTable(["logger", "count", ""], loggerRows);
    loggers.id = "stats-loggers";
    parts.push(loggers);

    parts.push(el("h3", null, "Top messages"));
    const messages = statTable(
      ["message", "count", "levels"],
      (s.messages || []).map((m) => [el("td", "value", m.template), m.count, (m.levels || []).join(", ")]),
    );
    messages.id = "stats-messages";
    parts.push(messages);
    if (s.messages_other) parts.push(el("p", "muted", `${fmtNum(s.messages_other)} other records`));

    parts.push(el("h3", null, "Error types"));
    if ((s.errors || []).length) {
      const errors = statTable(
        ["type", "count"],
        s.errors.map((e) => [
          el(
            "td", "value", el("span", "type", e.type),
            el("span", "when", `first ${fmtTime(e.first)}`),
            el("span", "when", `last ${fmtTime(e.last)}`),
          ),
          e.count,
        ]),
      );
      errors.id = "stats-errors";
      parts.push(errors);
    } else {
      parts.push(el("p", "muted", "No exceptions."));
    }

    parts.push(el("h3", null, "Drops and losses"));
    const notes = el("div");
    notes.id = "stats-drops";
    for (const [name, n] of [["dropped", s.dropped], ["lost", s.lost]]) {
      if (!n || !n.records) {
        notes.append(el("p", "muted", `Nothing ${name} (no ${name} notes).`));
        continue;
      }
      const by = Object.entries(n.by_level || {}).map(([l, c]) => `${l} ${fmtNum(c)}`).join(", ");
      const policies = Object.entries(n.policies || {})
        .map(([p, c]) => `policy=${p} ${fmtNum(c)}`).join(", ");
      const notesWord = n.notes === 1 ? "note" : "notes";
      const line = el(
        "p", null,
        `${fmtNum(n.records)} records ${name} in ${fmtNum(n.notes)} ${notesWord}`
          + ` (${fmtTime(n.first)} to ${fmtTime(n.last)})`,
      );
      line.dataset.kind = name;
      notes.append(line);
      if (by) notes.append(el("p", "muted", `by level: ${by}`));
      if (policies) notes.append(el("p", "muted", `by policy: ${policies}`));
      const presets = Object.entries(n.presets || {})
        .map(([p, c]) => `${p} ${fmtNum(c)}`).join(", ");
      if (presets) notes.append(el("p", "muted", `by preset: ${presets}`));
    }
    parts.push(notes);

    if (s.layouts && Object.keys(s.layouts).length) {
      parts.push(el("h3", null, "Layouts"));
      parts.push(statTable(["layout", "count"], Object.entries(s.layouts)));
    }
    if (s.sources && Object.keys(s.sources).length) {
      parts.push(el("h3", null, "Files"));
      parts.push(statTable(["file", "count"], Object.entries(s.sources)));
    }
    els["stats-body"].replaceChildren(...parts);
  }

  function setStats(open) {
    view.state.stats = open;
    els.stats.hidden = !open;
    els["stats-toggle"].setAttribute("aria-expanded", String(open));
    replaceHash();
    if (open) loadStats();
  }

  // ------------------------------------------------------------------ start

  function renderInfo(info) {
    els.files.textContent = info.files.join("  ");
    document.title = `${info.files.join(" ")} \u2014 fastlog web`;
    els.files.title = info.files.join("\n");
    const select = els["f-level"];
    for (const level of LEVELS) select.append(new Option(level, level));
    els.loggers.replaceChildren(...(info.loggers || []).map((l) => new Option(l)));
    els.fieldkeys.replaceChildren(...(info.fields || []).map((f) => new Option(f)));
    els.live.hidden = !info.live;
  }

  function bind() {
    els.filters.addEventListener("submit", (e) => {
      e.preventDefault();
      navigate({ ...stateFromForm(), sel: view.state.sel });
    });
    els["f-field"].addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      const expr = els["f-field"].value.trim();
      if (!expr) return; // an empty box: Enter applies the form
      e.preventDefault();
      if (!chips.includes(expr)) chips.push(expr);
      els["f-field"].value = "";
      renderChips();
    });
    els.clear.addEventListener("click", () => {
      navigate({ ...emptyState(), cols: view.state.cols, stats: view.state.stats });
    });
    els.scroller.addEventListener("scroll", scheduleRender, { passive: true });
    els.scroller.addEventListener("keydown", onTableKey);
    els["detail-close"].addEventListener("click", closeDetail);
    els.around.addEventListener("click", showAround);
    els.detail.addEventListener("keydown", (e) => {
      if (e.key === "Escape") closeDetail();
    });
    els["stats-toggle"].addEventListener("click", () => setStats(els.stats.hidden));
    els["stats-close"].addEventListener("click", () => setStats(false));
    els.pause.addEventListener("click", togglePause);
    els["zoom-out"].addEventListener("click", zoomOut);
    window.addEventListener("hashchange", () => load(stateFromHash()));
    window.addEventListener("resize", () => {
      drawHistogram();
      layoutRows(false);
    });
    setupHistogram();
  }

  async function start() {
    cacheElements();
    bind();
    try {
      view.info = await getJSON("/api/info");
    } catch (err) {
      showError(err);
      return;
    }
    renderInfo(view.info);
    const state = stateFromHash();
    els.stats.hidden = !state.stats;
    els["stats-toggle"].setAttribute("aria-expanded", String(state.stats));
    await load(state);
    document.documentElement.dataset.ready = "1";
  }

  start();
})();
