"""A `mock-idp serve` per test module for the admin API suite (Python `requests`), started by
the `serve_mock_idp` fixture of tests/python/conftest.py.

Needs the mock-idp binary (MOCK_IDP_BIN, default target/debug/mock-idp; build it with
`cargo build -p mock-idp`) and `requests` + `pytest` (tests/python/requirements.txt).
"""

import pytest
import requests

ADMIN_TOKEN = "py-admin-token"


@pytest.fixture(scope="module")
def base_url(serve_mock_idp):
    """A server with the admin API open (loopback, no token)."""
    with serve_mock_idp() as url:
        yield url


@pytest.fixture()
def admin(base_url):
    """A `requests` session on `{base}/_mock`, the server reset before each test."""
    session = requests.Session()
    session.base = base_url
    session.admin = base_url + "/_mock"
    assert session.post(session.admin + "/reset", timeout=10).status_code == 200
    yield session
    session.close()


@pytest.fixture(scope="module")
def guarded_url(serve_mock_idp):
    """A server whose admin API needs a bearer token."""
    with serve_mock_idp("--admin-token", ADMIN_TOKEN) as url:
        yield url
