// The notification bell: the unread count from notify's inbox API (on notify's own origin,
// named by /dashboard/config.json and allowed by the page's connect-src), the list, and
// mark-read. Each notification links to its case's page in this app.
import { api } from "./api.js";
import { el } from "./dom.js";
import { chinaTime } from "./format.js";
import { onLangChange, t } from "./i18n/index.js";

const POLL_MS = 60_000;
let state = null; // {slot, base, timer, open}

async function notifyUrl() {
  try {
    const response = await fetch("/dashboard/config.json");
    return response.ok ? (await response.json()).notify_url : null;
  } catch {
    return null;
  }
}

function button(unread) {
  return el("button", {
    type: "button", id: "bell", "aria-haspopup": "true", "aria-expanded": String(Boolean(state.open)),
    "aria-controls": "bell-panel", "aria-label": t("bell_label", { n: unread }),
    on: { click: toggle },
  }, t("notifications"), " ", el("span", { className: "badge", id: "bell-count", hidden: !unread }, String(unread)));
}

async function markRead(item) {
  await api.send("POST", `${state.base}/api/v1/notifications/${item.id}/read`);
}

function entry(item) {
  const link = el("a", { href: item.page_url?.replace(/^\/dashboard\/?/, "") || `#/cases/${item.case_id}`, className: "title" }, item.title);
  link.addEventListener("click", () => { if (!item.read) markRead(item).then(refresh).catch(() => {}); close(); });
  return el("li", { className: item.read ? "read" : "unread", dataset: { id: item.id } },
    link,
    el("div", { className: "when" }, chinaTime(item.created_at)),
    item.read ? "" : el("button", {
      type: "button", className: "mark-read", dataset: { markRead: item.id },
      on: { click: async () => { await markRead(item); await refresh(); } },
    }, t("mark_read")));
}

async function refresh() {
  if (!state) return;
  const inbox = await api.get(`${state.base}/api/v1/notifications?per_page=20`);
  const panel = state.open
    ? el("div", { id: "bell-panel", className: "bell-panel", role: "region", "aria-label": t("notifications") },
      el("h2", {}, t("notifications")),
      inbox.items.length ? el("ul", {}, inbox.items.map(entry)) : el("p", {}, t("no_notifications")))
    : "";
  state.slot.replaceChildren(button(inbox.unread), panel);
  if (state.focus) { state.slot.querySelector("#bell")?.focus(); state.focus = false; }
}

function toggle() {
  state.open = !state.open;
  state.focus = true;
  refresh().catch(() => {});
}

function close() {
  if (state) { state.open = false; refresh().catch(() => {}); }
}

// Starts the bell in `slot` (nothing when notify's address is not configured).
export async function startBell(slot) {
  stopBell();
  const base = await notifyUrl();
  if (!base) return;
  state = { slot, base, open: false };
  state.timer = setInterval(() => refresh().catch(() => {}), POLL_MS);
  state.unlisten = onLangChange(() => refresh().catch(() => {}));
  await refresh().catch(() => { slot.replaceChildren(); });
}

export function stopBell() {
  if (!state) return;
  clearInterval(state.timer);
  state.unlisten();
  state.slot.replaceChildren();
  state = null;
}
