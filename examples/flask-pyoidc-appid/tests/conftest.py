from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from flask.testing import FlaskClient

from app import create_app

APP = "http://127.0.0.1:5000"  # the web-app client's registered origin in the default world


@pytest.fixture
def app_client(mock_idp, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    # Asking for `mock_idp` resets the server before the test: nothing leaks in from the last one.
    # The plugin set APPID_OAUTH_SERVER_URL; web-app's secret is the default world's.
    monkeypatch.setenv("APPID_SECRET", "web-app-secret")
    return make_client()


def make_client() -> FlaskClient:
    """A test client of a freshly configured app, served at the registered origin."""
    app = create_app()
    app.config["SERVER_NAME"] = APP.removeprefix("http://")
    return app.test_client()


class _Form(HTMLParser):
    """The first form of a page: its action and hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = found.get("action")
        elif tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields[str(found["name"])] = found.get("value") or ""


@dataclass
class Browser:
    """A user's browser: the app through Flask's test client, the provider over HTTP."""

    app: FlaskClient
    idp: requests.Session

    def submit(self, page: requests.Response, fields: dict[str, str]) -> requests.Response:
        form = _Form()
        form.feed(page.text)
        assert form.action, page.text[:300]
        return self.idp.post(
            urljoin(page.url, form.action), data={**form.fields, **fields}, allow_redirects=False
        )

    def sign_in_at_idp(self, username: str, password: str, action: str = "login") -> requests.Response:
        """Start at the app's protected / and fill in the provider's login form; the provider's answer."""
        start = self.app.get("/")
        assert start.status_code == 302, start.text
        page = self.idp.get(start.headers["Location"], allow_redirects=False)
        assert page.status_code == 200, page.text
        return self.submit(page, {"username": username, "password": password, "action": action})

    def back_to_app(self, answer: requests.Response) -> Any:
        """Follow the provider's redirect to the app's callback."""
        assert answer.status_code in (302, 303), answer.text
        location = urlsplit(answer.headers["Location"])
        assert f"{location.scheme}://{location.netloc}" == APP
        return self.app.get(f"{location.path}?{location.query}")

    def log_in(self, username: str = "alice", password: str | None = None) -> Any:
        """The whole sign-in; the app's answer to the callback."""
        return self.back_to_app(self.sign_in_at_idp(username, password or f"{username}-password"))


@pytest.fixture
def browser(app_client: FlaskClient) -> Browser:
    return Browser(app_client, requests.Session())
