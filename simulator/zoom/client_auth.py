"""Who is calling the token endpoint: HTTP Basic client credentials, checked against the apps."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from recall_sim.simulator.zoom.directory import Directory, ZoomApp
from recall_sim.simulator.zoom.errors import OAuthError

__all__ = ["authenticate_client", "parse_basic_credentials"]


def parse_basic_credentials(authorization: str) -> tuple[str, str]:
    """``(client_id, client_secret)`` from an ``Authorization: Basic ...`` value."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise OAuthError.invalid_client("Invalid client_id or client_secret")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise OAuthError.invalid_client("Invalid client_id or client_secret") from None
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise OAuthError.invalid_client("Invalid client_id or client_secret")
    return client_id, client_secret


def authenticate_client(
    directory: Directory, *, authorization: str | None, params: Mapping[str, str]
) -> ZoomApp:
    """The calling app, from the Basic header or else from ``client_id``/``client_secret`` params.

    Zoom documents Basic auth and also accepts the pair as request parameters.
    Unknown client and wrong secret get the same answer, so neither leaks which.
    """
    if authorization is not None:
        if "client_secret" in params:
            raise OAuthError.invalid_request("Use one client authentication method, not two.")
        client_id, client_secret = parse_basic_credentials(authorization)
    elif "client_id" in params and "client_secret" in params:
        client_id, client_secret = params["client_id"], params["client_secret"]
    else:
        raise OAuthError.invalid_client("Client ID or client secret is missing.")
    app = directory.app(client_id)
    if app is None or not hmac.compare_digest(
        app.client_secret.encode("utf-8", "surrogatepass"),
        client_secret.encode("utf-8", "surrogatepass"),
    ):
        raise OAuthError.invalid_client("Invalid client_id or client_secret")
    return app
