"""Reading an input file whole, safely: only a regular file, never more than a limit.

Every file a command is given (a recorded response, a plan, a result CSV, a backtest result)
is read through :func:`read_bounded`: a directory or a device named like a file (``/dev/zero``
never ends, a pipe would block) is refused before it is opened, and no more than the limit is
ever read, nor unpacked from a gzip (a small gzip can unpack to gigabytes). What the operating
system refuses (no such file, permissions, an I/O error, a symlink loop) stays an ``OSError``.
"""

from __future__ import annotations

import gzip
import io
import stat
import zlib
from pathlib import Path

from oddscore.exceptions import UnreadableFileError

__all__ = ["DEFAULT_MAX_BYTES", "GZIP_MAGIC", "read_bounded"]

GZIP_MAGIC = b"\x1f\x8b"
# A recorded response is ~1 MB (a season's busiest /odds day is 3 MB unpacked); a plan or a
# backtest result is smaller still.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


def read_bounded(
    path: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    *,
    gunzip: bool = False,
    limit_setting: str | None = None,
    label: str | None = None,
) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` (``gunzip``: unpacked
    when it is gzip, whatever its name says, to at most ``max_bytes`` too).

    ``UnreadableFileError`` names the file (``label``, default its path) and why;
    ``limit_setting`` is the setting a user raises the limit with, named in the message.
    """
    name = label or str(path)
    info = path.stat()  # follows symlinks: a loop raises ELOOP here
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableFileError(f"{name} is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFileError(f"{name} is not a regular file (a device or pipe)")
    limit = f"the size limit of {_megabytes(max_bytes)}"
    if limit_setting:
        limit += f" ({limit_setting})"
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)  # st_size can lie (/proc, a growing file)
    if len(data) > max_bytes:
        raise UnreadableFileError(f"{name} is larger than {limit}")
    if gunzip and data[:2] == GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacking:
                data = unpacking.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as exc:  # truncated or corrupt
            raise UnreadableFileError(f"{name} is not a valid gzip file: {exc}") from exc
        if len(data) > max_bytes:
            raise UnreadableFileError(f"{name} unpacks to more than {limit}")
    return data
