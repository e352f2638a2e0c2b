"""``recall-sim serve``: run the fake Recall and the fake Zoom on 127.0.0.1.

A thin argparse layer over the typed `serve(settings)`, uvicorn-style. With
``--zoom-port`` a second listener serves the fake Zoom at Zoom's own paths
(``/oauth/...``, ``/v2/...``); both servers run in one event loop.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

import uvicorn
from fastapi import FastAPI

from recall_sim.simulator.app import (
    API_PREFIX,
    CONTROL_PREFIX,
    ZOOM_PREFIX,
    Simulator,
    build_app,
    build_zoom_paths_app,
)
from recall_sim.simulator.commands.arguments import add_secret_arguments, bounded, secret_policy
from recall_sim.simulator.commands.ready_file import (
    ReadyFileError,
    ServeAddresses,
    check_ready_file,
    ready_document,
    write_atomic,
)
from recall_sim.simulator.control_guard import (
    CONTROL_TOKEN_ENV,
    CONTROL_TOKEN_HEADER,
    ControlAccess,
)
from recall_sim.simulator.recall import DuplicatePolicy, RecallSettings
from recall_sim.simulator.recall.api import BOT_API_PREFIX
from recall_sim.simulator.recall.settings import DEFAULT_POLL_INTERVAL
from recall_sim.simulator.redaction import NO_NAMED_SECRETS, SecretPolicy, redact_token
from recall_sim.simulator.serving import serve_together
from recall_sim.simulator.signing import check_signing_secret
from recall_sim.simulator.zoom import SIM_USER_PARAM, ZoomSettings
from recall_sim.simulator.zoom.settings import DEFAULT_ACCESS_TOKEN_LIFETIME, MAX_LIFETIME

__all__ = ["ServeSettings", "add_arguments", "banner", "run", "serve"]

DEFAULT_PORT = 8700
# Read when --api-key is not given, so the key need not appear in the process list.
API_KEY_ENV = "RECALL_SIM_API_KEY"
# The same for --verification-secret: a whsec_ secret has no place in the process list.
VERIFICATION_SECRET_ENV = "RECALL_SIM_VERIFICATION_SECRET"  # noqa: S105 (a variable name)


@dataclass(frozen=True)
class ServeSettings:
    """Everything ``serve`` needs; each command-line option maps to one field."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    # None: no second listener. Off by default: a fixed default port would make
    # ``serve`` fail where it works today whenever that port is taken.
    zoom_port: int | None = None
    zoom_token_lifetime: int = DEFAULT_ACCESS_TOKEN_LIFETIME
    log_level: str = "warning"
    api_key: str | None = None  # None: a random key, printed at start
    api_key_from_env: bool = False  # from RECALL_SIM_API_KEY: the banner shows a fingerprint
    verification_secret: str | None = None
    poll_interval: float = DEFAULT_POLL_INTERVAL
    poll_jitter: float = 0.0
    poll_concurrency: int = 100
    unhealthy_after: int = 3
    duplicate_credentials: DuplicatePolicy = DuplicatePolicy.UPDATE
    rate_limits: bool = False
    state_path: str | None = None
    journal_path: str | None = None
    url_secrets: SecretPolicy = NO_NAMED_SECRETS  # --secret-param / --secret-path-segment
    # JSON with the base URLs, written once listening and removed at shutdown (CI services).
    ready_file: Path | None = None

    def zoom_settings(self) -> ZoomSettings:
        return ZoomSettings(access_token_lifetime=self.zoom_token_lifetime)

    def recall_settings(self) -> RecallSettings:
        settings = RecallSettings(
            verification_secret=self.verification_secret,
            poll_interval=self.poll_interval,
            poll_jitter=self.poll_jitter,
            poll_concurrency=self.poll_concurrency,
            unhealthy_after=self.unhealthy_after,
            duplicate_credentials=self.duplicate_credentials,
            rate_limits=self.rate_limits,
            journal_path=self.journal_path,
            url_secrets=self.url_secrets,
        )
        return settings if self.api_key is None else settings.updated({"api_key": self.api_key})


_port = bounded(
    int,
    0,
    65535,
    malformed="port must be a number, got {text!r}",
    out_of_range="port must be between 0 and 65535, got {value}",
)
_lifetime = bounded(
    int,
    1,
    MAX_LIFETIME,
    malformed="lifetime must be a whole number of seconds, got {text!r}",
    out_of_range=f"lifetime must be between 1 and {MAX_LIFETIME} seconds, got {{value}}",
)
_seconds = bounded(
    float,
    0.0,
    86_400.0,
    malformed="expected seconds, got {text!r}",
    out_of_range="seconds must be between 0 and 86400, got {text}",
)
_count = bounded(
    int,
    1,
    100_000,
    malformed="expected a whole number, got {text!r}",
    out_of_range="must be between 1 and 100000, got {value}",
)


def _api_key(text: str) -> str:
    if not text.strip() or any(ch.isspace() for ch in text):
        raise argparse.ArgumentTypeError("the API key must be non-empty, without whitespace")
    return text


def _verification_secret(text: str) -> str:
    try:
        return check_signing_secret(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--verification-secret: {exc}") from None


def _add_recall_arguments(parser: argparse.ArgumentParser) -> None:
    recall = parser.add_argument_group("fake Recall")
    recall.add_argument(
        "--api-key",
        type=_api_key,
        default=os.environ.get(API_KEY_ENV) or None,
        help=f"the workspace's API key (default: ${API_KEY_ENV}, else a random key, printed)",
    )
    recall.add_argument(
        "--verification-secret",
        type=_verification_secret,
        metavar="whsec_...",
        help="sign every callback call with Standard Webhooks headers using this secret "
        f"(default: ${VERIFICATION_SECRET_ENV}; set it there in CI, argv is public)",
    )
    recall.add_argument(
        "--poll-interval",
        type=_seconds,
        default=DEFAULT_POLL_INTERVAL,
        metavar="S",
        help="seconds between polls of every healthy credential; 0 turns the schedule off "
        "(POST /_sim/recall/poll still polls) (default: %(default)s)",
    )
    recall.add_argument(
        "--poll-jitter",
        type=_seconds,
        default=0.0,
        metavar="S",
        help="spread each round's calls over a random 0..S s delay (default: %(default)s)",
    )
    recall.add_argument(
        "--poll-concurrency",
        type=_count,
        default=100,
        metavar="N",
        help="callback calls in flight at most (default: %(default)s)",
    )
    recall.add_argument(
        "--unhealthy-after",
        type=_count,
        default=3,
        metavar="N",
        help="consecutive failed calls that make a credential unhealthy (default: %(default)s)",
    )
    recall.add_argument(
        "--duplicate-credentials",
        choices=[p.value for p in DuplicatePolicy],
        default=DuplicatePolicy.UPDATE.value,
        help="a second credential for the same Zoom user: update the first (Recall's "
        "documented behaviour) or reject with the legacy 400 (default: %(default)s)",
    )
    recall.add_argument(
        "--rate-limits",
        action="store_true",
        help="enforce Recall's 300/min (60/min for lists) with 429 and Retry-After",
    )
    recall.add_argument(
        "--state",
        metavar="PATH",
        help="keep apps, credentials and logs in this SQLite file across restarts "
        "(default: in memory)",
    )
    recall.add_argument(
        "--journal-file",
        metavar="PATH",
        help="append each callback call to this file as it is made (JSON Lines, "
        "flushed per call, never truncated)",
    )
    add_secret_arguments(recall)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=ServeSettings.host,
        help="interface to listen on (default: %(default)s; the fakes are for local tests)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help="port to listen on, 0 for any free port (default: %(default)s)",
    )
    parser.add_argument(
        "--zoom-port",
        type=_port,
        default=None,
        metavar="PORT",
        help="also serve the fake Zoom at Zoom's own paths (/oauth/authorize, /oauth/token, "
        "/oauth/revoke, /v2/...) on this port, 0 for any free port: one base URL for both "
        "zoom.us and api.zoom.us (default: off; the /zoom mount is always served)",
    )
    parser.add_argument(
        "--zoom-token-lifetime",
        type=_lifetime,
        default=DEFAULT_ACCESS_TOKEN_LIFETIME,
        metavar="SECONDS",
        help="lifetime of the fake Zoom's access tokens, exp - iat (default: %(default)s; "
        "expires_in is one less, as Zoom's is)",
    )
    parser.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        default=ServeSettings.log_level,
        help="uvicorn's log level (default: %(default)s)",
    )
    parser.add_argument(
        "--ready-file",
        type=Path,
        metavar="PATH",
        help="once listening, write JSON here (base URLs, the API key's fingerprint, where the "
        "control token is; never a secret), atomically; removed at shutdown. For CI jobs that "
        "start serve in the background",
    )
    _add_recall_arguments(parser)


def settings_from_args(args: argparse.Namespace) -> ServeSettings:
    return ServeSettings(
        host=args.host,
        port=args.port,
        zoom_port=args.zoom_port,
        zoom_token_lifetime=args.zoom_token_lifetime,
        log_level=args.log_level,
        api_key=args.api_key,
        api_key_from_env=args.api_key is not None and args.api_key == os.environ.get(API_KEY_ENV),
        verification_secret=args.verification_secret or _verification_secret_from_env(),
        poll_interval=args.poll_interval,
        poll_jitter=args.poll_jitter,
        poll_concurrency=args.poll_concurrency,
        unhealthy_after=args.unhealthy_after,
        duplicate_credentials=DuplicatePolicy(args.duplicate_credentials),
        rate_limits=args.rate_limits,
        state_path=args.state,
        journal_path=args.journal_file,
        url_secrets=secret_policy(args),
        ready_file=args.ready_file,
    )


class ServeUsageError(ValueError):
    """A setting ``serve`` cannot use, found after parsing (from the environment)."""


def _verification_secret_from_env() -> str | None:
    text = os.environ.get(VERIFICATION_SECRET_ENV) or None
    if text is None:
        return None
    try:
        return check_signing_secret(text)
    except ValueError as exc:
        # Named by the variable, never echoed: it is meant to hold a secret.
        raise ServeUsageError(f"${VERIFICATION_SECRET_ENV}: {exc}") from None


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
    except ServeUsageError as exc:
        print(f"recall-sim serve: {exc}", file=sys.stderr)
        return 2
    return serve(settings)


def _listen(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        # Listening before the banner is printed: a client that reads the banner and
        # connects at once is queued until uvicorn accepts, never refused.
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def banner(
    sim: Simulator,
    url: str,
    *,
    control: ControlAccess | None = None,
    api_key_from_env: bool = False,
    zoom_url: str | None = None,
) -> str:
    """What ``serve`` prints at start: where everything is and how to onboard a user.

    ``zoom_url``: the base of the ``--zoom-port`` listener (Zoom's own paths), if any.
    """
    zoom = sim.zoom
    app, user = zoom.default_app, zoom.default_user
    lifetime = zoom.settings.access_token_lifetime
    oauth_base = url + ZOOM_PREFIX
    authorize = (
        f"{oauth_base}/oauth/authorize?response_type=code&client_id={app.client_id}"
        "&redirect_uri=YOUR_REDIRECT_URI&state=STATE"
    )
    sections = [
        f"recall-sim is serving on {url}  (Ctrl-C to stop)",
        "Fake Zoom (point your callback's Zoom base URLs here)\n"
        f"  OAuth base      {oauth_base}      (instead of https://zoom.us)\n"
        f"  API base        {oauth_base}/v2   (instead of https://api.zoom.us/v2)\n"
        f"{_zoom_paths_line(zoom_url)}"
        f"  token lifetime  {lifetime} s (expires_in {zoom.settings.expires_in})",
        "Default Zoom app\n"
        f"  client id       {app.client_id}\n"
        f"  client secret   {app.client_secret}",
        "Default Zoom user\n"
        f"  user id         {user.id}\n"
        f"  account id      {user.account_id}\n"
        f"  email           {user.email}",
        "Onboard a user: open this URL (consent is automatic; it redirects to your\n"
        "redirect_uri with ?code=...&state=..., which you exchange at /oauth/token):\n"
        f"  {authorize}\n"
        f"  add &{SIM_USER_PARAM}=NAME_OR_EMAIL to consent as another user "
        "(created on first use)",
        _recall_banner(sim, url, api_key_from_env=api_key_from_env),
        f"Test controls   {url}{CONTROL_PREFIX}/zoom   (API docs: {url}{CONTROL_PREFIX}/docs)\n"
        f"  access        {_control_access_line(control or ControlAccess())}\n"
        f"  reset         POST {url}{CONTROL_PREFIX}/reset",
    ]
    return "\n\n".join(sections) + "\n"


def _zoom_paths_line(zoom_url: str | None) -> str:
    if zoom_url is None:
        return ""
    return f"  Zoom's own paths  {zoom_url}  (set ZOOM_HOST / your OAuth base and API base here)\n"


def _control_access_line(control: ControlAccess) -> str:
    if control.token is None:
        return "loopback Host names and same-origin JSON requests only"
    if control.token_from_env:  # the user chose it: a fingerprint is enough to recognise it
        shown = redact_token(control.token)
        return f"header {CONTROL_TOKEN_HEADER}: {shown}   (from {CONTROL_TOKEN_ENV})"
    return (
        f"header {CONTROL_TOKEN_HEADER}: {control.token}   (set {CONTROL_TOKEN_ENV} to choose it)"
    )


def _recall_banner(sim: Simulator, url: str, *, api_key_from_env: bool) -> str:
    recall = sim.recall.settings
    # A key the user set in the environment is shown as a fingerprint, enough to recognise
    # it (and CI logs keep what is printed); a random one whole, the only way to learn it.
    key, origin = (
        (redact_token(recall.api_key), f"from {API_KEY_ENV}; ")
        if api_key_from_env
        else (recall.api_key, "")
    )
    secret = recall.verification_secret
    signing = "unsigned" if secret is None else f"signed with {redact_token(secret)}"
    interval = recall.poll_interval
    schedule = f"polled every {interval:g} s" if interval > 0 else "not polled on a schedule"
    state = sim.recall.store.path if sim.recall.store.persistent else "in memory"
    controls = f"{url}{CONTROL_PREFIX}/recall"
    return (
        "Fake Recall (point your Recall client's base URL here)\n"
        f"  API base        {url}{API_PREFIX}/   (instead of https://us-east-1.recall.ai/api/v2/)\n"
        f"  bots            {url}{BOT_API_PREFIX}/bot/   (Create Bot: calls its OBF, ZAK and "
        "join-token URLs)\n"
        f"  API key         {key}   ({origin}header: Authorization: Token <key>)\n"
        f"  callbacks       {recall.callback_deadline:g} s budget, {schedule}, "
        f"unhealthy after {recall.unhealthy_after} failures, {signing}\n"
        f"  state           {state}\n"
        f"  journal         GET {controls}/journal   poll now: POST {controls}/poll"
    )


def _uvicorn_config(
    app: FastAPI, settings: ServeSettings, *, lifespan: Literal["on", "off"]
) -> uvicorn.Config:
    return uvicorn.Config(app, log_level=settings.log_level, access_log=False, lifespan=lifespan)


def serve(settings: ServeSettings, *, out: TextIO | None = None) -> int:
    """Serve until interrupted; 2 if the address cannot be bound."""
    out = out if out is not None else sys.stdout
    if settings.ready_file is not None:
        try:
            check_ready_file(settings.ready_file)
        except ReadyFileError as exc:
            print(f"recall-sim serve: {exc}", file=sys.stderr)
            return 2
    try:
        sim = Simulator.create(
            zoom_settings=settings.zoom_settings(),
            recall_settings=settings.recall_settings(),
            state_path=settings.state_path,
        )
    except (sqlite3.Error, OSError, RuntimeError, ValueError) as exc:
        # The store's and the journal's own errors name their file; SQLite's do not.
        named = settings.state_path and isinstance(exc, sqlite3.Error)
        where = f" (--state {settings.state_path})" if named else ""
        print(f"recall-sim serve: cannot start the fake Recall{where}: {exc}", file=sys.stderr)
        return 2
    ports = [settings.port] if settings.zoom_port is None else [settings.port, settings.zoom_port]
    sockets: list[socket.socket] = []
    for port in ports:
        try:
            sockets.append(_listen(settings.host, port))
        except OSError as exc:
            which = " (--zoom-port)" if sockets else ""
            for bound in sockets:
                bound.close()
            reason = exc.strerror or str(exc)
            print(
                f"recall-sim serve: cannot listen on {settings.host}:{port}{which}: {reason}",
                file=sys.stderr,
            )
            sim.recall.close()
            return 2
    url = _base_url(sockets[0])
    zoom_url = _base_url(sockets[1]) if len(sockets) > 1 else None
    control = ControlAccess.for_listener(settings.host)
    if not control.loopback_only:
        print(
            f"warning: listening on {settings.host}; the fakes have no real security "
            f"(the controls under {CONTROL_PREFIX}/ require the control token)",
            file=out,
        )
    shown = banner(
        sim, url, control=control, api_key_from_env=settings.api_key_from_env, zoom_url=zoom_url
    )
    print(shown, file=out, flush=True)
    # Only the main app's lifespan runs the fake Recall's poller; the Zoom app has none.
    main_app = build_app(sim, control=control)
    listeners = [(_uvicorn_config(main_app, settings, lifespan="on"), sockets[0])]
    if zoom_url is not None:
        zoom_app = build_zoom_paths_app(sim)
        listeners.append((_uvicorn_config(zoom_app, settings, lifespan="off"), sockets[1]))
    try:
        if settings.ready_file is not None:
            document = ready_document(
                ServeAddresses(url, zoom_url),
                api_key=sim.recall.settings.api_key,
                control_token_required=control.token is not None,
                control_token_source=_control_token_source(control),
                control_header=CONTROL_TOKEN_HEADER,
                pid=os.getpid(),
            )
            write_atomic(settings.ready_file, document)
        serve_together(listeners)
    finally:
        if settings.ready_file is not None:
            settings.ready_file.unlink(missing_ok=True)
        for sock in sockets:
            sock.close()
        sim.recall.close()
    return 0


def _control_token_source(control: ControlAccess) -> str | None:
    """Where a control client finds the token: its variable's name, or the banner."""
    if control.token is None:
        return None
    return CONTROL_TOKEN_ENV if control.token_from_env else "printed in banner"
