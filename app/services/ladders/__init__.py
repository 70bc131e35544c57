"""Outcome ladders: who reached each rung, cost per rung and its series, rising slices, ceilings.

Other layers may call: `figures` (ladder costs, series, rising slices), `cohorts.rung_counts`,
`cohorts.slice_figures`, `cohorts.SliceFigures`, `ceilings` (set_cost_ceiling,
ceiling_status), and for workers `reach.drain` / `reach.DRAIN_BATCH` (the ladder_reach
rollup's upkeep). `rules` is the one SQL home of "who reached a rung"; the rest is internal.
"""
