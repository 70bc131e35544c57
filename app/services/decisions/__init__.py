"""Decision figures: failure reasons, reason codes, the ROI roadmap, findings and thresholds,
and the tenant's own run dimensions.

Other layers may call: `findings` (the cost-bloat findings), `reason_codes` (declared_codes and
the reason-code reads), `failure_reasons.reason_runs`, `roadmap.run_outcomes`,
`roadmap.RunOutcome` and `dimensions` (declare, list, retire, require_declared). The rest is
internal.
"""
