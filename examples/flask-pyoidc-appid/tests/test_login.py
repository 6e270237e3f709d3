from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Browser, make_client
from mock_idp import Fault

pytestmark = pytest.mark.mock_idp(provider="appid")


def test_a_signed_out_user_is_sent_to_the_explicit_authorization_endpoint(browser: Browser, mock_idp) -> None:
    start = browser.app.get("/")
    assert start.status_code == 302
    assert start.headers["Location"].startswith(mock_idp.issuer + "/authorization?")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["scope"] == ["openid"] and query["client_id"] == ["web-app"]
    assert query["nonce"][0] and query["state"][0]


def test_alice_signs_in_sees_her_claims_and_signs_out(browser: Browser, mock_idp) -> None:
    done = browser.log_in("alice")
    assert done.status_code == 302 and done.headers["Location"] == "/"
    home = browser.app.get("/")
    assert home.status_code == 200, home.text
    assert home.json["id_token"]["iss"] == mock_idp.issuer
    assert home.json["id_token"]["aud"] in ("web-app", ["web-app"])
    assert home.json["userinfo"]["sub"] == home.json["id_token"]["sub"]
    assert browser.app.get("/logout").text == "Signed out."  # App ID has no end-session endpoint
    assert browser.app.get("/").status_code == 302


def test_a_wrong_password_stays_at_app_id_and_a_denied_login_is_an_error_page(browser: Browser) -> None:
    refused = browser.sign_in_at_idp("alice", "not-her-password")
    assert refused.status_code == 401
    denied = browser.back_to_app(browser.sign_in_at_idp("alice", "", action="deny"))
    assert denied.status_code == 401
    assert denied.json["error"] == "access_denied"
    assert browser.app.get("/").status_code == 302


def test_an_id_token_with_another_nonce_is_refused(browser: Browser, mock_idp) -> None:
    mock_idp.admin.claims.queue({"nonce": "not-the-apps-nonce"}, client="web-app", tokens="id")
    answer = browser.log_in("alice")
    assert answer.status_code == 401
    assert browser.app.get("/").status_code == 302


def test_a_shaped_claim_reaches_the_app(browser: Browser, mock_idp) -> None:
    mock_idp.admin.claims.queue({"tenant": "shaped-tenant"}, client="web-app", tokens="id")
    browser.log_in("alice")
    assert browser.app.get("/").json["id_token"]["tenant"] == "shaped-tenant"


def test_an_expired_id_token_is_refused(browser: Browser, mock_idp) -> None:
    mock_idp.admin.clock.set(int(time.time()) - 3600)
    answer = browser.log_in("alice")
    assert answer.status_code == 401
    assert answer.json["error"] == "invalid_id_token"
    assert browser.app.get("/").status_code == 302


def test_after_a_key_rotation_the_next_login_is_checked_with_the_new_key(browser: Browser, mock_idp) -> None:
    assert browser.log_in("alice").status_code == 302
    mock_idp.admin.keys.rotate()
    mock_idp.admin.keys.retire()
    other = Browser(browser.app, mock_idp.browser())
    browser.app.get("/logout")
    assert other.log_in("bob").status_code == 302
    assert browser.app.get("/").status_code == 200


def test_a_stale_key_set_fails_the_login_cleanly(browser: Browser, mock_idp) -> None:
    mock_idp.admin.keys.rotate()
    mock_idp.admin.faults.add("jwks", Fault.stale_key_set())
    assert browser.log_in("alice").status_code == 401
    assert browser.app.get("/").status_code == 302


def test_app_id_down_or_slow_is_an_error_not_a_crash(
    browser: Browser, mock_idp, monkeypatch: pytest.MonkeyPatch
) -> None:
    mock_idp.admin.faults.add("token", Fault.outage(), scope="once")
    assert browser.log_in("alice").status_code == 503

    monkeypatch.setenv("APPID_TIMEOUT", "0.5")
    slow = Browser(make_client(), mock_idp.browser())
    mock_idp.admin.faults.add("token", Fault.delay(1500), scope="once")
    assert slow.log_in("alice").status_code == 503
