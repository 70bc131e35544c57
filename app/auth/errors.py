"""Authentication failures: one message for the caller, the reason only in the logs."""


class AuthenticationFailed(Exception):
    """The credential is missing, malformed, expired, revoked or not ours."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CsrfRefused(AuthenticationFailed):
    """A portal-cookie request without the session's CSRF token (answered 403, not 401)."""
