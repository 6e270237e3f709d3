#!/usr/bin/env python3
"""A bounded soak of `mock-idp serve` (issue 11): mixed grants from a few workers on loopback,
RSS sampled over time, bytes per live grant at the end.

    cargo build --release -p mock-idp --bin mock-idp
    python3 bench/soak.py --seconds 600 --workers 4 --rate 500 [--max-state-entries N]

Operations, chosen at random per request (weights in MIX): the code flow with PKCE S256 for the
public `spa` client (headless, `login_hint` with `--auto-approve`), refresh-token rotation of a
grant the worker holds, client_credentials (`service`), the password grant (`web-app`), and
revocation of a held refresh token. Each worker keeps one keep-alive connection; the total rate
is capped at --rate operations per second. Python standard library only; all traffic goes to
127.0.0.1 and the run stops after --seconds.
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

REALM = "demo"
SPA_REDIRECT = "http://127.0.0.1:5173/callback"
MIX = [("code", 3), ("refresh", 4), ("client_credentials", 2), ("password", 2), ("revoke", 1)]
HELD_PER_WORKER = 64


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = {name: 0 for name, _ in MIX}
        self.errors = 0
        self.grants_started = 0
        self.grants_revoked = 0

    def add(self, name, ok, started=0, revoked=0):
        with self.lock:
            self.ops[name] += 1
            self.errors += 0 if ok else 1
            self.grants_started += started
            self.grants_revoked += revoked


class Worker(threading.Thread):
    def __init__(self, port, deadline, pace, counters, seed):
        super().__init__(daemon=True)
        self.port, self.deadline, self.pace, self.counters = port, deadline, pace, counters
        self.random = random.Random(seed)
        self.conn = None
        self.held = []  # (client, refresh_token)

    def request(self, method, path, body=None, headers=None):
        for _ in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                data = response.read()
                return response.status, response.getheader("location"), data
            except (OSError, http.client.HTTPException):
                self.conn = None
        return 0, None, b""

    def token(self, form, auth=None):
        headers = {"content-type": "application/x-www-form-urlencoded"}
        if auth:
            headers["authorization"] = auth
        status, _, data = self.request("POST", f"/{REALM}/token", urllib.parse.urlencode(form), headers)
        try:
            return status, json.loads(data) if data else {}
        except ValueError:
            return status, {}

    def hold(self, client, body):
        if body.get("refresh_token"):
            self.held.append((client, body["refresh_token"]))
            if len(self.held) > HELD_PER_WORKER:
                self.held.pop(0)  # forgotten by the client; the store keeps it until it expires

    def code_flow(self):
        verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": "spa", "redirect_uri": SPA_REDIRECT,
            "scope": "openid", "state": "soak", "code_challenge": challenge,
            "code_challenge_method": "S256", "login_hint": "alice",
        })
        status, location, _ = self.request("GET", f"/{REALM}/authorize?{query}")
        code = urllib.parse.parse_qs(urllib.parse.urlparse(location or "").query).get("code", [None])[0]
        if status != 302 or not code:
            return False, 0
        status, body = self.token({"grant_type": "authorization_code", "code": code,
                                   "redirect_uri": SPA_REDIRECT, "code_verifier": verifier, "client_id": "spa"})
        self.hold("spa", body)
        return status == 200, 1 if status == 200 else 0

    def refresh(self):
        if not self.held:
            return self.code_flow()
        index = self.random.randrange(len(self.held))
        client, refresh_token = self.held.pop(index)
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if client == "spa":
            form["client_id"] = "spa"
            status, body = self.token(form)
        else:
            status, body = self.token(form, basic("web-app", "web-app-secret"))
        self.hold(client, body)
        return status == 200, 0

    def revoke(self):
        if not self.held:
            return True, 0
        client, refresh_token = self.held.pop(self.random.randrange(len(self.held)))
        form = {"token": refresh_token}
        headers = {"content-type": "application/x-www-form-urlencoded"}
        if client == "spa":
            form["client_id"] = "spa"
        else:
            headers["authorization"] = basic("web-app", "web-app-secret")
        status, _, _ = self.request("POST", f"/{REALM}/revoke", urllib.parse.urlencode(form), headers)
        return status == 200, 0

    def run(self):
        names = [name for name, weight in MIX for _ in range(weight)]
        next_at = time.monotonic()
        while time.monotonic() < self.deadline:
            name = self.random.choice(names)
            started = revoked = 0
            if name == "code":
                ok, started = self.code_flow()
            elif name == "refresh":
                ok, started = self.refresh()
            elif name == "client_credentials":
                status, _ = self.token({"grant_type": "client_credentials"}, basic("service", "service-secret"))
                ok = status == 200
            elif name == "password":
                status, body = self.token({"grant_type": "password", "username": "alice",
                                           "password": "alice-password", "scope": "openid"},
                                          basic("web-app", "web-app-secret"))
                ok = status == 200
                started = 1 if ok else 0
                self.hold("web-app", body)
            else:
                ok, _ = self.revoke()
                revoked = 1 if ok else 0
            self.counters.add(name, ok, started, revoked)
            next_at += self.pace
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/release/mock-idp")
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rate", type=float, default=500.0, help="operations per second, all workers together (a code flow is 2 requests)")
    parser.add_argument("--sample", type=int, default=30, help="seconds between RSS samples")
    parser.add_argument("--max-state-entries", type=int, default=None)
    args = parser.parse_args()

    port = free_port()
    command = [args.binary, "serve", "--port", str(port), "--auto-approve"]
    if args.max_state_entries:
        command += ["--max-state-entries", str(args.max_state_entries)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in server.stdout:
            if "listening" in line:
                break
        time.sleep(0.2)
        baseline = rss_kib(server.pid)
        counters = Counters()
        start = time.monotonic()
        deadline = start + args.seconds
        pace = args.workers / args.rate
        workers = [Worker(port, deadline, pace, counters, seed) for seed in range(args.workers)]
        for worker in workers:
            worker.start()
        print(f"# mock-idp serve on 127.0.0.1:{port}, {args.workers} workers, {args.rate:g} req/s cap, "
              f"{args.seconds} s, max-state-entries {args.max_state_entries or 'default'}")
        print("| t (s) | RSS (MiB) | operations | ops/s | errors | grants started | grants revoked |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| 0 | {baseline / 1024:.1f} | 0 | 0 | 0 | 0 | 0 |", flush=True)
        last_ops, last_t, peak = 0, start, baseline
        while any(worker.is_alive() for worker in workers):
            time.sleep(min(args.sample, max(0.1, deadline - time.monotonic() + 0.5)))
            now = time.monotonic()
            rss = rss_kib(server.pid)
            peak = max(peak, rss)
            with counters.lock:
                ops = sum(counters.ops.values())
                row = (ops, counters.errors, counters.grants_started, counters.grants_revoked)
            rate = (ops - last_ops) / max(now - last_t, 1e-9)
            last_ops, last_t = ops, now
            print(f"| {now - start:.0f} | {rss / 1024:.1f} | {row[0]} | {rate:.0f} | {row[1]} | {row[2]} | {row[3]} |",
                  flush=True)
        final = rss_kib(server.pid)
        live = counters.grants_started - counters.grants_revoked
        print()
        print(f"operations by kind: {json.dumps(counters.ops)}")
        print(f"RSS: start {baseline / 1024:.1f} MiB, end {final / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB")
        if live > 0:
            print(f"grants started {counters.grants_started}, revoked {counters.grants_revoked}, "
                  f"started minus revoked {live} (none expire within the run; once the store bound is reached "
                  f"the oldest are evicted, so this over-counts live grants): "
                  f"{(final - baseline) * 1024 / live:.0f} bytes of RSS growth per live grant")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
