"""Users choose whether their browser shares video segments with other viewers (P2P)."""

STATEMENTS = {
    "sqlite": ['ALTER TABLE "user" ADD COLUMN "p2p_enabled" INTEGER NOT NULL DEFAULT 1'],
    "postgres": ['ALTER TABLE "user" ADD COLUMN "p2p_enabled" BOOLEAN NOT NULL DEFAULT TRUE'],
}


def apply(db, dialect: str) -> None:
    """Add user.p2p_enabled (on for everyone who had an account before)."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
