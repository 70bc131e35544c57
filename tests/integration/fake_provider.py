"""A fake model provider on a loopback port: OpenAI chat completions and Anthropic messages
with the token counts of the OTLP library tests, so real SDKs and instrumentations run
unmodified against it.

OpenAI: 1000 prompt tokens of which 600 cached, 200 completion tokens of which 50 reasoning.
Anthropic: 400 uncached input, 600 cache read, 100 cache write, 200 output.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OPENAI_MODEL = "gpt-5-mini"
ANTHROPIC_MODEL = "claude-sonnet-4"
OPENAI_RESPONSE_ID = "chatcmpl-ledger0001"
ANTHROPIC_RESPONSE_ID = "msg_01LedgerFakeProvider"


def openai_completion(response_id: str) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "chat.completion",
        "created": 1772359200,
        "model": OPENAI_MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Resolved.", "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": 1000,
            "completion_tokens": 200,
            "total_tokens": 1200,
            "prompt_tokens_details": {"cached_tokens": 600, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 50,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_ledger",
    }


def anthropic_message(response_id: str) -> dict[str, Any]:
    return {
        "id": response_id,
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_MODEL,
        "content": [{"type": "text", "text": "Resolved."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 400,
            "cache_read_input_tokens": 600,
            "cache_creation_input_tokens": 100,
            "output_tokens": 200,
            "service_tier": "standard",
        },
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        self.server.calls += 1
        suffix = f"{self.server.calls:04d}"
        if self.path.endswith("/chat/completions"):
            body = openai_completion(f"{OPENAI_RESPONSE_ID[:-4]}{suffix}")
            headers = {"x-request-id": f"req_{suffix}"}
        elif self.path.endswith("/messages"):
            body = anthropic_message(f"{ANTHROPIC_RESPONSE_ID}{suffix}")
            headers = {"request-id": f"req_{suffix}"}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    calls = 0


@contextmanager
def fake_provider() -> Iterator[str]:
    """Serve the fake provider on 127.0.0.1; yields its base URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
