"""Moderation: blocked videos, muted accounts and servers, and the users trusted to publish
without a moderator's look (PeerTube's adminFlags).

Frozen SQL, generated once from the models of the day.
"""

_TABLES = [
    'CREATE TABLE "video_block" ("id" {id}, "video_id" INTEGER NOT NULL, "reason" TEXT NOT NULL, '
    '"unfederated" {bool} NOT NULL, "kind" SMALLINT NOT NULL, "created_at" {ts} NOT NULL, '
    '"updated_at" {ts} NOT NULL, '
    'FOREIGN KEY ("video_id") REFERENCES "video" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "video_block_video_id" ON "video_block" ("video_id")',
    'CREATE TABLE "mute" ("id" {id}, "user_id" INTEGER, "account_id" INTEGER, '
    '"host" VARCHAR(255) NOT NULL, "created_at" {ts} NOT NULL, '
    'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("account_id") REFERENCES "account" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "mute_user_id" ON "mute" ("user_id")',
    'CREATE INDEX "mute_account_id" ON "mute" ("account_id")',
    # One mute of a thing per user, and per server (user NULL: NULLs are distinct in a
    # plain unique index, hence the partial ones).
    'CREATE UNIQUE INDEX "mute_user_account" ON "mute" ("user_id", "account_id") '
    'WHERE "user_id" IS NOT NULL AND "account_id" IS NOT NULL',
    'CREATE UNIQUE INDEX "mute_user_host" ON "mute" ("user_id", "host") '
    'WHERE "user_id" IS NOT NULL AND "host" != \'\'',
    'CREATE UNIQUE INDEX "mute_server_account" ON "mute" ("account_id") '
    'WHERE "user_id" IS NULL AND "account_id" IS NOT NULL',
    'CREATE UNIQUE INDEX "mute_server_host" ON "mute" ("host") '
    'WHERE "user_id" IS NULL AND "host" != \'\'',
    'ALTER TABLE "user" ADD COLUMN "admin_flags" INTEGER NOT NULL DEFAULT 0',
]
_TYPES = {
    "sqlite": {"id": "INTEGER NOT NULL PRIMARY KEY", "ts": "DATETIME", "bool": "BOOLEAN"},
    "postgres": {"id": "SERIAL NOT NULL PRIMARY KEY", "ts": "TIMESTAMP", "bool": "BOOLEAN"},
}
STATEMENTS = {dialect: [s.format(**types) for s in _TABLES] for dialect, types in _TYPES.items()}


def apply(db, dialect: str) -> None:
    """Create video_block and mute; add user.admin_flags."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
