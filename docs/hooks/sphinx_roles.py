"""MkDocs hook: Sphinx cross-reference roles in docstrings read as plain code names.

The docstrings name things the Sphinx way (``:func:`tiers_for```) and mkdocstrings renders
the role literally, so the API reference showed ``:func:`` before every name. ``~`` keeps
only the last part of a dotted path, as Sphinx does.
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(
    r":(?:py:)?(?:func|meth|class|mod|data|attr|exc|obj|const):<code>(~?)([^<]*)</code>"
)


def plain_names(html: str) -> str:
    """``:role:<code>~a.b.C</code>`` -> ``<code>C</code>``; without ``~`` the full path."""
    return ROLE.sub(lambda m: f"<code>{m[2].rsplit('.', 1)[-1] if m[1] else m[2]}</code>", html)


def on_page_content(html: str, **_: Any) -> str:  # MkDocs passes page, config, files
    return plain_names(html)
