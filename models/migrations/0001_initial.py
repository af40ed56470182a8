"""Initial schema: users, accounts, channels, OAuth, videos, files, jobs, uploads.

Frozen SQL (generated once from the models of the day) so that later model
changes never alter what this migration does.
"""

STATEMENTS = {
    "sqlite": [
        (
            'CREATE TABLE "user" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"username" VARCHAR(50) NOT NULL, "email" VARCHAR(254), '
            '"password_hash" VARCHAR(255) NOT NULL, "role" INTEGER NOT NULL, '
            '"video_quota" INTEGER NOT NULL, "video_quota_daily" INTEGER NOT NULL, '
            '"blocked" INTEGER NOT NULL, "session_version" INTEGER NOT NULL, '
            '"nsfw_policy" VARCHAR(10) NOT NULL, "created_at" DATETIME NOT NULL)'
        ),
        ('CREATE UNIQUE INDEX "user_username" ON "user" ("username")'),
        ('CREATE UNIQUE INDEX "user_email" ON "user" ("email")'),
        (
            'CREATE TABLE "account" ("id" INTEGER NOT NULL PRIMARY KEY, "user_id" INTEGER, '
            '"name" VARCHAR(50) NOT NULL, "host" VARCHAR(255) NOT NULL, '
            '"display_name" VARCHAR(120) NOT NULL, "description" TEXT NOT NULL, '
            '"ap_id" VARCHAR(2000), "created_at" DATETIME NOT NULL, '
            '"updated_at" DATETIME NOT NULL, '
            'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE UNIQUE INDEX "account_user_id" ON "account" ("user_id")'),
        ('CREATE UNIQUE INDEX "account_ap_id" ON "account" ("ap_id")'),
        ('CREATE UNIQUE INDEX "account_name_host" ON "account" ("name", "host")'),
        (
            'CREATE TABLE "channel" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"account_id" INTEGER NOT NULL, "name" VARCHAR(50) NOT NULL, '
            '"host" VARCHAR(255) NOT NULL, "display_name" VARCHAR(120) NOT NULL, '
            '"description" TEXT NOT NULL, "support" TEXT NOT NULL, "ap_id" VARCHAR(2000), '
            '"created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, '
            'FOREIGN KEY ("account_id") REFERENCES "account" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "channel_account_id" ON "channel" ("account_id")'),
        ('CREATE UNIQUE INDEX "channel_ap_id" ON "channel" ("ap_id")'),
        ('CREATE UNIQUE INDEX "channel_name_host" ON "channel" ("name", "host")'),
        (
            'CREATE TABLE "o_auth_client" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"client_id" VARCHAR(64) NOT NULL, "client_secret" VARCHAR(64) NOT NULL, '
            '"created_at" DATETIME NOT NULL)'
        ),
        ('CREATE UNIQUE INDEX "o_auth_client_client_id" ON "o_auth_client" ("client_id")'),
        (
            'CREATE TABLE "o_auth_token" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"user_id" INTEGER NOT NULL, "client_id" INTEGER NOT NULL, '
            '"access_hash" VARCHAR(64) NOT NULL, "refresh_hash" VARCHAR(64) NOT NULL, '
            '"access_expires_at" DATETIME NOT NULL, "refresh_expires_at" DATETIME NOT NULL, '
            '"created_at" DATETIME NOT NULL, '
            'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE, '
            'FOREIGN KEY ("client_id") REFERENCES "o_auth_client" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "o_auth_token_user_id" ON "o_auth_token" ("user_id")'),
        ('CREATE INDEX "o_auth_token_client_id" ON "o_auth_token" ("client_id")'),
        ('CREATE UNIQUE INDEX "o_auth_token_access_hash" ON "o_auth_token" ("access_hash")'),
        ('CREATE UNIQUE INDEX "o_auth_token_refresh_hash" ON "o_auth_token" ("refresh_hash")'),
        (
            'CREATE TABLE "video" ("id" INTEGER NOT NULL PRIMARY KEY, "uuid" TEXT NOT NULL, '
            '"channel_id" INTEGER NOT NULL, "name" VARCHAR(120) NOT NULL, '
            '"description" TEXT NOT NULL, "support" TEXT NOT NULL, "tags" TEXT NOT NULL, '
            '"category" INTEGER, "licence" INTEGER, "language" VARCHAR(10), '
            '"privacy" INTEGER NOT NULL, "nsfw" INTEGER NOT NULL, '
            '"comments_enabled" INTEGER NOT NULL, "download_enabled" INTEGER NOT NULL, '
            '"state" VARCHAR(16) NOT NULL, "state_error" TEXT NOT NULL, '
            '"progress" INTEGER NOT NULL, "duration" INTEGER NOT NULL, "aspect_ratio" REAL, '
            '"views" INTEGER NOT NULL, "likes" INTEGER NOT NULL, '
            '"dislikes" INTEGER NOT NULL, "original_path" VARCHAR(500) NOT NULL, '
            '"original_filename" VARCHAR(255) NOT NULL, "original_size" INTEGER NOT NULL, '
            '"hls_master" VARCHAR(100) NOT NULL, "hls_sha256" VARCHAR(100) NOT NULL, '
            '"thumbnail" VARCHAR(100) NOT NULL, "preview" VARCHAR(100) NOT NULL, '
            '"ap_id" VARCHAR(2000), "created_at" DATETIME NOT NULL, '
            '"updated_at" DATETIME NOT NULL, "published_at" DATETIME, '
            'FOREIGN KEY ("channel_id") REFERENCES "channel" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE UNIQUE INDEX "video_uuid" ON "video" ("uuid")'),
        ('CREATE INDEX "video_channel_id" ON "video" ("channel_id")'),
        ('CREATE INDEX "video_privacy" ON "video" ("privacy")'),
        ('CREATE INDEX "video_state" ON "video" ("state")'),
        ('CREATE UNIQUE INDEX "video_ap_id" ON "video" ("ap_id")'),
        ('CREATE INDEX "video_created_at" ON "video" ("created_at")'),
        ('CREATE INDEX "video_published_at" ON "video" ("published_at")'),
        (
            'CREATE TABLE "video_file" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"video_id" INTEGER NOT NULL, "resolution" INTEGER NOT NULL, '
            '"width" INTEGER NOT NULL, "height" INTEGER NOT NULL, "fps" REAL NOT NULL, '
            '"size" INTEGER NOT NULL, "bandwidth" INTEGER NOT NULL, '
            '"codecs" VARCHAR(100) NOT NULL, "filename" VARCHAR(200) NOT NULL, '
            '"playlist" VARCHAR(200) NOT NULL, "has_audio" INTEGER NOT NULL, '
            '"has_video" INTEGER NOT NULL, '
            'FOREIGN KEY ("video_id") REFERENCES "video" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "video_file_video_id" ON "video_file" ("video_id")'),
        (
            ""
            'CREATE UNIQUE INDEX "video_file_video_id_resolution" ON "video_file" ("video_id", '
            '"resolution")'
        ),
        (
            'CREATE TABLE "job" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"kind" VARCHAR(32) NOT NULL, "payload" TEXT NOT NULL, '
            '"state" VARCHAR(10) NOT NULL, "attempts" INTEGER NOT NULL, '
            '"max_attempts" INTEGER NOT NULL, "run_at" DATETIME NOT NULL, '
            '"locked_until" DATETIME, "locked_by" VARCHAR(100), "last_error" TEXT NOT NULL, '
            '"created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL)'
        ),
        ('CREATE INDEX "job_state_run_at" ON "job" ("state", "run_at")'),
        (
            'CREATE TABLE "upload" ("id" INTEGER NOT NULL PRIMARY KEY, '
            '"upload_id" VARCHAR(64) NOT NULL, "user_id" INTEGER NOT NULL, '
            '"filename" VARCHAR(255) NOT NULL, "mime_type" VARCHAR(100) NOT NULL, '
            '"size" INTEGER NOT NULL, "received" INTEGER NOT NULL, "metadata" TEXT NOT NULL, '
            '"video_id" INTEGER, "created_at" DATETIME NOT NULL, '
            '"updated_at" DATETIME NOT NULL, '
            'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE UNIQUE INDEX "upload_upload_id" ON "upload" ("upload_id")'),
        ('CREATE INDEX "upload_user_id" ON "upload" ("user_id")'),
    ],
    "postgres": [
        (
            'CREATE TABLE "user" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"username" VARCHAR(50) NOT NULL, "email" VARCHAR(254), '
            '"password_hash" VARCHAR(255) NOT NULL, "role" SMALLINT NOT NULL, '
            '"video_quota" BIGINT NOT NULL, "video_quota_daily" BIGINT NOT NULL, '
            '"blocked" BOOLEAN NOT NULL, "session_version" INTEGER NOT NULL, '
            '"nsfw_policy" VARCHAR(10) NOT NULL, "created_at" TIMESTAMP NOT NULL)'
        ),
        ('CREATE UNIQUE INDEX "user_username" ON "user" ("username")'),
        ('CREATE UNIQUE INDEX "user_email" ON "user" ("email")'),
        (
            'CREATE TABLE "account" ("id" SERIAL NOT NULL PRIMARY KEY, "user_id" INTEGER, '
            '"name" VARCHAR(50) NOT NULL, "host" VARCHAR(255) NOT NULL, '
            '"display_name" VARCHAR(120) NOT NULL, "description" TEXT NOT NULL, '
            '"ap_id" VARCHAR(2000), "created_at" TIMESTAMP NOT NULL, '
            '"updated_at" TIMESTAMP NOT NULL, '
            'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE UNIQUE INDEX "account_user_id" ON "account" ("user_id")'),
        ('CREATE UNIQUE INDEX "account_ap_id" ON "account" ("ap_id")'),
        ('CREATE UNIQUE INDEX "account_name_host" ON "account" ("name", "host")'),
        (
            'CREATE TABLE "channel" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"account_id" INTEGER NOT NULL, "name" VARCHAR(50) NOT NULL, '
            '"host" VARCHAR(255) NOT NULL, "display_name" VARCHAR(120) NOT NULL, '
            '"description" TEXT NOT NULL, "support" TEXT NOT NULL, "ap_id" VARCHAR(2000), '
            '"created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL, '
            'FOREIGN KEY ("account_id") REFERENCES "account" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "channel_account_id" ON "channel" ("account_id")'),
        ('CREATE UNIQUE INDEX "channel_ap_id" ON "channel" ("ap_id")'),
        ('CREATE UNIQUE INDEX "channel_name_host" ON "channel" ("name", "host")'),
        (
            'CREATE TABLE "o_auth_client" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"client_id" VARCHAR(64) NOT NULL, "client_secret" VARCHAR(64) NOT NULL, '
            '"created_at" TIMESTAMP NOT NULL)'
        ),
        ('CREATE UNIQUE INDEX "o_auth_client_client_id" ON "o_auth_client" ("client_id")'),
        (
            'CREATE TABLE "o_auth_token" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"user_id" INTEGER NOT NULL, "client_id" INTEGER NOT NULL, '
            '"access_hash" VARCHAR(64) NOT NULL, "refresh_hash" VARCHAR(64) NOT NULL, '
            '"access_expires_at" TIMESTAMP NOT NULL, '
            '"refresh_expires_at" TIMESTAMP NOT NULL, "created_at" TIMESTAMP NOT NULL, '
            'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE, '
            'FOREIGN KEY ("client_id") REFERENCES "o_auth_client" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "o_auth_token_user_id" ON "o_auth_token" ("user_id")'),
        ('CREATE INDEX "o_auth_token_client_id" ON "o_auth_token" ("client_id")'),
        ('CREATE UNIQUE INDEX "o_auth_token_access_hash" ON "o_auth_token" ("access_hash")'),
        ('CREATE UNIQUE INDEX "o_auth_token_refresh_hash" ON "o_auth_token" ("refresh_hash")'),
        (
            'CREATE TABLE "video" ("id" SERIAL NOT NULL PRIMARY KEY, "uuid" UUID NOT NULL, '
            '"channel_id" INTEGER NOT NULL, "name" VARCHAR(120) NOT NULL, '
            '"description" TEXT NOT NULL, "support" TEXT NOT NULL, "tags" TEXT NOT NULL, '
            '"category" INTEGER, "licence" INTEGER, "language" VARCHAR(10), '
            '"privacy" SMALLINT NOT NULL, "nsfw" BOOLEAN NOT NULL, '
            '"comments_enabled" BOOLEAN NOT NULL, "download_enabled" BOOLEAN NOT NULL, '
            '"state" VARCHAR(16) NOT NULL, "state_error" TEXT NOT NULL, '
            '"progress" SMALLINT NOT NULL, "duration" INTEGER NOT NULL, "aspect_ratio" REAL, '
            '"views" INTEGER NOT NULL, "likes" INTEGER NOT NULL, '
            '"dislikes" INTEGER NOT NULL, "original_path" VARCHAR(500) NOT NULL, '
            '"original_filename" VARCHAR(255) NOT NULL, "original_size" BIGINT NOT NULL, '
            '"hls_master" VARCHAR(100) NOT NULL, "hls_sha256" VARCHAR(100) NOT NULL, '
            '"thumbnail" VARCHAR(100) NOT NULL, "preview" VARCHAR(100) NOT NULL, '
            '"ap_id" VARCHAR(2000), "created_at" TIMESTAMP NOT NULL, '
            '"updated_at" TIMESTAMP NOT NULL, "published_at" TIMESTAMP, '
            'FOREIGN KEY ("channel_id") REFERENCES "channel" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE UNIQUE INDEX "video_uuid" ON "video" ("uuid")'),
        ('CREATE INDEX "video_channel_id" ON "video" ("channel_id")'),
        ('CREATE INDEX "video_privacy" ON "video" ("privacy")'),
        ('CREATE INDEX "video_state" ON "video" ("state")'),
        ('CREATE UNIQUE INDEX "video_ap_id" ON "video" ("ap_id")'),
        ('CREATE INDEX "video_created_at" ON "video" ("created_at")'),
        ('CREATE INDEX "video_published_at" ON "video" ("published_at")'),
        (
            'CREATE TABLE "video_file" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"video_id" INTEGER NOT NULL, "resolution" INTEGER NOT NULL, '
            '"width" INTEGER NOT NULL, "height" INTEGER NOT NULL, "fps" REAL NOT NULL, '
            '"size" BIGINT NOT NULL, "bandwidth" INTEGER NOT NULL, '
            '"codecs" VARCHAR(100) NOT NULL, "filename" VARCHAR(200) NOT NULL, '
            '"playlist" VARCHAR(200) NOT NULL, "has_audio" BOOLEAN NOT NULL, '
            '"has_video" BOOLEAN NOT NULL, '
            'FOREIGN KEY ("video_id") REFERENCES "video" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE INDEX "video_file_video_id" ON "video_file" ("video_id")'),
        (
            ""
            'CREATE UNIQUE INDEX "video_file_video_id_resolution" ON "video_file" ("video_id", '
            '"resolution")'
        ),
        (
            'CREATE TABLE "job" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"kind" VARCHAR(32) NOT NULL, "payload" TEXT NOT NULL, '
            '"state" VARCHAR(10) NOT NULL, "attempts" INTEGER NOT NULL, '
            '"max_attempts" INTEGER NOT NULL, "run_at" TIMESTAMP NOT NULL, '
            '"locked_until" TIMESTAMP, "locked_by" VARCHAR(100), "last_error" TEXT NOT NULL, '
            '"created_at" TIMESTAMP NOT NULL, "updated_at" TIMESTAMP NOT NULL)'
        ),
        ('CREATE INDEX "job_state_run_at" ON "job" ("state", "run_at")'),
        (
            'CREATE TABLE "upload" ("id" SERIAL NOT NULL PRIMARY KEY, '
            '"upload_id" VARCHAR(64) NOT NULL, "user_id" INTEGER NOT NULL, '
            '"filename" VARCHAR(255) NOT NULL, "mime_type" VARCHAR(100) NOT NULL, '
            '"size" BIGINT NOT NULL, "received" BIGINT NOT NULL, "metadata" TEXT NOT NULL, '
            '"video_id" INTEGER, "created_at" TIMESTAMP NOT NULL, '
            '"updated_at" TIMESTAMP NOT NULL, '
            'FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE)'
        ),
        ('CREATE UNIQUE INDEX "upload_upload_id" ON "upload" ("upload_id")'),
        ('CREATE INDEX "upload_user_id" ON "upload" ("user_id")'),
    ],
}


def apply(db, dialect: str) -> None:
    """Create the tables and indexes."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
