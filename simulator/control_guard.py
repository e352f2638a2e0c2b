"""The guard in front of the simulator's own control plane (``/_sim/``, SPEC §9).

The controls change state (reset a ``--state`` database, inject faults, move the
clock), so they must not be reachable by a web page the developer happens to visit:

- a cross-site ``Origin`` (or ``Sec-Fetch-Site: cross-site``) is refused, which stops
  forms and scripts of other sites;
- on loopback, only loopback ``Host`` names are accepted, which stops DNS rebinding
  (a page on ``evil.example`` whose name now resolves to 127.0.0.1);
- state-changing requests take JSON bodies only, so no HTML form can carry one;
- beyond loopback (a CI service container), every request needs the control token
  in ``X-Recall-Sim-Control``, since any ``Host`` is then legitimate.

The fake Recall API (``/api/v2``, its own API key) and the fake Zoom (``/zoom``) are
what the user's code calls, so they are left alone.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from hmac import compare_digest
from typing import Final
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "CONTROL_TOKEN_ENV",
    "CONTROL_TOKEN_HEADER",
    "ControlAccess",
    "ControlGuard",
    "control_headers",
    "is_loopback_host",
]

CONTROL_PREFIX: Final = "/_sim"
# Names of where the token goes, not the token.
CONTROL_TOKEN_ENV: Final = "RECALL_SIM_CONTROL_TOKEN"  # noqa: S105
CONTROL_TOKEN_HEADER: Final = "X-Recall-Sim-Control"  # noqa: S105
_OPEN_WITHOUT_TOKEN: Final = frozenset({("GET", "/_sim/health"), ("HEAD", "/_sim/health")})
_READS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
# Headers the guard decides on: two of one would let a proxy and the guard read different ones.
_SINGLE: Final = frozenset({"host", "origin", "content-type", CONTROL_TOKEN_HEADER.lower()})


def is_loopback_host(host: str) -> bool:
    """``localhost``, ``*.localhost``, 127.0.0.0/8 or ``::1`` (brackets and port allowed)."""
    name = urlsplit(f"//{host}").hostname if host else None
    if not name:
        return False
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def control_headers(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The header a client of ``/_sim/`` sends: the control token when one is set."""
    token = (os.environ if environ is None else environ).get(CONTROL_TOKEN_ENV)
    return {CONTROL_TOKEN_HEADER: token} if token else {}


@dataclass(frozen=True)
class ControlAccess:
    """Who may use ``/_sim/``: loopback ``Host`` names only, and/or the token holders."""

    token: str | None = None
    loopback_only: bool = True
    token_from_env: bool = False

    @classmethod
    def for_listener(cls, host: str, *, environ: Mapping[str, str] | None = None) -> ControlAccess:
        """Loopback: Host-checked, token only if set. Beyond: a token always (made if unset)."""
        token = (os.environ if environ is None else environ).get(CONTROL_TOKEN_ENV) or None
        loopback = is_loopback_host(host)
        if token is None and not loopback:
            return cls(token=secrets.token_urlsafe(24), loopback_only=False)
        return cls(token=token, loopback_only=loopback, token_from_env=token is not None)

    def refusal(self, method: str, path: str, headers: Mapping[str, str]) -> tuple[int, str] | None:
        """``(status, detail)`` when the request must not reach a control, else None."""
        if headers.get("sec-fetch-site") == "cross-site":
            return 403, "cross-site request refused: the controls are for scripts and tests"
        host = headers.get("host", "")
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
            shown = origin[:100]
            return 403, f"cross-site Origin {shown} refused: the controls are for scripts and tests"
        if self.loopback_only and not is_loopback_host(host):
            return 403, (
                f"Host {host[:100] or '(none)'} refused: on loopback the controls answer only "
                "localhost, 127.0.0.1 or [::1] (a guard against DNS rebinding)"
            )
        if self.token is not None and (method, path) not in _OPEN_WITHOUT_TOKEN:
            given = headers.get(CONTROL_TOKEN_HEADER.lower())
            if given is None:
                return 401, (
                    f"send the control token in {CONTROL_TOKEN_HEADER} (printed in the "
                    f"recall-sim serve banner; set it with {CONTROL_TOKEN_ENV})"
                )
            if not compare_digest(given.encode(), self.token.encode()):
                return 403, f"wrong control token in {CONTROL_TOKEN_HEADER}"
        if method not in _READS:
            return _non_json_body(headers)
        return None


def _non_json_body(headers: Mapping[str, str]) -> tuple[int, str] | None:
    """No body at all, or a JSON one: every HTML form sends another media type."""
    content_type = headers.get("content-type")
    if content_type is None:
        has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
        media = "a body without Content-Type" if has_body else None
    else:
        media = content_type.split(";", 1)[0].strip().lower()
        if media == "application/json" or (
            media.startswith("application/") and media.endswith("+json")
        ):
            media = None
    if media is None:
        return None
    return (
        415,
        f"control requests take JSON bodies (Content-Type: application/json), got {media[:100]}",
    )


class ControlGuard:
    """ASGI middleware: requests under ``/_sim`` pass `ControlAccess.refusal` or get JSON."""

    def __init__(self, app: ASGIApp, *, access: ControlAccess) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (
            path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")
        ):
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        repeated = False
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            repeated = repeated or (name in headers and name in _SINGLE)
            headers[name] = raw_value.decode("latin-1")
        refused = (
            (400, "repeated Host, Origin or control-token header")
            if repeated
            else self.access.refusal(scope["method"], path, headers)
        )
        if refused is None:
            await self.app(scope, receive, send)
            return
        status, detail = refused
        body = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
