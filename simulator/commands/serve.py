"""``recall-sim serve``: run the fake Zoom (and later the fake Recall) on 127.0.0.1.

A thin argparse layer over the typed `serve(settings)`, uvicorn-style.
"""

from __future__ import annotations

import argparse
import socket
import sys
from dataclasses import dataclass
from typing import TextIO

import uvicorn

from simulator.app import CONTROL_PREFIX, ZOOM_PREFIX, Simulator, build_app
from simulator.zoom import SIM_USER_PARAM, ZoomSettings
from simulator.zoom.settings import DEFAULT_ACCESS_TOKEN_LIFETIME, MAX_LIFETIME

__all__ = ["ServeSettings", "add_arguments", "banner", "run", "serve"]

DEFAULT_PORT = 8700


@dataclass(frozen=True)
class ServeSettings:
    """Everything ``serve`` needs; each command-line option maps to one field."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    zoom_token_lifetime: int = DEFAULT_ACCESS_TOKEN_LIFETIME
    log_level: str = "warning"

    def zoom_settings(self) -> ZoomSettings:
        return ZoomSettings(access_token_lifetime=self.zoom_token_lifetime)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, got {value}")
    return value


def _lifetime(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"lifetime must be a whole number of seconds, got {text!r}"
        ) from None
    if not 1 <= value <= MAX_LIFETIME:
        raise argparse.ArgumentTypeError(
            f"lifetime must be between 1 and {MAX_LIFETIME} seconds, got {value}"
        )
    return value


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


def settings_from_args(args: argparse.Namespace) -> ServeSettings:
    return ServeSettings(
        host=args.host,
        port=args.port,
        zoom_token_lifetime=args.zoom_token_lifetime,
        log_level=args.log_level,
    )


def run(args: argparse.Namespace) -> int:
    return serve(settings_from_args(args))


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


def banner(sim: Simulator, url: str) -> str:
    """What ``serve`` prints at start: where everything is and how to onboard a user."""
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
        f"Test controls   {url}{CONTROL_PREFIX}/zoom   (API docs: {url}{CONTROL_PREFIX}/docs)\n"
        f"  reset         POST {url}{CONTROL_PREFIX}/reset",
    ]
    return "\n\n".join(sections) + "\n"


def serve(settings: ServeSettings, *, out: TextIO | None = None) -> int:
    """Serve until interrupted; 2 if the address cannot be bound."""
    out = out if out is not None else sys.stdout
    sim = Simulator.create(zoom_settings=settings.zoom_settings())
    try:
        sock = _listen(settings.host, settings.port)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(
            f"recall-sim serve: cannot listen on {settings.host}:{settings.port}: {reason}",
            file=sys.stderr,
        )
        return 2
    url = _base_url(sock)
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {settings.host}; the fakes have no real security", file=out)
    print(banner(sim, url), file=out, flush=True)
    config = uvicorn.Config(
        build_app(sim), log_level=settings.log_level, access_log=False, lifespan="on"
    )
    with sock:
        uvicorn.Server(config).run(sockets=[sock])
    return 0
