"""Division names in the read-model database: stored by `import_divisions` (the one way in,
for `careledger divisions import` and the demo alike) and read by the dashboard. A code
with no stored name shows as the code itself."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .division_rows import DivisionRow, check_rows
from .store import ReadModelStore
from .tx import Tx

_CHUNK = 500  # codes per IN (…) list, well under every database's limit on parameters


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed: new codes, codes whose name changed, and the rest."""

    added: int
    renamed: int
    unchanged: int

    def line(self) -> str:
        """The one-line, key=value summary."""
        return (
            f"divisions imported added={self.added} renamed={self.renamed} "
            f"unchanged={self.unchanged}"
        )


def import_divisions(store: ReadModelStore, rows: Iterable[DivisionRow]) -> ImportSummary:
    """Checks every row, then stores the new names and the changed ones in one transaction.
    Raises DivisionsRefusedError, having written nothing, when any row is bad. Importing
    the same rows again changes nothing; codes not among the rows are kept."""
    divisions = check_rows(rows)
    with store.reference_data() as tx:
        stored = names_of(tx, [d.code for d in divisions])
        changed = [d for d in divisions if stored.get(d.code) != d.name]
        tx.put(
            "divisions",
            ("code", "name", "parent"),
            ("text", "text", "text"),
            ("code",),
            [(d.code, d.name, d.parent) for d in changed],
        )
    renamed = sum(1 for d in changed if d.code in stored)
    return ImportSummary(len(changed) - renamed, renamed, len(divisions) - len(changed))


def names_of(tx: Tx, codes: Sequence[str]) -> dict[str, str]:
    """The stored names of those of `codes` that have one."""
    unique = sorted(set(codes))
    found: dict[str, str] = {}
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        for row in tx.rows(f"SELECT code, name FROM {{divisions}} WHERE code IN ({marks})", chunk):
            found[row["code"]] = row["name"]
    return found


def known_children(tx: Tx, code: str) -> dict[str, str]:
    """The stored divisions one level below `code` (shown even where no case is), by code."""
    rows = tx.rows("SELECT code, name FROM {divisions} WHERE parent = ? ORDER BY code", (code,))
    return {row["code"]: row["name"] for row in rows}


def name_or_code(names: dict[str, str], code: str) -> str:
    """The name of `code` among `names`, else the code itself."""
    return names.get(code, code)
