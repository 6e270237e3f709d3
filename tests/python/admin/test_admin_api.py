"""Every admin resource of `mock-idp serve` from Python `requests`: clock, request log, users,
clients, reset, the OpenAPI document, the bearer token, and malformed input (4xx problem
bodies only)."""

import base64
import json

import pytest
import requests
from conftest import ADMIN_TOKEN


def discovery(admin):
    """The default realm's discovery document (the generic flavor serves realm `demo` at /demo)."""
    response = requests.get(admin.base + "/demo/.well-known/openid-configuration", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def password_grant(admin, username, password, client=("web-app", "web-app-secret")):
    return requests.post(
        discovery(admin)["token_endpoint"],
        auth=client,
        data={"grant_type": "password", "username": username, "password": password, "scope": "openid email"},
        timeout=10,
    )


def claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def assert_problem(response, status, field=None):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"] and body["title"] and body["detail"]
    if field is not None:
        assert body["field"] == field, body
    return body


def test_clock_freeze_advance_set_and_expiry(admin):
    frozen = admin.post(admin.admin + "/clock/freeze", timeout=10).json()
    assert frozen["frozen"] is True
    token = password_grant(admin, "alice", "alice-password").json()
    meta = discovery(admin)

    def introspect():
        return requests.post(
            meta["introspection_endpoint"], auth=("api", "api-secret"), data={"token": token["access_token"]}, timeout=10
        ).json()

    assert introspect()["active"] is True
    advanced = admin.post(admin.admin + "/clock/advance", json={"seconds": token["expires_in"] + 1}, timeout=10).json()
    assert advanced["now"] == frozen["now"] + token["expires_in"] + 1
    assert introspect() == {"active": False}
    at = admin.post(admin.admin + "/clock/set", json={"now": frozen["now"]}, timeout=10).json()
    assert at["now"] == frozen["now"] and at["frozen"] is True
    assert introspect()["active"] is True
    resumed = admin.post(admin.admin + "/clock/resume", timeout=10).json()
    assert resumed["frozen"] is False
    back = admin.delete(admin.admin + "/clock", timeout=10).json()
    assert back["offset_seconds"] == 0


def test_request_log_masks_filters_and_clears(admin):
    assert password_grant(admin, "alice", "alice-password").status_code == 200
    assert password_grant(admin, "alice", "wrong").status_code == 400
    log = admin.get(admin.admin + "/log", params={"endpoint": "Token"}, timeout=10).json()
    entries = log["entries"]
    assert [entry["status"] for entry in entries] == [200, 400]
    assert entries[0]["params"]["password"] == "[masked]"
    assert entries[0]["headers"]["authorization"] == "Basic [masked]"
    assert entries[0]["client"] == "web-app"
    assert entries[1]["error"] == "invalid_grant"
    assert "alice-password" not in json.dumps(log) and "web-app-secret" not in json.dumps(log)
    failed = admin.get(admin.admin + "/log", params={"status": 400}, timeout=10).json()["entries"]
    assert len(failed) == 1
    assert admin.delete(admin.admin + "/log", timeout=10).status_code == 204
    assert admin.get(admin.admin + "/log", timeout=10).json()["entries"] == []


def test_users_create_update_disable_delete(admin):
    users = admin.admin + "/realms/demo/users"
    created = admin.post(users, json={"username": "dave", "password": "pw1", "email": "dave@example.com"}, timeout=10)
    assert created.status_code == 201, created.text
    assert "password" not in created.json()
    token = password_grant(admin, "dave", "pw1").json()
    assert claims(token["id_token"])["email"] == "dave@example.com"
    assert claims(token["access_token"])["sub"] == created.json()["id"]
    assert_problem(admin.post(users, json={"username": "dave", "password": "x"}, timeout=10), 409)
    patched = admin.patch(users + "/dave", json={"password": "pw2", "email": "d@example.org"}, timeout=10)
    assert patched.status_code == 200 and patched.json()["email"] == "d@example.org"
    assert password_grant(admin, "dave", "pw1").status_code == 400
    assert claims(password_grant(admin, "dave", "pw2").json()["id_token"])["email"] == "d@example.org"
    admin.patch(users + "/dave", json={"enabled": False}, timeout=10)
    assert password_grant(admin, "dave", "pw2").status_code == 400
    assert admin.delete(users + "/dave", timeout=10).status_code == 204
    assert_problem(admin.get(users + "/dave", timeout=10), 404)
    names = [user["username"] for user in admin.get(users, timeout=10).json()]
    assert names == ["alice", "bob", "carol"]


def test_clients_create_rotate_secret_and_delete(admin):
    clients = admin.admin + "/realms/demo/clients"
    body = {
        "client_id": "py-batch",
        "kind": "confidential",
        "secret": "s1",
        "grant_types": ["client_credentials"],
    }
    assert admin.post(clients, json=body, timeout=10).status_code == 201
    endpoint = discovery(admin)["token_endpoint"]

    def service_token(secret):
        return requests.post(endpoint, auth=("py-batch", secret), data={"grant_type": "client_credentials"}, timeout=10)

    assert service_token("s1").status_code == 200
    assert admin.patch(clients + "/py-batch", json={"secret": "s2"}, timeout=10).status_code == 200
    assert service_token("s1").status_code == 401
    assert service_token("s2").status_code == 200
    invalid = admin.patch(clients + "/web-app", json={"redirect_uris": ["not a url"]}, timeout=10)
    assert assert_problem(invalid, 422)["field"].endswith("redirect_uris")
    assert admin.delete(clients + "/py-batch", timeout=10).status_code == 204
    assert service_token("s2").status_code == 401


def test_reset_restores_the_world_as_loaded(admin):
    admin.delete(admin.admin + "/realms/demo/users/bob", timeout=10)
    admin.post(admin.admin + "/clock/advance", json={"seconds": 3600}, timeout=10)
    report = admin.post(admin.admin + "/reset", timeout=10).json()
    assert {"realms", "store", "clock", "log"} <= set(report["reset"])
    assert admin.get(admin.admin + "/realms/demo/users/bob", timeout=10).status_code == 200
    assert admin.get(admin.admin + "/clock", timeout=10).json()["offset_seconds"] == 0


def test_openapi_document_lists_every_resource(admin):
    document = admin.get(admin.admin + "/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.1")
    for path in ("/clock", "/log", "/reset", "/realms/{realm}/users", "/realms/{realm}/clients/{client_id}"):
        assert path in document["paths"], path


@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        (b'{"seconds":', "application/json", 400, None),
        (b"", "application/json", 400, None),
        (b'{"seconds":"ten"}', "application/json", 422, "seconds"),
        (b'{"seconds":1,"extra":1}', "application/json", 422, None),
        (b'{"seconds":1}', "text/plain", 415, None),
        (b" " * (70 * 1024), "application/json", 413, None),
    ],
)
def test_malformed_input_gets_a_problem(admin, body, content_type, status, field):
    response = admin.post(admin.admin + "/clock/advance", data=body, headers={"Content-Type": content_type}, timeout=10)
    assert_problem(response, status, field)
    assert admin.get(admin.admin + "/clock", timeout=10).json()["offset_seconds"] == 0


def test_wrong_types_on_users_name_the_field(admin):
    users = admin.admin + "/realms/demo/users"
    assert_problem(admin.post(users, json={"username": "x", "password": 5}, timeout=10), 422, "password")
    assert_problem(admin.post(users, json={"username": "x", "password": "p", "realm_roles": "user"}, timeout=10), 422, "realm_roles")
    assert_problem(admin.patch(users + "/alice", json={"enabled": "yes"}, timeout=10), 422, "enabled")
    assert_problem(admin.get(admin.admin + "/no-such-thing", timeout=10), 404)


def test_the_admin_token_is_required_when_given(guarded_url):
    clock = guarded_url + "/_mock/clock"
    assert_problem(requests.get(clock, timeout=10), 401)
    assert_problem(requests.get(clock, headers={"Authorization": "Bearer nope"}, timeout=10), 401)
    answer = requests.get(clock, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
    assert answer.status_code == 200 and "now" in answer.json()
