#!/usr/bin/env bash
# Packs @idp-harness/mock-idp-linux-x64 (with BINARY as bin/mock-idp) and @idp-harness/mock-idp
# into OUT_DIR, then takes the binary back out of the source tree (bin/ is not in git).
#
#   npm/pack.sh BINARY OUT_DIR     e.g. npm/pack.sh target/release/mock-idp target/npm
set -euo pipefail

binary=$1
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out" && out=$(cd "$out" && pwd)

platform="$root/npm/platforms/linux-x64"
mkdir -p "$platform/bin"
install -m 755 "$binary" "$platform/bin/mock-idp"
trap 'rm -f "$platform/bin/mock-idp"' EXIT
(cd "$platform" && npm pack --silent --pack-destination "$out" >/dev/null)
(cd "$root/npm/mock-idp" && npm pack --silent --pack-destination "$out" >/dev/null)
ls -l "$out/idp-harness-mock-idp-linux-x64-0.1.0.tgz" "$out/idp-harness-mock-idp-0.1.0.tgz"
