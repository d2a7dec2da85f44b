"""Pictures reach the Prefect UI: a PNG embedded in a markdown artifact, read back from the
session's Prefect test server; and the status dashboard reads the next scheduled runs from it.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prefect import flow, get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.settings import PREFECT_API_URL
from prefect.states import Scheduled

from flows._pictures import png_markdown, publish_png
from flows.backtest import publish_results
from oddscore.charts.equity import save_equity_comparison
from oddscore.orchestration.next_runs import next_scheduled_runs
from tests.charts.test_charts import result


def a_png(path: Path) -> Path:
    return save_equity_comparison([], path, title="empty")


def test_png_markdown_embeds_the_bytes(tmp_path: Path) -> None:
    png = a_png(tmp_path / "x.png")
    text = png_markdown(png, "Equity")
    encoded = text.split("data:image/png;base64,", 1)[1].split(")", 1)[0]
    assert base64.b64decode(encoded) == png.read_bytes()


async def test_a_flow_publishes_a_png_artifact(tmp_path: Path) -> None:
    png = a_png(tmp_path / "equity.png")

    @flow(name="publish-picture-test")
    def publish() -> None:
        publish_png(png, key="demo-equity-png", title="Equity curve")

    publish()
    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["demo-equity-png"]))
        )
    assert found, "no artifact under the key"
    assert found[0].type == "markdown"
    assert "data:image/png;base64," in str(found[0].data)


async def test_the_backtest_flow_shows_its_equity_and_clv_pictures(tmp_path: Path) -> None:
    best = result("basic_ev", [("win", 0.05), ("loss", 0.01), ("win", -0.02)])

    @flow(name="backtest-pictures-test")
    def publish() -> None:
        publish_results([best.to_json()], str(tmp_path))

    publish()
    assert (tmp_path / "backtest-basic-ev-clv.png").read_bytes()[:4] == b"\x89PNG"
    async with get_client() as client:
        found = await client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(
                    any_=["backtest-equity-png-basic-ev", "backtest-clv-png-basic-ev"]
                )
            )
        )
    assert {a.key for a in found} == {"backtest-equity-png-basic-ev", "backtest-clv-png-basic-ev"}
    assert all("data:image/png;base64," in str(a.data) for a in found)


async def test_status_reads_the_next_scheduled_runs_from_prefect() -> None:
    @flow(name="status-next-runs-test")
    def nothing() -> None:
        return None

    soon = datetime.now(UTC) + timedelta(hours=2)
    async with get_client() as client:
        flow_id = await client.create_flow(nothing)
        deployment_id = await client.create_deployment(flow_id=flow_id, name="every-hour")
        await client.create_flow_run_from_deployment(
            deployment_id, state=Scheduled(scheduled_time=soon)
        )
    answer = await next_scheduled_runs(PREFECT_API_URL.value(), timeout=5.0)
    assert answer.reachable, answer.problem
    mine = [r for r in answer.runs if r.flow == "status-next-runs-test"]
    assert mine, answer.runs
    assert mine[0].deployment == "every-hour"
    assert mine[0].state == "SCHEDULED"
    assert abs((mine[0].expected_start - soon).total_seconds()) < 1
