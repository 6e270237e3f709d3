"""`MockIdp.browser`: signing in on the provider's login page as a user would, for web-app tests."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from mock_idp import Browser, BrowserError, MockIdp

CALLBACK = "http://127.0.0.1:5000/callback"  # web-app's registered redirect URI in the default world
VERIFIER = "a-verifier-of-at-least-forty-three-characters-for-pkce"


@pytest.fixture(scope="module")
def idp() -> Iterator[MockIdp]:
    with MockIdp("keycloak") as server:
        yield server


def authorize_url(idp: MockIdp, state: str = "st") -> str:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": "web-app",
            "redirect_uri": CALLBACK,
            "scope": "openid",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{idp.authorization_endpoint}?{query}"


def callback_params(location: str) -> dict[str, str]:
    assert location.startswith(CALLBACK), location
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def test_sign_in_redirects_to_the_app_with_a_code_the_token_endpoint_takes(idp: MockIdp) -> None:
    answer = idp.browser().sign_in(authorize_url(idp), "alice")
    params = callback_params(answer.location)
    assert params["state"] == "st"
    body = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
            "client_id": "web-app",
            "client_secret": "web-app-secret",
        }
    ).encode()
    with urllib.request.urlopen(urllib.request.Request(idp.token_endpoint, data=body), timeout=10) as reply:
        tokens = json.load(reply)
    assert tokens["token_type"] == "Bearer"
    assert tokens["id_token"].count(".") == 2


def test_the_session_is_kept_per_browser(idp: MockIdp) -> None:
    browser = idp.browser()
    browser.sign_in(authorize_url(idp), "alice")
    # The same browser is signed in: the provider redirects at once, no login page.
    again = browser.get(authorize_url(idp, state="second"))
    assert callback_params(again.location)["state"] == "second"
    # Another browser has no session: the login page.
    other = idp.browser().get(authorize_url(idp))
    assert other.status_code == 200
    assert "<form" in other.text


def test_a_wrong_password_shows_the_login_page_again_with_its_error(idp: MockIdp) -> None:
    answer = idp.browser().sign_in(authorize_url(idp), "alice", "not-her-password")
    assert answer.status_code == 401  # the login page again, as Keycloak answers it
    assert "<form" in answer.text
    assert Browser.error_message(answer) == "invalid username or password"
    with pytest.raises(BrowserError, match="expected a redirect"):
        _ = answer.location


def test_deny_sends_access_denied_to_the_app(idp: MockIdp) -> None:
    answer = idp.browser().sign_in(authorize_url(idp), "alice", action="deny")
    assert callback_params(answer.location)["error"] == "access_denied"


def test_a_refused_authorization_request_is_a_browser_error(idp: MockIdp) -> None:
    url = authorize_url(idp).replace("client_id=web-app", "client_id=no-such-client")
    with pytest.raises(BrowserError, match="answered 400"):
        idp.browser().sign_in(url, "alice")
