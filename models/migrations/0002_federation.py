"""Federation: actors (with keys), follows, received activities, outgoing deliveries.

Accounts and channels point to their actor; their ap_id moves there.
Frozen SQL, generated once from the models of the day.
"""

STATEMENTS = {
    "sqlite": [
        (
            'CREATE TABLE "actor" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"type" VARCHAR(16) NOT NULL, "name" VARCHAR(100) NOT NULL, '
            '"host" VARCHAR(255) NOT NULL, "ap_id" VARCHAR(2000), '
            '"inbox" VARCHAR(2000) NOT NULL, "shared_inbox" VARCHAR(2000) NOT NULL, '
            '"outbox" VARCHAR(2000) NOT NULL, "followers_url" VARCHAR(2000) NOT NULL, '
            '"following_url" VARCHAR(2000) NOT NULL, "url" VARCHAR(2000) NOT NULL, '
            '"public_key" TEXT NOT NULL, "private_key" TEXT NOT NULL, "fetched_at" DATETIME, '
            '"created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL)'
        ),
        ('CREATE UNIQUE INDEX "actor_ap_id" ON "actor" ("ap_id")'),
        ('CREATE INDEX "actor_name_host" ON "actor" ("name", "host")'),
        (
            'CREATE TABLE "follow" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"follower_id" INTEGER NOT NULL, "target_id" INTEGER NOT NULL, '
            '"state" VARCHAR(10) NOT NULL, "ap_id" VARCHAR(2000), '
            '"created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, '
            'FOREIGN KEY ("follower_id") REFERENCES "actor" ("id") ON DELETE CASCADE, '
            'FOREIGN KEY ("target_id") REFERENCES "actor" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "follow_follower_id" ON "follow" ("follower_id")'),
        ('CREATE INDEX "follow_target_id" ON "follow" ("target_id")'),
        ('CREATE UNIQUE INDEX "follow_ap_id" ON "follow" ("ap_id")'),
        (
            'CREATE UNIQUE INDEX "follow_follower_id_target_id" ON "follow" ("follower_id", '
            '"target_id")'
        ),
        ('CREATE INDEX "follow_target_id_state" ON "follow" ("target_id", "state")'),
        (
            'CREATE TABLE "inbox_activity" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"key" VARCHAR(64) NOT NULL, "ap_id" VARCHAR(2000) NOT NULL, '
            '"type" VARCHAR(32) NOT NULL, "actor" VARCHAR(2000) NOT NULL, '
            '"body" TEXT NOT NULL, "state" VARCHAR(10) NOT NULL, "error" TEXT NOT NULL, '
            '"received_at" DATETIME NOT NULL)'
        ),
        ('CREATE UNIQUE INDEX "inbox_activity_key" ON "inbox_activity" ("key")'),
        (
            'CREATE TABLE "out_activity" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"ap_id" VARCHAR(2000) NOT NULL, "type" VARCHAR(32) NOT NULL, '
            '"actor_id" INTEGER NOT NULL, "body" TEXT NOT NULL, '
            '"created_at" DATETIME NOT NULL, '
            'FOREIGN KEY ("actor_id") REFERENCES "actor" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "out_activity_actor_id" ON "out_activity" ("actor_id")'),
        (
            'CREATE TABLE "delivery" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"activity_id" INTEGER NOT NULL, "inbox" VARCHAR(2000) NOT NULL, '
            '"host" VARCHAR(255) NOT NULL, "state" VARCHAR(10) NOT NULL, '
            '"attempts" INTEGER NOT NULL, "next_at" DATETIME NOT NULL, '
            '"last_status" INTEGER, "last_error" TEXT NOT NULL, '
            '"created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, '
            'FOREIGN KEY ("activity_id") REFERENCES "out_activity" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "delivery_activity_id" ON "delivery" ("activity_id")'),
        ('CREATE INDEX "delivery_host" ON "delivery" ("host")'),
        ('CREATE INDEX "delivery_state_next_at" ON "delivery" ("state", "next_at")'),
        (
            'ALTER TABLE "account" ADD COLUMN "actor_id" INTEGER '
            'REFERENCES "actor" ("id") ON DELETE SET NULL'
        ),
        ('CREATE UNIQUE INDEX "account_actor_id" ON "account" ("actor_id")'),
        ('DROP INDEX "account_ap_id"'),
        ('ALTER TABLE "account" DROP COLUMN "ap_id"'),
        (
            'ALTER TABLE "channel" ADD COLUMN "actor_id" INTEGER '
            'REFERENCES "actor" ("id") ON DELETE SET NULL'
        ),
        ('CREATE UNIQUE INDEX "channel_actor_id" ON "channel" ("actor_id")'),
        ('DROP INDEX "channel_ap_id"'),
        ('ALTER TABLE "channel" DROP COLUMN "ap_id"'),
    ],
    "postgres": [
        (
            'CREATE TABLE "actor" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"type" VARCHAR(16) NOT NULL, "name" VARCHAR(100) NOT NULL, '
            '"host" VARCHAR(255) NOT NULL, "ap_id" VARCHAR(2000), '
            '"inbox" VARCHAR(2000) NOT NULL, "shared_inbox" VARCHAR(2000) NOT NULL, '
            '"outbox" VARCHAR(2000) NOT NULL, "followers_url" VARCHAR(2000) NOT NULL, '
            '"following_url" VARCHAR(2000) NOT NULL, "url" VARCHAR(2000) NOT NULL, '
            '"public_key" TEXT NOT NULL, "private_key" TEXT NOT NULL, '
            '"fetched_at" TIMESTAMP, "created_at" TIMESTAMP NOT NULL, '
            '"updated_at" TIMESTAMP NOT NULL)'
        ),
        ('CREATE UNIQUE INDEX "actor_ap_id" ON "actor" ("ap_id")'),
        ('CREATE INDEX "actor_name_host" ON "actor" ("name", "host")'),
        (
            'CREATE TABLE "follow" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"follower_id" INTEGER NOT NULL, "target_id" INTEGER NOT NULL, '
            '"state" VARCHAR(10) NOT NULL, "ap_id" VARCHAR(2000), '
            '"created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, '
            'FOREIGN KEY ("follower_id") REFERENCES "actor" ("id") ON DELETE CASCADE, '
            'FOREIGN KEY ("target_id") REFERENCES "actor" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "follow_follower_id" ON "follow" ("follower_id")'),
        ('CREATE INDEX "follow_target_id" ON "follow" ("target_id")'),
        ('CREATE UNIQUE INDEX "follow_ap_id" ON "follow" ("ap_id")'),
        (
            'CREATE UNIQUE INDEX "follow_follower_id_target_id" ON "follow" ("follower_id", '
            '"target_id")'
        ),
        ('CREATE INDEX "follow_target_id_state" ON "follow" ("target_id", "state")'),
        (
            'CREATE TABLE "inbox_activity" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"key" VARCHAR(64) NOT NULL, "ap_id" VARCHAR(2000) NOT NULL, '
            '"type" VARCHAR(32) NOT NULL, "actor" VARCHAR(2000) NOT NULL, '
            '"body" TEXT NOT NULL, "state" VARCHAR(10) NOT NULL, "error" TEXT NOT NULL, '
            '"received_at" TIMESTAMP NOT NULL)'
        ),
        ('CREATE UNIQUE INDEX "inbox_activity_key" ON "inbox_activity" ("key")'),
        (
            'CREATE TABLE "out_activity" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"ap_id" VARCHAR(2000) NOT NULL, "type" VARCHAR(32) NOT NULL, '
            '"actor_id" INTEGER NOT NULL, "body" TEXT NOT NULL, '
            '"created_at" TIMESTAMP NOT NULL, '
            'FOREIGN KEY ("actor_id") REFERENCES "actor" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "out_activity_actor_id" ON "out_activity" ("actor_id")'),
        (
            'CREATE TABLE "delivery" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"activity_id" INTEGER NOT NULL, "inbox" VARCHAR(2000) NOT NULL, '
            '"host" VARCHAR(255) NOT NULL, "state" VARCHAR(10) NOT NULL, '
            '"attempts" INTEGER NOT NULL, "next_at" TIMESTAMP NOT NULL, '
            '"last_status" INTEGER, "last_error" TEXT NOT NULL, '
            '"created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, '
            'FOREIGN KEY ("activity_id") REFERENCES "out_activity" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "delivery_activity_id" ON "delivery" ("activity_id")'),
        ('CREATE INDEX "delivery_host" ON "delivery" ("host")'),
        ('CREATE INDEX "delivery_state_next_at" ON "delivery" ("state", "next_at")'),
        (
            'ALTER TABLE "account" ADD COLUMN "actor_id" INTEGER '
            'REFERENCES "actor" ("id") ON DELETE SET NULL'
        ),
        ('CREATE UNIQUE INDEX "account_actor_id" ON "account" ("actor_id")'),
        ('DROP INDEX "account_ap_id"'),
        ('ALTER TABLE "account" DROP COLUMN "ap_id"'),
        (
            'ALTER TABLE "channel" ADD COLUMN "actor_id" INTEGER '
            'REFERENCES "actor" ("id") ON DELETE SET NULL'
        ),
        ('CREATE UNIQUE INDEX "channel_actor_id" ON "channel" ("actor_id")'),
        ('DROP INDEX "channel_ap_id"'),
        ('ALTER TABLE "channel" DROP COLUMN "ap_id"'),
    ],
}


def apply(db, dialect: str) -> None:
    """Create the federation tables and link accounts and channels to actors."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
