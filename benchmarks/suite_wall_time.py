"""Suite wall time: ``recall-sim check`` against the reference callback, with the default rules
and with the freshness rules, and the credential-fuzzing request rate next to Schemathesis.

Setup reuses ``examples/demo.py``: ``recall-sim serve`` (a verification secret, so every
call is signed) and the reference callback, two users onboarded through the fake Zoom's
OAuth flow, their callback URLs read back from the fake Recall. Two setups:

  default    the fake Zoom's default 3600 s tokens; ``check`` with every option the demo
             passes except ``--zoom-admin`` (so the freshness rules have nothing to drive);
  freshness  ``recall-sim serve --zoom-token-lifetime 130`` and ``--zoom-admin``: every rule.

The suite runs in this process through ``recall_sim.conformance.api.check``. For each run:
wall time, ``Report.requests_sent`` and requests per second.

Fuzzing, side by side in alternating rounds against the same endpoint of the default setup:
ours is ``auth.rejects-wrong-credential`` run alone (its ``attempts`` evidence over its
``duration_s``); Schemathesis generates the query of a one-operation OpenAPI description
(``GET`` with the callback URL's query parameters, both fuzzed) through its Python API
(``APIOperation.as_strategy()`` under Hypothesis, ``Case.call``), with the same number of
examples. Both sign every request with fresh Standard Webhooks headers, as Recall does.

Target: our fuzzing rate >= Schemathesis's.   Run: .venv/bin/python benchmarks/suite_wall_time.py
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import examples.demo as demo_module
from examples.demo import USERS, Demo
from recall_sim.conformance.api import check
from recall_sim.conformance.config import DEFAULT_FUZZ_EXAMPLES, CheckConfig
from recall_sim.conformance.report import Report
from recall_sim.conformance.rules.auth import FUZZ_TIME_BUDGET
from recall_sim.simulator.signing import signature_headers
from recall_sim.simulator.zoom.settings import DEFAULT_ACCESS_TOKEN_LIFETIME

FUZZ_RULE = "auth.rejects-wrong-credential"
FUZZ_ROUNDS = 4
FRESHNESS_LIFETIME = 130
CALL_TIMEOUT = 5.0  # Schemathesis's requests have no timeout of their own


@dataclass(frozen=True)
class Setup:
    demo: Demo
    client_id: str
    users: list[str]
    urls: list[str]

    def config(self, **extra: Any) -> CheckConfig:
        """What ``make demo`` checks: user A's URL with every option that exercises a rule."""
        return CheckConfig(
            url=self.urls[0],
            client_id=self.client_id,
            expect_user_id=self.users[0],
            other_user_url=self.urls[1],
            signing_secret=self.demo.whsec,
            **extra,
        )


@contextlib.contextmanager
def reference(workdir: Path, *, token_lifetime: int) -> Iterator[Setup]:
    """The simulator and the reference callback with two users onboarded; stopped on exit."""
    original = demo_module.ZOOM_TOKEN_LIFETIME
    # start_simulator passes this module constant to --zoom-token-lifetime when called.
    demo_module.ZOOM_TOKEN_LIFETIME = token_lifetime
    workdir.mkdir(parents=True, exist_ok=True)
    demo = Demo(workdir, out=io.StringIO())
    try:
        demo.start_simulator()
        client_id, client_secret = demo.zoom_app()
        demo.start_reference(client_id, client_secret)
        users = [demo.onboard(email) for email in USERS]
        urls = [str(demo.credential(user)["access_token_callback_url"]) for user in users]
        yield Setup(demo, client_id, users, urls)
    finally:
        demo_module.ZOOM_TOKEN_LIFETIME = original
        demo.stop_all()


def run_suite(label: str, config: CheckConfig) -> Report:
    started = time.perf_counter()
    report = check(config)
    wall = time.perf_counter() - started
    counts = report.summary()
    print(
        f"{label:<10} wall {wall:6.1f} s, {report.requests_sent:5d} requests, "
        f"{report.requests_sent / wall:6.1f} requests/s   ({counts['pass']} pass, "
        f"{counts['warn']} warn, {counts['fail']} fail, {counts['skip']} skip)"
    )
    slowest = sorted(report.results, key=lambda r: r.duration_s, reverse=True)[:3]
    print("           slowest: " + ", ".join(f"{r.rule} {r.duration_s:.1f} s" for r in slowest))
    for result in report.results:
        if result.outcome.value == "fail":
            print(f"           FAIL {result.rule}: {result.detail}")
    return report


def our_fuzzing(setup: Setup) -> tuple[int, float]:
    """(attempts, seconds) of the credential-fuzzing rule run alone."""
    report = check(setup.config(rules=(FUZZ_RULE,)))
    (result,) = report.results
    if result.outcome.value != "pass":
        raise RuntimeError(f"{FUZZ_RULE} did not pass: {result.detail}")
    return int(result.evidence["attempts"]), result.duration_s


def schemathesis_fuzzing(setup: Setup, examples: int) -> tuple[int, float]:
    """(requests, seconds) of Schemathesis generating and sending ``examples`` cases."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    parts = urlsplit(setup.urls[0])
    base_url = f"{parts.scheme}://{parts.netloc}"
    parameters = [
        {"name": name, "in": "query", "required": True, "schema": {"type": "string"}}
        for name, _ in parse_qsl(parts.query, keep_blank_values=True)
    ]
    document = {
        "openapi": "3.0.3",
        "info": {"title": "access-token callback", "version": "1"},
        "paths": {
            parts.path: {
                "get": {
                    "parameters": parameters,
                    "responses": {"200": {"description": "the bare access token"}},
                }
            }
        },
    }
    operation = schemathesis.openapi.from_dict(document)[parts.path]["GET"]
    secret = setup.demo.whsec
    calls = 0
    tokens = 0
    started = time.perf_counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def fuzz(case: Any) -> None:
        nonlocal calls, tokens
        if time.perf_counter() - started > FUZZ_TIME_BUDGET:
            return  # the same budget as our rule's
        calls += 1
        response = case.call(
            base_url=base_url,
            headers=signature_headers(secret, timestamp=time.time()),
            timeout=CALL_TIMEOUT,
        )
        tokens += response.status_code == 200

    fuzz()
    elapsed = time.perf_counter() - started
    if tokens:
        raise RuntimeError(f"Schemathesis got {tokens} tokens with generated credentials")
    return calls, elapsed


def main() -> int:
    try:
        import schemathesis  # noqa: F401 - only to fail early, with the fix
    except ImportError:
        print(
            "this benchmark needs Schemathesis: .venv/bin/pip install -e '.[bench]'",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="recall-sim-bench-") as tmp:
        print("recall-sim check against examples/reference_callback (everything on 127.0.0.1)")
        with reference(Path(tmp) / "default", token_lifetime=DEFAULT_ACCESS_TOKEN_LIFETIME) as ref:
            run_suite("default", ref.config())
            ours_calls = theirs_calls = 0
            ours_s = theirs_s = 0.0
            for _ in range(FUZZ_ROUNDS):
                attempts, seconds = our_fuzzing(ref)
                ours_calls, ours_s = ours_calls + attempts, ours_s + seconds
                calls, seconds = schemathesis_fuzzing(ref, DEFAULT_FUZZ_EXAMPLES)
                theirs_calls, theirs_s = theirs_calls + calls, theirs_s + seconds
        with reference(Path(tmp) / "freshness", token_lifetime=FRESHNESS_LIFETIME) as ref:
            admin = f"{ref.demo.sim_url}/_sim/zoom"
            run_suite("freshness", ref.config(zoom_admin=admin))
    ours, theirs = ours_calls / ours_s, theirs_calls / theirs_s
    print(
        f"credential fuzzing, {FUZZ_ROUNDS} alternating rounds of {DEFAULT_FUZZ_EXAMPLES} "
        "examples each, signed GETs:\n"
        f"  ours ({FUZZ_RULE})  {ours_calls} requests in {ours_s:.2f} s = {ours:.1f}/s\n"
        f"  Schemathesis (query from OpenAPI)   {theirs_calls} requests in {theirs_s:.2f} s "
        f"= {theirs:.1f}/s"
    )
    ok = ours >= theirs
    verdict = "PASS" if ok else "MISS"
    print(
        f"fuzzing rate ours/Schemathesis = {ours / theirs:.2f} ({ours:.1f}/s vs {theirs:.1f}/s; "
        f"target >= 1): {verdict}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
