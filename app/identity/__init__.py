"""Sign-in for people: agency staff through the tenant's OpenID Connect provider, clients by
invitation, and the audit log of both. Sessions are the portal's (app/portal/sessions.py); this
package decides who may have one, with which role, and for how long."""
