"""Cost figures: the cohort rule in SQL, breakdowns, caching, model mix, runs and their usage.

Other layers may call:
- `cohorts.cohort_figures`, `cohorts.cohort_run_costs`, `cohorts.CohortFigures` (totals per
  workflow for one range and scope);
- `figures` (cost per outcome, failure share, run cost stats), `breakdown.cost_breakdown`,
  `caching.cache_tokens`, `model_mix.model_slices` / `variant_slices`, `run_reads`;
- the value types `scope.CostScope`, `scope.TimeRange`, `basis.CostBasis`, `slices.Grouping`,
  `slices.by_bucket`, `slices.by_dimension`, and `slices.custom_dimension` /
  `slices.split_dimension` (a run dimension as the slice dimension "CUSTOM:<key>").

Other service packages also build on `scope` (the cohort's tables and filters), `basis` (the
RECONCILED factors), `cohorts.cohort_runs` and `rules` — the one SQL home of the acceptance
hold. The rest is internal.
"""
