from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import bearer
from fastapi.testclient import TestClient
from mock_idp import MockIdp, find_binary

pytestmark = pytest.mark.mock_idp(provider="keycloak")


def test_a_user_with_the_realm_role_reads_messages(mock_idp, client: TestClient) -> None:
    token = mock_idp.token_for("bob", "web-app").access_token
    response = client.get("/messages", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["for"] == "bob"


def test_an_admin_route_needs_the_admin_realm_role(mock_idp, client: TestClient) -> None:
    assert (
        client.get(
            "/admin/stats", headers=bearer(mock_idp.token_for("bob", "web-app").access_token)
        ).status_code
        == 403
    )
    response = client.get("/admin/stats", headers=bearer(mock_idp.token_for("alice", "web-app").access_token))
    assert response.status_code == 200


def test_no_token_or_garbage_is_401(client: TestClient) -> None:
    assert client.get("/messages").status_code == 401
    assert client.get("/messages", headers=bearer("not-a-jwt")).status_code == 401


def test_a_token_for_another_audience_is_401(mock_idp, client: TestClient) -> None:
    # The `service` client's token is a valid realm token whose aud is only `account`.
    token = mock_idp.service_token("service").access_token
    assert client.get("/messages", headers=bearer(token)).status_code == 401


def test_a_token_from_another_realm_server_is_401(client: TestClient) -> None:
    # Same realm name and (embedded) keys, but another issuer: the iss check refuses it.
    with MockIdp("keycloak") as other:
        token = other.token_for("alice", "web-app").access_token
    assert client.get("/messages", headers=bearer(token)).status_code == 401


def test_a_token_signed_by_keys_the_realm_does_not_publish_is_401(
    mock_idp, client: TestClient, tmp_path: Path
) -> None:
    binary = find_binary()
    subprocess.run([binary, "keys", "generate", "--out", tmp_path], check=True, capture_output=True)
    # This server's issuer, but signed with freshly generated keys the realm does not publish.
    forged = subprocess.run(
        [
            binary,
            "token",
            "--provider",
            "keycloak",
            "--keys",
            tmp_path,
            "--port",
            str(mock_idp.port),
            "--user",
            "alice",
            "--client",
            "web-app",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert client.get("/messages", headers=bearer(forged)).status_code == 401
