"""Relay connections: PageInfo, opaque keyset cursors, and the `first/after/last/before` rules.

A cursor is base64url of a JSON array of the row's ordering key, rendered as strings or integers;
each connection parses it back with its own `parse` (a malformed one is BAD_USER_INPUT naming the
argument). `first` with `after` reads forward, `last` with `before` backward; asking for both
directions at once is refused. Sizes are 0..max_page_size.

`Edge[N]` and `Connection[E]` hold what every page shares (`cursor`, `pageInfo`); a subclass names
the GraphQL type and describes its `node` or `edges`. `connection_of` builds any of them from a
service's `Page`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from app.services.keyset import Page, PageRequest
from graphql_schema.context import Info
from graphql_schema.errors import BadUserInput


@strawberry.type(description="Where a page of a connection sits in the whole list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow the last edge.")
    end_cursor: str | None = strawberry.field(
        description="The last edge's cursor; pass it as `after` for the next page."
    )
    has_previous_page: bool = strawberry.field(
        default=False, description="More items precede the first edge."
    )
    start_cursor: str | None = strawberry.field(
        default=None,
        description="The first edge's cursor; pass it as `before` (with `last`) for the page "
        "before.",
    )


FirstArg = Annotated[
    int | None,
    strawberry.argument(description="Forward page: at most this many items (0..the page size)."),
]
AfterArg = Annotated[
    str | None,
    strawberry.argument(description="Forward page: the items after this cursor (endCursor)."),
]
LastArg = Annotated[
    int | None,
    strawberry.argument(description="Backward page: at most this many items before `before`."),
]
BeforeArg = Annotated[
    str | None,
    strawberry.argument(description="Backward page: the items before this cursor (startCursor)."),
]


@dataclass(frozen=True)
class PageArgs:
    """The four Relay paging arguments as given."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None

    def asdict(self) -> dict[str, Any]:
        return {"first": self.first, "after": self.after, "last": self.last, "before": self.before}


N = TypeVar("N")
E = TypeVar("E", bound="Edge[Any]")
C = TypeVar("C", bound="Connection[Any]")


@strawberry.type
class Edge(Generic[N]):
    """One node of a page with its cursor; a subclass names the type and describes `node`."""

    node: N
    cursor: str = strawberry.field(description="Pass as `after` or `before` to page from here.")


@strawberry.type
class Connection(Generic[E]):
    """A page of edges (Relay); a subclass names the type and describes `edges`."""

    edges: list[E]
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")


def connection_of(
    connection: type[C],
    edge: type[Edge[N]],
    page: Page,
    *,
    node: Callable[[Any], N],
    key: Callable[[Any], list[Any]],
    **extra: Any,
) -> C:
    """`connection` of `page`'s rows: each row's `node` with the cursor of its ordering `key`;
    `extra` fills the connection's own fields (e.g. totalCount)."""
    edges = [edge(node=node(row), cursor=encode_cursor(key(row))) for row in page.rows]
    return connection(edges=edges, page_info=page_info(page, edges), **extra)


def page_info(page: Page, edges: Sequence[Edge[Any]]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        end_cursor=edges[-1].cursor if edges else None,
        has_previous_page=page.has_previous_page,
        start_cursor=edges[0].cursor if edges else None,
    )


def aware(value: Any) -> datetime:
    """A cursor's timestamp; ValueError unless it is an ISO 8601 string with an offset."""
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(value)
    return parsed


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v if isinstance(v, int) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(
    cursor: str, parse: Callable[[list[Any]], tuple[Any, ...]], *, field: str
) -> tuple[Any, ...]:
    """The ordering key a cursor names; BAD_USER_INPUT naming `field` for anything else."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list):
            raise TypeError(values)
        return parse(values)
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise BadUserInput(f"{field} is not a cursor of this list.", field=field) from None


def page_request(
    info: Info,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    default: int,
    parse: Callable[[list[Any]], tuple[Any, ...]],
    first_default: int | None = None,
) -> PageRequest:
    """The page the arguments ask for; BAD_USER_INPUT naming the argument when they conflict.

    `first_default`: the schema default of `first` (runs has `first: Int = 50`), which does not
    count as asking for a forward page."""
    limit = info.context.settings.max_page_size
    if last is not None or before is not None:
        if after is not None or (first is not None and first != first_default):
            raise BadUserInput(
                "Page forward (first/after) or backward (last/before), not both.",
                field="last" if last is not None else "before",
            )
        size = default if last is None else last
        name, cursor = "last", before
    else:
        size = default if first is None else first
        name, cursor = "first", after
    if not 0 <= size <= limit:
        raise BadUserInput(f"{name} must be between 0 and {limit} (got {size}).", field=name)
    position = None
    if cursor is not None:
        position = decode_cursor(cursor, parse, field="after" if name == "first" else "before")
    return PageRequest(forward=name == "first", size=size, cursor=position)
