"""Remote videos keep their origin's media URLs: widen the file name columns.

SQLite does not enforce VARCHAR lengths, so only PostgreSQL changes.
"""

COLUMNS = {
    "video": ("hls_master", "hls_sha256", "thumbnail", "preview"),
    "video_file": ("filename", "playlist"),
}


def apply(db, dialect: str) -> None:
    """Widen the columns to 2000 characters."""
    if dialect != "postgres":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR(2000)')
