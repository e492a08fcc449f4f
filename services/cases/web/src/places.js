// Place names for division codes (headings, breadcrumbs, tables show places, not codes),
// fetched in batches from /api/v1/dashboard/places and kept on the device.
import { api } from "./api.js";

// Division names are public reference data, not anyone's record: kept in localStorage
// so that a page read before is named the same offline, after a reload.
const STORED = "careledger.places";
const known = new Map(Object.entries(JSON.parse(localStorage.getItem(STORED) || "{}")));

function remember() {
  try {
    localStorage.setItem(STORED, JSON.stringify(Object.fromEntries(known)));
  } catch {
    // a full or refused storage only costs the names offline
  }
}

// Loads the names of `codes` not yet known (at most 50 a request).
export async function loadPlaces(codes) {
  const missing = [...new Set(codes.filter((c) => c && !known.has(c)))];
  for (let i = 0; i < missing.length; i += 50) {
    const chunk = missing.slice(i, i + 50);
    const search = new URLSearchParams(chunk.map((code) => ["code", code]));
    let names;
    try {
      ({ names } = await api.get(`/api/v1/dashboard/places?${search}`));
    } catch {
      // Names are a courtesy: offline, or refused, a place shows as its code for now
      // (and is asked for again next time); the page itself must not fail on them.
      continue;
    }
    for (const code of chunk) known.set(code, names[code] || null);
    remember();
  }
}

// The name of `code`, else the code itself.
export function placeName(code) {
  return (code && known.get(code)) || code || "";
}

// A village's full name for a heading: "张公镇 东岗村" (the township, then the village).
export function placePath(code) {
  if (!code) return "";
  const township = code.length === 12 ? known.get(code.slice(0, 9)) : null;
  return [township, placeName(code)].filter(Boolean).join(" ");
}

// The codes above and at `code` (county, township, village) worth naming for it.
export function lineage(code) {
  return [2, 4, 6, 9, 12].filter((n) => n <= (code || "").length).map((n) => code.slice(0, n));
}
