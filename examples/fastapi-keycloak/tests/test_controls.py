"""Recipes: an expired token, key rotation, the provider down, a claim the test shapes.

Each one drives the mock through the plugin's ``mock_idp`` fixture (reset before every test)
and its admin API (``mock_idp.admin``); nothing sleeps.
"""

from __future__ import annotations

import dataclasses
import time

import pytest
from conftest import bearer
from fastapi.testclient import TestClient
from mock_idp import Fault

from app import Settings, create_app

pytestmark = pytest.mark.mock_idp(provider="keycloak")


def test_a_token_past_its_exp_is_401(mock_idp, client: TestClient) -> None:
    # Issue the token an hour ago on the mock's clock: its `exp` is in the app's past.
    mock_idp.admin.clock.set(int(time.time()) - 3600)
    token = mock_idp.token_for("bob", "web-app").access_token
    assert client.get("/messages", headers=bearer(token)).status_code == 401


def test_a_minted_expired_token_is_401(mock_idp, client: TestClient) -> None:
    token = mock_idp.mint(user="bob", client="web-app", defects=["expired"]).access_token
    assert client.get("/messages", headers=bearer(token)).status_code == 401


def test_tokens_signed_after_a_key_rotation_are_accepted(mock_idp, client: TestClient) -> None:
    before = mock_idp.token_for("bob", "web-app").access_token
    assert client.get("/messages", headers=bearer(before)).status_code == 200  # JWKS now cached
    mock_idp.admin.keys.rotate(overlap_seconds=600)
    after = mock_idp.token_for("bob", "web-app").access_token
    # A new kid: the app refetches the JWKS once and finds it.
    assert client.get("/messages", headers=bearer(after)).status_code == 200
    assert client.get("/messages", headers=bearer(before)).status_code == 200  # old key in overlap


@pytest.mark.parametrize(
    "fault", [Fault.outage(), Fault.drop_connection(), Fault.malformed_json(), Fault.empty_key_set()]
)
def test_keycloak_down_is_503_and_the_api_recovers(mock_idp, client: TestClient, fault) -> None:
    mock_idp.admin.faults.add("jwks", fault, scope="once")
    token = mock_idp.token_for("bob", "web-app").access_token
    answer = client.get("/messages", headers=bearer(token))
    if fault["kind"] == "empty_key_set":
        assert answer.status_code == 401  # keys came, the token's is not among them
    else:
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "5"
    assert client.get("/messages", headers=bearer(token)).status_code == 200
    assert mock_idp.admin.faults.hit_count("jwks") == 2


def test_a_keycloak_slower_than_the_fetch_timeout_is_503(mock_idp) -> None:
    impatient = TestClient(create_app(dataclasses.replace(Settings.from_env(), jwks_timeout=0.3)))
    mock_idp.admin.faults.add("jwks", Fault.delay(1500), scope="once")
    token = mock_idp.token_for("bob", "web-app").access_token
    assert impatient.get("/messages", headers=bearer(token)).status_code == 503
    assert impatient.get("/messages", headers=bearer(token)).status_code == 200


def test_a_realm_role_queued_for_the_next_token_opens_the_admin_route(mock_idp, client: TestClient) -> None:
    mock_idp.admin.claims.queue({"realm_access": {"roles": ["user", "admin"]}}, user="bob")
    promoted = mock_idp.token_for("bob", "web-app").access_token
    assert client.get("/admin/stats", headers=bearer(promoted)).status_code == 200
    again = mock_idp.token_for("bob", "web-app").access_token
    assert client.get("/admin/stats", headers=bearer(again)).status_code == 403
