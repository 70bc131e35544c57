"""Opaque keyset cursors for runs: base64 of the last row's (started_at, correlation_id)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from app.services.costs.run_reads import PagePosition
from graphql_schema.errors import BadUserInput


def encode_cursor(position: PagePosition) -> str:
    raw = json.dumps([position.started_at.isoformat(), position.correlation_id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, *, field: str = "after") -> PagePosition:
    """The position a cursor names; BAD_USER_INPUT naming `field` for anything else."""
    try:
        started_at, correlation_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        position = PagePosition(datetime.fromisoformat(started_at), str(correlation_id))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadUserInput("after is not a cursor this API returned.", field=field) from None
    if position.started_at.tzinfo is None:
        raise BadUserInput("after is not a cursor this API returned.", field=field)
    return position
