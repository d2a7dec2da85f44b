"""Set-based merges of duplicate ids store exactly what merging them one by one stores."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text, update

from oddscore.ingestion import store
from oddscore.storage import Database, Event, EventAlias
from tests.ingestion.conftest import NOW, TAKEN, TIP, book, event
from tests.ingestion.ingest_digest import digest
from tests.ingestion.test_pipeline import ingest

TEAMS = [("Denver Nuggets", "Los Angeles Lakers"), ("Boston Celtics", "Miami Heat")]
TEAMS += [("Phoenix Suns", "Utah Jazz")]
PAIRS = [("a" * 31 + str(n), "b" * 31 + str(n)) for n in range(3)]


async def _scenario(db: Database) -> None:
    """Three games stored under a loser id and a winner id each (the sport key differs, so
    ingestion does not merge them itself): a snapshot time under both ids for the first game
    (the winner's copy stays), a final score known only under the second game's loser, and an
    older alias pointing at the third game's loser."""
    early = TAKEN - timedelta(days=2)
    for n, ((home, away), (loser, winner)) in enumerate(zip(TEAMS, PAIRS, strict=True)):
        tip = TIP + timedelta(hours=n)
        books = [book(home=home, away=away, updated=early), book("fanduel", home=home, away=away)]
        lose = event(event_id=loser, commence=tip, home=home, away=away, books=books)
        win = event(event_id=winner, commence=tip, home=home, away=away, books=books[1:])
        lose["sport_key"] = f"basketball_x{n}"
        await ingest(db, [lose], taken=early)
        await ingest(db, [win], taken=TAKEN)
        if n == 0:
            await ingest(db, [lose], taken=TAKEN)
    async with db.engine.begin() as conn:
        await conn.execute(
            update(Event.__table__)  # type: ignore[attr-defined]
            .where(Event.__table__.c.id == PAIRS[1][0])  # type: ignore[attr-defined]
            .values(status="final", home_score=101, away_score=99, result_source="csv")
        )
        await store.insert_aliases(conn, [("c" * 32, PAIRS[2][0])], NOW)


async def _merged(db: Database, *, together: bool) -> dict[str, object]:
    await _scenario(db)
    async with db.engine.begin() as conn:
        if together:
            await store.merge_many(conn, PAIRS, NOW)
        else:
            for loser, winner in PAIRS:
                await store.merge_events(conn, loser, winner, NOW)
        found = await digest(conn)
        await conn.execute(text("DELETE FROM odds"))
        for table in ("data_quality_logs", "odds_snapshots", "event_aliases", "events"):
            await conn.execute(text(f"DELETE FROM {table}"))
    return found


async def test_merging_many_pairs_at_once_equals_merging_them_one_by_one(db: Database) -> None:
    one_by_one = await _merged(db, together=False)
    together = await _merged(db, together=True)
    assert together == one_by_one
    # The scenario exercises what it claims: the losers are gone, the result moved, the
    # older alias and the new ones point at winners, and the clashing copy was dropped.
    await _scenario(db)
    async with db.engine.begin() as conn:
        await store.merge_many(conn, PAIRS, NOW)
        ids = set((await conn.execute(select(Event.id))).scalars())
        scores = (await conn.execute(select(Event.home_score).where(Event.id == PAIRS[1][1]))).one()
        aliases = dict((await conn.execute(select(EventAlias.alias_id, EventAlias.event_id))).all())
        snapshots = (
            await conn.execute(
                text("SELECT count(*) FROM odds_snapshots WHERE event_id = :e"), {"e": PAIRS[0][1]}
            )
        ).scalar_one()
    assert ids == {winner for _, winner in PAIRS}
    assert scores == (101,)
    assert aliases == {**dict(PAIRS), "c" * 32: PAIRS[2][1]}
    assert snapshots == 2  # early (moved) and TAKEN (the winner's own; the loser's dropped)


async def test_chained_pairs_fall_back_to_one_by_one(db: Database) -> None:
    """a -> b and b -> c: the order matters, so each merge runs after the previous one."""
    await _scenario(db)
    chain = [(PAIRS[0][0], PAIRS[0][1]), (PAIRS[0][1], PAIRS[1][1])]
    async with db.engine.begin() as conn:
        await store.merge_many(conn, chain, NOW)
        ids = set((await conn.execute(select(Event.id))).scalars())
        aliases = dict((await conn.execute(select(EventAlias.alias_id, EventAlias.event_id))).all())
    assert PAIRS[0][0] not in ids and PAIRS[0][1] not in ids
    assert aliases[PAIRS[0][0]] == aliases[PAIRS[0][1]] == PAIRS[1][1]
