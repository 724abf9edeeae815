// pmlens SQL workbench: CodeMirror 6 editor with schema-aware completion, a
// paged result grid, a quick ECharts chart (ECharts comes from the dashboards
// layout), downloads, saved queries and history. Every value from the server
// is put on the page with textContent, never as HTML.
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching } from "@codemirror/language";
import { autocompletion, completionKeymap, closeBrackets } from "@codemirror/autocomplete";
import { sql, PostgreSQL } from "@codemirror/lang-sql";
import { Compartment } from "@codemirror/state";

const PAGE_SIZE = 100;
const $ = (id) => document.getElementById(id);
const root = $("wb");
const state = { result: null, page: 0, view: null };
const langConf = new Compartment();

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  if (props) for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}

async function api(method, url, body) {
  const opts = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  const resp = await fetch(url, opts);
  return resp;
}

async function apiJSON(method, url, body) {
  const resp = await api(method, url, body);
  if (resp.status === 204) return null;
  const data = await resp.json().catch(() => ({ error: { kind: "failed", message: "the server sent an unreadable answer (" + resp.status + ")" } }));
  if (!resp.ok) throw data.error || { kind: "failed", message: "request failed (" + resp.status + ")" };
  return data;
}

function getSQL() { return state.view ? state.view.state.doc.toString() : $("wb-sql").value; }
function setSQL(text) {
  if (state.view) state.view.dispatch({ changes: { from: 0, to: state.view.state.doc.length, insert: text } });
  else $("wb-sql").value = text;
}
function insertText(text) {
  if (!state.view) { $("wb-sql").setRangeText(text); return; }
  const r = state.view.state.selection.main;
  state.view.dispatch({ changes: { from: r.from, to: r.to, insert: text }, selection: { anchor: r.from + text.length } });
  state.view.focus();
}

function status(text) { $("wb-status").textContent = text; }
function showError(err) {
  const box = $("wb-error");
  box.replaceChildren();
  box.append(el("strong", null, labelFor(err.kind)), " ", el("pre", null, err.message || "unknown error"));
  if (err.position && err.position.line) {
    box.append(el("p", null, `At line ${err.position.line}, column ${err.position.column}.`));
    if (state.view && err.position.offset >= 0) {
      const pos = Math.min(byteToCharOffset(getSQL(), err.position.offset), state.view.state.doc.length);
      state.view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
      state.view.focus();
    }
  }
  box.hidden = false;
}
function labelFor(kind) {
  return { refused: "Not allowed:", invalid: "DuckDB could not run this:", timeout: "Stopped:", memory: "Too big:", busy: "Busy:", cancelled: "Cancelled:" }[kind] || "Error:";
}
function byteToCharOffset(text, bytes) {
  const enc = new TextEncoder();
  let n = 0, i = 0;
  for (const ch of text) { if (n >= bytes) break; n += enc.encode(ch).length; i += ch.length; }
  return i;
}

async function run() {
  const text = getSQL();
  $("wb-error").hidden = true;
  status("Running…");
  $("wb-run").disabled = true;
  try {
    const res = await apiJSON("POST", "/api/v1/query", { sql: text });
    state.result = res; state.page = 0;
    status(`${res.row_count} row${res.row_count === 1 ? "" : "s"} in ${res.duration_ms.toFixed(1)} ms from ${res.version}` +
      (res.truncated ? ` — cut at the ${res.max_rows}-row limit; download or aggregate for the rest` : ""));
    renderGrid(); setupChart();
  } catch (err) {
    status(""); showError(err);
  } finally {
    $("wb-run").disabled = false;
    loadHistory();
  }
}

function cellText(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function renderGrid() {
  const res = state.result;
  $("wb-result-card").hidden = false;
  const table = $("wb-grid");
  table.replaceChildren();
  const head = el("tr");
  for (const c of res.columns) head.append(el("th", { scope: "col", title: c.type }, c.name, el("span", { class: "wb-type" }, c.type)));
  table.append(el("thead", null, head));
  const body = el("tbody");
  const start = state.page * PAGE_SIZE;
  for (const row of res.rows.slice(start, start + PAGE_SIZE)) {
    const tr = el("tr");
    row.forEach((v, i) => {
      const t = cellText(v);
      const numeric = typeof v === "number";
      tr.append(t === null ? el("td", { class: "wb-null" }, "NULL") : el("td", numeric ? { class: "wb-num" } : null, t));
      void i;
    });
    body.append(tr);
  }
  table.append(body);
  const pages = Math.max(1, Math.ceil(res.rows.length / PAGE_SIZE));
  $("wb-page").textContent = `Page ${state.page + 1} of ${pages}`;
  $("wb-prev").disabled = state.page === 0;
  $("wb-next").disabled = state.page >= pages - 1;
}

function setupChart() {
  const res = state.result;
  const card = $("wb-chart-card");
  if (!window.echarts || !res || res.rows.length === 0 || res.columns.length < 2) { card.hidden = true; return; }
  const numeric = res.columns.map((c, i) => res.rows.some((r) => typeof r[i] === "number"));
  if (!numeric.some(Boolean)) { card.hidden = true; return; }
  card.hidden = false;
  const xs = $("wb-chart-x"), ys = $("wb-chart-y");
  xs.replaceChildren(); ys.replaceChildren();
  res.columns.forEach((c, i) => {
    xs.append(el("option", { value: String(i) }, c.name));
    if (numeric[i]) ys.append(el("option", { value: String(i) }, c.name));
  });
  const firstNum = numeric.indexOf(true);
  xs.value = String(firstNum === 0 ? 1 : 0);
  ys.value = String(firstNum);
  drawChart();
}

function drawChart() {
  const res = state.result;
  const x = Number($("wb-chart-x").value), y = Number($("wb-chart-y").value);
  const chart = window.echarts.getInstanceByDom($("wb-chart")) || window.echarts.init($("wb-chart"));
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", formatter: (ps) => ps.map((p) => window.echarts.format.encodeHTML(`${p.name}: ${p.value}`)).join("<br>") },
    xAxis: { type: "category", data: res.rows.map((r) => cellText(r[x]) ?? "NULL"), name: res.columns[x].name },
    yAxis: { type: "value", name: res.columns[y].name },
    series: [{ type: $("wb-chart-type").value, name: res.columns[y].name, data: res.rows.map((r) => (typeof r[y] === "number" ? r[y] : null)) }],
  }, true);
}

async function download() {
  const format = $("wb-format").value;
  $("wb-error").hidden = true;
  status(`Preparing ${format}…`);
  try {
    const resp = await api("POST", "/api/v1/query/download", { sql: getSQL(), format });
    if (!resp.ok) { const data = await resp.json(); throw data.error; }
    const blob = await resp.blob();
    const disp = resp.headers.get("Content-Disposition") || "";
    const m = /filename="?([^";]+)"?/.exec(disp);
    const a = el("a", { href: URL.createObjectURL(blob), download: m ? m[1] : "result." + format });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    status(resp.headers.get("X-Pmlens-Truncated") === "true" ? "Downloaded (cut at the row limit)." : "Downloaded.");
  } catch (err) { status(""); showError(err || { message: "download failed" }); }
  finally { loadHistory(); }
}

async function loadSchema() {
  const box = $("wb-schema");
  try {
    const data = await apiJSON("GET", "/api/v1/schema");
    const completion = {};
    box.replaceChildren();
    for (const t of data.tables) {
      const qualified = t.catalog === "pmlens" ? t.name : `${t.catalog}.${t.name}`;
      completion[qualified] = t.columns.map((c) => c.name);
      const cols = el("ul", { class: "wb-cols" });
      for (const c of t.columns) {
        cols.append(el("li", { "data-filter": (t.name + " " + c.name).toLowerCase() },
          el("button", { type: "button", class: "wb-link", onclick: () => insertText(c.name) }, c.name), " ",
          el("span", { class: "wb-type" }, c.type), c.description ? el("span", { class: "wb-desc" }, " — " + c.description) : null));
      }
      const summary = el("summary", null,
        el("button", { type: "button", class: "wb-link", onclick: (e) => { e.preventDefault(); insertText(qualified); } }, qualified),
        el("span", { class: "wb-type" }, " " + t.kind));
      const details = el("details", { "data-filter": t.name.toLowerCase() }, summary,
        t.description ? el("p", { class: "wb-desc" }, t.description) : null, cols);
      box.append(details);
    }
    if (state.view) state.view.dispatch({ effects: langConf.reconfigure(sql({ dialect: PostgreSQL, schema: completion, upperCaseKeywords: true })) });
  } catch (err) {
    box.replaceChildren(el("p", { class: "empty" }, "Schema unavailable: " + (err.message || err)));
  }
}

function filterSchema() {
  const q = $("wb-schema-filter").value.trim().toLowerCase();
  for (const d of $("wb-schema").querySelectorAll("details")) {
    const cols = d.querySelectorAll("li");
    let any = d.dataset.filter.includes(q);
    for (const li of cols) { const hit = !q || li.dataset.filter.includes(q); li.hidden = !hit && !d.dataset.filter.includes(q); any = any || hit; }
    d.hidden = !any;
    if (q && any) d.open = true;
  }
}

function listItem(title, sub, onOpen, onDelete) {
  const li = el("li", null, el("button", { type: "button", class: "wb-link", title, onclick: onOpen }, title.length > 80 ? title.slice(0, 80) + "…" : title),
    el("span", { class: "wb-sub" }, sub));
  if (onDelete) li.append(" ", el("button", { type: "button", class: "wb-del", "aria-label": "Delete " + title, onclick: onDelete }, "×"));
  return li;
}

async function loadSaved() {
  const ul = $("wb-saved");
  try {
    const data = await apiJSON("GET", "/api/v1/workbench/saved");
    ul.replaceChildren();
    if (data.saved.length === 0) ul.append(el("li", { class: "empty" }, "Nothing saved yet."));
    for (const q of data.saved) {
      ul.append(listItem(q.name, ` · updated ${q.updated.slice(0, 16).replace("T", " ")}`,
        () => { setSQL(q.sql); $("wb-name").value = q.name; },
        async () => { try { await apiJSON("DELETE", "/api/v1/workbench/saved/" + q.id); loadSaved(); } catch (err) { showError(err); } }));
    }
  } catch (err) { ul.replaceChildren(el("li", { class: "empty" }, "Unavailable: " + (err.message || err))); }
}

async function save() {
  try {
    await apiJSON("POST", "/api/v1/workbench/saved", { name: $("wb-name").value, sql: getSQL() });
    status("Saved.");
    loadSaved();
  } catch (err) { showError(err); }
}

async function loadHistory() {
  const ul = $("wb-history");
  try {
    const data = await apiJSON("GET", "/api/v1/workbench/history?limit=30");
    ul.replaceChildren();
    if (data.history.length === 0) ul.append(el("li", { class: "empty" }, "No queries yet."));
    for (const h of data.history) {
      ul.append(listItem(h.sql.replace(/\s+/g, " "), ` · ${h.outcome}, ${h.rows} rows, ${h.at.slice(0, 16).replace("T", " ")}`, () => setSQL(h.sql)));
    }
  } catch (err) { ul.replaceChildren(el("li", { class: "empty" }, "Unavailable: " + (err.message || err))); }
}

function setupEditor() {
  const textarea = $("wb-sql");
  const runKey = { key: "Mod-Enter", run: () => { run(); return true; } };
  state.view = new EditorView({
    parent: $("wb-editor"),
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(), history(), drawSelection(), highlightActiveLine(), bracketMatching(), closeBrackets(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        autocompletion(),
        langConf.of(sql({ dialect: PostgreSQL, upperCaseKeywords: true })),
        keymap.of([runKey, ...completionKeymap, ...historyKeymap, ...defaultKeymap]),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ "aria-label": "SQL editor", "aria-describedby": "wb-status" }),
      ],
    }),
  });
  textarea.hidden = true;
}

if (root) {
  setupEditor();
  $("wb-run").addEventListener("click", run);
  $("wb-download").addEventListener("click", download);
  $("wb-save").addEventListener("click", save);
  $("wb-prev").addEventListener("click", () => { state.page--; renderGrid(); });
  $("wb-next").addEventListener("click", () => { state.page++; renderGrid(); });
  $("wb-chart-draw").addEventListener("click", drawChart);
  $("wb-schema-filter").addEventListener("input", filterSchema);
  loadSchema(); loadSaved(); loadHistory();
}
