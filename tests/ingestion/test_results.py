"""Final scores from CSV: the simple layout, the Kaggle file as it is, and bad rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from oddscore.exceptions import DataQualityError
from oddscore.ingestion.files import import_snapshots
from oddscore.ingestion.pipeline import IngestOptions
from oddscore.ingestion.results import import_results, read_results
from oddscore.ingestion.teams import NBA_TEAMS, canonical_team, team_key
from oddscore.storage import Database, Event
from tests.conftest import real_data
from tests.ingestion.conftest import archive_dir, event
from tests.ingestion.test_pipeline import ingest


def test_team_aliases_cover_every_spelling() -> None:
    assert len(NBA_TEAMS) == 30
    owners: dict[str, set[str]] = {}
    for full, others in NBA_TEAMS.items():
        for name in (full, *others):
            owners.setdefault(team_key(name), set()).add(full)
    assert all(len(teams) == 1 for teams in owners.values())  # no spelling means two teams
    cases = {
        "LA Clippers": "Los Angeles Clippers",
        "lac": "Los Angeles Clippers",
        "LAC": "Los Angeles Clippers",
        "LAClippers": "Los Angeles Clippers",
        "GoldenState": "Golden State Warriors",
        "gs": "Golden State Warriors",
        "utah": "Utah Jazz",
        "no": "New Orleans Pelicans",
        "Philadelphia 76ers": "Philadelphia 76ers",
        "okc": "Oklahoma City Thunder",
    }
    assert {name: canonical_team(name) for name in cases} == cases
    assert canonical_team("Springfield Isotopes") is None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "results.csv"
    path.write_text(text, encoding="utf-8")
    return path


async def stored(db: Database) -> Event:
    async with db.session() as session:
        return (await session.execute(select(Event))).scalar_one()


async def test_simple_csv_matches_teams_and_us_date(db: Database, tmp_path: Path) -> None:
    await ingest(db, [event(1)])  # tips 2024-01-10 00:10 UTC: the evening of Jan 9 in the US
    good = write(
        tmp_path, "date,home,away,home_score,away_score\n2024-01-09,DEN,LA Lakers,114,106\n"
    )
    report = await import_results(db, good)
    assert (report.matched, report.updated, report.unmatched) == (1, 1, 0)
    game = await stored(db)
    assert (game.status, game.home_score, game.away_score, game.result_source) == (
        "final",
        114,
        106,
        "csv",
    )
    again = await import_results(db, good)
    assert (again.updated, again.unchanged) == (0, 1)
    other = write(tmp_path, "date,home,away,home_score,away_score\n2024-01-09,den,lal,99,98\n")
    report = await import_results(db, other)
    assert len(report.conflicts) == 1 and "kept the stored result" in report.conflicts[0]
    assert (await stored(db)).home_score == 114
    wrong_day = write(tmp_path, "date,home,away,home_score,away_score\n2024-01-10,den,lal,1,2\n")
    assert (await import_results(db, wrong_day)).unmatched == 1


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("2024-01-09,Springfield,lal,100,90", "unknown team 'Springfield'"),
        ("01/09/2024,den,lal,100,90", "is not YYYY-MM-DD"),
        ("2024-01-09,den,lal,100,ninety", "away_score 'ninety' is not a score"),
        ("2024-01-09,den,den,100,90", "both Denver Nuggets"),
    ],
)
async def test_a_bad_row_names_its_line_and_nothing_is_stored(
    db: Database, tmp_path: Path, row: str, problem: str
) -> None:
    await ingest(db, [event(1)])
    path = write(
        tmp_path, f"date,home,away,home_score,away_score\n2024-01-09,den,lal,114,106\n{row}\n"
    )
    with pytest.raises(DataQualityError, match=f"line 3: .*{problem}.*nothing was imported"):
        await import_results(db, path)
    assert (await stored(db)).home_score is None


def test_ties_are_skipped_and_a_wrong_header_is_refused(tmp_path: Path) -> None:
    rows, skipped = read_results(
        write(tmp_path, "date,home,away,home_score,away_score\n2013-12-26,phx,ny,95,95\n")
    )
    assert rows == [] and "tied 95-95" in skipped[0] and "final NBA score" in skipped[0]
    with pytest.raises(DataQualityError, match="expected the columns"):
        read_results(write(tmp_path, "day,team\n2024-01-01,den\n"))


async def test_the_kaggle_file_as_it_is_against_the_real_archive(db: Database) -> None:
    kaggle = real_data("kaggle_nba_2008_2025", "nba_2008-2025.csv")
    await import_snapshots(
        db,
        archive_dir(),
        options=IngestOptions(),
        seasons=["2023-2024"],
        start=date(2023, 10, 24),
        end=date(2023, 11, 8),
    )
    async with db.session() as session:
        events = (await session.execute(select(func.count()).select_from(Event))).scalar_one()
    report = await import_results(db, kaggle, source="kaggle")
    assert report.rows == 23_118 and len(report.skipped) == 1  # the 95-95 row of 2012
    assert report.matched == events and report.updated == events
    assert report.unmatched == report.rows - 1 - events
    async with db.session() as session:
        opener = (
            await session.execute(
                select(Event).where(
                    Event.home_team == "Denver Nuggets", Event.away_team == "Los Angeles Lakers"
                )
            )
        ).scalar_one()
        finals = (
            await session.execute(
                select(func.count()).select_from(Event).where(Event.status == "final")
            )
        ).scalar_one()
    assert (opener.home_score, opener.away_score, opener.result_source) == (119, 107, "kaggle")
    assert finals == events
