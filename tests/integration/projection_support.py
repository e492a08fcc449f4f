"""Helpers for the read-model tests: every row of the read models, in comparable form, and
a rebuild to compare them with."""

from __future__ import annotations

import os
from typing import Any

from services.cases.bootstrap import CaseService
from services.cases.projections.pages import PageProjection
from services.cases.projections.personal import PersonalData
from services.cases.projections.rebuild import rebuild
from services.cases.projections.store import ReadModelStore
from services.cases.projections.tx import Tx
from shared.settings import Settings

_ORDER = {
    "cases": "case_id",
    "interventions": "case_id, intervention_id",
    "search": "case_id, token",
    "counts": "scope, metric",
    "dues": "scope, kind, due",
    "monthly": "scope, month",
    "users": "position",
    "sites": "site_id",
    "site_plans": "jurisdiction, year",
    "site_children": "case_id, position",
}


def all_rows(store: ReadModelStore, personal: PersonalData) -> dict[str, Any]:
    """Every row of the active generation; the encrypted names decrypted (their ciphertext
    differs on every write), and the position."""

    def read(tx: Tx) -> dict[str, Any]:
        rows: dict[str, Any] = {"position": tx.position}
        for table, order in _ORDER.items():
            found = tx.rows(f"SELECT * FROM {{{table}}} ORDER BY {order}")
            if table == "cases":
                found = [r | {"personal": personal.open(bytes(r["personal"]))} for r in found]
            rows[table] = found
        return rows

    return store.read(read)


def personal_of(service: CaseService) -> PersonalData:
    return PersonalData(service.settings.cipher_key)


def projection_of(service: CaseService) -> PageProjection:
    return PageProjection(service.cases.mapper, personal_of(service))


def rebuilt_rows(service: CaseService) -> dict[str, Any]:
    """The rows of a fresh rebuild from the log (which becomes the active generation)."""
    rebuild(
        service.cases.recorder, projection_of(service), service.read_models.store, grace_seconds=0
    )
    return all_rows(service.read_models.store, personal_of(service))


def command_env(settings: Settings) -> dict[str, str]:
    """The environment a `careledger` process needs to reach the same store."""
    env = {
        **os.environ,
        "CARELEDGER_DATA_DIR": str(settings.data_dir),
        "CARELEDGER_CIPHER_KEY": settings.cipher_key,
        "CARELEDGER_TOKEN_SECRET": settings.token_secret,
    }
    if settings.uses_postgres:
        env |= {
            "CARELEDGER_DATABASE_URL": settings.database_url,
            "CARELEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        }
    return env
