"""Which media type a GraphQL response is sent as, chosen by the request's `Accept` header.

GraphQL over HTTP defines two: `application/graphql-response+json`, whose status codes say what
happened (400 for a document that does not parse or validate, or variables that do not coerce),
and the legacy `application/json`, which answers 200 for any well-formed GraphQL request.

- `application/graphql-response+json` is chosen only when the client names it, and its quality is
  at least that of `application/json` (urql and graphql-http name it first);
- `application/json` is chosen when named, for `application/*` and `*/*` (Apollo Client sends
  `*/*`), and when `Accept` is absent or empty, as the spec asks during its transition period;
- None when the client accepts neither: the caller answers 406.
"""

from __future__ import annotations

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 1.0


def accepted(accept: str | None) -> dict[str, float]:
    """Media range -> quality, from an Accept header (the highest quality when repeated)."""
    ranges: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *params = part.split(";")
        media = media.strip().lower()
        if media:
            ranges[media] = max(ranges.get(media, 0.0), _quality(params))
    return ranges


def negotiate(accept: str | None) -> str | None:
    """The response media type for this Accept header, or None when neither is acceptable."""
    ranges = accepted(accept)
    if not ranges:
        return APPLICATION_JSON
    graphql_response = ranges.get(GRAPHQL_RESPONSE_JSON, 0.0)
    json = max(
        ranges.get(APPLICATION_JSON, 0.0), ranges.get("application/*", 0.0), ranges.get("*/*", 0.0)
    )
    if graphql_response > 0 and graphql_response >= json:
        return GRAPHQL_RESPONSE_JSON
    if json > 0:
        return APPLICATION_JSON
    return None


def wants_html(accept: str | None) -> bool:
    """A browser navigating to the endpoint (it names text/html): the IDE's page, not JSON."""
    return accepted(accept).get("text/html", 0.0) > 0
