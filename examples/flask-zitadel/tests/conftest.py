from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app import create_app

# The personal access tokens of tests/world.toml.
READER_PAT = "reader-pat-0123456789abcdefghijklmnopqrstuvwxyz"
EXPIRED_PAT = "reader-expired-pat-0123456789abcdefghijklmnopq"
NO_ROLE_PAT = "no-role-pat-0123456789abcdefghijklmnopqrstuvwx"


@pytest.fixture
def client(mock_idp, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    # The plugin set ZITADEL_DOMAIN for this test; the API app's credentials are in the world.
    monkeypatch.setenv("CLIENT_ID", "api")
    monkeypatch.setenv("CLIENT_SECRET", "api-secret")
    return create_app().test_client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
