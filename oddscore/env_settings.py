"""Settings groups read from the environment and a ``.env`` file, without pydantic-settings.

Importing pydantic-settings costs every ``odds`` command about 55 ms of its cold start (its
sources for cloud vaults, CLI parsing and the like), for what :mod:`oddscore.config` uses of
it: flat names read from the environment. :class:`EnvSettings` reads them as pydantic-settings
did with our configuration (``env_ignore_empty``, ``extra="ignore"``, ``populate_by_name``,
no prefix, case-insensitive), and pydantic validates them, so the errors are the same:

* a field is read under its validation alias (each choice of an ``AliasChoices``, in order),
  then under its own name, as ``populate_by_name`` makes pydantic-settings do; the first name
  set in the environment or the file wins;
* values given to the constructor win over the environment, which wins over the ``.env``
  file, which wins over the defaults; names match whatever their case, and an empty value
  counts as unset;
* values reach the validators as text: nothing is JSON-decoded (the list and mapping fields
  parse their own ``a,b`` and ``k=v`` syntax).

The ``.env`` file is ``ODDS_ENV_FILE`` (default ``.env``; empty: none), as read when this
module is imported, or ``_env_file=`` for one instance.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict
from pydantic.fields import FieldInfo

__all__ = ["ENV_FILE", "EnvSettings"]

# Read once, at import, so that a process's settings do not depend on when they are built.
ENV_FILE: str | None = os.environ.get("ODDS_ENV_FILE", ".env") or None
_UNSET: Any = object()


class EnvSettings(BaseModel):
    """A group of settings, each field filled from the environment unless given."""

    # validate_default: pydantic-settings' default, so the validators see the defaults too.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, validate_default=True)

    def __init__(self, _env_file: str | Path | None = _UNSET, **values: Any) -> None:
        env_file = ENV_FILE if _env_file is _UNSET else _env_file
        super().__init__(**_sourced(type(self).model_fields, values, env_file))


def _keys(name: str, field: FieldInfo) -> list[str]:
    """The names a field is read under, first match first."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        keys = [choice for choice in alias.choices if isinstance(choice, str)]
    else:
        keys = [alias] if isinstance(alias, str) else []
    return [*keys, name]


def _dotenv(env_file: str | Path | None) -> dict[str, str | None]:
    if env_file is None:
        return {}
    path = Path(env_file).expanduser()
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # only with a file to read: most runs have none

    return {key.lower(): value for key, value in dotenv_values(path).items()}


def _sourced(
    fields: dict[str, FieldInfo], given: dict[str, Any], env_file: str | Path | None
) -> dict[str, Any]:
    """``given``, plus each field it lacks that the environment or the file sets."""
    environ = {key.lower(): value for key, value in os.environ.items()}
    dotenv: dict[str, str | None] | None = None
    found: dict[str, Any] = {}
    for name, field in fields.items():
        keys = _keys(name, field)
        if any(key in given for key in keys):
            continue
        # Name by name, the environment then the file: pydantic-settings merged both sources'
        # finds and pydantic took the first name present, so a file's alias beat an
        # environment variable under the field's own name.
        for key in keys:
            value = environ.get(key.lower())
            if not value:
                if dotenv is None:
                    dotenv = _dotenv(env_file)
                value = dotenv.get(key.lower())
            if value:
                found[key] = value
                break
    return {**found, **given}
