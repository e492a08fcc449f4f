// The app's words: one dictionary per area (src/i18n/<area>.js, each
// `{ "zh-CN": {...}, en: {...} }`), merged here. zh-CN is the default; a key a dictionary
// lacks is shown as itself. tests/unit/test_web_i18n.py checks both languages hold the
// same keys and that no two areas define one key differently.
import cases from "./cases.js";
import children from "./children.js";
import common from "./common.js";
import { EVENT_LABELS } from "./events.js";
import forms from "./forms.js";
import offline from "./offline.js";
import sites from "./sites.js";
import overview from "./overview.js";
import register from "./register.js";
import terms from "./terms.js";
import views from "./views.js";
import worklists from "./worklists.js";

export const LANGUAGES = ["zh-CN", "en"];
// Add an area here (and its file beside this one).
export const AREAS = { common, terms, overview, worklists, children, cases, forms, views, offline, register, sites };

export const DICTIONARIES = Object.fromEntries(
  LANGUAGES.map((lang) => [lang, Object.assign({}, ...Object.values(AREAS).map((area) => area[lang]))]),
);

const STORAGE_KEY = "careledger.lang";
let current = null;
const listeners = new Set();

export function lang() {
  if (current === null) {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    current = LANGUAGES.includes(saved) ? saved : "zh-CN";
  }
  return current;
}

export function setLang(next) {
  current = next;
  globalThis.localStorage?.setItem(STORAGE_KEY, next);
  listeners.forEach((fn) => fn(next));
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function t(key, vars) {
  const words = DICTIONARIES[lang()];
  let text = words[key] !== undefined ? words[key] : key;
  for (const [name, value] of Object.entries(vars || {})) text = text.replace(`{${name}}`, value);
  return text;
}

export function has(key) {
  return DICTIONARIES[lang()][key] !== undefined;
}

// Why the server refused, in the user's language: its rule (problem+json `code`) when the
// app words it, else the server's own `detail` (English).
export function refusalReason(error) {
  const code = error?.problem?.code;
  return code && has(`code_${code}`) ? t(`code_${code}`) : error?.detail || "";
}

// An event of a case's history, as the timeline names it (its type when unknown).
export function eventLabel(type) {
  const labels = EVENT_LABELS[type];
  return labels ? labels[lang()] || type : type;
}
