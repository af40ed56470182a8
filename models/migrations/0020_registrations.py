"""Requests to join the server (sign-up by approval), and notifications that name one.

Frozen SQL, generated once from the models of the day.
"""

_TABLE = (
    'CREATE TABLE "user_registration" ("id" {id}, "state" SMALLINT NOT NULL, '
    '"registration_reason" TEXT NOT NULL, "moderation_response" TEXT, '
    '"username" VARCHAR(50) NOT NULL, "email" VARCHAR(254), "email_verified" {bool}, '
    '"password_hash" VARCHAR(255) NOT NULL, "account_display_name" VARCHAR(120) NOT NULL, '
    '"channel_handle" VARCHAR(50), "channel_display_name" VARCHAR(120), "user_id" INTEGER, '
    '"processed_at" {ts}, "created_at" {ts} NOT NULL, "updated_at" {ts} NOT NULL, '
    'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE SET NULL)'
)
_INDEXES = [
    'CREATE UNIQUE INDEX "user_registration_username" ON "user_registration" ("username")',
    'CREATE UNIQUE INDEX "user_registration_email" ON "user_registration" ("email")',
    'CREATE UNIQUE INDEX "user_registration_channel_handle" '
    'ON "user_registration" ("channel_handle")',
    'CREATE INDEX "user_registration_user_id" ON "user_registration" ("user_id")',
    'CREATE INDEX "user_registration_state_created_at" '
    'ON "user_registration" ("state", "created_at")',
    'ALTER TABLE "notification" ADD COLUMN "registration_id" INTEGER '
    'REFERENCES "user_registration" ("id") ON DELETE CASCADE',
    'CREATE INDEX "notification_registration_id" ON "notification" ("registration_id")',
]
_TYPES = {
    "sqlite": {"id": "INTEGER NOT NULL PRIMARY KEY", "ts": "DATETIME", "bool": "INTEGER"},
    "postgres": {"id": "SERIAL NOT NULL PRIMARY KEY", "ts": "TIMESTAMP", "bool": "BOOLEAN"},
}
STATEMENTS = {dialect: [_TABLE.format(**types), *_INDEXES] for dialect, types in _TYPES.items()}


def apply(db, dialect: str) -> None:
    """Create the user_registration table and notification.registration_id."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
