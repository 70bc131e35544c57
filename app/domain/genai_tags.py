"""The tags of an OpenTelemetry GenAI span: which attributes they are read from, and the reading.

Pure. Tags (workflow, correlation id, step, provider, model, reasoning effort, response id,
team, client, campaign, channel, variant, subject) are read from the span, else from its
resource: the first name of a tag's list (TAG_NAMES) found on the span wins, then the first
found on the resource. `read_tags` is the one place where span and resource attributes become
tags: one pass over the attributes, one lookup each, so a resource's tags can be read once for
all its spans.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.genai_conventions import MODEL_NAMES, PROVIDER_NAMES, RESPONSE_ID_NAMES

WORKFLOW = ("ledger.workflow", "gen_ai.workflow.name")
CORRELATION = ("ledger.correlation_id", "gen_ai.conversation.id")
STEP = ("ledger.step", "gen_ai.agent.name")
PROVIDER = PROVIDER_NAMES
MODEL = MODEL_NAMES
RUN_TAGS = ("campaign", "channel", "variant", "subject")
# A tenant's own run dimension `<key>` (declared with declareRunDimension; checked at ingest) is
# read from the attribute `ledger.dimension.<key>` into the tag `dimension.<key>`.
DIMENSION_PREFIX = "ledger.dimension."
DIMENSION_TAG_PREFIX = "dimension."

# Every tag and the attribute names it is read from, in order of preference.
TAG_NAMES: Mapping[str, tuple[str, ...]] = {
    "workflow": WORKFLOW,
    "correlation_id": CORRELATION,
    "step": STEP,
    "provider": PROVIDER,
    "model": MODEL,
    "reasoning_effort": ("gen_ai.request.reasoning.level",),
    "response_id": RESPONSE_ID_NAMES,
    "team": ("ledger.team",),
    "client_id": ("ledger.client_id",),
    **{name: (f"ledger.{name}",) for name in RUN_TAGS},
}
# attribute name -> (tag, rank among the tag's names): one lookup per attribute.
_TAG_OF_NAME: Mapping[str, tuple[str, int]] = {
    name: (tag, rank) for tag, names in TAG_NAMES.items() for rank, name in enumerate(names)
}


class InvalidTag:
    """A tag attribute whose value is not a string (nor an integer): refused when the tag is
    read, with `message` naming the attribute."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def read_tags(attributes: Mapping[str, Any]) -> dict[str, str | InvalidTag]:
    """The tags `attributes` (a span's or a resource's) carry, keyed as in TAG_NAMES: for each
    tag, the value of its first name (in TAG_NAMES order) present and not blank — stripped text
    (integers are spelled out), or InvalidTag for a boolean or another type. Absent and blank
    names are skipped; a tag none of whose names has a value is left out. An attribute
    `ledger.dimension.<key>` is the tag `dimension.<key>`.

    The one place where attributes become tags: one pass over the attributes, one lookup each.
    """
    found: dict[str, str | InvalidTag] = {}
    ranks: dict[str, int] = {}
    for name, value in attributes.items():
        entry = _TAG_OF_NAME.get(name)
        if entry is None:
            if not name.startswith(DIMENSION_PREFIX):
                continue
            entry = (DIMENSION_TAG_PREFIX + name[len(DIMENSION_PREFIX) :], 0)
        if value is None:
            continue
        tag, rank = entry
        if tag in ranks and ranks[tag] < rank:
            continue  # a preferred name of this tag has a value already
        if isinstance(value, bool) or not isinstance(value, str | int):
            found[tag] = InvalidTag(f"{name} must be a string")
        else:
            text = str(value).strip()
            if not text:
                continue
            found[tag] = text
        ranks[tag] = rank
    return found


def span_tags(
    attributes: Mapping[str, Any], resource_tags: Mapping[str, str | InvalidTag]
) -> Mapping[str, str | InvalidTag]:
    """A span's tags from its `attributes`: its own, else its resource's (`read_tags` of the
    resource)."""
    own = read_tags(attributes)
    if not resource_tags:
        return own
    return {**resource_tags, **own}
