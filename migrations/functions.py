"""PL/pgSQL functions written by hand in revisions: the ones that rewrite the current tenant's
rows of a rollup (rebuilds, compaction) share one frame."""

from __future__ import annotations


def tenant_rewrite(name: str, body: str) -> str:
    """`CREATE FUNCTION name() RETURNS bigint`: PL/pgSQL run as the caller (so under its
    row-level security), with `tenant` the session's tenant; `body` ends with the statement whose
    row count the function returns."""
    return f"""
CREATE FUNCTION {name}() RETURNS bigint
LANGUAGE plpgsql SECURITY INVOKER AS $$
DECLARE
    tenant uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
    written bigint;
BEGIN
{body.strip(chr(10))}
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$$
"""
