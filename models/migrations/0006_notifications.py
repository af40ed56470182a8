"""Notifications, and each user's choice of which to receive.

Frozen SQL, generated once from the models of the day.
"""

STATEMENTS = {
    "sqlite": [
        (
            'CREATE TABLE "notification" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"user_id" INTEGER NOT NULL, "type" INTEGER NOT NULL, "read" INTEGER NOT NULL, '
            '"video_id" INTEGER, "actor_id" INTEGER, "created_at" DATETIME NOT NULL, '
            '"updated_at" DATETIME NOT NULL, '
            'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE, '
            'FOREIGN KEY ("video_id") REFERENCES "video" ("id") ON DELETE CASCADE, '
            'FOREIGN KEY ("actor_id") REFERENCES "actor" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "notification_user_id" ON "notification" ("user_id")'),
        ('CREATE INDEX "notification_video_id" ON "notification" ("video_id")'),
        ('CREATE INDEX "notification_actor_id" ON "notification" ("actor_id")'),
        ('CREATE INDEX "notification_user_id_read_id" ON "notification" ("user_id", "read", "id")'),
        ('ALTER TABLE "user" ADD COLUMN "notification_settings" TEXT NOT NULL DEFAULT \'{}\''),
    ],
    "postgres": [
        (
            'CREATE TABLE "notification" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"user_id" INTEGER NOT NULL, "type" SMALLINT NOT NULL, "read" BOOLEAN NOT NULL, '
            '"video_id" INTEGER, "actor_id" INTEGER, "created_at" TIMESTAMP NOT NULL, '
            '"updated_at" TIMESTAMP NOT NULL, '
            'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE, '
            'FOREIGN KEY ("video_id") REFERENCES "video" ("id") ON DELETE CASCADE, '
            'FOREIGN KEY ("actor_id") REFERENCES "actor" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "notification_user_id" ON "notification" ("user_id")'),
        ('CREATE INDEX "notification_video_id" ON "notification" ("video_id")'),
        ('CREATE INDEX "notification_actor_id" ON "notification" ("actor_id")'),
        ('CREATE INDEX "notification_user_id_read_id" ON "notification" ("user_id", "read", "id")'),
        ('ALTER TABLE "user" ADD COLUMN "notification_settings" TEXT NOT NULL DEFAULT \'{}\''),
    ],
}


def apply(db, dialect: str) -> None:
    """Create the notification table and the settings column."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
