"""Per-request DataLoaders, built fresh for every request (never shared across requests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphql_schema.context import Context


@dataclass
class Loaders:
    pass


def build_loaders(context: Context) -> Loaders:
    return Loaders()
