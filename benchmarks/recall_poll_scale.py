"""Measure the fake Recall's poller at Recall's scale: 1,000 credentials, 10 of which hang.

The requirement (issue 4): all 1,000 are polled within one 10 s poll interval and the
hanging ones never delay the others. The callbacks run in a separate process, so the
measurement is of the poller, not of a callback server sharing its interpreter.

    .venv/bin/python benchmarks/recall_poll_scale.py [--credentials 1000] [--hanging 10]

Prints the round's duration, when the slowest non-hanging call finished, and the ratio
of that to the interval; exits 1 if the round overran the interval.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from recall_sim.simulator.recall import FakeRecall, RecallSettings

CLIENT_ID = "benchClientId000000001"
INTERVAL = 10.0
HANG_SECONDS = 30.0


def _callback_server(port_queue: multiprocessing.Queue[int], hanging: int) -> None:
    """/cb/{n}: a good token for user n; the first ``hanging`` callbacks hang once armed."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from recall_sim.simulator.serving import ThreadedServer
    from recall_sim.simulator.zoom_jwt import mint_zoom_token

    armed = {"on": False}

    async def callback(request: Request) -> Response:
        n = int(request.path_params["n"])
        if armed["on"] and n < hanging:
            await asyncio.sleep(HANG_SECONDS)
        token = mint_zoom_token(
            signing_key="bench-signing-key-" + "x" * 46,
            client_id=CLIENT_ID,
            user_id=f"user{n:018d}",
            account_id="benchAccount0000000001",
            issued_at=int(time.time()),
            lifetime=3600,
        )
        return PlainTextResponse(token, headers={"Cache-Control": "no-store"})

    async def arm(request: Request) -> Response:
        armed["on"] = True
        return PlainTextResponse("armed")

    app = Starlette(routes=[Route("/cb/{n}", callback), Route("/arm", arm)])
    server = ThreadedServer(app, backlog=4096, limit_concurrency=None)
    server.start()
    port_queue.put(server.port)
    while True:  # serve until the parent terminates this process
        time.sleep(3600)


async def _measure(base: str, credentials: int, hanging: int, concurrency: int) -> int:
    settings = RecallSettings(poll_interval=0, poll_concurrency=concurrency, page_size=100)
    recall = FakeRecall(settings=settings)
    app = recall.create_app(client_id=CLIENT_ID)
    started = time.perf_counter()
    semaphore = asyncio.Semaphore(50)

    async def register(n: int) -> None:
        async with semaphore:
            await recall.acreate_credential(
                oauth_app=app.id, access_token_callback_url=f"{base}/cb/{n}?auth_token=bench-{n}"
            )

    await asyncio.gather(*(register(n) for n in range(credentials)))
    print(f"registered {credentials} credentials in {time.perf_counter() - started:.1f} s")
    async with httpx.AsyncClient() as http:
        await http.get(f"{base}/arm")
    round_ = await recall.apoll_now()
    hanging_ids = {
        c.id
        for c in recall.store.all_credentials()
        if int(c.user_id[4:]) < hanging  # type: ignore[index]
    }
    finished = [
        r.at + r.total_s - round_.started_at
        for r in recall.calls(purpose="poll")
        if r.credential not in hanging_ids
    ]
    print(
        f"round: {round_.polled} polled, {round_.accepted} accepted, {round_.rejected} rejected "
        f"in {round_.duration_s:.2f} s (poll_concurrency {concurrency})"
    )
    median = statistics.median(finished)
    print(
        f"non-hanging calls: {len(finished)}, median finished at {median:.2f} s, "
        f"slowest at {max(finished):.2f} s"
    )
    print(f"round / interval = {round_.duration_s / INTERVAL:.2f} (must be < 1)")
    ok = round_.polled == credentials and round_.duration_s < INTERVAL
    recall.close()
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credentials", type=int, default=1000)
    parser.add_argument("--hanging", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=_callback_server, args=(ports, args.hanging), daemon=True
    )
    server.start()
    try:
        base = f"http://127.0.0.1:{ports.get(timeout=30)}"
        return asyncio.run(_measure(base, args.credentials, args.hanging, args.concurrency))
    finally:
        server.terminate()
        server.join(10)


if __name__ == "__main__":
    raise SystemExit(main())
