"""Shared fixtures of the Python suites under tests/python: starting `mock-idp serve`.

Needs the mock-idp binary (MOCK_IDP_BIN, default target/debug/mock-idp; build it with
`cargo build -p mock-idp`).
"""

import os
import queue
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30


@contextmanager
def _serve(*args):
    """`mock-idp serve --port 0 ARGS...`; yields its base URL and stops it afterwards."""
    binary = os.environ.get("MOCK_IDP_BIN", str(ROOT / "target" / "debug" / "mock-idp"))
    if not Path(binary).is_file():
        pytest.fail(f"{binary} is missing: run `cargo build -p mock-idp` (or set MOCK_IDP_BIN)")
    process = subprocess.Popen(
        [binary, "serve", "--port", "0", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        while True:
            try:
                line = lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                pytest.fail(f"mock-idp printed no address within {START_TIMEOUT} s")
            if line.startswith("mock-idp listening on "):
                yield "http://" + line.split()[-1]
                break
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def serve_mock_idp():
    """Starts servers: ``with serve_mock_idp("--provider", "wso2") as base_url: ...``."""
    return _serve
