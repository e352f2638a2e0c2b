"""Scale: ``recall-sim serve`` with 10,000 registered credentials, 1 % of them hanging; one full
poll round must complete within its 10 s interval and the server's peak RSS stay under 300 MB.

What runs where: the simulator is ``python -m recall_sim serve`` in its own process (the
default poll concurrency of 100 and 5 s callback deadline; the schedule off so that exactly
one round is measured), the callbacks are ``benchmarks/fixed_callback.py`` under uvicorn in
another, and this script only drives them over HTTP on 127.0.0.1. The credentials are
registered through the fake Recall's API (each create calls its callback once, as Recall
does; setup, not measured); every 100th callback then starts hanging for 30 s, spread over
the work list. The round is ``POST /_sim/recall/poll``, which answers with the round's own
duration. Peak RSS is the server process's ``VmHWM`` from ``/proc/<pid>/status`` (Linux),
which covers the registrations and the round.

Run: .venv/bin/python benchmarks/server_scale.py [--credentials 10000] [--hanging-every 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from benchmarks._support import free_port, served_process
from benchmarks.fixed_callback import CLIENT_ID

ROOT = Path(__file__).resolve().parent.parent
INTERVAL = 10.0
RSS_LIMIT_MB = 300.0
HANG_SECONDS = 30.0
DEADLINE = 5.0  # recall-sim serve's default callback deadline
REGISTER_CONCURRENCY = 50
STARTUP_TIMEOUT = 30.0
ROUND_TIMEOUT = 180.0  # a bound for a stuck round, not a target


@contextlib.contextmanager
def simulator(api_key: str) -> Iterator[tuple[str, int]]:
    """``recall-sim serve`` on a free port; yields its base URL and process id."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    env["RECALL_SIM_API_KEY"] = api_key  # through the environment, not the process list
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "recall_sim.simulator.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--poll-interval",
            "0",
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                if httpx.get(f"{base}/_sim/health", timeout=1, trust_env=False).is_success:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"recall-sim serve did not start on {base}")
            time.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def memory_mb(pid: int) -> dict[str, float]:
    """VmHWM (peak resident set) and VmRSS (now) of a process, in MB (10^6 bytes)."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            values[name] = int(rest.split()[0]) * 1024 / 1e6
    return values


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux ``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def register(api: str, api_key: str, callback_base: str, count: int, every: int) -> int:
    """Create the app and ``count`` credentials; every ``every``-th one can be made to hang."""
    headers = {"Authorization": f"Token {api_key}"}
    # No keep-alive: a pooled connection left idle past uvicorn's 5 s keep-alive timeout
    # can be closed by the server just as a request goes out on it (httpx ReadError).
    limits = httpx.Limits(max_connections=REGISTER_CONCURRENCY, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=api, headers=headers, timeout=60, trust_env=False, limits=limits
    ) as http:
        app = await http.post(
            "/zoom-oauth-apps/",
            json={
                "kind": "user_level",
                "client_id": CLIENT_ID,
                "client_secret": "unused",
                "webhook_secret": "unused",
            },
        )
        app.raise_for_status()
        app_id = app.json()["id"]
        slots = asyncio.Semaphore(REGISTER_CONCURRENCY)

        async def one(n: int) -> None:
            hang = f"&hang={HANG_SECONDS:g}" if n % every == every // 2 else ""
            url = f"{callback_base}/user/{n}?auth_token=bench-{n}{hang}"
            async with slots:
                answer = await http.post(
                    "/zoom-oauth-credentials/",
                    json={"oauth_app": app_id, "access_token_callback_url": url},
                )
            if answer.status_code != 201:
                raise RuntimeError(f"create #{n} answered {answer.status_code}: {answer.text}")

        await asyncio.gather(*(one(n) for n in range(count)))
    return sum(1 for n in range(count) if n % every == every // 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credentials", type=int, default=10_000)
    parser.add_argument("--hanging-every", type=int, default=100, metavar="K")
    args = parser.parse_args()
    api_key = secrets.token_hex(20)
    with (
        served_process("benchmarks.fixed_callback:app") as (callbacks, callback_pid),
        simulator(api_key) as (base, pid),
    ):
        started = time.perf_counter()
        hanging = asyncio.run(
            register(f"{base}/api/v2", api_key, callbacks, args.credentials, args.hanging_every)
        )
        print(
            f"setup: registered {args.credentials} credentials through the API in "
            f"{time.perf_counter() - started:.1f} s; {hanging} of them hang from now on "
            f"(for {HANG_SECONDS:g} s; the deadline is 5 s)"
        )
        httpx.get(f"{callbacks}/arm", trust_env=False).raise_for_status()
        cpu_before, callback_cpu_before = cpu_seconds(pid), cpu_seconds(callback_pid)
        answer = httpx.post(f"{base}/_sim/recall/poll", timeout=ROUND_TIMEOUT, trust_env=False)
        answer.raise_for_status()
        cpu = cpu_seconds(pid) - cpu_before
        callback_cpu = cpu_seconds(callback_pid) - callback_cpu_before
        round_ = answer.json()
        memory = memory_mb(pid)
    duration = float(round_["duration_s"])
    print(
        f"round: {round_['polled']} polled, {round_['accepted']} accepted, "
        f"{round_['rejected']} rejected in {duration:.2f} s "
        f"({round_['polled'] / duration:.0f} calls/s; poll concurrency 100)"
    )
    print(
        f"CPU during the round: recall-sim serve {cpu:.1f} s ({cpu / duration:.0%} of one "
        f"core), the callback server {callback_cpu:.1f} s ({callback_cpu / duration:.0%})"
    )
    # The round cannot end before its last hanging call, started after every call before
    # it, hits the deadline; and the calls before it need the callback server's CPU.
    floor = callback_cpu + DEADLINE
    print(
        f"floor on this machine for any poller: the callback server's {callback_cpu:.1f} s of "
        f"CPU on its core, then the last hanging call's {DEADLINE:g} s deadline = {floor:.1f} s"
    )
    print(
        f"server process (recall-sim serve): peak RSS {memory['VmHWM']:.0f} MB, "
        f"RSS after the round {memory['VmRSS']:.0f} MB"
    )
    complete = round_["polled"] == args.credentials
    ok = complete and duration < INTERVAL and memory["VmHWM"] < RSS_LIMIT_MB
    verdict = "PASS" if ok else "MISS"
    print(
        f"scale: {args.credentials} credentials, {hanging} hanging: round {duration:.1f} s "
        f"(target < {INTERVAL:g} s), peak RSS {memory['VmHWM']:.0f} MB "
        f"(target < {RSS_LIMIT_MB:g} MB): {verdict}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
