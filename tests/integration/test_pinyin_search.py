"""Search in the keyed-hash index by how a name is read: typed in pinyin, or written
with other characters read the same way; no reading is stored in clear."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from services.cases.projections.personal import PersonalData
from tests.support import IDENTIFY, caught_up, identify_body, json_of, login


def _names(client: FlaskClient, q: str) -> list[str]:
    response = client.get("/api/v1/cases", query_string={"q": q}, headers=login(client, "civil"))
    assert response.status_code == 200
    return sorted(item["child"]["name"] for item in json_of(response)["items"])


@pytest.fixture
def register(client: FlaskClient, service: CaseService) -> None:
    headers = login(client, "civil")
    for name in ("王小明", "汪明", "李晓红"):
        body = identify_body(child={**IDENTIFY["child"], "name": name})
        assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 201
    caught_up(service)


@pytest.mark.usefixtures("register")
@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("wangxiaoming", ["王小明"]),
        ("Wang Xiaoming", ["王小明"]),
        ("王晓明", ["王小明"]),  # the same name read the same way
        ("xiaoming", ["王小明"]),  # the given name, in pinyin
        ("wang", ["汪明", "王小明"]),  # a surname read wang, whichever character
        ("王", ["王小明"]),  # one character is itself: 王 is not 汪
        ("小明", ["王小明"]),
        ("lixiaohong", ["李晓红"]),
        ("xiao", []),  # the middle of a name, as for characters
    ],
)
def test_a_name_is_found_by_how_it_is_read(client: FlaskClient, q: str, found: list[str]) -> None:
    assert _names(client, q) == found


def test_no_reading_is_stored_in_clear() -> None:
    personal = PersonalData("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")

    tokens = personal.tokens("王小明", None)

    assert all(len(t) == 32 and int(t, 16) >= 0 for t in tokens)
    assert not any("wang" in t or "ming" in t for t in tokens)
    # Keyed: another key gives other tokens for the same name.
    other = PersonalData("ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=")
    assert not tokens & other.tokens("王小明", None)
