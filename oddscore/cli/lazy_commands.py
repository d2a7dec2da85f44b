"""The root group's commands, each imported and built only when a command line names it.

Typer builds the whole click tree before it parses a word: every command module imported and
every group's commands built, for a process that runs one of them. :class:`LazyCommands` is
the root group's ``commands`` mapping. It knows every name (so ``odds --help``, the "did you
mean" suggestion and shell completion see them all), and builds a command, through the same
typer functions ``add_typer``/``command`` lead to, on its first lookup.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typer import _click
    from typer.core import MarkupMode

__all__ = ["LazyCommands", "Lazy"]


@dataclass(frozen=True, slots=True)
class Lazy:
    """A command's name and where it lives: ``module.attribute``, a Typer sub-app when
    ``group`` is true, else a command function."""

    name: str
    module: str
    attribute: str
    group: bool


class LazyCommands(MutableMapping[str, "_click.Command"]):
    """``name -> command``, building each from its :class:`Lazy` entry when first read."""

    def __init__(
        self,
        entries: list[Lazy],
        *,
        rich_markup_mode: MarkupMode,
        pretty_exceptions_short: bool,
        suggest_commands: bool,
    ) -> None:
        self._entries = {entry.name: entry for entry in entries}
        self._built: dict[str, _click.Command] = {}
        self._options = (rich_markup_mode, pretty_exceptions_short, suggest_commands)

    def __getitem__(self, name: str) -> _click.Command:
        if name not in self._built:
            self._built[name] = self._build(self._entries[name])
        return self._built[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        self._entries.pop(name, None)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._entries and name not in self._built:
            raise KeyError(name)
        self._entries.pop(name, None)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._entries
        yield from (name for name in self._built if name not in self._entries)

    def __len__(self) -> int:
        return len(self._entries.keys() | self._built.keys())

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._built

    def _build(self, entry: Lazy) -> _click.Command:
        import typer
        from typer.main import get_command_from_info, get_group_from_info

        markup, short, suggest = self._options
        target = getattr(importlib.import_module(entry.module), entry.attribute)
        # Registered on a scratch app by typer's own methods, so that the infos carry
        # exactly the defaults `app.add_typer`/`app.command` would give them.
        scratch = typer.Typer()
        if entry.group:
            scratch.add_typer(target, name=entry.name)
            return get_group_from_info(
                scratch.registered_groups[0],
                pretty_exceptions_short=short,
                rich_markup_mode=markup,
                suggest_commands=suggest,
            )
        scratch.command(entry.name)(target)
        return get_command_from_info(
            scratch.registered_commands[0],
            pretty_exceptions_short=short,
            rich_markup_mode=markup,
        )
