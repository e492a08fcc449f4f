"""The demo city's users: a child director per village, a supervisor per township, the
county departments, the city's civil affairs, an auditor and an admin.

The users people log in with (`director`, `supervisor`, `civil`…) are the staff of one
chain — a village of 进贤县, its township, its county — so what they see fits together.
Every other user of a role shares that role's password, so seeding hashes nine passwords,
not three hundred (Argon2 costs about 50 ms a hash on purpose).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from rich.console import Console
from rich.table import Table

from shared.jurisdictions import divisions
from shared.roles import Role

from ..domain.user import User
from .places import CITY, COUNTIES, place_name, townships, villages

Json = dict[str, Any]

DEMO_VILLAGE = "360124105200"  # a village of 张公镇, 进贤县
DEMO_TOWNSHIP = DEMO_VILLAGE[:9]
DEMO_COUNTY = DEMO_VILLAGE[:6]
REQUEST_ID = "demo-seed"

# One fixed password per role, printed by `careledger demo`: this is demo data only.
PASSWORDS: dict[Role, str] = {
    Role.CHILD_DIRECTOR: "demo-director-2026",
    Role.CHILD_SUPERVISOR: "demo-supervisor-2026",
    Role.CIVIL_AFFAIRS: "demo-civil-2026",
    Role.EDUCATION: "demo-education-2026",
    Role.POLICE: "demo-police-2026",
    Role.HEALTH: "demo-health-2026",
    Role.WOMENS_FEDERATION: "demo-womens-2026",
    Role.AUDITOR: "demo-auditor-2026",
    Role.ADMIN: "demo-admin-2026",
}
# The county departments, with the username prefix and the office's Chinese name.
COUNTY_ROLES: dict[Role, tuple[str, str]] = {
    Role.CIVIL_AFFAIRS: ("civil", "民政局"),
    Role.EDUCATION: ("education", "教育体育局"),
    Role.POLICE: ("police", "公安局"),
    Role.HEALTH: ("health", "卫生健康委员会"),
    Role.WOMENS_FEDERATION: ("womens", "妇女联合会"),
}


# The users people log in with, in the order they are printed.
LOGIN_USERNAMES = (
    "director",
    "supervisor",
    "civil",
    "civil-city",
    "education",
    "police",
    "health",
    "womens",
    "auditor",
    "admin",
)


@dataclass(frozen=True)
class DemoUser:
    """One user of the demo city."""

    username: str
    role: Role
    scope: str
    display_name: str

    @property
    def password(self) -> str:
        """The demo password of the user's role."""
        return PASSWORDS[self.role]

    def actor(self) -> Json:
        """The actor every event this user records carries."""
        return {"username": self.username, "role": str(self.role), "request_id": REQUEST_ID}


def director_username(village: str) -> str:
    """The child director of a demo village."""
    return "director" if village == DEMO_VILLAGE else f"dir-{village}"


def supervisor_username(township: str) -> str:
    """The child supervisor of a demo township."""
    return "supervisor" if township == DEMO_TOWNSHIP else f"sup-{township}"


def county_username(role: Role, county: str) -> str:
    """The user of a county department (civil, education, police, health, womens)."""
    prefix = COUNTY_ROLES[role][0]
    return prefix if county == DEMO_COUNTY else f"{prefix}-{county}"


@cache
def all_users() -> dict[str, DemoUser]:
    """Every demo user by username: the login users first, then the other staff."""
    name = {code: d.name for code, d in divisions().items()}
    users = (
        [
            DemoUser(director_username(v.code), Role.CHILD_DIRECTOR, v.code, f"{v.name}儿童主任")
            for v in villages()
        ]
        + [
            DemoUser(supervisor_username(t), Role.CHILD_SUPERVISOR, t, f"{name[t]}儿童督导员")
            for t in townships()
        ]
        + [
            DemoUser(county_username(role, c), role, c, name[c] + office)
            for c in COUNTIES
            for role, (_, office) in COUNTY_ROLES.items()
        ]
        + [
            DemoUser("civil-city", Role.CIVIL_AFFAIRS, CITY, "南昌市民政局"),
            DemoUser("auditor", Role.AUDITOR, CITY, "南昌市纪检监察"),
            DemoUser("admin", Role.ADMIN, CITY, "系统管理员"),
        ]
    )
    by_name = {u.username: u for u in users}
    return {**{n: by_name[n] for n in LOGIN_USERNAMES}, **by_name}


def login_users() -> list[DemoUser]:
    """The users printed for people to log in with, one per role (civil affairs twice)."""
    users = all_users()
    return [users[name] for name in LOGIN_USERNAMES]


@cache
def actor(username: str) -> Json:
    """The event actor of a demo user (shared: events never change it)."""
    return all_users()[username].actor()


def user_aggregates(hasher: PasswordHasher, skip: set[str]) -> list[User]:
    """The User aggregates to save, one hash per role, leaving out usernames in `skip`."""
    hashes = {role: hasher.hash(password) for role, password in PASSWORDS.items()}
    by = actor("admin")
    return [
        User(
            username=u.username,
            role=str(u.role),
            scope=u.scope,
            display_name=u.display_name,
            password_hash=hashes[u.role],
            actor=by,
        )
        for u in all_users().values()
        if u.username not in skip
    ]


def print_demo_users(console: Console | None = None) -> None:
    """Prints the users to log in with: username, role, scope and place, password."""
    # Off a terminal (a log, a pipe) rich would wrap at 80 columns; keep rows whole.
    console = console or Console(width=None if Console().is_terminal else 160)
    table = Table(title="CareLedger demo users (南昌市)")
    for column in ("username", "role", "scope", "password"):
        table.add_column(column, no_wrap=True)
    for user in login_users():
        table.add_row(
            user.username, str(user.role), f"{user.scope} {place_name(user.scope)}", user.password
        )
    console.print(table)
    console.print(
        "The other villages' child directors are dir-<village code>, the other "
        "townships' supervisors sup-<township code>, the other counties' departments "
        "civil-, education-, police-, health- and womens-<county code>; each shares "
        "its role's password.",
        soft_wrap=True,
    )
