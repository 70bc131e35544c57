"""Cost figures: the cohort rule in SQL, breakdowns, caching, model mix, runs and their usage."""
