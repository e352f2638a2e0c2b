"""Probe overhead: 2,000 sequential probes of a local callback vs the same GETs with a bare
httpx.Client, interleaved in batches so machine noise hits both alike.

Also printed, for the cause: ``aprobe`` against a bare ``httpx.AsyncClient`` doing the same
work (a fresh connection per GET, on an event loop), i.e. the prober's own overhead.

Target: ours / bare <= 1.3.   Run: .venv/bin/python benchmarks/probe_overhead.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from benchmarks._support import served
from recall_sim.simulator.prober import aprobe, probe

TOTAL = 2000
BATCH = 100
TARGET = 1.3


async def same_work(url: str) -> tuple[float, float]:
    """Seconds for TOTAL aprobe calls and TOTAL bare fresh-connection AsyncClient GETs."""
    bare = httpx.AsyncClient(trust_env=False, limits=httpx.Limits(max_keepalive_connections=0))
    ours_s = bare_s = 0.0
    for _ in range(TOTAL // BATCH):
        started = time.perf_counter()
        for _ in range(BATCH):
            await aprobe(url)
        ours_s += time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(BATCH):
            await bare.get(url)
        bare_s += time.perf_counter() - started
    await bare.aclose()
    return ours_s, bare_s


def main() -> int:
    with served("benchmarks.fixed_callback:app") as base:
        url = base + "/token"
        bare = httpx.Client(trust_env=False)
        for _ in range(50):  # warm both paths
            probe(url)
            bare.get(url)
        ours_s = bare_s = 0.0
        for _ in range(TOTAL // BATCH):
            started = time.perf_counter()
            for _ in range(BATCH):
                observation = probe(url)
                assert observation.status == 200 and observation.error is None
            ours_s += time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(BATCH):
                response = bare.get(url)
                assert response.status_code == 200
            bare_s += time.perf_counter() - started
        bare.close()
        async_ours_s, async_bare_s = asyncio.run(same_work(url))
    print(
        f"same work on an event loop: aprobe {async_ours_s / TOTAL * 1e3:.2f} ms, bare "
        f"AsyncClient with a fresh connection {async_bare_s / TOTAL * 1e3:.2f} ms: "
        f"ratio {async_ours_s / async_bare_s:.2f}"
    )
    ratio = ours_s / bare_s
    print(
        f"probes: {TOTAL} sequential, ours {ours_s:.2f} s ({ours_s / TOTAL * 1e3:.2f} ms each), "
        f"bare httpx.Client {bare_s:.2f} s ({bare_s / TOTAL * 1e3:.2f} ms each)"
    )
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(f"probe overhead ratio ours/bare = {ratio:.2f} (target <= {TARGET}): {verdict}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
