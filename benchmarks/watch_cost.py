"""Watch's own cost: per call against a bare probe, and its memory over a simulated hour.

1. Cost per call. ``recall-sim watch`` (the real session: probe, judge, timeline,
   running aggregates, one output line per call) with an interval far below a call's
   cost, so it calls back to back, against ``probe()`` alone in a loop, in alternating
   rounds of the same length. Ratio = watch's seconds per call / a bare probe's.
2. Memory over an hour. An hour watched at 1 s is 3,600 calls; the same number of
   calls back to back, with tracemalloc: the peak after 600 calls and after 3,600.
   The timeline keeps at most ``MAX_POINTS`` calls and the aggregates are constant-size,
   so the hour must stay small in absolute terms.

Targets: watch / bare probe <= 1.5; peak traced memory for the hour < 50 MB.
Run: .venv/bin/python benchmarks/watch_cost.py
"""

from __future__ import annotations

import io
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._support import served
from recall_sim.conformance.watch.session import run_watch
from recall_sim.conformance.watch.settings import WatchSettings
from recall_sim.simulator.prober import probe

ROUND_S = 3.0
ROUNDS = 4
HOUR_CALLS = 3600
TARGET_RATIO = 1.5
TARGET_HOUR_MB = 50.0


def watched_calls(url: str, seconds: float) -> int:
    """Calls a back-to-back watch made in ``seconds`` (its own count, from its summary)."""
    out = io.StringIO()
    settings = WatchSettings(url=url, interval=1e-6, duration=seconds, color="never")
    code = run_watch(settings, out=out, err=out)
    if code not in (0, 1):
        raise RuntimeError(f"watch exited {code}: {out.getvalue()[-500:]}")
    return sum(1 for line in out.getvalue().splitlines() if " #" in line and "/5 s" in line)


def probed_calls(url: str, seconds: float) -> int:
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        probe(url)
        count += 1
    return count


def cost_ratio(url: str) -> float:
    watch_calls = probe_calls = 0
    for _ in range(ROUNDS):  # alternating, so machine noise hits both alike
        watch_calls += watched_calls(url, ROUND_S)
        probe_calls += probed_calls(url, ROUND_S)
    watch_ms = ROUND_S * ROUNDS / watch_calls * 1000
    probe_ms = ROUND_S * ROUNDS / probe_calls * 1000
    print(
        f"cost per call: watch {watch_ms:.2f} ms ({watch_calls} calls), "
        f"bare probe {probe_ms:.2f} ms ({probe_calls} calls)"
    )
    return watch_ms / probe_ms


def hour_memory(url: str) -> tuple[float, float]:
    """Peak traced MB after at least 600 and at least 3,600 back-to-back calls."""
    tracemalloc.start()  # tracing slows every call: measure the pace under it
    per_call = ROUND_S / max(1, watched_calls(url, ROUND_S))
    tracemalloc.stop()
    peaks: list[float] = []
    for calls in (600, HOUR_CALLS):
        tracemalloc.start()
        made = watched_calls(url, calls * per_call * 1.2)
        peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
        tracemalloc.stop()
        print(f"memory: {made} calls, peak traced {peaks[-1]:.1f} MB")
        if made < calls:
            raise RuntimeError(f"only {made} of {calls} calls: the machine is too busy")
    return peaks[0], peaks[1]


def main() -> int:
    with served("benchmarks.fixed_callback:app") as base:
        url = base + "/token"
        ratio = cost_ratio(url)
        small, hour = hour_memory(url)
    ok = ratio <= TARGET_RATIO and hour < TARGET_HOUR_MB
    print(
        f"watch / bare probe = {ratio:.2f} (target <= {TARGET_RATIO}); "
        f"an hour's calls peak at {hour:.1f} MB vs {small:.1f} MB for 600 "
        f"(target < {TARGET_HOUR_MB:g} MB)"
    )
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
