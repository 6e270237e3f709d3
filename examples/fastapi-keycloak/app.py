"""A FastAPI API protected by Keycloak (or ZTrust) access tokens, validated with python-jose.

Configuration (environment): ``KEYCLOAK_SERVER_URL`` (e.g. ``https://sso.example.com``),
``KEYCLOAK_REALM`` and ``API_AUDIENCE`` (this API's client id; Keycloak puts it in ``aud`` through
an audience mapper or a client scope, here the ``read:messages`` scope of the ``api`` client).
"""

import os
import time
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jose import JOSEError, JWTError, jwt

JWKS_TTL_SECONDS = 300


@dataclass
class Settings:
    """Where the realm is and who this API is."""

    server_url: str
    realm: str
    audience: str
    #: Seconds a JWKS fetch may take; a slower Keycloak is answered 503.
    jwks_timeout: float = 5.0

    @classmethod
    def from_env(cls) -> "Settings":
        """Read the settings from the environment."""
        return cls(
            server_url=os.environ["KEYCLOAK_SERVER_URL"].rstrip("/"),
            realm=os.environ["KEYCLOAK_REALM"],
            audience=os.environ.get("API_AUDIENCE", "api"),
            jwks_timeout=float(os.environ.get("JWKS_TIMEOUT", "5")),
        )

    @property
    def issuer(self) -> str:
        """The realm's issuer, as Keycloak writes it in ``iss``."""
        return f"{self.server_url}/realms/{self.realm}"

    @property
    def certs_url(self) -> str:
        """The realm's JWKS."""
        return f"{self.issuer}/protocol/openid-connect/certs"


class KeysUnavailable(Exception):
    """The realm's keys could not be fetched (Keycloak down, slow or answering garbage)."""


class Jwks:
    """The realm's signing keys, cached, refetched when a token names an unknown ``kid``."""

    def __init__(self, url: str, timeout: float) -> None:
        """Fetch lazily from ``url``, waiting at most ``timeout`` seconds."""
        self.url = url
        self.timeout = timeout
        self._keys: dict[str, Any] = {"keys": []}
        self._fetched = 0.0

    def _fetch(self) -> None:
        try:
            response = httpx.get(self.url, timeout=self.timeout)
            response.raise_for_status()
            keys = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise KeysUnavailable(f"{self.url}: {err}") from err
        if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
            raise KeysUnavailable(f"{self.url}: not a JWK set")
        self._keys = keys
        self._fetched = time.monotonic()

    def _find(self, kid: str | None) -> dict[str, Any] | None:
        return next((key for key in self._keys["keys"] if key.get("kid") == kid), None)

    def for_token(self, token: str) -> dict[str, Any]:
        """The key named by ``token``'s ``kid`` (the set is refetched once for an unknown kid).

        Picking the key by ``kid`` matters: handed the whole set, python-jose tries keys of
        other types (the realm also publishes EC and Ed25519 keys) and fails with a JWKError.
        """
        kid = jwt.get_unverified_header(token).get("kid")
        key = self._find(kid)
        if key is None or time.monotonic() - self._fetched > JWKS_TTL_SECONDS:
            self._fetch()
            key = self._find(kid)
        if key is None:
            raise JWTError(f"no key {kid!r} in the realm's JWKS")
        return key


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API; settings from the environment unless given."""
    settings = settings or Settings.from_env()
    jwks = Jwks(settings.certs_url, settings.jwks_timeout)
    bearer = HTTPBearer(auto_error=False)
    app = FastAPI()

    def claims(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> dict[str, Any]:
        unauthorized = HTTPException(
            status.HTTP_401_UNAUTHORIZED, "invalid token", headers={"WWW-Authenticate": "Bearer"}
        )
        if credentials is None:
            raise unauthorized
        token = credentials.credentials
        try:
            # The audience check done right: `aud` must name this API (python-jose accepts a
            # list `aud` containing it); Keycloak's default `account` audience is not enough,
            # and verify_aud is never turned off.
            return jwt.decode(
                token,
                jwks.for_token(token),
                algorithms=["RS256"],
                audience=settings.audience,
                issuer=settings.issuer,
            )
        except KeysUnavailable as err:
            # No keys (Keycloak down, slow, answering garbage): the token may be fine, so not 401.
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, "signing keys unavailable", headers={"Retry-After": "5"}
            ) from err
        except JOSEError as err:
            raise unauthorized from err

    def require_role(role: str) -> Any:
        def check(token: Annotated[dict[str, Any], Depends(claims)]) -> dict[str, Any]:
            if role not in token.get("realm_access", {}).get("roles", []):
                raise HTTPException(status.HTTP_403_FORBIDDEN, f"realm role {role} required")
            return token

        return check

    @app.get("/messages")
    def messages(token: Annotated[dict[str, Any], Depends(require_role("user"))]) -> dict[str, Any]:
        return {"for": token.get("preferred_username"), "messages": ["hello"]}

    @app.get("/admin/stats")
    def stats(token: Annotated[dict[str, Any], Depends(require_role("admin"))]) -> dict[str, Any]:
        return {"by": token.get("preferred_username"), "users": 3}

    return app
