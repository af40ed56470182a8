"""Remote videos remember when they were last fetched, to refresh stale copies."""

STATEMENTS = {
    "sqlite": ['ALTER TABLE "video" ADD COLUMN "fetched_at" DATETIME'],
    "postgres": ['ALTER TABLE "video" ADD COLUMN "fetched_at" TIMESTAMP'],
}


def apply(db, dialect: str) -> None:
    """Add video.fetched_at (NULL for local videos)."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
