#!/usr/bin/env python3
"""Turns the `name key=value ...` lines of one bench run into a Markdown table with ratios and a
verdict per target. Usage: `python3 bench/report.py .bench/results/<run>/bench.log`."""

from __future__ import annotations

import sys


def parse(path: str) -> list[tuple[str, dict[str, str]]]:
    records = []
    with open(path) as log:
        for line in log:
            words = line.split()
            if not words or words[0].startswith("#") or "=" in words[0]:
                continue
            values = dict(word.split("=", 1) for word in words[1:] if "=" in word)
            if values:
                records.append((words[0], values))
    return records


def find(records, name: str, **match) -> dict[str, str]:
    for record_name, values in records:
        if record_name == name and all(values.get(k) == v for k, v in match.items()):
            return values
    raise SystemExit(f"no `{name}` line with {match} in the log")


def f(values: dict[str, str], key: str) -> float:
    return float(values[key])


def num(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**NOT met**"


def main() -> None:
    records = parse(sys.argv[1])
    rows = []

    # 1. In-process start-up.
    s = find(records, "startup_ms")
    first = find(records, "startup_first_ms")
    median = f(s, "median")
    rows.append((
        "1. `MockIdp::start_blocking()` → first 200 on discovery (in-process)",
        f"{num(median, 2)} ms median (p90 {num(f(s, 'p90'), 2)}, {num(f(s, 'min'), 2)}–{num(f(s, 'max'), 2)}; "
        f"n={s['n']}; first start in the process {num(f(first, 'value'), 2)} ms)",
        "limit 5 ms",
        f"{median / 5:.3f}× the limit ({5 / median:,.0f}× headroom)",
        verdict(median < 5),
    ))

    # 2. Process start-up and memory.
    ours = find(records, "serve_start", server="mock-idp")
    tsrv = find(records, "serve_start", server="oauth2-test-server")
    msrv = find(records, "serve_start", server="oauth2-mock-server")
    o = f(ours, "median_ms")

    def start_cell(v):
        return (f"{num(f(v, 'median_ms'), 1)} ms ({num(f(v, 'min_ms'), 1)}–{num(f(v, 'max_ms'), 1)}, "
                f"p90 {num(f(v, 'p90_ms'), 1)}; n={v['n']})")

    rows.append((
        "2a. `mock-idp serve` start → first 200 vs oauth2-mock-server 8.2.3",
        start_cell(ours), start_cell(msrv),
        f"{f(msrv, 'median_ms') / o:.1f}× faster (target ≥ 10×)",
        verdict(f(msrv, "median_ms") / o >= 10),
    ))
    rows.append((
        "2b. `mock-idp serve` start → first 200 vs oauth2-test-server 0.2.3",
        start_cell(ours), start_cell(tsrv),
        f"{f(tsrv, 'median_ms') / o:.1f}× faster (target > 1×)",
        verdict(f(tsrv, "median_ms") / o > 1),
    ))
    rss = f(ours, "rss_mib_median")
    rows.append((
        "2c. VmRSS of `mock-idp serve` at first 200",
        f"{num(rss, 1)} MiB ({num(f(ours, 'rss_mib_min'), 1)}–{num(f(ours, 'rss_mib_max'), 1)})",
        f"limit 12 MiB (oauth2-test-server {num(f(tsrv, 'rss_mib_median'), 1)}, "
        f"oauth2-mock-server {num(f(msrv, 'rss_mib_median'), 1)})",
        f"{rss / 12:.2f}× the limit",
        verdict(rss <= 12),
    ))

    # 3. Token endpoint vs the signing floor.
    sign = find(records, "sign_rate")
    mint = find(records, "mint_rate")
    paired = find(records, "token_sign_ratio")
    tok = find(records, "load_summary", server="mock-idp", endpoint="token")
    ttok = find(records, "load_summary", server="oauth2-test-server", endpoint="token")
    mtok = find(records, "load_summary", server="oauth2-mock-server", endpoint="token")
    ours_tok = f(tok, "per_cpu_s_median")
    raw = f(sign, "median")

    def load_cell(v, unit="req"):
        return (f"{num(f(v, 'per_cpu_s_median'))} {unit}/CPU-s ({num(f(v, 'per_cpu_s_min'))}–"
                f"{num(f(v, 'per_cpu_s_max'))}); {num(f(v, 'rps_median'))} req/s at "
                f"{f(v, 'cores_median'):.2f} cores, p99 {f(v, 'p99_ms_median'):.1f} ms; "
                f"non-200: {v['non200_total']}")

    rows.append((
        "3. Token endpoint, client_credentials, RS256: tokens per server CPU-second vs raw "
        "aws-lc-rs RSA-2048 sign rate (one core, key pre-parsed)",
        load_cell(tok, "tokens"),
        f"{num(raw)} signs per CPU-s ({num(f(sign, 'min'))}–{num(f(sign, 'max'))}; "
        f"{num(f(sign, 'wall_median'))}/s wall-clock), one pinned core, measured in each load round; "
        f"`MockIdp::mint` without HTTP: {num(f(mint, 'median'))} per CPU-s",
        f"{ours_tok / raw:.3f}× the sign rate (target ≥ 0.8×; paired per round {f(paired, 'median'):.3f}, "
        f"{f(paired, 'min'):.3f}–{f(paired, 'max'):.3f}); mint reaches {f(mint, 'median') / raw:.3f}×",
        verdict(ours_tok >= 0.8 * raw),
    ))
    rows.append((
        "3 (context). Token endpoint vs oauth2-test-server 0.2.3 (DCR client)",
        load_cell(tok, "tokens"), load_cell(ttok, "tokens"),
        f"{ours_tok / f(ttok, 'per_cpu_s_median'):.2f}× per CPU-s",
        "context",
    ))
    rows.append((
        "3 (context). Token endpoint vs oauth2-mock-server 8.2.3",
        load_cell(tok, "tokens"), load_cell(mtok, "tokens"),
        f"{ours_tok / f(mtok, 'per_cpu_s_median'):.2f}× per CPU-s",
        "context",
    ))

    # 4. JWKS and discovery.
    for endpoint in ("jwks", "discovery"):
        ours_e = find(records, "load_summary", server="mock-idp", endpoint=endpoint)
        peer_e = find(records, "load_summary", server="oauth2-test-server", endpoint=endpoint)
        node_e = find(records, "load_summary", server="oauth2-mock-server", endpoint=endpoint)
        ratio = f(ours_e, "per_cpu_s_median") / f(peer_e, "per_cpu_s_median")
        rows.append((
            f"4. GET {endpoint}: requests per server CPU-second vs oauth2-test-server",
            load_cell(ours_e), load_cell(peer_e),
            f"{ratio:.2f}× (target ≥ 1×); vs oauth2-mock-server "
            f"{f(ours_e, 'per_cpu_s_median') / f(node_e, 'per_cpu_s_median'):.1f}×",
            verdict(ratio >= 1),
        ))

    print("| figure | ours | peer / limit | ratio | verdict |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")

    print()
    print("Memory after the load runs (VmRSS / VmHWM, MiB): " + "; ".join(
        f"{v['server']} {num(f(v, 'vmrss_mib'), 1)} / {num(f(v, 'vmhwm_mib'), 1)}"
        for name, v in records if name == "rss_after_load"))


if __name__ == "__main__":
    main()
