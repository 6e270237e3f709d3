#!/usr/bin/env bash
# The performance bench of mock-idp, with its peers and limits measured in the same run.
#
#   bash bench/run.sh            # everything (about 5 minutes once built; see docs/benchmarks.md)
#
# Installs what it needs (wrk from Debian, oauth2-mock-server 8.2.3 from npm into .bench/node,
# oauth2-test-server 0.2.3 from crates.io into .bench/cargo), builds mock-idp in release mode,
# then measures:
#   1. in-process MockIdp::start_blocking() -> first 200 on discovery   (crates/mock-idp/benches/startup.rs)
#   2. process start -> first 200 + VmRSS, next to oauth2-test-server and oauth2-mock-server
#   3-4. per-CPU-second throughput of discovery, JWKS and the token endpoint, same peers, in
#      rounds that also run the raw aws-lc-rs RSA-2048 signing rate on one pinned core
#      (crates/mock-idp/benches/sign_rate.rs)                          (2-4: bench/peers.py)
# and prints the results table (bench/report.py). Everything a run prints is kept in
# .bench/results/<UTC timestamp>/ (bench.log, report.md).
#
# Knobs (environment): STARTUP_SAMPLES (100), STARTS (20), RUNS (3), SECONDS_PER_RUN (5),
# SIGN_SECONDS (2), SIGN_CPU (1: the core the sign bench is pinned to),
# BENCH_DIR (.bench: installs and results), CARGO_TARGET_DIR (target).
# All traffic goes to 127.0.0.1; every load run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=${BENCH_DIR:-$ROOT/.bench}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=$BENCH/results/$(date -u +%Y%m%dT%H%M%SZ)
LOG=$OUT/bench.log
mkdir -p "$OUT" "$BENCH/node" "$BENCH/cargo"

step() { printf '\n=== %s ===\n' "$*" >&2; }

step "tools"
if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for tool in node npm cargo python3 taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done

MOCK_SERVER_JS=$BENCH/node/node_modules/oauth2-mock-server/dist/oauth2-mock-server.mjs
if [ "$(node -p "try{require('$BENCH/node/node_modules/oauth2-mock-server/package.json').version}catch(e){''}")" != "8.2.3" ]; then
  [ -f "$BENCH/node/package.json" ] || echo '{"private": true}' >"$BENCH/node/package.json"
  (cd "$BENCH/node" && npm install --no-audit --no-fund --loglevel=error oauth2-mock-server@8.2.3)
fi

TEST_SERVER=$BENCH/cargo/bin/oauth2-test-server
if [ ! -x "$TEST_SERVER" ]; then
  cargo install --locked oauth2-test-server --version 0.2.3 --root "$BENCH/cargo"
fi

step "build (release)"
cargo build --release -p mock-idp
bench_bin() {
  cargo bench -p mock-idp --bench "$1" --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == sys.argv[1]:
        print(m["executable"])' "$1" | tail -n1
}
STARTUP_BIN=$(bench_bin startup)
SIGN_BIN=$(bench_bin sign_rate)
[ -x "$STARTUP_BIN" ] && [ -x "$SIGN_BIN" ] || { echo "bench: bench binaries not built" >&2; exit 1; }

{
  echo "# date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ) commit=${BENCH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo none)}"
  echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# node $(node --version), $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), oauth2-mock-server 8.2.3, oauth2-test-server 0.2.3"
} | tee "$LOG"

step "1. in-process start-up (${STARTUP_SAMPLES:-100} samples)"
"$STARTUP_BIN" | tee -a "$LOG"

step "2-4. peer processes: start-up and memory, then wrk load (+ signing floor each round)"
python3 bench/peers.py \
  --mock-idp "$TARGET/release/mock-idp" \
  --oauth2-test-server "$TEST_SERVER" \
  --oauth2-mock-server "$MOCK_SERVER_JS" \
  --sign-bench "$SIGN_BIN" --sign-cpu "${SIGN_CPU:-1}" --sign-seconds "${SIGN_SECONDS:-2}" \
  --starts "${STARTS:-20}" --runs "${RUNS:-3}" --seconds "${SECONDS_PER_RUN:-5}" | tee -a "$LOG"

echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$LOG"

step "results"
python3 bench/report.py "$LOG" | tee "$OUT/report.md"
echo >&2
echo "bench: log and report in $OUT" >&2
