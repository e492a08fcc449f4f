// Breadcrumbs from the user's own scope down to `scope`, by place name: the division
// codes nest by prefix (province 2 digits, city 4, county 6, township 9, village 12).
import { session } from "../api.js";
import { el } from "../dom.js";
import { placeName } from "../places.js";
import { href } from "../router.js";

const LEVELS = [2, 4, 6, 9, 12];

export function trail(scope) {
  const top = session.user?.scope || scope;
  return LEVELS.filter((n) => n >= top.length && n <= scope.length).map((n) => scope.slice(0, n));
}

// Fills `nav`; the names must be loaded (places.loadPlaces(trail(scope))).
export function breadcrumbs(nav, scope, last = null) {
  nav.replaceChildren();
  trail(scope).forEach((code, i) => {
    if (i) nav.append(" › ");
    nav.append(el("a", { href: href("/overview/:scope", { scope: code }), dataset: { scope: code } }, placeName(code)));
  });
  if (last) nav.append(" › ", el("span", { "aria-current": "page" }, last));
}
