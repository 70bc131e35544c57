"""Decision figures: failure reasons, reason codes, the ROI roadmap, findings and thresholds."""
