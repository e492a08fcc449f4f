"""Five children, written through the API, whose every figure is worked out by hand in
the tests (today is 2026-11-29).

    A 王小明  village V1  grandparent → other relative (entrustment signed), visited 11-20
              (low risk: next due 2027-02-18), assigned to `director`, ID 36012420150302002X
    B 王大明  village V1  no guardian, identified 11-10 (next visit due 11-17: overdue),
              temporary guardianship opened 11-11, due 11-20 (overdue)
    C 李小红  village V2  grandparent, visited 09-01 (high risk, dropped out: due 09-08),
              mandatory report to the police opened 09-02, due 12-31
    D 张三丰  village V3 (another county)  visited 10-15 (next due 12-01), closed 11-01
    E 赵小燕  identified in V1, visited 11-25 (medium: due 12-25), moved to V2 on 11-26
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

import shared
from services.cases.bootstrap import CaseService
from services.cases.projections.division_rows import DivisionRow, read_csv
from services.cases.projections.divisions import import_divisions
from tests.support import GUARDIAN_CHANGE, VISIT, identify_body, login

V1, V2, V3 = "360124105203", "360124105204", "360121100201"
TOWNSHIP, COUNTY, CITY = V1[:9], V1[:6], V1[:4]
# The city's villages, one of them (桥头村) without a child: the breakdown still lists it.
VILLAGE_NAMES = {V1: "前坊村", V2: "后坊村", "360124105205": "桥头村", V3: "新联村"}
# The official divisions, province to township, that ship with CareLedger.
SHIPPED_DIVISIONS = Path(shared.__file__).parent / "data" / "jiangxi-jurisdictions.csv"


def import_city_divisions(service: CaseService) -> None:
    """The reference data a deployment loads: the shipped official divisions, then the
    names of the city's villages."""
    rows = read_csv(SHIPPED_DIVISIONS)
    rows += [
        DivisionRow(len(rows) + n, code, name)
        for n, (code, name) in enumerate(VILLAGE_NAMES.items(), start=2)
    ]
    import_divisions(service.read_models.store, rows)


ID_NUMBER = "36012420150302002X"


@dataclass(frozen=True)
class SmallCity:
    """The ids of the five cases, and the last write's log position."""

    ids: dict[str, str]
    position: int


def _child(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "sex": "female",
        "birth_date": "2015-03-02",
        "hukou_registered": True,
        "school": {"name": "前坊小学", "grade": "3", "status": "enrolled"},
        **extra,
    }


def _guardian(kind: str) -> dict[str, Any]:
    if kind == "none":
        return {"type": "none"}
    return {"type": kind, "name": "李秀英", "relation": "grandmother", "capacity": "able"}


def build_small_city(client: FlaskClient) -> SmallCity:
    """Writes the five cases as `civil_city`; every write must succeed."""
    civil = login(client, "civil_city")
    position = 0

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        nonlocal position
        answer = client.post(path, json=body, headers=civil)
        assert answer.status_code in (200, 201), (path, answer.json)
        position = int(answer.headers["X-Log-Position"])
        return dict(answer.json)  # type: ignore[arg-type]

    def identify(name: str, village: str, guardian: str, on: str, **child: Any) -> str:
        body = identify_body(
            child=_child(name, **child),
            guardian=_guardian(guardian),
            address={"jurisdiction": village, "detail": "一组"},
            identified_on=on,
        )
        return str(post("/api/v1/cases", body)["id"])

    def visit(case: str, on: str, risk: str, **extra: Any) -> None:
        post(f"/api/v1/cases/{case}/visits", VISIT | {"visited_on": on, "risk_level": risk} | extra)

    def intervene(case: str, kind: str, department: str, opened: str, due: str) -> None:
        post(
            f"/api/v1/cases/{case}/interventions",
            {
                "kind": kind,
                "department": department,
                "urgency": "urgent",
                "description": "处置",
                "opened_on": opened,
                "due_by": due,
            },
        )

    a = identify("王小明", V1, "grandparent", "2026-03-01", id_number=ID_NUMBER)
    post(f"/api/v1/cases/{a}/guardian-changes", GUARDIAN_CHANGE)
    visit(a, "2026-11-20", "low")
    post(f"/api/v1/cases/{a}/assignment", {"assignee": "director"})
    b = identify("王大明", V1, "none", "2026-11-10")
    intervene(b, "temporary_guardianship", "civil_affairs", "2026-11-11", "2026-11-20")
    c = identify("李小红", V2, "grandparent", "2026-06-01")
    visit(c, "2026-09-01", "high", school_attendance="dropped_out")
    intervene(c, "mandatory_report", "police", "2026-09-02", "2026-12-31")
    d = identify("张三丰", V3, "grandparent", "2026-04-01")
    visit(d, "2026-10-15", "medium", next_visit_due="2026-12-01")
    post(f"/api/v1/cases/{d}/closure", {"reason": "parents_returned", "closed_on": "2026-11-01"})
    e = identify("赵小燕", V1, "grandparent", "2026-02-01")
    visit(e, "2026-11-25", "medium")
    post(
        f"/api/v1/cases/{e}/transfer",
        {"jurisdiction": V2, "reason": "举家搬迁", "transferred_on": "2026-11-26"},
    )
    return SmallCity({"A": a, "B": b, "C": c, "D": d, "E": e}, position)
