"""``python -m mock_idp ...``: run the bundled ``mock-idp`` binary with the same arguments."""

from __future__ import annotations

import os
import subprocess
import sys

from mock_idp._binary import find_binary


def main() -> int:
    """Run the binary, replacing this process where the platform allows it."""
    binary = os.fsdecode(find_binary())
    if sys.platform == "win32":
        return subprocess.call([binary, *sys.argv[1:]])
    os.execvp(binary, [binary, *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
