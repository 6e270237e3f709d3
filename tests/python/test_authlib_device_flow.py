"""Authlib runs the device authorization grant (RFC 8628) against `mock-idp serve --provider
keycloak`: its session starts the authorization, polls with the device-code grant and reads the
provider's errors as Authlib's ``OAuthError``; the test approves and denies over the admin API, as
a test would script the user at the TV.

Needs: the mock-idp binary (MOCK_IDP_BIN, default target/debug/mock-idp) and requirements.txt.
"""

import pytest
import requests

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(scope="module")
def keycloak(serve_mock_idp):
    with serve_mock_idp("--provider", "keycloak") as base:
        discovery = requests.get(
            base + "/realms/demo/.well-known/openid-configuration", timeout=10
        ).json()
        yield base, discovery


def _start(session, discovery):
    answer = session.post(
        discovery["device_authorization_endpoint"],
        data={"client_id": "tv", "scope": "openid"},
        withhold_token=True,
    )
    answer.raise_for_status()
    return answer.json()


def _poll(session, base, discovery, device_code):
    # Past Keycloak's 5 s polling interval on the mock's clock, so no slow_down.
    requests.post(
        base + "/_mock/clock/advance", json={"seconds": 10}, timeout=10
    ).raise_for_status()
    return session.fetch_token(
        discovery["token_endpoint"], grant_type=DEVICE_GRANT, device_code=device_code
    )


def test_authlib_polls_until_the_user_approves_and_gets_the_user_s_tokens(keycloak):
    from authlib.integrations.base_client.errors import OAuthError
    from authlib.integrations.requests_client import OAuth2Session

    base, discovery = keycloak
    session = OAuth2Session("tv", token_endpoint_auth_method="none")
    started = _start(session, discovery)
    assert started["verification_uri"].startswith(base)
    with pytest.raises(OAuthError) as pending:
        _poll(session, base, discovery, started["device_code"])
    assert pending.value.error == "authorization_pending"

    approve = f"{base}/_mock/realms/demo/device/{started['user_code']}/approve"
    assert (
        requests.post(approve, json={"username": "alice"}, timeout=10).status_code
        == 204
    )
    token = _poll(session, base, discovery, started["device_code"])
    assert token["token_type"].lower() == "bearer"
    assert "refresh_token" in token
    userinfo = session.get(discovery["userinfo_endpoint"]).json()
    assert userinfo["preferred_username"] == "alice"


def test_authlib_sees_a_denial_as_access_denied(keycloak):
    from authlib.integrations.base_client.errors import OAuthError
    from authlib.integrations.requests_client import OAuth2Session

    base, discovery = keycloak
    session = OAuth2Session("tv", token_endpoint_auth_method="none")
    started = _start(session, discovery)
    deny = f"{base}/_mock/realms/demo/device/{started['user_code']}/deny"
    assert requests.post(deny, timeout=10).status_code == 204
    with pytest.raises(OAuthError) as denied:
        _poll(session, base, discovery, started["device_code"])
    assert denied.value.error == "access_denied"
