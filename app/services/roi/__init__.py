"""Revenue and ROI: baselines, attribution of revenue to runs, ROI windows and their upkeep."""
