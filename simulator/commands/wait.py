"""``recall-sim wait URL``: block until a service answers HTTP, for CI jobs that start
``recall-sim serve`` or a callback in the background.

Ready means: the URL gave an HTTP answer whose status is below 500, or 501 (a server
that is up but does not do GET), since a callback without its credential answers 401
or 404 and is up all the same; 502, 503 and 504 are what proxies and starting servers
answer, so they mean "not yet". ``--require-2xx`` asks for a 2xx instead (health
endpoints, e.g. ``/_sim/health``). Exit codes follow SPEC §4: 0 ready, 2 the URL never
became ready within ``--timeout`` (an environment error) or a bad option.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO
from urllib.parse import urlsplit

from recall_sim.simulator.commands.arguments import bounded
from recall_sim.simulator.observation import Observation
from recall_sim.simulator.prober import probe
from recall_sim.simulator.redaction import mask_url

__all__ = ["WaitSettings", "add_arguments", "is_ready", "run", "wait"]

EXIT_READY, EXIT_NOT_READY = 0, 2
DEFAULT_TIMEOUT = 30.0
DEFAULT_INTERVAL = 0.5
# One attempt never waits longer than this, so a hanging server is retried, not waited on.
_ATTEMPT_DEADLINE = 2.0
_NOT_YET = frozenset({502, 503, 504})


@dataclass(frozen=True)
class WaitSettings:
    url: str
    timeout: float = DEFAULT_TIMEOUT
    interval: float = DEFAULT_INTERVAL
    require_2xx: bool = False
    quiet: bool = False


_timeout = bounded(
    float,
    0.0,
    3600.0,
    malformed="--timeout must be seconds, got {text!r}",
    out_of_range="--timeout must be between 0 and 3600 seconds, got {text}",
    low_inclusive=False,
)
_interval = bounded(
    float,
    0.01,
    60.0,
    malformed="--interval must be seconds, got {text!r}",
    out_of_range="--interval must be between 0.01 and 60 seconds, got {text}",
)


def _http_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(
            f"URL must be an http:// or https:// URL, got {mask_url(text)!r}"
        )
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "url",
        metavar="URL",
        type=_http_url,
        help="what to wait for, e.g. http://127.0.0.1:8700/_sim/health or your callback's URL",
    )
    parser.add_argument(
        "--timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help="give up after S seconds, exit 2 (default: %(default)g)",
    )
    parser.add_argument(
        "--interval",
        type=_interval,
        default=DEFAULT_INTERVAL,
        metavar="S",
        help="seconds between attempts (default: %(default)g)",
    )
    parser.add_argument(
        "--require-2xx",
        action="store_true",
        help="ready only on a 2xx answer (default: any answer below 500, or 501)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing when ready")


def run(args: argparse.Namespace) -> int:
    return wait(
        WaitSettings(
            url=args.url,
            timeout=args.timeout,
            interval=args.interval,
            require_2xx=args.require_2xx,
            quiet=args.quiet,
        )
    )


def is_ready(observation: Observation, *, require_2xx: bool) -> bool:
    """Whether one attempt's answer means the service is up (see the module docstring)."""
    status = observation.status
    if status is None:
        return False
    if require_2xx:
        return 200 <= status < 300
    return status not in _NOT_YET and (status < 500 or status == 501)


def wait(
    settings: WaitSettings,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    attempt: Callable[[str, float], Observation] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Poll until ready or ``settings.timeout`` has passed; the exit code.

    ``attempt(url, deadline)``: one GET (the prober's, by default); injectable for tests.
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    call = attempt if attempt is not None else _probe
    shown = mask_url(settings.url)
    started = monotonic()
    give_up = started + settings.timeout
    attempts = 0
    last = "no attempt made"
    while True:
        left = give_up - monotonic()
        if left <= 0:
            break
        attempts += 1
        observation = call(settings.url, min(_ATTEMPT_DEADLINE, left))
        if is_ready(observation, require_2xx=settings.require_2xx):
            if not settings.quiet:
                took = monotonic() - started
                print(
                    f"recall-sim wait: {shown} is ready (HTTP {observation.status}, "
                    f"{took:.1f} s, {attempts} attempt{'s' if attempts != 1 else ''})",
                    file=out,
                )
            return EXIT_READY
        last = _describe(observation)
        left = give_up - monotonic()
        if left <= 0:
            break
        sleep(min(settings.interval, left))
    print(
        f"recall-sim wait: {shown} not ready after {settings.timeout:g} s "
        f"({attempts} attempt{'s' if attempts != 1 else ''}; last: {last})",
        file=err,
    )
    return EXIT_NOT_READY


def _probe(url: str, deadline: float) -> Observation:
    return probe(url, deadline=deadline, max_body=4096)


def _describe(observation: Observation) -> str:
    if observation.error is not None:
        return f"{observation.error.kind.value}: {observation.error.message}"
    return f"HTTP {observation.status}"
