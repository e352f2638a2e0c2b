"""The fake Zoom's tunable behaviour: lifetimes and the choices public docs leave open."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_ACCESS_TOKEN_LIFETIME",
    "DEFAULT_CODE_LIFETIME",
    "DEFAULT_REFRESH_TOKEN_LIFETIME",
    "MAX_LIFETIME",
    "ZoomSettings",
]

DEFAULT_ACCESS_TOKEN_LIFETIME = 3600
DEFAULT_REFRESH_TOKEN_LIFETIME = 90 * 24 * 3600
DEFAULT_CODE_LIFETIME = 300

# Long enough for any test, short enough that a typo (ms for s) is caught.
MAX_LIFETIME = 10 * 365 * 24 * 3600


@dataclass(frozen=True)
class ZoomSettings:
    """Settings of a `FakeZoom`; replace them with `FakeZoom.configure`.

    ``access_token_lifetime`` is ``exp - iat`` of issued access tokens; the token
    response's ``expires_in`` is one less, as Zoom's is (3599 for 3600).
    ``revoke_access_token_on_refresh``: whether a refresh kills the grant's earlier
    access tokens (Zoom does not say; default no, they live until ``exp``).
    ``revoke_grant_on_refresh_token_reuse``: whether presenting a spent refresh token
    revokes the whole grant, as RFC 6819 suggests (Zoom does not say; default no).
    ``consenting_user``: id or email of the user who consents on ``/oauth/authorize``
    when the request names none (``None``: the default user).
    ``auto_create_users``: an unknown ``sim_user`` on ``/oauth/authorize`` creates
    that user instead of failing.
    ``api_url``: the ``api_url`` of token responses (``None``: this fake's own base URL,
    so clients that follow ``api_url`` stay on the fake).
    """

    access_token_lifetime: int = DEFAULT_ACCESS_TOKEN_LIFETIME
    refresh_token_lifetime: int = DEFAULT_REFRESH_TOKEN_LIFETIME
    code_lifetime: int = DEFAULT_CODE_LIFETIME
    revoke_access_token_on_refresh: bool = False
    revoke_grant_on_refresh_token_reuse: bool = False
    consenting_user: str | None = None
    auto_create_users: bool = True
    api_url: str | None = None

    def __post_init__(self) -> None:
        for name in ("access_token_lifetime", "refresh_token_lifetime", "code_lifetime"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number of seconds, got {value!r}")
            if not 1 <= value <= MAX_LIFETIME:
                raise ValueError(f"{name} must be between 1 and {MAX_LIFETIME} s, got {value}")
        for name in (
            "revoke_access_token_on_refresh",
            "revoke_grant_on_refresh_token_reuse",
            "auto_create_users",
        ):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.consenting_user is not None and not self.consenting_user.strip():
            raise ValueError("consenting_user must be a user id or email, or null")

    @property
    def expires_in(self) -> int:
        """The token response's ``expires_in``: Zoom answers one second less than the lifetime."""
        return max(self.access_token_lifetime - 1, 0)
