"""The strategy registry: the built-ins, imported here, and the installed ones.

The built-in strategies are listed in :data:`BUILTINS`. Any installed distribution can add a
strategy without touching this repository, through an entry point in the
``oddscore.strategies`` group whose name is the strategy's ``name``::

    [project.entry-points."oddscore.strategies"]
    my_edge = "my_package.strategies:MyEdgeStrategy"

The registry depends on the strategies and never the other way round, so adding one edits
neither :mod:`.base` nor any other strategy.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import ValidationError

from oddscore.backtest.strategies.arbitrage import ArbitrageStrategy
from oddscore.backtest.strategies.base import BettingStrategy
from oddscore.backtest.strategies.basic_ev import BasicEvStrategy
from oddscore.backtest.strategies.flat import FlatStrategy
from oddscore.backtest.strategies.middles import MiddleStrategy
from oddscore.backtest.strategies.ml import MlStrategy
from oddscore.exceptions import BacktestError

__all__ = [
    "BUILTINS",
    "BUILTIN_SOURCE",
    "ENTRY_POINT_GROUP",
    "RegisteredStrategy",
    "all_strategies",
    "create_strategy",
    "get_strategy",
    "parse_params",
    "strategy_table",
]

ENTRY_POINT_GROUP = "oddscore.strategies"
BUILTIN_SOURCE = "built-in"

BUILTINS: dict[str, type[BettingStrategy[Any]]] = {
    cls.name: cls
    for cls in (ArbitrageStrategy, BasicEvStrategy, FlatStrategy, MiddleStrategy, MlStrategy)
}


@dataclass(frozen=True, slots=True)
class RegisteredStrategy:
    cls: type[BettingStrategy[Any]]
    source: str  # "built-in", or the installed distribution's "name version"


def _origin(ep: EntryPoint) -> str:
    dist = ep.dist
    return f"{dist.name} {dist.version}" if dist is not None else ep.value


def _load(ep: EntryPoint) -> RegisteredStrategy:
    where = f"entry point {ep.name!r} ({ep.value}) of {_origin(ep)}"
    if ep.name in BUILTINS:
        raise BacktestError(f"{where} reuses the name of the built-in strategy {ep.name!r}")
    try:
        loaded = ep.load()
    except Exception as exc:  # any error in someone else's package: name it, do not crash
        raise BacktestError(f"{where} failed to load: {type(exc).__name__}: {exc}") from exc
    if not (isinstance(loaded, type) and issubclass(loaded, BettingStrategy)):
        raise BacktestError(f"{where} is not a BettingStrategy subclass")
    if getattr(loaded, "name", None) != ep.name:
        raise BacktestError(
            f"{where} names a strategy called {getattr(loaded, 'name', None)!r}; "
            "the entry point's name must be the strategy's name"
        )
    return RegisteredStrategy(loaded, _origin(ep))


def _installed(name: str | None = None) -> dict[str, RegisteredStrategy]:
    # Read on every call (cheap): a package installed while the process runs shows up.
    found = entry_points(group=ENTRY_POINT_GROUP)
    chosen = [ep for ep in found if name is None or ep.name == name]
    out: dict[str, RegisteredStrategy] = {}
    values: dict[str, str] = {}
    for ep in chosen:
        if ep.name in values:
            if values[ep.name] == ep.value:  # one package seen twice on the path
                continue
            raise BacktestError(
                f"strategy {ep.name!r} is installed twice: by {out[ep.name].source} "
                f"({values[ep.name]}) and by {_origin(ep)} ({ep.value})"
            )
        out[ep.name] = _load(ep)
        values[ep.name] = ep.value
    return out


def all_strategies() -> dict[str, RegisteredStrategy]:
    """Every strategy by name: the built-ins, then the installed ones."""
    out = {name: RegisteredStrategy(cls, BUILTIN_SOURCE) for name, cls in BUILTINS.items()}
    out.update(_installed())
    return out


def get_strategy(name: str) -> type[BettingStrategy[Any]]:
    """The strategy class called ``name``; only that entry point is loaded when installed."""
    if name in BUILTINS:
        return BUILTINS[name]
    installed = _installed(name)
    if name in installed:
        return installed[name].cls
    known = ", ".join(sorted(all_strategies()))
    raise BacktestError(f"unknown strategy {name!r}; known: {known}")


def create_strategy(name: str, params: Mapping[str, Any] | None = None) -> BettingStrategy[Any]:
    """Build a registered strategy from plain parameters (validated by its model)."""
    cls = get_strategy(name)
    try:
        model = cls.Params.model_validate(dict(params or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors()
        )
        raise BacktestError(f"bad parameters for {name!r}: {problems}") from exc
    return cls(model)


def strategy_table() -> list[dict[str, Any]]:
    """Name, source, description and parameters (with defaults) of every strategy."""
    rows = []
    for name, entry in sorted(all_strategies().items()):
        fields = {
            key: None if f.is_required() else f.get_default(call_default_factory=True)
            for key, f in entry.cls.Params.model_fields.items()
        }
        rows.append(
            {
                "name": name,
                "source": entry.source,
                "description": entry.cls.description,
                "params": fields,
            }
        )
    return rows


def parse_params(name: str, pairs: Sequence[str]) -> dict[str, Any]:
    """``["min_ev=0.03", "sharp_books=pinnacle,circasports"]`` to a parameter dict.

    A value is read as JSON when it parses (numbers, booleans, lists), else as text; a text
    value for a list parameter is split on commas.
    """
    cls = get_strategy(name)
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise BacktestError(f"parameters are KEY=VALUE, got {pair!r}")
        if key not in cls.Params.model_fields:
            known = ", ".join(cls.Params.model_fields)
            raise BacktestError(f"strategy {name!r} has no parameter {key!r}; it has: {known}")
        value: Any
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        annotation = cls.Params.model_fields[key].annotation
        wants_list = list in {
            typing.get_origin(a) for a in (annotation, *typing.get_args(annotation))
        }
        if isinstance(value, str) and wants_list:
            value = [item.strip() for item in value.split(",") if item.strip()]
        out[key] = value
    return out
