// The offline layer between the pages and the network (api.js calls it through
// `useOffline`). Writes go to the device's queue when there is no network, or when
// earlier writes still wait (order is kept), and are sent in order when the connection
// returns, each with the Idempotency-Key it got when it was made, so a resend is replayed
// by the server and never written twice. Reads are kept sealed on the device and served
// from there offline. The header's #queue-status says how many writes wait; the panel
// #queue-panel shows them, and a 412 or another refusal with what to do about it.
import { api, ApiError, session, useOffline } from "../api.js";
import { $, el } from "../dom.js";
import { chinaTime } from "../format.js";
import { eventLabel, onLangChange, t } from "../i18n/index.js";
import { ReadCache } from "./cache.js";
import { prefetch } from "./prefetch.js";
import { Queue } from "./queue.js";
import { openVault, wipe } from "./vault.js";

const DEVICE_KEY = "careledger.device";
const CASE_PATH = /^\/api\/v1\/cases\/([0-9a-f-]{36})(?:[/?]|$)/;

let store = null; // {username, vault, queue, cache}, opened on first use
let opening = null;
let direct = null; // api.js's own request functions: {read(path), send(write)}
let flushing = null;
const RETRY_MS = 30_000;
let problems = new Map(); // seq → the conflict's changes, fetched once

// The user's store, or null when there is no session or the server gave no device key.
function open() {
  const username = session.user?.username;
  const deviceKey = sessionStorage.getItem(DEVICE_KEY);
  if (!username || !deviceKey || !globalThis.crypto?.subtle || !globalThis.indexedDB) return Promise.resolve(null);
  if (store?.username === username) return Promise.resolve(store);
  if (!opening) {
    opening = openVault(username, deviceKey)
      .then((vault) => { store = { username, vault, queue: new Queue(vault), cache: new ReadCache(vault) }; return store; })
      .finally(() => { opening = null; });
  }
  return opening;
}

const online = () => navigator.onLine !== false;
const cacheable = (path) => path.startsWith("/api/v1/") && !path.startsWith("/api/v1/auth/");
const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join(""));
const versionOf = (etag) => (etag ? Number(String(etag).replace(/\D/g, "")) : null);

async function label(path, caseId) {
  const kind = path.split("?")[0].split("/").filter(Boolean).slice(caseId ? 4 : 3).join("/") || "case";
  const named = caseId && store ? await store.cache.get(`case-name:${caseId}`) : null;
  const what = t(`offline_write_${kind.split("/")[0]}`);
  return named?.data ? `${what} · ${named.data}` : what;
}

async function read(path, fetchIt) {
  const own = cacheable(path) ? await open() : null;
  if (!own) return fetchIt();
  const fromDevice = async (failure) => {
    const kept = await own.cache.get(path);
    if (!kept) throw failure || new ApiError(0, "offline");
    return { data: kept.data, etag: kept.etag, status: 200, cachedAt: kept.at };
  };
  if (!online()) return fromDevice();
  let answer;
  try {
    answer = await fetchIt();
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 0) return fromDevice(failure);
    throw failure;
  }
  await own.cache.put(path, answer);
  const caseId = CASE_PATH.exec(path)?.[1];
  if (caseId && answer.data?.child?.name) await own.cache.put(`case-name:${caseId}`, { data: answer.data.child.name });
  return answer;
}

async function send(write, sendIt) {
  const own = await open();
  const item = { ...write, idempotencyKey: write.idempotencyKey || newKey() };
  if (!own) return sendIt(item);
  if (online() && (await own.queue.count()) === 0) {
    try {
      return await sendIt(item);
    } catch (failure) {
      // The request may have reached the server: the queued copy keeps its key, so the
      // resend is replayed rather than written again.
      if (!(failure instanceof ApiError && failure.status === 0)) throw failure;
    }
  }
  const caseId = CASE_PATH.exec(item.path)?.[1] || null;
  await own.queue.add({
    method: item.method, path: item.path, body: item.body, ifMatch: item.ifMatch || null, seen: item.ifMatch || null,
    idempotencyKey: item.idempotencyKey, caseId, label: item.label || (await label(item.path, caseId)),
    createdAt: new Date().toISOString(), state: "pending",
  });
  await render();
  if (online()) flush();
  return { data: null, etag: null, status: 202, queued: true };
}

// Sends the waiting writes in order; stops at the first that fails (the rest wait behind
// it): no network, a server error or a lapsed session → tried again later; a 412 or
// another refusal → kept and shown until the user resends or drops it.
export function flush() {
  if (!flushing) flushing = sendWaiting().finally(() => { flushing = null; render(); });
  return flushing;
}

async function sendWaiting() {
  const own = await open();
  if (!own || !online()) return;
  for (;;) {
    // Read afresh each time: a sent write may have moved the next one onto its version.
    const [item] = await own.queue.all();
    if (!item || item.state !== "pending") return;
    let answer;
    try {
      answer = await direct.send(item);
    } catch (failure) {
      const status = failure instanceof ApiError ? failure.status : 0;
      if (status === 0 || status === 401 || status === 429 || status >= 500) return;
      await own.queue.save({
        ...item, state: status === 412 ? "conflict" : "refused",
        problem: { status, detail: failure.detail || "", fields: failure.fields || {}, current: failure.problem?.current_version ?? null },
      });
      showPanel(true);
      return;
    }
    await own.queue.sent(item, answer.etag);
    await render();
  }
}

// What changed on the case since the version the write was made on.
async function changesSince(item) {
  if (problems.has(item.seq)) return problems.get(item.seq);
  const since = versionOf(item.ifMatch) || 0;
  let events = [];
  try {
    const history = (await direct.read(`/api/v1/cases/${item.caseId}/history?purpose=offline-conflict`)).data;
    events = history.events.filter((e) => e.version > since);
  } catch {
    events = null;
  }
  problems.set(item.seq, events);
  return events;
}

async function resend(item) {
  const current = item.problem?.current;
  await store.queue.save({ ...item, state: "pending", problem: null, ifMatch: current != null ? `"${current}"` : item.ifMatch });
  problems.delete(item.seq);
  await flush();
}

async function drop(item) {
  await store.queue.drop(item);
  problems.delete(item.seq);
  await render();
  flush();
}

async function itemView(item) {
  const li = el("li", { className: `queue-item ${item.state}`, dataset: { seq: item.seq, state: item.state } },
    el("span", { className: "queue-label" }, item.label), " ",
    el("span", { className: "queue-when" }, chinaTime(item.createdAt)));
  if (item.state === "pending") return li;
  const buttons = el("div", { className: "actions" });
  if (item.state === "conflict") {
    li.append(el("p", {}, t("offline_conflict", { v: versionOf(item.ifMatch) ?? "?", now: item.problem?.current ?? "?" })));
    const changes = item.caseId ? await changesSince(item) : null;
    if (changes) {
      li.append(el("ol", { className: "queue-changes" }, changes.map((e) =>
        el("li", {}, `v${e.version} · ${eventLabel(e.type)} · ${chinaTime(e.occurred_at)} · ${e.actor?.username || ""}`))));
    }
    buttons.append(el("button", { type: "button", className: "queue-resend", on: { click: () => resend(item) } }, t("offline_resend")));
  } else {
    const reasons = Object.entries(item.problem?.fields || {}).map(([field, why]) => `${field}: ${why.join(", ")}`);
    li.append(el("p", { className: "error" }, `${t("offline_refused", { status: item.problem?.status })} ${item.problem?.detail || ""} ${reasons.join("; ")}`));
    buttons.append(el("button", { type: "button", className: "queue-retry", on: { click: () => resend({ ...item, problem: {} }) } }, t("offline_retry")));
  }
  buttons.append(el("button", { type: "button", className: "queue-drop", on: { click: () => drop(item) } }, t("offline_drop")));
  li.append(buttons);
  return li;
}

function panel() {
  let node = $("#queue-panel");
  if (!node) {
    node = el("section", { id: "queue-panel", className: "queue-panel", hidden: true, "aria-labelledby": "queue-heading" });
    $("header")?.after(node);
  }
  return node;
}

function showPanel(visible) {
  panel().hidden = !visible;
  $("#queue-toggle")?.setAttribute("aria-expanded", String(visible));
  render();
}

let rendering = Promise.resolve();
// The header's count and, when open, the panel: serialised so two quick changes do not
// interleave their DOM updates.
export function render() {
  rendering = rendering.then(draw, draw);
  return rendering;
}

async function draw() {
  const status = $("#queue-status");
  if (!status) return;
  const own = session.active ? await open().catch(() => null) : null;
  const items = own ? await own.queue.all() : [];
  const attention = items.filter((i) => i.state !== "pending").length;
  const parts = [];
  if (!online()) parts.push(el("span", { className: "offline-mark", id: "offline-mark" }, t("offline_offline")));
  const box = panel();
  if (items.length) {
    parts.push(el("button", {
      type: "button", id: "queue-toggle", "aria-controls": "queue-panel", "aria-expanded": String(!box.hidden),
      className: attention ? "attention" : "", on: { click: () => showPanel(box.hidden) },
    }, t("offline_waiting", { n: items.length }) + (attention ? ` · ${t("offline_attention", { n: attention })}` : "")));
  }
  status.replaceChildren(...parts);
  if (!items.length) box.hidden = true;
  if (box.hidden) { box.replaceChildren(); return; }
  const views = await Promise.all(items.map(itemView));
  box.replaceChildren(el("h2", { id: "queue-heading" }, t("offline_queue")), el("ol", { id: "queue-items" }, views));
}

// Logout: the writes still waiting are sent first when possible; if some remain, the user
// says whether to drop them. Answers false to stay logged in.
async function beforeLogout() {
  const own = await open().catch(() => null);
  if (!own) return true;
  if (online()) await flush();
  const left = await own.queue.count();
  return left === 0 || window.confirm(t("offline_logout_confirm", { n: left }));
}

// Logout: the user's store on this device goes entirely (key, queue, copies of cases).
async function loggedOut(username) {
  const own = store;
  store = null;
  problems = new Map();
  await wipe(own?.username === username ? own.vault : null, username);
  await render();
}

export function startOffline() {
  const keepAhead = () => prefetch((path) => read(path, () => direct.read(path)));
  direct = useOffline({ read, send, beforeLogout, loggedOut, loggedIn: () => { render(); flush(); keepAhead(); } });
  window.addEventListener("online", () => { render(); flush(); });
  window.addEventListener("offline", () => render());
  // A weak line drops answers while the browser still says "online" (no `online` event
  // follows): what waits is tried again every half minute.
  setInterval(() => { if (online()) flush(); }, RETRY_MS);
  onLangChange(() => render());
  // For the browser tests and the console: the page's own client, which grants nothing
  // the session in sessionStorage does not already grant.
  globalThis.careledger = Object.freeze({ api, flush, prefetch: keepAhead });
  render();
  flush();
  if (session.active) keepAhead();
}
