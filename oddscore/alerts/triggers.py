"""Triggers: pure functions that decide whether a finding deserves an alert."""

from __future__ import annotations

from oddscore.alerts.base import Alert, AlertKind
from oddscore.storage.models import Severity

__all__ = [
    "arbitrage_alert",
    "data_quality_alert",
    "dead_chain_alert",
    "ev_alert",
    "flow_failure_alert",
    "line_move_alert",
]


def _american(price: int | float) -> str:
    return f"{int(price):+d}"


def ev_alert(
    *,
    event: str,
    bookmaker: str,
    market: str,
    outcome: str,
    price: int,
    ev: float,
    threshold: float,
    point: float | None = None,
    fair_probability: float | None = None,
) -> Alert | None:
    """An alert when a price's expected value per unit staked reaches ``threshold``."""
    if ev < threshold:
        return None
    side = outcome if point is None else f"{outcome} {point:+g}"
    fields: dict[str, object] = {"book": bookmaker, "market": market, "price": _american(price)}
    if fair_probability is not None:
        fields["fair p"] = f"{fair_probability:.3f}"
    return Alert(
        kind=AlertKind.EV,
        title=f"+EV {ev:.1%}: {side} @ {bookmaker}",
        message=f"{event}: {side} {_american(price)} at {bookmaker} ({market}), EV {ev:.2%}.",
        severity=Severity.INFO,
        fields=fields,
        dedupe_key=f"ev:{event}:{bookmaker}:{market}:{side}:{price}",
    )


def arbitrage_alert(
    *, event: str, market: str, legs: list[tuple[str, str, int, float]], profit: float
) -> Alert | None:
    """An alert for an arbitrage; ``legs`` are (outcome, book, American price, stake share)."""
    if profit <= 0 or not legs:
        return None
    lines = [f"{o} {_american(p)} @ {b} — stake {s:.1%}" for o, b, p, s in legs]
    return Alert(
        kind=AlertKind.ARBITRAGE,
        title=f"Arbitrage {profit:.2%}: {event}",
        message="\n".join(lines),
        severity=Severity.WARNING,
        fields={"market": market, "profit": f"{profit:.2%}"},
        dedupe_key=f"arb:{event}:{market}:" + "|".join(f"{o}@{b}{p}" for o, b, p, _ in legs),
    )


def line_move_alert(
    *,
    event: str,
    bookmaker: str,
    market: str,
    outcome: str,
    old_point: float,
    new_point: float,
    threshold_points: float,
) -> Alert | None:
    """An alert when a spread or total moves at least ``threshold_points``."""
    move = new_point - old_point
    if abs(move) < threshold_points:
        return None
    return Alert(
        kind=AlertKind.LINE_MOVE,
        title=f"Line move {move:+g}: {outcome} ({market}) @ {bookmaker}",
        message=f"{event}: {outcome} moved from {old_point:+g} to {new_point:+g} at {bookmaker}.",
        severity=Severity.INFO,
        fields={"book": bookmaker, "market": market, "from": old_point, "to": new_point},
        dedupe_key=f"move:{event}:{bookmaker}:{market}:{outcome}:{new_point}",
    )


def data_quality_alert(
    *, issue_type: str, severity: str, description: str, event_id: str | None = None
) -> Alert | None:
    """Only critical findings page someone; warnings stay in `odds validate`."""
    if Severity(severity) != Severity.CRITICAL:
        return None
    return Alert(
        kind=AlertKind.DATA_QUALITY,
        title=f"Critical data-quality finding: {issue_type}",
        message=description if event_id is None else f"{description} (event {event_id})",
        severity=Severity.CRITICAL,
        fields={"type": issue_type},
        dedupe_key=f"dq:{issue_type}:{event_id}",
    )


def flow_failure_alert(*, flow_name: str, run_name: str, message: str | None) -> Alert:
    return Alert(
        kind=AlertKind.FLOW_FAILURE,
        title=f"Flow run failed: {flow_name}/{run_name}",
        message=message or "The flow run ended in a failed state.",
        severity=Severity.ERROR,
        fields={"flow": flow_name, "run": run_name},
    )


def dead_chain_alert(*, deployment: str, last_run: str) -> Alert:
    """A self-scheduled chain had no waiting run: its last run died before scheduling one.

    Sent once, by the safety-net run that restarts the chain (it finds no run waiting; a
    duplicate safety-net run finds the restarted chain alive and sends nothing).
    """
    return Alert(
        kind=AlertKind.DEAD_CHAIN,
        title=f"Chain restarted: {deployment}",
        message=(
            f"{deployment} had no scheduled run: its last run ended without scheduling the "
            f"next ({last_run}). The safety net started a new run."
        ),
        severity=Severity.ERROR,
        fields={"deployment": deployment, "last run": last_run},
        dedupe_key=f"dead-chain:{deployment}:{last_run}",
    )
