"""User administration (admins only; no case data)."""

from __future__ import annotations

from typing import Any

from shared.roles import Role

from .blueprint import Blueprint
from .http import actor, service
from .presenters import user_row_view, user_view
from .reads import served_headers
from .schemas import NewUserSchema, UserSchema

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Users and roles")


@blp.route("/users", methods=["POST"])
@blp.arguments(NewUserSchema)
@blp.response(201, UserSchema)
def add_user(body: dict[str, Any]) -> Any:
    """Create a user with a role over a jurisdiction prefix"""
    user = service().accounts.register(
        actor(),
        username=body["username"],
        role=Role(body["role"]),
        scope=body["scope"],
        password=body["password"],
        display_name=body["display_name"],
        email=body["email"],
    )
    return user_view(user), 201, {"Location": f"/api/v1/admin/users/{user.username}"}


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
