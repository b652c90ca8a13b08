import Foundation
import PostgresNIO
import WheelhouseCore

extension PostgresMetadataStore {
    public func storeUpstreamPage(repository: Int64, project: String, page: ProjectPage?, state: UpstreamState) async throws {
        let pageJSON = try page.map { ByteBuffer(bytes: try JSONEncoder().encode($0)) }
        let logger = self.logger
        try await withTransaction { connection in
            // The upsert takes the project's row lock, as lockProject would.
            try await connection.run(
                """
                INSERT INTO projects (repository_id, name, display_name, page_html, page_json, etag, updated_at,
                  upstream_page, upstream_etag, upstream_last_modified, fetched_at, fresh_until, upstream_found)
                VALUES (\(repository), \(project), \(page?.name ?? project), '', '', '', \(state.fetchedAt.timeIntervalSince1970),
                  \(pageJSON), \(state.validators.etag), \(state.validators.lastModified), \(state.fetchedAt.timeIntervalSince1970),
                  \(state.freshUntil.timeIntervalSince1970), \(state.found))
                ON CONFLICT (repository_id, name) DO UPDATE SET
                  display_name = excluded.display_name, upstream_page = excluded.upstream_page,
                  upstream_etag = excluded.upstream_etag, upstream_last_modified = excluded.upstream_last_modified,
                  fetched_at = excluded.fetched_at, fresh_until = excluded.fresh_until,
                  upstream_found = excluded.upstream_found
                """, logger)
            try await Self.rebuildPage(connection, repository: repository, project: project, logger)
        }
    }

    public func renewUpstreamPage(repository: Int64, project: String, fetchedAt: Date, freshUntil: Date) async throws {
        try await withConnection { connection in
            try await connection.run(
                """
                UPDATE projects SET fetched_at = \(fetchedAt.timeIntervalSince1970), fresh_until = \(freshUntil.timeIntervalSince1970)
                WHERE repository_id = \(repository) AND name = \(project)
                """, self.logger)
        }
    }

    public func upstreamPage(repository: Int64, project: String) async throws -> ProjectPage? {
        let bytes: [UInt8]? = try await withConnection { connection in
            try await connection.rows(
                "SELECT upstream_page FROM projects WHERE repository_id = \(repository) AND name = \(project)", self.logger
            ).first?.get("upstream_page", as: ByteBuffer?.self).map { Array($0.readableBytesView) }
        }
        return try bytes.map { try JSONDecoder().decode(ProjectPage.self, from: Data($0)) }
    }

    public func purgeProject(repository: Int64, project: String) async throws -> Bool {
        try await withConnection { connection in
            try await !connection.rows(
                "DELETE FROM projects WHERE repository_id = \(repository) AND name = \(project) RETURNING name", self.logger
            ).isEmpty
        }
    }

    public func cachedProjects(repository: Int64) async throws -> [CachedProject] {
        try await withConnection { connection in
            try await connection.rows(
                """
                SELECT p.name, p.fetched_at, p.fresh_until, p.upstream_found,
                  COUNT(d.id) AS files, COALESCE(SUM(d.size), 0)::BIGINT AS bytes
                FROM projects p LEFT JOIN distributions d ON d.repository_id = p.repository_id AND d.project = p.name
                WHERE p.repository_id = \(repository) AND p.fetched_at IS NOT NULL
                GROUP BY p.repository_id, p.name ORDER BY p.name COLLATE "C"
                """, self.logger
            ).map { row in
                try CachedProject(
                    name: row.get("name"), fetchedAt: row.date("fetched_at"), freshUntil: row.date("fresh_until"),
                    found: row.get("upstream_found", as: Bool?.self) ?? true,
                    cachedFiles: Int(row.get("files", as: Int64.self)), cachedBytes: row.get("bytes"))
            }
        }
    }
}
