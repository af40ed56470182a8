"""Administrator-edited settings of the server (name, description, terms, rules, contact)."""

STATEMENTS = {
    "sqlite": [
        'CREATE TABLE "server_setting" ("key" VARCHAR(64) NOT NULL PRIMARY KEY, '
        '"value" TEXT NOT NULL, "updated_at" DATETIME NOT NULL)'
    ],
    "postgres": [
        'CREATE TABLE "server_setting" ("key" VARCHAR(64) NOT NULL PRIMARY KEY, '
        '"value" TEXT NOT NULL, "updated_at" TIMESTAMP NOT NULL)'
    ],
}


def apply(db, dialect: str) -> None:
    """Create server_setting."""
    for statement in STATEMENTS[dialect]:
        db.execute_sql(statement)
