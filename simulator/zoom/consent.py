"""The consent screen, automated: ``/oauth/authorize`` picks a test user and issues a code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from recall_sim.simulator.zoom.directory import Directory, ZoomUser
from recall_sim.simulator.zoom.errors import OAuthError
from recall_sim.simulator.zoom.issuer import TokenIssuer
from recall_sim.simulator.zoom.settings import ZoomSettings

__all__ = ["ConsentScreen"]


class _RegisterUser(Protocol):
    def __call__(self, *, user_id: str | None = None, email: str | None = None) -> ZoomUser: ...


class ConsentScreen:
    """Consents at once on behalf of a chosen user, so no browser is needed."""

    def __init__(
        self,
        *,
        directory: Directory,
        issuer: TokenIssuer,
        settings: Callable[[], ZoomSettings],
        default_user: ZoomUser,
        register_user: _RegisterUser,
    ) -> None:
        self._directory = directory
        self._issuer = issuer
        self._settings = settings
        self._default_user = default_user
        self._register_user = register_user

    def consenting_user(self, hint: str | None = None) -> ZoomUser:
        """``hint`` (an id or email), else the ``consenting_user`` setting, else the default user.

        An unknown hint creates that user when ``auto_create_users`` is on (an email
        becomes the user's email, with an id derived from it; anything else becomes the
        id, with email ``<id>@example.com``), and is refused otherwise.
        """
        settings = self._settings()
        wanted = hint or settings.consenting_user
        if not wanted:
            return self._default_user
        found = self._directory.find_user(wanted)
        if found is not None:
            return found
        if not settings.auto_create_users:
            raise OAuthError.invalid_request(f"Unknown test user {wanted[:64]!r}.")
        try:
            if "@" in wanted:
                return self._register_user(email=wanted)
            return self._register_user(user_id=wanted)
        except ValueError as exc:
            raise OAuthError.invalid_request(f"Cannot create test user: {exc}") from None

    def authorize(
        self,
        *,
        client_id: str | None,
        redirect_uri: str | None,
        response_type: str | None,
        state: str | None,
        user: str | None,
        code_challenge: str | None,
        code_challenge_method: str | None,
    ) -> str:
        """The redirect URL carrying a fresh code (and ``state``); raises `OAuthError`."""
        if response_type != "code":
            raise OAuthError(
                status=400,
                error="unsupported_response_type",
                reason="response_type must be 'code'.",
            )
        app = self._directory.app(client_id) if client_id else None
        if app is None:
            # A page for the user, not a client authentication, so 400 rather than 401.
            raise OAuthError(status=400, error="invalid_client", reason="Invalid client_id.")
        if not redirect_uri or not app.allows_redirect(redirect_uri):
            raise OAuthError.invalid_request("Redirect URI mismatch.")
        if not redirect_uri.startswith(("http://", "https://")):
            raise OAuthError.invalid_request("redirect_uri must be an http(s) URL.")
        if code_challenge_method not in (None, "", "S256", "plain"):
            raise OAuthError.invalid_request("code_challenge_method must be S256 or plain.")
        consenting = self.consenting_user(user)
        code = self._issuer.create_code(
            app=app,
            user=consenting,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge or None,
            code_challenge_method=(code_challenge_method or "plain") if code_challenge else None,
        )
        extra = [("code", code)] + ([("state", state)] if state is not None else [])
        return _with_query(redirect_uri, extra)


def _with_query(url: str, extra: list[tuple[str, str]]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + extra
    return urlunsplit(parts._replace(query=urlencode(query)))
