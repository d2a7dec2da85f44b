"""What every flow shares: logging into the run logs, transient-only retries, the summary
artifact, and self-rescheduling. (Paid calls are not cached here: the paid-call ledger in the
database, ``oddscore.ingestion.paid_calls``, keys them by the request, not by the run.)

Orchestration only: the decisions (when, why, what it costs, which slot) come from
``oddscore.scheduling``; this module only talks to Prefect.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from prefect import get_client
from prefect.artifacts import acreate_markdown_artifact
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.deployments import arun_deployment
from prefect.runtime import deployment as runtime_deployment
from prefect.runtime import flow_run as runtime_flow_run

from oddscore.clock import utcnow
from oddscore.config import get_settings
from oddscore.exceptions import TRANSIENT_ERRORS, MalformedResponseError
from oddscore.logs import configure_logging, get_logger, register_secret
from oddscore.orchestration.restart_backoff import (
    IDLE_TAG,
    consecutive_failures,
    restart_backoff,
)
from oddscore.scheduling.planner import Decision, ceil_minute, next_slot
from oddscore.scheduling.policy import SchedulePolicy
from oddscore.scheduling.slots import already_covered, slot_key

__all__ = [
    "RunPlan",
    "current_deployment",
    "publish_chain_health",
    "publish_summary",
    "reschedule_text",
    "retry_transient",
    "safety_net_gate",
    "schedule_next",
    "self_rescheduling",
    "setup_logging",
]

log = get_logger("flows")


def setup_logging() -> None:
    """structlog -> stdlib ``oddscore`` logger at INFO, which Prefect ships to the run logs.

    Prefect forwards it only when ``PREFECT_LOGGING_EXTRA_LOGGERS`` names ``oddscore`` (set
    in prefect.yaml's job variables); the level must be set because Prefect's root is WARNING.
    """
    configure_logging()
    logging.getLogger("oddscore").setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())


# The Prefect Secret block that holds the API key when the environment does not.
API_KEY_BLOCK_ENV = "ODDS_API_KEY_BLOCK"
DEFAULT_API_KEY_BLOCK = "odds-api-key"


async def load_api_key() -> bool:
    """Take ODDS_API_KEY from a Prefect Secret block when the environment has none.

    Secrets come only from the environment or a Secret block (``ODDS_API_KEY_BLOCK``, default
    ``odds-api-key``), never from a flow parameter, which Prefect would store and show.
    Returns whether a block supplied the key.
    """
    if os.environ.get("ODDS_API_KEY"):
        return False
    from prefect.blocks.system import Secret

    name = os.environ.get(API_KEY_BLOCK_ENV, DEFAULT_API_KEY_BLOCK)
    try:
        block = await Secret.aload(name)
    except ValueError:  # no such block: the settings will say the key is missing
        return False
    value = str(cast("Secret[str]", block).get())
    register_secret(value)
    os.environ["ODDS_API_KEY"] = value
    get_settings.cache_clear()
    return True


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry only what ``oddscore`` calls transient.

    The client already retried each request (tenacity); this coarse second chance is for
    an outage that outlasted it. 401/404/422 would fail the same way and cost credits, and so
    would a malformed body: the provider bills it, and the client already retried the ones a
    second attempt can mend (cut-off JSON).
    """
    del task, task_run
    error = state.data  # the engine wraps the raised exception as Failed(data=exc)
    if not isinstance(error, BaseException):
        try:
            state.result()
        except BaseException as raised:  # noqa: BLE001 - classifying, not handling
            error = raised
    return isinstance(error, TRANSIENT_ERRORS) and not isinstance(error, MalformedResponseError)


def current_deployment() -> str | None:
    """``"flow-name/deployment-name"`` of the running flow, None outside a deployment."""
    name = runtime_deployment.name
    flow_name = runtime_flow_run.flow_name
    if not name or not flow_name:
        return None
    return f"{flow_name}/{name}"


_WAITING = frozenset({StateType.SCHEDULED, StateType.PENDING})
_SLOT_KEY_ATTEMPTS = 5


async def schedule_next(
    deployment: str | None, at: datetime, *, reason: str = ""
) -> dict[str, Any]:
    """Schedule ``deployment`` at ``at`` unless a run at or before that slot already waits.

    Returns what happened, for the summary artifact and the tests.
    """
    slot = ceil_minute(at)
    if deployment is None:
        return {"scheduled": False, "at": slot.isoformat(), "why": "not run from a deployment"}
    pending = [when for _, when in await _waiting_runs(deployment)]
    if already_covered(slot, pending):
        earliest = min(pending)
        log.info("reschedule skipped", deployment=deployment, slot=slot, waiting=earliest)
        return {
            "scheduled": False,
            "at": slot.isoformat(),
            "why": f"a run is already scheduled at {earliest.isoformat()}",
        }
    # Prefect answers a used idempotency key with the run that used it. When that run has
    # already started or ended (it crashed at its start, or it is this very run), the chain
    # would be left with no run ahead, so the slot takes its next key; concurrent callers walk
    # the same keys and still create one run.
    for attempt in range(_SLOT_KEY_ATTEMPTS):
        key = slot_key(deployment, slot)
        run = await arun_deployment(
            deployment,
            scheduled_time=slot,
            timeout=0,
            as_subflow=False,
            idempotency_key=key if attempt == 0 else f"{key}#{attempt + 1}",
            tags=["auto-rescheduled"],
        )
        if run.state is None or run.state.type in _WAITING:
            break
    else:
        raise RuntimeError(f"every idempotency key of slot {slot.isoformat()} is used by a run")
    log.info("rescheduled", deployment=deployment, slot=slot, flow_run_id=str(run.id), why=reason)
    return {"scheduled": True, "at": slot.isoformat(), "flow_run_id": str(run.id), "why": reason}


async def _waiting_runs(deployment: str) -> list[tuple[str, datetime]]:
    """Scheduled or pending runs of ``deployment`` other than this one: (id, expected start)."""
    current = runtime_flow_run.id
    async with get_client() as client:
        target = await client.read_deployment_by_name(deployment)
        waiting = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[target.id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PENDING])
                )
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=20,
        )
    return [
        (str(run.id), run.expected_start_time)
        for run in waiting
        if str(run.id) != str(current) and run.expected_start_time is not None
    ]


async def _last_ended(deployment: str) -> tuple[str, int]:
    """The deployment's latest run that ended (other than this one), as text, and how many
    of its latest runs crashed or failed in a row (``consecutive_failures``)."""
    current = runtime_flow_run.id
    async with get_client() as client:
        target = await client.read_deployment_by_name(deployment)
        ended = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[target.id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(
                        any_=[StateType.CRASHED, StateType.FAILED, StateType.COMPLETED]
                    )
                )
            ),
            sort=FlowRunSort.END_TIME_DESC,
            limit=50,
        )
    ended = [run for run in ended if str(run.id) != str(current)]
    failures = consecutive_failures(
        {
            "state_type": run.state_type.value if run.state_type is not None else "",
            "tags": list(run.tags or []),
        }
        for run in ended
    )
    if not ended:
        return "no earlier run", failures
    run = ended[0]
    text = f"{run.name}: {run.state_name}" + (
        f" ({run.state.message})" if run.state is not None and run.state.message else ""
    )
    return text, failures


async def safety_net_gate(flow_name: str, *, safety_net: bool) -> dict[str, Any] | None:
    """Started by the safety net (``safety_net``): end at once when the chain is alive.

    When a run of this deployment already waits, the chain is alive (a failed run that still
    scheduled its successor, or a duplicate trigger): returns the summary of a run that does
    nothing, published like any other. Otherwise the chain was dead: one dead-chain alert
    (off unless ALERT_ENABLED) and None, and the caller does the chain's work, which
    schedules the next run. A normal run (``safety_net`` false) is never stopped here.

    A crash loop backs off: after ``SAFETY_NET_BACKOFF_AFTER`` crashed or failed runs in a
    row, this run schedules the chain's one run later (``restart_backoff``) and ends, so the
    chain keeps exactly one run and does not die again at once.
    """
    deployment = current_deployment()
    if not safety_net or deployment is None:
        return None
    waiting = await _waiting_runs(deployment)
    if waiting:
        run_id, when = min(waiting, key=lambda item: item[1])
        summary: dict[str, Any] = {
            "started": utcnow().isoformat(),
            "safety_net": f"the chain is alive: run {run_id} waits for {when.isoformat()}",
        }
        log.info("safety net: chain alive", deployment=deployment, waiting=run_id, at=when)
        await _mark_idle()
        await publish_summary(f"{flow_name}-summary", flow_name, summary)
        return summary
    last, failures = await _last_ended(deployment)
    scheduler = get_settings().scheduler
    delay = restart_backoff(
        failures,
        after=scheduler.safety_net_backoff_after,
        base=timedelta(seconds=scheduler.safety_net_backoff_seconds),
        cap=timedelta(seconds=scheduler.safety_net_backoff_cap_seconds),
    )
    if delay is None or failures == scheduler.safety_net_backoff_after:
        # One alert per dead chain: a crash loop alerts when its back-off starts, not each time.
        await _alert_dead_chain(deployment, last)
    if delay is None:
        log.warning("safety net: restarting a dead chain", deployment=deployment, last_run=last)
        return None
    # Crash loop: the chain's one run is scheduled later instead of dying again now.
    why = f"{failures} runs in a row crashed or failed: back-off {int(delay.total_seconds())} s"
    outcome = await schedule_next(deployment, utcnow() + delay, reason=why)
    log.warning("safety net: backing off", deployment=deployment, last_run=last, delay=delay)
    await _mark_idle()
    summary = {"started": utcnow().isoformat(), "safety_net": why, "reschedule": outcome}
    await publish_summary(f"{flow_name}-summary", flow_name, summary)
    return summary


async def _mark_idle() -> None:
    """Tag this run as a safety-net run that did no work: the back-off's count skips it."""
    current = runtime_flow_run.id
    if not current:
        return
    async with get_client() as client:
        run = await client.read_flow_run(current)
        await client.update_flow_run(current, tags=sorted({*(run.tags or []), IDLE_TAG}))


async def _alert_dead_chain(deployment: str, last: str) -> None:
    from oddscore.alerts.manager import AlertManager
    from oddscore.alerts.triggers import dead_chain_alert

    manager = AlertManager.from_settings(get_settings().alerts)
    try:
        await manager.notify(dead_chain_alert(deployment=deployment, last_run=last))
    finally:
        await manager.aclose()


def reschedule_text(outcome: dict[str, Any]) -> str:
    """What :func:`schedule_next` did, as one sentence for the summary artifact.

    >>> reschedule_text({"scheduled": True, "at": "2026-11-29T18:05:00+00:00", "why": "x"})
    'next run scheduled for 2026-11-29 18:05 UTC (x)'
    >>> reschedule_text({"scheduled": False, "at": "2026-11-29T18:05:00+00:00",
    ...                  "why": "not run from a deployment"})
    'not scheduled for 2026-11-29 18:05 UTC: not run from a deployment'
    """
    at = outcome.get("at")
    try:
        when = datetime.fromisoformat(str(at)).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        when = str(at)
    why = outcome.get("why") or ""
    if outcome.get("scheduled"):
        return f"next run scheduled for {when}" + (f" ({why})" if why else "")
    return f"not scheduled for {when}" + (f": {why}" if why else "")


def _cell(value: Any) -> str:
    """A markdown table cell: readable text, never a raw dict, and no cell-breaking pipe."""
    if isinstance(value, dict) and "scheduled" in value and "at" in value:
        text = reschedule_text(value)
    elif isinstance(value, dict):
        text = ", ".join(f"{name}: {item}" for name, item in value.items())
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


async def publish_summary(key: str, title: str, facts: dict[str, Any]) -> None:
    """A short markdown artifact on the run (and versioned under ``key``)."""
    lines = [f"### {title}", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in facts.items()]
    await acreate_markdown_artifact(markdown="\n".join(lines), key=key, description=title)


async def publish_chain_health() -> None:
    """The ``chain-health`` artifact: each chain's next run, last completed run, credits
    paid today and a stale marker (the table of ``odds status show``). Never fails the run."""
    from prefect.settings import get_current_settings

    from oddscore.orchestration.chains import chain_health, chains_markdown
    from oddscore.queries.credits import credits_by_flow
    from oddscore.storage.engine import Database

    try:
        api = get_current_settings().api
        key = api.key.get_secret_value() if api.key is not None else None
        report = await chain_health(api.url, api_key=key, timeout=5.0)
        now = utcnow()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        async with Database.from_settings(get_settings().database) as db, db.session() as session:
            report = report.with_credits(await credits_by_flow(session, midnight, now))
        await acreate_markdown_artifact(
            markdown=chains_markdown(report), key="chain-health", description="Chains"
        )
    except Exception as exc:  # health reporting must never end a chain
        log.warning("chain health not published", error=repr(exc))


@dataclass(slots=True)
class RunPlan:
    """The summary of one self-rescheduling run, and when and why its next run is due."""

    summary: dict[str, Any]
    next_at: datetime
    reason: str

    def plan(self, decision: Decision, policy: SchedulePolicy) -> None:
        """The next run at the decision's slot (``next_slot``), noted in the summary."""
        now = utcnow()
        self.next_at, self.reason = next_slot(decision.at, now, policy), decision.reason
        self.summary.update(
            planned_at=now.isoformat(), next_run=self.next_at.isoformat(), next_reason=self.reason
        )

    def on_failure(self, at: datetime, reason: str) -> None:
        """Should the run fail from here on, its next run comes at ``at`` if that is sooner
        than the retry already set (a later :meth:`plan` replaces it)."""
        if at < self.next_at:
            self.next_at, self.reason = at, reason


@asynccontextmanager
async def self_rescheduling(
    flow_name: str, *, dry_run: bool, reschedule: bool, retry_later: timedelta
) -> AsyncIterator[RunPlan]:
    """One run of a flow that schedules its own next run.

    Whatever happens inside, the deployment's next run is scheduled (unless this is a dry run
    or ``reschedule`` is off): at the slot planned with :meth:`RunPlan.plan`, or
    ``retry_later`` from now when the run failed before it could plan, so that a failure
    never ends the chain. The summary is published as the ``<flow_name>-summary`` artifact.
    """
    started = utcnow()
    run = RunPlan(
        {"started": started.isoformat(), "dry_run": dry_run},
        started + retry_later,
        "the run failed before planning: try again",
    )
    try:
        yield run
    finally:
        if reschedule and not dry_run:
            run.summary["reschedule"] = await schedule_next(
                current_deployment(), run.next_at, reason=run.reason
            )
        await publish_summary(f"{flow_name}-summary", flow_name, run.summary)
        await publish_chain_health()
