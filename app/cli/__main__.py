"""`python -m app.cli` runs the `ledger` command."""

import sys

from app.cli import main

sys.exit(main())
