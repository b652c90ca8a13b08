import GRDB

/// Versioned migrations of the embedded store. The PostgreSQL store keeps the same tables.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE repositories (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      name TEXT NOT NULL UNIQUE,
                      kind TEXT NOT NULL,
                      settings TEXT NOT NULL,
                      created_at REAL NOT NULL
                    );
                    CREATE TABLE projects (
                      repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
                      name TEXT NOT NULL,
                      display_name TEXT NOT NULL,
                      page_html BLOB NOT NULL,
                      page_json BLOB NOT NULL,
                      etag TEXT NOT NULL,
                      updated_at REAL NOT NULL,
                      upstream_page BLOB,
                      upstream_etag TEXT,
                      upstream_last_modified TEXT,
                      fetched_at REAL,
                      fresh_until REAL,
                      upstream_found INTEGER,
                      PRIMARY KEY (repository_id, name)
                    );
                    CREATE TABLE distributions (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
                      project TEXT NOT NULL,
                      version TEXT NOT NULL,
                      filename TEXT NOT NULL,
                      package_type TEXT NOT NULL,
                      size INTEGER NOT NULL,
                      sha256 TEXT NOT NULL,
                      blake2b_256 TEXT,
                      md5 TEXT,
                      requires_python TEXT,
                      metadata_sha256 TEXT,
                      yanked INTEGER NOT NULL DEFAULT 0,
                      yanked_reason TEXT,
                      upload_time REAL NOT NULL,
                      uploader TEXT,
                      form_metadata TEXT NOT NULL,
                      origin_url TEXT,
                      provenance TEXT,
                      UNIQUE (repository_id, filename)
                    );
                    CREATE INDEX distributions_project ON distributions (repository_id, project);
                    CREATE INDEX distributions_sha256 ON distributions (sha256);
                    CREATE INDEX distributions_metadata_sha256 ON distributions (metadata_sha256);
                    CREATE TABLE users (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      name TEXT NOT NULL UNIQUE,
                      password_hash TEXT,
                      admin INTEGER NOT NULL DEFAULT 0,
                      disabled INTEGER NOT NULL DEFAULT 0,
                      created_at REAL NOT NULL
                    );
                    CREATE TABLE tokens (
                      id TEXT PRIMARY KEY,
                      user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                      name TEXT NOT NULL,
                      hash TEXT NOT NULL UNIQUE,
                      prefix TEXT NOT NULL,
                      scopes TEXT,
                      expires_at REAL,
                      revoked_at REAL,
                      last_used_at REAL,
                      created_at REAL NOT NULL
                    );
                    CREATE INDEX tokens_user ON tokens (user_id);
                    CREATE TABLE permissions (
                      repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
                      user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                      level TEXT NOT NULL,
                      PRIMARY KEY (repository_id, user_id)
                    );
                    CREATE TABLE audit_log (
                      id INTEGER PRIMARY KEY AUTOINCREMENT,
                      at REAL NOT NULL,
                      actor TEXT NOT NULL,
                      action TEXT NOT NULL,
                      repository TEXT,
                      target TEXT,
                      client TEXT,
                      details TEXT NOT NULL
                    );
                    CREATE INDEX audit_actor ON audit_log (actor, id);
                    CREATE INDEX audit_action ON audit_log (action, id);
                    CREATE INDEX audit_repository ON audit_log (repository, id);
                    """)
        }
        migrator.registerMigration("v2 blob claims") { db in
            // See BlobReferenceStore: writers' claims on blobs, and the collector's deletion marks.
            try db.execute(
                sql: """
                    CREATE TABLE blob_claims (sha256 TEXT NOT NULL, claim TEXT NOT NULL, until REAL NOT NULL, PRIMARY KEY (sha256, claim));
                    CREATE INDEX blob_claims_claim ON blob_claims (claim);
                    CREATE TABLE blob_collections (sha256 TEXT PRIMARY KEY, collector TEXT NOT NULL, since REAL NOT NULL);
                    """)
        }
        migrator.registerMigration("v3 public token prefixes") { db in
            try db.execute(sql: SQLiteSchema.publicTokenPrefixes)
        }
        return migrator
    }

    /// Token rows written before `TokenRecord.publicPrefix` held the secret's first ten characters:
    /// generated tokens (`whk_…`) get the public prefix, configured ones none. Shared with PostgreSQL.
    static let publicTokenPrefixes = "UPDATE tokens SET prefix = CASE WHEN substr(prefix, 1, 4) = 'whk_' THEN 'whk_' || substr(id, 1, 8) ELSE '' END"
}
