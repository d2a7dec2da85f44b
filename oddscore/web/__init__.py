"""``odds serve``: a local, read-only odds screen in the browser over the stored data.

:func:`~oddscore.web.app.create_app` builds the Starlette app; :mod:`~oddscore.web.params`
checks every query parameter; :mod:`~oddscore.web.views` lays the query layer's answers out
for the Jinja2 templates. No JavaScript, no CDN: it works with no internet.
"""

from __future__ import annotations

__all__: list[str] = []
