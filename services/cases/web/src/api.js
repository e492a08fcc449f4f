// The one place every request of the app goes through: the bearer token, its renewal on
// a 401, and errors as ApiError parsed from application/problem+json. Pages, forms and the
// offline queue call `api.get` / `api.send`; nothing else calls fetch for the JSON API.

// `device`: the key that opens the device's encrypted store (src/offline/vault.js); it
// lives and ends with the session, never in IndexedDB or localStorage.
const KEYS = { token: "careledger.token", refresh: "careledger.refresh", user: "careledger.user", device: "careledger.device" };

// The session lives in sessionStorage: it ends with the tab, and a reload keeps it.
export const session = {
  get token() { return sessionStorage.getItem(KEYS.token); },
  get refresh() { return sessionStorage.getItem(KEYS.refresh); },
  get user() { return JSON.parse(sessionStorage.getItem(KEYS.user) || "null"); },
  get active() { return Boolean(this.token && this.user); },
  // True when the logged-in role holds `capability` (the server's table, sent at login).
  can(capability) { return Boolean(this.user?.capabilities?.includes(capability)); },
};

function remember(answer) {
  sessionStorage.setItem(KEYS.token, answer.token);
  sessionStorage.setItem(KEYS.refresh, answer.refresh_token);
  sessionStorage.setItem(KEYS.user, JSON.stringify(answer.user));
  if (answer.device_key) sessionStorage.setItem(KEYS.device, answer.device_key);
}

const ended = new Set();
// `fn` runs when the session ends on its own (refresh refused): the app shows the login.
export function onSessionEnded(fn) { ended.add(fn); }

// An answer that is not 2xx. `fields` maps a dotted field path ("child.birth_date") to
// its reasons, from a 422's `errors`; `status` 0 means the network failed.
export class ApiError extends Error {
  constructor(status, detail, fields = {}, problem = {}) {
    super(detail || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.fields = fields;
    this.problem = problem;
  }
}

// Flattens a problem's `errors` ({child: {birth_date: ["…"]}} or {"child.birth_date": ["…"]})
// into {"child.birth_date": ["…"]}.
export function fieldErrors(errors, prefix = "") {
  const out = {};
  for (const [name, value] of Object.entries(errors || {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (Array.isArray(value)) out[path] = value.map(String);
    else if (value && typeof value === "object") Object.assign(out, fieldErrors(value, path));
    else out[path] = [String(value)];
  }
  return out;
}

async function problemOf(response) {
  const problem = await response.json().catch(() => ({}));
  return new ApiError(response.status, problem.detail || problem.title || response.statusText,
    fieldErrors(problem.errors), problem);
}

async function post(path, body) {
  return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

// Access tokens live minutes: on a 401, trade the refresh token for a new one (one
// exchange shared by the requests that failed together), then try once more.
async function exchange(refreshToken) {
  const response = await post("/api/v1/auth/refresh", { refresh_token: refreshToken });
  return response.status === 200 ? response.json() : null;
}

let renewing = null;
function renew() {
  if (!renewing) {
    const refreshToken = session.refresh;
    renewing = (refreshToken ? exchange(refreshToken) : Promise.resolve(null))
      .then((answer) => { if (answer && session.token) remember(answer); return Boolean(answer); })
      .catch(() => false)
      .finally(() => { renewing = null; });
  }
  return renewing;
}

function clear() {
  Object.values(KEYS).forEach((key) => sessionStorage.removeItem(key));
}

async function request(method, path, { body, headers = {}, blob = false } = {}) {
  const send = () => {
    const init = { method, headers: { ...headers, Authorization: `Bearer ${session.token}` } };
    if (body instanceof FormData) {
      init.body = body; // a file upload: the browser writes the multipart boundary
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    return fetch(path, init);
  };
  let response;
  try {
    response = await send();
    if (response.status === 401 && await renew()) response = await send();
  } catch (error) {
    throw new ApiError(0, error.message || "network");
  }
  // A 401 of this service ends the session; another service's (notify's inbox, whose
  // directory may lag) does not.
  if (response.status === 401 && path.startsWith("/")) {
    clear();
    ended.forEach((fn) => fn());
  }
  if (!response.ok) throw await problemOf(response);
  if (blob) return { data: await response.blob(), status: response.status };
  const data = response.status === 204 ? null : await response.json();
  // `total`: X-Total-Count, where a list gives its size apart from the page (access log).
  const total = response.headers.get("X-Total-Count");
  return { data, etag: response.headers.get("ETag"), status: response.status, total: total === null ? null : Number(total) };
}

function write({ method, path, body, ifMatch, idempotencyKey }) {
  const headers = {};
  if (ifMatch) headers["If-Match"] = ifMatch;
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  return request(method, path, { body, headers });
}

// The offline layer (src/offline/index.js) stands between the pages and the network once
// it is installed: it queues writes made offline and serves reads from the device's
// encrypted copy. It gets the direct requests back, to send its queue with.
let offline = null;
export function useOffline(layer) {
  offline = layer;
  return { read: (path) => request("GET", path), send: write };
}

export const api = {
  // GET `path`: its parsed JSON.
  async get(path) { return (await this.read(path)).data; },
  // GET `path`: {data, etag} (the ETag is what a later write sends as If-Match); offline,
  // the device's copy, with `cachedAt`.
  read(path) { return offline ? offline.read(path, () => request("GET", path)) : request("GET", path); },
  // A write: {data, etag, status}. `ifMatch` guards against a concurrent change (412);
  // `idempotencyKey` makes a resend replay the first answer instead of writing twice.
  // Offline (or behind earlier waiting writes) it is queued: {status: 202, queued: true}.
  // `label` names it in the queue's list.
  send(method, path, body, { ifMatch, idempotencyKey, label } = {}) {
    const item = { method, path, body, ifMatch, idempotencyKey, label };
    return offline ? offline.send(item, write) : write(item);
  },

  // A file sent as multipart `file` (the survey import): online only, never queued.
  upload(path, file) {
    const form = new FormData();
    form.append("file", file);
    return request("POST", path, { body: form });
  },
  // A file to save (a spreadsheet): its Blob, fetched with the session's token.
  async download(path) { return (await request("GET", path, { blob: true })).data; },

  // Login: the session is remembered; an ApiError carries Retry-After as `retryAfter`.
  async login(username, password) {
    let response;
    try {
      response = await post("/api/v1/auth/token", { username, password });
    } catch (error) {
      throw new ApiError(0, error.message || "network");
    }
    if (response.status !== 201) {
      const error = await problemOf(response);
      error.retryAfter = response.headers.get("Retry-After");
      throw error;
    }
    const answer = await response.json();
    remember(answer);
    offline?.loggedIn();
    return answer.user;
  },

  // Ends the whole session, its refresh token too (renewed first if the access token lapsed).
  // Answers false when the user chose to stay, to keep writes that could not be sent.
  async logout() {
    if (offline && !(await offline.beforeLogout())) return false;
    const token = session.token;
    const refreshToken = session.refresh;
    const username = session.user?.username;
    clear();
    if (offline && username) await offline.loggedOut(username);
    if (!token) return;
    const end = (bearer) => fetch("/api/v1/auth/token", { method: "DELETE", headers: { Authorization: `Bearer ${bearer}` } });
    try {
      if ((await end(token)).status !== 401 || !refreshToken) return;
      const answer = await exchange(refreshToken);
      if (answer) await end(answer.token);
    } catch {
      // offline: the tokens lapse on their own
    }
  },
};

// The query string of `params`, leaving out empty values.
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
