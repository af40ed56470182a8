"""Indexes in the orders video lists are read in (newest, most viewed; a channel's
newest), so that a page is read with LIMIT from the index instead of sorting every
listed video: a list costs the same with 30 videos or 100,000.

Frozen SQL. SQLite puts NULLs last in a descending index by itself.
"""

STATEMENTS = {
    "sqlite": [
        'CREATE INDEX "video_published_at_id" ON "video" ("published_at" DESC, "id" DESC)',
        'CREATE INDEX "video_views_id" ON "video" ("views" DESC, "id" DESC)',
        'CREATE INDEX "video_channel_id_published_at_id" '
        'ON "video" ("channel_id", "published_at" DESC, "id" DESC)',
    ],
    "postgres": [
        'CREATE INDEX "video_published_at_id" '
        'ON "video" ("published_at" DESC NULLS LAST, "id" DESC)',
        'CREATE INDEX "video_views_id" ON "video" ("views" DESC, "id" DESC)',
        'CREATE INDEX "video_channel_id_published_at_id" '
        'ON "video" ("channel_id", "published_at" DESC NULLS LAST, "id" DESC)',
    ],
}


def apply(db, dialect: str) -> None:
    """Create the list indexes."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
