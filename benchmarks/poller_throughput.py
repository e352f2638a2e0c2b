"""Poller throughput: 5,000 credentials polled once at concurrency 50 by the fake Recall, versus
bare ``asyncio.gather`` GETs with ``httpx.AsyncClient`` bounded by a semaphore of 50, against
the same callback server (uvicorn in a subprocess; each credential has its own URL and Zoom
user). Rounds alternate, so machine noise hits every variant alike.

The fake Recall polls as configured by default where it matters: the 5 s callback deadline,
the judge on every answer, the call journal on (each call also appended to a JSON Lines
file as it is made), a fresh connection per call. Registering the 5,000 credentials calls each
callback once; that is setup, not measured.

Three bare variants, all with 50 GETs in flight:
  shared   one AsyncClient with a keep-alive pool of 50 (the obvious way);
  fresh    one AsyncClient without keep-alive: a new connection per GET, as the poller makes;
  per-slot 50 AsyncClients, one per semaphore slot, each keeping its one connection alive.
The verdict compares with the fastest of them in this run. One more row, for the analysis
only: ``aprobe`` alone (the prober the poller calls, same gather), which separates the
prober's cost from what the fake Recall adds per call (judge, journal, store).

Target: ours / fastest bare >= 0.8.   Run: .venv/bin/python benchmarks/poller_throughput.py
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from benchmarks._support import served
from benchmarks.fixed_callback import CLIENT_ID
from recall_sim.simulator.prober import aprobe
from recall_sim.simulator.recall import FakeRecall, RecallSettings

CREDENTIALS = 5000
CONCURRENCY = 50
ROUNDS = 3
TARGET = 0.8


async def _register(recall: FakeRecall, urls: list[str]) -> None:
    app = recall.create_app(client_id=CLIENT_ID)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(url: str) -> None:
        async with slots:
            await recall.acreate_credential(oauth_app=app.id, access_token_callback_url=url)

    await asyncio.gather(*(one(url) for url in urls))


async def _ours(recall: FakeRecall, expected: int) -> float:
    started = time.perf_counter()
    round_ = await recall.apoll_now()
    elapsed = time.perf_counter() - started
    if round_.polled != expected or round_.accepted != expected:
        raise RuntimeError(f"poll round went wrong: {round_}")
    return elapsed


async def _bare(clients: list[httpx.AsyncClient], urls: list[str]) -> float:
    """GET every URL, 50 at a time; each GET borrows a client from ``clients``."""
    slots = asyncio.Semaphore(CONCURRENCY)
    free = list(clients) * (CONCURRENCY // len(clients))

    async def get(url: str) -> int:
        async with slots:
            client = free.pop()
            try:
                response = await client.get(url)
            finally:
                free.append(client)
            return response.status_code

    started = time.perf_counter()
    statuses = await asyncio.gather(*(get(url) for url in urls))
    elapsed = time.perf_counter() - started
    if any(status != 200 for status in statuses):
        raise RuntimeError("a bare GET did not answer 200")
    return elapsed


async def _probes(urls: list[str]) -> float:
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(url: str) -> int | None:
        async with slots:
            return (await aprobe(url)).status

    started = time.perf_counter()
    statuses = await asyncio.gather(*(one(url) for url in urls))
    elapsed = time.perf_counter() - started
    if any(status != 200 for status in statuses):
        raise RuntimeError("a probe did not answer 200")
    return elapsed


def _bare_variants() -> dict[str, list[httpx.AsyncClient]]:
    return {
        "shared": [
            httpx.AsyncClient(
                trust_env=False,
                limits=httpx.Limits(
                    max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY
                ),
            )
        ],
        "fresh": [
            httpx.AsyncClient(trust_env=False, limits=httpx.Limits(max_keepalive_connections=0))
        ],
        "per-slot": [httpx.AsyncClient(trust_env=False) for _ in range(CONCURRENCY)],
    }


async def _measure(base: str, credentials: int, rounds: int, journal: Path) -> tuple[float, str]:
    urls = [f"{base}/user/{n}?auth_token=bench-{n}" for n in range(credentials)]
    settings = RecallSettings(
        poll_interval=0,
        poll_concurrency=CONCURRENCY,
        callback_deadline=5.0,
        journal_path=str(journal),
        journal_size=max(10_000, credentials),
    )
    recall = FakeRecall(settings=settings)
    started = time.perf_counter()
    await _register(recall, urls)
    print(f"setup: registered {credentials} credentials in {time.perf_counter() - started:.1f} s")
    variants = _bare_variants()
    runs: dict[str, Callable[[], Awaitable[float]]] = {
        "fake Recall poller": lambda: _ours(recall, credentials)
    }
    for name, clients in variants.items():
        runs[f"bare {name}"] = functools.partial(_bare, clients, urls)
    runs["aprobe alone"] = functools.partial(_probes, urls)
    seconds = dict.fromkeys(runs, 0.0)
    try:
        for clients in variants.values():  # warm every path
            await _bare(clients, urls[:200])
        await recall.apoll_now([c.id for c in recall.store.all_credentials()[:200]])
        for _ in range(rounds):
            for name, run in runs.items():
                seconds[name] += await run()
    finally:
        for clients in variants.values():
            for client in clients:
                await client.aclose()
        recall.close()
    written = sum(1 for _ in journal.open(encoding="utf-8"))
    print(f"journal: {written} call records appended to a JSON Lines file as they were made")
    calls = rounds * credentials
    rates = {name: calls / spent for name, spent in seconds.items()}
    ours = rates.pop("fake Recall poller")
    probes = rates.pop("aprobe alone")
    print(
        f"{rounds} alternating rounds of {credentials} calls, {CONCURRENCY} in flight:\n"
        f"  fake Recall poller  {ours:7.0f} calls/s"
    )
    for name, rate in rates.items():
        print(f"  {name:<18}  {rate:7.0f} calls/s   ours / this = {ours / rate:.2f}")
    print(
        f"  aprobe alone        {probes:7.0f} calls/s   ours / this = {ours / probes:.2f}  "
        f"(per call: prober {1e3 / probes:.2f} ms, the fake Recall's judge, journal and store "
        f"{1e3 / ours - 1e3 / probes:.2f} ms more)"
    )
    fastest = max(rates, key=rates.__getitem__)
    return ours / rates[fastest], fastest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credentials", type=int, default=CREDENTIALS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="recall-sim-bench-") as tmp,
        served("benchmarks.fixed_callback:app") as base,
    ):
        journal = Path(tmp) / "journal.jsonl"
        ratio, fastest = asyncio.run(_measure(base, args.credentials, args.rounds, journal))
    verdict = "PASS" if ratio >= TARGET else "MISS"
    print(
        f"poller throughput ratio ours/fastest bare ({fastest}) = {ratio:.2f} "
        f"(target >= {TARGET}): {verdict}"
    )
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
