"""HTTP input and output schemas (marshmallow). Unknown fields are refused everywhere,
codes and dates are parsed strictly. These are not the stream contracts, which live in
shared/contracts.py.

What a child, a guardian, a parent, a visit or an intervention may hold (vocabulary
terms, lengths, phones, ID numbers, how the parts fit together) is the domain's to say
(services/cases/domain/values.py): their schemas here check the shape and the types, and
document the terms and lengths for OpenAPI without checking them a second time."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from shared import vocabulary as v
from shared.jurisdictions import is_scope, is_village_code
from shared.roles import Role


class Strict(Schema):
    """Refuses unknown fields."""

    class Meta:
        unknown = RAISE


# Only the calendar form: Python also reads week dates (2026-W09-7) as ISO dates.
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class IsoDate(fields.String):
    """A strict YYYY-MM-DD date, kept as its ISO string (events carry JSON primitives)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(metadata={"format": "date", "example": "2026-03-01"}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            if not _ISO_DATE.match(text):
                raise ValueError
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValidationError("Not a valid date of the form YYYY-MM-DD.") from None


def _term(vocabulary: tuple[str, ...], **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(vocabulary), **kwargs)


def _domain_term(vocabulary: tuple[str, ...], **kwargs: Any) -> fields.String:
    """A term the domain checks; listed here for the API's description only."""
    return fields.String(metadata={"enum": list(vocabulary)}, **kwargs)


def _domain_text(max_length: int, *, required: bool = True, **kwargs: Any) -> fields.String:
    """A bounded, non-blank text the domain checks; its bounds here describe it only."""
    return fields.String(
        required=required, metadata={"minLength": 1, "maxLength": max_length}, **kwargs
    )


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


def _text(max_length: int, *, required: bool = True, **kwargs: Any) -> fields.String:
    """A bounded text; when given at all, it must say something (optional ones may be null)."""
    return fields.String(
        required=required, validate=[validate.Length(1, max_length), _not_blank], **kwargs
    )


def _village_code(value: str) -> None:
    if not is_village_code(value):
        raise ValidationError("Must be a 12-digit village code (统计用区划代码).")


def _scope_code(value: str) -> None:
    if not is_scope(value):
        raise ValidationError("Must be a jurisdiction code of 2, 4, 6, 9 or 12 digits.")


def _phone_field() -> fields.String:
    return fields.String(load_default=None, allow_none=True, metadata={"maxLength": 20})


# ---- identification ---------------------------------------------------------------------


class SchoolSchema(Strict):
    name = _domain_text(100, required=False, load_default=None)
    grade = _domain_text(20, required=False, load_default=None)
    status = _domain_term(v.SCHOOL_STATUSES, required=True)


class ChildSchema(Strict):
    name = _domain_text(50)
    sex = _domain_term(v.SEXES, required=True)
    birth_date = IsoDate(required=True)
    id_number = fields.String(
        load_default=None, allow_none=True, metadata={"minLength": 18, "maxLength": 18}
    )
    hukou_registered = fields.Boolean(load_default=True)
    school = fields.Nested(SchoolSchema, load_default=None, allow_none=True)
    health = _domain_text(500, required=False, load_default=None, allow_none=True)
    disability = _domain_text(200, required=False, load_default=None, allow_none=True)


class AddressSchema(Strict):
    jurisdiction = fields.String(required=True, validate=_village_code)
    detail = _domain_text(200)


class ParentSchema(Strict):
    relation = _domain_term(v.PARENT_RELATIONS, required=True)
    status = _domain_term(v.PARENT_STATUSES, required=True)
    work_location = _domain_text(100, required=False, load_default=None, allow_none=True)
    phone = _phone_field()


class GuardianSchema(Strict):
    type = _domain_term(v.GUARDIAN_TYPES, required=True)
    name = _domain_text(50, required=False, load_default=None, allow_none=True)
    relation = _domain_text(30, required=False, load_default=None, allow_none=True)
    phone = _phone_field()
    capacity = _domain_term(v.CAPACITIES, load_default=None, allow_none=True)


class IdentifySchema(Strict):
    child = fields.Nested(ChildSchema, required=True)
    address = fields.Nested(AddressSchema, required=True)
    parents = fields.List(
        fields.Nested(ParentSchema), required=True, metadata={"minItems": 1, "maxItems": 2}
    )
    guardian = fields.Nested(GuardianSchema, required=True)
    source = _domain_term(v.SOURCES, required=True)
    identified_on = IsoDate(required=True)


# ---- work on a case -----------------------------------------------------------------------


class VisitSchema(Strict):
    visited_on = IsoDate(required=True)
    mode = _domain_term(v.VISIT_MODES, required=True)
    guardian_present = fields.Boolean(required=True)
    living_conditions = _domain_term(v.LIVING_CONDITIONS, required=True)
    school_attendance = _domain_term(v.SCHOOL_ATTENDANCE, required=True)
    emotional_state = _domain_term(v.EMOTIONAL_STATES, required=True)
    safety_concerns = fields.List(
        _domain_term(v.SAFETY_CONCERNS),
        load_default=list,
        metadata={"maxItems": len(v.SAFETY_CONCERNS), "uniqueItems": True},
    )
    risk_level = _domain_term(v.RISK_LEVELS, required=True)
    notes = _domain_text(2000, required=False, load_default=None, allow_none=True)
    next_visit_due = IsoDate(load_default=None, allow_none=True)
    # Not loaded when absent: visits without a site are stored as before.
    site_id = fields.String(
        allow_none=True,
        metadata={"format": "uuid", "description": "The care site the visit took place at."},
    )


class GuardianChangeSchema(Strict):
    guardian = fields.Nested(GuardianSchema, required=True)
    reason = _domain_text(500)
    effective_on = IsoDate(required=True)
    entrustment_signed_on = IsoDate(load_default=None, allow_none=True)


class InterventionSchema(Strict):
    kind = _domain_term(v.INTERVENTION_KINDS, required=True)
    department = _domain_term(v.DEPARTMENTS, required=True)
    urgency = _domain_term(v.URGENCIES, required=True)
    description = _domain_text(2000)
    opened_on = IsoDate(required=True)
    due_by = IsoDate(load_default=None, allow_none=True)


class ProgressSchema(Strict):
    note = _domain_text(2000)
    progressed_on = IsoDate(required=True)


class InterventionClosureSchema(Strict):
    outcome = _domain_text(2000)
    closed_on = IsoDate(required=True)


class AssignmentSchema(Strict):
    assignee = _text(64)


class TransferSchema(Strict):
    jurisdiction = fields.String(required=True, validate=_village_code)
    address_detail = _domain_text(200, required=False, load_default=None, allow_none=True)
    reason = _domain_text(500)
    transferred_on = IsoDate(required=True)


class ClosureSchema(Strict):
    reason = _domain_term(v.CLOSURE_REASONS, required=True)
    closed_on = IsoDate(required=True)
    note = _domain_text(500, required=False, load_default=None, allow_none=True)


class ReopeningSchema(Strict):
    reason = _domain_text(500)
    reopened_on = IsoDate(required=True)


class ErasureRequestSchema(Strict):
    basis = _domain_term(v.ERASURE_BASES, required=True)
    reason = _domain_text(500)


class ErasureDeclineSchema(Strict):
    reason = _domain_text(500)


class CorrectionSchema(Strict):
    field = _text(100)
    value = fields.Raw(required=True, allow_none=True)
    reason = _text(500)

    @validates_schema
    def _small_value(self, data: dict[str, Any], **_: Any) -> None:
        value = data.get("value")
        if value is not None and not isinstance(value, str | bool | int):
            raise ValidationError("Must be a text, a number, true/false or null.", "value")
        if isinstance(value, str) and len(value) > 500:
            raise ValidationError("Must be at most 500 characters.", "value")


# ---- queries --------------------------------------------------------------------------


class CaseQuerySchema(Strict):
    version = fields.Integer(validate=validate.Range(min=1))
    as_of = fields.AwareDateTime()
    purpose = _text(100, required=False)

    @validates_schema
    def _one_point_in_time(self, data: dict[str, Any], **_: Any) -> None:
        if "version" in data and "as_of" in data:
            raise ValidationError("Give version or as_of, not both.", "as_of")


class HistoryQuerySchema(Strict):
    purpose = _text(100, required=False)


# ---- answers --------------------------------------------------------------------------


class CaseSchema(Schema):
    """A case as it stands (now, or at the version or instant asked for)."""

    id = fields.String()
    version = fields.Integer()
    status = fields.String()
    jurisdiction = fields.String()
    child = fields.Dict()
    address = fields.Dict()
    parents = fields.List(fields.Dict())
    guardian = fields.Dict()
    guardian_type = fields.String()
    guardian_since = fields.String()
    entrustment_signed = fields.Boolean()
    entrustment_signed_on = fields.String(allow_none=True)
    source = fields.String()
    identified_on = fields.String()
    risk_level = fields.String(allow_none=True)
    last_visit_on = fields.String(allow_none=True)
    next_visit_due = fields.String()
    visit_overdue = fields.Boolean()
    school_status = fields.String()
    sixteenth_birthday = fields.String(allow_none=True)
    assigned_to = fields.String(allow_none=True)
    site_id = fields.String(
        allow_none=True, metadata={"description": "The care site the child attends, if any."}
    )
    closure = fields.Dict(allow_none=True)
    visit_count = fields.Integer()
    recent_visits = fields.List(
        fields.Dict(),
        metadata={
            "description": "The latest visits by date (at most 5); the history has them all."
        },
    )
    interventions = fields.List(fields.Dict())
    open_interventions = fields.Integer()
    has_mandatory_report = fields.Boolean()
    corrections = fields.List(fields.Dict())
    review = fields.Dict(
        allow_none=True,
        metadata={
            "description": "The latest review (复核): status pending, returned or confirmed, "
            "submission, subject (identification or change), key_facts of a change, since, "
            "submitted_by, comment when returned; null when never reviewed (the case counts)."
        },
    )
    created_at = fields.String()
    modified_at = fields.String()
    intervention_id = fields.String(allow_none=True)
    erasure_request = fields.Dict(
        allow_none=True,
        metadata={"description": "An erasure asked for and waiting for a second person."},
    )
    likely_duplicates = fields.List(
        fields.String(),
        metadata={
            "description": "The cases this one holds an open likely-duplicate flag for: "
            "merge, or dismiss the flag (supervisors, civil affairs)."
        },
    )
    erasure = fields.Dict(
        allow_none=True,
        metadata={
            "description": "When, on what ground and by whom the child's personal data was "
            "erased: its personal fields are then null."
        },
    )


class HistoryEventSchema(Schema):
    type = fields.String()
    version = fields.Integer()
    occurred_at = fields.String()
    actor = fields.Dict()
    jurisdiction = fields.String()
    data = fields.Dict()


class HistorySchema(Schema):
    case_id = fields.String()
    events = fields.List(fields.Nested(HistoryEventSchema))


# ---- users and tokens -----------------------------------------------------------------


class LoginSchema(Strict):
    username = _text(64)
    password = _text(128)


class UserSchema(Schema):
    username = fields.String()
    role = fields.String()
    scope = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    disabled = fields.Boolean()


class RefreshSchema(Strict):
    refresh_token = fields.String(required=True, validate=validate.Length(1, 4096))


class UserRequestSchema(Schema):
    id = fields.UUID()
    username = fields.String()
    role = fields.String()
    scope = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    status = fields.String()
    requested_by = fields.String()
    decided_by = fields.String(allow_none=True)


class SessionUserSchema(UserSchema):
    # What the role may do (shared/roles.py), so a client shows only the actions it may take.
    capabilities = fields.List(fields.String())
    # The worklists the role may read (services/cases/projections/read_models.py).
    worklists = fields.List(fields.String())


class TokenSchema(Schema):
    token = fields.String()
    expires_at = fields.String()
    expires_in = fields.Integer()
    refresh_token = fields.String()
    refresh_expires_at = fields.String()
    device_key = fields.String(
        metadata={
            "description": "wraps the web app's on-device encryption key (256 bits, base64url)"
        }
    )
    user = fields.Nested(SessionUserSchema)


class TokenCheckSchema(Schema):
    username = fields.String()
    role = fields.String()
    scope = fields.String()
    token_id = fields.String()
    session_id = fields.String()
    expires_at = fields.String()


class NewUserSchema(Strict):
    username = fields.String(
        required=True,
        validate=[
            validate.Length(3, 64),
            validate.Regexp(
                r"^[a-z0-9][a-z0-9_.-]*$",
                error="Lower-case letters, digits, '.', '_' and '-' only.",
            ),
        ],
    )
    password = fields.String(required=True, validate=validate.Length(10, 128))
    role = _term(tuple(r.value for r in Role), required=True)
    scope = fields.String(required=True, validate=_scope_code)
    display_name = _text(50, required=False, load_default="")
    # Optional: where the notify service e-mails this user's notifications.
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))


class AccessLogQuerySchema(Strict):
    case_id = fields.UUID()
    username = _text(64, required=False)
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AuditVerifyQuerySchema(Strict):
    scope = fields.String(validate=validate.Regexp(r"^[0-9]{2,12}$", error="a division code"))


class AccessEntrySchema(Schema):
    at = fields.String()
    username = fields.String()
    role = fields.String()
    case_id = fields.String()
    jurisdiction = fields.String()
    purpose = fields.String()
    request_id = fields.String()
