"""People and sign-in: the identity provider, invitations, people, the audit log."""
