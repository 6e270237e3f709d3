from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import alive, answers, claims, get_json, header

from mock_idp import MockIdp, MockIdpError, find_binary


@pytest.fixture(scope="module")
def keycloak() -> MockIdp:
    with MockIdp("keycloak") as idp:
        yield idp


def test_keycloak_issuer_and_endpoints_come_from_its_discovery_document(keycloak: MockIdp) -> None:
    assert keycloak.port not in (0, 8080)
    assert keycloak.base_url == f"http://127.0.0.1:{keycloak.port}"
    assert keycloak.realm == "demo"
    assert keycloak.issuer == f"{keycloak.base_url}/realms/demo"
    document = get_json(keycloak.discovery_url)
    assert keycloak.token_endpoint == document["token_endpoint"]
    assert keycloak.jwks_uri == f"{keycloak.issuer}/protocol/openid-connect/certs"
    assert keycloak.realms == {"demo": keycloak.issuer}
    with pytest.raises(MockIdpError, match="no 'no_such_member'"):
        keycloak.endpoint("no_such_member")


def test_zitadel_issuer_is_the_instance_url() -> None:
    with MockIdp("zitadel") as idp:
        assert idp.issuer == idp.base_url
        assert idp.introspection_endpoint == get_json(idp.discovery_url)["introspection_endpoint"]


def test_two_servers_listen_on_different_free_ports() -> None:
    with MockIdp() as one, MockIdp() as two:
        assert one.port != two.port
        assert get_json(one.discovery_url)["issuer"] == one.issuer
        assert get_json(two.discovery_url)["issuer"] == two.issuer


def test_token_for_is_accepted_by_the_running_server(keycloak: MockIdp) -> None:
    tokens = keycloak.token_for("alice", "web-app")
    assert tokens.token_type.lower() == "bearer"
    body = claims(tokens.access_token)
    assert body["iss"] == keycloak.issuer
    assert body["azp"] == "web-app"
    assert "admin" in body["realm_access"]["roles"]
    userinfo = get_json(keycloak.userinfo_endpoint, tokens.access_token)
    assert userinfo["preferred_username"] == "alice"
    assert tokens.id_token is not None
    assert header(tokens.access_token)["kid"] in {key["kid"] for key in get_json(keycloak.jwks_uri)["keys"]}


def test_service_token_is_a_client_credentials_token(keycloak: MockIdp) -> None:
    tokens = keycloak.service_token("service")
    body = claims(tokens.access_token)
    assert body["iss"] == keycloak.issuer
    assert body["azp"] == "service"
    assert "reporting" in body["realm_access"]["roles"]
    assert tokens.refresh_token is None


def test_token_for_uses_the_code_flow_where_the_provider_has_no_password_grant() -> None:
    with MockIdp("zitadel") as idp:
        tokens = idp.token_for("bob", "web-app")
        # ZITADEL's default access token is opaque; the ID token carries the claims.
        assert tokens.id_token is not None
        identity = claims(tokens.id_token)
        assert identity["iss"] == idp.issuer
        assert identity["aud"] == "web-app" or "web-app" in identity["aud"]


def test_an_unknown_user_or_client_is_a_clear_error(keycloak: MockIdp) -> None:
    with pytest.raises(MockIdpError, match="mallory"):
        keycloak.token_for("mallory", "web-app")
    with pytest.raises(MockIdpError, match="nope"):
        keycloak.service_token("nope")


def test_the_server_is_stopped_when_the_block_raises() -> None:
    pid = None
    with pytest.raises(ZeroDivisionError), MockIdp() as idp:
        pid = idp.pid
        assert alive(pid)
        _ = 1 / 0
    assert pid is not None
    assert not alive(pid)
    assert not idp.running
    with pytest.raises(MockIdpError, match="not running"):
        idp.service_token("service")


def test_a_bad_world_file_fails_start_with_the_binary_message(tmp_path: Path) -> None:
    world = tmp_path / "world.toml"
    world.write_text('default_realm = "missing"\n')
    with pytest.raises(MockIdpError, match="check-config"):
        MockIdp(world=world).start()


def test_an_unknown_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="okta"):
        MockIdp("okta")


WORLD = """
default_realm = "shop"

[realms.shop]
scopes = ["openid", "profile"]
roles = ["buyer"]

[realms.shop.clients.checkout]
kind = "confidential"
secret = "checkout-secret"
grant_types = ["password", "client_credentials"]

[realms.shop.users.carol]
id = "c0ffee00-0000-4000-8000-000000000001"
password = "carol-password"
realm_roles = ["buyer"]
"""


def test_a_world_file_sets_realm_users_and_clients(tmp_path: Path) -> None:
    world = tmp_path / "world.toml"
    world.write_text(WORLD)
    with MockIdp("keycloak", world=world) as idp:
        assert idp.realm == "shop"
        assert idp.issuer.endswith("/realms/shop")
        body = claims(idp.token_for("carol", "checkout").access_token)
        assert body["sub"] == "c0ffee00-0000-4000-8000-000000000001"
        assert "buyer" in body["realm_access"]["roles"]


def test_a_keys_directory_replaces_the_embedded_keys(tmp_path: Path) -> None:
    subprocess.run([find_binary(), "keys", "generate", "--out", tmp_path], check=True, capture_output=True)
    with MockIdp("keycloak") as embedded:
        embedded_kids = {key["kid"] for key in get_json(embedded.jwks_uri)["keys"]}
    with MockIdp("keycloak", keys=tmp_path) as idp:
        kids = {key["kid"] for key in get_json(idp.jwks_uri)["keys"]}
        assert kids.isdisjoint(embedded_kids)
        assert header(idp.token_for("alice", "web-app").access_token)["kid"] in kids


def test_mock_idp_environment_variables_do_not_leak_into_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCK_IDP_PUBLIC_URL", "http://elsewhere.invalid")
    monkeypatch.setenv("MOCK_IDP_PROVIDER", "zitadel")
    with MockIdp("keycloak") as idp:
        assert idp.issuer == f"http://127.0.0.1:{idp.port}/realms/demo"
        assert claims(idp.token_for("alice", "web-app").access_token)["iss"] == idp.issuer


def test_python_dash_m_runs_the_binary() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mock_idp", "--version"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("mock-idp ")


_CHILD = """
import time
from mock_idp import MockIdp

idp = MockIdp().start()
print(idp.port, idp.pid, flush=True)
time.sleep(120)
"""


def test_the_server_does_not_outlive_a_sigkilled_parent() -> None:
    # No atexit hook runs on SIGKILL: the server's stdin pipe closing is what stops it.
    parent = subprocess.Popen(
        [sys.executable, "-c", _CHILD], stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    assert parent.stdout is not None
    port_text, pid_text = parent.stdout.readline().split()
    port, pid = int(port_text), int(pid_text)
    try:
        assert get_json(f"http://127.0.0.1:{port}/demo/.well-known/openid-configuration")["issuer"]
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while answers(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not answers(port), f"the server on port {port} outlived its SIGKILLed parent"
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(pid)
    finally:
        parent.stdout.close()
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
