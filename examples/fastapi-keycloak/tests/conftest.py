from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app import create_app


@pytest.fixture
def client(mock_idp) -> TestClient:
    # The plugin set KEYCLOAK_SERVER_URL and KEYCLOAK_REALM for this test.
    return TestClient(create_app())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
