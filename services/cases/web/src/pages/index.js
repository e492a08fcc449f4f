// The one registry of pages: address pattern → renderer. A renderer gets the page's
// <main> element and {params, query}; it may answer a function the app calls when the
// page is left (to dispose charts, timers). The first page is where "#/" leads.
import { session } from "../api.js";
import { renderCase } from "./case.js";
import { renderOverview } from "./overview.js";
import { renderIdentify } from "../forms/identify.js";
import { renderVisitPage } from "../forms/visit_page.js";
// The views of each role (officials, police, auditors, admins): docs/web-app.md#views-by-role.
import { VIEW_PAGES, viewHome } from "./views.js";

export const PAGES = [
  { path: "/overview/:scope", title: "overview", render: renderOverview },
  { path: "/cases/:id", title: "case", render: renderCase },
  { path: "/cases/:id/visit", title: "form_visit", render: renderVisitPage },
  { path: "/identify", title: "form_identify", render: renderIdentify },
  ...VIEW_PAGES,
];

// Where "#/" leads the logged-in user.
export function home() {
  return viewHome() || `#/overview/${encodeURIComponent(session.user.scope)}`;
}
