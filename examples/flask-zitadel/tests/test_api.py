from __future__ import annotations

import pytest
from conftest import EXPIRED_PAT, NO_ROLE_PAT, READER_PAT, bearer
from flask.testing import FlaskClient

from app import Settings, create_app

pytestmark = pytest.mark.mock_idp(provider="zitadel", world="world.toml")


def test_the_public_route_needs_no_token(client: FlaskClient) -> None:
    assert client.get("/api/public").status_code == 200


def test_a_service_user_with_the_role_reads_the_scoped_route(client: FlaskClient) -> None:
    response = client.get("/api/private-scoped", headers=bearer(READER_PAT))
    assert response.status_code == 200
    assert response.json["sub"]
    assert client.get("/api/private", headers=bearer(READER_PAT)).status_code == 200


def test_without_the_project_role_the_scoped_route_is_403(client: FlaskClient) -> None:
    # ZITADEL lists every project role in a PAT's `scope`; the roles claim is what counts.
    assert client.get("/api/private", headers=bearer(NO_ROLE_PAT)).status_code == 200
    response = client.get("/api/private-scoped", headers=bearer(NO_ROLE_PAT))
    assert response.status_code == 403
    assert response.json["error"] == "insufficient_scope"


def test_no_token_or_an_unknown_one_is_401(client: FlaskClient) -> None:
    response = client.get("/api/private")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")  # case-insensitive scheme
    response = client.get("/api/private", headers=bearer("not-a-token-zitadel-knows-0123456789"))
    assert response.status_code == 401
    assert response.json["error"] == "invalid_token"


def test_an_expired_token_is_401(client: FlaskClient) -> None:
    assert client.get("/api/private", headers=bearer(EXPIRED_PAT)).status_code == 401


def test_wrong_api_credentials_or_zitadel_down_is_503_not_a_crash(mock_idp) -> None:
    wrong = create_app(Settings(mock_idp.issuer, "api", "not-the-secret")).test_client()
    assert wrong.get("/api/private", headers=bearer(READER_PAT)).status_code == 503
    # ZITADEL unreachable: nothing listens on loopback port 9 (discard).
    down = create_app(Settings("http://127.0.0.1:9", "api", "api-secret")).test_client()
    response = down.get("/api/private", headers=bearer(READER_PAT))
    assert response.status_code == 503
    assert response.json["error"] == "temporarily_unavailable"
