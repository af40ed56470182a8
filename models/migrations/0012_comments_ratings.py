"""Comments and ratings (likes, dislikes) on videos.

Frozen SQL, generated once from the models of the day.
"""

_COMMENT = (
    'CREATE TABLE "comment" ("id" {id}, "video_id" INTEGER NOT NULL, "account_id" INTEGER, '
    '"parent_id" INTEGER, "thread_id" INTEGER, "text" TEXT NOT NULL, "ap_id" VARCHAR(2000), '
    '"created_at" {ts} NOT NULL, "updated_at" {ts} NOT NULL, "deleted_at" {ts}, '
    'FOREIGN KEY ("video_id") REFERENCES "video" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("account_id") REFERENCES "account" ("id") ON DELETE SET NULL, '
    'FOREIGN KEY ("parent_id") REFERENCES "comment" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("thread_id") REFERENCES "comment" ("id") ON DELETE CASCADE)'
)
_RATING = (
    'CREATE TABLE "rating" ("id" {id}, "video_id" INTEGER NOT NULL, '
    '"account_id" INTEGER NOT NULL, "value" SMALLINT NOT NULL, "ap_id" VARCHAR(2000), '
    '"created_at" {ts} NOT NULL, '
    'FOREIGN KEY ("video_id") REFERENCES "video" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("account_id") REFERENCES "account" ("id") ON DELETE CASCADE)'
)
_INDEXES = [
    'CREATE UNIQUE INDEX "comment_ap_id" ON "comment" ("ap_id")',
    'CREATE INDEX "comment_video_id" ON "comment" ("video_id")',
    'CREATE INDEX "comment_account_id" ON "comment" ("account_id")',
    'CREATE INDEX "comment_parent_id" ON "comment" ("parent_id")',
    'CREATE INDEX "comment_thread_id" ON "comment" ("thread_id")',
    'CREATE INDEX "comment_video_id_thread_id_id" ON "comment" ("video_id", "thread_id", "id")',
    'CREATE INDEX "rating_video_id" ON "rating" ("video_id")',
    'CREATE INDEX "rating_account_id" ON "rating" ("account_id")',
    'CREATE UNIQUE INDEX "rating_video_id_account_id" ON "rating" ("video_id", "account_id")',
]
_TYPES = {
    "sqlite": {"id": "INTEGER NOT NULL PRIMARY KEY", "ts": "DATETIME"},
    "postgres": {"id": "SERIAL NOT NULL PRIMARY KEY", "ts": "TIMESTAMP"},
}
STATEMENTS = {
    dialect: [_COMMENT.format(**types), _RATING.format(**types), *_INDEXES]
    for dialect, types in _TYPES.items()
}


def apply(db, dialect: str) -> None:
    """Create the comment and rating tables."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
