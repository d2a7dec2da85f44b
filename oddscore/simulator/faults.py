"""Fault injection for the simulator: the failures a months-long unattended run will meet.

A :class:`FaultPlan` is a queue of :class:`Fault` rules consulted on every request to a
``/v4`` path; each rule fires for its next ``times`` matching requests (``None``: forever),
then steps aside. What each kind does, and whether the provider would have billed it:

* ``status``: an error answer (503 by default) in the provider's JSON error shape; not billed.
* ``rate_limit``: 429 ``EXCEEDED_FREQ_LIMIT``, with ``Retry-After`` when ``retry_after``
  is set; not billed.
* ``slow``: the answer is made and billed at once, then held for ``delay`` seconds (a client
  with a shorter timeout gives up, a client killed meanwhile never reads it); billed, as the
  provider bills on receipt.
* ``reset``: the headers and part of the body are sent, then the connection drops; billed.
* ``truncated``: a complete HTTP answer whose JSON body is cut short; billed.
* ``malformed``: a 200 whose body is not JSON at all (an HTML error page of a proxy); not
  billed (the provider never answered).

``exhaust_after(credits)`` caps the account so that it runs dry after that many more
credits (401 ``OUT_OF_USAGE_CREDITS``, nothing charged); ``restore_quota()`` is the monthly
reset. Example::

    faults = FaultPlan([Fault("status", times=3, status=503)])
    app = create_app(api_key="k", faults=faults)
    faults.add(Fault("rate_limit", times=1, retry_after=0.2))
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oddscore.simulator.errors import ApiError
from oddscore.simulator.quota import QuotaLedger

__all__ = ["Fault", "FaultKind", "FaultMiddleware", "FaultPlan", "parse_fault"]

FaultKind = Literal["status", "rate_limit", "slow", "reset", "truncated", "malformed"]
KINDS: tuple[str, ...] = ("status", "rate_limit", "slow", "reset", "truncated", "malformed")
_BILLED = frozenset({"slow", "reset", "truncated"})


@dataclass(slots=True)
class Fault:
    """One rule: what goes wrong, for how many requests, on which paths (substring)."""

    kind: FaultKind
    times: int | None = 1
    status: int = 503
    retry_after: float | None = None
    delay: float = 2.0
    path: str | None = None
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(KINDS)}")

    @property
    def spent(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def matches(self, path: str) -> bool:
        return not self.spent and (self.path is None or self.path in path)


@dataclass(slots=True)
class FaultPlan:
    """The rules in force, consulted in order; the first live rule that matches fires."""

    faults: list[Fault] = field(default_factory=list)
    ledger: QuotaLedger | None = None
    log: list[tuple[str, str]] = field(default_factory=list)  # (kind, path) of each firing

    def add(self, *faults: Fault) -> FaultPlan:
        self.faults.extend(faults)
        return self

    def clear(self) -> None:
        self.faults.clear()

    def take(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(path):
                fault.fired += 1
                self.log.append((fault.kind, path))
                return fault
        return None

    def exhaust_after(self, credits: int) -> None:
        """The account runs dry once ``credits`` more have been charged."""
        ledger = self._ledger()
        ledger.quota = ledger.used + credits

    def restore_quota(self, quota: int) -> None:
        """A new month: ``quota`` credits on a fresh meter."""
        ledger = self._ledger()
        ledger.quota, ledger.used = quota, 0

    def _ledger(self) -> QuotaLedger:
        if self.ledger is None:
            raise RuntimeError("this fault plan is not attached to a simulator (create_app)")
        return self.ledger


_SPEC = re.compile(
    r"^(?P<kind>[a-z_]+)(?::(?P<arg>[0-9.]+))?(?:x(?P<times>[0-9]+|\*))?(?:@(?P<path>\S+))?$"
)


def parse_fault(spec: str) -> Fault:
    """A rule from the command line: ``KIND[:ARG][xTIMES][@PATH]``.

    ARG is the status of ``status``, the ``Retry-After`` seconds of ``rate_limit`` and the
    delay of ``slow``; TIMES defaults to 1 (``*``: forever). Examples: ``status:502x3``,
    ``rate_limit:1.5``, ``rate_limitx2``, ``slow:5@/odds``, ``malformedx*``.
    """
    match = _SPEC.match(spec.strip())
    if match is None:
        raise ValueError(f"bad fault {spec!r}: expected KIND[:ARG][xTIMES][@PATH]")
    times_text = match["times"]
    times = None if times_text == "*" else int(times_text or 1)
    fault = Fault(match["kind"], times=times, path=match["path"])  # type: ignore[arg-type]
    arg = match["arg"]
    if arg is not None:
        if fault.kind == "status":
            fault.status = int(float(arg))
        elif fault.kind == "rate_limit":
            fault.retry_after = float(arg)
        elif fault.kind == "slow":
            fault.delay = float(arg)
        else:
            raise ValueError(f"bad fault {spec!r}: {fault.kind} takes no argument")
    return fault


class FaultMiddleware:
    """ASGI middleware that applies the plan to ``/v4`` requests (and nothing else)."""

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        fault = self.plan.take(path) if path.startswith("/v4") else None
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.kind not in _BILLED:
            await self._answer_without_app(fault, send)
            return
        # Billed on receipt, like the provider: the answer is made (and charged) first, so a
        # client that gives up or dies while a slow answer is held has paid all the same.
        start, body = await _capture(self.app, scope, receive)
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        if fault.kind == "truncated":
            cut = body[: max(1, len(body) // 2)]
            await send({**start, "headers": _with_length(start["headers"], len(cut))})
            await send({"type": "http.response.body", "body": cut})
            return
        # reset: headers promise the whole body, half of it goes out, then the line drops.
        await send(start)
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        # In-process (httpx.ASGITransport) this reaches the client as the transport error a
        # dropped connection raises; behind uvicorn the server closes the socket mid-body.
        raise httpx.ReadError("connection reset by peer (simulated)")

    async def _answer_without_app(self, fault: Fault, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = []
        if self.plan.ledger is not None:
            headers += [(k.encode(), v.encode()) for k, v in self.plan.ledger.headers(0).items()]
        if fault.kind == "malformed":
            status = 200
            body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            headers.append((b"content-type", b"text/html"))
        elif fault.kind == "rate_limit":
            status = 429
            body = json.dumps(ApiError("EXCEEDED_FREQ_LIMIT").body()).encode()
            headers.append((b"content-type", b"application/json"))
            if fault.retry_after is not None:
                headers.append((b"retry-after", f"{fault.retry_after:g}".encode()))
        else:
            status = fault.status
            body = json.dumps(
                {"message": f"Simulated server error {status}", "error_code": "SERVER_ERROR"}
            ).encode()
            headers.append((b"content-type", b"application/json"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
    """Run the app to completion and keep its answer instead of sending it."""
    start: Message = {}
    chunks: list[bytes] = []

    async def keep(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, keep)
    return start, b"".join(chunks)


def _with_length(headers: Iterable[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    return [*kept, (b"content-length", str(length).encode())]
