"""The pytest plugin (entry point ``pytest11: mock_idp``).

Fixtures:

- ``mock_idp_servers`` (session): a `ServerPool` starting one `MockIdp` per provider (and
  world file) on first use and stopping them all at the end of the session (each pytest-xdist
  worker has its own).
- ``mock_idp`` (function): the server for the test's provider, reset to the world as loaded
  (``POST /_mock/reset`` through `MockIdp.reset`: users, clients, tokens, sessions, keys,
  faults, hit counters, claim queue and mappings, clock, request log) before the test, with
  the environment an app reads set for the duration of the test (see `app_environment`). What
  one test changes through ``mock_idp.admin`` is gone in the next.

The provider comes from, in order: ``@pytest.mark.mock_idp(provider="keycloak")``, an indirect
parameter (``@pytest.mark.parametrize("mock_idp", ["keycloak", "zitadel"], indirect=True)``),
the ``--mock-idp-provider`` option, ``generic``. The marker's ``world`` (a World TOML file,
relative to the test file's directory) replaces the default world for that test's server:
``@pytest.mark.mock_idp(provider="zitadel", world="world.toml")``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_idp.server import PROVIDERS, MockIdp

__all__ = ["ServerPool", "app_environment"]


class ServerPool:
    """One lazily started `MockIdp` per provider and world file; `close` stops them all."""

    def __init__(self) -> None:
        """Make an empty pool."""
        self._servers: dict[tuple[str, Path | None], MockIdp] = {}
        self._lock = threading.Lock()

    def get(self, provider: str, world: Path | None = None) -> MockIdp:
        """The running server for ``provider`` and ``world``, started on first use.

        ``world`` None is the default world; ``ztrust`` shares ``keycloak``'s server.
        """
        name = "keycloak" if provider == "ztrust" else provider
        key = (name, world.resolve() if world is not None else None)
        with self._lock:
            server = self._servers.get(key)
            if server is None or not server.running:
                server = MockIdp(name, world=key[1]).start()
                self._servers[key] = server
            return server

    @property
    def started(self) -> dict[str, MockIdp]:
        """The servers started so far with the default world, by provider."""
        return {name: server for (name, world), server in self._servers.items() if world is None}

    def close(self) -> None:
        """Stop every server."""
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.stop()


def app_environment(idp: MockIdp) -> dict[str, str]:
    """The environment variables an app under test reads to find ``idp``.

    Every provider: ``OIDC_ISSUER``, ``OIDC_DISCOVERY_URL``, ``OIDC_JWKS_URI``. Keycloak (and
    ZTrust): ``KEYCLOAK_SERVER_URL``, ``KEYCLOAK_URL`` (the base URL, without ``/realms``) and
    ``KEYCLOAK_REALM``. ZITADEL: ``ZITADEL_DOMAIN`` (its issuer). WSO2 IS: ``WSO2_BASE_URL``
    (the server URL the Asgardeo SDK builds its endpoints from). App ID: ``APPID_OAUTH_SERVER_URL``
    (the ``oauthServerUrl`` of App ID service credentials, i.e. the issuer).
    """
    env = {
        "OIDC_ISSUER": idp.issuer,
        "OIDC_DISCOVERY_URL": idp.discovery_url,
        "OIDC_JWKS_URI": idp.jwks_uri,
    }
    if idp.provider in ("keycloak", "ztrust"):
        env |= {
            "KEYCLOAK_SERVER_URL": idp.base_url,
            "KEYCLOAK_URL": idp.base_url,
            "KEYCLOAK_REALM": idp.realm,
        }
    elif idp.provider == "zitadel":
        env["ZITADEL_DOMAIN"] = idp.issuer
    elif idp.provider == "wso2":
        env["WSO2_BASE_URL"] = idp.base_url
    elif idp.provider == "appid":
        env["APPID_OAUTH_SERVER_URL"] = idp.issuer
    return env


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--mock-idp-provider``."""
    parser.addoption(
        "--mock-idp-provider",
        choices=PROVIDERS,
        default=None,
        help="provider the mock_idp fixture imitates when a test does not choose one (default: generic)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``mock_idp`` marker."""
    config.addinivalue_line(
        "markers",
        "mock_idp(provider, world=None): the provider the mock_idp fixture imitates for this test "
        f"({', '.join(PROVIDERS)}), and a World file (relative to the test file) instead of the default",
    )


@pytest.fixture(scope="session")
def mock_idp_servers() -> Iterator[ServerPool]:
    """The session's servers, one per provider, started lazily and stopped at session end."""
    pool = ServerPool()
    try:
        yield pool
    finally:
        pool.close()


def _provider(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("mock_idp")
    chosen: str | None = None
    if marker is not None:
        chosen = marker.kwargs.get("provider", marker.args[0] if marker.args else None)
    if chosen is None:
        chosen = getattr(request, "param", None)
    if chosen is None:
        chosen = request.config.getoption("--mock-idp-provider")
    provider = str(chosen or "generic")
    if provider not in PROVIDERS:
        raise pytest.UsageError(
            f"mock_idp: unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}"
        )
    return provider


def _world(request: pytest.FixtureRequest) -> Path | None:
    marker = request.node.get_closest_marker("mock_idp")
    world = marker.kwargs.get("world") if marker is not None else None
    if world is None:
        return None
    path = Path(world)
    return path if path.is_absolute() else request.path.parent / path


@pytest.fixture
def mock_idp(
    request: pytest.FixtureRequest, mock_idp_servers: ServerPool, monkeypatch: pytest.MonkeyPatch
) -> MockIdp:
    """The mock provider for this test, reset to its world as loaded.

    `app_environment` is set for the test (and restored after it).
    """
    idp = mock_idp_servers.get(_provider(request), _world(request))
    idp.reset()
    for name, value in app_environment(idp).items():
        monkeypatch.setenv(name, value)
    return idp
