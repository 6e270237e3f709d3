"""A mock OpenID Connect provider (Keycloak, ZITADEL, WSO2 IS, IBM App ID flavors) for tests.

The wheel carries the ``mock-idp`` binary; `MockIdp` runs it on a free loopback port, and the
pytest plugin (``mock_idp.pytest_plugin``, registered as a ``pytest11`` entry point) gives tests
a ``mock_idp`` fixture.
"""

from mock_idp._binary import BinaryNotFoundError, find_binary
from mock_idp.admin import Admin, AdminError, Fault, Faults, Problem
from mock_idp.browser import Browser, BrowserError, Page
from mock_idp.server import PROVIDERS, MockIdp, MockIdpError, TokenSet

__all__ = [
    "PROVIDERS",
    "Admin",
    "AdminError",
    "BinaryNotFoundError",
    "Browser",
    "BrowserError",
    "Fault",
    "Faults",
    "MockIdp",
    "MockIdpError",
    "Page",
    "Problem",
    "TokenSet",
    "find_binary",
]
