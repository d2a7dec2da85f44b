"""Provider faults against the simulator: transient ones are retried within the client's bound
and end in success or the right typed error; 401/404/422 and quota errors are never retried.

Credits are read from the simulator's own meter, so "paid once" is checked, not assumed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from oddscore.exceptions import (
    AuthenticationError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    ProviderTimeout,
    QuotaExhaustedError,
    RateLimitError,
    ServerError,
    TransportError,
)
from oddscore.simulator import Fault, FaultPlan, parse_fault, simulator_of
from tests.reliability.conftest import SPORT, fault_app, make_client, serve

MARKETS = ["h2h", "spreads"]  # 2 credits per /odds call with one book
BOOKS = ["pinnacle"]
COST = 2
ODDS_PATH = f"/v4/sports/{SPORT}/odds"


async def _odds(client):  # type: ignore[no-untyped-def]
    return await client.odds(SPORT, markets=MARKETS, bookmakers=BOOKS)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_5xx_burst_within_the_bound_is_retried_to_success(status: int) -> None:
    faults = FaultPlan([Fault("status", times=3, status=status)])
    app = fault_app(faults)
    client, wire = make_client(app=app, max_retries=3)
    async with client:
        response = await _odds(client)
    assert response.attempts == 4 and len(wire.requests) == 4
    assert len(response.data) > 0
    assert simulator_of(app).ledger.used == COST  # the failures were not billed
    assert len(wire.sleeps) == 3  # a backoff before each retry


async def test_a_5xx_burst_longer_than_the_bound_raises_server_error() -> None:
    app = fault_app(FaultPlan([Fault("status", times=None, status=503)]))
    client, wire = make_client(app=app, max_retries=2)
    async with client:
        with pytest.raises(ServerError) as raised:
            await _odds(client)
    assert raised.value.status_code == 503
    assert len(wire.requests) == 3  # 1 + max_retries, then it stops
    assert simulator_of(app).ledger.used == 0


async def test_a_429_with_retry_after_waits_what_the_provider_asked() -> None:
    app = fault_app(FaultPlan([Fault("rate_limit", times=2, retry_after=1.5)]))
    client, wire = make_client(app=app)
    async with client:
        response = await _odds(client)
    assert response.attempts == 3
    assert wire.sleeps.count(1.5) == 2  # Retry-After honoured, not the (tiny) backoff
    assert simulator_of(app).ledger.used == COST


async def test_a_429_without_retry_after_backs_off() -> None:
    app = fault_app(FaultPlan([Fault("rate_limit", times=1)]))
    client, wire = make_client(app=app)
    async with client:
        response = await _odds(client)
    assert response.attempts == 2
    [wait] = [s for s in wire.sleeps if s > 0]
    assert 0 < wait < 1  # exponential backoff from 0.01 s plus jitter
    assert simulator_of(app).ledger.used == COST


async def test_a_persistent_429_raises_rate_limit_error_with_retry_after() -> None:
    app = fault_app(FaultPlan([Fault("rate_limit", times=None, retry_after=2)]))
    client, wire = make_client(app=app, max_retries=2)
    async with client:
        with pytest.raises(RateLimitError) as raised:
            await _odds(client)
    assert raised.value.retry_after == 2.0 and raised.value.status_code == 429
    assert len(wire.requests) == 3


async def test_a_slow_answer_times_out_and_the_retry_succeeds_over_real_http() -> None:
    faults = FaultPlan([Fault("slow", times=1, delay=1.0)])
    app = fault_app(faults)
    async with serve(app) as url:
        client, wire = make_client(base_url=url, timeout=0.3)
        async with client:
            response = await _odds(client)
    assert response.attempts == 2 and len(wire.requests) == 2
    # The provider bills when it answers: the answer the client gave up on was billed too.
    assert simulator_of(app).ledger.used == 2 * COST


async def test_a_provider_that_never_answers_in_time_raises_provider_timeout() -> None:
    app = fault_app(FaultPlan([Fault("slow", times=None, delay=0.6)]))
    async with serve(app) as url:
        client, wire = make_client(base_url=url, timeout=0.2, max_retries=1)
        async with client:
            with pytest.raises(ProviderTimeout) as raised:
                await _odds(client)
    assert len(wire.requests) == 2
    assert raised.value.endpoint == ODDS_PATH


@pytest.mark.parametrize("over_http", [False, True], ids=["in-process", "uvicorn"])
async def test_a_connection_reset_mid_body_is_retried(over_http: bool) -> None:
    app = fault_app(FaultPlan([Fault("reset", times=1)]))
    if over_http:
        async with serve(app) as url:
            client, wire = make_client(base_url=url)
            async with client:
                response = await _odds(client)
    else:
        client, wire = make_client(app=app)
        async with client:
            response = await _odds(client)
    assert response.attempts == 2 and len(response.data) > 0
    assert simulator_of(app).ledger.used == 2 * COST  # the lost answer was billed


async def test_a_connection_reset_every_time_raises_transport_error() -> None:
    app = fault_app(FaultPlan([Fault("reset", times=None)]))
    client, wire = make_client(app=app, max_retries=1)
    async with client:
        with pytest.raises(TransportError) as raised:
            await _odds(client)
    assert not isinstance(raised.value, ProviderTimeout)
    assert len(wire.requests) == 2


@pytest.mark.parametrize("kind", ["truncated", "malformed"])
async def test_truncated_or_malformed_json_is_retried_then_succeeds(kind: str) -> None:
    app = fault_app(FaultPlan([Fault(kind, times=1)]))  # type: ignore[arg-type]
    client, wire = make_client(app=app)
    async with client:
        response = await _odds(client)
    assert response.attempts == 2
    billed = 2 * COST if kind == "truncated" else COST
    assert simulator_of(app).ledger.used == billed


@pytest.mark.parametrize("kind", ["truncated", "malformed"])
async def test_persistently_bad_json_raises_malformed_response(kind: str) -> None:
    app = fault_app(FaultPlan([Fault(kind, times=None)]))  # type: ignore[arg-type]
    client, wire = make_client(app=app, max_retries=1)
    async with client:
        with pytest.raises(MalformedResponseError) as raised:
            await _odds(client)
    assert "not JSON" in str(raised.value)
    assert len(wire.requests) == 2


async def test_bad_key_404_and_422_are_never_retried() -> None:
    app = fault_app()
    bad, wire = make_client(app=app, key="not-the-key")
    async with bad:
        with pytest.raises(AuthenticationError) as auth:
            await _odds(bad)
    assert auth.value.error_code == "INVALID_KEY" and len(wire.requests) == 1

    client, wire = make_client(app=app)
    async with client:
        with pytest.raises(NotFoundError):
            await client.odds("cricket_nope", markets=MARKETS, bookmakers=BOOKS)
        with pytest.raises(InvalidRequestError) as invalid:
            await client.odds(SPORT, markets=["not_a_market"], bookmakers=BOOKS)
    assert invalid.value.status_code == 422
    assert len(wire.requests) == 2 and wire.sleeps == []
    assert simulator_of(app).ledger.used == 0


async def test_quota_exhausted_after_n_credits_is_not_retried_and_not_charged() -> None:
    faults = FaultPlan()
    app = fault_app(faults)
    faults.exhaust_after(3 * COST)
    client, wire = make_client(app=app)
    async with client:
        for _ in range(3):
            await _odds(client)
        with pytest.raises(QuotaExhaustedError) as raised:
            await _odds(client)
        sports = await client.sports()  # free endpoints keep answering
    assert raised.value.error_code == "OUT_OF_USAGE_CREDITS"
    assert len(wire.requests) == 5 and wire.sleeps == []
    assert simulator_of(app).ledger.used == 3 * COST
    assert sports.quota.remaining == 0
    faults.restore_quota(1000)  # the monthly reset
    client, _ = make_client(app=app)
    async with client:
        again = await _odds(client)
    assert again.quota.remaining == 1000 - COST


def test_fault_specs_parse_as_the_cli_takes_them() -> None:
    assert parse_fault("status:502x3") == Fault("status", times=3, status=502)
    assert parse_fault("rate_limit:1.5") == Fault("rate_limit", retry_after=1.5)
    assert parse_fault("rate_limitx2").times == 2
    assert parse_fault("malformedx*").times is None
    assert parse_fault("slow:5@/odds") == Fault("slow", delay=5.0, path="/odds")
    for bad in ("boom", "status:abc", "reset:3"):
        with pytest.raises(ValueError):
            parse_fault(bad)


def test_odds_simulator_serve_injects_the_faults_it_is_given(tmp_path: Path) -> None:
    """The CLI wiring end to end: a served simulator answers 503 once, then 200; runs dry."""
    import httpx

    from tests.flows.processes import free_port, start, stop, wait_http

    port = free_port()
    log = tmp_path / "simulator.log"
    args = [sys.executable, "-m", "oddscore", "simulator", "serve", "--port", str(port)]
    args += ["--api-key", "cli-fault-key", "--fault", "status:503x1@/odds", "--fault", "quota:2"]
    process = start(args, {**os.environ, "ODDS_ENV_FILE": ""}, log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/v4/sports?apiKey=cli-fault-key", process, log, timeout=60)
        query = {"apiKey": "cli-fault-key", "markets": "h2h", "bookmakers": "pinnacle"}
        statuses = [
            httpx.get(f"{base}{ODDS_PATH}", params=query, timeout=10).status_code for _ in range(4)
        ]
    finally:
        stop(process)
    assert statuses == [503, 200, 200, 401]  # the burst, two 1-credit calls, then dry


async def test_a_slow_answer_is_billed_on_receipt_even_when_the_client_dies_waiting() -> None:
    """Like the provider: the call is charged when it arrives; a client killed while the
    answer is held (here: its request task cancelled) has paid, and nothing more is billed
    when the held answer goes out to nobody."""
    import asyncio

    app = fault_app(FaultPlan([Fault("slow", times=1, delay=1.5)]))
    meter = simulator_of(app).ledger
    async with serve(app) as url:
        client, _ = make_client(base_url=url, timeout=10)
        async with client:
            request = asyncio.ensure_future(_odds(client))
            for _ in range(100):
                if meter.used:
                    break
                await asyncio.sleep(0.02)
            assert meter.used == COST and not request.done()  # billed, answer still held
            request.cancel()
            with pytest.raises(asyncio.CancelledError):
                await request
        await asyncio.sleep(1.7)  # the held answer goes out to a closed connection
    assert meter.used == COST


async def test_a_running_simulator_takes_fault_rules_over_http_with_the_key() -> None:
    import httpx

    from oddscore.simulator.app import FAULTS_PATH
    from tests.reliability.conftest import API_KEY

    app = fault_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim"
    ) as http:
        refused = await http.post(FAULTS_PATH, params={"apiKey": "wrong"}, content="status:503")
        assert refused.status_code == 401
        bad = await http.post(FAULTS_PATH, params={"apiKey": API_KEY}, content="melt:3")
        assert bad.status_code == 422 and "unknown fault kind" in bad.text
        added = await http.post(FAULTS_PATH, params={"apiKey": API_KEY}, content="status:502@/odds")
        assert added.status_code == 200 and added.json()["rules"] == 1
    client, wire = make_client(app=app)
    async with client:
        response = await _odds(client)  # the 502 is retried (not billed), then answered
    assert response.attempts == 2 and len(wire.requests) == 2
    assert simulator_of(app).ledger.used == COST
