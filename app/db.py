"""Database connection (SQLite or PostgreSQL from DATABASE_URL) and migrations.

Migrations are the numbered modules in models/migrations/; each is applied in
a transaction and recorded in the `schema_migration` table.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import peewee
from playhouse.pool import PooledPostgresqlDatabase

import models
from models import db, migrations, utcnow

log = logging.getLogger(__name__)


def dialect() -> str:
    """'postgres' or 'sqlite' for the bound database."""
    return "postgres" if isinstance(db.obj, peewee.PostgresqlDatabase) else "sqlite"


def make_database(url: str) -> peewee.Database:
    """A peewee database for a sqlite:///path or postgresql://user@host:port/name URL."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path, sqlite:////absolute/path, sqlite:///:memory:
        path = unquote(url.split(":///", 1)[1]) if ":///" in url else ""
        if path not in ("", ":memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return peewee.SqliteDatabase(
            path or ":memory:",
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": 15000,
                "synchronous": "normal",
            },
            timeout=15,
            # Every transaction takes the write lock at its start: a read-then-write
            # transaction could not upgrade later in WAL mode ("database is locked").
            lock_type="IMMEDIATE",
        )
    if parsed.scheme in ("postgresql", "postgres"):
        return PooledPostgresqlDatabase(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            max_connections=32,
            stale_timeout=300,
        )
    raise ValueError(f"unsupported DATABASE_URL scheme: {parsed.scheme!r}")


def connect(url: str) -> peewee.Database:
    """Bind the models to the database at `url` and return it."""
    database = make_database(url)
    db.initialize(database)
    return database


class SchemaMigration(models.BaseModel):
    """One applied migration."""

    name = peewee.CharField(max_length=100, primary_key=True)
    applied_at = peewee.DateTimeField(default=utcnow)


def _migration_modules() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules(migrations.__path__) if m.name[:4].isdigit()]
    return sorted(names)


def migrate() -> list[str]:
    """Apply every pending migration in order; return the names applied."""
    applied: list[str] = []
    db.create_tables([SchemaMigration], safe=True)
    for name in _migration_modules():
        with db.atomic():
            if dialect() == "postgres":
                # Two processes starting together must not both apply a migration.
                db.execute_sql("SELECT pg_advisory_xact_lock(4242)")
            if SchemaMigration.get_or_none(SchemaMigration.name == name):
                continue
            module = importlib.import_module(f"models.migrations.{name}")
            log.info("applying migration %s", name)
            module.apply(db, dialect())
            SchemaMigration.create(name=name)
            applied.append(name)
    return applied
