"""The ``odds`` Typer application: groups of commands over ``oddscore``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from oddscore.cli.lazy_commands import Lazy, LazyCommands

_ARGS = "oddscore.args"


def _command(name: str, module: str | None = None) -> Lazy:
    """A command function ``oddscore.cli.<module>.<name>``."""
    return Lazy(name, f"oddscore.cli.{module or name}", name, group=False)


def _group(name: str, module: str | None = None) -> Lazy:
    """A Typer sub-app ``oddscore.cli.<module>.app``."""
    return Lazy(name, f"oddscore.cli.{module or name}", "app", group=True)


# In the order `odds --help` lists them: typer puts plain commands before groups.
_COMMANDS = [
    _command("demo"),
    _command("validate"),
    _command("lines"),
    _command("best"),
    _command("hedge"),
    _command("kelly"),
    _command("credits"),
    _command("serve"),
    _group("db"),
    _group("simulator"),
    _group("schedule"),
    _group("backtest"),
    _group("ml"),
    _group("backfill"),
    _group("import", "imports"),
    _group("results"),
    _group("fetch"),
    _group("odds", "board"),
    _group("status"),
    _group("safety-net", "safety_net"),
    _group("plot"),
    _group("deploy"),
    _group("screen"),
]


class _OddsGroup(TyperGroup):
    """Keeps the command line for the root callback, which runs before the subcommand has
    parsed it: ``odds <command> --help`` must not create or migrate a database."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(
            _COMMANDS,
            rich_markup_mode=self.rich_markup_mode,
            pretty_exceptions_short=app.pretty_exceptions_short,
            suggest_commands=self.suggest_commands,
        )

    # Names only: typer's own lists them from `commands.items()`, which builds every command.
    def list_commands(self, ctx: Any) -> list[str]:  # noqa: ARG002
        return list(self.commands)

    # `Any`: the parent's Context is typer's vendored click one, which typer does not export.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta[_ARGS] = list(args)
        return super().parse_args(ctx, args)


app = typer.Typer(
    name="odds",
    cls=_OddsGroup,
    help="Collect, store, analyse and backtest betting odds from The Odds API.",
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"odds {version('oddscore')}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[  # noqa: ARG001  (--version acts through its callback)
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Collect, store, analyse and backtest betting odds from The Odds API."""
    _configure_logging()
    if (
        ctx.invoked_subcommand not in _OWN_DATABASE
        and not _only_help(ctx)
        and not _reads_no_database(ctx)
    ):
        _create_embedded_database()


# Commands that never touch DATABASE_URL: the demo builds its own database, the simulator,
# `db` and `deploy` need none (or migrate it themselves; deploy only stores it as a secret),
# `hedge` and `kelly` are arithmetic.
_OWN_DATABASE = {"demo", "simulator", "db", "deploy", "hedge", "kelly"}
# Subcommands of database-backed groups that read files or the registry only.
_NO_DATABASE = {
    ("backtest", "list-strategies"),
    ("schedule", "replay"),
    ("schedule", "simulate"),
}


def _reads_no_database(ctx: typer.Context) -> bool:
    """Whether the command line names one of :data:`_NO_DATABASE` (the group, then its
    command, as the first two words that are not options)."""
    args: list[str] = ctx.meta.get(_ARGS, [])
    words = [word for word in args if not word.startswith("-")]
    return tuple(words[:2]) in _NO_DATABASE


def _only_help(ctx: typer.Context) -> bool:
    """Whether the subcommand will only print its help: ``--help``/``-h`` before any ``--``,
    or a group named without a command (``odds backtest``)."""
    args: list[str] = ctx.meta.get(_ARGS, [])
    words = args[: args.index("--")] if "--" in args else args
    if "--help" in words or "-h" in words:
        return True
    name = ctx.invoked_subcommand
    if name is None or name not in words:
        return False
    command = ctx.command.get_command(ctx, name)  # type: ignore[attr-defined]
    return isinstance(command, TyperGroup) and not words[words.index(name) + 1 :]


def _create_embedded_database() -> None:
    """The default embedded SQLite file is created and migrated on first use.

    PostgreSQL is never migrated behind the operator's back: `odds db upgrade` does that.
    """
    from oddscore.config import DatabaseSettings, sqlite_path

    try:
        url = DatabaseSettings().url
    except Exception:  # reported by the command that reads settings
        return
    path = sqlite_path(url)
    if path is not None and (not path.exists() or path.stat().st_size == 0):
        from oddscore.storage.migrate import upgrade

        upgrade(url)


def _configure_logging() -> None:
    """Log lines go to stderr, so that `--json` output on stdout stays parseable.

    A terminal user wants the command's own output, not the library's INFO lines, so the CLI
    logs warnings and up unless LOG_LEVEL is set explicitly.
    """
    import os

    from oddscore.config import LoggingSettings
    from oddscore.logs import configure_logging

    try:
        settings = LoggingSettings()
    except Exception:  # a bad LOG_* value is reported by the command that reads settings
        settings = LoggingSettings.model_construct(level="WARNING", file=None, format="auto")
    if "LOG_LEVEL" not in os.environ:
        settings = settings.model_copy(update={"level": "WARNING"})
    configure_logging(settings)


def main() -> None:
    app()
