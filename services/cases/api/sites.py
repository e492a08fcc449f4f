"""Care sites (关爱保护场所) and the yearly plan of new ones: register a site, move it
through its life, set a plan; list the sites, read one, and the sites' figures."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from marshmallow import RAISE, Schema, fields, validate

from shared import vocabulary as v

from ..domain.site import Site, SitePlan
from ..sites import Written
from .blueprint import Blueprint
from .http import actor, expected_version, idempotency_key, service
from .read_schemas import _as_of, _min_position, _scope
from .reads import served_headers
from .schemas import IsoDate, Strict, _domain_term, _domain_text

blp = Blueprint(
    "sites",
    __name__,
    url_prefix="/api/v1",
    description="Care sites (关爱保护场所), their yearly plans and their figures",
)


class StaffSchema(Strict):
    name = _domain_text(50)
    phone = fields.String(required=True, metadata={"maxLength": 20})


class SiteCreateSchema(Strict):
    name = _domain_text(100)
    kind = _domain_term(v.SITE_KINDS, required=True)
    jurisdiction = fields.String(
        required=True, metadata={"description": "The village's 12-digit code (a known one)."}
    )
    # Checked by the domain (a positive whole number), which names the field.
    capacity = fields.Raw(required=True, metadata={"type": "integer", "minimum": 1})
    staff = fields.Raw(required=True, metadata={"description": "The staff contact: name, phone."})
    opening_hours = _domain_text(200)


class SiteSchema(Schema):
    id = fields.String()
    version = fields.Integer()
    name = fields.String()
    kind = fields.String()
    jurisdiction = fields.String()
    capacity = fields.Integer()
    staff = fields.Dict()
    opening_hours = fields.String()
    status = fields.String()
    built_on = fields.String(allow_none=True)
    opened_on = fields.String(allow_none=True)
    closed_on = fields.String(allow_none=True)
    created_at = fields.String()
    modified_at = fields.String()


class TransitionSchema(Strict):
    status = _domain_term(tuple(v.SITE_MOVES), required=True)
    changed_on = IsoDate(required=True)


class SiteListQuerySchema(Strict):
    jurisdiction = _scope()
    status = fields.String(validate=validate.OneOf(v.SITE_STATUSES))
    kind = fields.String(validate=validate.OneOf(v.SITE_KINDS))
    as_of = _as_of()  # the day each site's children served are counted for
    min_position = _min_position()


class SiteListSchema(Schema):
    scope = fields.String()
    items = fields.List(fields.Dict())


class FiguresQuerySchema(Strict):
    scope = _scope()
    as_of = _as_of()
    year = fields.Integer(
        validate=validate.Range(2000, 2100),
        metadata={"description": "The plan's year (default: as_of's)."},
    )
    min_position = _min_position()


class FiguresSchema(Schema):
    code = fields.String()
    level = fields.String()
    name = fields.String()
    as_of = fields.String()
    sites = fields.Dict()
    capacity_open = fields.Integer()
    children_served = fields.Integer()
    villages = fields.Dict()
    plan = fields.Dict()
    rows = fields.List(fields.Dict())


class PlanBodySchema(Strict):
    # Checked by the domain (a positive whole number), which names the field.
    target = fields.Raw(required=True, metadata={"type": "integer", "minimum": 1})


class PlanSchema(Schema):
    id = fields.String()
    version = fields.Integer()
    jurisdiction = fields.String()
    year = fields.Integer()
    target = fields.Integer()
    built = fields.Integer(allow_none=True)
    share = fields.Float(allow_none=True)


# ---- sites -------------------------------------------------------------------------------


@blp.route("/sites", methods=["POST"])
@blp.arguments(SiteCreateSchema)
@blp.response(201, SiteSchema)
def register_site(details: dict[str, Any]) -> Any:
    """Register a care site (planned) in a known village of the caller's scope"""
    return _answer(service().sites.register(actor(), details, idempotency_key()))


@blp.route("/sites", methods=["GET"])
@blp.arguments(SiteListQuerySchema, location="query", unknown=RAISE)
@blp.response(200, SiteListSchema)
def list_sites(query: dict[str, Any]) -> Any:
    """The care sites in the scope, each with the children it serves (read models)"""
    given = query.get("as_of")
    served = service().read_models.sites(
        actor(),
        query.get("jurisdiction"),
        status=query.get("status"),
        kind=query.get("kind"),
        as_of=date.fromisoformat(given) if given else service().cases.clock.today(),
        min_position=query.get("min_position"),
    )
    return served.value, 200, served_headers(served)


@blp.route("/sites/figures", methods=["GET"])
@blp.arguments(FiguresQuerySchema, location="query", unknown=RAISE)
@blp.response(200, FiguresSchema)
def site_figures(query: dict[str, Any]) -> Any:
    """Sites per jurisdiction, villages with and without a site, children served, and
    the year's plan against the sites built"""
    given = query.get("as_of")
    as_of = date.fromisoformat(given) if given else service().cases.clock.today()
    served = service().read_models.site_figures(
        actor(), query.get("scope"), as_of, query.get("year", as_of.year), query.get("min_position")
    )
    return served.value, 200, served_headers(served)


@blp.route("/sites/<uuid:site_id>", methods=["GET"])
@blp.response(200, SiteSchema)
def get_site(site_id: UUID) -> Any:
    """One care site, with its staff contact"""
    site = service().sites.get_site(actor(), site_id)
    return site_view(site), 200, {"ETag": f'"{site.version}"'}


@blp.route("/sites/<uuid:site_id>/transitions", methods=["POST"])
@blp.arguments(TransitionSchema)
@blp.response(200, SiteSchema)
def move_site(change: dict[str, Any], site_id: UUID) -> Any:
    """Move a site one step in its life: planned → built → open → closed"""
    return _answer(
        service().sites.move(actor(), site_id, change, expected_version(), idempotency_key())
    )


# ---- plans -------------------------------------------------------------------------------


@blp.route("/site-plans/<string:jurisdiction>/<int:year>", methods=["PUT"])
@blp.arguments(PlanBodySchema)
@blp.response(200, PlanSchema)
def set_plan(body: dict[str, Any], jurisdiction: str, year: int) -> Any:
    """Set how many new sites the jurisdiction plans to build in the year"""
    written = service().sites.set_plan(
        actor(), jurisdiction, year, body["target"], expected_version(), idempotency_key()
    )
    return _answer(written)


@blp.route("/site-plans/<string:jurisdiction>/<int:year>", methods=["GET"])
@blp.response(200, PlanSchema)
def get_plan(jurisdiction: str, year: int) -> Any:
    """A jurisdiction's plan for a year, and the sites built in that year so far"""
    plan = service().sites.get_plan(actor(), jurisdiction, year)
    today = service().cases.clock.today()
    served = service().read_models.site_figures(actor(), jurisdiction, today, year)
    progress = served.value["plan"]
    body = plan_view(plan) | {"built": progress["built"], "share": progress["share"]}
    return body, 200, {"ETag": f'"{plan.version}"'} | served_headers(served)


# ---- views -------------------------------------------------------------------------------


def site_view(site: Site) -> dict[str, Any]:
    """A site as the API shows it."""
    return {
        "id": str(site.id),
        "version": site.version,
        "name": site.name,
        "kind": site.kind,
        "jurisdiction": site.jurisdiction,
        "capacity": site.capacity,
        "staff": dict(site.staff),
        "opening_hours": site.opening_hours,
        "status": site.status,
        "built_on": site.dates.get("built_on"),
        "opened_on": site.dates.get("opened_on"),
        "closed_on": site.dates.get("closed_on"),
        "created_at": site.created_on.isoformat(),
        "modified_at": site.modified_on.isoformat(),
    }


def plan_view(plan: SitePlan) -> dict[str, Any]:
    """A plan as the API shows it."""
    return {
        "id": str(plan.id),
        "version": plan.version,
        "jurisdiction": plan.jurisdiction,
        "year": plan.year,
        "target": plan.target,
    }


def _answer(written: Written) -> tuple[dict[str, Any], int, dict[str, str]]:
    found = written.aggregate
    headers = {"ETag": f'"{found.version}"'}
    if isinstance(found, Site):
        body = site_view(found)
        if written.status == 201:
            headers["Location"] = f"/api/v1/sites/{found.id}"
    else:
        body = plan_view(found)
    if written.replayed:
        headers["Idempotent-Replayed"] = "true"
    if written.position is not None:
        headers["X-Log-Position"] = str(written.position)
    return body, written.status, headers
