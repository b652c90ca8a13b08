import Foundation
import GRDB
import PythonPackaging
import WheelhouseCore

/// The embedded default's metadata store: one SQLite file in WAL mode (GRDB's `DatabasePool`:
/// concurrent readers, one writer).
public final class SQLiteMetadataStore: MetadataStore {
    let pool: DatabasePool

    /// - Parameter path: the database file, created when absent.
    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        pool = try DatabasePool(path: path, configuration: config)
    }

    public func migrate() async throws {
        try SQLiteSchema.migrator.migrate(pool)
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: repositories

    public func createRepository(name: String, kind: Repository.Kind, settings: RepositorySettings) async throws -> Repository {
        let settingsJSON = try Self.encode(settings)
        let now = Date()
        return try await pool.write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM repositories WHERE name = ?", arguments: [name]) != nil {
                throw WheelhouseError.conflict("repository '\(name)' already exists")
            }
            try db.execute(
                sql: "INSERT INTO repositories (name, kind, settings, created_at) VALUES (?, ?, ?, ?)",
                arguments: [name, kind.rawValue, settingsJSON, now.timeIntervalSince1970])
            return Repository(id: db.lastInsertedRowID, name: name, kind: kind, settings: settings, createdAt: now)
        }
    }

    public func repository(named name: String) async throws -> Repository? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM repositories WHERE name = ?", arguments: [name]).map(Self.repository)
        }
    }

    public func repositories() async throws -> [Repository] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM repositories ORDER BY name").map(Self.repository)
        }
    }

    public func updateRepository(_ repository: Repository) async throws {
        let settingsJSON = try Self.encode(repository.settings)
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE repositories SET kind = ?, settings = ? WHERE id = ?",
                arguments: [repository.kind.rawValue, settingsJSON, repository.id])
        }
    }

    public func deleteRepository(named name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM repositories WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    // MARK: pages

    public func page(repository: Int64, project: String) async throws -> StoredPage? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT display_name, page_html, page_json, etag, upstream_etag, upstream_last_modified,
                          fetched_at, fresh_until, upstream_found
                        FROM projects WHERE repository_id = ? AND name = ?
                        """,
                    arguments: [repository, project])
            else { return nil }
            let html: Data = row["page_html"]
            let json: Data = row["page_json"]
            var upstream: UpstreamState? = nil
            if let fetched: Double = row["fetched_at"], let fresh: Double = row["fresh_until"] {
                upstream = UpstreamState(
                    validators: PageValidators(etag: row["upstream_etag"], lastModified: row["upstream_last_modified"]),
                    fetchedAt: Date(timeIntervalSince1970: fetched), freshUntil: Date(timeIntervalSince1970: fresh),
                    found: row["upstream_found"] ?? true)
            }
            return StoredPage(
                displayName: row["display_name"],
                rendered: RenderedPage(html: [UInt8](html), json: [UInt8](json), etag: row["etag"]),
                upstream: upstream)
        }
    }

    public func projectList(repository: Int64) async throws -> [ProjectListEntry] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT name, display_name FROM projects
                    WHERE repository_id = ? AND (upstream_found IS NULL OR upstream_found = 1) ORDER BY name
                    """,
                arguments: [repository]
            ).map { ProjectListEntry(name: $0["display_name"], normalizedName: $0["name"]) }
        }
    }
}
