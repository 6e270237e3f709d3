#!/usr/bin/env python3
"""Issue 11's request-parsing and connection figures for `mock-idp serve`, on loopback only.

    python3 bench/http_limits.py [path/to/mock-idp]     # default target/release/mock-idp

Starts the server (`serve --port 0`), then measures, each phase bounded in time and count:

1. parse: the end-to-end latency of a token request whose body holds 16,000 distinct parameter
   names (63 KiB), refused with 400 at the 1,001st, next to a normal client_credentials request
   (sequential, a fresh connection each, N_PARSE each).
2. parse load: discovery latency while 4 clients send those bodies back to back (PARSE_SECONDS).
3. slow clients: 200 connections that each send a request line a byte per second and never
   finish (re-opened when the server closes them after its header-read timeout) while one client
   sends normal requests (discovery, and client_credentials on the token endpoint) for
   SLOW_SECONDS; reports their p50/p99 and any error.

Output: one `key=value` line per figure (milliseconds). Knobs (environment): N_PARSE (300),
PARSE_SECONDS (10), SLOW_CLIENTS (200), SLOW_SECONDS (20).
"""

import base64
import os
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "mock-idp")
N_PARSE = int(os.environ.get("N_PARSE", "300"))
PARSE_SECONDS = float(os.environ.get("PARSE_SECONDS", "10"))
SLOW_CLIENTS = int(os.environ.get("SLOW_CLIENTS", "200"))
SLOW_SECONDS = float(os.environ.get("SLOW_SECONDS", "20"))
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def many_params(count):
    return "&".join(ALPHABET[i // 3844] + ALPHABET[i // 62 % 62] + ALPHABET[i % 62] for i in range(count))


def request(port, raw, timeout=30.0):
    """Sends raw bytes on a fresh connection; returns (status, seconds) or (None, seconds)."""
    started = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(raw)
            data = b""
            while b"\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
            # Read to the end (Connection: close) so the whole answer is timed.
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
        line = data.split(b"\r\n", 1)[0].split(b" ")
        status = int(line[1]) if len(line) > 1 else None
    except OSError:
        status = None
    return status, time.perf_counter() - started


def stats(name, samples, errors=0, extra=""):
    samples = sorted(samples)
    if not samples:
        print(f"{name} n=0 errors={errors}{extra}")
        return
    at = lambda q: samples[min(len(samples) - 1, round((len(samples) - 1) * q))] * 1e3
    print(f"{name} n={len(samples)} median={at(0.5):.3f} p99={at(0.99):.3f} max={samples[-1] * 1e3:.3f} errors={errors}{extra}")


def main():
    server = subprocess.Popen([BIN, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = None
        for line in server.stdout:
            if line.startswith("mock-idp listening on"):
                port = int(line.strip().rsplit(":", 1)[1])
                break
        assert port, "the server did not start"
        auth = base64.b64encode(b"service:service-secret").decode()
        host = f"127.0.0.1:{port}"
        hostile_body = "grant_type=client_credentials&" + many_params(16_000)
        hostile = (
            f"POST /demo/token HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/x-www-form-urlencoded\r\n"
            f"authorization: Basic {auth}\r\ncontent-length: {len(hostile_body)}\r\nconnection: close\r\n\r\n{hostile_body}"
        ).encode()
        normal_body = "grant_type=client_credentials"
        token = (
            f"POST /demo/token HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/x-www-form-urlencoded\r\n"
            f"authorization: Basic {auth}\r\ncontent-length: {len(normal_body)}\r\nconnection: close\r\n\r\n{normal_body}"
        ).encode()
        discovery = f"GET /demo/.well-known/openid-configuration HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n".encode()
        print(f"server={BIN} port={port} hostile_body_bytes={len(hostile_body)}")

        # 1. One hostile request at a time, then one normal token request at a time.
        for name, raw, expected in [("e2e_16k_params_ms", hostile, 400), ("e2e_token_normal_ms", token, 200)]:
            times, errors = [], 0
            for _ in range(N_PARSE):
                status, seconds = request(port, raw)
                errors += status != expected
                times.append(seconds)
            stats(name, times, errors)

        # 2. Discovery while 4 clients send hostile bodies back to back.
        stop = time.monotonic() + PARSE_SECONDS
        hostile_sent = [0]

        def hammer():
            while time.monotonic() < stop:
                request(port, hostile)
                hostile_sent[0] += 1

        hammers = [threading.Thread(target=hammer) for _ in range(4)]
        for thread in hammers:
            thread.start()
        times, errors = [], 0
        while time.monotonic() < stop:
            status, seconds = request(port, discovery)
            errors += status != 200
            times.append(seconds)
        for thread in hammers:
            thread.join()
        stats("discovery_under_4_hostile_clients_ms", times, errors, f" hostile_requests={hostile_sent[0]}")

        # 3. Slow clients hold connections while normal requests run.
        stop = time.monotonic() + SLOW_SECONDS
        reopened = [0]
        line = b"GET /demo/.well-known/openid-configuration HTTP/1.1\r\n"

        def slow_client():
            sock, sent = None, 0
            while time.monotonic() < stop:
                try:
                    if sock is None:
                        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                        sent = 0
                        reopened[0] += 1
                    sock.sendall(line[sent % len(line) : sent % len(line) + 1])
                    sent += 1
                except OSError:
                    if sock is not None:
                        sock.close()
                    sock = None
                time.sleep(1.0)
            if sock is not None:
                sock.close()

        slow = [threading.Thread(target=slow_client) for _ in range(SLOW_CLIENTS)]
        for thread in slow:
            thread.start()
        time.sleep(2.0)  # every slow client is connected and dribbling
        times_disc, times_token, errors = [], [], 0
        while time.monotonic() < stop:
            for raw, times in [(discovery, times_disc), (token, times_token)]:
                status, seconds = request(port, raw)
                errors += status != 200
                times.append(seconds)
        for thread in slow:
            thread.join()
        stats("slow_clients_discovery_ms", times_disc, errors, f" slow_clients={SLOW_CLIENTS} slow_connections_opened={reopened[0]}")
        stats("slow_clients_token_ms", times_token, errors)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
