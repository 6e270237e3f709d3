"""`MockIdp`: the ``mock-idp`` binary as a context-managed subprocess on a free loopback port."""

from __future__ import annotations

import atexit
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Union

from mock_idp._binary import find_binary
from mock_idp.admin import Admin, AdminError, Defect, Minted
from mock_idp.browser import Browser

__all__ = ["PROVIDERS", "MockIdp", "MockIdpError", "TokenSet"]

#: Provider flavors the binary imitates (``ztrust`` is an alias of ``keycloak``).
PROVIDERS = ("generic", "keycloak", "ztrust", "zitadel", "wso2", "appid")

StrPath = Union[str, "os.PathLike[str]"]

_LISTENING = re.compile(r"^mock-idp listening on (?P<address>\S+)$")
_REALM = re.compile(r"^realm (?P<realm>\S+)$")
_ISSUER = re.compile(r"^\s+issuer:\s+(?P<url>\S+)$")
_DISCOVERY = re.compile(r"^\s+discovery:\s+(?P<url>\S+)$")
_DEFAULT_REALM = re.compile(r"^realm (?P<realm>\S+) \(default\):")
_ANY_REALM = re.compile(r"^realm (?P<realm>\S+)(?: \(default\))?:")

# Variables the binary reads (clap `env = ...`); the child gets none of them so that the
# arguments this class passes are the whole configuration. MOCK_IDP_LOG is kept.
_CHILD_ENV_DROPPED = (
    "MOCK_IDP_WORLD",
    "MOCK_IDP_PROVIDER",
    "MOCK_IDP_KEYS",
    "MOCK_IDP_PUBLIC_URL",
    "MOCK_IDP_PORT",
    "MOCK_IDP_BIND",
    "MOCK_IDP_AUTO_APPROVE",
    "MOCK_IDP_HEADER_READ_TIMEOUT",
    "MOCK_IDP_IDLE_TIMEOUT",
    "MOCK_IDP_MAX_CONNECTIONS",
    "MOCK_IDP_MAX_STATE_ENTRIES",
)

_LIVE: set[MockIdp] = set()
_LIVE_LOCK = threading.Lock()


class MockIdpError(RuntimeError):
    """The binary failed to start, exited, or refused a request; the message carries its words."""


@dataclass(frozen=True)
class TokenSet:
    """A token endpoint response, got through the provider's real grant."""

    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str | None = None
    id_token: str | None = None
    scope: str | None = None
    #: The whole response body, including provider-specific members (e.g. ``refresh_expires_in``).
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> TokenSet:
        """Build from a token response body; raises `MockIdpError` when a required member is missing."""
        try:
            return cls(
                access_token=str(body["access_token"]),
                token_type=str(body["token_type"]),
                expires_in=int(body["expires_in"]),
                refresh_token=body.get("refresh_token"),
                id_token=body.get("id_token"),
                scope=body.get("scope"),
                raw=dict(body),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise MockIdpError(f"not a token response: {body!r}") from err


def _child_env() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in _CHILD_ENV_DROPPED}


class MockIdp:
    """A ``mock-idp serve`` subprocess on a free loopback port.

    Use it as a context manager (or call `start` and `stop`)::

        with MockIdp("keycloak") as idp:
            token = idp.token_for("alice", "web-app").access_token
            requests.get(app_url, headers={"Authorization": f"Bearer {token}"})

    The server is stopped on exit, also when the block raises; servers still running when the
    interpreter exits are stopped by an ``atexit`` hook, and a server whose Python process is
    killed outright (SIGKILL) exits by itself: its stdin is a pipe from this process, and the
    server shuts down when that pipe closes.
    """

    def __init__(
        self,
        provider: str = "generic",
        *,
        world: StrPath | None = None,
        keys: StrPath | None = None,
        binary: StrPath | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        """Configure (but do not start) a server.

        :param provider: the flavor to imitate, one of `PROVIDERS`.
        :param world: a World file (TOML); the default world (realm ``demo``, users ``alice``,
            ``bob``, clients ``web-app``, ``spa``, ``service``, ``api``) otherwise.
        :param keys: a directory written by ``mock-idp keys generate``; the embedded
            deterministic keys otherwise.
        :param binary: the ``mock-idp`` binary; found by `mock_idp.find_binary` otherwise.
        :param startup_timeout: seconds to wait for the server to serve its discovery document.
        """
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
        self.provider = provider
        self.world = Path(world) if world is not None else None
        self.keys = Path(keys) if keys is not None else None
        self._binary = Path(binary) if binary is not None else None
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._lines: list[str] = []
        self._lines_changed = threading.Condition()
        self._port: int | None = None
        self._base_url: str | None = None
        self._realm: str | None = None
        self._expected_realms: set[str] = set()
        self._issuers: dict[str, str] = {}
        self._discovery_urls: dict[str, str] = {}
        self._discovery: dict[str, dict[str, Any]] = {}
        self._admin: Admin | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def binary(self) -> Path:
        """The ``mock-idp`` binary this server runs."""
        if self._binary is None:
            self._binary = find_binary()
        return self._binary

    def _common_args(self) -> list[str]:
        args = ["--provider", self.provider]
        if self.world is not None:
            args += ["--world", os.fspath(self.world)]
        if self.keys is not None:
            args += ["--keys", os.fspath(self.keys)]
        return args

    def _run(self, *args: str) -> str:
        """Run a one-shot ``mock-idp`` command; its stdout, or `MockIdpError` with its stderr."""
        done = subprocess.run(
            [os.fspath(self.binary), *args],
            capture_output=True,
            text=True,
            env=_child_env(),
            timeout=30,
            check=False,
        )
        if done.returncode != 0:
            message = done.stderr.strip() or f"exit status {done.returncode}"
            raise MockIdpError(f"mock-idp {args[0]}: {message}")
        return done.stdout

    def start(self) -> MockIdp:
        """Start the server and wait until it serves every realm's discovery document."""
        if self._process is not None:
            raise MockIdpError("this MockIdp is already running")
        check = self._run("check-config", *(["--world", os.fspath(self.world)] if self.world else []))
        realms = [m["realm"] for line in check.splitlines() if (m := _DEFAULT_REALM.match(line))]
        if not realms:
            raise MockIdpError(f"mock-idp check-config named no default realm: {check.strip()!r}")
        self._realm = realms[0]
        # Every realm the world holds: `start` returns once the banner has named them all.
        self._expected_realms = {m["realm"] for line in check.splitlines() if (m := _ANY_REALM.match(line))}
        self._stderr = tempfile.TemporaryFile(mode="w+", prefix="mock-idp-", suffix=".log")  # noqa: SIM115 - closed by stop()
        self._lines = []
        self._process = subprocess.Popen(
            [
                os.fspath(self.binary),
                "serve",
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--exit-on-stdin-eof",
                *self._common_args(),
            ],
            # A pipe this process never writes to: when it dies (even by SIGKILL, where no
            # atexit hook runs) the pipe closes and the server exits (--exit-on-stdin-eof).
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=_child_env(),
        )
        with _LIVE_LOCK:
            _LIVE.add(self)
        threading.Thread(target=self._read_stdout, name="mock-idp-stdout", daemon=True).start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_stdout(self) -> None:
        """Collect stdout lines (and keep draining the pipe so the child never blocks)."""
        process = self._process
        if process is None or process.stdout is None:
            return
        for line in process.stdout:
            with self._lines_changed:
                self._lines.append(line.rstrip("\n"))
                self._lines_changed.notify_all()
        with self._lines_changed:
            self._lines_changed.notify_all()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        with self._lines_changed:
            while not self._parse_banner():
                remaining = deadline - time.monotonic()
                if self._process is not None and self._process.poll() is not None:
                    raise MockIdpError(f"mock-idp serve exited at start: {self.stderr_text().strip()}")
                if remaining <= 0:
                    raise MockIdpError(
                        f"mock-idp serve printed no address in {self.startup_timeout}s: "
                        f"{self.stderr_text().strip()}"
                    )
                self._lines_changed.wait(min(remaining, 0.05))
        # The listener is bound before the banner is printed; the first discovery fetch
        # proves it serves.
        self.discovery()

    def _parse_banner(self) -> bool:
        """Parse ``serve``'s stdout; true once the default realm's discovery URL is known."""
        realm: str | None = None
        for line in self._lines:
            if m := _LISTENING.match(line):
                host, _, port = m["address"].rpartition(":")
                self._port = int(port)
                self._base_url = f"http://{host}:{port}"
            elif m := _REALM.match(line):
                realm = m["realm"]
            elif realm is not None and (m := _ISSUER.match(line)):
                self._issuers[realm] = m["url"]
            elif realm is not None and (m := _DISCOVERY.match(line)):
                self._discovery_urls[realm] = m["url"]
        expected = self._expected_realms | {self._realm}
        return self._port is not None and expected <= self._discovery_urls.keys()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s) and wait for it; idempotent."""
        process, self._process = self._process, None
        self._admin = None
        with _LIVE_LOCK:
            _LIVE.discard(self)
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> MockIdp:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int:
        """The server process id."""
        if self._process is None:
            raise MockIdpError("the server is not running")
        return self._process.pid

    def stderr_text(self) -> str:
        """What the server wrote to stderr so far (its log)."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read()
        self._stderr.seek(0, os.SEEK_END)
        return text

    # -- addresses -------------------------------------------------------------------------

    def _require(self, value: str | None, what: str) -> str:
        if value is None:
            raise MockIdpError(f"{what} is known once the server is started")
        return value

    @property
    def port(self) -> int:
        """The loopback port the server listens on."""
        if self._port is None:
            raise MockIdpError("the port is known once the server is started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:{port}`` (Keycloak's "server URL")."""
        return self._require(self._base_url, "the base URL")

    @property
    def realm(self) -> str:
        """The world's default realm (Keycloak realm, ZITADEL org, WSO2 tenant, App ID tenant)."""
        return self._require(self._realm, "the default realm")

    @property
    def realms(self) -> dict[str, str]:
        """Every realm's issuer, as the server printed them."""
        return dict(self._issuers)

    @property
    def discovery_url(self) -> str:
        """The default realm's ``.well-known/openid-configuration`` URL."""
        return self._require(self._discovery_urls.get(self.realm), "the discovery URL")

    def discovery(self, realm: str | None = None) -> dict[str, Any]:
        """A realm's discovery document (fetched once, then cached); the default realm's by default."""
        name = realm or self.realm
        if name not in self._discovery:
            url = self._discovery_urls.get(name)
            if url is None:
                raise MockIdpError(f"the server has no realm {name!r}")
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    self._discovery[name] = json.load(response)
            except (OSError, ValueError) as err:
                raise MockIdpError(f"cannot read the discovery document {url}: {err}") from err
        return self._discovery[name]

    def endpoint(self, name: str, realm: str | None = None) -> str:
        """A URL member of the discovery document, e.g. ``endpoint("token_endpoint")``."""
        value = self.discovery(realm).get(name)
        if not isinstance(value, str):
            raise MockIdpError(f"the {self.provider} discovery document has no {name!r}")
        return value

    @property
    def issuer(self) -> str:
        """The default realm's ``issuer`` (from its discovery document)."""
        return self.endpoint("issuer")

    @property
    def jwks_uri(self) -> str:
        """``jwks_uri``."""
        return self.endpoint("jwks_uri")

    @property
    def token_endpoint(self) -> str:
        """``token_endpoint``."""
        return self.endpoint("token_endpoint")

    @property
    def authorization_endpoint(self) -> str:
        """``authorization_endpoint``."""
        return self.endpoint("authorization_endpoint")

    @property
    def userinfo_endpoint(self) -> str:
        """``userinfo_endpoint``."""
        return self.endpoint("userinfo_endpoint")

    @property
    def introspection_endpoint(self) -> str:
        """``introspection_endpoint`` (`MockIdpError` where the provider advertises none)."""
        return self.endpoint("introspection_endpoint")

    @property
    def end_session_endpoint(self) -> str:
        """``end_session_endpoint`` (`MockIdpError` where the provider advertises none)."""
        return self.endpoint("end_session_endpoint")

    # -- tokens ----------------------------------------------------------------------------

    def token_for(self, user: str, client: str, realm: str | None = None) -> TokenSet:
        """A token for ``user`` issued to ``client`` (in ``realm``, the default realm otherwise).

        Got from this running server through the provider's real grant (the password grant
        where the client and the provider have it, otherwise the code flow with PKCE through the
        server's login form), by the admin API's ``POST /_mock/tokens/issue``: users and clients
        created over the admin API get tokens too. The server issued the tokens: its userinfo,
        introspection, refresh and logout know them, opaque access tokens (ZITADEL's default
        for a user) included. A refusal raises `MockIdpError` whose ``__cause__`` is the
        `mock_idp.AdminError` carrying the server's problem (status, detail, field).
        """
        return self._issue(client, user, realm)

    def service_token(self, client: str, realm: str | None = None) -> TokenSet:
        """A ``client_credentials`` token for ``client``'s service account (see `token_for`)."""
        return self._issue(client, None, realm)

    def _issue(self, client: str, user: str | None, realm: str | None) -> TokenSet:
        if not self.running:
            raise MockIdpError("the server is not running")
        try:
            answer = self.admin.issue(client, user=user, realm=realm)
        except AdminError as err:
            raise MockIdpError(str(err)) from err
        return TokenSet.from_json(answer)

    # -- admin API -------------------------------------------------------------------------

    @property
    def admin(self) -> Admin:
        """Typed wrappers for this server's admin API (``/_mock/…``); see `mock_idp.admin`.

        ``idp.admin.users.create("carol", "pw", realm_roles=["admin"])``,
        ``idp.admin.clock.advance(3600)``, ``idp.admin.faults.add("jwks", Fault.outage())``, …
        """
        if self._admin is None:
            self._admin = Admin(self.base_url, self.realm)
        return self._admin

    def reset(self) -> list[str]:
        """Put the server back to the world as loaded (``POST /_mock/reset``); the parts reset."""
        return self.admin.reset()

    def browser(self, timeout: float = 10.0) -> Browser:
        """A new user's browser at this provider (no cookies yet): see `mock_idp.browser.Browser`."""
        return Browser(timeout)

    def mint(
        self,
        *,
        user: str | None = None,
        client: str | None = None,
        defects: Sequence[Defect] = (),
        claims: Mapping[str, Any] | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        realm: str | None = None,
    ) -> Minted:
        """Mint an access token directly, e.g. a negative one (see `Admin.mint`).

        ``idp.mint(user="alice", client="web-app", defects=["expired"]).access_token``
        """
        return self.admin.mint(
            user=user,
            client=client,
            defects=defects,
            claims=claims,
            scope=scope,
            expires_in=expires_in,
            realm=realm,
        )

    def __repr__(self) -> str:
        where = self._base_url if self.running else "stopped"
        return f"MockIdp(provider={self.provider!r}, {where})"


@atexit.register
def _stop_all() -> None:
    with _LIVE_LOCK:
        live = list(_LIVE)
    for idp in live:
        idp.stop()
