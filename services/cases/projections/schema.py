"""The read-model tables of one generation, for SQLite and PostgreSQL.

Each generation has its own tables (`rm<N>_cases`, …), so a rebuild fills new ones while
the API reads the old; `rm_generations` says which one is active and how far each got in
the notification log (the tracking position, written in the same transaction as the rows).
Dates are ISO strings (they compare as text); flags are integers on both databases.
"""

from __future__ import annotations

from .flows import FLOWS

TABLES = (
    "cases",
    "interventions",
    "search",
    "counts",
    "dues",
    "monthly",
    "users",
    "daily",
    "daily_dues",
    "sites",
    "site_plans",
    "site_children",
)

# The shape of a generation's tables: a generation built by other code (an older
# release) is reported at start-up, and `careledger cases rebuild-projections` replaces it.
# 2: the users table (the admin list of users). 3: search tokens of names in pinyin.
# 4: the daily series of the counters (daily.py: figures as of any date), and the
# emotional state the latest visit found (the share found lonely or distressed), and the
# monthly flow of dropouts returned to school. 5: the review status of each case (复核:
# confirmed, pending, returned), what the review is of and since when it waits. 6: care
# sites, their yearly plans and the children attending them (sites.py). 7: the cases
# each case holds an open likely-duplicate flag for (the likely-duplicates worklist).
# 8: monthly flows of children with no guardian (found, given a guardian of each type,
# closed without one) and of household registrations done (the periodic report); the
# due-date buckets kept as a daily series too (overdue and coverage as of a past day).
# 8 too: attendance at care sites kept as intervals (attended_on, left_on), so the children a
# site served can be counted as of any day.
SCHEMA_VERSION = 8

GENERATIONS = (
    "CREATE TABLE IF NOT EXISTS {generations} (generation INTEGER PRIMARY KEY, "
    "state TEXT NOT NULL, position BIGINT NOT NULL, created_at TEXT NOT NULL, "
    "schema_version INTEGER NOT NULL)"
)

# {p} is the generation's name prefix; {blob} and {tail} differ by database. Every table
# is keyed for what the projector looks up while it writes (a case, its interventions and
# tokens, a counter).
_TABLES = (
    "CREATE TABLE {cases} (case_id TEXT PRIMARY KEY, version INTEGER NOT NULL, "
    "position BIGINT NOT NULL, jurisdiction TEXT NOT NULL, identified_in TEXT NOT NULL, "
    "identified_on TEXT NOT NULL, status TEXT NOT NULL, guardian_type TEXT NOT NULL, "
    "guardian_since TEXT NOT NULL, entrustment_signed INTEGER NOT NULL, "
    "school_record_status TEXT NOT NULL, school_status TEXT NOT NULL, last_visit_on TEXT, "
    "risk_level TEXT, emotional_state TEXT, visit_next_due TEXT, "
    "visit_dropped_out INTEGER NOT NULL, "
    "next_visit_due TEXT NOT NULL, visit_count INTEGER NOT NULL, visit_months TEXT NOT NULL, "
    "assigned_to TEXT, has_mandatory_report INTEGER NOT NULL, "
    "open_interventions INTEGER NOT NULL, closed_on TEXT, review_status TEXT NOT NULL, "
    "review_subject TEXT, review_since TEXT, duplicates_open TEXT NOT NULL, "
    "personal {blob} NOT NULL)",
    # An intervention id is unique within its case (the application makes them random).
    "CREATE TABLE {interventions} (case_id TEXT NOT NULL, intervention_id TEXT NOT NULL, "
    "jurisdiction TEXT NOT NULL, kind TEXT NOT NULL, department TEXT NOT NULL, "
    "urgency TEXT NOT NULL, opened_on TEXT NOT NULL, due_by TEXT, status TEXT NOT NULL, "
    "closed_on TEXT, case_active INTEGER NOT NULL, PRIMARY KEY (case_id, intervention_id))",
    "CREATE TABLE {search} (case_id TEXT NOT NULL, token TEXT NOT NULL, "
    "PRIMARY KEY (case_id, token)){tail}",
    "CREATE TABLE {counts} (scope TEXT NOT NULL, metric TEXT NOT NULL, parent TEXT NOT NULL, "
    "n BIGINT NOT NULL, PRIMARY KEY (scope, metric)){tail}",
    # Read by scope only (the scopes one level down are found in {counts}): no second
    # index to keep up on the tables a rebuild writes most.
    "CREATE TABLE {dues} (scope TEXT NOT NULL, kind TEXT NOT NULL, due TEXT NOT NULL, "
    "n BIGINT NOT NULL, PRIMARY KEY (scope, kind, due)){tail}",
    "CREATE TABLE {monthly} (scope TEXT NOT NULL, month TEXT NOT NULL, "
    + ", ".join(f"{flow} BIGINT NOT NULL" for flow in FLOWS)
    + ", PRIMARY KEY (scope, month)){tail}",
    # The admin's list of users (users.py); staff, not children: nothing here is sealed.
    # Keyed by the aggregate id, which every User event names.
    # The counters' dated changes (daily.py): the day recorded and the day in effect.
    "CREATE TABLE {daily} (scope TEXT NOT NULL, recorded_on TEXT NOT NULL, "
    "effective_on TEXT NOT NULL, metric TEXT NOT NULL, parent TEXT NOT NULL, "
    "n BIGINT NOT NULL, PRIMARY KEY (scope, recorded_on, effective_on, metric)){tail}",
    # The due-date buckets' dated changes (daily.py, `due:<kind>:<day>`): apart from the
    # counters', which a summary reads without wading through them.
    "CREATE TABLE {daily_dues} (scope TEXT NOT NULL, recorded_on TEXT NOT NULL, "
    "effective_on TEXT NOT NULL, metric TEXT NOT NULL, parent TEXT NOT NULL, "
    "n BIGINT NOT NULL, PRIMARY KEY (scope, recorded_on, effective_on, metric)){tail}",
    "CREATE TABLE {users} (user_id TEXT PRIMARY KEY, username TEXT NOT NULL, "
    "position BIGINT NOT NULL, role TEXT NOT NULL, scope TEXT NOT NULL, "
    "display_name TEXT NOT NULL, email TEXT, disabled INTEGER NOT NULL)",
    # Care sites (sites.py): no staff contact here, it stays in the aggregate.
    "CREATE TABLE {sites} (site_id TEXT PRIMARY KEY, position BIGINT NOT NULL, "
    "name TEXT NOT NULL, kind TEXT NOT NULL, jurisdiction TEXT NOT NULL, "
    "capacity BIGINT NOT NULL, status TEXT NOT NULL, registered_on TEXT NOT NULL, "
    "built_on TEXT, opened_on TEXT, closed_on TEXT)",
    "CREATE TABLE {site_plans} (jurisdiction TEXT NOT NULL, year BIGINT NOT NULL, "
    "target BIGINT NOT NULL, PRIMARY KEY (jurisdiction, year))",
    # One row per stay of a child at a site, keyed by the SiteAttended event's position;
    # left_on is null while she attends (the first day she no longer does).
    "CREATE TABLE {site_children} (case_id TEXT NOT NULL, position BIGINT NOT NULL, "
    "site_id TEXT NOT NULL, site_jurisdiction TEXT NOT NULL, attended_on TEXT NOT NULL, "
    "left_on TEXT, PRIMARY KEY (case_id, position))",
)

# What the API reads by. A rebuild creates these once its tables are filled (one sort each,
# instead of keeping every index up to date row by row); a new store has them from the start.
_INDEXES = (
    "CREATE INDEX {p}cases_scope ON {cases} (jurisdiction, position)",
    "CREATE INDEX {p}cases_position ON {cases} (position)",
    "CREATE INDEX {p}cases_due ON {cases} (status, jurisdiction, next_visit_due)",
    "CREATE INDEX {p}cases_guardian ON {cases} (guardian_type, status, jurisdiction)",
    "CREATE INDEX {p}interventions_due ON {interventions} "
    "(status, case_active, jurisdiction, due_by)",
    "CREATE INDEX {p}interventions_kind ON {interventions} (kind, status, jurisdiction)",
    "CREATE INDEX {p}search_token ON {search} (token, case_id)",
    "CREATE INDEX {p}counts_parent ON {counts} (parent, metric)",
    "CREATE INDEX {p}daily_parent ON {daily} (parent, recorded_on)",
    "CREATE INDEX {p}daily_dues_parent ON {daily_dues} (parent, recorded_on)",
    # The worklists' first page at province or city scope: walk overdue rows in page
    # order instead of sorting every overdue case in scope (bench/dashboard.py at 1M
    # cases: 294 ms → under 5 ms on SQLite, 160 ms → under 1 ms on PostgreSQL).
    "CREATE INDEX {p}cases_overdue ON {cases} "
    "(status, next_visit_due, position DESC, jurisdiction)",
    "CREATE INDEX {p}interventions_overdue ON {interventions} "
    "(status, case_active, due_by, intervention_id, jurisdiction, department)",
    # The list filtered by risk level (otherwise every case in scope is read).
    "CREATE INDEX {p}cases_risk ON {cases} (risk_level, jurisdiction, position)",
    # The review worklists (awaiting review, returned): few rows of many.
    "CREATE INDEX {p}cases_review ON {cases} (review_status, jurisdiction, review_since)",
    "CREATE INDEX {p}sites_scope ON {sites} (jurisdiction, position)",
    "CREATE INDEX {p}site_children_site ON {site_children} (site_id)",
)


def table_statements(names: dict[str, str], *, postgres: bool) -> list[str]:
    """The statements creating one generation's tables."""
    # Clustered on their key in SQLite: the counters are read by key ranges.
    extra = {"blob": "BYTEA" if postgres else "BLOB", "tail": "" if postgres else " WITHOUT ROWID"}
    return [statement.format(**names, **extra) for statement in _TABLES]


def index_statements(names: dict[str, str], prefix: str) -> list[str]:
    """The statements creating one generation's secondary indexes."""
    return [statement.format(**names, p=prefix) for statement in _INDEXES]
