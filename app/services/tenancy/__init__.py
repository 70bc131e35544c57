"""Tenants, clients, API keys, workflows and the catalog reads of them."""
