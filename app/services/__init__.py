"""I/O orchestration: load rows, call `app.domain`, store; keyword-only functions per domain.

Layers (enforced by the import-linter contracts in pyproject.toml): `graphql_schema`, `workers`,
`app.cli`, `app.ingest` and `app.demo` call into `app.services`; `app.services` calls
`app.domain` (pure arithmetic) and `app.db` (tables, sessions); nothing here imports the layers
above it. Each package's docstring names what other layers may call; anything else is internal
to its package (or to `app.services`). docs/architecture.md maps every business rule to its home.
"""
