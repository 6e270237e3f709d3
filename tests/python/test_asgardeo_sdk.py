"""The Asgardeo Python SDK (asgardeo-auth-python-sdk 0.1.8, the SDK of WSO2's Python tutorial)
with its DEFAULT configuration logs a user in against `mock-idp serve --provider wso2`.

Only the settings an app must give are set (client, callbacks, server origin); everything else
is the SDK's default: scope ``internal_login`` (+ ``openid``, which it appends), tenant path
``/t/carbon.super``, no PKCE, client_secret_post. The SDK's Flask integration runs inside a
Flask app driven by Flask's test client; the browser steps (the login page, the logout
confirmation) are plain HTTP requests that fill in the mock's forms as a person would.

Needs: the mock-idp binary (MOCK_IDP_BIN, default target/debug/mock-idp; build it with
`cargo build -p mock-idp`) and the packages of requirements.txt.
"""

import json
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

CALLBACK = "http://127.0.0.1:5000/callback"
AFTER_LOGOUT = "http://127.0.0.1:5000/"
ALICE_ID = "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b"


@pytest.fixture(scope="module")
def mock_idp(serve_mock_idp):
    """`mock-idp serve --provider wso2 --port 0` with the default world; yields its base URL."""
    with serve_mock_idp("--provider", "wso2") as base:
        yield base


class FormReader(HTMLParser):
    """The first form of a page: its action and its fields (hidden inputs and given values)."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}
        self._done = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        elif (
            tag == "input"
            and self.action is not None
            and not self._done
            and attrs.get("type") == "hidden"
            and attrs.get("name")
        ):
            self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._done = True


def submit(idp_browser, page_url, html, extra):
    """Posts the page's first form (its hidden fields plus `extra`); returns the response."""
    form = FormReader()
    form.feed(html)
    assert form.action, f"no form on {page_url}: {html[:300]}"
    return idp_browser.post(urljoin(page_url, form.action), data={**form.fields, **extra}, allow_redirects=False)


def test_the_sdk_defaults_log_alice_in_and_out(mock_idp):
    from asgardeo_auth.constants.common import REDIRECT, TOKEN_RESPONSE
    from asgardeo_auth.Integration.flask_client import FlaskAsgardeoAuth
    from flask import Flask, redirect

    app = Flask(__name__)
    app.secret_key = "test-only"
    # The SDK reads the discovery document at construction, at
    # server_origin + "/t/carbon.super" + "/oauth2/token/.well-known/openid-configuration".
    auth = FlaskAsgardeoAuth(
        auth_config={
            "login_callback_url": CALLBACK,
            "logout_callback_url": AFTER_LOGOUT,
            "client_host": "http://127.0.0.1:5000",
            "client_id": "web-app",
            "client_secret": "web-app-secret",
            "server_origin": mock_idp,
        }
    )
    assert auth.auth_config.tenant_path == "/t/carbon.super"
    assert auth.auth_config.scope_string == "internal_login openid"
    assert auth.op_configuration.issuer == mock_idp + "/oauth2/token"

    @app.route("/login")
    @app.route("/callback")
    def login():
        response = auth.sign_in()
        if REDIRECT in response:
            return redirect(response[REDIRECT])
        token_response, user = response[TOKEN_RESPONSE]
        return {"user": user.get_user(), "tokens": token_response.token_response}

    @app.route("/logout")
    def logout():
        return auth.sign_out()

    browser = app.test_client()
    # The user's browser towards the identity provider (keeps the provider's session cookie).
    idp_browser = requests.Session()
    start = browser.get("/login")
    assert start.status_code == 302, start.get_data(as_text=True)
    authorize_url = start.headers["Location"]
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["scope"] == ["internal_login openid"]
    assert "code_challenge" not in query

    page = idp_browser.get(authorize_url, allow_redirects=False)
    assert page.status_code == 200, page.text
    back = submit(idp_browser, authorize_url, page.text, {"username": "alice", "password": "alice-password", "action": "login"})
    assert back.status_code in (302, 303), back.text
    callback = urlsplit(back.headers["Location"])
    assert callback.scheme + "://" + callback.netloc + callback.path == CALLBACK
    assert "error" not in parse_qs(callback.query), back.headers["Location"]

    done = browser.get(callback.path + "?" + callback.query)
    assert done.status_code == 200, done.get_data(as_text=True)
    body = json.loads(done.get_data(as_text=True))
    # Only `openid` (and internal_login) was asked for: no email claim in the ID token.
    assert body["user"] == {"display_name": ALICE_ID, "email": None, "username": ALICE_ID}
    assert body["tokens"]["scope"].split() == ["openid", "internal_login"]
    assert body["tokens"]["token_type"] == "Bearer"

    # Sign-out: the SDK sends id_token_hint and post_logout_redirect_uri to end_session_endpoint;
    # WSO2 asks the user to confirm, then returns to the app.
    out = browser.get("/logout")
    assert out.status_code == 302, out.get_data(as_text=True)
    logout_url = out.headers["Location"]
    assert logout_url.startswith(mock_idp + "/oidc/logout?")
    confirm = idp_browser.get(logout_url, allow_redirects=False)
    assert confirm.status_code == 200, confirm.text
    gone = submit(idp_browser, logout_url, confirm.text, {})
    assert gone.status_code in (302, 303), gone.text
    assert gone.headers["Location"].startswith(AFTER_LOGOUT)
