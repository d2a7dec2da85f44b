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

The ratio pipeline / baseline is printed last (goal >= 0.35, issue #19), with the SQL
statements the import sent per file: every statement SQLAlchemy executed (counted with a
``before_cursor_execute`` listener; an ``executemany`` counts once) plus each COPY.

``--backend sqlite`` runs the same import into a fresh SQLite file, against the same rows
inserted with one ``executemany`` into an unindexed table of that file, in one transaction
(SQLite has no COPY). Its ratio is compared with the one of the pipeline before set-based
ingestion (``docs/performance.md``), measured by running this benchmark on that commit's
``oddscore`` (``git archive <commit> oddscore | tar -x -C DIR``, then ``PYTHONPATH=DIR``).

Run: ``uv run python -m benchmarks.ingest [--season 2023-2024] [--backend postgres|sqlite|both]``.
PostgreSQL comes from
``BENCH_DATABASE_URL`` (default: a database ``odds_bench_ingest`` on 127.0.0.1:5432, created
and overwritten). The archive is ``shared/data/real_nba_odds/the_odds_api_snapshots``
(``ODDS_ARCHIVE_DIR`` overrides it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url

from benchmarks._database import fresh_database
from oddscore.clock import FrozenClock, utcnow
from oddscore.ingestion import store
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


class Statements:
    """SQL statements one engine executed, and the COPYs of odds rows (not seen by SQLAlchemy)."""

    def __init__(self) -> None:
        self.sql = 0
        self.copies = 0

    @property
    def total(self) -> int:
        return self.sql + self.copies

    @contextmanager
    def counting(self, db: Database) -> Iterator[None]:
        def executed(*_args: Any) -> None:
            self.sql += 1

        copy_odds = store.copy_odds

        async def counted_copy(conn: Any, records: Any) -> None:
            if records:
                self.copies += 1
            await copy_odds(conn, records)

        event.listen(db.engine.sync_engine, "before_cursor_execute", executed)
        store.copy_odds = counted_copy  # type: ignore[assignment]
        try:
            yield
        finally:
            store.copy_odds = copy_odds  # type: ignore[assignment]
            event.remove(db.engine.sync_engine, "before_cursor_execute", executed)


def _options() -> IngestOptions:
    return IngestOptions(
        expected_markets=("h2h", "spreads", "totals"),
        clock=FrozenClock(utcnow()),
    )


def _print_statements(statements: Statements, files: int) -> None:
    print(
        f"SQL statements: {statements.total:,} ({statements.sql:,} executed + "
        f"{statements.copies} COPY) = {statements.total / files:.2f} per file"
    )


async def main(season: str, archive: Path, url: str) -> None:
    await fresh_database(url)
    db = Database.from_url(url)
    options = _options()
    async with db.engine.connect():  # the pool's connection (its backend) exists from here
        pass
    statements = Statements()
    server_before, python_before = postgres_cpu_seconds(), time.process_time()
    started = time.perf_counter()
    with statements.counting(db):
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
    _print_statements(statements, summary.files)
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
    print(f"ratio pipeline / raw COPY: {pipeline_rps / copy_rps:.3f} (goal >= 0.35)")


def _sqlite_value(value: Any) -> Any:
    # The text layout SQLAlchemy's SQLite DateTime writes (as store.copy_odds does).
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


async def main_sqlite(season: str, archive: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "odds.db"
        url = f"sqlite+aiosqlite:///{path}"
        await fresh_database(url)
        db = Database.from_url(url)
        statements = Statements()
        python_before = time.process_time()
        started = time.perf_counter()
        with statements.counting(db):
            summary = await import_snapshots(db, archive, options=_options(), seasons=[season])
        pipeline_seconds = time.perf_counter() - started
        python_cpu = time.process_time() - python_before
        rows = summary.result.odds_rows
        await db.dispose()

        conn = sqlite3.connect(path)
        try:
            columns = ", ".join(ODDS_COLUMNS)
            records = conn.execute(f"SELECT {columns} FROM odds ORDER BY id").fetchall()
            conn.execute(
                f"CREATE TABLE bench_odds_copy ({', '.join(c + ' ' for c in ODDS_COLUMNS)})"
            )
            placeholders = ", ".join("?" for _ in ODDS_COLUMNS)
            started = time.perf_counter()
            with conn:
                conn.executemany(
                    f"INSERT INTO bench_odds_copy ({columns}) VALUES ({placeholders})",
                    (tuple(_sqlite_value(v) for v in record) for record in records),
                )
            copy_seconds = time.perf_counter() - started
            copied = conn.execute("SELECT count(*) FROM bench_odds_copy").fetchone()[0]
        finally:
            conn.close()
    assert copied == rows, (copied, rows)
    print(
        f"SQLite, season {season}: {summary.odds_files} odds files, {summary.events_files} "
        f"events files; {rows:,} odds rows, {summary.result.findings:,} findings"
    )
    print(
        f"pipeline: {pipeline_seconds:.2f} s = {rows / pipeline_seconds:,.0f} rows/s "
        f"(Python CPU {python_cpu:.2f} s)"
    )
    _print_statements(statements, summary.files)
    print(f"raw executemany into an unindexed table: {copy_seconds:.3f} s")
    print(f"ratio pipeline / raw insert (SQLite): {copy_seconds / pipeline_seconds:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--season", default="2023-2024")
    parser.add_argument("--backend", choices=["postgres", "sqlite", "both"], default="postgres")
    args = parser.parse_args()
    archive = Path(os.environ.get("ODDS_ARCHIVE_DIR", DEFAULT_ARCHIVE))
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    if args.backend in ("postgres", "both"):
        asyncio.run(main(args.season, archive, url))
    if args.backend in ("sqlite", "both"):
        asyncio.run(main_sqlite(args.season, archive))
