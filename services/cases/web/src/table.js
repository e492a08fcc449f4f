// The one table renderer. A column is {key, label?, value?(row), render?(cell, row),
// raw?(row), kind?}: `raw` is the value sorted and exported (default: the row's `key`
// path); `kind: "share"` shows a fraction as a percentage; `value` gives the text shown
// (default: the number, the share or the word, translated); `render` fills the cell itself.
// Options: {onRowClick(row), rowHref(row), caption, empty, rowData(row) → dataset,
// sortable (default true), sortParam (the address's query key that keeps the order, so
// reload and bookmarks keep it), exportName (the .xlsx file's name; false: no export)}.
// Clickable rows are reachable by keyboard (Tab, Enter); a sortable column's heading is a
// button (Enter or Space sorts, again reverses) and its <th> carries aria-sort.
import { el } from "./dom.js";
import { at, number, share, word } from "./format.js";
import { t } from "./i18n/index.js";
import { location } from "./router.js";

export function rawValue(column, row) {
  return column.raw ? column.raw(row) : at(row, column.key);
}

export function shownValue(column, row) {
  if (column.value) return column.value(row);
  const value = rawValue(column, row);
  if (column.kind === "share") return share(value) ?? "—";
  return number(value) ?? word(value);
}

// Nulls last in either direction; numbers as numbers, words in the user's collation.
function compare(a, b) {
  const missing = (v) => v === null || v === undefined || v === "";
  if (missing(a) || missing(b)) return missing(a) - missing(b);
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), document.documentElement.lang || undefined, { numeric: true });
}

function sortedRows(model) {
  const { columns, rows, sort } = model;
  const column = sort && columns.find((c) => c.key === sort.key);
  if (!column) return rows;
  const sign = sort.dir === "descending" ? -1 : 1;
  const keyed = rows.map((row, i) => ({ row, i, v: rawValue(column, row) }));
  keyed.sort((x, y) => {
    const missing = (v) => v === null || v === undefined || v === "";
    if (missing(x.v) !== missing(y.v)) return missing(x.v) - missing(y.v);
    return sign * compare(x.v, y.v) || x.i - y.i;
  });
  return keyed.map((k) => k.row);
}

// The order kept in the address: "key" ascending, "-key" descending.
function sortFromAddress(param) {
  const given = param && location().query[param];
  if (!given) return null;
  return given.startsWith("-") ? { key: given.slice(1), dir: "descending" } : { key: given, dir: "ascending" };
}

function keepSortInAddress(param, sort) {
  if (!param) return;
  const hash = window.location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = hash.split("?");
  const query = new URLSearchParams(search);
  query.set(param, sort.dir === "descending" ? `-${sort.key}` : sort.key);
  // replaceState moves no hashchange: the page is not rendered again, only remembered.
  window.history.replaceState(null, "", `#${path}?${query}`);
}

function renderHead(table) {
  const { columns, options, sort } = table.model;
  const head = table.tHead.rows[0] || table.tHead.insertRow();
  head.replaceChildren();
  for (const column of columns) {
    const label = column.label ?? t(column.key);
    const th = el("th", { scope: "col", dataset: { key: column.key } });
    if (options.sortable === false || column.sortable === false) {
      th.append(label);
    } else {
      const dir = sort && sort.key === column.key ? sort.dir : null;
      if (dir) th.setAttribute("aria-sort", dir);
      th.append(el("button", {
        type: "button", className: "sort", dataset: { sort: dir || "none" },
        on: { click: () => sortBy(table, column.key) },
      }, label, el("span", { className: "sort-mark", "aria-hidden": "true" },
        dir === "ascending" ? " ▲" : dir === "descending" ? " ▼" : " ↕")));
    }
    head.append(th);
  }
}

function renderBody(table) {
  const { columns, options } = table.model;
  const body = table.tBodies[0];
  body.replaceChildren();
  const rows = sortedRows(table.model);
  if (!rows.length && options.empty) {
    body.insertRow().append(el("td", { colSpan: columns.length, className: "empty" }, options.empty));
    return;
  }
  for (const row of rows) {
    const tr = body.insertRow();
    if (options.rowData) Object.assign(tr.dataset, options.rowData(row));
    for (const column of columns) {
      const cell = tr.insertCell();
      if (column.render) column.render(cell, row);
      else cell.textContent = shownValue(column, row);
      if (column.kind === "share" || typeof rawValue(column, row) === "number") cell.className = "num";
    }
    const go = options.onRowClick || (options.rowHref && (() => { window.location.hash = options.rowHref(row); }));
    if (go) {
      tr.className = "link";
      tr.tabIndex = 0;
      tr.addEventListener("click", (event) => { if (!event.target.closest("a, button")) go(row); });
      tr.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && event.target === tr) { event.preventDefault(); go(row); }
      });
    }
  }
}

// Sorts by `key`: ascending first, the same column again reverses.
export function sortBy(table, key) {
  const model = table.model;
  const dir = model.sort?.key === key && model.sort.dir === "ascending" ? "descending" : "ascending";
  model.sort = { key, dir };
  keepSortInAddress(model.options.sortParam, model.sort);
  renderHead(table);
  renderBody(table);
  table.querySelector(`th[data-key="${CSS.escape(key)}"] button`)?.focus();
}

// The export button sits just before the table (or its scrolling wrapper), one per table.
function exportTools(table) {
  const anchor = table.parentElement?.classList.contains("table-wrap") ? table.parentElement : table;
  if (!anchor.parentElement) return;
  let tools = anchor.previousElementSibling;
  if (!tools || tools.dataset.toolsFor !== table.id) {
    tools = el("div", { className: "table-tools", dataset: { toolsFor: table.id || "" } },
      el("button", { type: "button", className: "export", on: { click: () => exportTable(table) } }));
    anchor.before(tools);
  }
  const button = tools.querySelector("button.export");
  button.textContent = t("export_excel");
  button.disabled = !table.model.rows.length;
}

export function renderTable(table, columns, rows, options = {}) {
  table.replaceChildren();
  const kept = table.model?.sort && table.model.columns === columns ? table.model.sort : null;
  table.model = { columns, rows, options, sort: sortFromAddress(options.sortParam) || kept };
  if (options.caption) table.append(el("caption", {}, options.caption));
  table.createTHead();
  table.createTBody();
  renderHead(table);
  renderBody(table);
  if (options.exportName !== false) exportTools(table);
  return table;
}

// The table as an .xlsx file, in the order shown: numbers stay numbers (shares as
// fractions formatted as percentages), words as the user reads them. The library is
// loaded only now, on the first click.
export async function exportTable(table) {
  const { columns, options } = table.model;
  const { default: writeXlsxFile } = await import("write-excel-file/browser");
  const header = columns.map((c) => ({ value: c.label ?? t(c.key), fontWeight: "bold" }));
  const body = sortedRows(table.model).map((row) => columns.map((column) => {
    const value = rawValue(column, row);
    if (typeof value === "number") {
      return column.kind === "share" ? { type: Number, value, format: "0.0%" } : { type: Number, value };
    }
    const shown = shownValue(column, row);
    return { type: String, value: shown === "—" ? "" : String(shown) };
  }));
  const blob = await writeXlsxFile([header, ...body]).toBlob();
  const name = `${(options.exportName || table.id || "table").replace(/[\\/:*?"<>|]+/g, "-")}.xlsx`;
  const link = el("a", { href: URL.createObjectURL(blob), download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

// A table in its scrolling box: focusable (a phone's narrow screen scrolls it sideways,
// and a keyboard user must be able to), named for screen readers.
export function tableWrap(table, label) {
  return el("div", { className: "table-wrap", tabIndex: 0, role: "region", "aria-label": label }, table);
}
