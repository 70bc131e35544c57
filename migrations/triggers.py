"""Statement-level rollup triggers, written by hand in revisions (0007, 0009, 0010).

A trigger is (name, table, event, transition clause, body): a plpgsql function `name()` running
`body` once per statement, with the statement's rows in transition tables, and an AFTER trigger
of the same name calling it. Triggers of one event fire in name order.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

Trigger = tuple[str, str, str, str, str]


def create_statement_triggers(triggers: Sequence[Trigger]) -> None:
    for name, table, event, transition, body in triggers:
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body};\nRETURN NULL;\nEND\n$$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} "
            f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def drop_statement_triggers(triggers: Sequence[Trigger]) -> None:
    for name, table, _event, _transition, _body in reversed(triggers):
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
