"""The two error shapes Zoom answers with: OAuth endpoints and the REST API (SPEC §2)."""

from __future__ import annotations

__all__ = ["ApiError", "OAuthError"]


class OAuthError(Exception):
    """An OAuth endpoint refusal, answered as ``{"reason": ..., "error": ...}``."""

    def __init__(self, *, status: int, error: str, reason: str) -> None:
        super().__init__(f"{status} {error}: {reason}")
        self.status = status
        self.error = error
        self.reason = reason

    def body(self) -> dict[str, str]:
        return {"reason": self.reason, "error": self.error}

    @classmethod
    def invalid_request(cls, reason: str, *, status: int = 400) -> OAuthError:
        return cls(status=status, error="invalid_request", reason=reason)

    @classmethod
    def invalid_client(cls, reason: str = "Invalid client_id or client_secret") -> OAuthError:
        # RFC 6749 §5.2: a failed client authentication is a 401.
        return cls(status=401, error="invalid_client", reason=reason)

    @classmethod
    def invalid_grant(cls, reason: str) -> OAuthError:
        return cls(status=400, error="invalid_grant", reason=reason)

    @classmethod
    def unsupported_grant_type(cls, reason: str = "Unsupported grant type") -> OAuthError:
        return cls(status=400, error="unsupported_grant_type", reason=reason)


class ApiError(Exception):
    """A REST API refusal, answered as ``{"code": ..., "message": ...}``."""

    def __init__(self, *, status: int, code: int, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, int | str]:
        return {"code": self.code, "message": self.message}

    @classmethod
    def invalid_token(cls) -> ApiError:
        return cls(status=401, code=124, message="Invalid access token.")

    @classmethod
    def expired_token(cls) -> ApiError:
        return cls(status=401, code=124, message="Access token is expired.")
