"""A `mock-idp serve` per test module for the admin API suite (Python `requests`).

Needs the mock-idp binary (MOCK_IDP_BIN, default target/debug/mock-idp; build it with
`cargo build -p mock-idp`) and `requests` + `pytest` (tests/python/requirements.txt).
"""

import os
import queue
import subprocess
import threading
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 30
ADMIN_TOKEN = "py-admin-token"


def serve(*extra):
    """Starts `mock-idp serve --port 0 EXTRA...`; returns (process, base URL)."""
    binary = os.environ.get("MOCK_IDP_BIN", str(ROOT / "target" / "debug" / "mock-idp"))
    if not Path(binary).is_file():
        pytest.fail(f"{binary} is missing: run `cargo build -p mock-idp` (or set MOCK_IDP_BIN)")
    process = subprocess.Popen(
        [binary, "serve", "--port", "0", *extra],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=START_TIMEOUT)
            if line.startswith("mock-idp listening on "):
                return process, "http://" + line.split()[-1]
    except queue.Empty:
        process.kill()
        pytest.fail(f"mock-idp printed no address within {START_TIMEOUT} s")


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def base_url():
    """A server with the admin API open (loopback, no token)."""
    process, url = serve()
    yield url
    stop(process)


@pytest.fixture()
def admin(base_url):
    """A `requests` session on `{base}/_mock`, the server reset before each test."""
    session = requests.Session()
    session.base = base_url
    session.admin = base_url + "/_mock"
    assert session.post(session.admin + "/reset", timeout=10).status_code == 200
    yield session
    session.close()


@pytest.fixture(scope="module")
def guarded_url():
    """A server whose admin API needs a bearer token."""
    process, url = serve("--admin-token", ADMIN_TOKEN)
    yield url
    stop(process)
