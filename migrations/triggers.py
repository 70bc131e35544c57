"""Statement-level rollup triggers, written by hand in revisions (0007, 0009, 0010).

A trigger is (name, table, event, transition clause, body): a plpgsql function `name()` running
`body` once per statement, with the statement's rows in transition tables, and an AFTER trigger
of the same name calling it. Triggers of one event fire in name order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from alembic import op

Trigger = tuple[str, str, str, str, str]

# Per event: its short name in trigger names, and the transition tables it sees.
EVENTS = {
    "INSERT": ("ins", "NEW TABLE AS new_{rows}"),
    "DELETE": ("del", "OLD TABLE AS old_{rows}"),
    "UPDATE": ("upd", "OLD TABLE AS old_{rows} NEW TABLE AS new_{rows}"),
}


def on_writes(table: str, rows: str, name: str, bodies: Mapping[str, str]) -> list[Trigger]:
    """One trigger on `table` per event of `bodies` (INSERT, DELETE, UPDATE), in that mapping's
    order: named `name` with `{event}` replaced by ins, del or upd, its body seeing the
    statement's rows as `new_<rows>` (INSERT, UPDATE) and `old_<rows>` (DELETE, UPDATE)."""
    return [
        (
            name.format(event=EVENTS[event][0]),
            table,
            event,
            EVENTS[event][1].format(rows=rows),
            body,
        )
        for event, body in bodies.items()
    ]


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
