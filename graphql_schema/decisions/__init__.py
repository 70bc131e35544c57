"""From numbers to decisions: effort tiers, failure reasons, the ROI roadmap, findings."""
