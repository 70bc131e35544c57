"""`ledger prices import FILE|--defaults --tenant T` and `ledger prices defaults`: the price book.

JSON: a list of objects with the ModelPriceInput fields in camelCase (`provider`, `model`,
`effectiveFrom`, `inputPerMillion`, `outputPerMillion`, optional `cacheReadPerMillion`,
`cacheWritePerMillion`, `reasoningPerMillion`). CSV: the header
`provider,model,effectiveFrom,inputPerMillion,outputPerMillion,cacheReadPerMillion,
cacheWritePerMillion,reasoningPerMillion` (an empty optional cell = no rate of its own).
Rates are USD per million tokens, parsed as Decimal (a JSON number is read as its literal text,
never through float); `effectiveFrom` is ISO 8601 with a UTC offset. Every row is checked
before anything is written; an error names the row (1-based, data rows) and the field. All rows
are written in one transaction, a table of them is printed, and then each (provider, model) is
repriced inline (app.services.pricing.repricing) with a progress line on stderr.

`--defaults` imports the price list shipped with the product (app/pricing/default_prices.json,
the same JSON format, parsed by the same code) instead of a file. It never overwrites: where the
tenant already has a price for (provider, model, effectiveFrom) that price is kept, and the
printed table says so ("kept tenant price" when its rates differ, "already loaded" when they are
the same); only the prices actually added are repriced. `ledger prices defaults` prints the
shipped list without touching any database.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.cli.admin import parse_uuid, require_tenant, tenant_sessions
from app.cli.commands import Commands, command_group
from app.cli.output import CliError, format_table
from app.cli.servers import load_settings, resolve_servers, run_against
from app.domain.pricing import Price
from app.pricing import DEFAULT_PRICES_NAME, default_prices_text
from app.services.ingest.errors import FieldError
from app.services.pricing.prices import add_model_price_if_absent, make_price, set_model_price
from app.services.pricing.repricing import RepriceResult, reprice_usage
from app.settings import Settings

REQUIRED = ("provider", "model", "effectiveFrom", "inputPerMillion", "outputPerMillion")
OPTIONAL = ("cacheReadPerMillion", "cacheWritePerMillion", "reasoningPerMillion")
FIELDS = REQUIRED + OPTIONAL


def _text(row: dict[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return str(value).strip()


def _decimal(row: dict[str, Any], name: str) -> Decimal | None:
    value = _text(row, name)
    if value is None:
        if name in REQUIRED:
            raise FieldError(name, "is required")
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise FieldError(name, f"is not a decimal number: {value!r}") from None


def parse_row(row: dict[str, Any]) -> Price:
    """One price from one JSON object or CSV row; FieldError naming the field."""
    unknown = sorted(set(row) - set(FIELDS))
    if unknown:
        raise FieldError(unknown[0], f"is not a price field (expected {', '.join(FIELDS)})")
    for name in ("provider", "model", "effectiveFrom"):
        if _text(row, name) is None:
            raise FieldError(name, "is required")
    when = str(_text(row, "effectiveFrom"))
    try:
        effective_from = datetime.fromisoformat(when)
    except ValueError:
        raise FieldError("effectiveFrom", f"is not an ISO 8601 date-time: {when!r}") from None
    input_rate, output_rate = _decimal(row, "inputPerMillion"), _decimal(row, "outputPerMillion")
    assert input_rate is not None and output_rate is not None
    return make_price(
        provider=str(_text(row, "provider")),
        model=str(_text(row, "model")),
        effective_from=effective_from,
        input_per_million=input_rate,
        output_per_million=output_rate,
        cache_read_per_million=_decimal(row, "cacheReadPerMillion"),
        cache_write_per_million=_decimal(row, "cacheWritePerMillion"),
        reasoning_per_million=_decimal(row, "reasoningPerMillion"),
    )


def rows_from_text(content: str, name: str, *, is_csv: bool) -> list[dict[str, Any]]:
    """The raw rows of CSV or JSON text; `name` names the source in errors."""
    if is_csv:
        return list(csv.DictReader(content.splitlines()))
    try:
        data = json.loads(content, parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise CliError(f"{name} is neither CSV (by extension) nor valid JSON: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise CliError(f"{name}: expected a JSON list of price objects")
    return data


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The raw rows of a .json or .csv file (by extension; other files: JSON if they parse)."""
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    return rows_from_text(content, str(path), is_csv=path.suffix.lower() == ".csv")


def parse_rows(rows: list[dict[str, Any]], name: str) -> list[Price]:
    """Every row checked; the first bad one is a CliError naming the row (1-based) and field."""
    prices: list[Price] = []
    for number, row in enumerate(rows, start=1):
        try:
            prices.append(parse_row(row))
        except FieldError as exc:
            raise CliError(f"{name}: row {number}, field {exc.field}: {exc}") from None
    if not prices:
        raise CliError(f"{name}: no prices in the file")
    return prices


def parse_file(path: Path) -> list[Price]:
    return parse_rows(read_rows(path), str(path))


def parse_defaults() -> list[Price]:
    """The shipped default price list, through the same parser and checks as a file."""
    rows = rows_from_text(default_prices_text(), DEFAULT_PRICES_NAME, is_csv=False)
    return parse_rows(rows, DEFAULT_PRICES_NAME)


IMPORTED, ALREADY_LOADED, KEPT = "imported", "already loaded", "kept tenant price"


def _same_rates(a: Price, b: Price) -> bool:
    return all(getattr(a, column) == getattr(b, column) for column in RATE_FIELDS)


RATE_FIELDS = (
    "input_per_million",
    "output_per_million",
    "cache_read_per_million",
    "cache_write_per_million",
    "reasoning_per_million",
)


async def import_prices(
    settings: Settings, tenant: uuid.UUID, prices: list[Price], *, keep_existing: bool = False
) -> tuple[list[str], list[tuple[str, str, int, int]]]:
    """Write the prices (one transaction), then reprice each (provider, model) written inline.

    Returns (a status per price, the repricing per model). Without `keep_existing` every price
    is written (replacing one at the same effective date): status "imported". With it, a price
    the tenant already has at that (provider, model, effective date) is left as it is: status
    "already loaded" (same rates) or "kept tenant price" (different rates), and not repriced.
    """
    statuses: list[str] = []
    repriced: list[tuple[str, str, int, int]] = []
    async with tenant_sessions(settings) as sessions:
        await require_tenant(sessions, tenant)
        async with sessions(tenant) as session:
            for price in prices:
                if not keep_existing:
                    await set_model_price(session=session, tenant_id=tenant, price=price)
                    statuses.append(IMPORTED)
                    continue
                existing = await add_model_price_if_absent(
                    session=session, tenant_id=tenant, price=price
                )
                if existing is None:
                    statuses.append(IMPORTED)
                else:
                    statuses.append(ALREADY_LOADED if _same_rates(existing, price) else KEPT)
        written = {
            (p.provider, p.model)
            for p, status in zip(prices, statuses, strict=True)
            if status == IMPORTED
        }
        for provider, model in sorted(written):

            async def progress(result: RepriceResult, name: str = f"{provider}/{model}") -> None:
                print(
                    f"repricing {name}: {result.examined:,} examined, {result.changed:,} changed",
                    file=sys.stderr,
                )

            result = await reprice_usage(
                sessions=sessions,
                tenant_id=tenant,
                provider=provider,
                model=model,
                now=datetime.now(UTC),
                after_batch=progress,
            )
            repriced.append((provider, model, result.examined, result.changed))
    return statuses, repriced


PRICE_HEADERS = (
    "provider",
    "model",
    "effective from",
    "input/M",
    "output/M",
    "cache read/M",
    "cache write/M",
    "reasoning/M",
)


def _shown(rate: Decimal) -> Decimal:
    """A rate without the padding zeros of NUMERIC(20, 10), but with at least 2 places."""
    plain = rate.normalize()
    exponent = plain.as_tuple().exponent
    return plain if isinstance(exponent, int) and exponent <= -2 else rate.quantize(Decimal("0.01"))


def price_rows(prices: list[Price]) -> list[tuple[object, ...]]:
    """One table row per price; a rate without its own value shows what it falls back to."""
    return [
        (
            p.provider,
            p.model,
            p.effective_from.isoformat(),
            _shown(p.input_per_million),
            _shown(p.output_per_million),
            "= input" if p.cache_read_per_million is None else _shown(p.cache_read_per_million),
            "= input" if p.cache_write_per_million is None else _shown(p.cache_write_per_million),
            "= output" if p.reasoning_per_million is None else _shown(p.reasoning_per_million),
        )
        for p in prices
    ]


def cmd_import(args: argparse.Namespace) -> int:
    tenant = parse_uuid(args.tenant, "--tenant")
    if (args.file is None) == (not args.defaults):
        raise CliError("give either a FILE or --defaults (not both)")
    prices = parse_defaults() if args.defaults else parse_file(Path(args.file))
    settings = resolve_servers(load_settings(), redis=False).settings
    statuses, repriced = run_against(
        settings, import_prices(settings, tenant, prices, keep_existing=args.defaults)
    )
    rows = [(*row, status) for row, status in zip(price_rows(prices), statuses, strict=True)]
    print(format_table((*PRICE_HEADERS, "status"), rows))
    skipped = sum(status != IMPORTED for status in statuses)
    print(f"\n{len(prices) - skipped} imported, {skipped} skipped (the tenant's price is kept)")
    if repriced:
        print()
        print(format_table(("provider", "model", "examined", "repriced"), repriced))
    return 0


def cmd_defaults(args: argparse.Namespace) -> int:
    """Print the shipped default price list (no database needed)."""
    prices = parse_defaults()
    print(format_table(PRICE_HEADERS, price_rows(prices)))
    print(f"\n{len(prices)} prices in {DEFAULT_PRICES_NAME} (USD per million tokens)")
    return 0


def register(commands: Commands) -> None:
    price_commands = command_group(commands, "prices", "the price book")
    import_parser = price_commands.add_parser(
        "import", help="import prices from JSON or CSV, then reprice the affected usage"
    )
    import_parser.add_argument("file", metavar="FILE", nargs="?", help="a .json or .csv file")
    import_parser.add_argument(
        "--defaults",
        action="store_true",
        help="import the shipped default price list; the tenant's own prices are never replaced",
    )
    import_parser.add_argument("--tenant", metavar="TENANT_ID", required=True)
    import_parser.set_defaults(handler=cmd_import)
    defaults_parser = price_commands.add_parser(
        "defaults", help="print the shipped default price list (imports nothing)"
    )
    defaults_parser.set_defaults(handler=cmd_defaults)
