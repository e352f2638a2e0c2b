"""``recall-sim connect``: onboard a test user into a customer's app without a browser.

It does what a browser does in the connect flow: start at the app's own connect page
(``--start``) or at the fake Zoom's ``/oauth/authorize`` (``--client-id`` and
``--redirect-uri``), consent as ``--user`` (the fake Zoom's ``sim_user`` hint; an unknown
name is created), and follow the redirects back into the app with cookies kept, at most
``--max-redirects`` of them. It prints where it landed (secrets masked) and the status.

Exit codes (SPEC §4's meaning): 0 landed on a 2xx; 1 the flow failed (the fake Zoom
refused the authorize step, the app answered an error, too many redirects); 2 a bad
option or something not reachable (the app or the simulator is down).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from dataclasses import dataclass
from typing import TextIO
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from recall_sim.simulator.app import CONTROL_PREFIX, ZOOM_PREFIX
from recall_sim.simulator.commands.arguments import bounded
from recall_sim.simulator.control_guard import control_headers
from recall_sim.simulator.redaction import mask_url, redact_text
from recall_sim.simulator.zoom import SIM_USER_PARAM

__all__ = ["ConnectSettings", "add_arguments", "connect", "run"]

EXIT_CONNECTED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_SIM = "http://127.0.0.1:8700"
DEFAULT_MAX_REDIRECTS = 10
_TIMEOUT_S = 10.0
_AUTHORIZE_PATH = "/oauth/authorize"
# The connect flow's one-time values: masked in every URL printed, with the usual names.
_FLOW_SECRETS = ("code", "state", "code_challenge", "code_verifier")


class ConnectError(Exception):
    """The flow stopped; ``code`` is the exit code, the message says where and why."""

    def __init__(self, message: str, *, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ConnectSettings:
    user: str
    sim: str = DEFAULT_SIM
    start: str | None = None  # the app's connect page; else the authorize URL is built
    client_id: str | None = None
    redirect_uri: str | None = None
    state: str | None = None
    max_redirects: int = DEFAULT_MAX_REDIRECTS

    def first_url(self) -> str:
        if self.start is not None:
            return self.start
        query = {
            "response_type": "code",
            "client_id": self.client_id or "",
            "redirect_uri": self.redirect_uri or "",
            "state": self.state or secrets.token_urlsafe(16),
        }
        return f"{self.sim.rstrip('/')}{ZOOM_PREFIX}{_AUTHORIZE_PATH}?{urlencode(query)}"


_redirects = bounded(
    int,
    0,
    50,
    malformed="--max-redirects must be a whole number, got {text!r}",
    out_of_range="--max-redirects must be between 0 and 50, got {value}",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user",
        required=True,
        metavar="NAME",
        help="the Zoom test user who consents: an id or an email (created on first use; "
        "a name without '@' becomes the user id)",
    )
    parser.add_argument(
        "--start",
        metavar="URL",
        help="your app's connect page, which redirects to Zoom's authorize URL (use this when "
        "your app checks state or PKCE)",
    )
    parser.add_argument("--client-id", metavar="ID", help="the Zoom app's client id")
    parser.add_argument(
        "--redirect-uri", metavar="URL", help="your app's OAuth redirect URI, as registered"
    )
    parser.add_argument("--state", help="the state to send (default: a random one)")
    parser.add_argument(
        "--sim",
        default=DEFAULT_SIM,
        metavar="URL",
        help="recall-sim serve's base URL (default: %(default)s)",
    )
    parser.add_argument(
        "--max-redirects",
        type=_redirects,
        default=DEFAULT_MAX_REDIRECTS,
        metavar="N",
        help="redirects to follow at most (default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    if args.start is None and not (args.client_id and args.redirect_uri):
        print(
            "recall-sim connect: error: give --start URL (your app's connect page), "
            "or both --client-id and --redirect-uri",
            file=sys.stderr,
        )
        return EXIT_USAGE
    settings = ConnectSettings(
        user=args.user,
        sim=args.sim,
        start=args.start,
        client_id=args.client_id,
        redirect_uri=args.redirect_uri,
        state=args.state,
        max_redirects=args.max_redirects,
    )
    return connect(settings)


def connect(
    settings: ConnectSettings,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Run the flow; print where it landed; the exit code."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    with httpx.Client(
        timeout=_TIMEOUT_S, trust_env=False, follow_redirects=False, transport=transport
    ) as browser:
        try:
            landed, hops = _follow(browser, settings)
        except ConnectError as exc:
            print(f"recall-sim connect: {exc}", file=err)
            return exc.code
        shown = _mask(str(landed.url))
        status = landed.status_code
        if not landed.is_success:
            excerpt = redact_text(" ".join(landed.text.split())[:300])
            print(
                f"recall-sim connect: {settings.user}: the flow ended at {shown} with HTTP "
                f"{status} after {hops} redirect{'s' if hops != 1 else ''}: {excerpt}",
                file=err,
            )
            return EXIT_FAILED
        print(
            f"connected {settings.user}: landed on {shown} (HTTP {status}, "
            f"{hops} redirect{'s' if hops != 1 else ''})",
            file=out,
        )
        user_id = _zoom_user_id(browser, settings)
        if user_id is not None:
            print(f"  zoom user id: {user_id}", file=out)
    return EXIT_CONNECTED


def _follow(browser: httpx.Client, settings: ConnectSettings) -> tuple[httpx.Response, int]:
    """Follow the flow from its first URL; (the last answer, redirects followed)."""
    url = settings.first_url()
    for hops in range(settings.max_redirects + 1):
        authorize = urlsplit(url).path.endswith(_AUTHORIZE_PATH)
        if authorize:
            url = _with_user(url, settings.user)
        try:
            answer = browser.get(url)
        except httpx.HTTPError as exc:
            raise ConnectError(
                f"cannot reach {_mask(url)}: {type(exc).__name__}: {exc}", code=EXIT_USAGE
            ) from None
        if authorize and not answer.is_redirect:
            raise ConnectError(_authorize_refusal(answer, url))
        location = answer.headers.get("location")
        if not answer.is_redirect or location is None:
            return answer, hops
        url = urljoin(url, location)
    raise ConnectError(
        f"more than {settings.max_redirects} redirects, the last to {_mask(url)} "
        "(a redirect loop? raise --max-redirects if the flow really is that long)"
    )


def _authorize_refusal(answer: httpx.Response, url: str) -> str:
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "reason" in body:
        why = f"{body.get('error', 'error')}: {body['reason']}"
    else:
        why = redact_text(" ".join(answer.text.split())[:200])
    return (
        f"the fake Zoom refused the authorize step at {_mask(url)} "
        f"(HTTP {answer.status_code} {why})"
    )


def _with_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if k != SIM_USER_PARAM] + [(SIM_USER_PARAM, user)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _mask(url: str) -> str:
    return mask_url(url, secret_params=_FLOW_SECRETS)


def _zoom_user_id(browser: httpx.Client, settings: ConnectSettings) -> str | None:
    """The consenting user's Zoom id, from the simulator's controls (None if unreadable)."""
    try:
        answer = browser.get(
            f"{settings.sim.rstrip('/')}{CONTROL_PREFIX}/zoom/users", headers=control_headers()
        )
        users = answer.json() if answer.status_code == 200 else []
    except (httpx.HTTPError, ValueError):
        return None
    wanted = settings.user.lower()
    for user in users if isinstance(users, list) else []:
        if isinstance(user, dict) and wanted in (
            str(user.get("id")).lower(),
            str(user.get("email")).lower(),
        ):
            return str(user["id"])
    return None
