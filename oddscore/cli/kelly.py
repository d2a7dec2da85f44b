"""``odds kelly``: a slate's Kelly stakes and their risk, full Kelly next to fractions of it."""

from __future__ import annotations

from typing import Annotated

import typer

from oddscore.cli.common import (
    JsonOption,
    fail,
    handle_errors,
    parse_price,
    print_json,
    print_table,
)


def _bet(text: str) -> tuple[float, float]:
    probability, sep, price = text.partition("@")
    try:
        p = float(probability)
    except ValueError:
        p = -1.0
    if not sep or not 0.0 < p < 1.0:
        raise fail(f"--bet is PROBABILITY@PRICE, e.g. 0.55@+105 or 0.55@2.05, got {text!r}")
    return p, parse_price(price, "--bet price")


@handle_errors
def kelly(
    bet: Annotated[
        list[str],
        typer.Option("--bet", help="One bet of the slate, PROBABILITY@PRICE (repeatable)."),
    ],
    fraction: Annotated[
        list[float] | None,
        typer.Option(
            "--fraction", min=0.01, max=1.0, help="Kelly fractions (default 1, 0.5, 0.25)."
        ),
    ] = None,
    drawdown: Annotated[
        float, typer.Option("--drawdown", min=0.01, max=0.99, help="The drawdown to price.")
    ] = 0.5,
    json_output: JsonOption = False,
) -> None:
    """Simultaneous Kelly stakes of independent bets and their risk, side by side.

    Per fraction: the stakes, the expected log growth per slate, its volatility and the
    chance of ever losing --drawdown of the bankroll if such slates repeat.
    Example: odds kelly --bet 0.55@2.0 --bet 0.53@+105 --drawdown 0.3
    """
    from oddscore.analytics.kelly import simultaneous_kelly
    from oddscore.analytics.kelly_risk import kelly_comparison

    bets = [_bet(b) for b in bet]
    probabilities = [p for p, _ in bets]
    decimals = [d for _, d in bets]
    fractions = fraction or [1.0, 0.5, 0.25]
    full = simultaneous_kelly(probabilities, decimals, fraction=1.0)
    risks = kelly_comparison(probabilities, decimals, fractions, drawdown)
    if json_output:
        print_json(
            {
                "bets": [{"probability": p, "decimal": d} for p, d in bets],
                "drawdown": drawdown,
                "plans": [
                    {
                        "fraction": r.fraction,
                        "stakes": [r.fraction * s for s in full] if r.fraction else [],
                        "total_stake": r.total_stake,
                        "growth": r.growth,
                        "volatility": r.volatility,
                        "drawdown_probability": r.drawdown_probability,
                    }
                    for r in risks
                ],
            }
        )
        return
    print_table(
        [
            (
                f"{r.fraction:g}",
                " ".join(f"{(r.fraction or 0) * s:.2%}" for s in full),
                f"{r.total_stake:.2%}",
                f"{r.growth:+.4%}",
                f"{r.volatility:.2%}",
                f"{r.drawdown_probability:.1%}",
            )
            for r in risks
        ],
        ["Kelly", "stakes", "total", "growth/slate", "volatility", f"P(-{drawdown:.0%})"],
        title="simultaneous Kelly: full against fractional",
    )
