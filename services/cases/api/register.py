"""The register's spreadsheets: the survey import (supervisors and civil affairs), its
template, and the export of the register in scope (docs/register.md)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from marshmallow import RAISE, fields

from shared.http.problems import RequestError

from ..register.export import export_register
from ..register.lookalikes import register_lookalikes
from ..register.sheets import SheetError, read_sheet
from ..register.survey import import_survey
from ..register.workbooks import template_bytes
from .blueprint import Blueprint
from .http import actor, service
from .presenters import case_view
from .read_schemas import _min_position, _scope
from .schemas import Strict

# A township's survey sheet of some ten thousand rows is a few megabytes; the API's
# usual body limit (JSON bodies) is far smaller.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

blp = Blueprint(
    "register",
    __name__,
    url_prefix="/api/v1",
    description="The register's spreadsheets: survey import, template, export",
)


class ImportQuerySchema(Strict):
    dry_run = fields.Boolean(load_default=False)
    scope = _scope()


class ExportQuerySchema(Strict):
    scope = _scope()
    min_position = _min_position()


@blp.route("/imports/survey", methods=["POST"])
@blp.arguments(ImportQuerySchema, location="query", unknown=RAISE)
@blp.response(200, description="The report, row by row (a dry run writes nothing)")
def import_survey_sheet(query: dict[str, Any]) -> Any:
    """Import a survey sheet (multipart field `file`, .xlsx or .csv); `dry_run` writes
    nothing and reports what each row would do"""
    request.max_content_length = MAX_UPLOAD_BYTES
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise RequestError(422, "file", "send the spreadsheet as the multipart field `file`")
    try:
        sheet = read_sheet(upload.read(), upload.filename)
    except SheetError as error:
        raise RequestError(422, "file", str(error)) from None
    who = actor()
    report = import_survey(
        service().cases,
        who,
        sheet,
        scope=query.get("scope"),
        dry_run=query["dry_run"],
        lookalikes=register_lookalikes(service().read_models),
    )
    return report.to_json(), 200


@blp.route("/imports/survey/template", methods=["GET"])
@blp.response(200, description="The template (.xlsx)", content_type=_XLSX)
def survey_template() -> Any:
    """The survey sheet's template (.xlsx): the columns and their allowed values"""
    return _xlsx(template_bytes(), "survey-template.xlsx")


@blp.route("/register.xlsx", methods=["GET"])
@blp.arguments(ExportQuerySchema, location="query", unknown=RAISE)
@blp.response(200, description="The register in scope (.xlsx)", content_type=_XLSX)
def export_register_sheet(query: dict[str, Any]) -> Any:
    """The register in scope as .xlsx, the template's columns, as the caller's role may
    see them; every case exported is logged as read (purpose `export`)"""
    today = service().cases.clock.today()
    who = actor()
    done = export_register(
        service().cases,
        service().read_models,
        service().access_log,
        who,
        lambda case: case_view(case, today, who.role),
        scope=query.get("scope"),
        min_position=query.get("min_position"),
    )
    answer = _xlsx(done.content, f"register-{query.get('scope') or who.scope}-{today}.xlsx")
    answer.headers["X-Read-Model-Behind"] = "true" if done.behind else "false"
    answer.headers["X-Case-Count"] = str(done.cases)
    return answer


def _xlsx(content: bytes, filename: str) -> Response:
    answer = Response(content, mimetype=_XLSX)
    answer.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    answer.headers["Cache-Control"] = "no-store"  # children's records: no copies on the way
    return answer
