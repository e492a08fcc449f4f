"""Benchmark of the dashboard at province scale: 1,000,000 cases in the read models.

    python bench/dashboard.py [--quick] [--cases N] [--samples S] [--postgres URL]

Building. Pushing ten million events through the event store and the projector would take
hours on a small machine, so the read-model rows are built in bulk, by the projector's
own code: the demo's `Life` plays 20,000 children's years on the `Case` aggregate (the
templates), each template is replayed into villages all over one province (Jiangxi: its
11 cities, 100 counties and 1,767 townships from shared/data, plus 7–13 generated village
codes per township; the village, the child director and a transfer's destination are
remapped), and the resulting events go in-process through the projector's steps
(`state.identified` / `state.apply`, `counters.Deltas`, `CaseRows.save`,
`counters.write`) against a recording transaction. What those would have written is
inserted into a new generation in big transactions (SQLite) or with COPY (PostgreSQL),
which then gets its indexes and is switched to as `rebuild()` does. About 11.5 events per
case, as in the demo city.

Consistency. Before the big build, the bulk builder is checked against the real
projector on stores of their own, every row of every table and the answers of the API's
reads (summary, breakdown, trend, the worklists, the case list) for scopes of every
level: (a) 2,000 demo children saved to an event store as the demo seeds them; (b) 2,000
remapped children across the province, their events interleaved in the log (a case
spread over many pages). Each log is rebuilt with `rebuild()` and also bulk-built from
the events as they were before saving (with the daily series, every event recorded today
as the rebuild dates them; rows summed back to 0, which the projector may leave, are not
compared); the two must be identical, or the run stops. bench/report.py builds the daily
series too.

Measuring. `ReadModels` — what the API calls — in-process with a civil-affairs Actor at
province scope, for codes at province, city, county and township level: summary,
breakdown, trend, the first page of each worklist, and the first page of the case list
(no filter; risk level high; a search for the commonest name). The same summary and breakdown also
through the Flask test client (authentication, schemas, JSON). Beside them, measured in
the same rounds, the baseline: a primary-key lookup of one counter through the same
read transaction (`store.read`). Calls are interleaved; each cell stops at --samples calls
or after its time budget. Reported: p50/p95/max in ms and p50 as a ratio to the
baseline's p50, and whether summary and breakdown stay under 50 ms at p95. The slowest
statement of every cell whose p95 is 50 ms or more is explained (EXPLAIN QUERY PLAN /
EXPLAIN ANALYZE).

The store is a fresh SQLite folder (AES on), or with --postgres a fresh schema created and
dropped by this script (after the build it runs VACUUM ANALYZE, what autovacuum does
after a bulk load; SQLite gets no ANALYZE: the service never runs one). Results go to
bench/results/dashboard-<backend>.json. Only 127.0.0.1 is contacted; every loop is bounded.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from random import Random
from typing import Any, NamedTuple
from urllib.parse import urlparse

from bench_support import open_settings, results_header

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PROVINCE = "36"  # Jiangxi: the divisions shipped in shared/data
GEOGRAPHY_SEED = 3600
BUILD_SEED = 20261129
CHECK_CASES = 2000
CHUNK = 20_000  # cases per bulk transaction
GOAL_MS = 50.0
LEVELS = ("province", "city", "county", "township")
PASSWORD = "bench password 1234"


# ---- the province ----------------------------------------------------------------------


@dataclass(frozen=True)
class Province:
    """Every village of the province (generated codes under the real townships), each with
    a weight (how many children live there), and the codes of each level."""

    villages: list[str]
    cumulative: list[float]
    by_township: dict[str, list[str]]
    codes: dict[str, list[str]]  # level → codes, in code order


def make_province() -> Province:
    """Jiangxi's real cities, counties and townships; 7–13 villages per township (village
    committees from 200, residents' committees 001–002, as the real codes are), urban
    sub-districts with fewer left-behind children than rural towns."""
    from shared.jurisdictions import divisions

    rng = Random(GEOGRAPHY_SEED)
    found = divisions()
    villages: list[str] = []
    weights: list[float] = []
    by_township: dict[str, list[str]] = {}
    townships = sorted(d.code for d in found.values() if d.level == "township")
    for township in townships:
        urban = found[township].name.endswith(("街道", "开发区", "园区"))
        size = rng.uniform(0.5, 1.5) * (0.3 if urban else 1.0)
        committees = rng.choice((0, 1, 1, 2))
        codes = [f"{township}{n:03d}" for n in range(1, committees + 1)]
        codes += [f"{township}{n:03d}" for n in range(200, 200 + rng.randint(6, 11))]
        by_township[township] = codes
        villages += codes
        weights += [size * rng.uniform(0.4, 1.6) for _ in codes]
    total, cumulative = 0.0, []
    for w in weights:
        total += w
        cumulative.append(total)
    levels = {
        "province": [PROVINCE],
        "city": sorted(d.code for d in found.values() if d.level == "city"),
        "county": sorted(d.code for d in found.values() if d.level == "county"),
        "township": townships,
    }
    return Province(villages, cumulative, by_township, levels)


# ---- templates: children's years played on the Case aggregate ---------------------------


@dataclass(frozen=True)
class Template:
    """One child's year as the demo plays it: its village and its events
    (kind, version, data), data as the projector receives it."""

    home: str
    events: list[tuple[str, int, dict[str, Any]]]


def lives(rng: Random, today: date, count: int) -> Iterator[Any]:
    """`count` Case aggregates with a year of pending events each, in the demo's villages
    (a tenth of them with a child director who falls behind on visits)."""
    from services.cases.demo.history import Life
    from services.cases.demo.people import RecordMaker
    from services.cases.demo.places import villages

    everywhere = villages()
    lax = {v.code for v in everywhere if rng.random() < 0.1}
    maker = RecordMaker(rng, today)
    for _ in range(count):
        home = rng.choice(everywhere)
        yield Life(rng, today, maker.record(home), lax=home.code in lax).play()


def template_of(case: Any) -> Template:
    """A case's pending events as a template (call before saving the case)."""
    events = case.pending_events
    return Template(
        events[0].record["address"]["jurisdiction"],
        [(type(e).__name__, e.originator_version, vars(e)) for e in events],
    )


def replicas(
    province: Province, templates: Sequence[Template], count: int, rng: Random
) -> Iterator[list[tuple[str, str, int, dict[str, Any]]]]:
    """`count` cases, each a template replayed in a village drawn by weight: the village,
    the child director (`dir-<village>`) and a transfer's destination (another village of
    the same township, as the demo moves children) are remapped; nothing else changes.
    Yields each case's events as (case_id, kind, version, data)."""
    from services.cases.demo.staff import director_username

    for i in range(count):
        template = templates[i % len(templates)]
        target = _weighted(province, rng.random())
        case_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        where = {template.home: target}
        who = {director_username(template.home): f"dir-{target}"}
        events = []
        for kind, version, data in template.events:
            if kind == "Identified":
                record = data["record"]
                data = {
                    **data,
                    "record": {**record, "address": {**record["address"], "jurisdiction": target}},
                }
            elif kind == "Transferred":
                origin = where.get(data["from_jurisdiction"], target)
                if data["jurisdiction"] not in where:
                    siblings = [v for v in province.by_township[origin[:9]] if v != origin]
                    moved = rng.choice(siblings)
                    where[data["jurisdiction"]] = moved
                    who[director_username(data["jurisdiction"])] = f"dir-{moved}"
                data = {
                    **data,
                    "jurisdiction": where[data["jurisdiction"]],
                    "from_jurisdiction": origin,
                }
            elif kind == "Assigned":
                data = {**data, "assignee": who.get(data["assignee"], data["assignee"])}
            events.append((case_id, kind, version, data))
        yield events


def _weighted(province: Province, x: float) -> str:
    from bisect import bisect_left

    index = bisect_left(province.cumulative, x * province.cumulative[-1])
    return province.villages[min(index, len(province.villages) - 1)]


# ---- the bulk builder: the projector's own functions, a recording transaction -----------


class Ev(NamedTuple):
    """One Case event as the projector sees it once decoded: its place in the log, its
    case, its class name, its version and its attributes."""

    position: int
    case_id: str
    kind: str
    version: int
    data: dict[str, Any]


_INSERT = re.compile(r"INSERT INTO \{(\w+)\}(?: AS \w+)? \(([^)]*)\) VALUES")


class _Templates:
    """A stand-in for the store: SQLite's dialect, statements left as templates."""

    is_postgres = False

    def sql(self, template: str, generation: int) -> str:
        return template


def recording_tx() -> Any:
    """A read-model transaction (tx.Tx) on a fresh generation that executes nothing but
    keeps the rows the projector's writes (`CaseRows.save`, `counters.write`) insert, to
    be inserted in bulk. In SQLite's dialect every write of Tx comes down to `run_many`
    of an INSERT (…) VALUES … ON CONFLICT, or of a DELETE of counters that fell to zero,
    which a fresh generation written once with final sums does not have."""
    from services.cases.projections.tx import Tx

    class RecordingTx(Tx):
        def __init__(self) -> None:
            super().__init__(None, _Templates(), 0, 0)
            self.columns: dict[str, tuple[str, ...]] = {}
            self.recorded: dict[str, list[Sequence[Any]]] = defaultdict(list)

        def run(self, template: str, params: Sequence[Any] = ()) -> None:
            raise AssertionError(f"unexpected statement in a bulk build: {template[:60]}")

        def run_many(self, template: str, rows: Sequence[Sequence[Any]]) -> None:
            if not rows:
                return
            if template.startswith("DELETE") and template.endswith("= 0"):
                return  # counters that fell to zero: none in a fresh generation
            match = _INSERT.match(template)
            if match is None:
                raise AssertionError(f"unexpected statement in a bulk build: {template[:60]}")
            table, columns = match[1], tuple(c.strip() for c in match[2].split(","))
            if self.columns.setdefault(table, columns) != columns:
                raise AssertionError(f"two column lists for {table}")
            self.recorded[table].extend(rows)

    return RecordingTx()


class BulkBuilder:
    """The projector's per-event and per-page steps (pages.PageProjection), for cases whose
    events all arrive at once: no state to load, the counters summed once."""

    def __init__(
        self, personal: Any, *, dated: bool = False, recorded_on: str | None = None
    ) -> None:
        from services.cases.projections.case_rows import CaseRows
        from services.cases.projections.counters import Deltas

        self.case_rows = CaseRows(personal)
        self.deltas = Deltas()
        # The daily series too: each event recorded on `recorded_on` (a store written that
        # day, as the consistency check's is), or without it on the day its fact took
        # effect, as a store that followed the children's lives as they happened
        # (bench/report.py).
        self.dated = dated or recorded_on is not None
        self.recorded_on = recorded_on
        self.cases = 0
        self.events = 0
        self.last = 0

    def add(self, cases: Iterable[Sequence[Ev]]) -> Any:
        """Projects whole cases (each its events in log order); the case rows,
        interventions and search tokens to insert."""
        from services.cases.domain import Case
        from services.cases.projections.daily import DailyDeltas
        from services.cases.projections.state import apply, identified

        states = []
        deltas = self.deltas
        dated = DailyDeltas() if self.dated else None
        for events in cases:
            first = events[0]
            if first.kind != "Identified":
                raise AssertionError("a case starts with its identification")
            state, flows = identified(
                first.case_id,
                first.version,
                first.position,
                first.data["record"],
                first.data.get("next_visit_due"),
            )
            deltas.flow(flows)
            share = self._dated(dated, None, state, first.data)
            for event in events[1:]:
                deltas.flow(apply(state, getattr(Case, event.kind), event.data))
                share = self._dated(dated, share, state, event.data)
            state.version = events[-1].version
            deltas.move(None, state)
            states.append(state)
            self.events += len(events)
            self.last = max(self.last, events[-1].position)
        self.cases += len(states)
        recording = recording_tx()
        self.case_rows.save(recording, states, set(), {})
        if dated is not None:
            from services.cases.projections.daily import write

            write(recording, dated)
        return recording

    def _dated(self, dated: Any, share: Any, state: Any, data: dict[str, Any]) -> Any:
        """One event into the daily series (pages.PageProjection._apply's step); `share`
        is the case's share so far and the day its last event was recorded."""
        if dated is None:
            return None
        from services.cases.projections.daily import effective_on

        last = share[2] if share else ""
        if self.recorded_on is not None:
            recorded = self.recorded_on
            effective = effective_on(data, state, recorded)
        else:  # on its effective day, never before the case's previous event
            effective = effective_on(data, state, last or str(state.identified_on))
            recorded = max(effective, last)
        moved = dated.move(share[:2] if share else None, state, (recorded, effective))
        return (*moved, recorded)

    def counters(self) -> Any:
        """Every counter, due-date bucket and monthly flow, at every level."""
        from services.cases.projections import counters

        recording = recording_tx()
        counters.write(recording, self.deltas)
        return recording


def as_events(case: list[tuple[str, str, int, dict[str, Any]]], first: int) -> list[Ev]:
    """A replica's events at positions first, first+1…"""
    return [
        Ev(first + i, case_id, kind, version, data)
        for i, (case_id, kind, version, data) in enumerate(case)
    ]


# ---- loading: big SQLite transactions, or COPY ------------------------------------------


class SqliteLoader:
    """Inserts recorded rows into one generation with a connection of its own (no fsync,
    a big page cache: a crash here only loses a benchmark)."""

    def __init__(self, store: Any, generation: int) -> None:
        self.names = store.names(generation)
        self.connection = sqlite3.connect(store.path, isolation_level=None)
        for pragma in (
            "journal_mode=WAL",
            "synchronous=OFF",
            "cache_size=-1048576",
            "temp_store=MEMORY",
        ):
            self.connection.execute(f"PRAGMA {pragma}")
        self.seconds: Counter[str] = Counter()

    def load(self, recording: Any) -> None:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN")
        for table, rows in recording.recorded.items():
            started = time.perf_counter()
            columns = recording.columns[table]
            # The daily series' rows are keyed by place and day: chunks add up.
            summed = (
                " ON CONFLICT (scope, recorded_on, effective_on, metric) "
                "DO UPDATE SET n = t.n + excluded.n"
                if table in ("daily", "daily_dues")
                else ""
            )
            cursor.executemany(
                f"INSERT INTO {self.names[table]} AS t ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))}){summed}",
                rows,
            )
            self.seconds[table] += time.perf_counter() - started
        cursor.execute("COMMIT")

    def finish(self) -> None:
        self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.connection.close()


class PostgresLoader:
    """COPYs recorded rows into one generation, a transaction per chunk."""

    def __init__(self, store: Any, generation: int, url: str) -> None:
        import psycopg

        self.names = store.names(generation)
        self.connection = psycopg.connect(url)
        self.seconds: Counter[str] = Counter()

    def load(self, recording: Any) -> None:
        with self.connection.cursor() as cursor:
            for table, rows in recording.recorded.items():
                started = time.perf_counter()
                columns = ", ".join(recording.columns[table])
                with cursor.copy(f"COPY {self.names[table]} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                self.seconds[table] += time.perf_counter() - started
        self.connection.commit()

    def finish(self) -> None:
        self.connection.close()


def loader_for(settings: Any, store: Any, generation: int) -> SqliteLoader | PostgresLoader:
    return (
        PostgresLoader(store, generation, settings.database_url)
        if store.is_postgres
        else SqliteLoader(store, generation)
    )


def finish_generation(store: Any, generation: int, position: int) -> None:
    """Ends a bulk-built generation as `rebuild()` ends one: its secondary indexes (when the
    store creates them after the rows), then the switch, at the log position it reached."""
    index = getattr(store, "index", None)
    if index is not None:
        index(generation)
    with store.switching(generation) as tx:
        tx.advance(position)
    store.drop_retired()


def build(
    settings: Any,
    service: Any,
    province: Province,
    templates: Sequence[Template],
    cases: int,
    progress: Callable[[str], None],
    *,
    dated: bool = False,
) -> dict[str, Any]:
    """Builds `cases` replicas into the active generation (with the daily series when
    `dated`: SQLite only); returns timings and sizes."""
    from services.cases.projections.personal import PersonalData

    store = service.read_models.store
    generation = store.begin_generation()  # as a rebuild does: no secondary index yet
    builder = BulkBuilder(PersonalData(settings.cipher_key), dated=dated)
    loader = loader_for(settings, store, generation)
    if dated and not isinstance(loader, SqliteLoader):
        raise SystemExit("the daily series is bulk-built on SQLite only")
    rng = Random(BUILD_SEED)
    timings: Counter[str] = Counter()
    started = time.perf_counter()
    position = 0
    stream = replicas(province, templates, cases, rng)
    try:
        done = 0
        while done < cases:
            t0 = time.perf_counter()
            chunk = []
            for case in _take(stream, min(CHUNK, cases - done)):
                chunk.append(as_events(case, position + 1))
                position += len(case)
            recording = builder.add(chunk)
            t1 = time.perf_counter()
            loader.load(recording)
            timings["project"] += t1 - t0
            timings["insert_rows"] += time.perf_counter() - t1
            done += len(chunk)
            if done % 100_000 < CHUNK or done == cases:
                progress(
                    f"built {done:,}/{cases:,} cases, {builder.events:,} events, "
                    f"{time.perf_counter() - started:.0f} s"
                )
        t0 = time.perf_counter()
        recording = builder.counters()
        t1 = time.perf_counter()
        loader.load(recording)
        timings["project"] += t1 - t0
        timings["insert_counters"] += time.perf_counter() - t1
        counter_rows = {t: len(r) for t, r in recording.recorded.items()}
    finally:
        loader.finish()
    t0 = time.perf_counter()
    finish_generation(store, generation, builder.last)
    timings["index_and_switch"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if store.is_postgres:
        import psycopg

        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            for table in store.names(generation).values():
                conn.execute(f"VACUUM ANALYZE {table}")
        timings["vacuum_analyze"] = time.perf_counter() - t0
    return {
        "cases": builder.cases,
        "events": builder.events,
        "position": builder.last,
        "seconds": round(time.perf_counter() - started, 1),
        "phases_s": {k: round(v, 1) for k, v in timings.items()},
        "insert_s_by_table": {k: round(v, 1) for k, v in loader.seconds.items()},
        "counter_rows": counter_rows,
        "sizes": sizes(settings, store, generation),
    }


def _take(stream: Iterator[Any], n: int) -> Iterator[Any]:
    for _ in range(n):
        yield next(stream)


def sizes(settings: Any, store: Any, generation: int) -> dict[str, Any]:
    """Rows and bytes of every table of the generation."""
    out: dict[str, Any] = {}
    names = store.names(generation)
    rows = store.read(
        lambda tx: {
            t: int(tx.value(f"SELECT COUNT(*) FROM {{{t}}}"))
            for t in names
            if t not in ("generations", "divisions")  # beside the generation, not in it
        }
    )
    out["rows"] = rows
    if store.is_postgres:
        out["bytes"] = store.read(
            lambda tx: {
                t: int(tx.value(f"SELECT pg_total_relation_size('{names[t]}')")) for t in rows
            }
        )
    else:
        out["file_bytes"] = sum(
            p.stat().st_size for p in store.path.parent.glob("read_models.sqlite*")
        )
    return out


# ---- the consistency check: the bulk builder against the real projector -----------------


def dump(store: Any, personal: Any) -> dict[str, Any]:
    """Every row of every table of the active generation, sorted (names decrypted: their
    ciphertexts differ on every write)."""
    from services.cases.projections.schema import TABLES

    def read(tx: Any) -> dict[str, Any]:
        rows: dict[str, Any] = {"position": tx.position}
        for table in TABLES:
            found = tx.rows(f"SELECT * FROM {{{table}}}")
            if table == "cases":
                found = [r | {"personal": personal.open(bytes(r["personal"]))} for r in found]
            if table in ("daily", "daily_dues"):
                # A day's change summed back to 0 means nothing: the projector leaves
                # some, the bulk builder none.
                found = [r for r in found if r["n"]]
            rows[table] = sorted(found, key=lambda r: [str(v) for v in r.values()])
        return rows

    return store.read(read)


def answers(read_models: Any, actor: Any, today: date, codes: Sequence[str]) -> dict[str, Any]:
    """What the API would answer for these scopes (every dashboard call, every worklist,
    the case list), in comparable form."""
    from services.cases.projections.queries import CaseFilter

    out: dict[str, Any] = {}
    for code in codes:
        out[f"summary {code}"] = read_models.summary(actor, code, today).value
        out[f"breakdown {code}"] = read_models.breakdown(actor, code, today).value
        out[f"trend {code}"] = read_models.trend(actor, code, today, 12).value
        for name in ("overdue-visits", "no-guardian", "mandatory-reports", "overdue-interventions"):
            page = read_models.worklist(actor, name, code, today=today, page=1, per_page=50).value
            out[f"{name} {code}"] = (
                page.total,
                [(i.case.view, i.intervention, i.days_overdue) for i in page.items],
            )
        page = read_models.list_cases(
            actor,
            CaseFilter(jurisdiction=code, risk_level="high"),
            page=1,
            per_page=50,
            today=today,
        ).value
        out[f"list {code}"] = (page.total, [r.view for r in page.items])
    return out


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Which tables or answers differ (empty when none does)."""
    return [key for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)]


def scopes_of(villages: Iterable[str]) -> list[str]:
    """Some scopes at every level that hold these villages."""
    by_level: dict[int, list[str]] = defaultdict(list)
    for v in sorted(set(villages)):
        for n in (2, 4, 6, 9):
            if v[:n] not in by_level[n]:
                by_level[n].append(v[:n])
    return [code for n in (2, 4, 6, 9) for code in by_level[n][:3]]


def check(
    settings: Any,
    other_settings: Any,
    province: Province,
    today: date,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """The bulk builder against the real projector, both ways (see the module's doc)."""
    started = time.perf_counter()
    rng = Random(BUILD_SEED + 1)
    aggregates = list(lives(rng, today, CHECK_CASES))
    classes = {type(e).__name__: type(e) for a in aggregates for e in a.pending_events}
    templates = [template_of(a) for a in aggregates]

    def save_lives(service: Any) -> None:  # (a): the aggregates, as the demo seeds them
        for start in range(0, len(aggregates), 250):
            service.cases.save(*aggregates[start : start + 250])

    cases = list(replicas(province, templates, CHECK_CASES, Random(BUILD_SEED + 2)))

    def save_replicas(service: Any) -> None:  # (b): remapped, interleaved in the log
        order = [i for i, case in enumerate(cases) for _ in case]
        Random(BUILD_SEED + 3).shuffle(order)
        seen: Counter[int] = Counter()
        stored = []
        for i in order:
            case_id, kind, _, data = cases[i][seen[i]]
            seen[i] += 1
            event = classes[kind](**(data | {"originator_id": uuid.UUID(case_id)}))
            stored.append(service.cases.mapper.to_stored_event(event))
        for start in range(0, len(stored), 1000):
            service.cases.recorder.insert_events(stored[start : start + 1000])

    data_of = {
        (str(e.originator_id), e.originator_version): (type(e).__name__, vars(e))
        for a in aggregates
        for e in a.pending_events
    }
    data_of |= {
        (case_id, version): (kind, data) for case in cases for case_id, kind, version, data in case
    }
    result: dict[str, Any] = {}
    for name, settings_, save in (
        ("a_demo_lives_rebuilt", settings, save_lives),
        ("b_remapped_interleaved_rebuilt", other_settings, save_replicas),
    ):
        progress(f"consistency check {name}: {CHECK_CASES:,} children")
        result[name] = compare(settings_, save, data_of, today)
    result["consistent"] = all(
        not r["tables_differing"] and not r["answers_differing"] for r in result.values()
    )
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def compare(
    settings: Any,
    save: Callable[[Any], None],
    data_of: dict[tuple[str, int], tuple[str, dict[str, Any]]],
    today: date,
) -> dict[str, Any]:
    """Saves events to a fresh event store, rebuilds the read models from its log with
    `rebuild()`, then builds the same events (as they were before saving, at the positions
    the log gave them) with the bulk builder into another generation; compares every row
    and the answers of the API's reads for some scopes of every level."""
    from services.cases.access import Actor
    from services.cases.bootstrap import build_case_service
    from services.cases.projections.pages import PageProjection
    from services.cases.projections.personal import PersonalData
    from services.cases.projections.rebuild import rebuild
    from shared.clock import Clock
    from shared.roles import Role

    actor = Actor("bench", Role.CIVIL_AFFAIRS, PROVINCE, "bench")
    service = build_case_service(settings)
    personal = PersonalData(settings.cipher_key)
    store, read_models = service.read_models.store, service.read_models
    try:
        save(service)
        recorder = service.cases.recorder
        by_case: dict[str, list[Ev]] = defaultdict(list)
        position = 0
        while page := recorder.select_notifications(position, 1000, inclusive_of_start=False):
            for n in page:
                case_id = str(n.originator_id)
                kind, data = data_of[case_id, n.originator_version]
                by_case[case_id].append(Ev(n.id, case_id, kind, n.originator_version, data))
            position = page[-1].id
        rebuild(recorder, PageProjection(service.cases.mapper, personal), store, grace_seconds=0)
        codes = scopes_of(
            events[0].data["record"]["address"]["jurisdiction"] for events in by_case.values()
        )
        projected = dump(store, personal)
        projected_answers = answers(read_models, actor, today, codes)
        generation = store.begin_generation()
        # The log was written today: the projector dates every event today (China).
        builder = BulkBuilder(personal, recorded_on=Clock().today().isoformat())
        loader = loader_for(settings, store, generation)
        try:
            loader.load(builder.add(list(by_case.values())))
            loader.load(builder.counters())
        finally:
            loader.finish()
        finish_generation(store, generation, builder.last)
        bulk, bulk_answers = dump(store, personal), answers(read_models, actor, today, codes)
    finally:
        service.close()
    return {
        "cases": len(by_case),
        "events": sum(len(v) for v in by_case.values()),
        "scopes": codes,
        "rows": {t: len(v) for t, v in projected.items() if t != "position"},
        "tables_differing": differences(projected, bulk),
        "answers_compared": len(projected_answers),
        "answers_differing": differences(projected_answers, bulk_answers),
    }


# ---- measuring ---------------------------------------------------------------------------


@dataclass
class Cell:
    """One query at one level: the codes it cycles through, and its samples (seconds)."""

    query: str
    level: str
    call: Callable[[str], Any]
    codes: list[str]
    samples: list[float] = field(default_factory=list)
    spent: float = 0.0

    def run(self, n: int) -> None:
        for _ in range(n):
            code = self.codes[len(self.samples) % len(self.codes)]
            started = time.perf_counter()
            self.call(code)
            took = time.perf_counter() - started
            self.samples.append(took)
            self.spent += took


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def queries(service: Any, actor: Any, today: date, name: str) -> dict[str, Callable[[str], Any]]:
    """The calls measured, by name; each takes a scope code."""
    from services.cases.projections.queries import CaseFilter

    rm, store = service.read_models, service.read_models.store

    def point(code: str) -> Any:
        return store.read(
            lambda tx: tx.value(
                "SELECT n FROM {counts} WHERE scope = ? AND metric = 'cases'", (code,)
            )
        )

    def worklist(list_name: str) -> Callable[[str], Any]:
        return lambda code: rm.worklist(actor, list_name, code, today=today, page=1, per_page=20)

    def listed(f: Callable[[str], Any]) -> Callable[[str], Any]:
        return lambda code: rm.list_cases(actor, f(code), page=1, per_page=20, today=today)

    return {
        "baseline (counter PK lookup)": point,
        "summary": lambda code: rm.summary(actor, code, today),
        "breakdown": lambda code: rm.breakdown(actor, code, today),
        "trend (12 months)": lambda code: rm.trend(actor, code, today, 12),
        "worklist overdue-visits": worklist("overdue-visits"),
        "worklist no-guardian": worklist("no-guardian"),
        "worklist mandatory-reports": worklist("mandatory-reports"),
        "worklist overdue-interventions": worklist("overdue-interventions"),
        "list (no filter)": listed(lambda code: CaseFilter(jurisdiction=code)),
        "list risk_level=high": listed(
            lambda code: CaseFilter(jurisdiction=code, risk_level="high")
        ),
        f"list q={name}": listed(lambda code: CaseFilter(jurisdiction=code, q=name)),
    }


def http_queries(service: Any, today: date) -> dict[str, Callable[[str], Any]]:
    """Summary and breakdown through the Flask test client, as a logged-in user."""
    from services.cases.api import create_app
    from shared.roles import Role

    service.accounts.register(
        None, username="bench-civil", role=Role.CIVIL_AFFAIRS, scope=PROVINCE, password=PASSWORD
    )
    client = create_app(service.settings, case_service=service).test_client()
    answer = client.post(
        "/api/v1/auth/token", json={"username": "bench-civil", "password": PASSWORD}
    )
    headers = {"Authorization": f"Bearer {answer.json['token']}"}  # type: ignore[index]

    def get(path: str) -> Callable[[str], Any]:
        def call(code: str) -> Any:
            response = client.get(
                path, query_string={"scope": code, "as_of": today.isoformat()}, headers=headers
            )
            if response.status_code != 200:
                raise AssertionError(f"{path} {code}: {response.status_code} {response.json}")
            return response.json

        return call

    return {
        "HTTP summary": get("/api/v1/dashboard/summary"),
        "HTTP breakdown": get("/api/v1/dashboard/breakdown"),
    }


def measure(
    cells: list[Cell], samples: int, budget: float, progress: Callable[[str], None]
) -> None:
    """Interleaved rounds of a few calls per cell, until every cell has `samples` calls
    or has spent its `budget` seconds (at least 3 calls each)."""
    for cell in cells:  # warm-up: one call per code, not recorded (caches, plans)
        for code in cell.codes[:3]:
            cell.call(code)
    rounds = 0
    while True:
        active = [
            c
            for c in cells
            if len(c.samples) < samples and (c.spent < budget or len(c.samples) < 3)
        ]
        if not active or rounds > samples:
            break
        rounds += 1
        for cell in active:
            cell.run(min(5, samples - len(cell.samples)))
        if rounds % 5 == 0:
            progress(f"measuring: round {rounds}, {len(active)} cells still sampling")


# ---- explaining slow statements ----------------------------------------------------------


@contextmanager
def traced(log: list[tuple[float, str, list[Any]]]) -> Iterator[None]:
    """Records every read-model statement run meanwhile, with its time (Tx.rows is the
    one path every query takes; patched here, for this benchmark only)."""
    from services.cases.projections.tx import Tx

    original = Tx.rows

    def rows(self: Any, template: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        started = time.perf_counter()
        found = original(self, template, params)
        log.append((time.perf_counter() - started, self.sql(template), list(params)))
        return found

    Tx.rows = rows  # type: ignore[method-assign]
    try:
        yield
    finally:
        Tx.rows = original  # type: ignore[method-assign]


def explain(store: Any, cell: Cell) -> dict[str, Any]:
    """The statements of one call of a slow cell (its slowest code), and the plan of the
    slowest statement."""
    slowest_code = cell.codes[
        max(range(len(cell.samples)), key=cell.samples.__getitem__) % len(cell.codes)
    ]
    log: list[tuple[float, str, list[Any]]] = []
    with traced(log):
        cell.call(slowest_code)
    seconds, sql, params = max(log)
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if store.is_postgres else "EXPLAIN QUERY PLAN "

    def plan(tx: Any) -> list[str]:
        tx.cursor.execute(prefix + sql, params)
        return [
            " | ".join(str(v) for v in (row.values() if isinstance(row, dict) else row))
            for row in tx.cursor.fetchall()
        ]

    return {
        "query": cell.query,
        "level": cell.level,
        "code": slowest_code,
        "statements_ms": [round(s * 1000, 1) for s, _, _ in log],
        "slowest_ms": round(seconds * 1000, 1),
        "slowest_sql": sql,
        "params": [str(p) for p in params],
        "plan": store.read(plan),
    }


# ---- the run -----------------------------------------------------------------------------


def sample_codes(province: Province, rng: Random, counts: Counter[str]) -> dict[str, list[str]]:
    """The codes measured at each level: the province, every city, and counties and
    townships drawn at random among those holding cases (the biggest one included)."""
    out: dict[str, list[str]] = {}
    for level, wanted in (("province", 1), ("city", 11), ("county", 20), ("township", 40)):
        held = [c for c in province.codes[level] if counts.get(c)]
        biggest = max(held, key=lambda c: counts[c])
        others = [c for c in held if c != biggest]
        out[level] = [biggest, *rng.sample(others, min(wanted - 1, len(others)))]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="100,000 cases, fewer samples")
    parser.add_argument("--cases", type=int, help="cases to build (default 1,000,000)")
    parser.add_argument("--samples", type=int, help="calls per query and level (default 100)")
    parser.add_argument(
        "--budget", type=float, help="seconds each query and level may spend sampling (default 8)"
    )
    parser.add_argument(
        "--templates",
        type=int,
        help="children played on the aggregate to replicate (default 20,000)",
    )
    parser.add_argument("--no-http", action="store_true", help="skip the Flask test client")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the built store (its folder, or its PostgreSQL schema) to inspect it afterwards",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL URL, e.g. postgresql://postgres@127.0.0.1:5432/test; "
        "a fresh schema is created and dropped",
    )
    args = parser.parse_args(argv)
    if args.postgres and (host := urlparse(args.postgres).hostname) not in (
        "127.0.0.1",
        "localhost",
    ):
        parser.error(f"only a PostgreSQL on 127.0.0.1 is benchmarked, not {host}")
    cases = args.cases or (100_000 if args.quick else 1_000_000)
    samples = args.samples or (40 if args.quick else 100)
    budget = args.budget or (4.0 if args.quick else 8.0)
    template_count = min(cases, args.templates or (10_000 if args.quick else 20_000))

    from services.cases.bootstrap import build_case_service
    from shared.clock import Clock

    started = time.perf_counter()
    backend = "postgres" if args.postgres else "sqlite"

    def progress(text: str) -> None:
        print(f"[{backend} {time.perf_counter() - started:6.0f} s] {text}", file=sys.stderr)

    today = Clock().today()
    results: dict[str, Any] = {
        **results_header("dashboard", backend),
        "as_of": today.isoformat(),
        "cases_asked": cases,
        "templates": template_count,
        "samples": samples,
        "budget_s": budget,
        "goal_ms": GOAL_MS,
    }
    province = make_province()
    results["geography"] = {level: len(codes) for level, codes in province.codes.items()} | {
        "village": len(province.villages)
    }
    tmp = Path(tempfile.mkdtemp(prefix="careledger-bench-dashboard-"))
    try:
        with (
            open_settings(args.postgres, tmp, "_check_a") as settings,
            open_settings(args.postgres, tmp, "_check_b") as other_settings,
        ):
            results["consistency"] = check(settings, other_settings, province, today, progress)
        progress(f"consistency: {results['consistency']}")
        if not results["consistency"]["consistent"]:
            print("the bulk builder and the projector disagree: no benchmark", file=sys.stderr)
            return 1
        with open_settings(args.postgres, tmp, keep=args.keep) as settings:
            service = build_case_service(settings)
            try:
                t0 = time.perf_counter()
                progress(f"playing {template_count:,} children's years on the aggregate")
                templates = [
                    template_of(c) for c in lives(Random(BUILD_SEED), today, template_count)
                ]
                templates_s = time.perf_counter() - t0
                results["build"] = build(settings, service, province, templates, cases, progress)
                results["build"]["templates_s"] = round(templates_s, 1)
                results["build"]["total_s"] = round(time.perf_counter() - t0, 1)
                progress(
                    f"built in {results['build']['total_s']} s: "
                    f"{results['build']['cases']:,} cases, "
                    f"{results['build']['events']:,} events"
                )
                results |= run_queries(
                    service, province, templates, today, samples, budget, not args.no_http, progress
                )
            finally:
                service.close()
    finally:
        if args.keep:
            print(f"kept the store's folder {tmp / 'var'}", file=sys.stderr)
            for checked in tmp.glob("var_check_*"):
                shutil.rmtree(checked, ignore_errors=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    results["duration_s"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_avg_at_end"] = list(os.getloadavg())
    render(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"dashboard-{backend}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(HERE.parent)} in {results['duration_s']} s", file=sys.stderr)
    return 0


def database_settings(store: Any) -> dict[str, Any]:
    """What the figures depend on: the server's memory settings, SQLite's version."""
    if not store.is_postgres:
        return {
            "sqlite": sqlite3.sqlite_version,
            "reader_pragmas": "journal_mode=WAL, cache_size=-65536 (store.py)",
        }
    names = (
        "server_version",
        "shared_buffers",
        "work_mem",
        "effective_cache_size",
        "max_parallel_workers_per_gather",
        "autovacuum",
        "jit",
    )
    return store.read(lambda tx: {n: tx.value(f"SHOW {n}") for n in names})


def run_queries(
    service: Any,
    province: Province,
    templates: Sequence[Template],
    today: date,
    samples: int,
    budget: float,
    http: bool,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Measures every query at every level; explains the slow ones."""
    from services.cases.access import Actor
    from shared.roles import Role

    store = service.read_models.store
    counts = Counter(
        {
            r["scope"]: int(r["n"])
            for r in store.read(
                lambda tx: tx.rows("SELECT scope, n FROM {counts} WHERE metric = 'cases'")
            )
        }
    )
    codes = sample_codes(province, Random(BUILD_SEED + 4), counts)
    names = Counter(str(t.events[0][2]["record"]["child"]["name"]) for t in templates)
    name = names.most_common(1)[0][0]
    actor = Actor("bench", Role.CIVIL_AFFAIRS, PROVINCE, "bench")
    calls = queries(service, actor, today, name)
    if http:
        calls |= http_queries(service, today)
    cells = [
        Cell(query, level, call, codes[level]) for query, call in calls.items() for level in LEVELS
    ]
    progress(f"measuring {len(calls)} queries at {len(LEVELS)} levels")
    measure(cells, samples, budget, progress)
    table: dict[str, dict[str, Any]] = defaultdict(dict)
    base = {
        c.level: statistics.median(c.samples)
        for c in cells
        if c.query == "baseline (counter PK lookup)"
    }
    for cell in cells:
        p50 = statistics.median(cell.samples)
        table[cell.query][cell.level] = {
            "n": len(cell.samples),
            "p50_ms": round(p50 * 1000, 3),
            "p95_ms": round(percentile(cell.samples, 0.95) * 1000, 3),
            "max_ms": round(max(cell.samples) * 1000, 3),
            "p50_ratio_to_baseline": round(p50 / base[cell.level], 1),
        }
    goal = {
        level: all(table[q][level]["p95_ms"] < GOAL_MS for q in ("summary", "breakdown"))
        for level in LEVELS
    }
    slow = [
        c
        for c in cells
        if percentile(c.samples, 0.95) * 1000 >= GOAL_MS and not c.query.startswith("HTTP")
    ]
    progress(f"explaining {len(slow)} slow cells")
    return {
        "database": database_settings(store),
        "codes": codes,
        "cases_per_code": {lvl: [counts[c] for c in cs] for lvl, cs in codes.items()},
        "search_name": name,
        "queries": table,
        "goal_summary_breakdown_p95_under_50ms": goal | {"all": all(goal.values())},
        "explained": [explain(store, c) for c in slow],
    }


def render(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    if not console.is_terminal:
        console = Console(stderr=True, width=120)
    b = results["build"]
    console.print(
        f"built {b['cases']:,} cases / {b['events']:,} events in {b['total_s']} s "
        f"(templates {b['templates_s']} s, phases {b['phases_s']}); "
        f"rows {b['sizes']['rows']}"
    )
    table = Table(
        title=f"dashboard · {results['backend']} · {b['cases']:,} cases, {b['events']:,} events"
    )
    for column in ("level", "query", "p50 ms", "p95 ms", "max ms", "p50 ÷ baseline", "n"):
        table.add_column(column, justify="left" if column in ("level", "query") else "right")
    for level in LEVELS:
        for query, by_level in results["queries"].items():
            r = by_level[level]
            slow = r["p95_ms"] >= GOAL_MS
            table.add_row(
                level,
                query,
                f"{r['p50_ms']:.2f}",
                f"[red]{r['p95_ms']:.2f}[/red]" if slow else f"{r['p95_ms']:.2f}",
                f"{r['max_ms']:.1f}",
                f"{r['p50_ratio_to_baseline']:,.1f}",
                str(r["n"]),
                end_section=query == list(results["queries"])[-1],
            )
    console.print(table)
    goal = results["goal_summary_breakdown_p95_under_50ms"]
    console.print(f"summary and breakdown p95 < {GOAL_MS:.0f} ms: {goal}")
    for e in results["explained"]:
        console.print(
            f"[bold]{e['query']} @ {e['level']} {e['code']}[/bold]: slowest statement "
            f"{e['slowest_ms']} ms of {e['statements_ms']}\n  {e['slowest_sql']}\n  "
            + "\n  ".join(e["plan"])
        )


if __name__ == "__main__":
    sys.exit(main())
