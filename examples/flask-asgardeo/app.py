"""A Flask web app that signs users in through WSO2 Identity Server with the Asgardeo Python SDK.

As WSO2's Python tutorial sets it up: ``FlaskAsgardeoAuth`` with only the settings an app must
give (client, callback URLs, the server's origin) and the SDK's defaults for everything else
(scope ``internal_login openid``, tenant path ``/t/carbon.super``, client_secret_post, no PKCE).
The SDK reads the discovery document when it is created, sends the browser to WSO2, swaps the
code for tokens, checks the ID token (python-jose: signature, issuer, audience, expiry) and keeps
the tokens in Flask's session. Sign-out goes to WSO2's logout endpoint with ``id_token_hint``.

Configuration (environment): ``WSO2_BASE_URL``, ``CLIENT_ID``, ``CLIENT_SECRET``, ``SECRET_KEY``.
"""

import os
from collections.abc import Callable
from functools import wraps
from typing import Any

import requests
from asgardeo_auth.constants.common import REDIRECT, TOKEN_RESPONSE
from asgardeo_auth.exception.asgardeo_auth_error import AsgardeoAuthError
from asgardeo_auth.Integration.flask_client import FlaskAsgardeoAuth
from flask import Flask, redirect, request, session, url_for
from jose.exceptions import JOSEError

APP_ORIGIN = "http://127.0.0.1:5000"


def create_app() -> Flask:
    """The web app, configured from the environment."""
    app = Flask(__name__)
    app.secret_key = os.environ.get("SECRET_KEY", "change-me")
    auth = FlaskAsgardeoAuth(
        auth_config={
            "login_callback_url": f"{APP_ORIGIN}/callback",
            "logout_callback_url": f"{APP_ORIGIN}/",
            "client_host": APP_ORIGIN,
            "client_id": os.environ.get("CLIENT_ID", "web-app"),
            "client_secret": os.environ.get("CLIENT_SECRET"),
            "server_origin": os.environ["WSO2_BASE_URL"],
        }
    )

    def requires_auth(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if "user" not in session:
                return redirect("/login")
            return view(*args, **kwargs)

        return wrapper

    @app.errorhandler(requests.RequestException)
    def wso2_unreachable(_: Exception) -> tuple[str, int]:
        return "WSO2 Identity Server is not reachable right now; try again later.", 503

    @app.get("/")
    @requires_auth
    def home() -> Any:
        return session["user"]

    @app.get("/login")
    @app.get("/callback")
    def login() -> Any:
        if "error" in request.args:  # denied at WSO2
            return f"Sign-in failed: {request.args['error']}", 401
        try:
            response = auth.sign_in()
        except (AsgardeoAuthError, JOSEError) as err:  # WSO2 refused the code, or a bad ID token
            return f"Sign-in failed: {err}", 401
        if REDIRECT in response:
            return redirect(response[REDIRECT])
        _, user = response[TOKEN_RESPONSE]
        session["user"] = user.get_user()
        return redirect(url_for("home"))

    @app.get("/logout")
    def logout() -> Any:
        session.pop("user", None)
        return auth.sign_out()

    return app


if __name__ == "__main__":
    create_app().run(port=5000)
