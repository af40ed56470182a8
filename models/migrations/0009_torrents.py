"""Renditions keep their torrent's info dictionary (name, piece length, piece hashes)."""

STATEMENTS = {
    "sqlite": [
        """ALTER TABLE "video_file" ADD COLUMN "infohash" VARCHAR(40) NOT NULL DEFAULT ''""",
        """ALTER TABLE "video_file" ADD COLUMN "torrent_name" VARCHAR(300) NOT NULL DEFAULT ''""",
        'ALTER TABLE "video_file" ADD COLUMN "piece_length" INTEGER NOT NULL DEFAULT 0',
        'ALTER TABLE "video_file" ADD COLUMN "pieces" BLOB',
        'CREATE INDEX "video_file_infohash" ON "video_file" ("infohash")',
    ],
    "postgres": [
        """ALTER TABLE "video_file" ADD COLUMN "infohash" VARCHAR(40) NOT NULL DEFAULT ''""",
        """ALTER TABLE "video_file" ADD COLUMN "torrent_name" VARCHAR(300) NOT NULL DEFAULT ''""",
        'ALTER TABLE "video_file" ADD COLUMN "piece_length" INTEGER NOT NULL DEFAULT 0',
        'ALTER TABLE "video_file" ADD COLUMN "pieces" BYTEA',
        'CREATE INDEX "video_file_infohash" ON "video_file" ("infohash")',
    ],
}


def apply(db, dialect: str) -> None:
    """Add the torrent columns to video_file."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
