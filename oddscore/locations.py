"""Where a file lives: a local path or an S3 URL (``s3://bucket/key``), read and written alike.

A Fargate task's disk is gone when the task ends, so what a user needs afterwards (backfill
plans, backtest outputs) can live in S3 instead: the result-storage bucket, which the ECS task
role may read and write (``odds deploy ecs``). boto3 is imported only for S3 locations.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = ["is_s3", "join", "link", "read_bytes", "write_bytes"]

_S3 = "s3://"


def is_s3(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(_S3)


def _split(location: str) -> tuple[str, str]:
    bucket, _, key = location[len(_S3) :].partition("/")
    if not bucket or not key or key.endswith("/"):
        raise ValueError(f"an S3 location needs a bucket and a key: {location!r}")
    return bucket, key


def join(folder: str | Path, name: str) -> str | Path:
    """``name`` inside ``folder`` (a local folder or an S3 prefix)."""
    if is_s3(folder):
        return f"{str(folder).rstrip('/')}/{name}"
    return Path(folder) / name


def _s3_client() -> Any:
    import boto3

    return boto3.client("s3")


def read_bytes(location: str | Path) -> bytes:
    """The file's content; a missing file raises :class:`FileNotFoundError` either way, and a
    local one that is no regular file or is over the size limit :class:`UnreadableFileError`."""
    if not is_s3(location):
        from oddscore.reading import read_bounded

        return read_bounded(Path(location))
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = _split(str(location))
    try:
        body = _s3_client().get_object(Bucket=bucket, Key=key)["Body"]
        return bytes(body.read())
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in {"NoSuchKey", "NoSuchBucket", "404"}:
            raise FileNotFoundError(2, "No such file", str(location)) from None
        raise OSError(5, f"S3 refused the read: {code or exc}", str(location)) from None
    except BotoCoreError as exc:  # no credentials, no endpoint
        raise OSError(5, f"S3: {exc}", str(location)) from None


def write_bytes(location: str | Path, data: bytes) -> str:
    """Write ``data`` (creating local folders); returns :func:`link` of the location."""
    if is_s3(location):
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, key = _split(str(location))
        try:
            _s3_client().put_object(Bucket=bucket, Key=key, Body=data)
        except (ClientError, BotoCoreError) as exc:
            raise OSError(5, f"S3 refused the write: {exc}", str(location)) from None
    else:
        path = Path(location)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return link(location)


def link(location: str | Path) -> str:
    """A link a person can open: ``file://`` locally, the S3 console's page of the object."""
    if not is_s3(location):
        return Path(location).resolve().as_uri()
    bucket, key = _split(str(location))
    return f"https://s3.console.aws.amazon.com/s3/object/{bucket}?prefix={quote(key)}"
