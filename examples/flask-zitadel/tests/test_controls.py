"""Recipes: an expired token, key rotation, ZITADEL failing or slow, a claim the test shapes.

Each one drives the mock through the plugin's ``mock_idp`` fixture (reset before every test)
and its admin API (``mock_idp.admin``); nothing sleeps.
"""

from __future__ import annotations

import pytest
from conftest import READER_PAT, bearer
from flask.testing import FlaskClient
from mock_idp import Fault

from app import ROLES_CLAIM, Settings, create_app

pytestmark = pytest.mark.mock_idp(provider="zitadel", world="world.toml")


def test_a_token_is_401_once_the_clock_passes_its_expiry(mock_idp, client: FlaskClient) -> None:
    token = mock_idp.service_token("reader")
    assert client.get("/api/private", headers=bearer(token.access_token)).status_code == 200
    mock_idp.admin.clock.advance(token.expires_in + 1)
    assert client.get("/api/private", headers=bearer(token.access_token)).status_code == 401


def test_a_key_rotation_does_not_disturb_introspection(mock_idp, client: FlaskClient) -> None:
    before = mock_idp.service_token("reader").access_token
    mock_idp.admin.keys.rotate()
    mock_idp.admin.keys.retire()  # the old keys are gone from the JWKS at once
    after = mock_idp.service_token("reader").access_token
    for token in (before, after):
        assert client.get("/api/private", headers=bearer(token)).status_code == 200


def test_introspection_failing_is_503_then_the_api_recovers(mock_idp, client: FlaskClient) -> None:
    mock_idp.admin.faults.add("introspect", Fault.status(503), scope="once")
    response = client.get("/api/private", headers=bearer(READER_PAT))
    assert response.status_code == 503
    assert response.json["error"] == "temporarily_unavailable"
    assert client.get("/api/private", headers=bearer(READER_PAT)).status_code == 200


def test_introspection_slower_than_the_api_timeout_is_503(mock_idp) -> None:
    client = create_app(Settings(mock_idp.issuer, "api", "api-secret", timeout=0.2)).test_client()
    mock_idp.admin.faults.add("introspect", Fault.delay(1000), scope="once")
    assert client.get("/api/private", headers=bearer(READER_PAT)).status_code == 503
    assert client.get("/api/private", headers=bearer(READER_PAT)).status_code == 200


def test_a_project_role_queued_for_the_next_token_opens_the_scoped_route(
    mock_idp, client: FlaskClient
) -> None:
    without = mock_idp.service_token("no-role").access_token
    assert client.get("/api/private-scoped", headers=bearer(without)).status_code == 403
    mock_idp.admin.claims.queue({ROLES_CLAIM: {"read:messages": {"1": "demo"}}}, client="no-role")
    granted = mock_idp.service_token("no-role").access_token
    assert client.get("/api/private-scoped", headers=bearer(granted)).status_code == 200
