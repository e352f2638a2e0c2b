"""A client for the fake Zoom's test controls (``recall-sim serve``'s ``/_sim/zoom``), which the
freshness rules use to inject token-endpoint faults and read the token-endpoint journal, and
a run reads for its timeline (the fake Zoom's side of what happened)."""

from __future__ import annotations

from typing import Any

import httpx

from recall_sim.simulator.control_guard import control_headers
from recall_sim.simulator.timeline import MAX_POINTS, ZoomEventPoint

__all__ = ["ZoomAdmin", "ZoomAdminError"]


class ZoomAdminError(Exception):
    """The control API was unreachable or refused a request; the message says which and why."""


class ZoomAdmin:
    """``base`` is the control base URL, e.g. ``http://127.0.0.1:8700/_sim/zoom``."""

    def __init__(self, base: str, *, timeout: float = 10.0) -> None:
        self.base = base.rstrip("/")
        # The control token (RECALL_SIM_CONTROL_TOKEN) when the simulator listens beyond loopback.
        self._http = httpx.Client(timeout=timeout, trust_env=False, headers=control_headers())

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, self.base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise ZoomAdminError(f"fake Zoom admin at {self.base} unreachable: {exc}") from None
        if response.status_code >= 400:
            raise ZoomAdminError(
                f"fake Zoom admin {method} {path} answered {response.status_code}: "
                f"{response.text[:200]}"
            )
        try:
            return response.json()
        except ValueError:
            raise ZoomAdminError(f"fake Zoom admin {method} {path} did not answer JSON") from None

    def check(self) -> None:
        """Fail fast (before any rule) when the control API is not there."""
        try:
            self._request("GET", "/settings")
        except ZoomAdminError as exc:
            raise ZoomAdminError(
                f"{exc} — --zoom-admin must be the fake Zoom's control base, "
                "e.g. http://127.0.0.1:8700/_sim/zoom"
            ) from None

    def journal_seq(self) -> int:
        return int(self._request("GET", "/journal", params={"kind": "fault"})["last_seq"])

    def events_since(self, seq: int, kind: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"since": seq}
        if kind is not None:
            params["kind"] = kind
        events: list[dict[str, Any]] = self._request("GET", "/journal", params=params)["events"]
        return events

    def points_since(self, seq: int, *, limit: int = MAX_POINTS) -> list[ZoomEventPoint]:
        """Every event after ``seq`` as timeline points, oldest first; the newest ``limit``
        when there are more (a long `serve` journal must not swell a report)."""
        return [ZoomEventPoint.from_json(e) for e in self.events_since(seq)[-limit:]]

    def refresh_token_reuses_since(self, seq: int) -> list[dict[str, Any]]:
        reuses: list[dict[str, Any]] = self._request(
            "GET", "/journal/refresh-token-reuses", params={"since": seq}
        )["events"]
        return reuses

    def inspect_token(self, token: str) -> dict[str, Any]:
        """``{"live", "client_id", "user_id", "reason", "issued_here"}``: whether the fake
        Zoom's API would accept ``token`` (it is sent in the body, never in a URL)."""
        status: dict[str, Any] = self._request("POST", "/tokens/inspect", json={"token": token})
        return status

    def deauthorize_user(self, user_id: str, *, client_id: str | None = None) -> int:
        """Revoke the user's grants (on one app, or all), as when they remove the app."""
        body = {"client_id": client_id} if client_id is not None else {}
        return int(
            self._request("POST", f"/users/{user_id}/deauthorize", json=body)["revoked_grants"]
        )

    def inspect_minted(self, token: str) -> dict[str, Any]:
        """What the fake Zoom minted an OBF token, ZAK or join token as: ``{"minted": false}``
        or its record (``kind``, ``user_id``, ``client_id``, ``meeting_id``, ``uses``, and
        ``age_s``/``remaining_s`` on the fake Zoom's clock); the token goes in the body."""
        record: dict[str, Any] = self._request(
            "POST", "/tokens/minted/inspect", json={"token": token}
        )
        return record

    def restore_user(self, user_id: str, *, client_id: str | None = None) -> int:
        """Undo `deauthorize_user`: the grants it revoked work again (the user reconnects)."""
        body = {"client_id": client_id} if client_id is not None else {}
        return int(self._request("POST", f"/users/{user_id}/restore", json=body)["restored_grants"])

    def inject_fault(
        self, kind: str, *, count: int, seconds: float = 1.0, endpoint: str = "token"
    ) -> None:
        """Queue a fault on one of the fake Zoom's endpoints (token, obf, zak, join_token)."""
        self._request(
            "POST",
            "/faults",
            json={"kind": kind, "count": count, "seconds": seconds, "endpoint": endpoint},
        )

    def clear_faults(self) -> None:
        self._request("DELETE", "/faults")

    def close(self) -> None:
        self._http.close()
