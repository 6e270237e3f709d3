"""Typed wrappers for the admin API (``/_mock/…``) of a running ``mock-idp serve``.

Reach them through `MockIdp.admin` (``idp.admin.users.create(...)``, ``idp.admin.clock.advance(3600)``)
or build an `Admin` from a base URL. Realm-scoped calls take ``realm=`` and default to the
server's default realm. Every refused call raises `AdminError` carrying the RFC 9457 problem.
Only the standard library's ``urllib`` is used.
"""

from __future__ import annotations

import builtins
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

__all__ = [
    "Admin",
    "AdminError",
    "Claims",
    "Client",
    "ClientKind",
    "Clients",
    "Clock",
    "ClockState",
    "Defect",
    "Fault",
    "FaultRule",
    "FaultScope",
    "Faults",
    "Hit",
    "Key",
    "Keys",
    "LogListing",
    "LoggedRequest",
    "Mappings",
    "Minted",
    "Problem",
    "RequestLog",
    "TokenKinds",
    "User",
    "Users",
]

#: Which tokens of a token response a shape changes.
TokenKinds = Literal["access", "id", "both"]
#: A client's kind (RFC 6749 §2.1).
ClientKind = Literal["confidential", "public"]
#: A defect of a minted token (see docs/test-controls.md, "Negative tokens").
Defect = Literal[
    "expired",
    "not_yet_valid",
    "wrong_issuer",
    "wrong_audience",
    "unknown_kid",
    "bad_signature",
    "alg_none",
]
#: A fault rule's scope: ``"once"``, ``"until_cleared"``, ``{"times": n}`` or
#: ``{"probability": {"p": 0.5, "seed": 7}}``; build the last two with `Faults.times` and
#: `Faults.probability`.
FaultScope = Union[str, dict[str, Any]]  # noqa: UP007 - a runtime alias on Python 3.10

_UNSET: Any = object()


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem body as the admin API answers it."""

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    #: The offending field of the request (e.g. ``seconds``), when the server names one.
    field: str | None = None


class AdminError(RuntimeError):
    """The admin API refused a call (or could not be reached); `problem` says why."""

    def __init__(self, method: str, path: str, problem: Problem) -> None:
        """Wrap ``problem``, the answer to ``method path``."""
        where = f" ({problem.field})" if problem.field else ""
        super().__init__(f"{method} {path}: {problem.status} {problem.title}: {problem.detail}{where}")
        self.method = method
        self.path = path
        self.problem = problem

    @property
    def status(self) -> int:
        """The HTTP status (0 when no answer came)."""
        return self.problem.status


def _problem(status: int, body: bytes, reason: str) -> Problem:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        return Problem(
            status=int(data.get("status", status)),
            title=str(data.get("title", reason)),
            detail=str(data.get("detail", "")),
            type=str(data.get("type", "about:blank")),
            field=data.get("field"),
        )
    return Problem(status=status, title=reason, detail=body.decode("utf-8", "replace")[:500])


class _Http:
    """JSON over ``urllib`` to one server's ``/_mock`` prefix."""

    def __init__(self, base_url: str, token: str | None, timeout: float) -> None:
        self.root = base_url.rstrip("/") + "/_mock"
        self.token = token
        self.timeout = timeout

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
    ) -> Any:
        url = self.root + path
        if query:
            kept = {k: str(v) for k, v in query.items() if v is not None}
            if kept:
                url += "?" + urllib.parse.urlencode(kept)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token is not None:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            raw = err.read()
            raise AdminError(method, path, _problem(err.code, raw, str(err.reason))) from err
        except OSError as err:
            raise AdminError(method, path, Problem(0, "unreachable", str(err))) from err
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as err:
            raise AdminError(
                method, path, Problem(200, "not JSON", raw[:200].decode("utf-8", "replace"))
            ) from err


def _body(**members: Any) -> dict[str, Any]:
    """The members that were given (``_UNSET`` ones left out; ``None`` kept as JSON null)."""
    return {k: v for k, v in members.items() if v is not _UNSET}


def _seg(value: str) -> str:
    return urllib.parse.quote(value, safe="")


# -- views --------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """A user as the admin API shows it."""

    username: str
    id: str
    enabled: bool
    email_verified: bool
    realm_roles: list[str]
    client_roles: dict[str, list[str]]
    email: str | None = None
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> User:
        """Build from a ``UserView`` body."""
        return cls(
            username=body["username"],
            id=body["id"],
            enabled=body["enabled"],
            email_verified=body["email_verified"],
            realm_roles=list(body.get("realm_roles", [])),
            client_roles={k: list(v) for k, v in body.get("client_roles", {}).items()},
            email=body.get("email"),
            name=body.get("name"),
            given_name=body.get("given_name"),
            family_name=body.get("family_name"),
        )


@dataclass(frozen=True)
class Client:
    """A client as the admin API shows it (never its secret)."""

    client_id: str
    kind: ClientKind
    grant_types: list[str]
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    pkce: str
    scopes: list[str]
    default_scopes: list[str]
    roles: list[str]
    audience_scopes: list[str]
    service_account_roles: list[str]
    introspection: bool
    access_token_format: str | None = None
    signing_alg: str | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Client:
        """Build from a ``ClientView`` body."""
        return cls(
            client_id=body["client_id"],
            kind=body["kind"],
            grant_types=list(body["grant_types"]),
            redirect_uris=list(body["redirect_uris"]),
            post_logout_redirect_uris=list(body["post_logout_redirect_uris"]),
            pkce=body["pkce"],
            scopes=list(body["scopes"]),
            default_scopes=list(body["default_scopes"]),
            roles=list(body["roles"]),
            audience_scopes=list(body["audience_scopes"]),
            service_account_roles=list(body["service_account_roles"]),
            introspection=body["introspection"],
            access_token_format=body.get("access_token_format"),
            signing_alg=body.get("signing_alg"),
        )


@dataclass(frozen=True)
class ClockState:
    """The mock's clock."""

    now: int
    frozen: bool
    offset_seconds: int

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ClockState:
        """Build from a ``ClockState`` body."""
        return cls(now=body["now"], frozen=body["frozen"], offset_seconds=body["offset_seconds"])


@dataclass(frozen=True)
class FaultRule:
    """An active fault rule: what was added plus its ``id``, how often it ``fired`` and what remains."""

    id: int
    endpoint: str
    fault: dict[str, Any]
    realm: str | None
    scope: FaultScope
    fired: int
    remaining: int | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> FaultRule:
        """Build from an ``ActiveFaultBody``."""
        return cls(
            id=body["id"],
            endpoint=body["endpoint"],
            fault=dict(body["fault"]),
            realm=body.get("realm"),
            scope=body.get("scope", "until_cleared"),
            fired=body.get("fired", 0),
            remaining=body.get("remaining"),
            raw=dict(body),
        )


@dataclass(frozen=True)
class Hit:
    """Requests an endpoint of a realm received."""

    realm: str
    endpoint: str
    hits: int


@dataclass(frozen=True)
class Key:
    """A realm key: ``state`` is ``active``, ``retired`` (with ``until``) or ``publish_only``."""

    kid: str
    alg: str
    state: str
    until: int | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Key:
        """Build from a ``KeyBody``."""
        return cls(kid=body["kid"], alg=body["alg"], state=body["state"], until=body.get("until"))


@dataclass(frozen=True)
class LoggedToken:
    """A JWT a logged request carried or the token endpoint issued: header and claims only."""

    #: ``param:NAME``, ``header:NAME`` or ``response:NAME`` (e.g. ``response:access_token``).
    source: str
    header: dict[str, Any]
    #: ``None`` for an encrypted token.
    claims: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> LoggedToken:
        """Build from a ``LoggedToken`` body."""
        return cls(source=body["source"], header=dict(body["header"]), claims=body.get("claims"))


@dataclass(frozen=True)
class LoggedRequest:
    """A provider request the mock answered (secrets and tokens masked)."""

    id: int
    time: int
    realm: str
    endpoint: str
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, Any]
    status: int
    client: str | None = None
    error: str | None = None
    #: The JWTs it carried or was issued, decoded (never their signatures).
    tokens: tuple[LoggedToken, ...] = ()

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> LoggedRequest:
        """Build from a ``LoggedRequest`` body."""
        return cls(
            id=body["id"],
            time=body["time"],
            realm=body["realm"],
            endpoint=body["endpoint"],
            method=body["method"],
            path=body["path"],
            params=dict(body["params"]),
            headers=dict(body["headers"]),
            status=body["status"],
            client=body.get("client"),
            error=body.get("error"),
            tokens=tuple(LoggedToken.from_json(token) for token in body.get("tokens", ())),
        )


@dataclass(frozen=True)
class LogListing:
    """A request-log query's answer."""

    entries: list[LoggedRequest]
    #: Requests evicted because the log was full, since start or the last clear.
    dropped: int
    #: How many requests the log keeps.
    capacity: int


@dataclass(frozen=True)
class Minted:
    """A token minted by `Admin.mint` (``POST /_mock/tokens``)."""

    access_token: str
    token_type: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


# -- resources ----------------------------------------------------------------------------


class _Resource:
    def __init__(self, http: _Http, default_realm: str) -> None:
        self._http = http
        self._default_realm = default_realm

    def _realm(self, realm: str | None) -> str:
        return _seg(realm or self._default_realm)


class Users(_Resource):
    """Users of a realm (``/_mock/realms/{realm}/users``)."""

    def list(self, *, realm: str | None = None) -> builtins.list[User]:
        """Every user of the realm."""
        return [User.from_json(u) for u in self._http.call("GET", f"/realms/{self._realm(realm)}/users")]

    def get(self, username: str, *, realm: str | None = None) -> User:
        """One user (`AdminError` 404 when absent)."""
        path = f"/realms/{self._realm(realm)}/users/{_seg(username)}"
        return User.from_json(self._http.call("GET", path))

    def create(
        self,
        username: str,
        password: str,
        *,
        realm: str | None = None,
        id: str | None = None,
        enabled: bool = True,
        email: str | None = None,
        email_verified: bool = True,
        name: str | None = None,
        given_name: str | None = None,
        family_name: str | None = None,
        realm_roles: Sequence[str] = (),
        client_roles: Mapping[str, Sequence[str]] | None = None,
    ) -> User:
        """Create a user (`AdminError` 409 when the username is taken)."""
        body = {
            "username": username,
            "password": password,
            "id": id,
            "enabled": enabled,
            "email": email,
            "email_verified": email_verified,
            "name": name,
            "given_name": given_name,
            "family_name": family_name,
            "realm_roles": list(realm_roles),
            "client_roles": {k: list(v) for k, v in (client_roles or {}).items()},
        }
        body = {k: v for k, v in body.items() if v is not None}
        return User.from_json(self._http.call("POST", f"/realms/{self._realm(realm)}/users", body))

    def update(
        self,
        username: str,
        *,
        realm: str | None = None,
        password: str = _UNSET,
        enabled: bool = _UNSET,
        email: str | None = _UNSET,
        email_verified: bool = _UNSET,
        name: str | None = _UNSET,
        given_name: str | None = _UNSET,
        family_name: str | None = _UNSET,
        realm_roles: Sequence[str] = _UNSET,
        client_roles: Mapping[str, Sequence[str]] = _UNSET,
    ) -> User:
        """Change the members given (``None`` removes a claim); the rest stay."""
        body = _body(
            password=password,
            enabled=enabled,
            email=email,
            email_verified=email_verified,
            name=name,
            given_name=given_name,
            family_name=family_name,
            realm_roles=list(realm_roles) if realm_roles is not _UNSET else _UNSET,
            client_roles={k: list(v) for k, v in client_roles.items()}
            if client_roles is not _UNSET
            else _UNSET,
        )
        path = f"/realms/{self._realm(realm)}/users/{_seg(username)}"
        return User.from_json(self._http.call("PATCH", path, body))

    def disable(self, username: str, *, realm: str | None = None) -> User:
        """Disable the account (it can no longer log in)."""
        return self.update(username, realm=realm, enabled=False)

    def delete(self, username: str, *, realm: str | None = None) -> None:
        """Delete a user."""
        self._http.call("DELETE", f"/realms/{self._realm(realm)}/users/{_seg(username)}")


class Clients(_Resource):
    """Clients of a realm (``/_mock/realms/{realm}/clients``)."""

    def list(self, *, realm: str | None = None) -> builtins.list[Client]:
        """Every client of the realm."""
        return [Client.from_json(c) for c in self._http.call("GET", f"/realms/{self._realm(realm)}/clients")]

    def get(self, client_id: str, *, realm: str | None = None) -> Client:
        """One client (`AdminError` 404 when absent)."""
        path = f"/realms/{self._realm(realm)}/clients/{_seg(client_id)}"
        return Client.from_json(self._http.call("GET", path))

    def create(
        self,
        client_id: str,
        *,
        kind: ClientKind = "confidential",
        secret: str | None = None,
        grant_types: Sequence[str] = ("authorization_code", "refresh_token"),
        realm: str | None = None,
        redirect_uris: Sequence[str] = (),
        post_logout_redirect_uris: Sequence[str] = (),
        pkce: str | None = None,
        scopes: Sequence[str] | None = None,
        default_scopes: Sequence[str] = (),
        roles: Sequence[str] = (),
        audience_scopes: Sequence[str] = (),
        service_account_roles: Sequence[str] = (),
        introspection: bool = False,
        access_token_format: str | None = None,
        signing_alg: str | None = None,
    ) -> Client:
        """Create a client (a confidential one needs ``secret``; `AdminError` 409 when taken)."""
        body: dict[str, Any] = {
            "client_id": client_id,
            "kind": kind,
            "secret": secret,
            "grant_types": list(grant_types),
            "redirect_uris": list(redirect_uris),
            "post_logout_redirect_uris": list(post_logout_redirect_uris),
            "pkce": pkce,
            "scopes": list(scopes) if scopes is not None else None,
            "default_scopes": list(default_scopes),
            "roles": list(roles),
            "audience_scopes": list(audience_scopes),
            "service_account_roles": list(service_account_roles),
            "introspection": introspection,
            "access_token_format": access_token_format,
            "signing_alg": signing_alg,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return Client.from_json(self._http.call("POST", f"/realms/{self._realm(realm)}/clients", body))

    def update(
        self,
        client_id: str,
        *,
        realm: str | None = None,
        secret: str | None = _UNSET,
        grant_types: Sequence[str] = _UNSET,
        redirect_uris: Sequence[str] = _UNSET,
        post_logout_redirect_uris: Sequence[str] = _UNSET,
        pkce: str | None = _UNSET,
        scopes: Sequence[str] = _UNSET,
        default_scopes: Sequence[str] = _UNSET,
        roles: Sequence[str] = _UNSET,
        audience_scopes: Sequence[str] = _UNSET,
        service_account_roles: Sequence[str] = _UNSET,
        introspection: bool | None = _UNSET,
        access_token_format: str | None = _UNSET,
        signing_alg: str | None = _UNSET,
    ) -> Client:
        """Change the members given (lists are replaced); the rest stay."""
        lists = {
            "grant_types": grant_types,
            "redirect_uris": redirect_uris,
            "post_logout_redirect_uris": post_logout_redirect_uris,
            "scopes": scopes,
            "default_scopes": default_scopes,
            "roles": roles,
            "audience_scopes": audience_scopes,
            "service_account_roles": service_account_roles,
        }
        body = _body(
            secret=secret,
            pkce=pkce,
            introspection=introspection,
            access_token_format=access_token_format,
            signing_alg=signing_alg,
            **{k: list(v) if v is not _UNSET else _UNSET for k, v in lists.items()},
        )
        path = f"/realms/{self._realm(realm)}/clients/{_seg(client_id)}"
        return Client.from_json(self._http.call("PATCH", path, body))

    def delete(self, client_id: str, *, realm: str | None = None) -> None:
        """Delete a client."""
        self._http.call("DELETE", f"/realms/{self._realm(realm)}/clients/{_seg(client_id)}")


class Claims(_Resource):
    """The claim queue (``/_mock/claims``): shapes for the next N tokens of a client and/or user."""

    def queue(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        client: str | None = None,
        user: str | None = None,
        count: int = 1,
        remove: Sequence[str] = (),
        headers: Mapping[str, Any] | None = None,
        tokens: TokenKinds = "access",
        realm: str | None = None,
    ) -> dict[str, Any]:
        """Set ``claims`` (and remove ``remove``) in the next ``count`` matching tokens.

        ``realm`` None applies in every realm (the queue is not tied to the default realm).
        """
        body: dict[str, Any] = {
            "claims": dict(claims or {}),
            "client": client,
            "user": user,
            "count": count,
            "remove": list(remove),
            "headers": dict(headers or {}),
            "tokens": tokens,
            "realm": realm,
        }
        answer: dict[str, Any] = self._http.call(
            "POST", "/claims", {k: v for k, v in body.items() if v is not None}
        )
        return answer

    def list(self) -> builtins.list[dict[str, Any]]:
        """The queued shapes still waiting for a token."""
        answer: builtins.list[dict[str, Any]] = self._http.call("GET", "/claims")
        return answer

    def clear(self) -> None:
        """Drop every queued shape."""
        self._http.call("DELETE", "/claims")


class Mappings(_Resource):
    """Standing request-mapping rules (``/_mock/mappings``)."""

    def add(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        grant: str | None = None,
        client: str | None = None,
        user: str | None = None,
        scope: str | None = None,
        params: Mapping[str, str] | None = None,
        remove: Sequence[str] = (),
        headers: Mapping[str, Any] | None = None,
        tokens: TokenKinds = "access",
        realm: str | None = None,
    ) -> dict[str, Any]:
        """Shape every token whose request matches (grant, client, user, scope, form params)."""
        match = {"grant": grant, "client": client, "user": user, "scope": scope, "params": dict(params or {})}
        body: dict[str, Any] = {
            "match": {k: v for k, v in match.items() if v is not None},
            "claims": dict(claims or {}),
            "remove": list(remove),
            "headers": dict(headers or {}),
            "tokens": tokens,
        }
        if realm is not None:
            body["realm"] = realm
        answer: dict[str, Any] = self._http.call("POST", "/mappings", body)
        return answer

    def list(self) -> builtins.list[dict[str, Any]]:
        """The rules."""
        answer: builtins.list[dict[str, Any]] = self._http.call("GET", "/mappings")
        return answer

    def clear(self) -> None:
        """Remove every rule."""
        self._http.call("DELETE", "/mappings")


class Fault:
    """Builders for a fault rule's ``fault`` member (see docs/test-controls.md)."""

    @staticmethod
    def status(status: int) -> dict[str, Any]:
        """Answer that status with an OAuth ``server_error`` body."""
        return {"kind": "status", "status": status}

    @staticmethod
    def respond(status: int, body: str) -> dict[str, Any]:
        """Answer that status and body."""
        return {"kind": "respond", "status": status, "body": body}

    @staticmethod
    def body(body: str) -> dict[str, Any]:
        """Answer 200 with that body."""
        return {"kind": "body", "body": body}

    @staticmethod
    def headers(headers: Sequence[tuple[str, str]]) -> dict[str, Any]:
        """The normal answer with extra headers."""
        return {"kind": "headers", "headers": [list(h) for h in headers]}

    @staticmethod
    def delay(ms: int) -> dict[str, Any]:
        """The normal answer, ``ms`` milliseconds later."""
        return {"kind": "delay", "ms": ms}

    @staticmethod
    def drop_connection() -> dict[str, Any]:
        """Close the connection without answering."""
        return {"kind": "drop_connection"}

    @staticmethod
    def malformed_json() -> dict[str, Any]:
        """The normal answer cut in half."""
        return {"kind": "malformed_json"}

    @staticmethod
    def outage() -> dict[str, Any]:
        """503 with ``Retry-After`` and ``temporarily_unavailable``."""
        return {"kind": "outage"}

    @staticmethod
    def empty_key_set() -> dict[str, Any]:
        """200 ``{"keys": []}``."""
        return {"kind": "empty_key_set"}

    @staticmethod
    def stale_key_set() -> dict[str, Any]:
        """The JWK set from before the last rotation (jwks only)."""
        return {"kind": "stale_key_set"}

    @staticmethod
    def huge_key_set(size: int) -> dict[str, Any]:
        """The real JWK set padded to ``size`` bytes (jwks only)."""
        return {"kind": "huge_key_set", "bytes": size}


class Faults(_Resource):
    """Fault rules (``/_mock/faults``) and hit counters (``/_mock/hits``)."""

    @staticmethod
    def times(n: int) -> FaultScope:
        """The scope "the next ``n`` matching requests"."""
        return {"times": n}

    @staticmethod
    def probability(p: float, seed: int) -> FaultScope:
        """The scope "each request with probability ``p``", reproducible for a ``seed``."""
        return {"probability": {"p": p, "seed": seed}}

    def add(
        self,
        endpoint: str,
        fault: Mapping[str, Any],
        *,
        scope: FaultScope = "until_cleared",
        realm: str | None = None,
    ) -> int:
        """Add a rule (``fault`` from `Fault`); its id. ``realm`` None: every realm.

        Endpoints: ``discovery``, ``jwks``, ``authorize``, ``token``, ``userinfo``,
        ``introspect``, ``revoke``, ``end_session``.
        """
        body: dict[str, Any] = {"endpoint": endpoint, "fault": dict(fault), "scope": scope}
        if realm is not None:
            body["realm"] = realm
        return int(self._http.call("POST", "/faults", body)["id"])

    def list(self) -> builtins.list[FaultRule]:
        """The active rules."""
        return [FaultRule.from_json(r) for r in self._http.call("GET", "/faults")]

    def remove(self, rule_id: int) -> None:
        """Remove one rule (`AdminError` 404 once it is used up or gone)."""
        self._http.call("DELETE", f"/faults/{int(rule_id)}")

    def clear(self) -> None:
        """Remove every rule."""
        self._http.call("DELETE", "/faults")

    def hits(self) -> builtins.list[Hit]:
        """Requests per realm and endpoint (faulted or not)."""
        return [Hit(h["realm"], h["endpoint"], h["hits"]) for h in self._http.call("GET", "/hits")]

    def hit_count(self, endpoint: str, *, realm: str | None = None) -> int:
        """Requests ``endpoint`` of the realm received (0 when none)."""
        name = realm or self._default_realm
        return sum(h.hits for h in self.hits() if h.endpoint == endpoint and h.realm == name)

    def clear_hits(self) -> None:
        """Zero the hit counters."""
        self._http.call("DELETE", "/hits")


class Keys(_Resource):
    """Signing keys of a realm (``/_mock/realms/{realm}/keys``)."""

    def list(self, *, realm: str | None = None) -> builtins.list[Key]:
        """The realm's keys (active, retired, publish-only)."""
        return [Key.from_json(k) for k in self._http.call("GET", f"/realms/{self._realm(realm)}/keys")]

    def active(self, *, realm: str | None = None) -> Key:
        """The key that signs now."""
        for key in self.list(realm=realm):
            if key.state == "active":
                return key
        raise AdminError("GET", "/keys", Problem(200, "no active key", "the realm lists no active key"))

    def rotate(self, *, overlap_seconds: int | None = None, realm: str | None = None) -> builtins.list[Key]:
        """A new signing key; the old ones stay published for the overlap (or until retired)."""
        body = {} if overlap_seconds is None else {"overlap_seconds": overlap_seconds}
        path = f"/realms/{self._realm(realm)}/keys/rotate"
        return [Key.from_json(k) for k in self._http.call("POST", path, body)]

    def retire(self, kid: str | None = None, *, realm: str | None = None) -> builtins.list[Key]:
        """Unpublish one retired or publish-only key, or (``kid`` None) every retired key."""
        body = {} if kid is None else {"kid": kid}
        path = f"/realms/{self._realm(realm)}/keys/retire"
        return [Key.from_json(k) for k in self._http.call("POST", path, body)]

    def publish(self, alg: str, *, realm: str | None = None) -> str:
        """Publish a key that never signs; its kid."""
        path = f"/realms/{self._realm(realm)}/keys/publish"
        return str(self._http.call("POST", path, {"alg": alg})["kid"])

    def set_alg(self, alg: str | None, *, realm: str | None = None) -> None:
        """The realm's signing algorithm (``RS256``, ``ES256``, ``EdDSA``); None: the world's."""
        self._http.call("PUT", f"/realms/{self._realm(realm)}/signing-alg", {"alg": alg})


class Clock(_Resource):
    """The mock's clock (``/_mock/clock``); advancing expires codes, tokens and sessions."""

    def get(self) -> ClockState:
        """The clock's state."""
        return ClockState.from_json(self._http.call("GET", "/clock"))

    def freeze(self) -> ClockState:
        """Stop the clock."""
        return ClockState.from_json(self._http.call("POST", "/clock/freeze"))

    def resume(self) -> ClockState:
        """Let the clock run again from the time it shows."""
        return ClockState.from_json(self._http.call("POST", "/clock/resume"))

    def advance(self, seconds: int) -> ClockState:
        """Move forward ``seconds``."""
        return ClockState.from_json(self._http.call("POST", "/clock/advance", {"seconds": seconds}))

    def set(self, now: int) -> ClockState:
        """Set the time (seconds since the epoch); a frozen clock stays frozen."""
        return ClockState.from_json(self._http.call("POST", "/clock/set", {"now": now}))

    def reset(self) -> ClockState:
        """Back in step with the system clock."""
        return ClockState.from_json(self._http.call("DELETE", "/clock"))


class RequestLog(_Resource):
    """The request log (``/_mock/log``)."""

    def query(
        self,
        *,
        realm: str | None = None,
        endpoint: str | None = None,
        client: str | None = None,
        status: int | None = None,
        since: int | None = None,
    ) -> LogListing:
        """Answered provider requests matching every filter given, oldest first.

        ``endpoint`` as the log names it (``Token``, ``Jwks``, …); ``since``: requests at or
        after that time (seconds since the epoch, on the mock's clock).
        """
        query = {"realm": realm, "endpoint": endpoint, "client": client, "status": status, "since": since}
        body = self._http.call("GET", "/log", query=query)
        return LogListing(
            entries=[LoggedRequest.from_json(e) for e in body["entries"]],
            dropped=body["dropped"],
            capacity=body["capacity"],
        )

    def entries(self, **filters: Any) -> builtins.list[LoggedRequest]:
        """`query`'s entries."""
        return self.query(**filters).entries

    def clear(self) -> None:
        """Forget every entry."""
        self._http.call("DELETE", "/log")


class Devices(_Resource):
    """Pending device authorizations (RFC 8628), decided as the user-code page would.

    ``/_mock/realms/{realm}/device/{user_code}/…``: the device's next poll sees the decision.
    """

    def approve(self, user_code: str, username: str, *, realm: str | None = None) -> None:
        """Approve as ``username`` (`AdminError` 404: no such user or pending user code)."""
        path = f"/realms/{self._realm(realm)}/device/{_seg(user_code)}/approve"
        self._http.call("POST", path, {"username": username})

    def deny(self, user_code: str, *, realm: str | None = None) -> None:
        """Deny: the next poll gets ``access_denied``."""
        self._http.call("POST", f"/realms/{self._realm(realm)}/device/{_seg(user_code)}/deny")

    def expire(self, user_code: str, *, realm: str | None = None) -> None:
        """Expire now: the next poll gets ``expired_token``."""
        self._http.call("POST", f"/realms/{self._realm(realm)}/device/{_seg(user_code)}/expire")


class Admin:
    """The admin API of one server.

    Resources: ``users``, ``clients``, ``claims``, ``mappings``, ``faults``, ``keys``,
    ``clock``, ``log``, ``devices``; plus `reset` and `mint`.
    """

    def __init__(
        self,
        base_url: str,
        default_realm: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        """Talk to ``{base_url}/_mock``; ``token`` is the ``--admin-token`` when one was set."""
        self._http = _Http(base_url, token, timeout)
        self.default_realm = default_realm
        self.users = Users(self._http, default_realm)
        self.clients = Clients(self._http, default_realm)
        self.claims = Claims(self._http, default_realm)
        self.mappings = Mappings(self._http, default_realm)
        self.faults = Faults(self._http, default_realm)
        self.keys = Keys(self._http, default_realm)
        self.clock = Clock(self._http, default_realm)
        self.log = RequestLog(self._http, default_realm)
        self.devices = Devices(self._http, default_realm)

    def reset(self) -> builtins.list[str]:
        """Back to the world as loaded (realms, store, keys, faults, hits, clock, log); the parts reset."""
        return list(self._http.call("POST", "/reset")["reset"])

    def mint(
        self,
        *,
        user: str | None = None,
        client: str | None = None,
        defects: Sequence[Defect] = (),
        claims: Mapping[str, Any] | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        realm: str | None = None,
    ) -> Minted:
        """Mint an access token directly (``POST /_mock/tokens``), e.g. a negative one.

        Without ``user``: a service-account token for ``client``. ``claims`` override what a
        defect sets.
        """
        body: dict[str, Any] = {
            "user": user,
            "client": client,
            "defects": list(defects),
            "claims": dict(claims) if claims is not None else None,
            "scope": scope,
            "expires_in": expires_in,
            "realm": realm,
        }
        answer = self._http.call("POST", "/tokens", {k: v for k, v in body.items() if v is not None})
        return Minted(access_token=answer["access_token"], token_type=answer["token_type"], raw=dict(answer))

    def issue(self, client: str, user: str | None = None, realm: str | None = None) -> dict[str, Any]:
        """The token endpoint's answer through the provider's real grants.

        For ``user`` (or ``client``'s service account without one), by ``POST
        /_mock/tokens/issue``: users and clients as the realm holds them now, admin-created ones
        included.
        """
        body = {"client": client, "user": user, "realm": realm}
        answer = self._http.call("POST", "/tokens/issue", {k: v for k, v in body.items() if v is not None})
        if not isinstance(answer, dict):
            problem = Problem(200, "not a token response", repr(answer)[:200])
            raise AdminError("POST", "/tokens/issue", problem)
        return answer
