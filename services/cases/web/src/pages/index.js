// The one registry of pages: address pattern → renderer. A renderer gets the page's
// <main> element and {params, query}; it may answer a function the app calls when the
// page is left (to dispose charts, timers). `nav` puts the page in the main menu.
import { session } from "../api.js";
import { renderCase, renderCaseForm } from "./case.js";
import { renderChildren } from "./children.js";
import { renderOverview } from "./overview.js";
import { renderWorklists, worklistsFor } from "./worklist.js";

export const PAGES = [
  { path: "/overview/:scope", title: "overview", render: renderOverview,
    nav: { label: "nav_overview", href: () => home() } },
  { path: "/worklists/:name", title: "worklists", render: renderWorklists,
    nav: { label: "nav_worklists", href: () => `#/worklists/${worklistsFor(session.user)[0]}`, roles: (r) => r !== "auditor" } },
  { path: "/children", title: "children_title", render: renderChildren,
    nav: { label: "nav_children", href: () => "#/children", roles: (r) => r !== "police" } },
  { path: "/cases/:id", title: "case", render: renderCase },
  { path: "/cases/:id/:form", title: "case", render: renderCaseForm },
];

// Where "#/" leads the logged-in user.
export function home() {
  return `#/overview/${encodeURIComponent(session.user.scope)}`;
}
