"""Opaque global ids for GraphQL's `Node` interface: base64url of "Type:key".

The key is what identifies the row within the tenant: a UUID, a correlation id, an event id, or,
for rows with a composite key, a JSON array of its parts. A global id never holds a tenant id:
every lookup of a decoded id runs in the caller's tenant, so another tenant's id finds nothing.
Pure functions, no I/O: shared by the GraphQL layer and the ingest validation (a client id may be
given in either form, the raw UUID or the Client's global id).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid


class MalformedId(ValueError):
    """Not an id this API returned."""


def encode(type_name: str, *parts: str | int) -> str:
    """The global id of the `type_name` row keyed by `parts` (one part: used as is)."""
    key = str(parts[0]) if len(parts) == 1 else json.dumps(list(parts), separators=(",", ":"))
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def decode(global_id: str) -> tuple[str, str]:
    """(type name, key) of a global id; MalformedId for anything this API did not return."""
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        raise MalformedId(global_id) from None
    type_name, sep, key = text.partition(":")
    if not sep or not type_name.isidentifier() or not key:
        raise MalformedId(global_id)
    return type_name, key


def parts(key: str, count: int) -> list[str]:
    """The parts of a composite key (a JSON array of `count` strings or integers)."""
    try:
        values = json.loads(key)
    except ValueError:
        raise MalformedId(key) from None
    if not isinstance(values, list) or len(values) != count:
        raise MalformedId(key)
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
        raise MalformedId(key)
    return [str(v) for v in values]


def client_uuid(value: str) -> uuid.UUID:
    """A client id given as the raw UUID or as the Client's global id; ValueError otherwise."""
    text = value.strip()
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    type_name, key = decode(text)
    if type_name != "Client":
        raise MalformedId(value)
    return uuid.UUID(key)
