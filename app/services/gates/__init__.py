"""Autonomy gates: definitions, their windows, readiness, stored evaluations and promotions."""
