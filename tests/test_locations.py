"""Files on local disk or in S3 (moto's in-process S3), read and written alike."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from oddscore.locations import is_s3, join, link, read_bytes, write_bytes


def test_an_s3_location_round_trips_and_links_to_the_console(s3_bucket: str) -> None:
    where = join(f"s3://{s3_bucket}/runs/", "plan a.json")
    assert where == f"s3://{s3_bucket}/runs/plan a.json" and is_s3(where)
    assert write_bytes(where, b"{}") == (
        f"https://s3.console.aws.amazon.com/s3/object/{s3_bucket}?prefix=runs/plan%20a.json"
    )
    assert read_bytes(where) == b"{}"
    stored = boto3.client("s3").get_object(Bucket=s3_bucket, Key="runs/plan a.json")
    assert stored["Body"].read() == b"{}"


def test_a_missing_s3_object_is_a_missing_file(s3_bucket: str) -> None:
    with pytest.raises(FileNotFoundError):
        read_bytes(f"s3://{s3_bucket}/nothing.json")
    with pytest.raises(FileNotFoundError):
        read_bytes("s3://no-such-bucket-here/x.json")


@pytest.mark.parametrize("location", ["s3://", "s3://bucket", "s3://bucket/", "s3://bucket/dir/"])
def test_an_s3_location_needs_a_bucket_and_a_key(location: str) -> None:
    with pytest.raises(ValueError, match="needs a bucket and a key"):
        write_bytes(location, b"x")


def test_a_local_location_creates_its_folder(tmp_path: Path) -> None:
    where = join(tmp_path / "out", "a.json")
    assert not is_s3(where)
    assert write_bytes(where, b"1") == (tmp_path / "out" / "a.json").resolve().as_uri()
    assert read_bytes(where) == b"1"
    assert link(where).startswith("file://")
