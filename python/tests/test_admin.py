"""The admin-API wrappers (`MockIdp.admin`, `MockIdp.mint`) against the real binary."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import claims, get_json, header
from jose import JOSEError, jwt

from mock_idp import AdminError, Fault, Faults, MockIdp, MockIdpError


@pytest.fixture(scope="module")
def server() -> Iterator[MockIdp]:
    with MockIdp("keycloak") as idp:
        yield idp


@pytest.fixture
def idp(server: MockIdp) -> MockIdp:
    """The module's server, back to its world as loaded before each test."""
    server.reset()
    return server


def status_of(url: str, data: dict[str, str] | None = None, auth: tuple[str, str] | None = None) -> int:
    """The HTTP status of a GET (or a form POST when ``data``)."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def password_token(idp: MockIdp, username: str, password: str) -> str:
    """A password-grant access token through ``web-app`` (for users created over the admin API)."""
    grant = {"grant_type": "password", "username": username, "password": password, "scope": "openid"}
    request = urllib.request.Request(idp.token_endpoint, data=urllib.parse.urlencode(grant).encode())
    request.add_header("Authorization", "Basic " + base64.b64encode(b"web-app:web-app-secret").decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["access_token"])


def introspect(idp: MockIdp, token: str) -> dict[str, Any]:
    body = urllib.parse.urlencode({"token": token}).encode()
    request = urllib.request.Request(idp.introspection_endpoint, data=body)
    request.add_header("Authorization", "Basic " + base64.b64encode(b"api:api-secret").decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.load(response))


def verify(idp: MockIdp, token: str, audience: str = "api") -> dict[str, Any]:
    """What a resource server does: the key named by ``kid`` from the JWKS, RS256, iss, aud, exp."""
    kid = jwt.get_unverified_header(token).get("kid")
    key = next((k for k in get_json(idp.jwks_uri)["keys"] if k.get("kid") == kid), None)
    if key is None:
        raise JOSEError(f"no key {kid!r} in the JWKS")
    return dict(
        jwt.decode(
            token,
            key,
            algorithms=[key.get("alg", "RS256")],
            audience=audience,
            issuer=idp.issuer,
            options={"verify_at_hash": False},
        )
    )


# -- users and clients --------------------------------------------------------------------


def test_users_create_update_disable_delete(idp: MockIdp) -> None:
    users = idp.admin.users
    created = users.create("zoe", "zoe-pw", realm_roles=["user"], email="zoe@example.com")
    assert created.username == "zoe"
    assert created.email == "zoe@example.com"
    assert users.get("zoe").realm_roles == ["user"]
    token = password_token(idp, "zoe", "zoe-pw")
    assert "admin" not in claims(token)["realm_access"]["roles"]
    # `token_for` knows users made over the admin API (it asks the server's real grants).
    assert claims(idp.token_for("zoe", "web-app").access_token)["preferred_username"] == "zoe"

    changed = users.update("zoe", realm_roles=["user", "admin"], email=None)
    assert changed.email is None
    assert "admin" in claims(password_token(idp, "zoe", "zoe-pw"))["realm_access"]["roles"]

    assert users.disable("zoe").enabled is False
    with pytest.raises(urllib.error.HTTPError) as refused_login:
        password_token(idp, "zoe", "zoe-pw")
    assert refused_login.value.code in (400, 401)

    users.delete("zoe")
    with pytest.raises(AdminError) as refused:
        users.get("zoe")
    assert refused.value.status == 404
    assert "zoe" in refused.value.problem.detail
    assert "zoe" not in [u.username for u in users.list()]


def test_a_taken_username_is_a_409_problem(idp: MockIdp) -> None:
    with pytest.raises(AdminError) as refused:
        idp.admin.users.create("alice", "pw")
    assert refused.value.problem.status == 409
    assert refused.value.problem.title


def test_clients_create_change_secret_delete(idp: MockIdp) -> None:
    clients = idp.admin.clients
    created = clients.create(
        "py-batch", secret="s1", grant_types=["client_credentials"], service_account_roles=["user"]
    )
    assert created.kind == "confidential"
    assert created.grant_types == ["client_credentials"]
    grant = {"grant_type": "client_credentials"}
    assert status_of(idp.token_endpoint, grant, ("py-batch", "s1")) == 200

    assert idp.service_token("py-batch").access_token
    with pytest.raises(MockIdpError, match="no user grant") as no_user_grant:
        idp.token_for("alice", "py-batch")
    assert isinstance(no_user_grant.value.__cause__, AdminError)
    assert no_user_grant.value.__cause__.status == 409
    with pytest.raises(MockIdpError, match="nobody") as unknown:
        idp.token_for("nobody", "web-app")
    assert isinstance(unknown.value.__cause__, AdminError)
    assert (unknown.value.__cause__.status, unknown.value.__cause__.problem.field) == (422, "user")

    clients.update("py-batch", secret="s2")
    assert status_of(idp.token_endpoint, grant, ("py-batch", "s1")) == 401
    assert status_of(idp.token_endpoint, grant, ("py-batch", "s2")) == 200

    clients.delete("py-batch")
    assert "py-batch" not in [c.client_id for c in clients.list()]
    assert status_of(idp.token_endpoint, grant, ("py-batch", "s2")) in (400, 401)


def test_bad_input_is_an_admin_error_with_the_problem_and_field(idp: MockIdp) -> None:
    with pytest.raises(AdminError) as refused:
        idp.admin.clock.advance(-5)
    problem = refused.value.problem
    assert problem.status == 422
    assert problem.field == "seconds"
    assert problem.type != "about:blank"
    with pytest.raises(AdminError) as unknown_realm:
        idp.admin.users.list(realm="no-such-realm")
    assert unknown_realm.value.status == 404


def test_the_fixture_style_reset_puts_the_world_back(idp: MockIdp) -> None:
    idp.admin.users.create("dave", "pw")
    idp.admin.faults.add("token", Fault.outage())
    idp.admin.clock.advance(3600)
    parts = idp.reset()
    assert {"realms", "faults", "clock", "log"} <= set(parts)
    assert "dave" not in [u.username for u in idp.admin.users.list()]
    assert idp.admin.faults.list() == []
    assert idp.admin.clock.get().offset_seconds == 0


# -- faults and hit counters --------------------------------------------------------------


def test_a_status_fault_once_answers_that_status_then_stops(idp: MockIdp) -> None:
    idp.admin.faults.add("token", Fault.status(503), scope="once")
    with pytest.raises(MockIdpError):
        idp.token_for("alice", "web-app")
    assert idp.token_for("alice", "web-app").access_token
    assert idp.admin.faults.list() == []


def test_a_jwks_outage_n_times_with_counters(idp: MockIdp) -> None:
    faults = idp.admin.faults
    faults.clear_hits()
    rule = faults.add("jwks", Fault.outage(), scope=Faults.times(2))
    [active] = faults.list()
    assert (active.id, active.endpoint, active.remaining, active.fired) == (rule, "jwks", 2, 0)
    assert [status_of(idp.jwks_uri) for _ in range(3)] == [503, 503, 200]
    assert faults.hit_count("jwks") == 3
    with pytest.raises(AdminError) as gone:
        faults.remove(rule)
    assert gone.value.status == 404


def test_a_delay_fault_slows_the_endpoint_until_cleared(idp: MockIdp) -> None:
    idp.admin.faults.add("jwks", Fault.delay(400))
    began = time.monotonic()
    assert status_of(idp.jwks_uri) == 200
    assert time.monotonic() - began >= 0.4
    idp.admin.faults.clear()
    assert idp.admin.faults.list() == []


def test_empty_key_set_in_the_realm_once(idp: MockIdp) -> None:
    with pytest.raises(AdminError) as unknown:
        idp.admin.faults.add("jwks", Fault.empty_key_set(), realm="no-such-realm")
    assert unknown.value.problem.field == "realm"
    idp.admin.faults.add("jwks", Fault.empty_key_set(), realm=idp.realm, scope="once")
    assert get_json(idp.jwks_uri) == {"keys": []}
    assert get_json(idp.jwks_uri)["keys"]


def test_a_seeded_probability_fires_the_same_requests_every_run(idp: MockIdp) -> None:
    def pattern() -> list[int]:
        idp.admin.faults.clear()
        idp.admin.faults.add("jwks", Fault.status(500), scope=Faults.probability(0.5, seed=7))
        return [status_of(idp.jwks_uri) for _ in range(16)]

    first = pattern()
    assert set(first) == {200, 500}
    assert pattern() == first


# -- keys ---------------------------------------------------------------------------------


def test_rotation_is_seen_in_the_jwks_and_tokens_verify_with_the_new_kid(idp: MockIdp) -> None:
    keys = idp.admin.keys
    before = idp.token_for("alice", "web-app").access_token
    old_kid = header(before)["kid"]
    keys.rotate(overlap_seconds=600)
    new_kid = keys.active().kid
    assert new_kid != old_kid
    published = {k["kid"] for k in get_json(idp.jwks_uri)["keys"]}
    assert {old_kid, new_kid} <= published

    after = idp.token_for("alice", "web-app").access_token
    assert header(after)["kid"] == new_kid
    assert verify(idp, after)["preferred_username"] == "alice"
    assert verify(idp, before)["preferred_username"] == "alice"  # during the overlap

    keys.retire()
    assert old_kid not in {k["kid"] for k in get_json(idp.jwks_uri)["keys"]}
    with pytest.raises(JOSEError):
        verify(idp, before)
    assert verify(idp, after)


def test_publish_only_key_and_signing_alg(idp: MockIdp) -> None:
    kid = idp.admin.keys.publish("ES256")
    assert kid in {k["kid"] for k in get_json(idp.jwks_uri)["keys"]}
    assert next(k for k in idp.admin.keys.list() if k.kid == kid).state == "publish_only"
    idp.admin.keys.set_alg("ES256")
    assert header(idp.token_for("alice", "web-app").access_token)["alg"] == "ES256"
    idp.admin.keys.set_alg(None)
    assert header(idp.token_for("alice", "web-app").access_token)["alg"] == "RS256"


# -- clock --------------------------------------------------------------------------------


def test_advancing_the_clock_expires_a_token_at_introspection(idp: MockIdp) -> None:
    clock = idp.admin.clock
    frozen = clock.freeze()
    assert frozen.frozen
    token = idp.token_for("alice", "web-app").access_token
    assert introspect(idp, token)["active"] is True
    assert clock.advance(claims(token)["exp"] - frozen.now + 1).offset_seconds > 0
    assert introspect(idp, token) == {"active": False}
    state = clock.set(frozen.now)
    assert state.now == frozen.now
    assert state.frozen
    assert introspect(idp, token)["active"] is True
    assert clock.resume().frozen is False
    assert clock.reset().offset_seconds == 0


# -- claim shaping ------------------------------------------------------------------------


def test_queued_claims_reach_exactly_the_next_n_tokens(idp: MockIdp) -> None:
    idp.admin.claims.queue({"tenant": "acme"}, client="web-app", user="alice", count=2, remove=["email"])
    assert len(idp.admin.claims.list()) == 1
    first, second, third = (claims(idp.token_for("alice", "web-app").access_token) for _ in range(3))
    assert first["tenant"] == second["tenant"] == "acme"
    assert "email" not in first
    assert "tenant" not in third


def test_a_mapping_rule_shapes_every_matching_token(idp: MockIdp) -> None:
    idp.admin.mappings.add({"department": "sales"}, client="web-app", user="bob")
    assert len(idp.admin.mappings.list()) == 1
    for _ in range(2):
        assert claims(idp.token_for("bob", "web-app").access_token)["department"] == "sales"
    assert "department" not in claims(idp.token_for("alice", "web-app").access_token)
    idp.admin.mappings.clear()
    assert "department" not in claims(idp.token_for("bob", "web-app").access_token)


# -- request log --------------------------------------------------------------------------


def test_the_request_log_filters_and_clears(idp: MockIdp) -> None:
    log = idp.admin.log
    log.clear()
    idp.token_for("alice", "web-app")
    grant = {"grant_type": "client_credentials"}
    assert status_of(idp.token_endpoint, grant, ("service", "wrong")) == 401
    tokens = log.entries(endpoint="Token")
    assert [e.status for e in tokens] == [200, 401]
    # The issued tokens, decoded (Keycloak's access token names its client in `azp`).
    issued = {token.source: token for token in tokens[0].tokens}
    assert issued["response:access_token"].claims is not None
    assert issued["response:access_token"].claims["azp"] == "web-app"
    assert issued["response:access_token"].header["alg"] == "RS256"
    assert tokens[1].tokens == ()
    refused = log.query(endpoint="Token", status=401)
    assert [e.client for e in refused.entries] == ["service"]
    # Keycloak answers a wrong client secret with `unauthorized_client`.
    assert refused.entries[0].error == "unauthorized_client"
    assert refused.capacity > 0
    assert [e.status for e in log.entries(client="web-app", endpoint="Token")] == [200]
    assert "wrong" not in json.dumps([e.headers for e in tokens])
    assert log.entries(endpoint="Token", since=tokens[-1].time + 3600) == []
    assert len(log.entries(endpoint="Token", since=tokens[0].time)) == 2
    log.clear()
    assert log.entries(endpoint="Token") == []


# -- minted tokens ------------------------------------------------------------------------


def test_a_minted_token_without_defects_verifies_with_its_arbitrary_claims(idp: MockIdp) -> None:
    token = idp.mint(user="alice", client="web-app", claims={"tenant": "acme"}).access_token
    verified = verify(idp, token)
    assert verified["tenant"] == "acme"
    assert verified["preferred_username"] == "alice"


@pytest.mark.parametrize(
    ("defect", "refusal"),
    [
        ("expired", "expired"),
        ("not_yet_valid", "not yet valid"),
        ("wrong_issuer", "issuer"),
        ("wrong_audience", "audience"),
        ("unknown_kid", "no key"),
        ("bad_signature", "signature"),
        ("alg_none", "no key"),
    ],
)
def test_each_negative_token_is_refused_by_a_real_verifier(idp: MockIdp, defect: str, refusal: str) -> None:
    token = idp.mint(user="alice", client="web-app", defects=[defect]).access_token
    with pytest.raises(JOSEError, match=f"(?i){refusal}"):
        verify(idp, token)


def test_alg_none_is_refused_even_with_the_realm_key_in_hand(idp: MockIdp) -> None:
    token = idp.mint(user="alice", client="web-app", defects=["alg_none"]).access_token
    assert header(token)["alg"] == "none"
    key = next(k for k in get_json(idp.jwks_uri)["keys"] if k["alg"] == "RS256")
    with pytest.raises(JOSEError):
        jwt.decode(token, key, algorithms=["RS256"], audience="api", issuer=idp.issuer)


# -- per realm ----------------------------------------------------------------------------

TWO_REALMS = """
default_realm = "demo"

[realms.demo]
scopes = ["openid", "profile"]
roles = ["user"]

[realms.demo.users.alice]
id = "a11ce000-0000-4000-8000-000000000001"
password = "alice-pw"

[realms.demo.clients.web]
kind = "confidential"
secret = "web-secret"
grant_types = ["client_credentials"]

[realms.shop]
scopes = ["openid", "profile"]
roles = ["buyer"]

[realms.shop.users.erin]
id = "e5140000-0000-4000-8000-000000000002"
password = "erin-pw"

[realms.shop.clients.checkout]
kind = "confidential"
secret = "checkout-secret"
grant_types = ["client_credentials"]
"""


def test_realm_scoped_calls_touch_only_that_realm(tmp_path) -> None:
    world = tmp_path / "world.toml"
    world.write_text(TWO_REALMS)
    with MockIdp("keycloak", world=world) as idp:
        admin = idp.admin
        assert [u.username for u in admin.users.list()] == ["alice"]
        assert [u.username for u in admin.users.list(realm="shop")] == ["erin"]
        admin.users.create("frank", "pw", realm="shop", realm_roles=["buyer"])
        assert admin.users.get("frank", realm="shop").realm_roles == ["buyer"]
        with pytest.raises(AdminError):
            admin.users.get("frank")

        demo_kid, shop_kid = admin.keys.active().kid, admin.keys.active(realm="shop").kid
        admin.keys.rotate(realm="shop")
        assert admin.keys.active().kid == demo_kid
        assert admin.keys.active(realm="shop").kid != shop_kid

        shop_jwks = idp.endpoint("jwks_uri", realm="shop")
        admin.faults.add("jwks", Fault.outage(), realm="shop")
        assert status_of(shop_jwks) == 503
        assert status_of(idp.jwks_uri) == 200
        assert admin.faults.hit_count("jwks", realm="shop") == 1
        assert [e.realm for e in admin.log.entries(realm="shop", endpoint="Jwks")] == ["shop"]


def _form_post(url: str, data: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), json.load(response)
    except urllib.error.HTTPError as err:
        return int(err.code), json.load(err)


def test_devices_are_approved_denied_and_expired_for_the_next_poll(idp: MockIdp) -> None:
    device_endpoint = idp.endpoint("device_authorization_endpoint")
    grant = "urn:ietf:params:oauth:grant-type:device_code"

    def start() -> tuple[str, str]:
        status, body = _form_post(device_endpoint, {"client_id": "tv", "scope": "openid"})
        assert status == 200, body
        return body["device_code"], body["user_code"]

    def poll(device_code: str) -> tuple[int, dict[str, Any]]:
        idp.admin.clock.advance(10)  # past the polling interval: no slow_down
        return _form_post(
            idp.token_endpoint, {"grant_type": grant, "device_code": device_code, "client_id": "tv"}
        )

    device_code, user_code = start()
    assert poll(device_code)[1]["error"] == "authorization_pending"
    idp.admin.devices.approve(user_code, "alice")
    status, tokens = poll(device_code)
    assert status == 200, tokens
    assert claims(tokens["access_token"])["preferred_username"] == "alice"
    with pytest.raises(AdminError) as refused:
        idp.admin.devices.approve(user_code, "alice")
    assert refused.value.status == 404

    device_code, user_code = start()
    idp.admin.devices.deny(user_code)
    assert poll(device_code)[1]["error"] == "access_denied"
    device_code, user_code = start()
    idp.admin.devices.expire(user_code)
    assert poll(device_code)[1]["error"] == "expired_token"
