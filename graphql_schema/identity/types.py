"""GraphQL types of people and sign-in. A client secret is write-only: no type carries it."""

from __future__ import annotations

import json
from datetime import datetime

import strawberry

from app.db.tables import AuditEvent as AuditRow
from app.db.tables import IdentityProvider as ProviderRow
from app.db.tables import Invitation as InvitationRow
from app.db.tables import User as UserRow
from graphql_schema.shaping import copy_fields


@strawberry.type(description="One group or claim value of the provider and the role it grants.")
class RoleMapping:
    value: str = strawberry.field(description="The group or claim value as the provider sends it.")
    role: str = strawberry.field(description="The role it grants: OWNER, ENGINEER or ANALYST.")


@strawberry.type(description="The tenant's OpenID Connect provider for its staff.")
class IdentityProvider:
    issuer: str = strawberry.field(description="The provider's issuer URL.")
    client_id: str = strawberry.field(description="The ledger's client id at the provider.")
    allowed_domains: list[str] = strawberry.field(
        description="Email domains whose people may sign in."
    )
    role_claim: str = strawberry.field(
        description="The ID-token claim holding groups or roles (a dotted path for nested ones)."
    )
    role_map: list[RoleMapping] = strawberry.field(
        description="Which claim values grant which role; a person with none has no access."
    )
    sign_in_url: str = strawberry.field(description="The address staff open to sign in.")
    updated_at: datetime = strawberry.field(description="When the settings last changed.")

    @classmethod
    def from_row(cls, row: ProviderRow, sign_in_url: str) -> IdentityProvider:
        assert row.updated_at is not None
        return copy_fields(
            cls,
            row,
            allowed_domains=list(row.allowed_domains),
            role_map=[RoleMapping(value=k, role=v) for k, v in sorted(row.role_map.items())],
            sign_in_url=sign_in_url,
        )


@strawberry.type(description="A person who can sign in to the tenant.")
class Person:
    id: strawberry.ID = strawberry.field(description="The person's id.")
    email: str = strawberry.field(description="Their email address.")
    role: str = strawberry.field(description="OWNER, ENGINEER, ANALYST or CLIENT_VIEWER.")
    client_id: strawberry.ID | None = strawberry.field(
        description="The client a CLIENT_VIEWER is bound to; null for staff."
    )
    signs_in_with: str = strawberry.field(
        description="PROVIDER (the tenant's OpenID Connect provider) or INVITATION."
    )
    last_sign_in_at: datetime | None = strawberry.field(description="Their last sign-in.")
    removed_at: datetime | None = strawberry.field(
        description="When the agency removed them; null while they have access."
    )

    @classmethod
    def from_row(cls, row: UserRow) -> Person:
        return cls(
            id=strawberry.ID(str(row.user_id)),
            email=row.email,
            role=row.role,
            client_id=strawberry.ID(str(row.client_id)) if row.client_id else None,
            signs_in_with="INVITATION" if row.subject.startswith("invitation|") else "PROVIDER",
            last_sign_in_at=row.last_sign_in_at,
            removed_at=row.removed_at,
        )


@strawberry.type(description="An invitation of a client's viewer: a one-time, expiring link.")
class Invitation:
    id: strawberry.ID = strawberry.field(description="The invitation's id.")
    client_id: strawberry.ID = strawberry.field(description="The client the viewer will see.")
    email: str = strawberry.field(description="Who was invited.")
    created_by: str = strawberry.field(description="Who invited them.")
    created_at: datetime = strawberry.field(description="When.")
    expires_at: datetime = strawberry.field(description="The link works until then.")
    status: str = strawberry.field(description="PENDING, ACCEPTED, EXPIRED or REVOKED.")

    @classmethod
    def from_row(cls, row: InvitationRow, now: datetime) -> Invitation:
        assert row.created_at is not None
        if row.revoked_at is not None:
            status = "REVOKED"
        elif row.accepted_at is not None:
            status = "ACCEPTED"
        elif row.expires_at <= now:
            status = "EXPIRED"
        else:
            status = "PENDING"
        return copy_fields(
            cls,
            row,
            id=strawberry.ID(str(row.invitation_id)),
            client_id=strawberry.ID(str(row.client_id)),
            status=status,
        )


@strawberry.type(description="A new invitation and its link (shown once: only a hash is kept).")
class InvitationPayload:
    invitation: Invitation = strawberry.field(description="The invitation.")
    link: str = strawberry.field(description="The one-time link to send to the invited person.")


@strawberry.type(description="One entry of the audit log.")
class AuditEvent:
    at: datetime = strawberry.field(description="When it happened.")
    actor: str = strawberry.field(
        description="Who did it (an email, a token subject, or anonymous)."
    )
    action: str = strawberry.field(
        description="sign_in, sign_in_refused, sign_out, session_revoked, invitation_created, "
        "invitation_accepted, invitation_revoked, user_removed, provider_set or provider_removed."
    )
    detail: str = strawberry.field(description="What else was recorded, as a JSON object.")

    @classmethod
    def from_row(cls, row: AuditRow) -> AuditEvent:
        return copy_fields(cls, row, detail=json.dumps(row.detail, sort_keys=True))
