from __future__ import annotations

import pytest
from conftest import bearer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jose import jwt
from mock_idp import MockIdp

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


def test_a_token_signed_by_keys_the_realm_does_not_publish_is_401(mock_idp, client: TestClient) -> None:
    # This server's issuer and claims, re-signed with a key of our own under a kid the realm does
    # not publish.
    claims = jwt.get_unverified_claims(mock_idp.token_for("alice", "web-app").access_token)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    forged = jwt.encode(
        claims, pem.decode(), algorithm="RS256", headers={"kid": "not-published-by-the-realm"}
    )
    assert client.get("/messages", headers=bearer(forged)).status_code == 401
