"""User administration (admins only; no case data)."""

from __future__ import annotations

from typing import Any

from shared.jurisdictions import in_scope
from shared.roles import Capability, Role

from ..access import require
from ..accounts import list_usernames
from ..domain.user import User
from .blueprint import Blueprint
from .http import actor, service
from .schemas import NewUserSchema, UserSchema

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Users and roles")


def _view(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role,
        "scope": user.scope,
        "display_name": user.display_name,
        "email": user.email,
        "disabled": user.disabled,
    }


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
    return _view(user), 201, {"Location": f"/api/v1/admin/users/{user.username}"}


@blp.route("/users", methods=["GET"])
@blp.response(200, UserSchema(many=True))
def list_users() -> Any:
    """The users inside the admin's scope"""
    require(actor(), Capability.MANAGE_USERS)
    accounts = service().accounts
    users = [accounts.get(name) for name in list_usernames(accounts.cases)]
    return [_view(u) for u in users if in_scope(u.scope, actor().scope)]


@blp.route("/users/<string:username>/disable", methods=["POST"])
@blp.response(200, UserSchema)
def disable_user(username: str) -> Any:
    """Disable a user: every token they hold stops working at once"""
    accounts = service().accounts
    user = accounts.get(username)
    accounts.require_admin_over(actor(), user)
    user.disable(actor().as_event_data())
    accounts.cases.save(user)
    return _view(user)
