import Foundation
import GRDB
import WheelhouseCore

extension SQLiteMetadataStore {
    public func storeUpstreamPage(repository: Int64, project: String, page: ProjectPage?, state: UpstreamState) async throws {
        let pageJSON = try page.map { try JSONEncoder().encode($0) }
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO projects (repository_id, name, display_name, page_html, page_json, etag, updated_at,
                      upstream_page, upstream_etag, upstream_last_modified, fetched_at, fresh_until, upstream_found)
                    VALUES (?, ?, ?, x'', x'', '', ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (repository_id, name) DO UPDATE SET
                      display_name = excluded.display_name, upstream_page = excluded.upstream_page,
                      upstream_etag = excluded.upstream_etag, upstream_last_modified = excluded.upstream_last_modified,
                      fetched_at = excluded.fetched_at, fresh_until = excluded.fresh_until,
                      upstream_found = excluded.upstream_found
                    """,
                arguments: [
                    repository, project, page?.name ?? project, state.fetchedAt.timeIntervalSince1970, pageJSON,
                    state.validators.etag, state.validators.lastModified, state.fetchedAt.timeIntervalSince1970,
                    state.freshUntil.timeIntervalSince1970, state.found,
                ])
            try Self.rebuildPage(db, repository: repository, project: project)
        }
    }

    public func renewUpstreamPage(repository: Int64, project: String, fetchedAt: Date, freshUntil: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE projects SET fetched_at = ?, fresh_until = ? WHERE repository_id = ? AND name = ?",
                arguments: [fetchedAt.timeIntervalSince1970, freshUntil.timeIntervalSince1970, repository, project])
        }
    }

    public func upstreamPage(repository: Int64, project: String) async throws -> ProjectPage? {
        let data = try await pool.read { db in
            try Data.fetchOne(
                db, sql: "SELECT upstream_page FROM projects WHERE repository_id = ? AND name = ?", arguments: [repository, project])
        }
        return try data.map { try JSONDecoder().decode(ProjectPage.self, from: $0) }
    }

    public func purgeProject(repository: Int64, project: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM projects WHERE repository_id = ? AND name = ?", arguments: [repository, project])
            return db.changesCount > 0
        }
    }

    public func cachedProjects(repository: Int64) async throws -> [CachedProject] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT p.name, p.fetched_at, p.fresh_until, p.upstream_found,
                      COUNT(d.id) AS files, COALESCE(SUM(d.size), 0) AS bytes
                    FROM projects p LEFT JOIN distributions d ON d.repository_id = p.repository_id AND d.project = p.name
                    WHERE p.repository_id = ? AND p.fetched_at IS NOT NULL
                    GROUP BY p.name ORDER BY p.name
                    """,
                arguments: [repository]
            ).map { row in
                CachedProject(
                    name: row["name"], fetchedAt: Date(timeIntervalSince1970: row["fetched_at"]),
                    freshUntil: Date(timeIntervalSince1970: row["fresh_until"]), found: row["upstream_found"] ?? true,
                    cachedFiles: row["files"], cachedBytes: row["bytes"])
            }
        }
    }
}
