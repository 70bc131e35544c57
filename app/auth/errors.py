"""Authentication failures: the detailed reason goes to the logs; the caller gets one message,
plus a stable `public` reason only where it helps a client act (an expired token is refreshed,
a token for an unknown tenant is replaced) without telling an attacker anything."""

UNKNOWN_TENANT = "UNKNOWN_TENANT"
TOKEN_EXPIRED = "TOKEN_EXPIRED"  # noqa: S105 (a reason code, not a secret)
NO_CREDENTIAL = "NO_CREDENTIAL"


class AuthenticationFailed(Exception):
    """The credential is missing, malformed, expired, revoked or not ours."""

    def __init__(self, reason: str, public: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.public = public


class CsrfRefused(AuthenticationFailed):
    """A portal-cookie request without the session's CSRF token (answered 403, not 401)."""
