"""``odds hedge``: the stake on the other side that locks a profit or removes the variance."""

from __future__ import annotations

from typing import Annotated

import typer

from oddscore.cli.common import (
    JsonOption,
    console,
    handle_errors,
    parse_price,
    print_json,
    print_table,
)


@handle_errors
def hedge(
    stake: Annotated[float, typer.Option("--stake", help="The open bet's stake.")],
    odds: Annotated[
        str, typer.Option("--odds", help="The open bet's price: +150 / -120 (American) or 2.5.")
    ],
    hedge_odds: Annotated[
        str, typer.Option("--hedge-odds", help="The other side's price now, same formats.")
    ],
    lock: Annotated[
        float | None,
        typer.Option("--lock", help="Lock at least this profit, keeping the rest of the upside."),
    ] = None,
    hedge_book: Annotated[
        str | None,
        typer.Option(
            "--hedge-book", help="The hedge's book: its commission (BOOK_COMMISSION) is charged."
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Hedge an open bet: by default the equal hedge (the same profit whichever side wins).

    Example: odds hedge --stake 100 --odds +200 --hedge-odds -110
    """
    from oddscore.analytics.consensus import exchange_effective_odds
    from oddscore.analytics.hedge import equal_hedge, lock_profit_hedge
    from oddscore.config import BettingSettings

    open_decimal = parse_price(odds, "--odds")
    quoted = parse_price(hedge_odds, "--hedge-odds")
    commission = 0.0 if hedge_book is None else BettingSettings().commission.get(hedge_book, 0.0)
    effective = exchange_effective_odds(quoted, commission)
    if lock is None:
        result = equal_hedge(stake, open_decimal, effective)
    else:
        result = lock_profit_hedge(stake, open_decimal, effective, lock)
    if json_output:
        print_json(
            {
                "stake": stake,
                "open_decimal": open_decimal,
                "hedge_decimal": quoted,
                "hedge_commission": commission,
                "hedge_effective_decimal": effective,
                "mode": "equal" if lock is None else "lock",
                "lock": lock,
                "hedge_stake": result.stake,
                "profit_if_open_wins": result.profit_if_open_wins,
                "profit_if_hedge_wins": result.profit_if_hedge_wins,
                "guaranteed": result.guaranteed,
            }
        )
        return
    print_table(
        [
            ("hedge stake", f"{result.stake:,.2f}"),
            ("profit if the open bet wins", f"{result.profit_if_open_wins:+,.2f}"),
            ("profit if the hedge wins", f"{result.profit_if_hedge_wins:+,.2f}"),
            ("guaranteed", f"{result.guaranteed:+,.2f}"),
        ],
        ["", "amount"],
        title=f"hedge of {stake:,.2f} at {open_decimal:.3f} with the other side at {quoted:.3f}"
        + (f" ({commission:.0%} commission)" if commission else ""),
    )
    if lock is None:
        console.print("equal hedge: the same result whichever side wins (no variance left)")
