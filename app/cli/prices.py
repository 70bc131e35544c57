"""`ledger prices import FILE --tenant T`: load price-book entries from JSON or CSV, then reprice.

JSON: a list of objects with the ModelPriceInput fields in camelCase (`provider`, `model`,
`effectiveFrom`, `inputPerMillion`, `outputPerMillion`, optional `cacheReadPerMillion`,
`cacheWritePerMillion`, `reasoningPerMillion`). CSV: the header
`provider,model,effectiveFrom,inputPerMillion,outputPerMillion,cacheReadPerMillion,
cacheWritePerMillion,reasoningPerMillion` (an empty optional cell = no rate of its own).
Rates are USD per million tokens, parsed as Decimal (a JSON number is read as its literal text,
never through float); `effectiveFrom` is ISO 8601 with a UTC offset. Every row is checked
before anything is written; an error names the row (1-based, data rows) and the field. All rows
are written in one transaction, a table of them is printed, and then each (provider, model) is
repriced inline (app.services.repricing) with a progress line on stderr.
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
from app.cli.output import CliError, format_table
from app.cli.servers import load_settings, resolve_servers, run_against
from app.domain.pricing import Price
from app.services.ingest.errors import FieldError
from app.services.prices import make_price, set_model_price
from app.services.repricing import RepriceResult, reprice_usage
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


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The raw rows of a .json or .csv file (by extension; other files: JSON if they parse)."""
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".csv":
        return list(csv.DictReader(content.splitlines()))
    try:
        data = json.loads(content, parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path} is neither CSV (by extension) nor valid JSON: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise CliError(f"{path}: expected a JSON list of price objects")
    return data


def parse_file(path: Path) -> list[Price]:
    prices: list[Price] = []
    for number, row in enumerate(read_rows(path), start=1):
        try:
            prices.append(parse_row(row))
        except FieldError as exc:
            raise CliError(f"{path}: row {number}, field {exc.field}: {exc}") from None
    if not prices:
        raise CliError(f"{path}: no prices in the file")
    return prices


async def import_prices(
    settings: Settings, tenant: uuid.UUID, prices: list[Price]
) -> list[tuple[str, str, int, int]]:
    """Write the prices (one transaction), then reprice each (provider, model) inline."""
    repriced: list[tuple[str, str, int, int]] = []
    async with tenant_sessions(settings) as sessions:
        await require_tenant(sessions, tenant)
        async with sessions(tenant) as session:
            for price in prices:
                await set_model_price(session=session, tenant_id=tenant, price=price)
        for provider, model in sorted({(p.provider, p.model) for p in prices}):

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
    return repriced


def cmd_import(args: argparse.Namespace) -> int:
    tenant = parse_uuid(args.tenant, "--tenant")
    prices = parse_file(Path(args.file))
    settings = resolve_servers(load_settings(), redis=False).settings
    repriced = run_against(settings, import_prices(settings, tenant, prices))
    rows = [
        (
            p.provider,
            p.model,
            p.effective_from.isoformat(),
            p.input_per_million,
            p.output_per_million,
        )
        for p in prices
    ]
    print(format_table(("provider", "model", "effective from", "input/M", "output/M"), rows))
    print()
    print(format_table(("provider", "model", "examined", "repriced"), repriced))
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    prices = commands.add_parser("prices", help="the price book")
    price_commands = prices.add_subparsers(dest="prices_command", metavar="COMMAND", required=True)
    import_parser = price_commands.add_parser(
        "import", help="import prices from JSON or CSV, then reprice the affected usage"
    )
    import_parser.add_argument("file", metavar="FILE", help="a .json or .csv file")
    import_parser.add_argument("--tenant", metavar="TENANT_ID", required=True)
    import_parser.set_defaults(handler=cmd_import)
