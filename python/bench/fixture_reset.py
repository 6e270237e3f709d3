"""Bench: the pytest plugin's function-scoped reset, as a test pays it.

``idp.reset()`` (``POST /_mock/reset`` through `mock_idp.admin`, urllib, a fresh connection each
call) after an untimed round that dirties the state as a test would (a user created, a fault
added, the clock advanced, a claim queued, one client-credentials token issued). Prints the
median, p90 and min over ``--rounds`` and the ratio median / target (issue 13: 2 ms).

    MOCK_IDP_BIN=target/release/mock-idp PYTHONPATH=python/src \
        python python/bench/fixture_reset.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time
import urllib.parse
import urllib.request

from mock_idp import Fault, MockIdp

TARGET_MS = 2.0


def dirty(idp: MockIdp, n: int) -> None:
    """Change what a test changes (untimed)."""
    idp.admin.users.create(f"bench-{n}", "pw")
    idp.admin.faults.add("jwks", Fault.outage(), scope="once")
    idp.admin.clock.advance(60)
    idp.admin.claims.queue({"tenant": "acme"})
    body = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
    request = urllib.request.Request(idp.token_endpoint, data=body)
    request.add_header("Authorization", "Basic " + base64.b64encode(b"service:service-secret").decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def main() -> None:
    """Run the rounds and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    samples = []
    with MockIdp("keycloak") as idp:
        for n in range(args.rounds):
            dirty(idp, n)
            began = time.perf_counter()
            idp.reset()
            samples.append((time.perf_counter() - began) * 1000)
        assert [u.username for u in idp.admin.users.list()].count(f"bench-{args.rounds - 1}") == 0
    samples.sort()
    median = statistics.median(samples)
    p90 = samples[int(len(samples) * 0.9)]
    print(
        f"fixture reset (idp.reset()) rounds={len(samples)} median {median:.3f} ms  p90 {p90:.3f} ms"
        f"  min {samples[0]:.3f} ms  target {TARGET_MS} ms  ratio {median / TARGET_MS:.2f}"
    )


if __name__ == "__main__":
    main()
