from __future__ import annotations

from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]


def _installed_plugin() -> bool:
    return any(ep.name == "mock_idp" for ep in entry_points(group="pytest11"))


@pytest.fixture
def plugin_args() -> list[str]:
    """Arguments an inner pytest run needs to load the plugin (none once the wheel is installed)."""
    return [] if _installed_plugin() else ["-p", "mock_idp.pytest_plugin"]
