"""The batch functions many DataLoaders share: one service call per batch, answered per key.

Every loader of `graphql_schema/*/loaders.py` is built per request from the request's `Context`;
the ones below call one service for all the keys of a batch (in a tenant session of their own,
through `Context.call`) and hand each key its part of the answer. Loaders that group their keys
first (cohorts, slices, ROI) have their own batch functions beside them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import TYPE_CHECKING, TypeVar

from strawberry.dataloader import DataLoader

if TYPE_CHECKING:
    from graphql_schema.context import Context

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# (*, session, tenant_id, <argument>=keys) -> the answer of each key
KeyedQuery = Callable[..., Awaitable[Mapping[K, V]]]


def keyed_loader(context: Context, query: KeyedQuery[K, V], *, argument: str) -> DataLoader[K, V]:
    """One `query` per batch, the batch's keys passed as `argument`; each key loads the value the
    query answers for it. The query answers every key it is given (a KeyError otherwise)."""

    async def load(keys: list[K]) -> list[V]:
        found = await context.call(query, **{argument: keys})
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def lookup_loader(
    context: Context, query: KeyedQuery[K, V], *, argument: str
) -> DataLoader[K, V | None]:
    """As `keyed_loader`, for a query that leaves out the keys it does not know (an unknown
    workflow key): those load as None."""

    async def load(keys: list[K]) -> list[V | None]:
        found = await context.call(query, **{argument: keys})
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def once_per_request(read: Callable[[], Awaitable[V]]) -> DataLoader[None, V]:
    """A tenant-wide value (keyed by None), read once per request however many fields ask."""

    async def load(keys: list[None]) -> list[V]:
        value = await read()
        return [value for _ in keys]

    return DataLoader(load_fn=load)
