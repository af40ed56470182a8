"""Shares: Announces of local videos by actors of other servers.

Frozen SQL, generated once from the models of the day.
"""

_TABLE = (
    'CREATE TABLE "share" ("id" {id}, "video_id" INTEGER NOT NULL, "actor_id" INTEGER NOT NULL, '
    '"ap_id" VARCHAR(2000) NOT NULL, "created_at" {ts} NOT NULL, '
    'FOREIGN KEY ("video_id") REFERENCES "video" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("actor_id") REFERENCES "actor" ("id") ON DELETE CASCADE)'
)
_INDEXES = [
    'CREATE UNIQUE INDEX "share_ap_id" ON "share" ("ap_id")',
    'CREATE INDEX "share_video_id" ON "share" ("video_id")',
    'CREATE INDEX "share_actor_id" ON "share" ("actor_id")',
    'CREATE UNIQUE INDEX "share_video_id_actor_id" ON "share" ("video_id", "actor_id")',
]
_TYPES = {
    "sqlite": {"id": "INTEGER NOT NULL PRIMARY KEY", "ts": "DATETIME"},
    "postgres": {"id": "SERIAL NOT NULL PRIMARY KEY", "ts": "TIMESTAMP"},
}
STATEMENTS = {dialect: [_TABLE.format(**types), *_INDEXES] for dialect, types in _TYPES.items()}


def apply(db, dialect: str) -> None:
    """Create the share table."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
