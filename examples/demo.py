"""``make demo``: the whole loop on 127.0.0.1, then ``recall-sim check`` on the reference callback.

1. ``recall-sim serve`` (fake Recall + fake Zoom) with 130 s Zoom tokens, so refreshes
   happen within seconds, and a Recall verification secret, so Recall signs its calls;
2. the reference callback (``python -m examples.reference_callback``) pointed at them;
3. two users, each with meetings scheduled in the fake Zoom, onboarded through the real
   authorize -> code -> token flow;
4. both callbacks registered with the fake Recall, which calls and validates them, then
   syncs each user's meetings with the token it got (GET /v2/users/me and .../meetings);
5. ``recall-sim check --kind obf`` on user A's OBF callback (the one Recall's bots call
   before joining a meeting outside the user's account; SPEC §7);
6. ``recall-sim check`` on user A's access-token callback with every option that
   exercises a rule (last: it ends by deauthorizing user A in the fake Zoom).

Everything it starts is stopped on the way out, also on failure or Ctrl-C. The exit
code is the checks': 0 when no rule failed in either. Run it from the repository root:
``.venv/bin/python examples/demo.py [--freshness-window S] [--report-json PATH]``.
Secrets (the Recall API key, the verification secret, the callback secrets) are
generated per run and shown only as fingerprints; the fake Zoom's default app
credentials are printed, being the fake's public test values.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
ZOOM_TOKEN_LIFETIME = 130  # under 120 + window + 5 s, so tokens cross Recall's floor
USERS = ("alice@example.com", "bob@example.com")
MEETINGS_PER_USER = 2
SYNC_TIMEOUT = 15.0
STARTUP_TIMEOUT = 30.0
CHECK_TIMEOUT = 300.0  # a bound for a hung run, not a target: a run takes about a minute
# Rules expected to warn in this setup, and why (everything else should pass).
EXPECTED_WARNINGS = {
    "hygiene.https": "the demo serves plain http:// on 127.0.0.1; deploy behind https",
    "contract.min-validity-120s": (
        f"the demo's Zoom tokens live {ZOOM_TOKEN_LIFETIME} s, so a served token has under "
        "150 s left (real Zoom tokens live an hour)"
    ),
}


class DemoError(Exception):
    """A step failed before the check could run; the message says which and why."""


def fingerprint(secret: str) -> str:
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:12]


def masked(url: str) -> str:
    """The callback URL with its secret replaced, for printing."""
    head, _, _ = url.partition("auth_token=")
    return head + "auth_token=***" if "auth_token=" in url else url


def obf_url(access_token_url: str) -> str:
    """The reference's OBF callback URL for the user of an access-token URL (same secret)."""
    return access_token_url.replace("/zoom/access-token?", "/zoom/obf-token?", 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Child:
    """A subprocess this demo started, with its output going to a log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@dataclass
class Demo:
    workdir: Path
    out: TextIO = sys.stdout
    children: list[Child] = field(default_factory=list)
    sim_port: int = field(default_factory=free_port)
    ref_port: int = field(default_factory=free_port)
    api_key: str = field(default_factory=lambda: secrets.token_hex(20))
    whsec: str = field(
        default_factory=lambda: "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    )

    @property
    def sim_url(self) -> str:
        return f"http://{HOST}:{self.sim_port}"

    @property
    def ref_url(self) -> str:
        return f"http://{HOST}:{self.ref_port}"

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- processes ------------------------------------------------------------------

    def spawn(self, name: str, argv: Sequence[str], env: dict[str, str]) -> Child:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                list(argv),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def wait_ready(self, child: Child, url: str) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        with httpx.Client(timeout=2, trust_env=False) as http:
            while time.monotonic() < deadline:
                if child.process.poll() is not None:
                    raise DemoError(
                        f"{child.name} exited with code {child.process.returncode} at start:\n"
                        f"{child.tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(url).status_code == 200:
                        return
                time.sleep(0.1)
        raise DemoError(f"{child.name} did not answer {url} within {STARTUP_TIMEOUT:g} s")

    def stop_all(self) -> None:
        for child in reversed(self.children):
            child.stop()

    def env(self, **extra: str) -> dict[str, str]:
        # Everything runs on loopback, where the simulator needs no control token; one set
        # in the user's shell would otherwise lock the demo's own calls out of /_sim/, and
        # any other RECALL_SIM_* setting of theirs would change what the demo checks.
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.upper().endswith("_PROXY") and not k.upper().startswith("RECALL_SIM_")
        }
        return {**base, "NO_PROXY": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1", **extra}

    # -- steps ----------------------------------------------------------------------

    def start_simulator(self) -> None:
        child = self.spawn(
            "recall-sim-serve",
            [
                sys.executable,
                "-m",
                "recall_sim.simulator.cli",
                "serve",
                "--host",
                HOST,
                "--port",
                str(self.sim_port),
                "--zoom-token-lifetime",
                str(ZOOM_TOKEN_LIFETIME),
            ],
            # The secrets through the environment: they stay out of the process list.
            self.env(RECALL_SIM_API_KEY=self.api_key, RECALL_SIM_VERIFICATION_SECRET=self.whsec),
        )
        self.wait_ready(child, f"{self.sim_url}/_sim/health")
        self.say(
            f"[1/6] fake Recall + fake Zoom    {self.sim_url}   (recall-sim serve; Zoom tokens "
            f"live {ZOOM_TOKEN_LIFETIME} s)\n"
            f"      Recall API key {fingerprint(self.api_key)}, verification secret "
            f"{fingerprint(self.whsec)} (both generated for this run)"
        )

    def zoom_app(self) -> tuple[str, str]:
        apps = httpx.get(f"{self.sim_url}/_sim/zoom/apps", trust_env=False).json()
        return str(apps[0]["client_id"]), str(apps[0]["client_secret"])

    def start_reference(self, client_id: str, client_secret: str) -> None:
        database = self.workdir / "reference.sqlite3"
        child = self.spawn(
            "reference-callback",
            [sys.executable, "-m", "examples.reference_callback", "--log-level", "warning"],
            self.env(
                CALLBACK_HOST=HOST,
                CALLBACK_PORT=str(self.ref_port),
                CALLBACK_PUBLIC_BASE_URL=self.ref_url,
                ZOOM_CLIENT_ID=client_id,
                ZOOM_CLIENT_SECRET=client_secret,
                ZOOM_OAUTH_BASE=f"{self.sim_url}/zoom",
                ZOOM_API_BASE=f"{self.sim_url}/zoom/v2",
                RECALL_API_BASE=self.sim_url,
                RECALL_API_KEY=self.api_key,
                RECALL_VERIFICATION_SECRET=self.whsec,
                CALLBACK_DATABASE_PATH=str(database),
            ),
        )
        self.wait_ready(child, f"{self.ref_url}/healthz")
        self.say(
            f"[2/6] reference callback         {self.ref_url}   "
            "(python -m examples.reference_callback)\n"
            f"      Zoom app {client_id} / {client_secret} (the fake's default), "
            f"tokens in {database}"
        )

    def schedule_meetings(self, email: str) -> None:
        """Create the Zoom user and schedule meetings for them, before they connect, so the
        fake Recall's meeting sync finds them."""
        with httpx.Client(base_url=f"{self.sim_url}/_sim/zoom", trust_env=False) as zoom:
            created = zoom.post("/users", json={"email": email})
            if created.status_code != 201:
                raise DemoError(f"creating Zoom user {email} failed: {created.text[:200]}")
            for n in range(1, MEETINGS_PER_USER + 1):
                meeting = zoom.post(f"/users/{email}/meetings", json={"topic": f"Demo {n}"})
                if meeting.status_code != 201:
                    raise DemoError(f"scheduling a meeting failed: {meeting.text[:200]}")

    def meeting_sync(self, credential_id: str) -> tuple[str, int]:
        """The credential's meeting sync status once over (or after SYNC_TIMEOUT), and how
        many meetings the fake Recall mapped to it."""
        headers = {"Authorization": f"Token {self.api_key}"}
        api = f"{self.sim_url}/api/v2"
        deadline = time.monotonic() + SYNC_TIMEOUT
        with httpx.Client(headers=headers, trust_env=False, timeout=10) as http:
            while True:
                answer = http.get(f"{api}/zoom-oauth-credentials/{credential_id}/")
                status = str(answer.json().get("meeting_sync_status", "unknown"))
                if status in ("completed", "failed") or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            mapped = http.get(
                f"{api}/zoom-meetings-to-credentials/", params={"credential": credential_id}
            )
            results = mapped.json().get("results", []) if mapped.status_code == 200 else []
        return status, len(results)

    def onboard(self, email: str) -> str:
        """The browser's part of the connect flow, driven with httpx; returns the Zoom user id."""
        with httpx.Client(timeout=30, trust_env=False) as browser:
            start = browser.get(f"{self.ref_url}/zoom/connect")
            if start.status_code != 302:
                raise DemoError(f"/zoom/connect answered {start.status_code}: {start.text[:200]}")
            authorize = start.headers["location"]
            if urlsplit(authorize).netloc != urlsplit(self.sim_url).netloc:
                raise DemoError(f"/zoom/connect did not redirect to the fake Zoom: {authorize}")
            # sim_user: the fake Zoom's consent screen, automated, as this test user.
            consent = browser.get(f"{authorize}&sim_user={email}")
            if consent.status_code != 302:
                raise DemoError(f"Zoom's authorize answered {consent.status_code}: {consent.text}")
            back = browser.get(consent.headers["location"])
            if back.status_code != 200:
                raise DemoError(f"connecting {email} failed ({back.status_code}): {back.text}")
        users = httpx.get(f"{self.sim_url}/_sim/zoom/users", trust_env=False).json()
        user_id = next((str(u["id"]) for u in users if u["email"] == email), None)
        if user_id is None:
            raise DemoError(f"the fake Zoom has no user {email} after the connect flow")
        return user_id

    def credential(self, user_id: str) -> dict[str, Any]:
        """The user's credential as the fake Recall holds it, after it validated the callback."""
        answer = httpx.get(
            f"{self.sim_url}/api/v2/zoom-oauth-credentials/",
            params={"user_id": user_id},
            headers={"Authorization": f"Token {self.api_key}"},
            trust_env=False,
        )
        results = answer.json().get("results") if answer.status_code == 200 else None
        if not results:
            raise DemoError(
                f"the fake Recall has no credential for Zoom user {user_id} "
                f"(HTTP {answer.status_code})"
            )
        found: dict[str, Any] = results[0]
        return found

    def check(
        self,
        a: tuple[str, str],
        b: tuple[str, str],
        options: argparse.Namespace,
        *,
        kind: str = "access-token",
        report_json: Path,
    ) -> int:
        (user_a, url_a), (_, url_b) = a, b
        client_id, _ = self.zoom_app()
        if kind == "access-token":
            kind_options = ["--client-id", client_id]
            shown = f"--client-id {client_id}"
        else:  # the access token's claim rules skip for other kinds: no client id to give
            kind_options = ["--kind", kind]
            shown = f"--kind {kind}"
        # The URLs and the signing secret are secrets: they go in the environment, never on
        # the command line, where `ps` would show them (README, "Configuration").
        secrets = {
            "RECALL_SIM_URL": url_a,
            "RECALL_SIM_OTHER_USER_URL": url_b,
            "RECALL_SIM_SIGNING_SECRET": self.whsec,
        }
        argv = [
            sys.executable,
            "-m",
            "recall_sim.simulator.cli",
            "check",
            "--no-config",  # the demo's settings only, whatever recall-sim.toml is around
            *kind_options,
            "--expect-user-id",
            user_a,
            "--zoom-admin",
            f"{self.sim_url}/_sim/zoom",
            "--freshness-window",
            f"{options.freshness_window:g}",
            "--report-json",
            str(report_json),
        ]
        step = "[6/6]" if kind == "access-token" else "[5/6]"
        about = "about a minute" if kind == "access-token" else "about half a minute"
        self.say(
            f"{step} RECALL_SIM_URL={masked(url_a)}\n"
            f"      RECALL_SIM_OTHER_USER_URL={masked(url_b)}\n"
            "      RECALL_SIM_SIGNING_SECRET=whsec_***\n"
            f"      recall-sim check {shown} --expect-user-id {user_a}\n"
            f"        --zoom-admin {self.sim_url}/_sim/zoom "
            f"--freshness-window {options.freshness_window:g}\n"
            f"      every rule of the {kind} kind runs: {about}\n"
        )
        try:
            completed = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
                argv,
                cwd=ROOT,
                env=self.env(**secrets),
                stdin=subprocess.DEVNULL,
                timeout=CHECK_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise DemoError(f"recall-sim check did not finish within {CHECK_TIMEOUT:g} s") from None
        return completed.returncode

    def epilogue(self, report_path: Path) -> None:
        try:
            report = json.loads(report_path.read_text())
        except (OSError, ValueError):
            self.say(f"(no JSON report at {report_path})")
            return
        summary = report.get("summary", {})
        self.say(
            "\nWhat this shows: "
            f"{summary.get('pass', 0)} rules passed, {summary.get('warn', 0)} warned, "
            f"{summary.get('fail', 0)} failed, {summary.get('skip', 0)} skipped."
        )
        for result in report.get("results", []):
            rule, verdict = result.get("rule"), result.get("verdict")
            if verdict == "warn" and rule in EXPECTED_WARNINGS:
                self.say(f"  warn {rule}: expected here, {EXPECTED_WARNINGS[rule]}")
            elif verdict in ("warn", "fail", "skip"):
                self.say(f"  {verdict} {rule}: {result.get('detail', '')}")
        journal = httpx.get(
            f"{self.sim_url}/_sim/zoom/journal", params={"kind": "refresh"}, trust_env=False
        ).json()
        reuses = httpx.get(
            f"{self.sim_url}/_sim/zoom/journal/refresh-token-reuses", trust_env=False
        ).json()
        refreshed = sum(1 for e in journal["events"] if e.get("outcome") == "ok")
        self.say(
            f"  the fake Zoom refreshed tokens {refreshed} times during the run; refresh tokens "
            f"used twice: {reuses['count']}"
        )


def run(options: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="recall-sim-demo-") as tmp:
        demo = Demo(Path(tmp))
        if options.report_json is None:
            options.report_json = Path(tmp) / "report.json"
        demo.say(
            "recall-sim demo: the reference callback, checked the way Recall calls it "
            "(everything on 127.0.0.1)\n"
        )
        try:
            demo.start_simulator()
            client_id, client_secret = demo.zoom_app()
            demo.start_reference(client_id, client_secret)
            users = []
            for email in USERS:
                demo.schedule_meetings(email)
                user_id = demo.onboard(email)
                users.append(user_id)
                demo.say(
                    f"[3/6] onboarded {email:<18} Zoom user {user_id} "
                    "(authorize -> code -> token, GET /v2/users/me)\n"
                    f"      {MEETINGS_PER_USER} meetings scheduled for them in the fake Zoom "
                    f"beforehand (POST /_sim/zoom/users/{email}/meetings)"
                )
            registered = []
            for user_id in users:
                credential = demo.credential(user_id)
                url = str(credential["access_token_callback_url"])
                registered.append((user_id, url))
                demo.say(
                    f"[4/6] Recall validated the callback of {user_id}: credential "
                    f"{credential['id']} is {credential['status']}\n"
                    f"      {masked(url)}"
                )
                status, mapped = demo.meeting_sync(str(credential["id"]))
                demo.say(
                    f"      meeting sync {status}: {mapped} meetings mapped to the credential "
                    f"({MEETINGS_PER_USER} scheduled + the personal meeting id)"
                )
            demo.say("")
            report_obf = options.report_json.with_name(options.report_json.stem + "-obf.json")
            # The same users' OBF callbacks (same secret, the path Recall's bots call) first:
            # the access-token check ends by deauthorizing user A in the fake Zoom.
            obf = [(user, obf_url(url)) for user, url in registered]
            obf_code = demo.check(obf[0], obf[1], options, kind="obf", report_json=report_obf)
            demo.epilogue(report_obf)
            code = demo.check(
                registered[0], registered[1], options, report_json=options.report_json
            )
            demo.epilogue(options.report_json)
            if options.report_json.parent != Path(tmp):
                demo.say(f"  JSON reports: {options.report_json}, {report_obf}")
            for name, exit_code in (("access-token", code), ("obf", obf_code)):
                verdict = {0: "no rule failed", 1: "a rule failed"}.get(exit_code, "error")
                demo.say(f"recall-sim check --kind {name} exited {exit_code} ({verdict})")
            demo.say("stopping everything.")
            return max(code, obf_code)
        except DemoError as exc:
            demo.say(f"\ndemo failed: {exc}")
            for child in demo.children:
                demo.say(f"--- last lines of {child.name}'s log ---\n{child.tail()}")
            return 2
        finally:
            demo.stop_all()


@contextlib.contextmanager
def interrupts_as_exceptions() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C, so ``finally`` stops the children either way."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--freshness-window",
        type=float,
        default=35.0,
        metavar="S",
        help="seconds of repeated calls in freshness.refresh-before-expiry (default: %(default)s)",
    )
    parser.add_argument("--report-json", type=Path, metavar="PATH", help="keep the JSON report")
    options = parser.parse_args(argv)
    with interrupts_as_exceptions():
        try:
            return run(options)
        except KeyboardInterrupt:
            print("\ninterrupted; everything the demo started has been stopped", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())
