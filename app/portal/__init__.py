"""The Outcome Portal: one-time sign-in links, cookie sessions in Redis, and the built web app.

`links` mints and redeems one-time links, `sessions` keeps the server-side sessions (revocable,
expiring) and checks the CSRF token of cookie-authenticated requests, `routes` serves sign-in,
sign-out, the session's description for the web app, and the built static assets.
"""
