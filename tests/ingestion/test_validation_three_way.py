"""Soccer on the way in: validation driven by the sport profile (the three-way moneyline) and
results that may be draws."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from oddscore.clock import FrozenClock
from oddscore.exceptions import DataQualityError
from oddscore.ingestion.pipeline import IngestOptions, ingest_odds
from oddscore.ingestion.quotes import raw_quotes
from oddscore.ingestion.results import import_results
from oddscore.ingestion.validation import ValidationRules, apply_findings, validate_event
from oddscore.storage import Database, DataQualityLog, Event, Odds
from tests.ingestion.conftest import NOW, TAKEN, TIP, book, event

HOME, AWAY = "Arsenal", "Chelsea"


def soccer_book(
    key: str = "pinnacle", *, h2h: tuple[int, int | None, int] = (120, 240, 230), **kwargs: Any
) -> dict[str, Any]:
    """A soccer book: h2h home/draw/away (draw None: left out), spreads, totals."""
    found = book(key, home=HOME, away=AWAY, h2h=(h2h[0], h2h[2]), **kwargs)
    market = found["markets"][0]
    if h2h[1] is not None:
        market["outcomes"].insert(1, {"name": "Draw", "price": h2h[1]})
    return found


def soccer_event(*books: dict[str, Any], sport: str = "soccer_epl") -> dict[str, Any]:
    raw = event(books=list(books) or [soccer_book()], home=HOME, away=AWAY)
    raw["sport_key"], raw["sport_title"] = sport, "EPL"
    return raw


def run(raw: dict[str, Any], rules: ValidationRules | None = None):
    quotes, _ = raw_quotes(raw)
    findings = validate_event(
        event_id=raw["id"],
        home_team=raw["home_team"],
        away_team=raw["away_team"],
        commence_time=TIP,
        snapshot_time=TAKEN,
        quotes=quotes,
        rules=rules or ValidationRules(),
        sport_key=raw["sport_key"],
    )
    apply_findings(quotes, findings)
    return quotes, findings


def test_a_complete_three_way_moneyline_is_clean() -> None:
    quotes, findings = run(soccer_event())
    assert findings == []
    h2h = [q for q in quotes if q.market_key == "h2h"]
    assert sorted(q.outcome_name for q in h2h) == ["Arsenal", "Chelsea", "Draw"]


def test_a_missing_draw_in_soccer_is_flagged() -> None:
    quotes, findings = run(soccer_event(soccer_book(h2h=(120, None, 230))))
    missing = [f for f in findings if f.issue_type == "missing_side"]
    assert len(missing) == 1 and missing[0].context == {"missing": ["Draw"]}
    assert missing[0].market_key == "h2h"
    assert all(not q.is_valid for q in quotes if q.market_key == "h2h")
    assert all(q.is_valid for q in quotes if q.market_key != "h2h")


def test_the_same_two_way_moneyline_is_clean_in_a_two_way_sport() -> None:
    _, findings = run(soccer_event(soccer_book(h2h=(-150, None, 130)), sport="basketball_nba"))
    assert findings == []


def test_three_prices_are_judged_against_the_three_way_band() -> None:
    # 1/2.1 + 1/3.3 + 1/4.0 = 1.029 ... and +100/+200/+200 sums to 1.1667: inside the
    # three-way band (max 1.20), outside the two-way one (max 1.15).
    _, findings = run(soccer_event(soccer_book(h2h=(100, 200, 200))))
    assert findings == []
    tight = ValidationRules(three_way_band=(0.98, 1.15))
    _, findings = run(soccer_event(soccer_book(h2h=(100, 200, 200))), tight)
    (finding,) = [f for f in findings if f.issue_type == "overround_out_of_band"]
    assert finding.context["overround"] == pytest.approx(0.5 + 1 / 3 + 1 / 3, abs=1e-4)
    assert finding.context["prices"] == [100, 200, 200]


def test_a_three_way_overround_below_the_band_is_flagged() -> None:
    _, findings = run(soccer_event(soccer_book(h2h=(200, 250, 300))))  # 0.869: free money
    assert [f.issue_type for f in findings] == ["overround_out_of_band"]


def test_three_identical_prices_are_never_a_pickem() -> None:
    _, findings = run(soccer_event(soccer_book(h2h=(-110, -110, -110))))
    assert "identical_prices" in {f.issue_type for f in findings}


def test_a_stray_outcome_in_a_three_way_moneyline_is_unexpected() -> None:
    raw = soccer_event()
    raw["bookmakers"][0]["markets"][0]["outcomes"].append({"name": "Tie", "price": 250})
    _, findings = run(raw)
    (finding,) = [f for f in findings if f.issue_type == "unexpected_outcome"]
    assert finding.outcomes is not None and finding.outcomes[0][0] == "Tie"


def test_soccer_spreads_keep_their_symmetry_rule() -> None:
    _, findings = run(soccer_event(soccer_book(spread=(-0.25, -105, -115))))
    assert findings == []
    raw = soccer_event()
    raw["bookmakers"][0]["markets"][1]["outcomes"][1]["point"] = 0.75
    _, findings = run(raw)
    assert [f.issue_type for f in findings] == ["spread_asymmetry"]


async def test_the_pipeline_stores_a_missing_draw_as_a_finding(db: Database) -> None:
    payload = [soccer_event(soccer_book("pinnacle"), soccer_book("bet365", h2h=(115, None, 240)))]
    options = IngestOptions(clock=FrozenClock(NOW))
    await ingest_odds(db, payload, snapshot_time=TAKEN, source="import", options=options)
    async with db.session() as session:
        logs = (await session.execute(select(DataQualityLog))).scalars().all()
        odds = (await session.execute(select(Odds).where(Odds.market_key == "h2h"))).scalars()
        h2h = {(o.bookmaker_key, o.outcome_name): o.is_valid for o in odds}
    assert [(log.issue_type, log.bookmaker_key) for log in logs] == [("missing_side", "bet365")]
    assert h2h == {
        ("pinnacle", "Arsenal"): True,
        ("pinnacle", "Draw"): True,
        ("pinnacle", "Chelsea"): True,
        ("bet365", "Arsenal"): False,
        ("bet365", "Chelsea"): False,
    }


async def test_a_soccer_draw_is_a_result_and_teams_are_the_epls(
    db: Database, tmp_path: Path
) -> None:
    options = IngestOptions(clock=FrozenClock(NOW))
    await ingest_odds(db, [soccer_event()], snapshot_time=TAKEN, source="import", options=options)
    path = tmp_path / "results.csv"
    # TIP is 00:10 UTC on Jan 10: the evening of Jan 9 in the US; "ARS" and "Chelsea FC" are
    # the EPL profile's spellings.
    path.write_text("date,home,away,home_score,away_score\n2024-01-09,ARS,Chelsea FC,1,1\n")
    report = await import_results(db, path, sport_key="soccer_epl")
    assert (report.matched, report.updated, report.skipped) == (1, 1, [])
    async with db.session() as session:
        stored = (await session.execute(select(Event))).scalar_one()
    assert (stored.home_score, stored.away_score) == (1, 1)
    # The same file read as the NBA's: unknown teams, nothing imported.
    with pytest.raises(DataQualityError, match="unknown team 'ARS'"):
        await import_results(db, path)
