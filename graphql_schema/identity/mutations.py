"""Managing sign-in: the provider (OWNER), client invitations and people (OWNER, ENGINEER).

Every change lands in the audit log; removing a person, revoking an accepted invitation, or
removing or re-pointing the provider ends the sessions it opened at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import strawberry

from app.auth.principal import Role
from app.identity.person_sessions import PersonSessions
from app.identity.routes import invitation_url, sign_in_url
from app.identity.secrets import NoSecretKey, encrypt
from app.services.identity import audit, invitations, providers, users
from app.services.ingest.errors import FieldError
from graphql_schema.context import Info, Transaction
from graphql_schema.costs.inputs import parse_id
from graphql_schema.errors import BadUserInput, NotFound, field_errors
from graphql_schema.identity.permissions import IsOwner
from graphql_schema.identity.types import IdentityProvider, Invitation, InvitationPayload, Person
from graphql_schema.permissions import CanConfigure


async def audited(info: Info, tx: Transaction, action: str, **detail: Any) -> None:
    """The audit-log entry of a change made by the caller, in the change's own transaction."""
    actor = info.context.principal.subject
    await tx.call(audit.record, actor=actor, action=action, now=info.context.now, **detail)


@strawberry.input(description="A group or claim value and the staff role it grants.")
class RoleMappingInput:
    value: str = strawberry.field(description="The value as the provider sends it.")
    role: str = strawberry.field(description="OWNER, ENGINEER or ANALYST.")


@strawberry.input(description="The tenant's OpenID Connect provider for its staff.")
class IdentityProviderInput:
    issuer: str = strawberry.field(description="The issuer URL (discovery is read from it).")
    client_id: str = strawberry.field(description="The ledger's client id at the provider.")
    client_secret: str | None = strawberry.field(
        default=None,
        description="The client secret (stored encrypted, never returned). Required the first "
        "time; omit it to keep the stored one, pass a new one to rotate it.",
    )
    allowed_domains: list[str] = strawberry.field(
        description="Email domains whose people may sign in (lower case, e.g. agency.example)."
    )
    role_claim: str = strawberry.field(
        default="groups",
        description="The ID-token claim with groups or roles; a dotted path for nested claims.",
    )
    role_map: list[RoleMappingInput] = strawberry.field(
        description="Claim values and the roles they grant; unmapped people have no access."
    )


@strawberry.input(description="Invite one person to see one client's figures.")
class InvitationInput:
    client_id: strawberry.ID = strawberry.field(description="The client they will see.")
    email: str = strawberry.field(description="Their email address.")
    expires_in_hours: int | None = strawberry.field(
        default=None, description="How long the link works (default 7 days, at most 30)."
    )


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise BadUserInput(
            f"{value!r} is not a role; use OWNER, ENGINEER or ANALYST.", field="roleMap"
        ) from None


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(
        permission_classes=[IsOwner],
        description="Set (or change) the OpenID Connect provider staff sign in with. Changing "
        "the issuer or client id ends every session it opened. OWNER only.",
    )
    async def set_identity_provider(
        self,
        info: Info,
        input: Annotated[
            IdentityProviderInput, strawberry.argument(description="The provider's settings.")
        ],
    ) -> IdentityProvider:
        principal = info.context.principal
        config = providers.ProviderSettings(
            issuer=input.issuer.strip(),
            client_id=input.client_id.strip(),
            allowed_domains=tuple(d.strip().lower() for d in input.allowed_domains),
            role_claim=input.role_claim.strip(),
            role_map={m.value: _role(m.role) for m in input.role_map},
        )
        with field_errors():
            async with info.context.transaction() as tx:
                old = await tx.call(providers.get_provider)
                if input.client_secret is not None:
                    if not input.client_secret.strip():
                        raise FieldError("clientSecret", "must not be empty")
                    try:
                        secret = encrypt(info.context.settings, input.client_secret)
                    except NoSecretKey as exc:
                        raise FieldError("clientSecret", str(exc)) from None
                elif old is not None:
                    secret = old.client_secret_encrypted
                else:
                    raise FieldError("clientSecret", "is required when no provider is set yet")
                await tx.call(
                    providers.set_provider, settings=config, client_secret_encrypted=secret
                )
                await audited(
                    info,
                    tx,
                    "provider_set",
                    issuer=config.issuer,
                    client_id=config.client_id,
                    secret_rotated=input.client_secret is not None,
                )
                row = await tx.call(providers.get_provider)
        assert row is not None
        if old is not None and (old.issuer, old.client_id) != (row.issuer, row.client_id):
            await PersonSessions(info.context.arq).end_provider_sessions(principal.tenant_id)
        url = sign_in_url(info.context.settings.public_url, principal.tenant_id)
        return IdentityProvider.from_row(row, url)

    @strawberry.mutation(
        permission_classes=[IsOwner],
        description="Remove the provider: staff can no longer sign in with it, and every "
        "session it opened ends now. False when none was set. OWNER only.",
    )
    async def remove_identity_provider(self, info: Info) -> bool:
        principal = info.context.principal
        async with info.context.transaction() as tx:
            removed = await tx.call(providers.remove_provider)
            if removed:
                await audited(info, tx, "provider_removed")
        if removed:
            await PersonSessions(info.context.arq).end_provider_sessions(principal.tenant_id)
        return removed

    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Invite a client's viewer: a one-time, expiring link that creates their "
        "account, bound to that client, and signs them in.",
    )
    async def invite_client_viewer(
        self,
        info: Info,
        input: Annotated[
            InvitationInput, strawberry.argument(description="Who, for which client.")
        ],
    ) -> InvitationPayload:
        principal = info.context.principal
        client_id = parse_id(input.client_id, field="clientId")
        hours = input.expires_in_hours or info.context.settings.invitation_ttl_hours
        with field_errors():
            async with info.context.transaction() as tx:
                created = await tx.call(
                    invitations.create_invitation,
                    client_id=client_id,
                    email=input.email,
                    created_by=principal.subject,
                    ttl=timedelta(hours=hours),
                    now=info.context.now,
                )
                await audited(
                    info,
                    tx,
                    "invitation_created",
                    invitation_id=str(created.invitation.invitation_id),
                    client_id=str(client_id),
                    email=created.invitation.email,
                )
        link = invitation_url(info.context.settings.public_url, principal.tenant_id, created.token)
        return InvitationPayload(
            invitation=Invitation.from_row(created.invitation, info.context.now), link=link
        )

    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Revoke an invitation. If it was accepted, its viewer is removed and "
        "signed out too. Null when unknown or already revoked.",
    )
    async def revoke_invitation(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The invitation's id.")],
    ) -> Invitation | None:
        principal = info.context.principal
        invitation_id = parse_id(id, field="id")
        async with info.context.transaction() as tx:
            row = await tx.call(
                invitations.revoke_invitation, invitation_id=invitation_id, now=info.context.now
            )
            if row is None:
                return None
            if row.user_id is not None:
                await tx.call(users.remove_user, user_id=row.user_id, now=info.context.now)
            await audited(
                info,
                tx,
                "invitation_revoked",
                invitation_id=str(invitation_id),
                user_id=str(row.user_id) if row.user_id else None,
            )
        if row.user_id is not None:
            await PersonSessions(info.context.arq).end_user(principal.tenant_id, row.user_id)
        return Invitation.from_row(row, info.context.now)

    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Remove a person: their sessions end now and they cannot sign in again.",
    )
    async def remove_person(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The person's id.")],
    ) -> Person:
        principal = info.context.principal
        user_id = parse_id(id, field="id")
        async with info.context.transaction() as tx:
            removed = await tx.call(users.remove_user, user_id=user_id, now=info.context.now)
            row = await tx.call(users.get_user, user_id=user_id)
            if row is None:
                raise NotFound(f"No person {user_id}.", field="id")
            if removed:
                await audited(info, tx, "user_removed", user_id=str(user_id), email=row.email)
        await PersonSessions(info.context.arq).end_user(principal.tenant_id, user_id)
        return Person.from_row(row)

    @strawberry.mutation(
        description="Sign the signed-in person out of every session they have (every browser). "
        "Returns how many sessions ended. Only for people signed in to the portal."
    )
    async def sign_out_everywhere(self, info: Info) -> int:
        principal = info.context.principal
        prefix = "portal:"
        people = PersonSessions(info.context.arq)
        person = (
            await people.get(principal.subject[len(prefix) :])
            if principal.subject.startswith(prefix)
            else None
        )
        if person is None:
            raise BadUserInput(
                "Only a person signed in through the provider or an invitation has sessions to "
                "end; tokens and API keys expire or are revoked instead."
            )
        ended = await people.end_user(principal.tenant_id, person.user_id)
        await info.context.call(
            audit.record,
            actor=f"user:{person.user_id}",
            action="sign_out",
            now=info.context.now,
            everywhere=True,
            sessions=ended,
        )
        return ended
