"""Exceptions meaning "the database cannot take the work now" (HTTP 503 + Retry-After).

Shared by `/v1/events` and `/v1/traces`: during a PostgreSQL restart, a failover, pool exhaustion
or a deadlock, the batch was not committed and the client should retry it later (ingest is
idempotent by record id, so a retry of a batch that did commit is absorbed as duplicates).
"""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc as sa_exc

RETRY_AFTER_DATABASE = "5"  # seconds

DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa_exc.TimeoutError,  # pool checkout timed out
    sa_exc.OperationalError,
    OSError,
    asyncpg.InsufficientResourcesError,  # too many connections
    asyncpg.OperatorInterventionError,  # cannot connect now, shutdown, query cancelled
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,  # the server closed the connection mid-operation
    asyncpg.TransactionRollbackError,  # deadlock, serialization failure
)


def is_database_unavailable(exc: BaseException) -> bool:
    """True when `exc`, or an exception it was raised from or during, is in DATABASE_UNAVAILABLE
    or is a disconnect SQLAlchemy detected (`connection_invalidated`). A PostgreSQL restart
    surfaces as such chains: "the database system is shutting down" wrapped in a DBAPIError, or
    a closed connection found by the rollback after a failed statement."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DATABASE_UNAVAILABLE):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False
