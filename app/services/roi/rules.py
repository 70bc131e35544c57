"""The ROI windows in SQL: the parts of a window's key the statements share, and the window
upsert, the one statement shape that writes `roi_windows`.

A window is (workflow, cohort day, client): `DAY_START` and `DAY_END` bound the UTC day
`b.cohort_day` of a statement's batch `b`, and `NO_CLIENT_SQL` is the client key of the runs and
usage that have no client.

Both writers use the upsert: the batched drain (`app.services.roi.windows.store_windows`, rows
from `unnest` arrays) and the full rebuild (`app.services.roi.rebuild.WINDOWS`, rows from a CTE).
Storing is idempotent and never silent:
- a window whose figures, status, recheck time and claimant fingerprint are unchanged is not
  written at all (`computed_at` included);
- a FINAL window whose figures change gets `revision + 1`;
- `computed_at` moves only when the status or a figure changes;
- a NULL `claimants` in the new row keeps the stored fingerprint. The drain recomputes some
  windows only because a revenue split moved into or out of them (cascaded windows): their own
  claimants were not looked at, so they must keep what is stored — writing NULL would make the
  next drain treat the window as never attributed and re-split its revenue. The rebuild always
  computes every fingerprint (never NULL), so for it the rule is the same as a plain overwrite.
- for the same reason, a NULL `claimants` keeps a stored `recheck_at` that has passed (at or
  before the row's `computed_at`, the recompute's `now`). A passed recheck time is what makes the
  drain look at the window's claimants again (`mark_due`; the revenue fast path treats such a
  window as not fresh): an acceptance hold that ended may have added a claimant run, and the
  revenue that run may claim must be re-split. A cascaded window did not look, so it leaves the
  instant passed; the next recompute of the window that does look at its claimants moves it.
"""

from __future__ import annotations

from app.db.tables.roi import NO_CLIENT

DAY_START = "(b.cohort_day::timestamp AT TIME ZONE 'UTC')"
DAY_END = "((b.cohort_day + 1)::timestamp AT TIME ZONE 'UTC')"
NO_CLIENT_SQL = f"'{NO_CLIENT}'::uuid"

FIGURES = ("runs", "successes", "cost", "attributed_revenue", "baseline_revenue", "labor_cost")
"""The figures of a window, in the column order of the upsert."""


def figures_of(alias: str) -> str:
    """The figures' columns of the row `alias` (`w.runs, w.successes, ...`), in FIGURES order."""
    return ", ".join(f"{alias}.{c}" for c in FIGURES)


COLUMNS = (
    "tenant_id, workflow_id, cohort_day, client_id, status, runs, successes, cost, "
    "attributed_revenue, baseline_revenue, labor_cost, computed_at, recheck_at, claimants"
)
"""The columns the upsert's `rows` must yield, in this order."""

_OLD = figures_of("w")
_NEW = figures_of("EXCLUDED")
# The status and the figures are stored as computed.
_TAKEN = "".join(f"\n    {c} = EXCLUDED.{c}," for c in ("status", *FIGURES))
# The recheck time to store (see the module docstring: a passed one stays unless the claimants
# were looked at).
_RECHECK = """CASE WHEN EXCLUDED.claimants IS NULL AND w.recheck_at <= EXCLUDED.computed_at
         THEN w.recheck_at ELSE EXCLUDED.recheck_at END"""


def upsert_windows(rows: str, *, returning: str = "") -> str:
    """The upsert of the windows `rows` yields (a SELECT of `COLUMNS`, in that order)."""
    return f"""
INSERT INTO roi_windows AS w ({COLUMNS})
{rows}
ON CONFLICT (tenant_id, workflow_id, cohort_day, client_id) DO UPDATE SET{_TAKEN}
    revision = w.revision + CASE
        WHEN w.status = 'FINAL' AND ({_OLD}) IS DISTINCT FROM ({_NEW}) THEN 1 ELSE 0 END,
    computed_at = CASE
        WHEN (w.status, {_OLD}) IS DISTINCT FROM (EXCLUDED.status, {_NEW})
        THEN EXCLUDED.computed_at ELSE w.computed_at END,
    recheck_at = {_RECHECK},
    claimants = COALESCE(EXCLUDED.claimants, w.claimants)
WHERE (w.status, {_OLD}, w.recheck_at, w.claimants)
    IS DISTINCT FROM (EXCLUDED.status, {_NEW}, {_RECHECK},
                      COALESCE(EXCLUDED.claimants, w.claimants))
{returning}"""
