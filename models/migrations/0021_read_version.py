"""The read version: one number that every change to what visitors can read moves.

Web processes keep rendered anonymous reads (API, ActivityPub, pages, feeds)
for as long as this number stays the same (app/read_cache.py). The database
moves it itself, with triggers on every table those reads come from, so a
change made by any process (another web process, a worker applying a remote
Update) is seen by all of them at once, whichever code path made it.

SQLite: a row trigger per table and operation, inside the writing statement
(SQLite has one writer at a time). PostgreSQL: deferred constraint triggers,
so the version row is locked only at commit, after every other lock of the
transaction (a bump at each statement could deadlock two transactions that
touch the same rows in another order), and moved once per transaction.

Frozen SQL. Tables added later that visitors read need their triggers in a
migration of their own (tests/app/test_read_cache.py checks every table).
"""

TABLES = (
    "account",
    "actor",
    "channel",
    "comment",
    "follow",
    "mirror",
    "mute",
    "rating",
    "server_setting",
    "share",
    "storyboard",
    "user",
    "video",
    "video_block",
    "video_file",
    "view_day",
)

_CREATE = {
    "sqlite": 'CREATE TABLE "read_version" ("id" INTEGER NOT NULL PRIMARY KEY, '
    '"n" INTEGER NOT NULL)',
    "postgres": 'CREATE TABLE "read_version" ("id" INTEGER NOT NULL PRIMARY KEY, '
    '"n" BIGINT NOT NULL, "xact" BIGINT)',
}
_PG_FUNCTION = (
    "CREATE FUNCTION shoal_bump_read_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    'UPDATE "read_version" SET "n" = "n" + 1, "xact" = txid_current() '
    'WHERE "id" = 1 AND "xact" IS DISTINCT FROM txid_current(); '
    "RETURN NULL; "
    "END $$"
)


def _sqlite_triggers(table: str) -> list[str]:
    return [
        f'CREATE TRIGGER "read_version_{table}_{op.lower()}" AFTER {op} ON "{table}" '  # noqa: S608
        'BEGIN UPDATE "read_version" SET "n" = "n" + 1 WHERE "id" = 1; END'
        for op in ("INSERT", "UPDATE", "DELETE")
    ]


def _postgres_trigger(table: str) -> str:
    return (
        f'CREATE CONSTRAINT TRIGGER "read_version_{table}" '
        f'AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
        "EXECUTE FUNCTION shoal_bump_read_version()"
    )


STATEMENTS = {
    "sqlite": [
        _CREATE["sqlite"],
        'INSERT INTO "read_version" ("id", "n") VALUES (1, 0)',
        *(statement for table in TABLES for statement in _sqlite_triggers(table)),
    ],
    "postgres": [
        _CREATE["postgres"],
        'INSERT INTO "read_version" ("id", "n") VALUES (1, 0)',
        _PG_FUNCTION,
        *(_postgres_trigger(table) for table in TABLES),
    ],
}


def apply(db, dialect: str) -> None:
    """Create read_version and the triggers that move it."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
