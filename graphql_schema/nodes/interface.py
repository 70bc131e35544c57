"""The `Node` interface: an object a client cache can store once and refetch by its id."""

from __future__ import annotations

import strawberry

from app import global_ids


@strawberry.interface(
    description="An object with an opaque global id, unique across every type of the API: "
    "refetch it with node(id:), normalise it in a client cache by id."
)
class Node:
    id: strawberry.ID = strawberry.field(
        description="Opaque global id (base64url of the type and its key within the tenant); "
        "pass it to node(id:). Never parse it."
    )


def opaque_id(type_name: str, *key: str | int) -> strawberry.ID:
    """The `id` of the `type_name` object with this key: a Node's, which node(id:) resolves, or
    a client-cache id of a type that is no Node (see app.global_ids)."""
    return strawberry.ID(global_ids.encode(type_name, *key))
