"""The demo agency: deterministic seed data for `ledger demo` and the tests.

`app.demo.agency` describes the agency, `app.demo.generate` turns it into ingest records,
`app.demo.seed` writes them through the services.
"""
