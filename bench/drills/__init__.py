"""Durability drills: scripts run by hand (not collected by pytest); see docs/reliability.md."""
