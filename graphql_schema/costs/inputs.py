"""The inputs every cost figure accepts: a half-open time range and a scope of filters."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app import global_ids
from app.services.costs.scope import CostScope, TimeRange
from graphql_schema.errors import BadUserInput


def parse_id(value: str, *, field: str) -> uuid.UUID:
    """A client id from GraphQL, the raw UUID or the Client's global id (`Client.id`);
    BAD_USER_INPUT naming `field` when it is neither."""
    try:
        return global_ids.client_uuid(str(value))
    except ValueError:
        raise BadUserInput(
            f"{field} is not a client id (a Client.id or its UUID): {value!r}.", field=field
        ) from None


@strawberry.input(name="TimeRange", description="The half-open interval [from, to), in UTC.")
class TimeRangeInput:
    from_: datetime = strawberry.field(name="from")
    to: datetime

    def to_range(self, *, field: str = "range") -> TimeRange:
        for name, value in (("from", self.from_), ("to", self.to)):
            if value.tzinfo is None:
                raise BadUserInput(
                    f"{field}.{name} needs a UTC offset, e.g. 2026-03-01T00:00:00Z.",
                    field=f"{field}.{name}",
                )
        if self.from_ >= self.to:
            raise BadUserInput(f"{field}.to must be after {field}.from.", field=field)
        return TimeRange(self.from_, self.to)


@strawberry.input(
    name="Scope", description="Filters every cost figure accepts; all optional, combined with AND."
)
class ScopeInput:
    client_id: strawberry.ID | None = None
    campaign: str | None = None
    channel: str | None = None
    variant: str | None = None
    team: str | None = None

    def to_scope(self, *, field: str = "scope") -> CostScope:
        client_id = (
            parse_id(self.client_id, field=f"{field}.clientId")
            if self.client_id is not None
            else None
        )
        return CostScope(client_id, self.campaign, self.channel, self.variant, self.team)


def scope_of(scope: ScopeInput | None) -> CostScope:
    return scope.to_scope() if scope is not None else CostScope()
