"""A Flask API protected by ZITADEL access tokens, checked by introspection (authlib).

The API is a ZITADEL "API" application with Basic auth: it sends each bearer token to
``{ZITADEL_DOMAIN}/oauth/v2/introspect`` with its own ``CLIENT_ID`` and ``CLIENT_SECRET``, serves
it only when ZITADEL says ``active``, and reads the project roles from the
``urn:zitadel:iam:org:project:roles`` claim (a map ``{role: {org id: org domain}}``), not from
``scope``: for a personal access token ZITADEL lists every role of the project in ``scope``.
"""

import os
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.flask_oauth2 import ResourceProtector, current_token
from authlib.oauth2.rfc6750 import InsufficientScopeError
from authlib.oauth2.rfc7662 import IntrospectTokenValidator
from flask import Flask, jsonify

ROLES_CLAIM = "urn:zitadel:iam:org:project:roles"


@dataclass
class Settings:
    """Where ZITADEL is and who this API is."""

    domain: str
    client_id: str
    client_secret: str
    #: Seconds to wait for ZITADEL's answer before giving up (503).
    timeout: float = 5.0

    @classmethod
    def from_env(cls) -> "Settings":
        """Read ``ZITADEL_DOMAIN``, ``CLIENT_ID`` and ``CLIENT_SECRET``."""
        return cls(
            domain=os.environ["ZITADEL_DOMAIN"].rstrip("/"),
            client_id=os.environ["CLIENT_ID"],
            client_secret=os.environ["CLIENT_SECRET"],
        )


class IntrospectionUnavailable(Exception):
    """ZITADEL could not be asked (down, slow, or it refused this API's credentials)."""


class ZitadelIntrospectTokenValidator(IntrospectTokenValidator):
    """Introspects at ZITADEL with Basic auth; the route's "scopes" are project roles."""

    def __init__(self, settings: Settings) -> None:
        """Introspect with ``settings``."""
        super().__init__()
        self.settings = settings

    def introspect_token(self, token_string: str) -> dict[str, Any]:
        """ZITADEL's answer for the token (``{"active": false}`` for an unknown or expired one)."""
        try:
            response = requests.post(
                f"{self.settings.domain}/oauth/v2/introspect",
                data={"token": token_string, "token_type_hint": "access_token"},
                auth=(self.settings.client_id, self.settings.client_secret),
                timeout=self.settings.timeout,
            )
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as err:
            raise IntrospectionUnavailable(str(err)) from err

    def validate_token(self, token: dict[str, Any], scopes: list[str] | None, request: Any) -> None:
        """401 unless active; 403 unless the token holds every role of one of ``scopes``."""
        super().validate_token(token, None, request)
        roles = set(token.get(ROLES_CLAIM) or {})
        if scopes and not any(set(required.split()) <= roles for required in scopes):
            raise InsufficientScopeError()


def create_app(settings: Settings | None = None) -> Flask:
    """The API; settings from the environment by default."""
    require_auth = ResourceProtector()
    require_auth.register_token_validator(ZitadelIntrospectTokenValidator(settings or Settings.from_env()))
    app = Flask(__name__)

    @app.errorhandler(IntrospectionUnavailable)
    def introspection_unavailable(_: IntrospectionUnavailable) -> tuple[Any, int]:
        return jsonify(error="temporarily_unavailable", error_description="cannot check the token"), 503

    @app.get("/api/public")
    def public() -> Any:
        return jsonify(message="Public route: no token needed.")

    @app.get("/api/private")
    @require_auth()
    def private() -> Any:
        return jsonify(message="Private route: any active token.", sub=current_token["sub"])

    @app.get("/api/private-scoped")
    @require_auth(["read:messages"])
    def private_scoped() -> Any:
        return jsonify(message="Private, scoped route: the read:messages role.", sub=current_token["sub"])

    return app


if __name__ == "__main__":
    create_app().run()
