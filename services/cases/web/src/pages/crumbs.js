// Breadcrumbs from the user's own scope down to `scope`: the division codes nest by
// prefix (province 2 digits, city 4, county 6, township 9, village 12).
import { session } from "../api.js";
import { el } from "../dom.js";
import { href } from "../router.js";

const LEVELS = [2, 4, 6, 9, 12];

export function trail(scope) {
  const top = session.user?.scope || scope;
  return LEVELS.filter((n) => n >= top.length && n <= scope.length).map((n) => scope.slice(0, n));
}

// `names` maps a code to its place name when known (summary.name for the scope itself).
export function breadcrumbs(nav, scope, summary = {}) {
  const names = { ...(summary.names || {}) };
  if (summary.name) names[scope] = summary.name;
  nav.replaceChildren();
  trail(scope).forEach((code, i) => {
    if (i) nav.append(" › ");
    nav.append(el("a", { href: href("/overview/:scope", { scope: code }), dataset: { scope: code } }, names[code] || code));
  });
}
