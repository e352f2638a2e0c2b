"""The fake's REST API (``/v2/...``): each call authenticates its access token, then answers."""

from __future__ import annotations

from typing import Any

from recall_sim.simulator.clock import Clock
from recall_sim.simulator.zoom import resources
from recall_sim.simulator.zoom.directory import Directory, ZoomUser
from recall_sim.simulator.zoom.errors import ApiError
from recall_sim.simulator.zoom.issuer import TokenIssuer

__all__ = ["ZoomApi"]


class ZoomApi:
    """Zoom's REST resources for the user an access token speaks for; raises `ApiError`."""

    def __init__(
        self, *, issuer: TokenIssuer, directory: Directory, clock: Clock, signing_key: str
    ) -> None:
        self._issuer = issuer
        self._directory = directory
        self._clock = clock
        self._signing_key = signing_key

    def _user(self, access_token: str) -> ZoomUser:
        context = self._issuer.authenticate(access_token)
        user = self._directory.user(context.user_id)
        if user is None:  # removed by a reset while the token was in flight
            raise ApiError.invalid_token()
        return user

    def me(self, access_token: str) -> dict[str, Any]:
        """``GET /v2/users/me``."""
        return resources.user_profile(self._user(access_token), now=self._clock.now())

    def my_meetings(self, access_token: str) -> dict[str, Any]:
        """``GET /v2/users/me/meetings``."""
        user = self._user(access_token)
        return resources.meeting_list(self._directory.meetings(user.id))

    def my_token(self, access_token: str, token_type: str) -> dict[str, str]:
        """``GET /v2/users/me/token?type=...`` (and ``/v2/users/me/zak`` with ``zak``)."""
        user = self._user(access_token)
        return resources.user_token(
            token_type, user=user, now=self._clock.now(), signing_key=self._signing_key
        )

    def local_recording_token(self, access_token: str, meeting_id: str) -> dict[str, Any]:
        """``GET /v2/meetings/{id}/jointoken/local_recording``."""
        user = self._user(access_token)
        return resources.local_recording_token(
            meeting_id, user=user, now=self._clock.now(), signing_key=self._signing_key
        )
