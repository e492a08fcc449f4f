"""Division names are reference data a deployment loads (`careledger divisions import`):
a good file is stored, a file with any bad row stores nothing, the same file twice
changes nothing, and the dashboard shows the names it was given, or else the codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from services.cases.projections.division_rows import DivisionsRefusedError, read_csv
from services.cases.projections.divisions import ImportSummary, import_divisions
from services.cli import main
from services.notify.bootstrap import build_notify
from shared.settings import Settings
from tests.integration.small_city import SHIPPED_DIVISIONS, TOWNSHIP, V1, V2, V3, build_small_city
from tests.support import caught_up, login

GOOD = (
    "code,name\n"
    "360000000000,江西省\n"
    "3601,南昌市\n"
    "360124000000,进贤县\n"
    "360124105000,张公镇\n"
    "360124105203,前坊村\n"
)
STORED = {
    "36": "江西省",
    "3601": "南昌市",
    "360124": "进贤县",
    "360124105": "张公镇",
    "360124105203": "前坊村",
}


def csv_file(tmp_path: Path, text: str, name: str = "divisions.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def stored(service: CaseService) -> dict[str, str]:
    rows = service.read_models.store.read(lambda tx: tx.rows("SELECT code, name FROM {divisions}"))
    return {row["code"]: row["name"] for row in rows}


def imported(service: CaseService, path: Path) -> ImportSummary:
    return import_divisions(service.read_models.store, read_csv(path))


def test_a_good_file_is_stored_with_every_code_as_its_scope_prefix(
    service: CaseService, tmp_path: Path
) -> None:
    summary = imported(service, csv_file(tmp_path, GOOD))

    assert summary == ImportSummary(added=5, renamed=0, unchanged=0)
    assert stored(service) == STORED


def test_the_shipped_official_divisions_import_cleanly(
    service: CaseService,
) -> None:
    summary = imported(service, SHIPPED_DIVISIONS)

    assert summary.added == 1 + 11 + 100 + 1767 and summary.renamed == 0
    assert stored(service)["360124105"] == "张公镇"


def test_a_file_with_a_bad_row_is_refused_and_nothing_of_it_is_written(
    service: CaseService, tmp_path: Path
) -> None:
    # given a store that already holds the good file
    imported(service, csv_file(tmp_path, GOOD))
    bad = csv_file(
        tmp_path,
        "code,name\n"
        "360124000000,进贤县（改）\n"  # a good rename, refused with the rest
        "360124105204,后坊村\n"  # a good new village, refused with the rest
        "36012410520X,坏码村\n"
        "360124105205,\n",
        "bad.csv",
    )
    # when
    with pytest.raises(DivisionsRefusedError) as refused:
        imported(service, bad)
    # then
    assert [(p.row, p.reason.split(" ")[0]) for p in refused.value.problems] == [
        (4, "code"),
        (5, "code"),
    ]
    assert "36012410520X" in refused.value.problems[0].reason
    assert refused.value.problems[1].reason == "code 360124105205 has no name"
    assert stored(service) == STORED


def test_importing_the_same_file_twice_changes_nothing(
    service: CaseService, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, GOOD)
    imported(service, path)

    again = imported(service, path)

    assert again == ImportSummary(added=0, renamed=0, unchanged=5)
    assert stored(service) == STORED


def test_a_reimport_with_a_changed_name_updates_it_and_keeps_codes_left_out(
    service: CaseService, tmp_path: Path
) -> None:
    imported(service, csv_file(tmp_path, GOOD))

    summary = imported(service, csv_file(tmp_path, "code,name\n360124105203,前坊新村\n", "v2.csv"))

    assert summary == ImportSummary(added=0, renamed=1, unchanged=0)
    assert stored(service) == STORED | {"360124105203": "前坊新村"}


def test_the_dashboard_shows_imported_names_and_an_unknown_code_as_its_code(
    client: FlaskClient, service: CaseService, tmp_path: Path
) -> None:
    # given the small city, whose village V2 and a quiet village are named only later
    build_small_city(client)
    caught_up(service)
    imported(service, csv_file(tmp_path, GOOD))
    civil = login(client, "civil_city")

    def breakdown() -> dict[str, str]:
        answer = client.get(
            "/api/v1/dashboard/breakdown", query_string={"scope": TOWNSHIP}, headers=civil
        )
        assert answer.status_code == 200, answer.json
        assert answer.json is not None and answer.json["name"] == "张公镇"
        return {row["code"]: row["name"] for row in answer.json["rows"]}

    # then
    assert breakdown() == {V1: "前坊村", V2: V2}
    # when the deployment loads the other villages' names
    imported(service, csv_file(tmp_path, f"code,name\n{V2},后坊村\n360124105205,桥头村\n", "2.csv"))
    # then the dashboard names them, and lists the village that has no child yet
    assert breakdown() == {V1: "前坊村", V2: "后坊村", "360124105205": "桥头村"}
    # and a county that no file named shows as its code
    other = client.get("/api/v1/dashboard/summary", query_string={"scope": V3[:6]}, headers=civil)
    assert other.json is not None and (other.json["code"], other.json["name"]) == (V3[:6], V3[:6])


def test_the_import_command_reports_what_it_changed_and_lists_bad_rows(
    settings: Settings, service: CaseService, tmp_path: Path
) -> None:
    env = {
        "CARELEDGER_DATA_DIR": str(settings.data_dir),
        "CARELEDGER_DATABASE_URL": settings.database_url,
        "CARELEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        "CARELEDGER_CIPHER_KEY": settings.cipher_key,
        "CARELEDGER_TOKEN_SECRET": settings.token_secret,
    }
    good, bad = csv_file(tmp_path, GOOD), csv_file(tmp_path, "code,name\n3601,\n", "bad.csv")

    first = CliRunner().invoke(main, ["divisions", "import", str(good)], env=env)
    second = CliRunner().invoke(main, ["divisions", "import", str(good)], env=env)
    refused = CliRunner().invoke(main, ["divisions", "import", str(bad)], env=env)

    assert (first.exit_code, first.stdout) == (
        0,
        "divisions imported added=5 renamed=0 unchanged=0\n",
    )
    assert "added=0 renamed=0 unchanged=5" in second.stdout
    assert refused.exit_code == 1
    assert f"{bad}: row 2: code 3601 has no name" in refused.stderr
    assert "nothing imported: 1 bad row(s)" in refused.stderr
    assert stored(service) == STORED
    # and notify's database has the same names, for the places notifications name
    notify = build_notify(settings)
    try:
        with notify.db.transaction(write=False) as tx:
            names = {r["code"]: r["name"] for r in tx.all("SELECT code, name FROM place_names")}
    finally:
        notify.close()
    assert names == dict(STORED)
