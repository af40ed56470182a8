"""Mirrors this server keeps of other servers' videos: their state, size and strategy."""

STATEMENTS = {
    dialect: [
        'ALTER TABLE "mirror" ADD COLUMN "state" VARCHAR(10) NOT NULL DEFAULT \'ready\'',
        'ALTER TABLE "mirror" ADD COLUMN "error" TEXT NOT NULL DEFAULT \'\'',
        'ALTER TABLE "mirror" ADD COLUMN "size" BIGINT NOT NULL DEFAULT 0',
        'ALTER TABLE "mirror" ADD COLUMN "strategy" VARCHAR(20)',
    ]
    for dialect in ("sqlite", "postgres")
}


def apply(db, dialect: str) -> None:
    """Add mirror.state, error, size and strategy."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
