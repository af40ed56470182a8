"""Channels get links, avatar, banner and the switch that hides their back catalogue."""

COLUMNS = (
    ("links", "TEXT NOT NULL DEFAULT '[]'", "TEXT NOT NULL DEFAULT '[]'"),
    ("hide_catalogue", "INTEGER NOT NULL DEFAULT 0", "BOOLEAN NOT NULL DEFAULT FALSE"),
    ("avatar", "VARCHAR(2000) NOT NULL DEFAULT ''", "VARCHAR(2000) NOT NULL DEFAULT ''"),
    ("banner", "VARCHAR(2000) NOT NULL DEFAULT ''", "VARCHAR(2000) NOT NULL DEFAULT ''"),
)


def apply(db, dialect: str) -> None:
    """Add the columns to "channel"."""
    for name, sqlite_type, postgres_type in COLUMNS:
        kind = postgres_type if dialect == "postgres" else sqlite_type
        db.execute_sql(f'ALTER TABLE "channel" ADD COLUMN "{name}" {kind}')
