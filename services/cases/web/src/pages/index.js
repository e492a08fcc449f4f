// The one registry of pages: address pattern → renderer. A renderer gets the page's
// <main> element and {params, query}; it may answer a function the app calls when the
// page is left (to dispose charts, timers). `nav` puts the page in the main menu.
import { session } from "../api.js";
import { renderCase, renderCaseForm } from "./case.js";
import { renderChildren } from "./children.js";
import { renderOverview } from "./overview.js";
import { renderRegister } from "./register.js";
import { renderSite, renderSites } from "./sites.js";
import { renderWorklists, worklistsFor } from "./worklist.js";
import { renderIdentify } from "../forms/identify.js";
import { renderVisitPage } from "../forms/visit_page.js";
// The views of each role (officials, police, auditors, admins): docs/web-app.md#views-by-role.
import { VIEW_PAGES, viewHome } from "./views.js";

export const PAGES = [
  { path: "/overview/:scope", title: "overview", render: renderOverview,
    nav: { label: "nav_overview", href: () => home() } },
  { path: "/worklists/:name", title: "worklists", render: renderWorklists,
    nav: { label: "nav_worklists", href: () => `#/worklists/${worklistsFor(session.user)[0]}`, roles: (r) => r !== "auditor" } },
  { path: "/children", title: "children_title", render: renderChildren,
    nav: { label: "nav_children", href: () => "#/children", roles: (r) => r !== "police" } },
  { path: "/register", title: "register_title", render: renderRegister,
    nav: { label: "nav_register", href: () => "#/register", roles: () => session.can("import_survey") } },
  { path: "/sites", title: "sites_title", render: renderSites,
    nav: { label: "nav_sites", href: () => "#/sites", roles: (r) => r !== "admin" } },
  { path: "/sites/:id", title: "site_title", render: renderSite },
  { path: "/cases/:id", title: "case", render: renderCase },
  { path: "/cases/:id/visit", title: "form_visit", render: renderVisitPage },
  { path: "/identify", title: "form_identify", render: renderIdentify },
  { path: "/cases/:id/:form", title: "case", render: renderCaseForm },
  ...VIEW_PAGES,
];

// Where "#/" leads the logged-in user.
export function home() {
  return viewHome() || `#/overview/${encodeURIComponent(session.user.scope)}`;
}
