// How values read: numbers, shares, dates and times in China time (Asia/Shanghai).
import { has, lang, t } from "./i18n/index.js";

export const TIME_ZONE = "Asia/Shanghai";

export function number(value) {
  return typeof value === "number" ? value.toLocaleString(lang()) : null;
}

export function share(value) {
  return typeof value === "number" ? `${(value * 100).toFixed(1)}%` : null;
}

// A vocabulary word (guardian type, risk level…) in the user's language, else as it is.
export function word(value) {
  if (value === null || value === undefined || value === "") return "—";
  const text = String(value);
  return has(text) ? t(text) : text;
}

// An instant ("2026-03-01T02:30:00+00:00") as China time, "2026-03-01 10:30".
export function chinaTime(iso) {
  if (!iso) return "—";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(when).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

// Reads `path` ("case.child.name") out of `object`.
export const at = (object, path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), object);

// Today in China ("2026-11-29").
export function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE }).format(new Date());
}

// Whole years between `birth` and `on` (both "YYYY-MM-DD"), or null.
export function ageOn(birth, on) {
  if (!birth || !on) return null;
  const [by, bm, bd] = birth.split("-").map(Number);
  const [y, m, d] = on.split("-").map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}
