"""Revenue and ROI: baselines, attribution of revenue to runs, ROI windows and their upkeep.

Other layers may call: `baselines.set_baseline`; `reads` (list_windows, group_totals,
unattributed_revenue, workflows_pending, StoredWindow, GroupTotals); `recompute` (drain,
backlog, mark_for_rebuild, DEFAULT_BATCH_SIZE, DrainReport, TenantBacklog, BatchStats);
`rebuild.rebuild_tenant`; `dirty.Pair`. Ingest marks windows dirty through `dirty.mark_*`.
`rules` is the one home of the ROI window upsert; `windows`, `allocation` and `revenue_batch`
are internal.
"""
