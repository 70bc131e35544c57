"""Sign-in flows for people, from the provider's answer (or an invitation) to a portal session.

`Identity` lives on the app's state; the routes (app/identity/routes.py) and the authenticator's
session check call it. Every sign-in, refusal, acceptance and sign-out lands in the audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from redis.asyncio import Redis

from app.auth.principal import Role
from app.db.sessions import TenantSessions
from app.identity import oidc
from app.identity.claims import email_allowed, role_from_claims
from app.identity.person_sessions import (
    PersonSession,
    PersonSessions,
    idle_expired,
    needs_touch,
    refuse,
)
from app.identity.secrets import decrypt, encrypt
from app.portal.sessions import PortalSession
from app.services.identity import audit, invitations, providers, users
from app.settings import Settings

CALLBACK_PATH = "/auth/callback"
REFUSALS = {
    "no_provider": "This agency has not set up single sign-on.",
    "domain": "Your email address is not in a domain this agency allows.",
    "no_role": "Your account has no role in this agency yet: ask its owner to map your group.",
    "removed": "Your access to this agency was removed.",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class Identity:
    def __init__(
        self, settings: Settings, sessions: TenantSessions, redis: Redis, http: httpx.AsyncClient
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.people = PersonSessions(redis)
        self.redis = redis
        self.http = http

    async def _client(self, tenant_id: uuid.UUID) -> tuple[oidc.Client, providers.ProviderSettings]:
        async with self.sessions(tenant_id) as session:
            row = await providers.get_provider(session=session, tenant_id=tenant_id)
        if row is None:
            raise oidc.SignInRefused("no_provider", REFUSALS["no_provider"])
        client = oidc.Client(
            issuer=row.issuer,
            client_id=row.client_id,
            client_secret=decrypt(self.settings, row.client_secret_encrypted),
            redirect_uri=self.settings.public_url.rstrip("/") + CALLBACK_PATH,
        )
        return client, providers.settings_of(row)

    async def begin(self, tenant_id: uuid.UUID) -> str:
        client, _ = await self._client(tenant_id)
        return await oidc.begin(
            redis=self.redis, http=self.http, client=client, tenant_id=tenant_id
        )

    async def complete(self, state: str | None, code: str | None) -> tuple[str, PortalSession]:
        """Finishes a provider sign-in; returns (cookie secret, session) or SignInRefused."""
        pending = await oidc.take_pending(self.redis, state)
        tenant_id = pending.tenant_id
        try:
            if not code:
                raise oidc.SignInRefused("token", "the provider sent no authorization code")
            client, config = await self._client(tenant_id)
            answer = await oidc.finish(http=self.http, client=client, pending=pending, code=code)
            email = email_allowed(answer.claims, config.allowed_domains)
            if email is None:
                raise oidc.SignInRefused("domain", REFUSALS["domain"])
            role = role_from_claims(answer.claims, config.role_claim, config.role_map)
            if role is None:
                raise oidc.SignInRefused("no_role", REFUSALS["no_role"])
            now = utc_now()
            subject = f"{client.issuer}|{answer.claims['sub']}"
            async with self.sessions(tenant_id) as session:
                try:
                    user_id = await users.sign_in_staff(
                        session=session,
                        tenant_id=tenant_id,
                        subject=subject,
                        email=email,
                        role=role,
                        now=now,
                    )
                except users.UserRemoved as exc:
                    raise oidc.SignInRefused("removed", REFUSALS["removed"]) from exc
                await audit.record(
                    session=session,
                    tenant_id=tenant_id,
                    actor=email,
                    action="sign_in",
                    now=now,
                    method="oidc",
                    role=role.value,
                    user_id=str(user_id),
                )
        except oidc.SignInRefused as refusal:
            await self._audit(tenant_id, "anonymous", "sign_in_refused", reason=refusal.reason)
            raise
        secret, portal = await self.people.store.create(
            tenant_id=tenant_id,
            role=role,
            client_id=None,
            ttl=timedelta(seconds=self.settings.oidc_session_seconds),
            now=now,
        )
        await self.people.remember(
            PersonSession(
                session_id=portal.session_id,
                tenant_id=tenant_id,
                user_id=user_id,
                kind="oidc",
                last_seen=now,
                refresh_at=now + timedelta(seconds=self.settings.oidc_refresh_seconds),
                refresh_token_encrypted=(
                    encrypt(self.settings, answer.refresh_token) if answer.refresh_token else None
                ),
            ),
            expires_at=portal.expires_at,
        )
        return secret, portal

    async def accept_invitation(
        self, tenant_id: uuid.UUID, token: str
    ) -> tuple[str, PortalSession] | None:
        """Creates the invited viewer and a session; None when the link cannot be used."""
        now = utc_now()
        async with self.sessions(tenant_id) as session:
            invitation = await invitations.accept_invitation(
                session=session, tenant_id=tenant_id, token=token, now=now
            )
            if invitation is None:
                return None
            user_id = await users.create_viewer(
                session=session,
                tenant_id=tenant_id,
                invitation_id=invitation.invitation_id,
                email=invitation.email,
                client_id=invitation.client_id,
                now=now,
            )
            await invitations.attach_user(
                session=session,
                tenant_id=tenant_id,
                invitation_id=invitation.invitation_id,
                user_id=user_id,
            )
            await audit.record(
                session=session,
                tenant_id=tenant_id,
                actor=invitation.email,
                action="invitation_accepted",
                now=now,
                invitation_id=str(invitation.invitation_id),
                client_id=str(invitation.client_id),
                user_id=str(user_id),
            )
        secret, portal = await self.people.store.create(
            tenant_id=tenant_id,
            role=Role.CLIENT_VIEWER,
            client_id=invitation.client_id,
            ttl=timedelta(seconds=self.settings.oidc_session_seconds),
            now=now,
        )
        await self.people.remember(
            PersonSession(portal.session_id, tenant_id, user_id, "invitation", now, None, None),
            expires_at=portal.expires_at,
        )
        return secret, portal

    async def check(self, portal: PortalSession) -> None:
        """Runs on every request of a portal session: raises AuthenticationFailed to end it."""
        person = await self.people.get(portal.session_id)
        if person is None:
            return  # a `ledger portal link` session: absolute expiry only
        now = utc_now()
        if idle_expired(person, now, timedelta(seconds=self.settings.session_idle_seconds)):
            await refuse(self.people, portal, "portal session idle for too long")
        if person.kind == "oidc" and person.refresh_at is not None and now >= person.refresh_at:
            if await self.people.claim_refresh(portal.session_id):
                try:
                    person = await self._refresh(portal, person, now)
                finally:
                    await self.people.release_refresh(portal.session_id)
                await self.people.save(person)
                return
        if needs_touch(person, now):
            await self.people.save(replace(person, last_seen=now))

    async def _refresh(
        self, portal: PortalSession, person: PersonSession, now: datetime
    ) -> PersonSession:
        try:
            if person.refresh_token_encrypted is None:
                raise oidc.SignInRefused("token", "the provider gave no refresh token")
            client, config = await self._client(portal.tenant_id)
            answer = await oidc.refresh(
                http=self.http,
                client=client,
                refresh_token=decrypt(self.settings, person.refresh_token_encrypted),
            )
        except oidc.SignInRefused as refusal:
            await refuse(self.people, portal, f"provider re-check failed: {refusal.reason}")
            raise  # unreachable: refuse raises
        role = role_from_claims(answer.claims, config.role_claim, config.role_map)
        if role is not portal.role or email_allowed(answer.claims, config.allowed_domains) is None:
            await self.audit_revocation(portal.tenant_id, person, "role changed or removed")
            await refuse(self.people, portal, "the person's role at the provider changed")
        return replace(
            person,
            last_seen=now,
            refresh_at=now + timedelta(seconds=self.settings.oidc_refresh_seconds),
            refresh_token_encrypted=(
                encrypt(self.settings, answer.refresh_token)
                if answer.refresh_token
                else person.refresh_token_encrypted
            ),
        )

    async def audit_revocation(
        self, tenant_id: uuid.UUID, person: PersonSession, reason: str
    ) -> None:
        await self._audit(
            tenant_id, "provider", "session_revoked", user_id=str(person.user_id), reason=reason
        )

    async def signed_out(self, portal: PortalSession) -> None:
        """Audits a sign-out and forgets the person's record of that session."""
        person = await self.people.get(portal.session_id)
        await self.people.end(portal.tenant_id, portal.session_id)
        actor = f"user:{person.user_id}" if person else f"portal:{portal.session_id}"
        await self._audit(portal.tenant_id, actor, "sign_out", session_id=portal.session_id)

    async def _audit(self, tenant_id: uuid.UUID, actor: str, action: str, **detail: Any) -> None:
        """Records `action` in the audit log now, in a transaction of its own."""
        async with self.sessions(tenant_id) as session:
            await audit.record(
                session=session, tenant_id=tenant_id, actor=actor, action=action, now=utc_now(),
                **detail,
            )  # fmt: skip
