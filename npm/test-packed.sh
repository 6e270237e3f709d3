#!/usr/bin/env bash
# Packs @idp-harness/mock-idp and @idp-harness/mock-idp-linux-x64 (with BINARY inside), installs
# the tarballs into fresh projects with no cargo or rustc on PATH, and runs there: the declarations'
# type check, the package's own vitest suite, its jest wiring, and examples/express-jose's suite.
#
#   npm/test-packed.sh BINARY OUT_DIR
#
# .ci/run passes the release binary; by hand a debug one works too:
#   npm/test-packed.sh target/debug/mock-idp target/node-ci
set -euo pipefail

binary=$1
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out" && mkdir -p "$out" && out=$(cd "$out" && pwd)

# Versions of the tools the suites run with (the package itself has no dependencies).
dev_tools=(vitest@4.1.12 typescript@5.9.3 @types/node@20.19.25 jose@6.2.0)
jest=jest@30.5.2

"$root/npm/pack.sh" "$binary" "$out"
tarballs=("$out/idp-harness-mock-idp-linux-x64-0.1.0.tgz" "$out/idp-harness-mock-idp-0.1.0.tgz")

# node and npm, and nothing of Rust's, on PATH.
clean_path="$(dirname "$(command -v node)"):/usr/local/bin:/usr/bin:/bin"
if env PATH="$clean_path" sh -c 'command -v cargo || command -v rustc'; then
  echo "npm: cargo or rustc is still on PATH for the package tests" >&2
  exit 1
fi
in_clean() { env -u MOCK_IDP_BIN PATH="$clean_path" "$@"; }
npm_install() { in_clean timeout 300 npm install --no-audit --no-fund --loglevel=error "$@"; }

echo "npm: the package's own tests, against the installed tarballs"
suite="$out/package-tests"
mkdir -p "$suite"
cp -r "$root/npm/mock-idp/test" "$root/npm/mock-idp/vitest.config.js" "$suite/"
sed 's#"files": \[.*\]#"files": ["test/types-check.ts"]#' "$root/npm/mock-idp/tsconfig.json" >"$suite/tsconfig.json"
printf '{ "name": "package-tests", "private": true, "type": "module" }\n' >"$suite/package.json"
(cd "$suite" && npm_install "${tarballs[@]}" "${dev_tools[@]}")
test -x "$suite/node_modules/@idp-harness/mock-idp-linux-x64/bin/mock-idp"
(cd "$suite" && in_clean ./node_modules/.bin/tsc --noEmit -p .)
(cd "$suite" && in_clean timeout 300 ./node_modules/.bin/vitest run)
rm -rf "$suite/node_modules"   # about 100 MB each: CI's disk is small

echo "npm: jest globalSetup + globalTeardown, against the installed tarballs"
jest_dir="$out/jest"
mkdir -p "$jest_dir"
cp "$root"/npm/mock-idp/test-jest/* "$jest_dir/"
printf '{ "name": "jest-tests", "private": true }\n' >"$jest_dir/package.json"
(cd "$jest_dir" && npm_install "${tarballs[@]}" "$jest")
(cd "$jest_dir" && in_clean env MOCK_IDP_PROVIDER=keycloak timeout 300 ./node_modules/.bin/jest)
jest_port=$(cat "$jest_dir/seen-port")
if (exec 3<>"/dev/tcp/127.0.0.1/$jest_port") 2>/dev/null; then
  echo "npm: the jest run's server on port $jest_port still answers after the run" >&2
  exit 1
fi
rm -rf "$jest_dir/node_modules"

echo "npm: examples/express-jose, against the installed tarballs"
example="$out/express-jose"
mkdir -p "$example"
(cd "$root/examples/express-jose" && cp -r app.js server.js package.json vitest.config.js test "$example/")
(cd "$example" && npm_install "${tarballs[@]}" && npm_install)
(cd "$example" && in_clean timeout 300 ./node_modules/.bin/vitest run)
rm -rf "$example/node_modules"
