"""PNG charts as Prefect artifacts, so the UI shows the picture and not only a file path.

Prefect's image artifact only takes a public URL; a markdown artifact renders an image
embedded as a base64 ``data:`` URL, which needs no file server. Very large images are
linked instead (the artifact is stored in Prefect's database).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import cast
from uuid import UUID

from prefect.artifacts import acreate_markdown_artifact, create_markdown_artifact

from oddscore.locations import link

__all__ = ["MAX_EMBEDDED_BYTES", "apublish_png", "png_markdown", "publish_png"]

MAX_EMBEDDED_BYTES = 1_500_000


def png_markdown(path: Path, title: str, stored_at: str | None = None) -> str:
    """Markdown that shows the PNG inline (or links it when it is too big to embed).

    ``stored_at`` is where the picture is kept when ``path`` is only a scratch copy (an
    ``s3://`` location of an ECS run); the markdown names and links that place.
    """
    data = path.read_bytes()
    if not data.startswith(b"\x89PNG"):
        raise ValueError(f"{path} is not a PNG")
    location = stored_at or str(path.resolve())
    where = f"`{location}`"
    if len(data) > MAX_EMBEDDED_BYTES:
        return f"### {title}\n\n[{path.name}]({link(location)})\n\n{where}"
    encoded = base64.b64encode(data).decode("ascii")
    return f"### {title}\n\n![{title}](data:image/png;base64,{encoded})\n\n{where}"


def publish_png(path: Path, *, key: str, title: str, stored_at: str | None = None) -> UUID:
    """A markdown artifact (versioned under ``key``) that shows the PNG at ``path``."""
    # Called from a sync flow: Prefect's async_dispatch returns the id, not a coroutine.
    return cast(
        UUID,
        create_markdown_artifact(
            markdown=png_markdown(path, title, stored_at), key=key, description=title
        ),
    )


async def apublish_png(path: Path, *, key: str, title: str) -> UUID:
    artifact_id: UUID = await acreate_markdown_artifact(
        markdown=png_markdown(path, title), key=key, description=title
    )
    return artifact_id
