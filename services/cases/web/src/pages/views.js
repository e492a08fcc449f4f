// The pages of the role views, registered in pages/index.js, and where "#/" leads the
// roles whose daily work is not the overview: auditors (the access log), admins (users).
import { session } from "../api.js";
import { renderAccessLog } from "./access-log.js";
import { renderRanking } from "./ranking.js";
import { renderUsers } from "./users.js";

export const VIEW_PAGES = [
  { path: "/ranking/:scope", title: "ranking", render: renderRanking },
  { path: "/audit/access-log", title: "access_log", render: renderAccessLog },
  { path: "/admin/users", title: "users", render: renderUsers },
];

// The home of such a role, else null (the overview of the user's scope).
export function viewHome() {
  if (session.can("read_audit")) return "#/audit/access-log";
  if (!session.can("read_case") && session.can("manage_users")) return "#/admin/users";
  return null;
}
