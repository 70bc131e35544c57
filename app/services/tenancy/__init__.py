"""Tenants, clients, API keys, workflows and the catalog reads of them.

Other layers may call: `tenants` (create_tenant, tenant_exists, create_client, create_api_key,
revoke_api_key, parse_scopes), `workflows.upsert_workflow`, `catalog` (the workflow, client and
rung reads; `catalog.WORKFLOWS` is the workflows table other service packages join).
"""
