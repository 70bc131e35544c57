"""The seed summary's extra tables: outcome ladders, revenue and ROI, ceilings and gates.

Pure rendering of a `SeedSummary` (no I/O), printed by `ledger demo` after the record and
run-status tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from app.demo.agency import WORKFLOWS
from app.demo.seed import SeedSummary
from app.domain.roi import roi_figures

CENT = Decimal("0.01")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    # Imported here: importing app.cli runs its __init__, which imports app.cli.demo_setup,
    # which imports this module.
    from app.cli.output import format_table as render

    return render(headers, rows)


def _money(amount: Decimal | None) -> str:
    return "-" if amount is None else f"{amount.quantize(CENT):,}"


def _rung_order(workflow: str, rung: str) -> tuple[int, int]:
    for index, profile in enumerate(WORKFLOWS):
        if profile.key == workflow and profile.ladder:
            keys = [key for key, _ in profile.ladder]
            return index, keys.index(rung) if rung in keys else len(keys)
    return len(WORKFLOWS), 0


def ladder_table(summary: SeedSummary) -> str:
    rows = [
        (workflow, rung, count)
        for (workflow, rung), count in sorted(
            summary.rungs.items(), key=lambda item: _rung_order(*item[0])
        )
    ]
    return format_table(("workflow", "outcome rung", "events"), rows)


def revenue_table(summary: SeedSummary) -> str:
    rows = [
        (kind, count, _money(amount))
        for kind, (count, amount) in sorted(summary.revenue_kinds.items())
    ]
    return format_table(("revenue kind", "events", "amount"), rows)


def roi_table(summary: SeedSummary) -> str:
    if summary.roi is None:
        return ""
    rows = []
    for workflow, totals in summary.roi.by_workflow.items():
        figures = roi_figures(totals)
        rows.append(
            (
                workflow,
                totals.successes,
                _money(totals.cost),
                _money(totals.attributed_revenue),
                _money(totals.baseline_revenue),
                _money(figures.lift),
                "-" if figures.roi is None else f"{figures.roi:,.1f}",
            )
        )
    headers = ("workflow", "successes", "cost", "attributed", "baseline", "lift", "ROI")
    return format_table(headers, rows)


def ceiling_table(summary: SeedSummary) -> str:
    rows = [
        (
            c.workflow_key,
            c.rung,
            f"{c.dimension.lower()}={c.value}",
            _money(c.ceiling),
            _money(c.cost_per_rung),
            "THROTTLE" if c.throttle else "room to grow",
        )
        for c in summary.ceilings
    ]
    headers = ("workflow", "rung", "slice", "ceiling", "cost/rung 30d", "signal")
    return format_table(headers, rows)


def gate_lines(summary: SeedSummary) -> str:
    rows = [
        (
            g.workflow_key,
            f"level {g.target_level}",
            g.version,
            "READY" if g.ready else "BLOCKED",
            g.status,
        )
        for g in summary.gates
    ]
    lines = [format_table(("autonomy gate", "target", "version", "readiness", "status"), rows)]
    for gate in summary.gates:
        for blocker in gate.blockers:
            lines.append(f"  {gate.workflow_key}: {blocker}")
    return "\n".join(lines)


def render_details(summary: SeedSummary) -> str:
    """Every extra table, separated by blank lines, with a one-line revenue reconciliation."""
    parts = [ladder_table(summary), revenue_table(summary)]
    if summary.roi is not None:
        roi = summary.roi
        parts.append(
            roi_table(summary)
            + f"\n{roi.windows:,} ROI windows computed; revenue {_money(roi.recorded_revenue)}"
            f" = attributed {_money(roi.attributed_revenue)}"
            f" + unattributed {_money(roi.unattributed_revenue)};"
            f" {summary.baselines} baselines"
        )
    parts.append(ceiling_table(summary))
    parts.append(gate_lines(summary))
    return "\n\n".join(part for part in parts if part)
