from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from conftest import Browser, make_client
from mock_idp import Fault

pytestmark = pytest.mark.mock_idp(provider="keycloak")


def test_a_signed_out_user_is_sent_to_keycloak_with_pkce_and_a_nonce(browser: Browser, mock_idp) -> None:
    assert browser.app.get("/profile").headers["Location"] == "/login"
    start = browser.app.get("/login")
    assert start.headers["Location"].startswith(mock_idp.authorization_endpoint + "?")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"][0] and query["state"][0] and query["code_challenge"][0]
    assert query["scope"] == ["openid profile email"]


def test_alice_signs_in_sees_her_claims_and_signs_out_at_keycloak(browser: Browser, mock_idp) -> None:
    done = browser.log_in("alice")
    assert done.status_code == 302 and done.headers["Location"] == "/profile"
    profile = browser.app.get("/profile")
    assert profile.status_code == 200
    assert profile.json["preferred_username"] == "alice"
    assert profile.json["email"] == "alice@example.com"
    with browser.app.session_transaction() as session:
        id_token = session["id_token"]

    out = browser.app.get("/logout")
    assert out.headers["Location"].startswith(mock_idp.end_session_endpoint + "?")
    query = parse_qs(urlsplit(out.headers["Location"]).query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:5000/"]
    assert browser.app.get("/profile").headers["Location"] == "/login"  # the app's session is gone
    ended = browser.idp.get(out.headers["Location"])
    assert ended.status_code in (302, 303), ended.text
    assert ended.headers["Location"].startswith("http://127.0.0.1:5000/")
    # Keycloak's session ended too: the next sign-in asks for the password again.
    again = browser.idp.get(browser.app.get("/login").headers["Location"])
    assert again.status_code == 200 and "password" in again.text


def test_a_wrong_password_stays_at_keycloak_and_a_denied_login_is_an_error_page(browser: Browser) -> None:
    refused = browser.sign_in_at_idp("alice", "not-her-password")
    assert refused.status_code == 401
    assert 'class="error"' in refused.text
    denied = browser.back_to_app(browser.sign_in_at_idp("alice", "", action="deny"))
    assert denied.status_code == 401
    assert "access_denied" in denied.text
    assert browser.app.get("/profile").status_code == 302


def test_an_id_token_with_another_nonce_is_refused(browser: Browser, mock_idp) -> None:
    mock_idp.admin.claims.queue({"nonce": "not-the-apps-nonce"}, client="web-app", tokens="id")
    answer = browser.log_in("alice")
    assert answer.status_code == 401
    assert "nonce" in answer.text
    assert browser.app.get("/profile").status_code == 302


def test_the_admin_page_needs_the_admin_realm_role_in_the_id_token(browser: Browser, mock_idp) -> None:
    # The realm's "realm roles" mapper with "Add to ID token" on, shaped for this test.
    mock_idp.admin.mappings.add({"realm_access": {"roles": ["admin"]}}, user="alice", tokens="id")
    browser.log_in("alice")
    assert browser.app.get("/admin").json == {"admin": "alice"}
    browser.app.get("/logout")
    browser.idp = mock_idp.browser()  # another user's browser
    browser.log_in("bob")
    assert browser.app.get("/admin").status_code == 403


def test_an_expired_id_token_is_refused(browser: Browser, mock_idp) -> None:
    mock_idp.admin.clock.set(int(time.time()) - 3600)  # Keycloak's clock an hour behind
    answer = browser.log_in("alice")
    assert answer.status_code == 401
    assert browser.app.get("/profile").status_code == 302


def test_after_a_key_rotation_the_next_login_is_checked_with_the_new_key(browser: Browser, mock_idp) -> None:
    assert browser.log_in("alice").status_code == 302  # the app now holds the old JWK set
    old_kids = {key["kid"] for key in requests.get(mock_idp.jwks_uri, timeout=10).json()["keys"]}
    mock_idp.admin.keys.rotate()
    mock_idp.admin.keys.retire()
    browser.app.get("/logout")
    browser.idp = mock_idp.browser()  # another user's browser
    assert browser.log_in("bob").status_code == 302  # Authlib fetched the set again for the new kid
    assert browser.app.get("/profile").json["preferred_username"] == "bob"
    new_kids = {key["kid"] for key in requests.get(mock_idp.jwks_uri, timeout=10).json()["keys"]}
    assert new_kids.isdisjoint(old_kids)


def test_a_stale_key_set_fails_the_login_cleanly(browser: Browser, mock_idp) -> None:
    mock_idp.admin.keys.rotate()
    mock_idp.admin.faults.add("jwks", Fault.stale_key_set())
    answer = browser.log_in("alice")
    assert answer.status_code == 401
    assert browser.app.get("/profile").status_code == 302


def test_keycloak_down_or_slow_is_a_503_not_a_crash(
    browser: Browser, mock_idp, monkeypatch: pytest.MonkeyPatch
) -> None:
    mock_idp.admin.faults.add("token", Fault.outage(), scope="once")
    assert browser.log_in("alice").status_code == 503  # Keycloak answered 503 temporarily_unavailable

    monkeypatch.setenv("KEYCLOAK_TIMEOUT", "0.5")
    slow = Browser(make_client(), mock_idp.browser())
    mock_idp.admin.faults.add("token", Fault.delay(1500), scope="once")
    assert slow.log_in("alice").status_code == 503

    monkeypatch.setenv("KEYCLOAK_URL", "http://127.0.0.1:9")  # nothing listens there
    down = make_client()
    assert down.get("/login").status_code == 503
