#!/usr/bin/env python3
"""Server-process benchmarks: `mock-idp serve` next to its peers, started and loaded the same way.

Part 2 (start-up): each server is started with fork/exec (`subprocess.Popen`), its discovery
document is polled over plain HTTP/1.1 until it answers 200, and VmRSS is read from
/proc/PID/status at that moment. The servers take turns (round-robin), so a load drift on the
machine hits every server alike.

Parts 3 and 4 (throughput): all servers run at once (an idle one costs nothing); for each
(server, endpoint) wrk runs `-t2 -c16 -dNs` with bench/wrk.lua (which counts non-200
answers), and the server's CPU time (utime+stime from /proc/PID/stat) is read before and after.
The figure that matters is requests per server CPU-second; req/s is shown but depends on how
wrk and the server share the two cores. The rounds go round-robin over every case.

The signing floor (crates/mock-idp/benches/sign_rate.rs: raw aws-lc-rs RSA-2048 signatures per
second on one pinned core) runs once per round too, right before our token run, so that a load
drift from other processes hits the floor and the token endpoint alike.

Every figure is printed as one line `name key=value ...` for bench/report.py.
Traffic goes to 127.0.0.1 only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"
SERVICE_BASIC = "Basic " + base64.b64encode(b"service:service-secret").decode()


@dataclass
class Server:
    name: str
    cmd: list[str]
    port: int
    discovery: str  # path
    jwks: str = ""  # path, read from discovery once running
    token: str = ""  # path, read from discovery once running
    token_body: str = "grant_type=client_credentials"
    token_auth: str = SERVICE_BASIC
    proc: subprocess.Popen | None = field(default=None, repr=False)


def emit(name: str, **values) -> None:
    parts = [name]
    for key, value in values.items():
        if isinstance(value, float):
            value = f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
        parts.append(f"{key}={value}")
    print(" ".join(parts), flush=True)


def note(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def http(port: int, path: str, method: str = "GET", body: bytes = b"", headers: dict | None = None,
         timeout: float = 2.0) -> tuple[int, bytes] | None:
    """One request over a fresh connection (`Connection: close`); None if it cannot connect."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Accept: application/json",
             "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(request)
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError:
        return None
    raw = b"".join(chunks)
    head, _, payload = raw.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None
    if b"transfer-encoding: chunked" in head.lower():
        payload = dechunk(payload)
    return status, payload


def dechunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return bytes(out)


def port_is_free(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return False
    except OSError:
        return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MOCK_IDP_", "RUST_LOG", "NODE_OPTIONS", "RUST_BACKTRACE"))}
    return env


def vm_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM in MiB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, kib = line.split()[:2]
                values[key.rstrip(":")] = int(kib) / 1024
    return values


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def start(server: Server, deadline_s: float = 20.0) -> tuple[float, float]:
    """Starts `server`, polls discovery until 200; (ms to first 200, VmRSS MiB at that moment)."""
    for _ in range(500):  # at most 5 s for the previous instance to let go of the port
        if port_is_free(server.port):
            break
        time.sleep(0.01)
    else:
        raise SystemExit(f"port {server.port} is busy: is another {server.name} running?")
    started = time.perf_counter()
    proc = subprocess.Popen(server.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=clean_env())
    while True:
        answer = http(server.port, server.discovery, timeout=2.0)
        if answer is not None and answer[0] == 200:
            elapsed_ms = (time.perf_counter() - started) * 1000
            rss = vm_status(proc.pid)["VmRSS"]
            server.proc = proc
            return elapsed_ms, rss
        if proc.poll() is not None:
            raise SystemExit(f"{server.name} exited with {proc.returncode} before serving discovery")
        if time.perf_counter() - started > deadline_s:
            stop(server)
            raise SystemExit(f"{server.name}: no 200 on discovery within {deadline_s} s")
        time.sleep(0.0002)


def stop(server: Server) -> None:
    proc = server.proc
    if proc is None:
        return
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    server.proc = None


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p90 = ordered[max(1, -(-len(ordered) * 9 // 10)) - 1]
    return {"median": statistics.median(ordered), "p90": p90, "min": ordered[0], "max": ordered[-1]}


def bench_startup(servers: list[Server], count: int) -> None:
    times: dict[str, list[float]] = {s.name: [] for s in servers}
    rss: dict[str, list[float]] = {s.name: [] for s in servers}
    for _ in range(count):
        for server in servers:
            try:
                elapsed, resident = start(server)
            finally:
                stop(server)
            times[server.name].append(elapsed)
            rss[server.name].append(resident)
    for server in servers:
        t = summary(times[server.name])
        r = summary(rss[server.name])
        emit("serve_start", server=server.name, n=count, median_ms=t["median"], p90_ms=t["p90"],
             min_ms=t["min"], max_ms=t["max"], rss_mib_median=r["median"], rss_mib_min=r["min"],
             rss_mib_max=r["max"])


def path_of(url: str) -> str:
    rest = url.split("://", 1)[1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def prepare(server: Server) -> None:
    """Reads the JWKS and token paths from discovery; registers a client where needed."""
    answer = http(server.port, server.discovery)
    assert answer and answer[0] == 200, f"{server.name}: discovery failed: {answer}"
    meta = json.loads(answer[1])
    server.jwks = path_of(meta["jwks_uri"])
    server.token = path_of(meta["token_endpoint"])
    if server.name == "oauth2-test-server":
        # No pre-registered client: register one (RFC 7591). Its /token reads client_id from the
        # form body only (the Basic header is ignored), so the body names it too.
        registration = json.dumps({"client_name": "bench", "scope": "openid",
                                   "grant_types": ["client_credentials"],
                                   "redirect_uris": ["http://127.0.0.1/cb"]}).encode()
        answer = http(server.port, path_of(meta.get("registration_endpoint", "http://x/register")),
                      "POST", registration, {"Content-Type": "application/json"})
        assert answer and answer[0] in (200, 201), f"{server.name}: registration failed: {answer}"
        client = json.loads(answer[1])
        server.token_body = f"grant_type=client_credentials&client_id={client['client_id']}"
        secret = client.get("client_secret") or ""
        server.token_auth = "Basic " + base64.b64encode(f"{client['client_id']}:{secret}".encode()).decode()
    # One token by hand: it must be a 200 with a JWT signed RS256.
    answer = http(server.port, server.token, "POST", server.token_body.encode(),
                  {"Content-Type": "application/x-www-form-urlencoded", "Authorization": server.token_auth})
    assert answer and answer[0] == 200, f"{server.name}: token request failed: {answer}"
    token = json.loads(answer[1])["access_token"]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header.get("alg") == "RS256", f"{server.name}: token alg is {header.get('alg')}"
    emit("server_ready", server=server.name, pid=server.proc.pid, jwks=server.jwks, token=server.token,
         token_alg=header["alg"], token_bytes=len(token))


def wrk_once(server: Server, endpoint: str, seconds: int, threads: int, connections: int,
             lua: Path) -> dict[str, float]:
    env = clean_env()
    if endpoint == "token":
        path = server.token
        env.update(WRK_METHOD="POST", WRK_BODY=server.token_body, WRK_AUTH=server.token_auth)
    else:
        path = server.discovery if endpoint == "discovery" else server.jwks
        env.update(WRK_METHOD="GET", WRK_BODY="", WRK_AUTH="")
    url = f"http://{HOST}:{server.port}{path}"
    pid = server.proc.pid
    cpu_before = cpu_seconds(pid)
    wall_before = time.perf_counter()
    result = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
                             "-s", str(lua), url], env=env, capture_output=True, text=True,
                            timeout=seconds + 60, check=False)
    wall = time.perf_counter() - wall_before
    cpu = cpu_seconds(pid) - cpu_before
    line = next((l for l in result.stdout.splitlines() if l.startswith("WRKRESULT ")), None)
    if result.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed on {url}: {result.returncode}\n{result.stdout}\n{result.stderr}")
    fields = {k: int(v) for k, v in (item.split("=") for item in line.split()[1:])}
    ok = fields["requests"] - fields["non200"]
    duration = fields["duration_us"] / 1e6
    errors = sum(fields[k] for k in ("errors_connect", "errors_read", "errors_write", "errors_timeout"))
    return {"requests": fields["requests"], "non200": fields["non200"], "first_non200": fields["first_non200"],
            "errors": errors, "seconds": duration, "wall_s": wall, "cpu_s": cpu,
            "rps": ok / duration, "per_cpu_s": ok / cpu if cpu > 0 else float("nan"),
            "cores": cpu / duration, "p50_ms": fields["p50_us"] / 1000, "p99_ms": fields["p99_us"] / 1000}


def sign_once(sign_bench: str, cpu: int, seconds: int) -> dict[str, float]:
    """One run of the sign_rate bench pinned to `cpu`: raw sign and mint rates, per wall-clock
    second (`sign_rate`, `mint_rate`) and per CPU-second of the bench thread (`..._cpu`)."""
    env = clean_env()
    env.update(SIGN_RUNS="1", SIGN_SECONDS=str(seconds))
    result = subprocess.run(["taskset", "-c", str(cpu), sign_bench], env=env, capture_output=True, text=True,
                            timeout=4 * seconds + 60, check=False)
    if result.returncode != 0:
        raise SystemExit(f"sign bench failed: {result.returncode}\n{result.stdout}\n{result.stderr}")
    rates = {}
    for line in result.stdout.splitlines():
        words = line.split()
        if words and words[0] in ("sign_rate", "sign_rate_cpu", "mint_rate", "mint_rate_cpu"):
            values = dict(word.split("=", 1) for word in words[1:] if "=" in word)
            rates[words[0]] = float(values["median"])
    return rates


def bench_load(servers: list[Server], endpoints: list[str], runs: int, seconds: int, threads: int,
               connections: int, lua: Path, sign_bench: str | None, sign_cpu: int, sign_seconds: int) -> None:
    try:
        for server in servers:
            start(server)
            prepare(server)
        # Warm-up: one short run per case (connection pools, lazy key set-up, JIT for Node).
        for server in servers:
            for endpoint in endpoints:
                wrk_once(server, endpoint, 1, threads, connections, lua)
        results: dict[tuple[str, str], list[dict]] = {}
        signs: list[dict[str, float]] = []
        for run in range(1, runs + 1):
            for server in servers:
                for endpoint in endpoints:
                    if sign_bench and server.name == "mock-idp" and endpoint == "token":
                        rates = sign_once(sign_bench, sign_cpu, sign_seconds)
                        signs.append(rates)
                        emit("sign_round", run=run, sign_per_cpu_s=rates["sign_rate_cpu"],
                             sign_per_s=rates["sign_rate"], mint_per_cpu_s=rates["mint_rate_cpu"],
                             mint_per_s=rates["mint_rate"])
                    r = wrk_once(server, endpoint, seconds, threads, connections, lua)
                    results.setdefault((server.name, endpoint), []).append(r)
                    emit("load", server=server.name, endpoint=endpoint, run=run, requests=r["requests"],
                         non200=r["non200"], first_non200=r["first_non200"], errors=r["errors"],
                         seconds=r["seconds"], cpu_s=r["cpu_s"], rps=r["rps"], per_cpu_s=r["per_cpu_s"],
                         cores=r["cores"], p99_ms=r["p99_ms"])
        if signs:
            # Per CPU-second of the signing thread, like the server's requests per CPU-second.
            for key in ("sign_rate", "mint_rate"):
                values = [rates[key + "_cpu"] for rates in signs]
                wall = [rates[key] for rates in signs]
                emit(key, median=statistics.median(values), min=min(values), max=max(values), runs=len(values),
                     wall_median=statistics.median(wall), cpu=sign_cpu, seconds=sign_seconds)
            paired = [r["per_cpu_s"] / rates["sign_rate_cpu"]
                      for r, rates in zip(results[("mock-idp", "token")], signs)]
            emit("token_sign_ratio", median=statistics.median(paired), min=min(paired), max=max(paired),
                 runs=len(paired))
        for server in servers:
            memory = vm_status(server.proc.pid)
            emit("rss_after_load", server=server.name, vmrss_mib=memory["VmRSS"], vmhwm_mib=memory["VmHWM"])
            for endpoint in endpoints:
                rs = results[(server.name, endpoint)]
                per_cpu = [r["per_cpu_s"] for r in rs]
                emit("load_summary", server=server.name, endpoint=endpoint, runs=len(rs),
                     per_cpu_s_median=statistics.median(per_cpu), per_cpu_s_min=min(per_cpu),
                     per_cpu_s_max=max(per_cpu), rps_median=statistics.median(r["rps"] for r in rs),
                     cores_median=statistics.median(r["cores"] for r in rs),
                     p99_ms_median=statistics.median(r["p99_ms"] for r in rs),
                     non200_total=sum(r["non200"] for r in rs), errors_total=sum(r["errors"] for r in rs))
    finally:
        for server in servers:
            stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mock-idp", required=True, help="the mock-idp release binary")
    parser.add_argument("--oauth2-test-server", required=True, help="the oauth2-test-server binary")
    parser.add_argument("--oauth2-mock-server", required=True, help="oauth2-mock-server's .mjs entry point")
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sign-bench", help="the sign_rate bench binary (run once per load round)")
    parser.add_argument("--sign-cpu", type=int, default=1, help="the core the sign bench is pinned to")
    parser.add_argument("--sign-seconds", type=int, default=2)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    assert 1 <= args.starts <= 200 and 1 <= args.runs <= 10 and 1 <= args.seconds <= 30, "bounded runs only"
    assert 1 <= args.sign_seconds <= 10, "bounded runs only"

    ours_port, node_port = free_port(), free_port()
    servers = [
        Server("mock-idp", [args.mock_idp, "serve", "--port", str(ours_port), "--bind", HOST], ours_port,
               "/demo/.well-known/openid-configuration"),
        # Its binary hard-codes port 8090 (and binds 127.0.0.1).
        Server("oauth2-test-server", [args.oauth2_test_server], 8090, "/.well-known/openid-configuration"),
        Server("oauth2-mock-server", ["node", args.oauth2_mock_server, "-a", HOST, "-p", str(node_port)], node_port,
               "/.well-known/openid-configuration"),
    ]
    lua = Path(__file__).with_name("wrk.lua")
    if not args.skip_startup:
        note(f"start-up: {args.starts} starts of each server, round-robin")
        bench_startup(servers, args.starts)
    if not args.skip_load:
        note(f"load: wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, {args.runs} rounds")
        bench_load(servers, ["discovery", "jwks", "token"], args.runs, args.seconds, args.threads,
                   args.connections, lua, args.sign_bench, args.sign_cpu, args.sign_seconds)


if __name__ == "__main__":
    main()
