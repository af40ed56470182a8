"""Storyboards: the sprite of small pictures shown above the player's seek bar.

Frozen SQL, generated once from the models of the day.
"""

_COLUMNS = (
    '"video_id" INTEGER NOT NULL, "filename" VARCHAR(2000) NOT NULL, '
    '"tile_width" INTEGER NOT NULL, "tile_height" INTEGER NOT NULL, '
    '"tile_duration" INTEGER NOT NULL, "width" INTEGER NOT NULL, "height" INTEGER NOT NULL, '
    'FOREIGN KEY ("video_id") REFERENCES "video" ("id") ON DELETE CASCADE)'
)
_INDEX = 'CREATE UNIQUE INDEX "storyboard_video_id" ON "storyboard" ("video_id")'

_TABLE = 'CREATE TABLE "storyboard" ("id" {} NOT NULL PRIMARY KEY, ' + _COLUMNS

STATEMENTS = {
    "sqlite": [_TABLE.format("INTEGER"), _INDEX],
    "postgres": [_TABLE.format("SERIAL"), _INDEX],
}


def apply(db, dialect: str) -> None:
    """Create the storyboard table."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
