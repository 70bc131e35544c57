"""provider_calls analysed per doubling, not per +20 %: its statements are lookups by full key

`ledger_analyze_grown(min_changes, growth)` (migration 0016) as before, except for the tables
whose every ingest statement is a lookup by its full key, one index probe per key, whatever
the statistics say (`provider_calls`: app.ingest.otlp_calls; tests/integration/
test_ingest_plans.py grows it by 100,000 claims past its last analyse and checks the rows
read). For those the growth that calls for an ANALYZE is BY_KEY_FACTOR times the caller's: the
background tier (0.2) analyses them once they doubled since their last analyse, the in-batch
tier (1.0) only when never analysed (min_changes) or grown sixfold. Once per doubling is some
10 ANALYZEs from 1,000 to 1M rows instead of some 40 (half as many in a 20,000-run benchmark),
enough for the proportions in the statistics (tenants, key selectivities) that plan those
lookups.

Revision ID: 0023
Revises: 0022
"""

import importlib

from alembic import op

from migrations.rls import only_app_may_execute, refuse_app_role

revision: str = "0023"
down_revision: str | None = "0022"

GROWTH = importlib.import_module("migrations.versions.0016_analyse_growing_tables")
GROWING = GROWTH.GROWING
# Tables whose statements are all lookups by full key, and their growth factor.
BY_KEY = ("provider_calls",)
BY_KEY_FACTOR = 5

# Migration 0016's function (the downgrade's), and this revision's: the same but for the growth.
PREVIOUS = GROWTH.FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
THRESHOLD = "greatest(min_changes, growth * greatest(c.reltuples, 0))"
assert THRESHOLD in PREVIOUS
FUNCTION = PREVIOUS.replace(
    THRESHOLD,
    """greatest(
              min_changes,
              CASE WHEN s.relname = ANY (ARRAY[{by_key}]) THEN {factor} * growth
                   ELSE growth END * greatest(c.reltuples, 0))""",
)


def _quoted(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def upgrade() -> None:
    refuse_app_role()
    op.execute(
        FUNCTION.format(tables=_quoted(GROWING), by_key=_quoted(BY_KEY), factor=BY_KEY_FACTOR)
    )
    only_app_may_execute("ledger_analyze_grown(bigint, float8)")


def downgrade() -> None:
    refuse_app_role()
    op.execute(PREVIOUS.format(tables=_quoted(GROWING)))
    only_app_may_execute("ledger_analyze_grown(bigint, float8)")
