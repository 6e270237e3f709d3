"""Recipes: an expired token, key rotation, the provider down, a claim the test shapes.

Each one drives the mock through the plugin's ``mock_idp`` fixture (reset before every test)
and its admin API (``mock_idp.admin``); nothing sleeps.
"""

from __future__ import annotations

import time

import pytest
from conftest import bearer
from fastapi.testclient import TestClient
from mock_idp import Fault

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


def test_a_jwks_outage_is_401_and_the_api_recovers(mock_idp, client: TestClient) -> None:
    mock_idp.admin.faults.add("jwks", Fault.outage(), scope="once")
    token = mock_idp.token_for("bob", "web-app").access_token
    assert client.get("/messages", headers=bearer(token)).status_code == 401
    assert client.get("/messages", headers=bearer(token)).status_code == 200
    assert mock_idp.admin.faults.hit_count("jwks") == 2


def test_a_realm_role_queued_for_the_next_token_opens_the_admin_route(mock_idp, client: TestClient) -> None:
    mock_idp.admin.claims.queue({"realm_access": {"roles": ["user", "admin"]}}, user="bob")
    promoted = mock_idp.token_for("bob", "web-app").access_token
    assert client.get("/admin/stats", headers=bearer(promoted)).status_code == 200
    again = mock_idp.token_for("bob", "web-app").access_token
    assert client.get("/admin/stats", headers=bearer(again)).status_code == 403
