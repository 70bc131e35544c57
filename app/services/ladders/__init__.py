"""Outcome ladders: who reached each rung, cost per rung and its series, rising slices, ceilings."""
