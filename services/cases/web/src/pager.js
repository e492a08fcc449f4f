// Totals and paging under a list: "1–50 of 558" with previous / next links.
import { el } from "./dom.js";
import { t } from "./i18n/index.js";

// `address(page)` is the page's own address (so back and bookmarks keep it).
export function pager(total, page, perPage, address) {
  const first = total ? (page - 1) * perPage + 1 : 0;
  const last = Math.min(total, page * perPage);
  const nav = el("nav", { className: "pager", "aria-label": t("paging") },
    el("span", { className: "count", role: "status" }, t("shown_of", { from: first, to: last, total })));
  if (page > 1) nav.append(el("a", { href: address(page - 1), rel: "prev" }, t("previous")));
  if (last < total) nav.append(el("a", { href: address(page + 1), rel: "next" }, t("next")));
  return nav;
}
