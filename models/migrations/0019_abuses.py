"""Abuse reports and their message threads; notifications name their report.

Frozen SQL, generated once from the models of the day.
"""

_TABLES = [
    'CREATE TABLE "abuse" ("id" {id}, "kind" VARCHAR(10) NOT NULL, "reporter_id" INTEGER, '
    '"flagged_account_id" INTEGER, "video_id" INTEGER, "comment_id" INTEGER, '
    '"start_at" INTEGER, "end_at" INTEGER, "reason" TEXT NOT NULL, '
    '"predefined_reasons" VARCHAR(64) NOT NULL, "state" SMALLINT NOT NULL, '
    '"moderation_comment" TEXT, "ap_id" VARCHAR(2000), "processed_at" {ts}, '
    '"created_at" {ts} NOT NULL, "updated_at" {ts} NOT NULL, '
    'FOREIGN KEY ("reporter_id") REFERENCES "account" ("id") ON DELETE SET NULL, '
    'FOREIGN KEY ("flagged_account_id") REFERENCES "account" ("id") ON DELETE SET NULL, '
    'FOREIGN KEY ("video_id") REFERENCES "video" ("id") ON DELETE SET NULL, '
    'FOREIGN KEY ("comment_id") REFERENCES "comment" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "abuse_reporter_id" ON "abuse" ("reporter_id")',
    'CREATE INDEX "abuse_flagged_account_id" ON "abuse" ("flagged_account_id")',
    'CREATE INDEX "abuse_video_id" ON "abuse" ("video_id")',
    'CREATE INDEX "abuse_comment_id" ON "abuse" ("comment_id")',
    'CREATE UNIQUE INDEX "abuse_ap_id" ON "abuse" ("ap_id")',
    'CREATE INDEX "abuse_state_id" ON "abuse" ("state", "id")',
    'CREATE TABLE "abuse_message" ("id" {id}, "abuse_id" INTEGER NOT NULL, "account_id" INTEGER, '
    '"message" TEXT NOT NULL, "by_moderator" BOOLEAN NOT NULL, '
    '"created_at" {ts} NOT NULL, "updated_at" {ts} NOT NULL, '
    'FOREIGN KEY ("abuse_id") REFERENCES "abuse" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("account_id") REFERENCES "account" ("id") ON DELETE SET NULL)',
    'CREATE INDEX "abuse_message_abuse_id" ON "abuse_message" ("abuse_id")',
    'CREATE INDEX "abuse_message_account_id" ON "abuse_message" ("account_id")',
    'ALTER TABLE "notification" ADD COLUMN "abuse_id" INTEGER '
    'REFERENCES "abuse" ("id") ON DELETE CASCADE',
    'CREATE INDEX "notification_abuse_id" ON "notification" ("abuse_id")',
]
_TYPES = {
    "sqlite": {"id": "INTEGER NOT NULL PRIMARY KEY", "ts": "DATETIME"},
    "postgres": {"id": "SERIAL NOT NULL PRIMARY KEY", "ts": "TIMESTAMP"},
}
STATEMENTS = {dialect: [s.format(**types) for s in _TABLES] for dialect, types in _TYPES.items()}


def apply(db, dialect: str) -> None:
    """Create abuse and abuse_message; add notification.abuse_id."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
