"""Bench: what one ``mock-idp token`` call costs against a running keycloak-flavor ``serve``.

Starts ``BIN serve --port 0 --provider keycloak``, then runs ``CLI token --port P --json`` for a user
(``--user alice --client web-app``) and a service account (``--client service``), ``--rounds`` times each,
alternating, and prints the median, min and max in milliseconds. ``CLI`` defaults to ``BIN``; give an older
binary as ``--cli`` to compare two builds against the same server in one run.

    python python/bench/token_cli.py target/release/mock-idp [--cli OTHER_BIN] [--rounds 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time


def main() -> None:
    """Run the rounds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--cli")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    cli = args.cli or args.binary
    server = subprocess.Popen(
        [args.binary, "serve", "--port", "0", "--provider", "keycloak"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = server.stdout.readline().strip().rsplit(":", 1)[1]
        for _ in range(3):
            server.stdout.readline()
        cases = {"user": ["--user", "alice", "--client", "web-app"], "service": ["--client", "service"]}
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, extra in cases.items():
                began = time.perf_counter()
                command = [cli, "token", "--port", port, "--json", *extra]
                done = subprocess.run(command, capture_output=True, text=True, timeout=30)
                assert done.returncode == 0, done.stderr
                times[name].append((time.perf_counter() - began) * 1000)
        for name, values in times.items():
            print(
                f"token_cli {name} median {statistics.median(values):.1f} ms "
                f"min {min(values):.1f} max {max(values):.1f} n={len(values)}"
            )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
