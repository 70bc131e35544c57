"""What `ledger` prints: aligned tables, a progress bar, and errors that name the fix."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import TextIO

USAGE_ERROR = 2  # bad arguments or configuration (argparse uses 2 as well)
FAILURE = 1  # the command was well formed but could not do its work


class CliError(Exception):
    """A failure the user can act on: what went wrong, and how to fix it."""

    def __init__(self, problem: str, fix: str | None = None, *, exit_code: int = FAILURE) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.exit_code = exit_code


def usage_error(problem: str, fix: str | None = None) -> CliError:
    return CliError(problem, fix, exit_code=USAGE_ERROR)


def print_error(error: CliError, stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    print(f"ledger: error: {error.problem}", file=out)
    if error.fix:
        print(f"  fix: {error.fix}", file=out)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned, text left-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(value) for value in row] for row in rows]
    numeric = [
        bool(rows) and all(_is_number(row[i]) or row[i] is None for row in rows)
        for i in range(len(headers))
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]

    def render(line: list[str]) -> str:
        parts = [
            cell.rjust(width) if is_num else cell.ljust(width)
            for cell, width, is_num in zip(line, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(cells[0]), rule, *(render(line) for line in cells[1:])])


class ProgressBar:
    """A dependency-free progress bar on stderr.

    On a terminal it redraws one line in place; elsewhere (CI logs, pipes) it prints a line at
    every 25 % so logs stay short.
    """

    def __init__(self, total: int, label: str, *, stream: TextIO | None = None, width: int = 30):
        self.total = max(total, 0)
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.done = 0
        self.started = time.monotonic()
        self._interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_quarter = -1

    def advance(self, amount: int, label: str | None = None) -> None:
        self.done = min(self.total, self.done + amount)
        if label is not None:
            self.label = label
        self._draw()

    def _fraction(self) -> float:
        return 1.0 if self.total == 0 else self.done / self.total

    def _line(self) -> str:
        fraction = self._fraction()
        filled = int(self.width * fraction)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self.started
        return (
            f"{self.label:<10} [{bar}] {fraction * 100:5.1f}%  "
            f"{self.done:,}/{self.total:,}  {elapsed:5.1f}s"
        )

    def _draw(self) -> None:
        if self._interactive:
            self.stream.write("\r" + self._line())
            self.stream.flush()
            return
        quarter = int(self._fraction() * 4)
        if quarter != self._last_quarter:
            self._last_quarter = quarter
            print(self._line(), file=self.stream, flush=True)

    def close(self) -> None:
        if self._interactive:
            self.stream.write("\r" + self._line() + "\n")
            self.stream.flush()
        elif self._last_quarter < 4:
            print(self._line(), file=self.stream, flush=True)

    def __enter__(self) -> ProgressBar:
        self._draw()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
