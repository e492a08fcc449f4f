"""Users, passwords and bearer tokens.

Passwords are hashed with Argon2id; tokens are signed JWTs (shared/tokens.py) that the
notify service verifies too. A login is a session: a refresh token (hours) that buys
short access tokens (minutes). A token stops working when it expires, when its session
is revoked (logout), when its user is disabled, or when the password it was issued under
changes; a user's role and scope are read afresh on every request, so a change takes
effect at once. Notify asks here whether a token still holds (GET /api/v1/auth/token).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import cast
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic
from marshmallow import ValidationError
from marshmallow.validate import Email

from shared.jurisdictions import in_scope, is_scope
from shared.roles import Capability, Role, can, reads_case_data
from shared.tokens import (
    InvalidTokenError,
    IssuedToken,
    TokenClaims,
    issue_token,
    verify_token,
)

from .access import Actor, ForbiddenError, require, require_in_scope
from .application import Cases

# Raised by the assignment use case (Cases.assign), which reads users itself; named here
# too because the HTTP error table imports the user errors from this module.
from .application import InvalidAssigneeError as InvalidAssigneeError
from .domain.user import User, user_id
from .domain.user_request import RequestDecidedError, UserRequest
from .login_throttle import HashingSlots, LoginThrottle
from .projections.read_models import ReadModels, Served
from .projections.users import UserRow


class AuthenticationError(Exception):
    """Raised when a login or a token is refused (the reason is never more specific)."""


class UserExistsError(Exception):
    """Raised when registering a username that is taken."""


class UnknownUserError(Exception):
    """Raised when a username names no user."""


class UnknownUserRequestError(Exception):
    """Raised when an id names no user request the caller may decide on."""


class ApprovalRequiredError(ForbiddenError):
    """Raised when an admin registers, without a second person, a user who reads case data."""


@dataclass(frozen=True)
class Login:
    """A successful login or refresh: the access token, the session's refresh token and
    the user they were issued to."""

    issued: IssuedToken
    refresh: IssuedToken
    user: User


# A hash checked against when the username is unknown, so a wrong name and a wrong
# password take the same time and an attacker cannot tell which usernames exist.
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("careledger-timing-equaliser")
_EMAIL = Email()


class Accounts:
    """User administration and authentication over the Cases application's log."""

    def __init__(
        self,
        cases: Cases,
        token_secret: str,
        token_ttl_seconds: int,
        hasher: PasswordHasher | None = None,
        *,
        read_models: ReadModels | None = None,
        catch_up: Callable[[], object] = lambda: None,
        access_token_ttl_seconds: int = 5 * 60,
        throttle: LoginThrottle | None = None,
        slots: HashingSlots | None = None,
    ) -> None:
        self.cases = cases
        self.token_secret = token_secret
        self.token_ttl_seconds = token_ttl_seconds  # a session (its refresh token)
        self.access_token_ttl_seconds = access_token_ttl_seconds
        self.hasher = hasher or _hasher
        self.read_models = read_models
        # Brings the read models up to the log's head in this thread (bounded).
        self.catch_up = catch_up
        # Failed logins per username and address (None: unthrottled, tests of other things).
        self.throttle = throttle
        # How many passwords this process hashes at once when logging in.
        self.slots = slots or HashingSlots()

    def add(
        self,
        actor: Actor,
        *,
        username: str,
        role: Role,
        scope: str,
        password: str,
        display_name: str = "",
        email: str | None = None,
    ) -> User | UserRequest:
        """An admin adds a user: at once when the role reads no case data (another
        admin), else as a request that a civil-affairs lead must approve first."""
        add = self.request if reads_case_data(role) else self.register
        return add(
            actor,
            username=username,
            role=role,
            scope=scope,
            password=password,
            display_name=display_name,
            email=email,
        )

    def register(
        self,
        actor: Actor | None,
        *,
        username: str,
        role: Role,
        scope: str,
        password: str,
        display_name: str = "",
        email: str | None = None,
    ) -> User:
        """Creates a user; `actor` is the admin, or None from the command line, the demo
        seed and the test fixtures, which act as the system (whoever runs them holds the
        database itself). An admin registers only roles that read no case data; the
        others go through `request`. `email`, optional, is where the notify service
        e-mails their notifications."""
        if actor is not None:
            require(actor, Capability.MANAGE_USERS)
            require_in_scope(actor, scope, "scope")
            if reads_case_data(role):
                raise ApprovalRequiredError(
                    f"a {role} account needs a civil-affairs lead's approval"
                )
        _check_new_user(scope, email)
        by = (
            actor.as_event_data()
            if actor
            else {"username": "system", "role": "admin", "request_id": "cli"}
        )
        user = User(
            username=username,
            role=str(role),
            scope=scope,
            display_name=display_name or username,
            password_hash=self.hasher.hash(password),
            actor=by,
            email=email,
        )
        try:
            self.cases.save(user)
        except IntegrityError:
            raise UserExistsError(f"the username {username!r} is taken") from None
        return user

    def request(
        self,
        actor: Actor | None,
        *,
        username: str,
        role: Role,
        scope: str,
        password: str,
        display_name: str = "",
        email: str | None = None,
    ) -> UserRequest:
        """An admin asks for an account that reads case data: nobody can log in with it
        until a civil-affairs user whose scope holds `scope`, not the admin, approves."""
        if actor is None:
            raise ValueError("a request is made by an admin")
        require(actor, Capability.MANAGE_USERS)
        require_in_scope(actor, scope, "scope")
        _check_new_user(scope, email)
        if self._exists(username):
            raise UserExistsError(f"the username {username!r} is taken")
        request = UserRequest(
            username=username,
            role=str(role),
            scope=scope,
            display_name=display_name or username,
            password_hash=self.hasher.hash(password),
            email=email,
            actor=actor.as_event_data(),
        )
        self.cases.save(request)
        return request

    def approve(self, actor: Actor, request_id: UUID) -> UserRequest:
        """A civil-affairs lead approves a request inside her scope; the user is
        registered in the same write, so an approval without its user never exists."""
        request = self._request_to_decide(actor, request_id)
        if self._exists(request.username):
            raise UserExistsError(f"the username {request.username!r} is taken")
        request.approve(actor.as_event_data())
        user = User(
            username=request.username,
            role=request.role,
            scope=request.scope,
            display_name=request.display_name,
            password_hash=request.password_hash,
            actor=actor.as_event_data(),
            email=request.email,
        )
        try:
            self.cases.save(request, user)
        except IntegrityError:
            raise RequestDecidedError("the request was decided meanwhile") from None
        return request

    def reject(self, actor: Actor, request_id: UUID) -> UserRequest:
        """A civil-affairs lead rejects a request inside her scope: no account is made."""
        request = self._request_to_decide(actor, request_id)
        request.reject(actor.as_event_data())
        try:
            self.cases.save(request)
        except IntegrityError:
            raise RequestDecidedError("the request was decided meanwhile") from None
        return request

    def get_request(self, actor: Actor, request_id: UUID) -> UserRequest:
        """A request, for the admins who may ask and the leads who may decide on it."""
        if not can(actor.role, Capability.MANAGE_USERS):
            require(actor, Capability.APPROVE_USERS)
        return self._request_in_scope(actor, request_id)

    def _request_to_decide(self, actor: Actor, request_id: UUID) -> UserRequest:
        require(actor, Capability.APPROVE_USERS)
        return self._request_in_scope(actor, request_id)

    def _request_in_scope(self, actor: Actor, request_id: UUID) -> UserRequest:
        # Called after the role check (403 reveals nothing); a request outside the
        # caller's scope does not exist to her (404), as a case outside it does not.
        request: object = None
        with suppress(AggregateNotFoundError):
            request = self.cases.repository.get(request_id)
        if not isinstance(request, UserRequest) or not in_scope(request.scope, actor.scope):
            raise UnknownUserRequestError("no user request with that id")
        return request

    def _exists(self, username: str) -> bool:
        try:
            self.get(username)
        except UnknownUserError:
            return False
        return True

    def get(self, username: str) -> User:
        """The user called `username`."""
        try:
            return cast(User, self.cases.repository.get(user_id(username)))
        except AggregateNotFoundError:
            raise UnknownUserError(f"no user called {username!r}") from None

    def _read_only(self, username: str) -> User:
        # Every request reads its caller: the cached user itself, not the deep copy `get`
        # makes for commands (a user's copy grows with every revoked token). Still
        # fast-forwarded to the last stored event, so a revocation holds at once; only
        # read here, never changed or saved.
        try:
            return cast(
                User, self.cases.repository.get(user_id(username), deepcopy_from_cache=False)
            )
        except AggregateNotFoundError:
            raise UnknownUserError(f"no user called {username!r}") from None

    def login(self, username: str, password: str, address: str | None = None) -> Login:
        """Checks the password and opens a session: a refresh token and an access token.
        Refused before any hashing while the username or the client `address` is locked
        out (TooManyLoginsError), or when every hashing slot stays busy (LoginsBusyError)."""
        if self.throttle:
            self.throttle.check(username, address)
        with self.slots.hold():
            user = self._check_password(username, password)
            if user and self.hasher.check_needs_rehash(user.password_hash):
                user.rehash_password(self.hasher.hash(password), actor=_self_actor(user))
                self.cases.save(user)
        if user is None:
            if self.throttle:
                self.throttle.failed(username, address)
            raise AuthenticationError("wrong username or password")
        if self.throttle:
            self.throttle.succeeded(username)
        stamp = self._password_stamp(user)
        refresh = issue_token(
            self.token_secret,
            username,
            self.token_ttl_seconds,
            kind="refresh",
            password_stamp=stamp,
        )
        return Login(self._access_token(user, refresh.token_id, stamp), refresh, user)

    def _check_password(self, username: str, password: str) -> User | None:
        try:
            user = self.get(username)
        except UnknownUserError:
            _verify(self.hasher, _DUMMY_HASH, password)
            return None
        if not _verify(self.hasher, user.password_hash, password) or user.disabled:
            return None
        return user

    def refresh(self, refresh_token: str) -> Login:
        """A new access token for the session of `refresh_token`, checked against the user
        as stored now: disabled, logged out or password changed → AuthenticationError.
        The refresh token is answered back unchanged (no rotation: each would be an event
        on the log)."""
        try:
            claims = verify_token(self.token_secret, refresh_token, kind="refresh")
            user = self.get(claims.username)
        except (InvalidTokenError, UnknownUserError) as error:
            raise AuthenticationError(str(error)) from None
        self._require_live(user, claims)
        refresh = IssuedToken(refresh_token, claims.token_id, claims.expires_at)
        return Login(self._access_token(user, claims.session, claims.password_stamp), refresh, user)

    def authenticate(self, token: str, request_id: str) -> tuple[Actor, TokenClaims]:
        """The actor behind an access token, and what the token says."""
        try:
            claims = verify_token(self.token_secret, token)
            user = self._read_only(claims.username)
        except (InvalidTokenError, UnknownUserError) as error:
            raise AuthenticationError(str(error)) from None
        self._require_live(user, claims)
        return Actor(user.username, Role(user.role), user.scope, request_id), claims

    def _require_live(self, user: User, claims: TokenClaims) -> None:
        revoked = claims.token_id in user.revoked_token_ids or (
            claims.session in user.revoked_token_ids
        )
        if user.disabled or revoked:
            raise AuthenticationError("the token has been revoked")
        if claims.password_stamp and not hmac.compare_digest(
            claims.password_stamp, self._password_stamp(user)
        ):
            raise AuthenticationError("the password has changed since this login")

    def _access_token(self, user: User, session_id: str, stamp: str) -> IssuedToken:
        return issue_token(
            self.token_secret,
            user.username,
            self.access_token_ttl_seconds,
            session_id=session_id,
            password_stamp=stamp,
        )

    def _password_stamp(self, user: User) -> str:
        # Changes whenever the stored hash does; keyed, so a token reveals nothing of it.
        digest = hmac.new(self.token_secret.encode(), user.password_hash.encode(), hashlib.sha256)
        return digest.hexdigest()[:16]

    def revoke(self, actor: Actor, token_id: str) -> None:
        """Revokes one of the caller's own sessions or tokens (logout)."""
        user = self.get(actor.username)
        user.revoke_token(token_id, actor=actor.as_event_data())
        self.cases.save(user)

    def list_users(self, actor: Actor) -> Served[list[UserRow]]:
        """The users inside the admin's scope, in registration order, from the users read
        model. An admin expects a user they just added or disabled to be listed so at
        once: the read models are first caught up with the log as it stands now (a page
        or two, with the projector running), and the answer says if they fell short."""
        require(actor, Capability.MANAGE_USERS)  # first: a refusal writes nothing
        if self.read_models is None:
            raise RuntimeError("listing users needs the read models")
        head = self.cases.recorder.max_notification_id() or 0
        self.catch_up()
        return self.read_models.users(actor, min_position=head)

    def disable(self, actor: Actor, username: str) -> User:
        """Disables a user inside the admin's scope: every token they hold stops working."""
        require(actor, Capability.MANAGE_USERS)  # first: a refusal says nothing of who exists
        user = self.get(username)
        self.require_admin_over(actor, user)
        user.disable(actor.as_event_data())
        self.cases.save(user)
        return user

    def require_admin_over(self, actor: Actor, user: User) -> None:
        """Admins manage only the users inside their own scope; to them, the others do
        not exist (so an admin cannot probe which usernames are taken elsewhere)."""
        require(actor, Capability.MANAGE_USERS)
        if not in_scope(user.scope, actor.scope):
            raise UnknownUserError(f"no user called {user.username!r}")


def _check_new_user(scope: str, email: str | None) -> None:
    if not is_scope(scope):
        raise ValueError("scope must be a 2, 4, 6, 9 or 12 digit jurisdiction prefix")
    if email is not None and not is_email(email):
        raise ValueError("email must be an e-mail address (name@example.org)")


def is_email(value: str) -> bool:
    """True when `value` is a plausible e-mail address (one rule for the API and the CLI)."""
    try:
        _EMAIL(value)
    except ValidationError:
        return False
    return len(value) <= 254


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _self_actor(user: User) -> dict[str, str]:
    return {"username": user.username, "role": user.role, "request_id": "login"}


def list_usernames(cases: Cases) -> list[str]:
    """Every registered username, in registration order, read from the log: for the demo
    seed, which runs before any projector (the admin's list reads the users read model)."""
    topic = get_topic(User.Registered)  # type: ignore[attr-defined]
    names: list[str] = []
    position = 0
    while batch := cases.recorder.select_notifications(
        position, 1000, topics=[topic], inclusive_of_start=False
    ):
        names += [cases.mapper.to_domain_event(n).username for n in batch]  # type: ignore[attr-defined]
        position = batch[-1].id
    return names
