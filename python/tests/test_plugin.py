from __future__ import annotations

from pathlib import Path

import pytest
from helpers import alive

# Each inner test writes what it saw to a file the outer test then checks.
CONFTEST = """
import json, os, pathlib
OUT = pathlib.Path(os.environ["SEEN_DIR"])

def record(name, idp, **extra):
    keys = ["OIDC_ISSUER", "OIDC_DISCOVERY_URL", "OIDC_JWKS_URI", "KEYCLOAK_SERVER_URL", "KEYCLOAK_REALM",
            "ZITADEL_DOMAIN"]
    seen = {"pid": idp.pid, "provider": idp.provider, "issuer": idp.issuer, "base_url": idp.base_url,
            "jwks_uri": idp.jwks_uri, "env": {k: os.environ.get(k) for k in keys}, **extra}
    (OUT / f"{name}.json").write_text(json.dumps(seen))
"""


def seen(directory: Path, name: str) -> dict:
    import json

    return json.loads((directory / f"{name}.json").read_text())


@pytest.fixture
def run(pytester: pytest.Pytester, plugin_args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    out = tmp_path / "seen"
    out.mkdir()
    monkeypatch.setenv("SEEN_DIR", str(out))
    monkeypatch.delenv("OIDC_ISSUER", raising=False)
    pytester.makeconftest(CONFTEST)

    def go(source: str, *args: str) -> tuple[pytest.RunResult, Path]:
        pytester.makepyfile(test_inner=source)
        return pytester.runpytest_subprocess(*plugin_args, "-p", "no:cacheprovider", *args), out

    return go


def test_marker_chooses_the_provider_and_sets_the_app_environment(run) -> None:
    result, out = run(
        """
import os, pytest
from conftest import record

@pytest.mark.mock_idp(provider="keycloak")
def test_keycloak(mock_idp):
    record("keycloak", mock_idp)

@pytest.mark.mock_idp("zitadel")
def test_zitadel(mock_idp):
    record("zitadel", mock_idp)

def test_default(mock_idp):
    record("default", mock_idp)

def test_after(mock_idp_servers):
    record("after", mock_idp_servers.get("keycloak"), oidc_issuer=os.environ.get("OIDC_ISSUER"),
           started=sorted(mock_idp_servers.started))
"""
    )
    result.assert_outcomes(passed=4)
    keycloak, zitadel, default, after = (seen(out, n) for n in ("keycloak", "zitadel", "default", "after"))
    assert keycloak["issuer"].endswith("/realms/demo")
    assert keycloak["env"]["OIDC_ISSUER"] == keycloak["issuer"]
    assert keycloak["env"]["OIDC_JWKS_URI"] == keycloak["jwks_uri"]
    assert keycloak["env"]["KEYCLOAK_SERVER_URL"] == keycloak["base_url"]
    assert keycloak["env"]["KEYCLOAK_REALM"] == "demo"
    assert zitadel["provider"] == "zitadel"
    assert zitadel["env"]["ZITADEL_DOMAIN"] == zitadel["issuer"] == zitadel["base_url"]
    assert zitadel["env"]["KEYCLOAK_REALM"] is None
    assert default["provider"] == "generic"
    # One server per provider for the session; the environment is gone after the test.
    assert after["pid"] == keycloak["pid"]
    assert after["oidc_issuer"] is None
    assert after["started"] == ["generic", "keycloak", "zitadel"]
    # Every server is stopped when the session ends.
    for record in (keycloak, zitadel, default):
        assert not alive(record["pid"])


def test_indirect_parametrization_and_the_command_line_default(run) -> None:
    result, out = run(
        """
import pytest
from conftest import record

@pytest.mark.parametrize("mock_idp", ["wso2", "appid"], indirect=True)
def test_param(mock_idp):
    record(mock_idp.provider, mock_idp)

def test_option(mock_idp):
    record("option", mock_idp)
""",
        "--mock-idp-provider",
        "keycloak",
    )
    result.assert_outcomes(passed=3)
    assert seen(out, "wso2")["provider"] == "wso2"
    assert seen(out, "appid")["provider"] == "appid"
    assert seen(out, "option")["provider"] == "keycloak"


def test_servers_are_stopped_when_a_test_fails(run) -> None:
    result, out = run(
        """
from conftest import record

def test_fails(mock_idp):
    record("failed", mock_idp)
    assert False, "the test's own failure"
"""
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the test's own failure*"])
    assert not alive(seen(out, "failed")["pid"])


def test_an_unknown_provider_is_a_usage_error(run) -> None:
    result, _ = run(
        """
import pytest

@pytest.mark.mock_idp(provider="okta")
def test_okta(mock_idp):
    pass
"""
    )
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*unknown provider 'okta'*"])


def test_each_xdist_worker_has_its_own_server(run) -> None:
    pytest.importorskip("xdist")
    result, out = run(
        """
import os, pytest
from conftest import record

@pytest.mark.mock_idp(provider="keycloak")
@pytest.mark.parametrize("n", range(6))
def test_token(mock_idp, n):
    token = mock_idp.token_for("alice", "web-app").access_token
    assert token.count(".") == 2
    record(f"t{n}", mock_idp, worker=os.environ["PYTEST_XDIST_WORKER"])
""",
        "-n",
        "2",
    )
    result.assert_outcomes(passed=6)
    records = [seen(out, f"t{n}") for n in range(6)]
    by_worker: dict[str, set[tuple[int, str]]] = {}
    for record in records:
        by_worker.setdefault(record["worker"], set()).add((record["pid"], record["base_url"]))
    assert set(by_worker) == {"gw0", "gw1"}
    # One server per worker, reused across that worker's tests, on ports that differ.
    assert all(len(servers) == 1 for servers in by_worker.values()), by_worker
    servers = [next(iter(s)) for s in by_worker.values()]
    assert len({pid for pid, _ in servers}) == len({url for _, url in servers}) == len(by_worker)
    assert not any(alive(pid) for pid, _ in servers)


def test_the_marker_world_serves_that_world_next_to_the_default_one(run, pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("shop.toml").write_text(
        """default_realm = "shop"
[realms.shop]
scopes = ["openid"]
roles = ["buyer"]
[realms.shop.clients.cli]
kind = "confidential"
secret = "cli-secret"
grant_types = ["client_credentials"]
service_account_roles = ["buyer"]
"""
    )
    result, out = run(
        """
import pytest
from conftest import record

@pytest.mark.mock_idp(provider="keycloak", world="shop.toml")
def test_shop(mock_idp):
    record("shop", mock_idp, token=mock_idp.service_token("cli").access_token)

@pytest.mark.mock_idp(provider="keycloak", world="shop.toml")
def test_shop_again(mock_idp):
    record("shop_again", mock_idp)

@pytest.mark.mock_idp(provider="keycloak")
def test_default(mock_idp):
    record("default", mock_idp)
"""
    )
    result.assert_outcomes(passed=3)
    shop, again, default = (seen(out, n) for n in ("shop", "shop_again", "default"))
    assert shop["issuer"].endswith("/realms/shop")
    assert shop["env"]["KEYCLOAK_REALM"] == "shop"
    assert shop["token"].count(".") == 2
    assert again["pid"] == shop["pid"]
    assert default["issuer"].endswith("/realms/demo")
    assert default["pid"] != shop["pid"]


def test_what_one_test_changes_through_the_admin_api_is_gone_in_the_next(run) -> None:
    # Same server (same pid) for both tests; the fixture resets it in between.
    result, out = run(
        """
from conftest import record
from mock_idp import Fault

def test_changes(mock_idp):
    mock_idp.admin.users.create("zoe", "zoe-pw")
    mock_idp.admin.faults.add("jwks", Fault.outage())
    mock_idp.admin.clock.advance(3600)
    mock_idp.admin.claims.queue({"tenant": "acme"})
    record("changes", mock_idp, users=[u.username for u in mock_idp.admin.users.list()],
           faults=len(mock_idp.admin.faults.list()))

def test_next(mock_idp):
    record("next", mock_idp, users=[u.username for u in mock_idp.admin.users.list()],
           faults=len(mock_idp.admin.faults.list()), offset=mock_idp.admin.clock.get().offset_seconds,
           queued=len(mock_idp.admin.claims.list()))
"""
    )
    result.assert_outcomes(passed=2)
    changes, after = seen(out, "changes"), seen(out, "next")
    assert changes["pid"] == after["pid"]
    assert "zoe" in changes["users"]
    assert changes["faults"] == 1
    assert "zoe" not in after["users"]
    assert (after["faults"], after["offset"], after["queued"]) == (0, 0, 0)
