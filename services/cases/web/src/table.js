// The one table renderer. A column is {key, label?, value?(row), render?(cell, row)}:
// `value` gives the text (default: the row's `key` path, translated when it is a word),
// `render` fills the cell itself. Options: {onRowClick(row), rowHref(row), caption,
// empty, rowData(row) → dataset}. Clickable rows are reachable by keyboard (Tab, Enter).
// Sorting and export build on `columns` and `rows` (kept on the element as `table.model`).
import { el } from "./dom.js";
import { at, number, word } from "./format.js";
import { t } from "./i18n/index.js";

function text(column, row) {
  if (column.value) return column.value(row);
  const value = at(row, column.key);
  return number(value) ?? word(value);
}

export function renderTable(table, columns, rows, options = {}) {
  table.replaceChildren();
  table.model = { columns, rows, options };
  if (options.caption) table.append(el("caption", {}, options.caption));
  const head = table.createTHead().insertRow();
  for (const column of columns) head.append(el("th", { scope: "col", dataset: { key: column.key } }, column.label ?? t(column.key)));
  const body = table.createTBody();
  if (!rows.length && options.empty) {
    body.insertRow().append(el("td", { colSpan: columns.length, className: "empty" }, options.empty));
    return table;
  }
  for (const row of rows) {
    const tr = body.insertRow();
    if (options.rowData) Object.assign(tr.dataset, options.rowData(row));
    for (const column of columns) {
      const cell = tr.insertCell();
      if (column.render) column.render(cell, row);
      else cell.textContent = text(column, row);
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
  return table;
}

// A table in its scrolling box: focusable (a phone's narrow screen scrolls it sideways,
// and a keyboard user must be able to), named for screen readers.
export function tableWrap(table, label) {
  return el("div", { className: "table-wrap", tabIndex: 0, role: "region", "aria-label": label }, table);
}
