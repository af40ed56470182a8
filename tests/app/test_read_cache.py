"""The read version (migration 0021): every change to what visitors read moves it, once
per transaction and only when committed, whichever connection looks."""

from __future__ import annotations

import importlib

from app import read_cache
from app.db import make_database
from models import all_models, db, use
from models.jobs import Job
from models.server import ServerSetting

MIGRATION = importlib.import_module("models.migrations.0021_read_version")


def trigger_tables(backend: str) -> set[str]:
    """The tables with a read_version_* trigger, as the database lists them."""
    if backend == "sqlite":
        sql = "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
    rows = db.execute_sql(sql).fetchall()
    return {table.strip('"') for name, table in rows if name.startswith("read_version_")}


def test_every_table_is_either_watched_or_named_as_never_read(backend):
    tables = {model._meta.table_name for model in all_models()}
    watched = set(MIGRATION.TABLES)
    assert not watched & read_cache.UNREAD_TABLES
    unclassified = tables - watched - read_cache.UNREAD_TABLES
    assert not unclassified, f"tables in neither list: {sorted(unclassified)}"
    assert trigger_tables(backend) == watched


def test_a_committed_change_moves_the_version_and_bookkeeping_does_not(backend, database):
    other = make_database(database)  # another process's connection
    try:
        before = read_cache.current_version()
        Job.create(kind="deliver", payload="{}")
        assert read_cache.current_version() == before

        with db.atomic():
            ServerSetting.create(key="instance.name", value="First")
            ServerSetting.update(value="Second").where(
                ServerSetting.key == "instance.name"
            ).execute()
            if backend == "postgres":  # not before the commit, for anyone
                with use(other):
                    assert read_cache.current_version() == before
        after = read_cache.current_version()
        with use(other):
            assert read_cache.current_version() == after
        assert after > before
        if backend == "postgres":
            assert after == before + 1  # once per transaction, at its commit

        ServerSetting.delete().execute()
        assert read_cache.current_version() > after
    finally:
        other.close()
