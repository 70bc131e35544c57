"""The demo agency: its clients, workflows, price book and how each workflow behaves.

Plain data, no I/O. The numbers are chosen so the demo tells true stories: the cheaper outreach
variant fails more often and ends up costing more per accepted outcome; LinkedIn outreach gets
worse over the quarter (fewer acceptances, and fewer replies, so its cost per positive reply
rises while email's stays flat and under its ceiling); support escalates often and a few
resolved tickets are reopened inside their 48-hour hold, and it re-sends each ticket's whole
context uncached; reporting runs a reasoning model whose high effort costs ~7x medium per run
for the same acceptance; every 20th SEO audit pastes a whole site (240k tokens) into one call.
Outreach leads climb reply -> positive reply -> deal -> closed-won days after their message,
SEO audits climb published -> ranks -> inbound lead; closed-won deals bring revenue, clients pay
monthly retainers, and referral deals no agent touched stay unattributed. Lead enrichment has
earned its level-1 autonomy gate; outreach has not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from app.domain.gates import GateSpec
from app.domain.pricing import Price

TENANT_NAME = "Demo Agency (Outcome Ledger)"

# Prices in force since long before any demo window (so every event is priced).
PRICES_EFFECTIVE_FROM = datetime(2025, 1, 1, tzinfo=UTC)


PRICES: tuple[Price, ...] = (
    Price(
        "anthropic",
        "claude-sonnet-4",
        PRICES_EFFECTIVE_FROM,
        Decimal("3"),
        Decimal("15"),
        Decimal("0.30"),
        Decimal("3.75"),
    ),
    Price(
        "anthropic",
        "claude-haiku-4",
        PRICES_EFFECTIVE_FROM,
        Decimal("0.80"),
        Decimal("4"),
        Decimal("0.08"),
        Decimal("1.00"),
    ),
    Price("openai", "gpt-4.1", PRICES_EFFECTIVE_FROM, Decimal("2"), Decimal("8"), Decimal("0.50")),
    # No separate reasoning price: reasoning tokens are billed at the output rate.
    Price(
        "openai",
        "o4-mini",
        PRICES_EFFECTIVE_FROM,
        Decimal("1.10"),
        Decimal("4.40"),
        Decimal("0.275"),
    ),
)

# name -> (relative volume, workflows it buys)
CLIENTS: dict[str, tuple[float, tuple[str, ...]]] = {
    "Northwind Dental": (1.3, ("seo-audit", "outreach", "support-triage", "client-reporting")),
    "Brightline Legal": (1.0, ("lead-enrichment", "outreach", "client-reporting")),
    "Acme Roofing": (1.2, ("seo-audit", "lead-enrichment", "outreach", "client-reporting")),
    "Harbor & Pine Realty": (
        0.9,
        ("lead-enrichment", "outreach", "support-triage", "client-reporting"),
    ),
    "Summit Physio": (0.7, ("seo-audit", "support-triage", "client-reporting")),
    "Copperleaf Coffee": (0.6, ("seo-audit", "support-triage", "client-reporting")),
}


@dataclass(frozen=True)
class LlmStep:
    """One model call. Token ranges are (low, high); inputTokens excludes cached tokens."""

    step: str
    provider: str
    model: str
    input_tokens: tuple[int, int]
    output_tokens: tuple[int, int]
    cache_read_tokens: tuple[int, int] = (0, 0)
    cache_write_share: float = 0.0  # share of calls that (re)write the prompt cache
    cache_write_tokens: tuple[int, int] = (0, 0)
    reasoning_tokens: tuple[int, int] = (0, 0)
    efforts: tuple[str, ...] = ()
    latency_ms: tuple[int, int] = (800, 6000)
    repeats: tuple[int, int] = (1, 1)  # calls per run (retries, loops)
    # Reasoning-token multiplier per effort, over app.demo.generate.EFFORT_SCALE for this step.
    effort_scale: tuple[tuple[str, float], ...] = ()
    # The prompt is re-sent whole on every call: its cache reads are paid as fresh input.
    resends_context: bool = False
    # Every n-th run (by correlation id) stuffs this many extra input tokens into the call.
    long_context: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class MeteredStep:
    """A tool call, a retrieval or a third-party charge, with its reported cost."""

    step: str
    kind: str  # TOOL | RETRIEVAL | THIRD_PARTY
    provider: str
    unit_cost: Decimal
    units: tuple[int, int] = (1, 1)
    probability: float = 1.0
    channel: str | None = None  # only for runs of this channel


Step = LlmStep | MeteredStep


@dataclass(frozen=True)
class Variant:
    """An A/B arm. `drafter_model` replaces the model of the "drafter" step."""

    name: str
    share: float
    drafter_provider: str
    drafter_model: str
    acceptance_shift: float  # moved from ACCEPTED to REJECTED
    drafter_repeats: tuple[int, int]
    first_rung_factor: float = 1.0  # multiplies the chance of the first outcome rung


@dataclass(frozen=True)
class Channel:
    name: str
    share: float
    acceptance_shift: float = 0.0
    drift_over_window: float = 0.0  # extra shift reached by the end of the window
    # Chance that an accepted run's lead reaches the ladder's first outcome rung (a reply), at
    # the start and at the end of the window (linear in between); None: the profile's rate.
    first_rung_rate: tuple[float, float] | None = None


@dataclass(frozen=True)
class OutcomeStep:
    """A rung after `accepted`: reached with `rate` by those that reached the previous rung,
    `delay_days` (low, high) after it."""

    rung: str
    rate: float
    delay_days: tuple[float, float]


@dataclass(frozen=True)
class WorkflowProfile:
    key: str
    name: str
    division: str
    volume_share: float
    statuses: dict[str, float]  # finished statuses -> weight
    duration_minutes: tuple[float, float]
    steps: tuple[Step, ...]
    teams: tuple[str, ...]
    subject_prefix: str
    acceptance_hold_hours: int = 0
    ladder: tuple[tuple[str, str], ...] | None = None
    campaigns: tuple[str, ...] = ()
    channels: tuple[Channel, ...] = ()
    variants: tuple[Variant, ...] = ()
    monthly_infra: Decimal = Decimal("0")
    reopen_rate: float = 0.0  # share of accepted runs reopened inside the hold
    outcomes: tuple[OutcomeStep, ...] = ()  # the ladder's rungs after `accepted`, in order
    reviewers: tuple[str, ...] = ("maria.k", "dev.patel", "sam.o")
    reject_reasons: tuple[str, ...] = ("missed the brief",)


SONNET = ("anthropic", "claude-sonnet-4")
HAIKU = ("anthropic", "claude-haiku-4")
GPT41 = ("openai", "gpt-4.1")
O4MINI = ("openai", "o4-mini")

WORKFLOWS: tuple[WorkflowProfile, ...] = (
    WorkflowProfile(
        key="seo-audit",
        name="SEO audit",
        division="content",
        volume_share=0.15,
        statuses={
            "ACCEPTED": 78,
            "REJECTED": 10,
            "ABANDONED": 3,
            "TIMED_OUT": 4,
            "TOOL_ERROR": 4,
            "ESCALATED": 1,
        },
        duration_minutes=(6, 25),
        steps=(
            LlmStep(
                "planner",
                *SONNET,
                (1500, 4000),
                (300, 900),
                (2000, 6000),
                0.2,
                (2000, 5000),
                long_context=(20, 240_000),  # every 20th audit pastes the whole site
            ),
            MeteredStep("crawler", "TOOL", "firecrawl", Decimal("0.0016"), (8, 40)),
            MeteredStep("retriever", "RETRIEVAL", "pinecone", Decimal("0.0004"), (2, 6)),
            LlmStep(
                "drafter",
                *SONNET,
                (3000, 9000),
                (1200, 3500),
                (6000, 18000),
                0.15,
                (4000, 9000),
                latency_ms=(4000, 20000),
                repeats=(2, 6),
            ),
            LlmStep("verifier", *HAIKU, (2000, 6000), (200, 600), (3000, 8000), 0.1, (2000, 4000)),
        ),
        teams=("content",),
        subject_prefix="audit",
        ladder=(
            ("accepted", "Audit accepted"),
            ("published", "Fixes published"),
            ("ranks", "Ranks in the top 10"),
            ("inbound-lead", "Inbound lead"),
        ),
        outcomes=(
            OutcomeStep("published", 0.70, (2, 8)),
            OutcomeStep("ranks", 0.45, (10, 35)),
            OutcomeStep("inbound-lead", 0.35, (3, 25)),
        ),
        campaigns=("technical-seo", "local-seo"),
        monthly_infra=Decimal("140.00"),
        reject_reasons=("recommendations too generic", "missed key pages", "factual error"),
    ),
    WorkflowProfile(
        key="lead-enrichment",
        name="Lead enrichment",
        division="growth",
        volume_share=0.30,
        statuses={
            "ACCEPTED": 82,
            "REJECTED": 6,
            "ABANDONED": 2,
            "TIMED_OUT": 3,
            "TOOL_ERROR": 6,
            "ESCALATED": 1,
        },
        duration_minutes=(0.5, 3),
        steps=(
            LlmStep(
                "classifier",
                *O4MINI,
                (800, 2500),
                (80, 250),
                (0, 1500),
                0.0,
                (0, 0),
                reasoning_tokens=(300, 2500),
                efforts=("low", "medium"),
                latency_ms=(1500, 9000),
            ),
            MeteredStep("data-credits", "THIRD_PARTY", "apollo", Decimal("0.10"), (1, 3)),
            MeteredStep("retriever", "RETRIEVAL", "pinecone", Decimal("0.0004"), (1, 3)),
            LlmStep(
                "enricher", *GPT41, (1200, 4000), (200, 700), (2000, 8000), latency_ms=(900, 5000)
            ),
            MeteredStep(
                "email-verification", "THIRD_PARTY", "neverbounce", Decimal("0.008"), (1, 2)
            ),
        ),
        teams=("revops",),
        subject_prefix="lead",
        campaigns=("spring-push", "referrals", "new-market"),
        monthly_infra=Decimal("95.00"),
        reject_reasons=("wrong company match", "stale contact", "duplicate lead"),
    ),
    WorkflowProfile(
        key="outreach",
        name="Outbound outreach",
        division="growth",
        volume_share=0.25,
        statuses={
            "ACCEPTED": 80,
            "REJECTED": 9,
            "ABANDONED": 4,
            "TIMED_OUT": 2,
            "TOOL_ERROR": 3,
            "ESCALATED": 2,
        },
        duration_minutes=(1, 6),
        steps=(
            LlmStep(
                "researcher",
                *GPT41,
                (6000, 14000),
                (400, 900),
                (10000, 26000),
                latency_ms=(2000, 9000),
            ),
            MeteredStep("retriever", "RETRIEVAL", "pinecone", Decimal("0.0004"), (2, 5)),
            LlmStep(
                "drafter", *SONNET, (1500, 3000), (500, 1100), (5000, 11000), 0.1, (3000, 6000)
            ),
            LlmStep("verifier", *HAIKU, (1500, 3500), (100, 300), (2000, 5000)),
            MeteredStep(
                "email-verification",
                "THIRD_PARTY",
                "neverbounce",
                Decimal("0.008"),
                channel="email",
            ),
            MeteredStep("send", "TOOL", "linkedin-automation", Decimal("0.02"), channel="linkedin"),
        ),
        teams=("outbound-east", "outbound-west"),
        subject_prefix="lead",
        acceptance_hold_hours=0,
        ladder=(
            ("accepted", "Run accepted"),
            ("reply", "Reply"),
            ("positive-reply", "Positive reply"),
            ("deal", "Deal opened"),
            ("closed-won", "Closed won"),
        ),
        outcomes=(
            OutcomeStep("reply", 0.12, (0.3, 6)),
            OutcomeStep("positive-reply", 0.45, (0, 1.5)),
            OutcomeStep("deal", 0.40, (2, 10)),
            OutcomeStep("closed-won", 0.45, (4, 16)),
        ),
        campaigns=("spring-push", "referrals", "new-market"),
        channels=(
            Channel("email", 0.65, first_rung_rate=(0.13, 0.13)),
            Channel(
                "linkedin",
                0.35,
                acceptance_shift=0.04,
                drift_over_window=0.18,
                first_rung_rate=(0.14, 0.035),
            ),
        ),
        variants=(
            Variant("sonnet", 0.5, *SONNET, acceptance_shift=0.0, drafter_repeats=(1, 1)),
            Variant(
                "haiku",
                0.5,
                *HAIKU,
                acceptance_shift=0.30,
                drafter_repeats=(1, 4),
                first_rung_factor=0.8,
            ),
        ),
        monthly_infra=Decimal("120.00"),
        reject_reasons=(
            "off-brand tone",
            "wrong decision maker",
            "generic opener",
            "factual error",
        ),
    ),
    WorkflowProfile(
        key="support-triage",
        name="Support triage",
        division="operations",
        volume_share=0.20,
        statuses={
            "ACCEPTED": 72,
            "REJECTED": 5,
            "ABANDONED": 4,
            "TIMED_OUT": 2,
            "TOOL_ERROR": 2,
            "ESCALATED": 15,
        },
        duration_minutes=(2, 40),
        steps=(
            LlmStep(
                "classifier",
                *HAIKU,
                (600, 1800),
                (40, 120),
                (1500, 4000),
                0.05,
                (1500, 3000),
                latency_ms=(400, 1500),
                resends_context=True,
            ),
            MeteredStep("retriever", "RETRIEVAL", "pinecone", Decimal("0.0004"), (1, 4)),
            LlmStep(
                "responder",
                *GPT41,
                (1500, 5000),
                (250, 800),
                (3000, 12000),
                latency_ms=(1500, 7000),
                repeats=(1, 3),
                resends_context=True,  # the ticket history and help-centre pages, every call
            ),
            LlmStep(
                "policy-check",
                *O4MINI,
                (1000, 3000),
                (60, 200),
                reasoning_tokens=(500, 4000),
                efforts=("medium",),
                latency_ms=(2000, 12000),
            ),
            MeteredStep("helpdesk-api", "TOOL", "zendesk", Decimal("0.001"), (1, 3)),
        ),
        teams=("support",),
        subject_prefix="ticket",
        acceptance_hold_hours=48,
        monthly_infra=Decimal("110.00"),
        reopen_rate=0.004,
        reject_reasons=("wrong answer", "policy violation", "missed attachment"),
    ),
    WorkflowProfile(
        key="client-reporting",
        name="Client reporting",
        division="operations",
        volume_share=0.10,
        statuses={"ACCEPTED": 90, "REJECTED": 5, "ABANDONED": 1, "TIMED_OUT": 2, "TOOL_ERROR": 2},
        duration_minutes=(5, 18),
        steps=(
            MeteredStep("warehouse-query", "TOOL", "bigquery", Decimal("0.0125"), (2, 8)),
            LlmStep(
                "analyst",
                *O4MINI,
                (4000, 12000),
                (800, 2000),
                (2000, 8000),
                reasoning_tokens=(2000, 9000),
                efforts=("medium", "high"),
                # high effort thinks ~41x longer: the run costs ~7x, acceptance is the same
                effort_scale=(("high", 41.0),),
                latency_ms=(6000, 30000),
            ),
            LlmStep(
                "writer",
                *SONNET,
                (2000, 5000),
                (1500, 3000),
                (6000, 15000),
                0.2,
                (4000, 8000),
                latency_ms=(5000, 20000),
            ),
        ),
        teams=("analytics",),
        subject_prefix="report",
        monthly_infra=Decimal("60.00"),
        reject_reasons=("numbers do not match dashboard", "missing channel breakdown"),
    ),
)

FAILURE_REVIEWERS = {
    "ABANDONED": "system:orchestrator",
    "TIMED_OUT": "system:orchestrator",
    "TOOL_ERROR": "system:orchestrator",
    "ESCALATED": "system:router",
}
FAILURE_REASONS = {
    "ABANDONED": ("client paused the request", "superseded by a newer run"),
    "TIMED_OUT": ("model call exceeded 120 s", "step budget exhausted"),
    "TOOL_ERROR": ("upstream API returned 502", "rate limited by provider", "schema mismatch"),
    "ESCALATED": ("low confidence, sent to a human", "VIP customer", "legal question"),
}
REOPEN_REASON = "reopened by the customer"


# --- cost ceilings, autonomy gates, baselines and revenue --------------------------------


@dataclass(frozen=True)
class CeilingSpec:
    workflow_key: str
    rung: str
    dimension: str
    value: str
    ceiling: Decimal


# Outreach may spend at most $3.50 per positive reply on each channel: email stays well under it,
# LinkedIn (fewer acceptances, fewer replies as the quarter goes on) ends far over it: throttle.
CEILINGS: tuple[CeilingSpec, ...] = (
    CeilingSpec("outreach", "positive-reply", "CHANNEL", "email", Decimal("3.50")),
    CeilingSpec("outreach", "positive-reply", "CHANNEL", "linkedin", Decimal("3.50")),
)


@dataclass(frozen=True)
class DemoGate:
    """An autonomy gate as `setAutonomyGate` takes it: the workflow and its definition."""

    workflow_key: str
    spec: GateSpec


def level_one_gate(
    workflow_key: str, min_acceptance_rate: float, max_cost_per_outcome: str, max_drift_pct: float
) -> DemoGate:
    """A level-1 gate judged on the last 30 days: at least 50 runs, 95% confidence."""
    return DemoGate(
        workflow_key,
        GateSpec(
            target_level=1,
            min_acceptance_rate=min_acceptance_rate,
            min_sample_size=50,
            confidence=0.95,
            max_cost_per_outcome=Decimal(max_cost_per_outcome),
            max_drift_pct=max_drift_pct,
            window_days=30,
        ),
    )


GATE_ACTOR = "demo:seed"
GATES: tuple[DemoGate, ...] = (
    # Ready: ~83% of enrichments are accepted, at ~$0.40 each (infrastructure included), with
    # no upward drift; budget $1.00. Level 1 still reviews every output, so the drift
    # tolerance is loose.
    level_one_gate("lead-enrichment", 0.70, "1.00", 60.0),
    # Blocked: the haiku variant and LinkedIn drag acceptance to ~2/3, cost per accepted
    # message (~$0.32) is over its $0.20 budget.
    level_one_gate("outreach", 0.80, "0.20", 10.0),
)


@dataclass(frozen=True)
class BaselineSpec:
    """What the manual process earned per comparable outcome, and cost in human time."""

    workflow_key: str
    revenue_per_success: Decimal
    human_cost_per_task: Decimal | None


BASELINES: tuple[BaselineSpec, ...] = (
    BaselineSpec("seo-audit", Decimal("4.00"), Decimal("180.00")),
    BaselineSpec("lead-enrichment", Decimal("0.50"), Decimal("2.50")),
    BaselineSpec("outreach", Decimal("2.00"), Decimal("6.00")),
    BaselineSpec("support-triage", Decimal("0"), Decimal("4.50")),
    BaselineSpec("client-reporting", Decimal("3.00"), Decimal("60.00")),
)

# Monthly retainer per unit of client volume (CLIENTS), paid on the 1st; deal sizes of
# closed-won outreach leads; referral deals that no agent run sourced (never attributed).
RETAINER_PER_VOLUME = Decimal("3000.00")
DEAL_SIZE = (1_500, 12_000)
REFERRAL_DEAL_SIZE = (800, 4_000)
REFERRALS_PER_MONTH = 2
