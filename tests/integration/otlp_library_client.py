"""One user's program: a real SDK, a real instrumentation library, the OTel SDK's global
TracerProvider and its OTLP/HTTP exporter sending to the ledger — run as its own process (the
global provider can be set once per process, and instrumentations patch SDK classes).

    python -m tests.integration.otlp_library_client LIBRARY LEDGER_URL API_KEY PROVIDER_URL RUN

LIBRARY: openai-v2 | openllmetry-openai | openinference-openai | anthropic-sdk |
openllmetry-anthropic. Makes one model call against PROVIDER_URL with the span resource
`ledger.workflow=support`, `ledger.correlation_id=RUN`, then flushes the exporter.
"""

from __future__ import annotations

import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def instrument(library: str, provider: TracerProvider) -> None:
    if library == "openai-v2":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=provider)
    elif library == "openllmetry-openai":
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor as Openllmetry

        Openllmetry().instrument(tracer_provider=provider)
    elif library == "openinference-openai":
        from openinference.instrumentation.openai import OpenAIInstrumentor as OpenInference

        OpenInference().instrument(tracer_provider=provider)
    elif library == "openllmetry-anthropic":
        from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor

        AnthropicInstrumentor().instrument(tracer_provider=provider)
    elif library != "anthropic-sdk":  # the SDK traces by itself once a provider exists
        raise SystemExit(f"unknown library {library}")


def call(library: str, provider_url: str) -> None:
    if "anthropic" in library:
        import anthropic

        client = anthropic.Anthropic(api_key="test", base_url=provider_url, max_retries=0)
        client.messages.create(
            model="claude-sonnet-4", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
        )
    else:
        import openai

        openai_client = openai.OpenAI(api_key="test", base_url=f"{provider_url}/v1", max_retries=0)
        openai_client.chat.completions.create(
            model="gpt-5-mini", messages=[{"role": "user", "content": "hi"}]
        )


def main(library: str, ledger_url: str, key: str, provider_url: str, run: str) -> None:
    resource = Resource.create(
        {"service.name": "agent", "ledger.workflow": "support", "ledger.correlation_id": run}
    )
    provider = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter(
        endpoint=f"{ledger_url}/v1/traces", headers={"Authorization": f"Bearer {key}"}
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    instrument(library, provider)
    call(library, provider_url)
    provider.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:6])
