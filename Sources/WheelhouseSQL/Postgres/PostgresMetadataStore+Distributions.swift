import Foundation
import PostgresNIO
import PythonPackaging
import WheelhouseCore

extension PostgresMetadataStore {
    public func addDistribution(_ record: DistributionRecord, displayName: String) async throws -> AddDistributionOutcome {
        // A CI retry of an upload that already succeeded: answered without a write or a lock.
        if let existing = try await distribution(repository: record.repositoryID, filename: record.filename) {
            return existing.sha256 == record.sha256 ? .identical(existing) : .conflict(existing)
        }
        let metadataJSON = try Self.encode(record.formMetadata)
        let logger = self.logger
        do {
            return try await withTransaction { connection in
                try await connection.run(
                    """
                    INSERT INTO projects (repository_id, name, display_name, page_html, page_json, etag, updated_at)
                    VALUES (\(record.repositoryID), \(record.project), \(displayName), '', '', '', \(record.uploadTime.timeIntervalSince1970))
                    ON CONFLICT (repository_id, name) DO NOTHING
                    """, logger)
                try await Self.lockProject(connection, repository: record.repositoryID, project: record.project, logger)
                // Two nodes adding one filename: the second waits here for the first to commit, then inserts nothing.
                let inserted = try await connection.rows(
                    """
                    INSERT INTO distributions (repository_id, project, version, filename, package_type, size, sha256,
                      blake2b_256, md5, requires_python, metadata_sha256, yanked, yanked_reason, upload_time, uploader,
                      form_metadata, origin_url, provenance)
                    VALUES (\(record.repositoryID), \(record.project), \(record.version), \(record.filename), \(record.packageType),
                      \(record.size), \(record.sha256), \(record.blake2b256), \(record.md5), \(record.requiresPython),
                      \(record.metadataSHA256), \(record.yanked), \(record.yankedReason), \(record.uploadTime.timeIntervalSince1970),
                      \(record.uploader), \(metadataJSON), \(record.originURL), \(record.provenance))
                    ON CONFLICT (repository_id, filename) DO NOTHING RETURNING id
                    """, logger)
                guard let id: Int64 = try inserted.first?.get("id") else {
                    guard let existing = try await Self.distribution(connection, repository: record.repositoryID, filename: record.filename, logger)
                    else { throw WheelhouseError(.unavailable, "'\(record.filename)' was added and removed concurrently; retry") }
                    // Rolls back the project row this transaction may have created.
                    throw LostAddRace(outcome: existing.sha256 == record.sha256 ? .identical(existing) : .conflict(existing))
                }
                var created = record
                created.id = id
                try await Self.rebuildPage(connection, repository: record.repositoryID, project: record.project, logger)
                return .created(created)
            }
        } catch let race as LostAddRace {
            return race.outcome
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "53100" {
            // disk_full: the server's storage, not the client's fault.
            throw WheelhouseError.insufficientStorage("recording the file")
        }
    }

    public func setMetadataSHA256(repository: Int64, filename: String, sha256: String) async throws {
        let logger = self.logger
        try await withTransaction { connection in
            guard let project: String = try await connection.rows(
                "SELECT project FROM distributions WHERE repository_id = \(repository) AND filename = \(filename)", logger
            ).first?.get("project")
            else { return }
            try await Self.lockProject(connection, repository: repository, project: project, logger)
            try await connection.run(
                "UPDATE distributions SET metadata_sha256 = \(sha256) WHERE repository_id = \(repository) AND filename = \(filename)", logger)
            try await Self.rebuildPage(connection, repository: repository, project: project, logger)
        }
    }

    public func distribution(repository: Int64, filename: String) async throws -> DistributionRecord? {
        let logger = self.logger
        return try await withConnection { connection in
            try await Self.distribution(connection, repository: repository, filename: filename, logger)
        }
    }

    public func distributions(repository: Int64, project: String) async throws -> [DistributionRecord] {
        let logger = self.logger
        return try await withConnection { connection in
            try await Self.rows(connection, repository: repository, project: project, logger)
        }
    }

    public func filenames(repository: Int64, project: String) async throws -> [String] {
        let logger = self.logger
        return try await withConnection { connection in
            try await connection.rows(
                "SELECT filename FROM distributions WHERE repository_id = \(repository) AND project = \(project)", logger
            ).map { try $0.get("filename") }
        }
    }

    public func setYanked(repository: Int64, _ selector: DistributionSelector, yanked: Bool, reason: String?) async throws -> [DistributionRecord] {
        let logger = self.logger
        let reason = yanked ? reason : nil
        return try await withTransaction { connection in
            try await Self.lockProject(connection, repository: repository, project: selector.project, logger)
            let selected = try await Self.select(connection, repository: repository, selector, logger)
            guard !selected.isEmpty else { return [] }
            try await connection.run(
                "UPDATE distributions SET yanked = \(yanked), yanked_reason = \(reason) WHERE id = ANY(\(selected.map(\.id)))", logger)
            try await Self.rebuildPage(connection, repository: repository, project: selector.project, logger)
            return selected.map { var r = $0; r.yanked = yanked; r.yankedReason = reason; return r }
        }
    }

    public func deleteDistributions(repository: Int64, _ selector: DistributionSelector) async throws -> [DistributionRecord] {
        let logger = self.logger
        return try await withTransaction { connection in
            try await Self.lockProject(connection, repository: repository, project: selector.project, logger)
            let selected = try await Self.select(connection, repository: repository, selector, logger)
            guard !selected.isEmpty else { return [] }
            try await connection.run("DELETE FROM distributions WHERE id = ANY(\(selected.map(\.id)))", logger)
            try await Self.rebuildPage(connection, repository: repository, project: selector.project, logger)
            return selected
        }
    }
}

/// A concurrent add of the same filename committed first: the transaction rolls back with this outcome.
struct LostAddRace: Error {
    var outcome: AddDistributionOutcome
}

// MARK: helpers

extension PostgresMetadataStore {
    /// Serialises writers of one project (on every node) until the transaction ends, so each re-render
    /// sees the rows of the writers before it.
    static func lockProject(_ connection: PostgresConnection, repository: Int64, project: String, _ logger: Logger) async throws {
        try await connection.run(
            "SELECT 1 FROM projects WHERE repository_id = \(repository) AND name = \(project) FOR UPDATE", logger)
    }

    static func distribution(
        _ connection: PostgresConnection, repository: Int64, filename: String, _ logger: Logger
    ) async throws -> DistributionRecord? {
        try await connection.rows(
            "SELECT * FROM distributions WHERE repository_id = \(repository) AND filename = \(filename)", logger
        ).first.map(distribution)
    }

    static func rows(_ connection: PostgresConnection, repository: Int64, project: String, _ logger: Logger) async throws -> [DistributionRecord] {
        try await connection.rows(
            "SELECT * FROM distributions WHERE repository_id = \(repository) AND project = \(project) ORDER BY id", logger
        ).map(distribution)
    }

    /// The selected files of one project; versions compare by PEP 440 ("1.0" selects "1.0.0"), as in SQLite.
    static func select(
        _ connection: PostgresConnection, repository: Int64, _ selector: DistributionSelector, _ logger: Logger
    ) async throws -> [DistributionRecord] {
        let all = try await rows(connection, repository: repository, project: selector.project, logger)
        return all.filter { row in
            if let filename = selector.filename, row.filename != filename { return false }
            if let version = selector.version {
                guard let wanted = try? Version(version) else { return row.version == version }
                guard let have = try? Version(row.version) else { return false }
                return have == wanted
            }
            return true
        }
    }

    /// Re-renders a project's page inside the writing transaction: from its rows (local), or from the
    /// upstream page merged with what is cached (remote). Drops a local project when it becomes empty.
    /// The caller holds the project's row lock.
    static func rebuildPage(_ connection: PostgresConnection, repository: Int64, project: String, _ logger: Logger) async throws {
        guard
            let projectRow = try await connection.rows(
                "SELECT display_name, upstream_page, upstream_found FROM projects WHERE repository_id = \(repository) AND name = \(project)",
                logger
            ).first
        else { return }
        let all = try await rows(connection, repository: repository, project: project, logger)
        let displayName: String = try projectRow.get("display_name")
        let page: ProjectPage
        if let upstreamJSON = try projectRow.get("upstream_page", as: ByteBuffer?.self) {
            let upstream = try JSONDecoder().decode(ProjectPage.self, from: Data(upstreamJSON.readableBytesView))
            page = RemotePage.render(upstream: upstream, cached: all)
        } else if try projectRow.get("upstream_found", as: Bool?.self) == false {
            page = ProjectPage(name: displayName, files: [], versions: [])
        } else {
            if all.isEmpty {
                try await connection.run("DELETE FROM projects WHERE repository_id = \(repository) AND name = \(project)", logger)
                return
            }
            page = ProjectPageBuilder.page(displayName: displayName, rows: all)
        }
        let rendered = page.render()
        try await connection.run(
            """
            UPDATE projects SET page_html = \(ByteBuffer(bytes: rendered.html)), page_json = \(ByteBuffer(bytes: rendered.json)),
              etag = \(rendered.etag), updated_at = \(Date().timeIntervalSince1970)
            WHERE repository_id = \(repository) AND name = \(project)
            """, logger)
    }

    static func distribution(_ row: Columns) throws -> DistributionRecord {
        let metadataJSON: String = try row.get("form_metadata")
        return try DistributionRecord(
            id: row.get("id"), repositoryID: row.get("repository_id"), project: row.get("project"), version: row.get("version"),
            filename: row.get("filename"), packageType: row.get("package_type"), size: row.get("size"), sha256: row.get("sha256"),
            blake2b256: row.get("blake2b_256"), md5: row.get("md5"), requiresPython: row.get("requires_python"),
            metadataSHA256: row.get("metadata_sha256"), yanked: row.get("yanked"), yankedReason: row.get("yanked_reason"),
            uploadTime: row.date("upload_time"), uploader: row.get("uploader"),
            formMetadata: JSONDecoder().decode([String: [String]].self, from: Data(metadataJSON.utf8)),
            originURL: row.get("origin_url"), provenance: row.get("provenance"))
    }

    static func repository(_ row: Columns) throws -> Repository {
        let settings: String = try row.get("settings")
        let kindRaw: String = try row.get("kind")
        guard let kind = Repository.Kind(rawValue: kindRaw) else {
            throw WheelhouseError(.internalError, "unknown repository kind '\(kindRaw)'")
        }
        return try Repository(
            id: row.get("id"), name: row.get("name"), kind: kind,
            settings: JSONDecoder().decode(RepositorySettings.self, from: Data(settings.utf8)),
            createdAt: row.date("created_at"))
    }
}
