import PostgresNIO

/// Versioned migrations of the PostgreSQL store: the SQLite store's tables, in PostgreSQL's types.
///
/// Times are `DOUBLE PRECISION` seconds since 1970, as in SQLite, so a `Date` reads back exactly
/// what was written (`to_timestamp(created_at)` shows it to a human). Pages are `BYTEA`; JSON is
/// `TEXT`, written and read only by Wheelhouse.
///
/// Applied in one transaction under a transaction-scoped advisory lock, so N nodes starting
/// together migrate once: the first applies what is missing, the others wait, then find nothing
/// to do. Append new migrations; never edit an applied one.
enum PostgresSchema {
    struct Migration: Sendable {
        var version: Int32
        var name: String
        /// One statement each: the extended query protocol takes no multi-statement strings.
        var statements: [PostgresQuery]
    }

    /// `pg_advisory_xact_lock(wheelhouse, schema)`: one lock per schema, so deployments (and tests)
    /// sharing a database in different schemas don't wait for each other.
    static let lockClass: Int32 = 0x5748_0001

    static let migrations: [Migration] = [
        Migration(version: 1, name: "initial tables", statements: [
            """
            CREATE TABLE repositories (
              id BIGSERIAL PRIMARY KEY,
              name TEXT NOT NULL UNIQUE,
              kind TEXT NOT NULL,
              settings TEXT NOT NULL,
              created_at DOUBLE PRECISION NOT NULL
            )
            """,
            """
            CREATE TABLE projects (
              repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
              name TEXT NOT NULL,
              display_name TEXT NOT NULL,
              page_html BYTEA NOT NULL,
              page_json BYTEA NOT NULL,
              etag TEXT NOT NULL,
              updated_at DOUBLE PRECISION NOT NULL,
              upstream_page BYTEA,
              upstream_etag TEXT,
              upstream_last_modified TEXT,
              fetched_at DOUBLE PRECISION,
              fresh_until DOUBLE PRECISION,
              upstream_found BOOLEAN,
              PRIMARY KEY (repository_id, name)
            )
            """,
            """
            CREATE TABLE distributions (
              id BIGSERIAL PRIMARY KEY,
              repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
              project TEXT NOT NULL,
              version TEXT NOT NULL,
              filename TEXT NOT NULL,
              package_type TEXT NOT NULL,
              size BIGINT NOT NULL,
              sha256 TEXT NOT NULL,
              blake2b_256 TEXT,
              md5 TEXT,
              requires_python TEXT,
              metadata_sha256 TEXT,
              yanked BOOLEAN NOT NULL DEFAULT FALSE,
              yanked_reason TEXT,
              upload_time DOUBLE PRECISION NOT NULL,
              uploader TEXT,
              form_metadata TEXT NOT NULL,
              origin_url TEXT,
              provenance TEXT,
              UNIQUE (repository_id, filename)
            )
            """,
            "CREATE INDEX distributions_project ON distributions (repository_id, project)",
            "CREATE INDEX distributions_sha256 ON distributions (sha256)",
            "CREATE INDEX distributions_metadata_sha256 ON distributions (metadata_sha256)",
            """
            CREATE TABLE users (
              id BIGSERIAL PRIMARY KEY,
              name TEXT NOT NULL UNIQUE,
              password_hash TEXT,
              admin BOOLEAN NOT NULL DEFAULT FALSE,
              disabled BOOLEAN NOT NULL DEFAULT FALSE,
              created_at DOUBLE PRECISION NOT NULL
            )
            """,
            """
            CREATE TABLE tokens (
              id TEXT PRIMARY KEY,
              user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
              name TEXT NOT NULL,
              hash TEXT NOT NULL UNIQUE,
              prefix TEXT NOT NULL,
              scopes TEXT,
              expires_at DOUBLE PRECISION,
              revoked_at DOUBLE PRECISION,
              last_used_at DOUBLE PRECISION,
              created_at DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE INDEX tokens_user ON tokens (user_id)",
            """
            CREATE TABLE permissions (
              repository_id BIGINT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
              user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
              level TEXT NOT NULL,
              PRIMARY KEY (repository_id, user_id)
            )
            """,
            """
            CREATE TABLE audit_log (
              id BIGSERIAL PRIMARY KEY,
              at DOUBLE PRECISION NOT NULL,
              actor TEXT NOT NULL,
              action TEXT NOT NULL,
              repository TEXT,
              target TEXT,
              client TEXT,
              details TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_actor ON audit_log (actor, id)",
            "CREATE INDEX audit_action ON audit_log (action, id)",
            "CREATE INDEX audit_repository ON audit_log (repository, id)",
        ]),
        // See BlobReferenceStore: writers' claims on blobs, and the collector's deletion marks.
        Migration(version: 2, name: "blob claims", statements: [
            "CREATE TABLE blob_claims (sha256 TEXT NOT NULL, claim TEXT NOT NULL, until DOUBLE PRECISION NOT NULL, PRIMARY KEY (sha256, claim))",
            "CREATE INDEX blob_claims_claim ON blob_claims (claim)",
            "CREATE TABLE blob_collections (sha256 TEXT PRIMARY KEY, collector TEXT NOT NULL, since DOUBLE PRECISION NOT NULL)",
        ]),
        Migration(version: 3, name: "public token prefixes", statements: [
            PostgresQuery(unsafeSQL: SQLiteSchema.publicTokenPrefixes)
        ]),
    ]

    /// Applies the migrations this schema lacks; returns the versions applied (none when up to date).
    @discardableResult
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> [Int32] {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.run(
                "SELECT pg_advisory_xact_lock(\(lockClass), hashtext(coalesce(current_schema(), '')))", logger)
            try await connection.run(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                  version INTEGER PRIMARY KEY,
                  name TEXT NOT NULL,
                  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """, logger)
            let applied = Set(
                try await connection.rows("SELECT version FROM schema_migrations", logger).map { try $0.get("version", as: Int32.self) })
            var done: [Int32] = []
            for migration in migrations where !applied.contains(migration.version) {
                logger.info("applying schema migration", metadata: ["wh.migration": "\(migration.version) \(migration.name)"])
                for statement in migration.statements {
                    try await connection.run(statement, logger)
                }
                try await connection.run(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger)
                done.append(migration.version)
            }
            return done
        }
    }
}
