"""What every command shares: the async runner, the error boundary, JSON and table output."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import wraps
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from oddscore.jsonable import to_jsonable

__all__ = [
    "JsonOption",
    "console",
    "err_console",
    "fail",
    "handle_errors",
    "parse_date",
    "parse_price",
    "print_json",
    "print_refused",
    "print_table",
    "run",
    "to_jsonable",
    "working",
]

P = ParamSpec("P")
R = TypeVar("R")

console = Console()
err_console = Console(stderr=True)

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")
]


def run(coro: Awaitable[R]) -> R:
    """Run one coroutine from a synchronous command."""
    import asyncio  # here, not at the top: `odds --help` and the arithmetic tools need no loop

    return asyncio.run(coro)  # type: ignore[arg-type]


@contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner on stderr while work of unknown length runs; nothing when not a terminal
    (pipes, ``--json`` consumers and tests see only the command's output)."""
    if not err_console.is_terminal:
        yield
        return
    with err_console.status(message):
        yield


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one red line and return the exit to raise: ``raise fail("...")``."""
    from oddscore.logs import redact

    err_console.print(f"[bold red]error:[/] {redact(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code=code)


def parse_date(value: str, name: str) -> date:
    """An ISO date given as option ``name``, or a red line naming that option."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{name} must be a date like 2023-12-01, got {value!r}") from None


def parse_price(text: str, name: str) -> float:
    """Decimal odds from ``+150``/``-120`` (American: signed) or ``2.5`` (decimal: unsigned)."""
    from oddscore.prices.odds import american_to_decimal

    try:
        value = float(text)
    except ValueError:
        raise fail(f"{name} must be American (+150, -120) or decimal (2.5), got {text!r}") from None
    if text.strip().startswith(("+", "-")):
        try:
            return american_to_decimal(value)
        except ValueError as exc:
            raise fail(f"{name}: {exc}") from None
    if not value > 1.0:
        raise fail(f"{name} as decimal odds must be > 1, got {text!r}")
    return value


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn domain and input errors into one red line and exit code 1, never a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from pydantic import ValidationError

        from oddscore.exceptions import OddscoreError

        try:
            return func(*args, **kwargs)
        except OddscoreError as exc:
            raise fail(str(exc)) from None
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"]) or "input"
                err_console.print(f"[bold red]error:[/] {loc}: {err['msg']}", highlight=False)
            raise typer.Exit(code=1) from None
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            raise fail(f"{exc.strerror}: {exc.filename}") from None

    return wrapper


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, sort_keys=False) + "\n")


def print_table(
    rows: Iterable[Sequence[Any]] | Iterable[dict[str, Any]],
    columns: Sequence[str],
    *,
    title: str | None = None,
) -> None:
    table = Table(title=title, header_style="bold")
    for column in columns:
        table.add_column(column)
    for row in rows:
        values = [row.get(c) for c in columns] if isinstance(row, dict) else list(row)
        table.add_row(*("" if v is None else str(to_jsonable(v)) for v in values))
    console.print(table)


_REFUSALS_SHOWN = 20  # one line each; the rest are in data_quality_logs


def print_refused(reasons: Sequence[str]) -> None:
    """The records refused one by one (the rest of their payload stored), one line each."""
    for reason in reasons[:_REFUSALS_SHOWN]:
        console.print(f"[yellow]refused[/] {reason}", highlight=False, soft_wrap=True)
    if len(reasons) > _REFUSALS_SHOWN:
        console.print(
            f"... and {len(reasons) - _REFUSALS_SHOWN} more refused (odds validate lists them)"
        )
