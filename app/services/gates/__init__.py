"""Autonomy gates: definitions, their windows, readiness, stored evaluations and promotions.

Other layers may call: `definitions` (gates_in_force, set_gate, gate_history, spec_of),
`autonomy` (promote, demote, autonomy_history), `readiness.readiness_of`,
`readiness_json` (stored readiness to and from JSON), `evaluations` (evaluate_tenant,
recent_evaluations, tenant_ids). `windows` (the gate window's SQL) is internal.
"""
