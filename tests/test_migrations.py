"""The schema's migrations: one head, and an old station's database upgrades without loss."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from broadcaster import db


def test_the_migrations_have_one_head() -> None:
    engine = create_engine("sqlite://")
    script = ScriptDirectory.from_config(db.alembic_config(engine))
    assert len(script.get_heads()) == 1, script.get_heads()


def test_a_database_made_at_0001_upgrades_to_the_newest_schema_keeping_its_rows(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = db.alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO zones (name, kind, output, description) VALUES ('Thôn Đông', 'thôn', 'main', '')"))
    db.migrate(engine)
    db.migrate(engine)  # twice changes nothing
    with engine.connect() as connection:
        versions = [row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))]
        zones = [row[0] for row in connection.execute(text("SELECT name FROM zones"))]
    heads = ScriptDirectory.from_config(config).get_heads()
    assert sorted(versions) == sorted(heads), (versions, heads)
    assert zones == ["Thôn Đông"]
    columns = {c["name"] for c in inspect(engine).get_columns("zones")}
    assert {"latitude", "longitude"} <= columns, columns
    tables = set(inspect(engine).get_table_names())
    assert {"occurrence_heads", "public_airings", "receivers", "panel_attempts",
            "revoked_sessions", "box_airchecks"} <= tables, tables
    kept = {c["name"] for c in inspect(engine).get_columns("receiver_evidence")}
    assert {"kept_aircheck_path", "kept_aircheck_at", "aircheck_note"} <= kept, kept
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("evidence")}
    assert "ix_evidence_category_scheduled_at" in indexes, indexes
