"""Unpaired UTF-16 surrogates in GraphQL variables: found before anything runs.

A JSON body may spell `"\\ud800"`: Python decodes it to a lone surrogate, which is not Unicode
text. PostgreSQL cannot store it, and every resolver would have to check every string. The HTTP
layer checks the variables once, here, and answers BAD_USER_INPUT naming the variable's path
(`input.rungs.3.key`). String *literals* in the document never get this far: the GraphQL lexer
refuses a surrogate escape or character as a syntax error (GRAPHQL_PARSE_FAILED).
"""

from __future__ import annotations

import re
from typing import Any

SURROGATE = re.compile("[\ud800-\udfff]")


def unpaired_surrogate_path(variables: dict[str, Any] | None) -> str | None:
    """The dotted path of the first string (value or object key) holding a surrogate, or None."""
    if not variables:
        return None
    return _find(variables, "")


def _find(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if SURROGATE.search(str(key)):
                return here
            found = _find(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find(item, f"{path}.{index}")
            if found is not None:
                return found
    return None
