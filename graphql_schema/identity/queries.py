"""Reads of people and sign-in: the provider settings, people, invitations, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.identity.routes import sign_in_url
from app.services.identity import audit, invitations, providers, users
from graphql_schema.context import Info
from graphql_schema.errors import BadUserInput
from graphql_schema.identity.permissions import IsOwner
from graphql_schema.identity.types import AuditEvent, IdentityProvider, Invitation, Person
from graphql_schema.permissions import CanConfigure

AUDIT_PAGE = 200


@strawberry.type
class IdentityQueries:
    @strawberry.field(
        permission_classes=[CanConfigure],
        description="The tenant's OpenID Connect provider for staff; null when none is set.",
    )
    async def identity_provider(self, info: Info) -> IdentityProvider | None:
        row = await info.context.call(providers.get_provider)
        url = sign_in_url(info.context.settings.public_url, info.context.principal.tenant_id)
        return IdentityProvider.from_row(row, url) if row is not None else None

    @strawberry.field(
        permission_classes=[CanConfigure],
        description="Everyone who signed in or was invited and accepted, by email.",
    )
    async def people(self, info: Info) -> list[Person]:
        rows = await info.context.call(users.list_users)
        return [Person.from_row(row) for row in rows]

    @strawberry.field(
        permission_classes=[CanConfigure], description="Client invitations, newest first."
    )
    async def invitations(self, info: Info) -> list[Invitation]:
        rows = await info.context.call(invitations.list_invitations)
        return [Invitation.from_row(row, info.context.now) for row in rows]

    @strawberry.field(
        permission_classes=[IsOwner],
        description="The audit log, newest first: sign-ins, sign-outs, invitations, revocations "
        "and provider changes. OWNER only.",
    )
    async def audit_log(
        self,
        info: Info,
        first: Annotated[
            int, strawberry.argument(description=f"How many entries (1 to {AUDIT_PAGE}).")
        ] = 50,
        before: Annotated[
            datetime | None,
            strawberry.argument(description="Only entries before this time (the next page)."),
        ] = None,
    ) -> list[AuditEvent]:
        if not 1 <= first <= AUDIT_PAGE:
            raise BadUserInput(f"first must be 1 to {AUDIT_PAGE}.", field="first")
        rows = await info.context.call(audit.recent, limit=first, before=before)
        return [AuditEvent.from_row(row) for row in rows]
