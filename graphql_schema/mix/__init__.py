"""Caching and model-mix views of a workflow's cohort: types, loaders, resolver steps."""
