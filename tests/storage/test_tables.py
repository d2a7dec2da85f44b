"""The read path's Core tables (``oddscore.storage.tables``) match the SQLModel tables."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from oddscore.storage import tables
from oddscore.storage.models import ALL_TABLES

MODELS = {model.__tablename__: model.__table__ for model in ALL_TABLES}  # type: ignore[attr-defined]
MIRRORS = [tables.EVENTS, tables.SNAPSHOTS, tables.ODDS, tables.QUALITY_LOGS, tables.FETCH_LOGS]


def _shape(table: Any) -> list[tuple[str, str, str, bool, bool]]:
    return [
        (
            column.name,
            str(column.type.compile(dialect=postgresql.dialect())),
            str(column.type.compile(dialect=sqlite.dialect())),
            bool(column.nullable),
            bool(column.primary_key),
        )
        for column in table.columns
    ]


@pytest.mark.parametrize("mirror", MIRRORS, ids=lambda t: t.name)
def test_each_read_table_has_its_models_columns(mirror: Any) -> None:
    assert _shape(mirror) == _shape(MODELS[mirror.name])


@pytest.mark.parametrize("mirror", MIRRORS, ids=lambda t: t.name)
def test_each_read_table_keeps_its_models_result_types(mirror: Any) -> None:
    # UTC-aware timestamps and JSON come back through the column type's result processing.
    model = MODELS[mirror.name]
    for column in mirror.columns:
        assert type(column.type).__name__ == type(model.c[column.name].type).__name__.replace(
            "AutoString", "String"
        ), column.name
