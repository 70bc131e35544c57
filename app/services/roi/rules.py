"""The ROI window upsert in SQL: the one statement shape that writes `roi_windows`.

Both writers use it: the batched drain (`app.services.roi.windows.store_windows`, rows from
`unnest` arrays) and the full rebuild (`app.services.roi.rebuild.WINDOWS`, rows from a CTE).
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
"""

from __future__ import annotations

FIGURES = ("runs", "successes", "cost", "attributed_revenue", "baseline_revenue", "labor_cost")
"""The figures of a window, in the column order of the upsert."""

COLUMNS = (
    "tenant_id, workflow_id, cohort_day, client_id, status, runs, successes, cost, "
    "attributed_revenue, baseline_revenue, labor_cost, computed_at, recheck_at, claimants"
)
"""The columns the upsert's `rows` must yield, in this order."""

_OLD = ", ".join(f"w.{c}" for c in FIGURES)
_NEW = ", ".join(f"EXCLUDED.{c}" for c in FIGURES)


def upsert_windows(rows: str, *, returning: str = "") -> str:
    """The upsert of the windows `rows` yields (a SELECT of `COLUMNS`, in that order)."""
    return f"""
INSERT INTO roi_windows AS w ({COLUMNS})
{rows}
ON CONFLICT (tenant_id, workflow_id, cohort_day, client_id) DO UPDATE SET
    status = EXCLUDED.status,
    runs = EXCLUDED.runs,
    successes = EXCLUDED.successes,
    cost = EXCLUDED.cost,
    attributed_revenue = EXCLUDED.attributed_revenue,
    baseline_revenue = EXCLUDED.baseline_revenue,
    labor_cost = EXCLUDED.labor_cost,
    revision = w.revision + CASE
        WHEN w.status = 'FINAL' AND ({_OLD}) IS DISTINCT FROM ({_NEW}) THEN 1 ELSE 0 END,
    computed_at = CASE
        WHEN (w.status, {_OLD}) IS DISTINCT FROM (EXCLUDED.status, {_NEW})
        THEN EXCLUDED.computed_at ELSE w.computed_at END,
    recheck_at = EXCLUDED.recheck_at,
    claimants = COALESCE(EXCLUDED.claimants, w.claimants)
WHERE (w.status, {_OLD}, w.recheck_at, w.claimants)
    IS DISTINCT FROM (EXCLUDED.status, {_NEW}, EXCLUDED.recheck_at,
                      COALESCE(EXCLUDED.claimants, w.claimants))
{returning}"""
