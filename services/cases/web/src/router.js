// Hash routes with parameters ("#/cases/:id?version=3"): every page has its own address,
// so back, reload and bookmarks keep the place.

// A route's pattern as a matcher of paths; `:name` catches one segment.
function compile(pattern) {
  const names = [];
  const source = pattern.split("/").map((part) => {
    if (!part.startsWith(":")) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    names.push(part.slice(1));
    return "([^/]+)";
  }).join("/");
  const regex = new RegExp(`^${source}/?$`);
  return (path) => {
    const match = regex.exec(path);
    if (!match) return null;
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
  };
}

// The current location: {path, query} from "#/path?query".
export function location() {
  const hash = window.location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = hash.split("?");
  return { path: path || "/", query: Object.fromEntries(new URLSearchParams(search)) };
}

// The address of a page: href("/cases/:id", {id: "c1"}, {version: 3}) → "#/cases/c1?version=3".
export function href(pattern, params = {}, query = {}) {
  const path = pattern.replace(/:(\w+)/g, (_, name) => encodeURIComponent(params[name]));
  const search = new URLSearchParams(
    Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ""),
  ).toString();
  return `#${path}${search ? `?${search}` : ""}`;
}

export function navigate(address, { replace = false } = {}) {
  const target = address.startsWith("#") ? address : `#${address}`;
  if (replace) window.history.replaceState(null, "", target);
  if (replace || window.location.hash === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else window.location.hash = target;
}

// Matches `path` against `pages` ([{path, ...}]): {page, params} or null.
export function match(pages, path) {
  for (const page of pages) {
    page.matcher = page.matcher || compile(page.path);
    const params = page.matcher(path);
    if (params) return { page, params };
  }
  return null;
}

export function startRouter(onChange) {
  window.addEventListener("hashchange", () => onChange(location()));
  onChange(location());
}
