from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from mock_idp import Browser as ProviderBrowser
from mock_idp import MockIdp, Page

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


@dataclass
class Browser:
    """A user's browser: the app through Flask's test client, the provider through the mock's."""

    app: FlaskClient
    idp: ProviderBrowser

    def sign_in_at_idp(self, username: str, password: str | None = None, action: str = "login") -> Page:
        """Start at the app's protected / and sign in at the provider; the provider's answer."""
        start = self.app.get("/")
        assert start.status_code == 302, start.text
        return self.idp.sign_in(start.headers["Location"], username, password, action=action)

    def back_to_app(self, answer: Page) -> Any:
        """Follow the provider's redirect to the app's callback."""
        location = urlsplit(answer.location)
        assert f"{location.scheme}://{location.netloc}" == APP
        return self.app.get(f"{location.path}?{location.query}")

    def log_in(self, username: str = "alice", password: str | None = None) -> Any:
        """The whole sign-in; the app's answer to the callback."""
        return self.back_to_app(self.sign_in_at_idp(username, password))


@pytest.fixture
def browser(app_client: FlaskClient, mock_idp: MockIdp) -> Browser:
    return Browser(app_client, mock_idp.browser())
