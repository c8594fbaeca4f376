"""Where the data lives: the PostgreSQL pool and its tenant context (db), Redis
(redis_client), the named SQL statements (queries), the embedded servers of the default
set-up (embedded), the migration runner (migrate) and the schema snapshot (schema)."""
