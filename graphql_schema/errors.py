"""One error family for the API, with stable `extensions.code` values, and the masking extension.

Expected failures raise a `LedgerError` subclass; its message and code reach the caller. Anything
else is an internal error: the caller sees "Internal server error." with code
INTERNAL_SERVER_ERROR, and the traceback goes to the server log only.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

log = logging.getLogger("ledger.graphql")

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
RATE_LIMITED = "RATE_LIMITED"


class LedgerError(GraphQLError):
    code = INTERNAL_SERVER_ERROR

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        extensions: dict[str, Any] = {"code": self.code}
        if field is not None:
            extensions["field"] = field
        extensions.update(extra)
        super().__init__(message, extensions=extensions)


class Unauthenticated(LedgerError):
    code = UNAUTHENTICATED


class Forbidden(LedgerError):
    code = FORBIDDEN


class NotFound(LedgerError):
    code = NOT_FOUND


class BadUserInput(LedgerError):
    code = BAD_USER_INPUT


class RateLimited(LedgerError):
    """The tenant's ingest rate limit is exhausted; `retryAfter` (seconds) says when to retry."""

    code = RATE_LIMITED


class NotImplementedYet(LedgerError):
    """A contract field whose feature has not landed yet: an explicit answer, never fake data."""

    code = NOT_IMPLEMENTED


def _is_expected(error: GraphQLError) -> bool:
    original = error.original_error
    # No original error: a parse or validation error produced by graphql-core itself.
    if original is None or isinstance(original, GraphQLError):
        return True
    # A scalar's parser refusing a literal or a variable (Decimal "", DateTime "2026-13-01")
    # during validation or variable coercion: the caller's input, not a bug. Such errors carry
    # no `path`; every resolver error does, so a resolver's ValueError is still masked.
    return error.path is None and isinstance(original, ValueError | TypeError)


# SQLSTATEs that only text the caller sent can cause: a NUL character (U+0000), which PostgreSQL
# text cannot hold (22021), or a character the database encoding cannot represent (22P05).
TEXT_REFUSED = frozenset({"22021", "22P05"})


def _refused_text(error: GraphQLError) -> bool:
    """True when PostgreSQL refused a string argument's characters (see TEXT_REFUSED)."""
    cause: BaseException | None = error.original_error
    while cause is not None:
        if getattr(cause, "sqlstate", None) in TEXT_REFUSED:
            return True
        cause = getattr(cause, "orig", None) or cause.__cause__
    return False


def log_errors(errors: list[GraphQLError]) -> None:
    """The server log of a request's errors (strawberry's `Schema.process_errors`): an error the
    caller caused (a parse or validation error, FORBIDDEN, NOT_FOUND, BAD_USER_INPUT…) is one INFO
    line without a traceback; any other error is logged once, at ERROR with its traceback, by
    `ErrorCodes.anonymise_error` as it is masked."""
    for error in errors:
        if _is_expected(error) or _refused_text(error):
            code = (error.extensions or {}).get("code") or BAD_USER_INPUT
            where = ".".join(str(p) for p in error.path or ()) or "request"
            log.info("%s at %s: %s", code, where, error.message)


class ErrorCodes(MaskErrors):
    """Masks unexpected errors and guarantees every error carries `extensions.code`."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not _is_expected(e))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if _refused_text(error):
            return GraphQLError(
                message="A text argument holds a character that cannot be stored, such as NUL "
                "(U+0000); remove it.",
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": BAD_USER_INPUT},
            )
        log.error(
            "internal error in %s",
            ".".join(str(p) for p in error.path or ()),
            exc_info=error.original_error,
        )
        return GraphQLError(
            message="Internal server error.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": INTERNAL_SERVER_ERROR},
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            if "code" not in (error.extensions or {}):
                error.extensions = {**(error.extensions or {}), "code": BAD_USER_INPUT}
        return processed
