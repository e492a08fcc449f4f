// Her village's cases readable offline before she opens them: after login (and when the
// app starts with a session), the field workers' lists, worklists and every active case of
// their scope are read once into the device's sealed cache, quietly, a few at a time.
// The reads say why in the access log (`offline_copy`); the cache is keyed without the
// purpose, so the case page finds them whatever it asked with. Offices that look after a
// whole county or city do not get it: their scope is far bigger than a phone should hold.
import { query, session } from "../api.js";

// The roles whose daily work is at a child's door, in one village or township.
const FIELD_ROLES = new Set(["child_director", "child_supervisor"]);
// No more than this many cases are kept ahead on a device.
export const MOST_CASES = 200;
const PER_PAGE = 50;
const AT_ONCE = 2;
const PURPOSE = "offline_copy";

let running = null;

// Reads what the pages will need offline through `read` (the offline layer's, which
// keeps each answer sealed). Answers how many cases were kept; never throws.
export function prefetch(read) {
  if (!FIELD_ROLES.has(session.user?.role) || navigator.onLine === false) return Promise.resolve(0);
  if (!running) running = keep(read).catch(() => 0).finally(() => { running = null; });
  return running;
}

async function keep(read) {
  const username = session.user.username;
  await read("/api/v1/rules");
  // The open care sites of the scope: the visit form's picker (no child's data in it).
  await read(`/api/v1/sites${query({ status: "open" })}`).catch(() => null);
  for (const name of session.user.worklists || []) {
    await read(`/api/v1/worklists/${name}${query({ page: 1, per_page: PER_PAGE, purpose: PURPOSE })}`);
  }
  const ids = [];
  for (let page = 1; ids.length < MOST_CASES; page += 1) {
    const params = { status: "active", page, per_page: PER_PAGE, purpose: PURPOSE };
    const list = (await read(`/api/v1/cases${query(params)}`)).data;
    if (page === 1 && list.total > MOST_CASES) return 0; // not a village: lists only
    ids.push(...list.items.map((row) => row.id));
    if (page * PER_PAGE >= list.total) break;
  }
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id; id = queue.shift()) {
      // a logout or another user on the device stops it
      if (session.user?.username !== username || navigator.onLine === false) return;
      const path = `/api/v1/cases/${encodeURIComponent(id)}`;
      await read(`${path}${query({ purpose: PURPOSE })}`);
      await read(`${path}/history${query({ purpose: PURPOSE })}`);
    }
  };
  await Promise.all(Array.from({ length: AT_ONCE }, worker));
  return ids.length;
}
