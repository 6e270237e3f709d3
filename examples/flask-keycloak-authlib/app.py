"""A Flask web app that signs users in through Keycloak with Authlib.

Authlib's Flask client does the OpenID Connect code flow: it reads the realm's discovery
document, sends the browser to Keycloak with ``state``, a ``nonce`` and a PKCE S256 challenge,
swaps the code for tokens (client_secret_basic), and checks the ID token (signature from the
realm's JWK set, issuer, audience, expiry, nonce) before the app sees its claims. Sign-out is
RP-initiated logout: the session goes and the browser goes to Keycloak's ``end_session_endpoint``
with ``id_token_hint`` and ``post_logout_redirect_uri``.

Configuration (environment): ``KEYCLOAK_URL`` (without ``/realms``), ``KEYCLOAK_REALM``,
``KEYCLOAK_CLIENT_ID``, ``KEYCLOAK_CLIENT_SECRET``, ``KEYCLOAK_TIMEOUT`` (seconds), ``SECRET_KEY``.
"""

import os
from typing import Any

import requests
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Flask, abort, redirect, session, url_for
from joserfc.errors import JoseError


def create_app() -> Flask:
    """The web app, configured from the environment."""
    app = Flask(__name__)
    app.secret_key = os.environ.get("SECRET_KEY", "change-me")
    realm_url = f"{os.environ['KEYCLOAK_URL'].rstrip('/')}/realms/{os.environ['KEYCLOAK_REALM']}"
    oauth = OAuth(app)
    keycloak = oauth.register(
        "keycloak",
        client_id=os.environ.get("KEYCLOAK_CLIENT_ID", "web-app"),
        client_secret=os.environ.get("KEYCLOAK_CLIENT_SECRET"),
        server_metadata_url=f"{realm_url}/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid profile email",
            "code_challenge_method": "S256",
            "default_timeout": float(os.environ.get("KEYCLOAK_TIMEOUT", "5")),
        },
    )

    @app.errorhandler(requests.RequestException)
    def keycloak_unavailable(_: Exception) -> tuple[str, int]:
        return "Keycloak is not reachable right now; try again later.", 503

    @app.get("/")
    def home() -> str:
        user = session.get("user")
        if user is None:
            return '<a href="/login">Sign in</a>'
        return f'Signed in as {user["preferred_username"]}. <a href="/logout">Sign out</a>'

    @app.get("/login")
    def login() -> Any:
        return keycloak.authorize_redirect(url_for("callback", _external=True))

    @app.get("/callback")
    def callback() -> Any:
        try:
            token = keycloak.authorize_access_token()
        except (OAuthError, JoseError) as err:
            # Denied at Keycloak, a replayed or forged callback, or an ID token that fails a check.
            return f"Sign-in failed: {err}", 401
        session["user"] = token["userinfo"]  # the ID token's claims, checked by Authlib
        session["id_token"] = token["id_token"]
        return redirect(url_for("profile"))

    @app.get("/profile")
    def profile() -> Any:
        user = session.get("user")
        if user is None:
            return redirect(url_for("login"))
        return {key: user.get(key) for key in ("sub", "preferred_username", "email", "name")}

    @app.get("/admin")
    def admin() -> Any:
        user = session.get("user")
        if user is None:
            return redirect(url_for("login"))
        # Keycloak puts realm roles in the ID token once the realm's "realm roles" mapper has
        # "Add to ID token" on (Client scopes > roles > Mappers).
        if "admin" not in user.get("realm_access", {}).get("roles", []):
            abort(403)
        return {"admin": user["preferred_username"]}

    @app.get("/logout")
    def logout() -> Any:
        id_token = session.get("id_token")
        session.clear()
        if id_token is None:
            return redirect(url_for("home"))
        return keycloak.logout_redirect(
            post_logout_redirect_uri=url_for("home", _external=True), id_token_hint=id_token
        )

    return app


if __name__ == "__main__":
    create_app().run(port=5000)
