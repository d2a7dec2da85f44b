"""MkDocs hook: fill the configuration page's table from the settings models at build time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oddscore.settings_reference import settings_markdown

MARKER = "<!-- settings-table -->"
ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def on_page_markdown(markdown: str, **_: Any) -> str:  # MkDocs passes page, config, files
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, settings_markdown(ENV_EXAMPLE))
