"""`Browser`: a user's browser at the mock provider, for testing web apps that log users in.

A web app under test sends the user to the provider's authorization endpoint; the user signs in on
the provider's login page; the provider redirects back to the app's callback. A test drives the
app with its framework's test client and the provider side with a `Browser`, which keeps the
provider's cookies (its login session, as a real browser would) and never follows redirects, so
the test sees where the provider sends the user::

    browser = mock_idp.browser()
    start = app_client.get("/login")  # the app's redirect to the provider
    answer = browser.sign_in(start.headers["Location"], "alice")
    app_client.get(answer.location)  # back to the app's callback, with code and state

The login page is the mock's own: `sign_in` fills it in, so tests never scrape its markup.
Standard library only (``urllib``, ``http.cookiejar``), loopback only.
"""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser


class BrowserError(AssertionError):
    """The provider did not show what a browser expected (no login form, a refused sign-in)."""


@dataclass(frozen=True)
class Page:
    """One answer of the provider, as a browser received it (redirects not followed)."""

    #: The HTTP status.
    status_code: int
    #: The URL that answered.
    url: str
    #: The response headers.
    headers: Message
    #: The body, decoded as UTF-8.
    text: str

    @property
    def location(self) -> str:
        """Where a redirect sends the browser; `BrowserError` when this is no redirect."""
        target = self.headers.get("Location")
        if self.status_code not in (301, 302, 303, 307, 308) or not target:
            raise BrowserError(f"expected a redirect, got {self.status_code}: {self.text[:300]!r}")
        return urllib.parse.urljoin(self.url, target)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class _FirstForm(HTMLParser):
    """The first form of a page: its action, hidden fields, and the page's error message."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_error = False
        self.error = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = found.get("action") or ""
        elif tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields.setdefault(str(found["name"]), found.get("value") or "")
        elif "error" in (found.get("class") or "").split():
            self._in_error = True

    def handle_endtag(self, tag: str) -> None:
        self._in_error = False

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.error += data


class Browser:
    """A user's browser at the provider: cookies kept, redirects not followed.

    Get one from `MockIdp.browser` (each call is a new browser with no session: another user,
    or the same user on another device).
    """

    def __init__(self, timeout: float = 10.0) -> None:
        """A browser with an empty cookie jar; requests time out after ``timeout`` seconds."""
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects
        )
        self._timeout = timeout

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return Page(
                    response.status,
                    response.url,
                    response.headers,
                    response.read().decode("utf-8", "replace"),
                )
        except urllib.error.HTTPError as answer:
            # 3xx (redirects are not followed) and 4xx/5xx: a page like any other.
            body = answer.read().decode("utf-8", "replace")
            return Page(answer.code, request.full_url, answer.headers, body)

    def get(self, url: str) -> Page:
        """``GET url``."""
        return self._open(urllib.request.Request(url))

    def submit(self, page: Page, fields: dict[str, str] | None = None) -> Page:
        """Post the first form of ``page``: its hidden fields, overridden and extended by ``fields``."""
        form = _FirstForm()
        form.feed(page.text)
        if form.action is None:
            raise BrowserError(f"the page at {page.url} has no form: {page.text[:300]!r}")
        body = urllib.parse.urlencode({**form.fields, **(fields or {})}).encode()
        request = urllib.request.Request(
            urllib.parse.urljoin(page.url, form.action), data=body, method="POST"
        )
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        return self._open(request)

    def sign_in(
        self,
        authorize_url: str,
        username: str = "alice",
        password: str | None = None,
        *,
        action: str = "login",
    ) -> Page:
        """Open ``authorize_url`` and answer the provider's login page as the user would.

        :param password: the user's password; ``{username}-password`` (the default world's) if not given.
        :param action: ``"login"``, or ``"deny"`` to press the page's deny button.
        :return: the provider's answer: a redirect to the app (`Page.location`) once the user is
            signed in or denied, or the login page again with its error when the sign-in is refused
            (`Browser.error_message`; its status is the provider's, e.g. Keycloak's 401).
        """
        page = self.get(authorize_url)
        if page.status_code in (302, 303):
            return page  # an existing session: the provider answers at once
        if page.status_code != 200:
            raise BrowserError(f"the authorization endpoint answered {page.status_code}: {page.text[:300]!r}")
        secret = password if password is not None else f"{username}-password"
        return self.submit(page, {"username": username, "password": secret, "action": action})

    @staticmethod
    def error_message(page: Page) -> str:
        """The error a provider page shows (a refused sign-in), or ``""``."""
        form = _FirstForm()
        form.feed(page.text)
        return form.error.strip()
