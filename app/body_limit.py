"""The request body limit (`LEDGER_MAX_BODY_BYTES`), answered as JSON with a stable code.

Starlette's own limit (`Starlette(max_body_size=...)`) answers a plain-text "Content Too Large".
This middleware applies the same limit and answers 413 with a JSON body every client can parse:

- `/graphql`: a GraphQL-shaped error,
  `{"data": null, "errors": [{"message", "extensions": {"code": "PAYLOAD_TOO_LARGE", "limit"}}]}`;
- any other path (`/v1/events`): `{"code": "PAYLOAD_TOO_LARGE", "message", "limit"}`, the shape of
  the ingest endpoint's other errors.

How: `receive` raises `BodyTooLarge` (a starlette `HTTPException(413)`) once the declared
Content-Length or the bytes received pass the limit. A route that handles it itself keeps its own
answer (`/v1/traces` answers in OTLP's Status encoding); otherwise starlette's exception middleware
turns it into a plain-text 413, which this middleware replaces with the JSON body before anything
is sent. A body is never read past the limit.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413, detail="Content Too Large")


def too_large_body(path: str, limit: int) -> bytes:
    message = f"the request body exceeds the limit of {limit} bytes (LEDGER_MAX_BODY_BYTES)"
    body: dict[str, Any]
    if path.rstrip("/") == "/graphql":
        extensions = {"code": PAYLOAD_TOO_LARGE, "limit": limit}
        body = {"data": None, "errors": [{"message": message, "extensions": extensions}]}
    else:
        body = {"code": PAYLOAD_TOO_LARGE, "message": message, "limit": limit}
    return json.dumps(body).encode()


class JsonBodyLimit:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        declared = _content_length(scope)
        received = 0
        tripped = False
        replacing = False

        async def limited_receive() -> Message:
            nonlocal received, tripped
            if declared is not None and declared > limit:
                tripped = True
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    tripped = True
                    raise BodyTooLarge
            return message

        async def json_send(message: Message) -> None:
            nonlocal replacing
            if message["type"] == "http.response.start":
                plain = dict(message.get("headers") or []).get(b"content-type", b"")
                if tripped and message["status"] == 413 and plain.startswith(b"text/plain"):
                    replacing = True
                    body = too_large_body(scope["path"], limit)
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 413,
                            "headers": [
                                (b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                            ],
                        }
                    )
                    await send({"type": "http.response.body", "body": body})
                    return
            if replacing:  # the plain-text body (and any later part) of the replaced response
                return
            await send(message)

        await self.app(scope, limited_receive, json_send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
