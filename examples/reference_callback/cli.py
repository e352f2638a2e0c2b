"""Command line: ``python -m examples.reference_callback [--port N] [...]``.

Settings come from environment variables (see README.md); the flags here override
the non-secret ones. Secrets are read from the environment only.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Sequence

import uvicorn

from .app import create_app
from .settings import Settings, SettingsError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m examples.reference_callback",
        description="Reference access-token callback for Recall.ai customer-managed Zoom OAuth. "
        "Secrets come from the environment: ZOOM_CLIENT_SECRET, RECALL_API_KEY, "
        "RECALL_VERIFICATION_SECRET.",
    )
    add = parser.add_argument
    add("--host", help="interface to listen on (CALLBACK_HOST, default 127.0.0.1)")
    add("--port", type=int, help="port to listen on, 0 for any (CALLBACK_PORT, default 8000)")
    add(
        "--public-base-url",
        help="where Zoom and Recall reach this service (CALLBACK_PUBLIC_BASE_URL)",
    )
    add("--zoom-client-id", help="the Zoom OAuth app's client id (ZOOM_CLIENT_ID)")
    add("--zoom-oauth-base", help="Zoom's OAuth base (ZOOM_OAUTH_BASE, default https://zoom.us)")
    add("--zoom-api-base", help="Zoom's API base (ZOOM_API_BASE, default https://api.zoom.us/v2)")
    add("--recall-api-base", help="Recall's region base URL (RECALL_API_BASE)")
    add("--recall-oauth-app-id", help="Recall's Zoom OAuth app id (RECALL_ZOOM_OAUTH_APP_ID)")
    add(
        "--database-path",
        help="SQLite file (CALLBACK_DATABASE_PATH, default reference_callback.sqlite3)",
    )
    add(
        "--refresh-margin",
        type=float,
        help="seconds before expiry to refresh (ZOOM_REFRESH_MARGIN)",
    )
    add("--zoom-timeout", type=float, help="bound on each call to Zoom, s (ZOOM_TIMEOUT)")
    add(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="log level (default: %(default)s)",
    )
    return parser


def _summary(settings: Settings, url: str) -> str:
    """What is configured, without any secret."""
    verification = "on" if settings.verification_secret else "off (set RECALL_VERIFICATION_SECRET)"
    recall = (
        f"registers callbacks at {settings.recall_api_base}"
        if settings.registers_with_recall
        else "off (set RECALL_API_KEY)"
    )
    return "\n".join(
        [
            f"reference callback listening on {url}",
            f"  public base       {settings.public_base_url}",
            f"  connect a user    {settings.public_base_url.rstrip('/')}/zoom/connect",
            f"  Zoom OAuth base   {settings.zoom_oauth_base}",
            f"  Zoom client id    {settings.zoom_client_id}",
            f"  Zoom API base     {settings.zoom_api_base}",
            f"  Recall            {recall}",
            f"  signatures        {verification}",
            f"  database          {settings.database_path}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {
        name: getattr(args, name)
        for name in (
            "host",
            "port",
            "public_base_url",
            "zoom_client_id",
            "zoom_oauth_base",
            "zoom_api_base",
            "recall_api_base",
            "recall_oauth_app_id",
            "database_path",
            "refresh_margin",
            "zoom_timeout",
        )
    }
    try:
        settings = Settings.from_env(**overrides)
    except SettingsError as exc:
        print(f"reference callback: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request's URL at INFO; ours carry no secret, but a URL is not the
    # place to find out. The service logs its own outcomes.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        sock = socket.create_server((settings.host, settings.port), backlog=2048)
    except OSError as exc:
        print(
            f"reference callback: cannot listen on {settings.host}:{settings.port}: {exc}",
            file=sys.stderr,
        )
        return 2
    host, port = sock.getsockname()[:2]
    print(_summary(settings, f"http://{host}:{port}"), flush=True)
    config = uvicorn.Config(
        create_app(settings),
        log_level=args.log_level,
        access_log=False,  # it would log the query string, i.e. the callback secret
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    with sock:
        uvicorn.Server(config).run(sockets=[sock])
    return 0
