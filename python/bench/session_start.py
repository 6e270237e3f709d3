"""Bench: process start to first token, as the pytest plugin's session fixture pays it.

Ours: ``MockIdp("keycloak").start()`` (check-config, serve --port 0, banner, discovery fetched)
then ``token_for("alice", "web-app")`` (``POST /_mock/tokens/issue`` to the running server), then stop.
NanoIDP (``--nanoidp BIN --nanoidp-config DIR``): ``nanoidp --port P --config DIR`` on a free
port, discovery polled every 5 ms until it answers, then one password grant; then terminate.
NanoIDP writes its generated keys (a private key included) under ``keys/`` of its working
directory: it runs in a fresh temporary directory, removed after each round, so that nothing
lands in the checkout.

    python bench/session_start.py [--rounds 20] [--nanoidp PATH --nanoidp-config DIR]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from mock_idp import MockIdp


def ours() -> tuple[float, float]:
    """Start, wait ready, get one token, stop: (ready, first token) seconds."""
    began = time.perf_counter()
    idp = MockIdp("keycloak").start()
    try:
        ready = time.perf_counter()
        assert idp.token_for("alice", "web-app").access_token.count(".") == 2
        return ready - began, time.perf_counter() - began
    finally:
        idp.stop()


def free_port() -> int:
    """A free loopback port (NanoIDP cannot pick one itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nanoidp(binary: str, config: str) -> tuple[float, float]:
    """As `ours`, for NanoIDP."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = tempfile.TemporaryDirectory(prefix="nanoidp-bench-")
    config = os.path.abspath(config)
    began = time.perf_counter()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--host", "127.0.0.1", "--config", config],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=workdir.name,
    )
    try:
        deadline = began + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/.well-known/openid-configuration", timeout=2) as r:
                    document = json.load(r)
                break
            except (urllib.error.URLError, ConnectionError):
                if time.perf_counter() > deadline or process.poll() is not None:
                    raise RuntimeError("nanoidp did not start") from None
                time.sleep(0.005)
        ready = time.perf_counter()
        body = urllib.parse.urlencode({"grant_type": "password", "username": "admin", "password": "admin"})
        # Its configured issuer (http://localhost:8000) names another port: keep only the path.
        path = urllib.parse.urlsplit(document["token_endpoint"]).path
        request = urllib.request.Request(base + path, data=body.encode())
        basic = base64.b64encode(b"demo-client:demo-secret").decode()
        request.add_header("Authorization", f"Basic {basic}")
        with urllib.request.urlopen(request, timeout=10) as r:
            assert json.load(r)["access_token"]
        return ready - began, time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(timeout=10)
        workdir.cleanup()


def report(name: str, samples: list[tuple[float, float]]) -> float:
    """Print medians in ms; return the first-token median."""
    ready = statistics.median(s[0] for s in samples) * 1000
    token = statistics.median(s[1] for s in samples) * 1000
    worst = max(s[1] for s in samples) * 1000
    print(
        f"{name:10} rounds={len(samples)} ready median {ready:8.1f} ms  first token median {token:8.1f} ms"
        f"  max {worst:8.1f} ms"
    )
    return token


def main() -> None:
    """Run the rounds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--nanoidp")
    parser.add_argument("--nanoidp-config")
    args = parser.parse_args()
    mine = report("mock-idp", [ours() for _ in range(args.rounds)])
    if args.nanoidp and args.nanoidp_config:
        theirs = report("nanoidp", [nanoidp(args.nanoidp, args.nanoidp_config) for _ in range(args.rounds)])
        print(f"ratio nanoidp / mock-idp (first token): {theirs / mine:.1f}x; target for mock-idp: 50 ms")


if __name__ == "__main__":
    main()
