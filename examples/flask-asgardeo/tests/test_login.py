from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Browser
from mock_idp import Fault

pytestmark = pytest.mark.mock_idp(provider="wso2")


def test_a_signed_out_user_is_sent_to_wso2_with_the_sdk_defaults(browser: Browser, mock_idp) -> None:
    assert browser.app.get("/").headers["Location"] == "/login"
    start = browser.app.get("/login")
    assert start.headers["Location"].startswith(mock_idp.authorization_endpoint + "?")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["scope"] == ["internal_login openid"]
    assert query["state"][0]


def test_alice_signs_in_and_out(browser: Browser, mock_idp) -> None:
    done = browser.log_in("alice")
    assert done.status_code == 302 and done.headers["Location"] == "/"
    home = browser.app.get("/")
    assert home.status_code == 200
    assert home.json["username"] == "7f2a1c3e-5b4d-4e6f-8a9b-0c1d2e3f4a5b"  # WSO2's sub: the user id

    out = browser.app.get("/logout")
    assert out.headers["Location"].startswith(mock_idp.end_session_endpoint + "?")
    assert parse_qs(urlsplit(out.headers["Location"]).query)["id_token_hint"][0]
    assert browser.app.get("/").status_code == 302  # the app's session is gone
    confirm = browser.idp.get(out.headers["Location"])
    assert confirm.status_code == 200, confirm.text  # WSO2 asks the user to confirm
    gone = browser.idp.submit(confirm)
    assert gone.headers["Location"].startswith("http://127.0.0.1:5000/")


def test_a_wrong_password_stays_at_wso2_and_a_denied_login_is_an_error_page(browser: Browser) -> None:
    refused = browser.sign_in_at_idp("alice", "not-her-password")
    assert refused.status_code == 401
    denied = browser.back_to_app(browser.sign_in_at_idp("alice", "", action="deny"))
    assert denied.status_code == 401
    assert "access_denied" in denied.text
    assert browser.app.get("/").status_code == 302


def test_a_shaped_claim_reaches_the_user(browser: Browser, mock_idp) -> None:
    mock_idp.admin.claims.queue({"email": "alice@wso2.example"}, client="web-app", tokens="id")
    browser.log_in("alice")
    assert browser.app.get("/").json["email"] == "alice@wso2.example"


def test_an_expired_id_token_is_refused(browser: Browser, mock_idp) -> None:
    mock_idp.admin.clock.set(int(time.time()) - 3600)
    answer = browser.log_in("alice")
    assert answer.status_code == 401
    assert browser.app.get("/").status_code == 302


def test_after_a_key_rotation_the_id_token_is_checked_with_the_new_key(browser: Browser, mock_idp) -> None:
    mock_idp.admin.keys.rotate()
    mock_idp.admin.keys.retire()
    assert browser.log_in("alice").status_code == 302  # the SDK reads the JWK set at each sign-in
    mock_idp.admin.keys.rotate()
    mock_idp.admin.faults.add("jwks", Fault.stale_key_set())
    browser.app.get("/logout")
    browser.idp = mock_idp.browser()
    assert browser.log_in("bob").status_code == 401  # signed with a key the served set lacks


def test_wso2_down_is_an_error_page_not_a_crash(browser: Browser, mock_idp) -> None:
    mock_idp.admin.faults.add("token", Fault.outage(), scope="once")
    answer = browser.log_in("alice")
    assert answer.status_code == 401
    assert "temporarily_unavailable" in answer.text
    mock_idp.admin.faults.add("jwks", Fault.drop_connection(), scope="once")
    browser.idp = mock_idp.browser()
    assert browser.log_in("alice").status_code == 503


def test_a_slow_wso2_is_waited_for(browser: Browser, mock_idp) -> None:
    # The SDK sets no timeout on its requests: a slow token endpoint only makes the sign-in slow.
    mock_idp.admin.faults.add("token", Fault.delay(800), scope="once")
    started = time.monotonic()
    assert browser.log_in("alice").status_code == 302
    assert time.monotonic() - started >= 0.8
