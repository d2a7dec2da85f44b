"""Quota headers are read leniently; the fetch record holds what storage needs."""

from __future__ import annotations

import httpx
import pytest

from oddscore.provider.response import Quota, parse_header_int


@pytest.mark.parametrize(
    ("raw", "value"),
    [("12", 12), ("12.0", 12), (" 474 ", 474), ("0", 0), (None, None), ("", None), ("n/a", None)],
)
def test_header_values_are_parsed_leniently(raw: str | None, value: int | None) -> None:
    assert parse_header_int(raw) == value


def test_quota_from_case_insensitive_headers() -> None:
    headers = httpx.Headers(
        {"X-Requests-Remaining": "474", "X-Requests-Used": "26.0", "X-Requests-Last": "1"}
    )
    quota = Quota.from_headers(headers)
    assert quota == Quota(remaining=474, used=26, last=1)
    assert quota.total == 500  # the free plan, as in the reference's probe log


def test_quota_from_plain_dict_with_missing_headers() -> None:
    quota = Quota.from_headers({"X-REQUESTS-LAST": "3"})
    assert quota == Quota(remaining=None, used=None, last=3)
    assert quota.total is None
