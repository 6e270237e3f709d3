"""Locating the ``mock-idp`` binary the wheel installs."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

__all__ = ["BinaryNotFoundError", "find_binary"]

_EXE = "mock-idp" + (".exe" if sys.platform == "win32" else "")


class BinaryNotFoundError(FileNotFoundError):
    """No ``mock-idp`` binary was found (neither ``MOCK_IDP_BIN``, the wheel's scripts dir nor ``PATH``)."""


def find_binary() -> Path:
    """Return the ``mock-idp`` binary to run.

    In order: the ``MOCK_IDP_BIN`` environment variable, the scripts directory of this
    interpreter's install scheme (where the wheel puts it), the user scheme's scripts
    directory, then ``PATH``.
    """
    override = os.environ.get("MOCK_IDP_BIN")
    if override:
        path = Path(override)
        if not path.is_file():
            raise BinaryNotFoundError(f"MOCK_IDP_BIN={override} is not a file")
        return path
    candidates = [Path(sysconfig.get_path("scripts")) / _EXE]
    user_scheme = f"{os.name}_user"
    if user_scheme in sysconfig.get_scheme_names():
        candidates.append(Path(sysconfig.get_path("scripts", scheme=user_scheme)) / _EXE)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    on_path = shutil.which(_EXE)
    if on_path:
        return Path(on_path)
    raise BinaryNotFoundError(
        "the mock-idp binary was not found; install the mock-idp wheel or set MOCK_IDP_BIN"
    )
