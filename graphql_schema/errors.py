"""One error family for the API, with stable `extensions.code` values, and the masking extension.

Expected failures raise a `LedgerError` subclass; its message and code reach the caller. Anything
else is an internal error: the caller sees "Internal server error." with code
INTERNAL_SERVER_ERROR, and the traceback goes to the server log only. PostgreSQL being away is
neither: DATABASE_UNAVAILABLE with `retryAfter` (seconds).

Errors graphql-core produces itself get the codes Apollo clients know: GRAPHQL_PARSE_FAILED (the
document does not parse, or passes the token limit), GRAPHQL_VALIDATION_FAILED (it does not
validate, including the depth, alias and cost limits) and BAD_USER_INPUT (a value the caller
chose is refused: variables that do not coerce, a literal a custom scalar cannot parse).

Logging: the caller's errors at INFO, one line, no traceback (`log_client_errors`, called by
the HTTP layer); an unavailable database at WARNING and unexpected errors at ERROR with their
traceback (`LedgerSchema.process_errors`, before masking).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors

from app.ingest.unavailable import RETRY_AFTER_DATABASE, is_database_unavailable
from app.services.ingest.errors import FieldError

if TYPE_CHECKING:
    from strawberry.types import ExecutionContext

log = logging.getLogger("ledger.graphql")

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
RATE_LIMITED = "RATE_LIMITED"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
BAD_REQUEST = "BAD_REQUEST"


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


@contextmanager
def field_errors(*, not_found: str | None = None) -> Iterator[None]:
    """A service's FieldError as BAD_USER_INPUT naming its field; with `not_found`, one on that
    field is NOT_FOUND instead (e.g. a workflow deleted between the check and the write)."""
    try:
        yield
    except FieldError as exc:
        error = NotFound if not_found is not None and exc.field == not_found else BadUserInput
        raise error(str(exc), field=exc.field) from None


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


def _path(error: GraphQLError) -> str:
    return ".".join(str(p) for p in error.path or ()) or "-"


def log_errors(errors: list[GraphQLError]) -> None:
    """The server's record of a request's faults, before masking: an unavailable database at
    WARNING, anything unexpected at ERROR with its traceback. The caller's own errors are logged
    at INFO by the HTTP layer once they carry their final code (log_client_errors)."""
    for error in errors:
        original = error.original_error
        if _is_expected(error) or _refused_text(error):
            continue
        if original is not None and is_database_unavailable(original):
            log.warning("database unavailable at %s: %r", _path(error), original)
        else:
            log.error("internal error in %s", _path(error), exc_info=original or error)


def log_client_errors(errors: list[GraphQLError]) -> None:
    """One INFO line per error of the caller's making (coded, not internal), no traceback."""
    for error in errors:
        code = (error.extensions or {}).get("code")
        if code not in (INTERNAL_SERVER_ERROR, DATABASE_UNAVAILABLE):
            log.info("graphql client error %s at %s: %s", code, _path(error), error.message)


class LedgerSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


class ErrorCodes(MaskErrors):
    """Masks unexpected errors and guarantees every error carries `extensions.code`."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not _is_expected(e))
        self.executing = False

    def on_execute(self) -> Iterator[None]:
        # Reached only once the document parsed and validated: errors without a code from here
        # on are the variables' (coercion) or a scalar's, not the document's.
        self.executing = True
        yield

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if error.original_error is not None and is_database_unavailable(error.original_error):
            return GraphQLError(
                message=f"The database is unavailable; retry in {RETRY_AFTER_DATABASE} seconds.",
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={
                    "code": DATABASE_UNAVAILABLE,
                    "retryAfter": int(RETRY_AFTER_DATABASE),
                },
            )
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
                if isinstance(error, GraphQLSyntaxError):
                    code = GRAPHQL_PARSE_FAILED
                elif not self.executing and error.original_error is None:
                    code = GRAPHQL_VALIDATION_FAILED
                else:
                    code = BAD_USER_INPUT
                error.extensions = {**(error.extensions or {}), "code": code}
        return processed
