"""Micro-benchmark of request-signature verification with the API document's test vector.

Three figures, in verifications per second: ``verify`` on already-parsed data (encoding + HMAC +
constant-time compare), and the whole path from a JSON body or a GET query string (parse, readings,
HMAC per distinct reading).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from easel.api.phpjson import form_readings, json_readings
from easel.api.signing import read_signed_request, verify

SECRET = "$2y$08$tEwCIc9DxDNKRvzHhfRRlOHxDbu.MyIk5EnzEmZVEJ/GeuHXa.tki"
SIGNATURE = "16a060c526f2c460815567d73e05a4cdaf48e9ee2e3b9858e9b6933011ad798b"
BODY = b'{"start":0,"rows":20,"username":"testing","signature":"' + SIGNATURE.encode() + b'"}'
QUERY = b"start=0&rows=20&username=testing&signature=" + SIGNATURE.encode()


def _per_second(call: Callable[[], bool], seconds: float) -> float:
    assert call(), "the documented vector must verify"
    done = 0
    batch = 1000
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(batch):
            call()
        done += batch
    return done / elapsed


def run(seconds: float = 0.5) -> dict[str, float]:
    """Verifications per second for the documented vector, in-process, single thread."""
    readings = json_readings(BODY)
    return {
        "verify_per_s": _per_second(lambda: verify(SECRET, "orders", readings, SIGNATURE), seconds),
        "json_body_verify_per_s": _per_second(
            lambda: read_signed_request("orders", json_readings(BODY)).verify(SECRET), seconds
        ),
        "query_verify_per_s": _per_second(
            lambda: read_signed_request("orders", form_readings(QUERY)).verify(SECRET), seconds
        ),
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name}: {value:,.0f}")
