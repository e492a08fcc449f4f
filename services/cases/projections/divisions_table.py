"""The `divisions` table: the names of jurisdiction codes, loaded by a deployment
(`careledger divisions import FILE`) and by the demo. It sits beside the read models but
is not rebuilt from the log, so it outlives every generation; this is its one definition.
"""

from __future__ import annotations

# `{divisions}` is the table's qualified name (ReadModelStore.names). `parent` is the code
# one level up ('' for a province): the dashboard lists a scope's known children by it.
DIVISIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS {divisions} (code TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "parent TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS divisions_parent ON {divisions} (parent, code)",
)
