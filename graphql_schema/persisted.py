"""Automatic persisted queries (Apollo's protocol), with the documents kept in Redis.

A client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": H}`:

- with the query text: the server checks that H is the SHA-256 of that text (a mismatch is the
  caller's error, BAD_USER_INPUT, field `extensions.persistedQuery.sha256Hash`), runs it, and keeps
  it under H once it has parsed and validated;
- without the query text: the server runs the document kept under H, or answers
  PERSISTED_QUERY_NOT_FOUND, on which Apollo's persisted-queries link resends with the text.

The store is global, not per tenant: a document is not secret, and its key is its own content
hash, verified before anything is stored, so one caller cannot make another run a different
document (no cache poisoning). Only authenticated callers reach it, and only documents that
parse and validate are kept.

Bounded: a document longer than `apq_max_document_bytes` is run but not kept; at most
`apq_max_documents` are kept, the least recently used leaving first (a sorted set scored by last
use); each expires `apq_ttl_seconds` after its last use. Worst case Redis holds
`apq_max_documents × apq_max_document_bytes` (2,000 × 32 KiB = 64 MiB by default). Redis being
away degrades to "not found" (the client resends the text) and nothing kept: the query still runs.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from app.settings import Settings

log = logging.getLogger("ledger.graphql.apq")

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
DOCUMENT_KEY = "ledger:apq:doc:"
RECENCY_KEY = "ledger:apq:recency"
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class PersistedQueryError(Exception):
    """The persistedQuery extension is malformed or its hash does not match the query."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PersistedQuery:
    sha256: str
    # True when the request carried the text, which should be kept once it validates.
    register: bool


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()


def read_extension(extensions: dict[str, Any] | None, query: str | None) -> PersistedQuery | None:
    """The request's persisted query, None when it uses none; raises PersistedQueryError."""
    if not extensions or "persistedQuery" not in extensions:
        return None
    field = "extensions.persistedQuery"
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict):
        raise PersistedQueryError(f"{field} must be an object {{version, sha256Hash}}.", field)
    if persisted.get("version") != 1:
        raise PersistedQueryError(
            f"{field}.version must be 1, the only version this server supports.", f"{field}.version"
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not SHA256_HEX.match(digest):
        raise PersistedQueryError(
            f"{field}.sha256Hash must be the query's SHA-256 as 64 lowercase hex digits.",
            f"{field}.sha256Hash",
        )
    if query is not None and sha256_hex(query) != digest:
        raise PersistedQueryError(
            f"{field}.sha256Hash does not match the SHA-256 of the query text sent with it; "
            "hash the exact text you send (UTF-8).",
            f"{field}.sha256Hash",
        )
    return PersistedQuery(sha256=digest, register=query is not None)


class PersistedQueries:
    """The Redis-backed document store (see the module docstring for the bounds)."""

    def __init__(self, redis: Any, settings: Settings) -> None:
        self.redis = redis
        self.max_documents = settings.apq_max_documents
        self.max_bytes = settings.apq_max_document_bytes
        self.ttl = settings.apq_ttl_seconds

    async def load(self, sha256: str) -> str | None:
        """The document kept under `sha256`, refreshing its recency; None when unknown."""
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.getex(DOCUMENT_KEY + sha256, ex=self.ttl)
                pipe.zadd(RECENCY_KEY, {sha256: time.time()}, xx=True)
                document, _ = await pipe.execute()
        except Exception as exc:  # Redis away: the client resends the text
            log.warning("persisted query lookup failed: %s", exc)
            return None
        if document is None:
            return None
        return document.decode() if isinstance(document, bytes) else str(document)

    async def keep(self, sha256: str, query: str) -> None:
        """Keep a validated document, evicting the least recently used past the cap."""
        size = len(query.encode("utf-8", "surrogatepass"))
        if size > self.max_bytes:
            log.info("persisted query %s not kept: %d bytes > %d", sha256, size, self.max_bytes)
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.set(DOCUMENT_KEY + sha256, query, ex=self.ttl)
                pipe.zadd(RECENCY_KEY, {sha256: time.time()})
                pipe.zcard(RECENCY_KEY)
                *_, count = await pipe.execute()
            if count > self.max_documents:
                evicted = await self.redis.zpopmin(RECENCY_KEY, count - self.max_documents)
                if evicted:
                    await self.redis.delete(*(DOCUMENT_KEY + _text(m) for m, _ in evicted))
        except Exception as exc:
            log.warning("persisted query %s not kept: %s", sha256, exc)


def _text(member: bytes | str) -> str:
    return member.decode() if isinstance(member, bytes) else member
