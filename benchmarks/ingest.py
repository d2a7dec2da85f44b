"""Ingestion throughput: the real 2023-24 archive into PostgreSQL, against raw COPY.

Measures, in one run:

* the pipeline: ``import_snapshots`` over the season folder (238 odds files and 238 events
  files, gzip JSON), i.e. reading, typed parsing, every validation rule, event upserts and
  duplicate-id merges, raw snapshots (JSONB) and the normalized rows (COPY into the indexed
  ``odds`` table), one transaction per file. Figure: normalized rows per second.
* the baseline: the very same rows, already in memory as tuples, written with asyncpg's
  ``copy_records_to_table`` into an unindexed table without constraints, in one COPY.
* for reference, the same COPY into the real ``odds`` table (rolled back): the best any
  pipeline writing there could do (its primary key and its one index; the table has no
  foreign keys since they tripled this figure, see oddscore/storage/models.py);
* for reference, reading and parsing the same files without any database (gzip, JSON, typed
  quote rows): the floor of the Python side of the pipeline;
* the CPU time the pipeline costs: this process (parsing threads included) plus every
  PostgreSQL process, when the server runs on this machine (read from ``/proc``). Spread
  perfectly over all the machine's cores, that work still takes CPU / cores seconds: the
  best ratio any overlap of this same work could reach here.

The ratio pipeline / baseline is printed last (goal >= 0.5).

Run: ``uv run python -m benchmarks.ingest [--season 2023-2024]``. PostgreSQL comes from
``BENCH_DATABASE_URL`` (default: a database ``odds_bench_ingest`` on 127.0.0.1:5432, created
and overwritten). The archive is ``shared/data/real_nba_odds/the_odds_api_snapshots``
(``ODDS_ARCHIVE_DIR`` overrides it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from contextlib import suppress
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from benchmarks._database import fresh_database
from oddscore.clock import FrozenClock, utcnow
from oddscore.ingestion.files import import_snapshots, list_archive, load_file
from oddscore.ingestion.pipeline import IngestOptions
from oddscore.ingestion.store import ODDS_COLUMNS
from oddscore.storage.engine import Database

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/odds_bench_ingest"
DEFAULT_ARCHIVE = (
    Path(__file__).resolve().parents[2] / "shared/data/real_nba_odds/the_odds_api_snapshots"
)
BASELINE_DDL = """
CREATE TABLE bench_odds_copy (
    snapshot_id integer, event_id varchar(64), bookmaker_key varchar(64),
    bookmaker_title varchar(100), market_key varchar(64), outcome_name varchar(100),
    outcome_description varchar(200), price integer, point double precision,
    odds_timestamp timestamptz, last_update timestamptz, is_valid boolean,
    validation_notes varchar(500), created_at timestamptz
)
"""


def postgres_cpu_seconds() -> float | None:
    """User + system CPU of every live PostgreSQL process on this machine (None: none seen,
    e.g. a remote server). Read before the pipeline's connections close: an exited backend's
    time leaves ``/proc`` with it."""
    tick = os.sysconf("SC_CLK_TCK")
    total, seen = 0.0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            text = stat.read_text()
            if text[text.index("(") + 1 : text.rindex(")")] != "postgres":
                continue
            fields = text[text.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            seen = True
    return total if seen else None


async def main(season: str, archive: Path, url: str) -> None:
    await fresh_database(url)
    db = Database.from_url(url)
    options = IngestOptions(
        expected_markets=("h2h", "spreads", "totals"),
        clock=FrozenClock(utcnow()),
    )
    async with db.engine.connect():  # the pool's connection (its backend) exists from here
        pass
    server_before, python_before = postgres_cpu_seconds(), time.process_time()
    started = time.perf_counter()
    summary = await import_snapshots(db, archive, options=options, seasons=[season])
    pipeline_seconds = time.perf_counter() - started
    python_cpu = time.process_time() - python_before
    server_after = postgres_cpu_seconds()
    rows = summary.result.odds_rows
    await db.dispose()

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        columns = ", ".join(ODDS_COLUMNS)
        records = [tuple(r) for r in await conn.fetch(f"SELECT {columns} FROM odds ORDER BY id")]
        await conn.execute(BASELINE_DDL)
        copy_server, copy_python = postgres_cpu_seconds(), time.process_time()
        started = time.perf_counter()
        await conn.copy_records_to_table(
            "bench_odds_copy", records=records, columns=list(ODDS_COLUMNS)
        )
        copy_seconds = time.perf_counter() - started
        copy_python = time.process_time() - copy_python
        copy_server_after = postgres_cpu_seconds()
        copied = await conn.fetchval("SELECT count(*) FROM bench_odds_copy")
        # The same COPY into the real odds table (primary key and the as-of index), rolled
        # back: the floor of any pipeline that writes there.
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute("DELETE FROM odds")
            started = time.perf_counter()
            await conn.copy_records_to_table("odds", records=records, columns=list(ODDS_COLUMNS))
            table_seconds = time.perf_counter() - started
        finally:
            await transaction.rollback()
    finally:
        await conn.close()
    assert copied == rows, (copied, rows)
    entries = list_archive(archive, seasons=[season])
    started = time.perf_counter()
    parsed_rows = sum(load_file(entry, options).rows for entry in entries)
    parse_seconds = time.perf_counter() - started

    pipeline_rps = rows / pipeline_seconds
    copy_rps = rows / copy_seconds
    print(f"season {season}: {summary.odds_files} odds files, {summary.events_files} events files")
    print(
        f"stored: {rows:,} odds rows, {summary.result.snapshots_inserted:,} raw snapshots, "
        f"{summary.result.events_inserted:,} events inserted, "
        f"{summary.result.events_merged} duplicate ids merged, "
        f"{summary.result.findings:,} findings"
    )
    print(f"pipeline: {pipeline_seconds:.2f} s = {pipeline_rps:,.0f} rows/s")
    print(f"raw COPY into an unindexed table: {copy_seconds:.3f} s = {copy_rps:,.0f} rows/s")
    print(
        f"(raw COPY into the odds table itself: {table_seconds:.2f} s, ratio "
        f"{copy_seconds / table_seconds:.3f}: its primary key and index are the ceiling)"
    )
    print(
        f"(reading and parsing the files alone, no database: {parse_seconds:.2f} s for "
        f"{parsed_rows:,} rows, ratio {copy_seconds / parse_seconds:.3f}: the Python floor)"
    )
    cores = os.cpu_count() or 1
    if (
        server_before is not None
        and server_after is not None
        and copy_server is not None
        and copy_server_after is not None
    ):
        server_cpu = server_after - server_before
        floor = (python_cpu + server_cpu) / cores
        copy_cpu = copy_python + copy_server_after - copy_server
        print(
            f"(CPU of the pipeline: Python {python_cpu:.2f} s + PostgreSQL {server_cpu:.2f} s "
            f"(raw COPY: {copy_cpu:.2f} s); spread over all {cores} cores it still takes "
            f"{floor:.2f} s, ratio {copy_seconds / floor:.3f}: the best any overlap of this "
            "work reaches here)"
        )
    print(f"ratio pipeline / raw COPY: {pipeline_rps / copy_rps:.3f} (goal >= 0.5)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--season", default="2023-2024")
    args = parser.parse_args()
    archive = Path(os.environ.get("ODDS_ARCHIVE_DIR", DEFAULT_ARCHIVE))
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    asyncio.run(main(args.season, archive, url))
