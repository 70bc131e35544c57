"""People of a tenant: its identity provider, users, client invitations and the audit log.

Other layers call `providers`, `users`, `invitations` and `audit`; every function takes a
tenant-bound session (row-level security keeps it to that tenant).
"""
