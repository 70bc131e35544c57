"""The default price list shipped with the product: list prices of common models.

`default_prices.json` has the exact format of `ledger prices import FILE.json` (a JSON list of
ModelPriceInput objects in camelCase, rates as decimal strings) and is parsed and validated by
the same code (app.cli.prices.parse_text). It is package data: shipped in the wheel and read with
importlib.resources. Nothing loads it unless asked (`ledger prices import --defaults`).
"""

from __future__ import annotations

from importlib import resources

DEFAULT_PRICES_FILE = "default_prices.json"
DEFAULT_PRICES_NAME = f"app/pricing/{DEFAULT_PRICES_FILE}"
"""How errors and listings name the shipped file."""


def default_prices_text() -> str:
    """The shipped price list, as text (JSON)."""
    return resources.files(__package__).joinpath(DEFAULT_PRICES_FILE).read_text(encoding="utf-8")
