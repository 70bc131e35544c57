import { useCsrfToken } from "./client";

export type Session = {
  sessionId: string;
  tenantId: string;
  role: "OWNER" | "ENGINEER" | "ANALYST" | "CLIENT_VIEWER";
  clientId: string | null;
  csrfToken: string;
  expiresAt: string;
};

export async function loadSession(): Promise<Session | null> {
  const response = await fetch("/portal/session", { credentials: "same-origin" });
  if (response.status === 401) return null;
  if (!response.ok) throw new Error(`The portal answered ${response.status}.`);
  const session = (await response.json()) as Session;
  useCsrfToken(session.csrfToken);
  return session;
}

export async function signOut(session: Session): Promise<void> {
  await fetch("/portal/sign-out", {
    method: "POST",
    credentials: "same-origin",
    headers: { "x-csrf-token": session.csrfToken },
  });
}

export const canChangeAutonomy = (session: Session): boolean =>
  session.role === "OWNER" || session.role === "ENGINEER";
