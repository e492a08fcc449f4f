"""User administration (admins; no case data). An account that reads case data is a
request until a civil-affairs lead approves it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import jsonify

from shared.roles import Role

from ..domain.user import User
from .blueprint import Blueprint
from .http import actor, service
from .presenters import user_request_view, user_row_view, user_view
from .reads import served_headers
from .schemas import NewUserSchema, UserRequestSchema, UserSchema

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Users and roles")


@blp.route("/users", methods=["POST"])
@blp.arguments(NewUserSchema)
@blp.response(201, UserSchema)
@blp.alt_response(202, schema=UserRequestSchema, description="Waiting for approval")
def add_user(body: dict[str, Any]) -> Any:
    """Create a user, or request one who reads case data (a civil-affairs lead approves)"""
    added = service().accounts.add(
        actor(),
        username=body["username"],
        role=Role(body["role"]),
        scope=body["scope"],
        password=body["password"],
        display_name=body["display_name"],
        email=body["email"],
    )
    if not isinstance(added, User):
        location = f"/api/v1/admin/user-requests/{added.id}"
        # A Response of its own: the decorator's schema is the 201's.
        answer = jsonify(UserRequestSchema().dump(user_request_view(added)))
        return answer, 202, {"Location": location}
    return user_view(added), 201, {"Location": f"/api/v1/admin/users/{added.username}"}


@blp.route("/users", methods=["GET"])
@blp.response(200, UserSchema(many=True))
def list_users() -> Any:
    """The users inside the admin's scope"""
    served = service().accounts.list_users(actor())
    return [user_row_view(u) for u in served.value], 200, served_headers(served)


@blp.route("/users/<string:username>/disable", methods=["POST"])
@blp.response(200, UserSchema)
def disable_user(username: str) -> Any:
    """Disable a user: every token they hold stops working at once"""
    return user_view(service().accounts.disable(actor(), username))


@blp.route("/user-requests/<uuid:request_id>", methods=["GET"])
@blp.response(200, UserRequestSchema)
def get_user_request(request_id: UUID) -> Any:
    """A request for an account, for the admins and the civil-affairs leads over it"""
    return user_request_view(service().accounts.get_request(actor(), request_id))


@blp.route("/user-requests/<uuid:request_id>/approve", methods=["POST"])
@blp.response(200, UserRequestSchema)
def approve_user_request(request_id: UUID) -> Any:
    """Approve an admin's request (civil-affairs leads; never the one who asked)"""
    return user_request_view(service().accounts.approve(actor(), request_id))


@blp.route("/user-requests/<uuid:request_id>/reject", methods=["POST"])
@blp.response(200, UserRequestSchema)
def reject_user_request(request_id: UUID) -> Any:
    """Reject an admin's request: no account is made"""
    return user_request_view(service().accounts.reject(actor(), request_id))
