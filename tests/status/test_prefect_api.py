"""The plain-httpx Prefect API client rides out a busy server, as Prefect's own client does."""

from __future__ import annotations

import httpx

from oddscore.orchestration.prefect_api import api_client, post


async def test_a_busy_answer_is_retried_until_the_server_takes_the_request() -> None:
    seen: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        if len(seen) < 3:
            return httpx.Response(503, text="busy")
        return httpx.Response(201, json={"id": "made"})

    async with api_client("http://prefect.test/api", transport=httpx.MockTransport(answer)) as http:
        assert await post(http, "/automations/", {"name": "x"}) == {"id": "made"}
    assert len(seen) == 3 and len(set(seen)) == 1  # the same body each time


async def test_a_server_that_stays_busy_is_reported_not_retried_forever() -> None:
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503, text="busy")

    async with api_client("http://prefect.test/api", transport=httpx.MockTransport(answer)) as http:
        response = await http.get("/health")
    assert response.status_code == 503 and calls == 4
