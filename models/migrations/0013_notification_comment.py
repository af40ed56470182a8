"""Comment notifications name their comment."""

STATEMENTS = {
    dialect: [
        'ALTER TABLE "notification" ADD COLUMN "comment_id" INTEGER '
        'REFERENCES "comment" ("id") ON DELETE CASCADE',
        'CREATE INDEX "notification_comment_id" ON "notification" ("comment_id")',
    ]
    for dialect in ("sqlite", "postgres")
}


def apply(db, dialect: str) -> None:
    """Add notification.comment_id."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
