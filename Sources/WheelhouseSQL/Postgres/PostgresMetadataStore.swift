import Foundation
import PostgresNIO
import WheelhouseCore

/// The cluster's metadata store: PostgreSQL through PostgresNIO's connection pool (`PostgresClient`).
///
/// Same tables and behaviour as `SQLiteMetadataStore` (one conformance suite runs against both).
/// Every mutation is one transaction that locks its project row (`SELECT … FOR UPDATE`) before it
/// re-renders the page, so two nodes writing to one project never lose each other's files.
///
/// The pool must run: add ``client`` to the `ServiceGroup` (it is a `Service`), or call ``run()``
/// in a task that lives as long as the store.
///
/// ```swift
/// let store = PostgresMetadataStore(configuration: try PostgresMetadataStore.configuration(url: url), logger: logger)
/// let group = ServiceGroup(services: [store.client, server], logger: logger)
/// ```
public final class PostgresMetadataStore: MetadataStore {
    /// The connection pool; a `ServiceLifecycle.Service`. Other PostgreSQL users of the node (the fetch
    /// coordinator, the change feed) can share it.
    public let client: PostgresClient
    let acquireTimeout: Duration
    let logger: Logger
    let health = ConnectionHealth()

    /// A store on its own pool; don't forget to run ``client``.
    public convenience init(configuration: Configuration, logger: Logger) {
        self.init(
            client: PostgresClient(configuration: configuration.client, backgroundLogger: logger),
            acquireTimeout: configuration.acquireTimeout, logger: logger)
    }

    /// A store on a pool the caller owns and runs.
    public init(client: PostgresClient, acquireTimeout: Duration = .seconds(3), logger: Logger) {
        self.client = client
        self.acquireTimeout = acquireTimeout
        self.logger = logger
    }

    /// Runs the pool until the task is cancelled (or, inside a `ServiceGroup`, until graceful shutdown).
    public func run() async {
        await client.run()
    }

    public func migrate() async throws {
        try await withConnection { connection in
            try await PostgresSchema.migrate(connection, logger: self.logger)
        }
    }

    public func ping() async throws {
        try await withConnection { connection in
            try await connection.query("SELECT 1", logger: self.logger).collect()
            return ()
        }
    }

    // MARK: repositories

    public func createRepository(name: String, kind: Repository.Kind, settings: RepositorySettings) async throws -> Repository {
        let settingsJSON = try Self.encode(settings)
        let now = Date()
        // ON CONFLICT DO NOTHING waits for a concurrent insert of the same name, then finds it: one 409.
        let id: Int64? = try await withConnection { connection in
            try await connection.rows(
                """
                INSERT INTO repositories (name, kind, settings, created_at)
                VALUES (\(name), \(kind.rawValue), \(settingsJSON), \(now.timeIntervalSince1970))
                ON CONFLICT (name) DO NOTHING RETURNING id
                """, self.logger
            ).first?.get("id")
        }
        guard let id else { throw WheelhouseError.conflict("repository '\(name)' already exists") }
        return Repository(id: id, name: name, kind: kind, settings: settings, createdAt: now)
    }

    public func repository(named name: String) async throws -> Repository? {
        try await withConnection { connection in
            try await connection.rows("SELECT * FROM repositories WHERE name = \(name)", self.logger).first.map(Self.repository)
        }
    }

    public func repositories() async throws -> [Repository] {
        try await withConnection { connection in
            try await connection.rows("SELECT * FROM repositories ORDER BY name COLLATE \"C\"", self.logger).map(Self.repository)
        }
    }

    public func updateRepository(_ repository: Repository) async throws {
        let settingsJSON = try Self.encode(repository.settings)
        try await withConnection { connection in
            try await connection.run(
                "UPDATE repositories SET kind = \(repository.kind.rawValue), settings = \(settingsJSON) WHERE id = \(repository.id)",
                self.logger)
        }
    }

    public func deleteRepository(named name: String) async throws -> Bool {
        try await withConnection { connection in
            try await !connection.rows("DELETE FROM repositories WHERE name = \(name) RETURNING id", self.logger).isEmpty
        }
    }

    // MARK: pages

    public func page(repository: Int64, project: String) async throws -> StoredPage? {
        try await withConnection { connection in
            guard
                let row = try await connection.rows(
                    """
                    SELECT display_name, page_html, page_json, etag, upstream_etag, upstream_last_modified,
                      fetched_at, fresh_until, upstream_found
                    FROM projects WHERE repository_id = \(repository) AND name = \(project)
                    """, self.logger
                ).first
            else { return nil }
            var upstream: UpstreamState? = nil
            if let fetched: Double = try row.get("fetched_at"), let fresh: Double = try row.get("fresh_until") {
                upstream = UpstreamState(
                    validators: PageValidators(etag: try row.get("upstream_etag"), lastModified: try row.get("upstream_last_modified")),
                    fetchedAt: Date(timeIntervalSince1970: fetched), freshUntil: Date(timeIntervalSince1970: fresh),
                    found: try row.get("upstream_found") ?? true)
            }
            return StoredPage(
                displayName: try row.get("display_name"),
                rendered: RenderedPage(html: try row.bytes("page_html"), json: try row.bytes("page_json"), etag: try row.get("etag")),
                upstream: upstream)
        }
    }

    public func projectList(repository: Int64) async throws -> [ProjectListEntry] {
        try await withConnection { connection in
            try await connection.rows(
                """
                SELECT name, display_name FROM projects
                WHERE repository_id = \(repository) AND upstream_found IS NOT FALSE ORDER BY name COLLATE "C"
                """, self.logger
            ).map { ProjectListEntry(name: try $0.get("display_name"), normalizedName: try $0.get("name")) }
        }
    }
}
