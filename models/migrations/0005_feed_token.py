"""Users get a feed token for their private subscriptions feed (empty until first used)."""

STATEMENTS = {
    "sqlite": ['ALTER TABLE "user" ADD COLUMN "feed_token" VARCHAR(64) NOT NULL DEFAULT \'\''],
    "postgres": ['ALTER TABLE "user" ADD COLUMN "feed_token" VARCHAR(64) NOT NULL DEFAULT \'\''],
}


def apply(db, dialect: str) -> None:
    """Add user.feed_token."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
