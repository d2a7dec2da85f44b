"""Final scores from a CSV file, for games the scores endpoint no longer reaches (3 days back).

Two layouts are read, told apart by the header:

* the simple one, documented here::

      date,home,away,home_score,away_score
      2024-01-09,Denver Nuggets,LA Lakers,114,106

  ``date`` is the US (Eastern) calendar date of the game; teams in any spelling
  :func:`~oddscore.ingestion.teams.canonical_team` knows (full names, "LA Clippers",
  ``LAC``, ``lac``, ``LAClippers``).
* the Kaggle file ``nba_2008-2025.csv`` as it is (``date``, ``home``, ``away``,
  ``score_home``, ``score_away`` with lowercase codes).

Each row is matched to the stored event with the same teams on the same US date (the
event's UTC ``commence_time`` converted to America/New_York). Every row is checked before
anything is written: a malformed row stops the import with a message naming its line, and
nothing is stored. Rows that are well formed but unusable (a tied score, which an NBA game
cannot have) are skipped and listed; in a sport whose profile has a draw (soccer) a tie is
a result like any other. Team names are the sport profile's (``--sport``). One game listed
twice with different scores stops the import (the file contradicts itself); listed twice
alike, it counts once. A result already
stored with different scores is not overwritten; it is reported as a conflict.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from oddscore.clock import EARLIEST, LATEST, Clock, SystemClock
from oddscore.exceptions import DataQualityError
from oddscore.ingestion.events import US_EASTERN, us_local_date
from oddscore.ingestion.store import lock_events, set_final_scores, transaction
from oddscore.ingestion.teams import canonical_team
from oddscore.reading import read_bounded
from oddscore.sports import profile_for
from oddscore.storage.models import Event

__all__ = ["ResultRow", "ResultsReport", "import_results", "read_results"]

EV = Event.__table__  # type: ignore[attr-defined]
SIMPLE_COLUMNS = ("date", "home", "away", "home_score", "away_score")
KAGGLE_COLUMNS = ("date", "home", "away", "score_home", "score_away")
# No basketball game ends above this; a bigger number is a broken file, not a score.
MAX_SCORE = 999


@dataclass(frozen=True, slots=True)
class ResultRow:
    line: int
    day: date
    home: str
    away: str
    home_score: int
    away_score: int


@dataclass(slots=True)
class ResultsReport:
    rows: int = 0
    matched: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: int = 0
    conflicts: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _bad(path: Path, line: int, problem: str) -> DataQualityError:
    return DataQualityError(f"{path.name} line {line}: {problem}; nothing was imported")


def _score(value: str | None, path: Path, line: int, column: str) -> int:
    text = (value or "").strip()
    try:
        score = int(float(text)) if text else -1
    except (ValueError, OverflowError):  # "abc", "nan"; "1e400" is infinite
        score = -1
    if score < 0 or score > MAX_SCORE or (text and float(text) != score):
        raise _bad(path, line, f"{column} {value!r} is not a score")
    return score


def read_results(
    path: Path, *, sport_key: str = "basketball_nba"
) -> tuple[list[ResultRow], list[str]]:
    """Every usable row of the file, and a note for each skipped one; raises on a bad row."""
    try:
        rows, skipped = _read_rows(path, sport_key)
    except UnicodeDecodeError as exc:
        raise DataQualityError(
            f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
            "nothing was imported"
        ) from exc
    except csv.Error as exc:
        raise DataQualityError(
            f"{path.name}: not a CSV file ({exc}); nothing was imported"
        ) from exc
    first: dict[tuple[date, str, str], ResultRow] = {}
    unique: list[ResultRow] = []
    for row in rows:
        seen = first.setdefault((row.day, row.home, row.away), row)
        if seen is row:
            unique.append(row)
        elif (seen.home_score, seen.away_score) != (row.home_score, row.away_score):
            # Which one is right cannot be known: the file contradicts itself.
            raise _bad(
                path,
                row.line,
                f"lines {seen.line} and {row.line} give {row.away} @ {row.home} {row.day} "
                f"two scores ({seen.home_score}-{seen.away_score}, "
                f"{row.home_score}-{row.away_score})",
            )
    return unique, skipped


def _read_rows(path: Path, sport_key: str) -> tuple[list[ResultRow], list[str]]:
    sport = profile_for(sport_key)
    text = read_bounded(path).decode("utf-8-sig")  # never /dev/zero, never a huge file
    with io.StringIO(text, newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        if all(c in header for c in KAGGLE_COLUMNS):
            columns = KAGGLE_COLUMNS
        elif all(c in header for c in SIMPLE_COLUMNS):
            columns = SIMPLE_COLUMNS
        else:
            raise DataQualityError(
                f"{path.name}: expected the columns {','.join(SIMPLE_COLUMNS)} "
                f"(or the Kaggle file's {','.join(KAGGLE_COLUMNS)}), got {','.join(header)}"
            )
        day_col, home_col, away_col, home_score_col, away_score_col = columns
        rows: list[ResultRow] = []
        skipped: list[str] = []
        for line, record in enumerate(reader, start=2):
            record = {(k or "").strip(): v for k, v in record.items()}
            try:
                day = date.fromisoformat((record.get(day_col) or "").strip())
            except ValueError:
                raise _bad(path, line, f"date {record.get(day_col)!r} is not YYYY-MM-DD") from None
            if not EARLIEST.date() <= day < LATEST.date():
                # The match window around a year-9999 date overflows; no game is that old either.
                raise _bad(
                    path,
                    line,
                    f"date '{day}' is outside {EARLIEST:%Y-%m-%d}..{LATEST.year - 1}-12-31",
                )
            teams = []
            for column in (home_col, away_col):
                name = (record.get(column) or "").strip()
                team = canonical_team(name, sport_key=sport_key)
                if team is None:
                    raise _bad(path, line, f"unknown team {name!r} in column {column}")
                teams.append(team)
            home_score = _score(record.get(home_score_col), path, line, home_score_col)
            away_score = _score(record.get(away_score_col), path, line, away_score_col)
            if teams[0] == teams[1]:
                raise _bad(path, line, f"home and away are both {teams[0]}")
            if home_score == away_score and not sport.has_draw:
                skipped.append(
                    f"line {line}: {teams[1]} @ {teams[0]} {day} tied {home_score}-"
                    f"{away_score}, which cannot be a final {sport.title} score"
                )
                continue
            rows.append(ResultRow(line, day, teams[0], teams[1], home_score, away_score))
    return rows, skipped


def _key(home: str, away: str, day: date, sport_key: str) -> tuple[str, str, date]:
    home_name = canonical_team(home, sport_key=sport_key) or home
    return (home_name, canonical_team(away, sport_key=sport_key) or away, day)


async def _stored(
    conn: AsyncConnection, rows: Sequence[ResultRow], sport_key: str
) -> dict[tuple[str, str, date], Any]:
    first = min(r.day for r in rows)
    last = max(r.day for r in rows)
    start = datetime.combine(first, time(0), US_EASTERN)
    end = datetime.combine(last + timedelta(days=1), time(0), US_EASTERN)
    found = await conn.execute(
        select(
            EV.c.id,
            EV.c.home_team,
            EV.c.away_team,
            EV.c.commence_time,
            EV.c.home_score,
            EV.c.away_score,
        ).where(EV.c.sport_key == sport_key, EV.c.commence_time >= start, EV.c.commence_time < end)
    )
    return {
        _key(r.home_team, r.away_team, us_local_date(r.commence_time), sport_key): r for r in found
    }


async def import_results(
    db: Any,
    path: Path,
    *,
    sport_key: str = "basketball_nba",
    source: str = "csv",
    clock: Clock | None = None,
) -> ResultsReport:
    """Store the final scores of ``path`` on the matching events, all or nothing."""
    rows, skipped = read_results(path, sport_key=sport_key)
    report = ResultsReport(rows=len(rows) + len(skipped), skipped=skipped)
    if not rows:
        return report
    now = (clock or SystemClock()).now()

    async def work(conn: AsyncConnection) -> ResultsReport:
        # A concurrent merge must not delete the matched id between this read and the write.
        await lock_events(conn)
        stored = await _stored(conn, rows, sport_key)
        updates: list[dict[str, Any]] = []
        for row in rows:
            event = stored.get((row.home, row.away, row.day))
            if event is None:
                report.unmatched += 1
                continue
            report.matched += 1
            if event.home_score is None:
                updates.append(
                    {
                        "b_id": event.id,
                        "home_score": row.home_score,
                        "away_score": row.away_score,
                    }
                )
            elif (event.home_score, event.away_score) == (row.home_score, row.away_score):
                report.unchanged += 1
            else:
                report.conflicts.append(
                    f"line {row.line}: {row.away} @ {row.home} {row.day}: stored "
                    f"{event.home_score}-{event.away_score}, file {row.home_score}-"
                    f"{row.away_score} (kept the stored result)"
                )
        await set_final_scores(conn, updates, source=source, now=now)
        report.updated = len(updates)
        return report

    result: ResultsReport = await transaction(db, work)
    return result
