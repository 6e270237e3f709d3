"""A Flask web app that signs users in through IBM App ID with Flask-pyoidc.

As App ID's tutorials configure it: no discovery, the endpoints spelled out from the
``oauthServerUrl`` of the App ID service credentials (``/authorization``, ``/token``,
``/userinfo``, ``/publickeys``), the application's ``clientId`` and ``secret``. Flask-pyoidc
runs the code flow (state, nonce), checks the ID token (pyoidc: signature from ``/publickeys``,
issuer, audience, expiry, nonce), fetches userinfo and keeps both in Flask's session. App ID has
no end-session endpoint: signing out ends the app's session only.

Configuration (environment): ``APPID_OAUTH_SERVER_URL``, ``APPID_CLIENT_ID``, ``APPID_SECRET``,
``APPID_TIMEOUT`` (seconds), ``SECRET_KEY``.
"""

import os
from typing import Any

import requests
from flask import Flask, jsonify, session
from flask_pyoidc import OIDCAuthentication
from flask_pyoidc.provider_configuration import ClientMetadata, ProviderConfiguration, ProviderMetadata
from flask_pyoidc.user_session import UserSession
from jwkest import JWKESTException
from oic.exception import PyoidcError
from oic.oauth2.exception import HttpError


def create_app() -> Flask:
    """The web app, configured from the environment."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", "change-me"),
        OIDC_REDIRECT_URI="http://127.0.0.1:5000/callback",
    )
    server = os.environ["APPID_OAUTH_SERVER_URL"].rstrip("/")
    appid = ProviderConfiguration(
        provider_metadata=ProviderMetadata(
            issuer=server,
            authorization_endpoint=f"{server}/authorization",
            token_endpoint=f"{server}/token",
            userinfo_endpoint=f"{server}/userinfo",
            jwks_uri=f"{server}/publickeys",
        ),
        client_metadata=ClientMetadata(
            client_id=os.environ.get("APPID_CLIENT_ID", "web-app"),
            client_secret=os.environ.get("APPID_SECRET"),
        ),
        auth_request_params={"scope": ["openid"]},
    )
    appid.client_settings.timeout = float(os.environ.get("APPID_TIMEOUT", "5"))
    auth = OIDCAuthentication({"appid": appid}, app)

    @auth.error_view
    def sign_in_failed(error: str | None = None, error_description: str | None = None) -> Any:
        return jsonify(error=error, error_description=error_description), 401

    # Flask-pyoidc lets pyoidc's exceptions through (a 500 otherwise): an ID token that fails a
    # check (expired: EXPError; signed with a key /publickeys lacks: NoSuitableSigningKeys) ...
    @app.errorhandler(PyoidcError)
    @app.errorhandler(JWKESTException)
    def token_refused(err: Exception) -> tuple[Any, int]:
        return jsonify(error="invalid_id_token", error_description=str(err)), 401

    # ... and App ID answering with an error status, not answering in time, or not at all.
    @app.errorhandler(HttpError)
    @app.errorhandler(requests.RequestException)
    def appid_unreachable(_: Exception) -> tuple[str, int]:
        return "App ID is not reachable right now; try again later.", 503

    @app.get("/")
    @auth.oidc_auth("appid")
    def home() -> Any:
        user = UserSession(session)
        return jsonify(id_token=user.id_token, userinfo=user.userinfo)

    @app.get("/logout")
    @auth.oidc_logout
    def logout() -> str:
        return "Signed out."

    return app


if __name__ == "__main__":
    create_app().run(port=5000)
