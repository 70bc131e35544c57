"""The `Node` interface, global ids, and `node(id:)` / `nodes(ids:)` for normalised caches."""
