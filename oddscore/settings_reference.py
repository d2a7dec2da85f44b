"""The configuration reference, generated from the settings models.

The documentation's configuration page is built from :class:`oddscore.config.Settings` (the
names, types and defaults) and ``.env.example`` (the explanation written above each
variable), so the page cannot drift from the code; a test checks that every setting is in
``.env.example``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from oddscore.config import Settings

__all__ = ["Setting", "env_example_comments", "settings", "settings_markdown"]

_VARIABLE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=")


@dataclass(frozen=True, slots=True)
class Setting:
    group: str  # the settings class, e.g. "ApiSettings"
    group_doc: str
    name: str  # the environment variable
    type: str
    default: str


def _env_name(field: FieldInfo, attribute: str) -> str:
    alias = field.validation_alias
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return attribute.upper()


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    text = text or str(annotation)
    return re.sub(r"\b(typing|pydantic\.types|annotated_types)\.", "", text)


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "(required)"
    else:
        value = field.default
    if value is None:
        return "(unset)"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def settings() -> list[Setting]:
    """Every setting of every group, in the models' order."""
    out = []
    for group_field in Settings.model_fields.values():
        group = group_field.annotation
        assert isinstance(group, type)
        doc = (group.__doc__ or "").strip().splitlines()[0] if group.__doc__ else ""
        for attribute, field in group.model_fields.items():  # type: ignore[attr-defined]
            out.append(
                Setting(
                    group=group.__name__,
                    group_doc=doc,
                    name=_env_name(field, attribute),
                    type=_type_name(field.annotation),
                    default=_default(field),
                )
            )
    return out


def env_example_comments(text: str) -> dict[str, str]:
    """Each variable of ``.env.example`` (set or commented out) with the comment above it."""
    found: dict[str, str] = {}
    comment: list[str] = []
    for line in text.splitlines():
        match = _VARIABLE.match(line)
        if match:
            found.setdefault(match.group(1), " ".join(comment))
            comment = []
            continue
        stripped = line.strip()
        if stripped.startswith("#") and not stripped.startswith("# ---"):
            comment.append(stripped.lstrip("#").strip())
        else:
            comment = []
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def settings_markdown(env_example: Path) -> str:
    """The reference tables, one per settings group, as Markdown."""
    comments = env_example_comments(env_example.read_text(encoding="utf-8"))
    parts: list[str] = []
    group = None
    for s in settings():
        if s.group != group:
            group = s.group
            parts.append(f"\n### {s.group_doc or s.group}\n\n`oddscore.config.{s.group}`\n")
            parts.append("| variable | type | default | meaning (from `.env.example`) |")
            parts.append("|---|---|---|---|")
        meaning = comments.get(s.name, "")
        parts.append(
            f"| `{s.name}` | `{_cell(s.type)}` | `{_cell(s.default)}` | {_cell(meaning)} |"
        )
    return "\n".join(parts).lstrip("\n") + "\n"
