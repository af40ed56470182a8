"""Mirrors of local videos kept by other servers (received CacheFile activities).

Frozen SQL, generated once from the models of the day.
"""

_TABLE = (
    'CREATE TABLE "mirror" ("id" {id}, "video_id" INTEGER NOT NULL, "actor_id" INTEGER NOT NULL, '
    '"ap_id" VARCHAR(2000) NOT NULL, "file_url" VARCHAR(2000) NOT NULL, "expires_at" {ts}, '
    '"created_at" {ts} NOT NULL, "updated_at" {ts} NOT NULL, '
    'FOREIGN KEY ("video_id") REFERENCES "video" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("actor_id") REFERENCES "actor" ("id") ON DELETE CASCADE)'
)
_INDEXES = [
    'CREATE UNIQUE INDEX "mirror_ap_id" ON "mirror" ("ap_id")',
    'CREATE INDEX "mirror_video_id" ON "mirror" ("video_id")',
    'CREATE INDEX "mirror_actor_id" ON "mirror" ("actor_id")',
    'CREATE INDEX "mirror_expires_at" ON "mirror" ("expires_at")',
]
_TYPES = {
    "sqlite": {"id": "INTEGER NOT NULL PRIMARY KEY", "ts": "DATETIME"},
    "postgres": {"id": "SERIAL NOT NULL PRIMARY KEY", "ts": "TIMESTAMP"},
}
STATEMENTS = {dialect: [_TABLE.format(**types), *_INDEXES] for dialect, types in _TYPES.items()}


def apply(db, dialect: str) -> None:
    """Create the mirror table."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
