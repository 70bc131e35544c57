"""Decision figures: failure reasons, reason codes, the ROI roadmap, findings and thresholds.

Other layers may call: `findings` (the cost-bloat findings), `reason_codes` (declared_codes and
the reason-code reads), `failure_reasons.reason_runs`, `roadmap.run_outcomes` and
`roadmap.RunOutcome`. The rest is internal.
"""
