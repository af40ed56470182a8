"""Views per video and day, for the trending order (local and remote videos).

Frozen SQL, generated once from the models of the day.
"""

_TABLE = (
    'CREATE TABLE "view_day" ("id" {id}, "video_id" INTEGER NOT NULL, "day" DATE NOT NULL, '
    '"views" INTEGER NOT NULL, '
    'FOREIGN KEY ("video_id") REFERENCES "video" ("id") ON DELETE CASCADE)'
)
_INDEXES = [
    'CREATE UNIQUE INDEX "view_day_video_id_day" ON "view_day" ("video_id", "day")',
    'CREATE INDEX "view_day_day" ON "view_day" ("day")',
]
_TYPES = {
    "sqlite": {"id": "INTEGER NOT NULL PRIMARY KEY"},
    "postgres": {"id": "SERIAL NOT NULL PRIMARY KEY"},
}
STATEMENTS = {dialect: [_TABLE.format(**types), *_INDEXES] for dialect, types in _TYPES.items()}


def apply(db, dialect: str) -> None:
    """Create the view_day table."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
