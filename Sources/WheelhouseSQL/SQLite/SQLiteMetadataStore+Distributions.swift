import Foundation
import GRDB
import PythonPackaging
import WheelhouseCore

extension SQLiteMetadataStore {
    public func addDistribution(_ record: DistributionRecord, displayName: String) async throws -> AddDistributionOutcome {
        let metadataJSON = try Self.encode(record.formMetadata)
        return try await Self.writing {
            try await self.pool.write { db in
                if let existing = try Row.fetchOne(
                    db, sql: "SELECT * FROM distributions WHERE repository_id = ? AND filename = ?",
                    arguments: [record.repositoryID, record.filename]
                ).map(Self.distribution) {
                    return existing.sha256 == record.sha256 ? .identical(existing) : .conflict(existing)
                }
                try db.execute(
                    sql: """
                        INSERT INTO projects (repository_id, name, display_name, page_html, page_json, etag, updated_at)
                        VALUES (?, ?, ?, x'', x'', '', ?) ON CONFLICT (repository_id, name) DO NOTHING
                        """,
                    arguments: [record.repositoryID, record.project, displayName, record.uploadTime.timeIntervalSince1970])
                try db.execute(
                    sql: """
                        INSERT INTO distributions (repository_id, project, version, filename, package_type, size, sha256,
                          blake2b_256, md5, requires_python, metadata_sha256, yanked, yanked_reason, upload_time, uploader,
                          form_metadata, origin_url, provenance)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        record.repositoryID, record.project, record.version, record.filename, record.packageType, record.size,
                        record.sha256, record.blake2b256, record.md5, record.requiresPython, record.metadataSHA256,
                        record.yanked, record.yankedReason, record.uploadTime.timeIntervalSince1970, record.uploader,
                        metadataJSON, record.originURL, record.provenance,
                    ])
                var created = record
                created.id = db.lastInsertedRowID
                try Self.rebuildPage(db, repository: record.repositoryID, project: record.project)
                return .created(created)
            }
        }
    }

    /// Runs a write of the upload path: SQLite's "database or disk is full" becomes a 507.
    static func writing<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw WheelhouseError.insufficientStorage("recording the file")
        }
    }

    public func setMetadataSHA256(repository: Int64, filename: String, sha256: String) async throws {
        try await pool.write { db in
            guard let project = try String.fetchOne(
                db, sql: "SELECT project FROM distributions WHERE repository_id = ? AND filename = ?", arguments: [repository, filename])
            else { return }
            try db.execute(
                sql: "UPDATE distributions SET metadata_sha256 = ? WHERE repository_id = ? AND filename = ?",
                arguments: [sha256, repository, filename])
            try Self.rebuildPage(db, repository: repository, project: project)
        }
    }

    public func distribution(repository: Int64, filename: String) async throws -> DistributionRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM distributions WHERE repository_id = ? AND filename = ?", arguments: [repository, filename]
            ).map(Self.distribution)
        }
    }

    public func distributions(repository: Int64, project: String) async throws -> [DistributionRecord] {
        try await pool.read { db in try Self.rows(db, repository: repository, project: project) }
    }

    public func filenames(repository: Int64, project: String) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT filename FROM distributions WHERE repository_id = ? AND project = ?", arguments: [repository, project])
        }
    }

    public func setYanked(repository: Int64, _ selector: DistributionSelector, yanked: Bool, reason: String?) async throws -> [DistributionRecord] {
        try await pool.write { db in
            let selected = try Self.select(db, repository: repository, selector)
            for row in selected {
                try db.execute(
                    sql: "UPDATE distributions SET yanked = ?, yanked_reason = ? WHERE id = ?",
                    arguments: [yanked, yanked ? reason : nil, row.id])
            }
            if !selected.isEmpty { try Self.rebuildPage(db, repository: repository, project: selector.project) }
            return selected.map { var r = $0; r.yanked = yanked; r.yankedReason = yanked ? reason : nil; return r }
        }
    }

    public func deleteDistributions(repository: Int64, _ selector: DistributionSelector) async throws -> [DistributionRecord] {
        try await pool.write { db in
            let selected = try Self.select(db, repository: repository, selector)
            for row in selected {
                try db.execute(sql: "DELETE FROM distributions WHERE id = ?", arguments: [row.id])
            }
            if !selected.isEmpty { try Self.rebuildPage(db, repository: repository, project: selector.project) }
            return selected
        }
    }

    // MARK: helpers

    static func rows(_ db: Database, repository: Int64, project: String) throws -> [DistributionRecord] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM distributions WHERE repository_id = ? AND project = ?", arguments: [repository, project]
        ).map(distribution)
    }

    static func select(_ db: Database, repository: Int64, _ selector: DistributionSelector) throws -> [DistributionRecord] {
        let all = try rows(db, repository: repository, project: selector.project)
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
    static func rebuildPage(_ db: Database, repository: Int64, project: String) throws {
        let all = try rows(db, repository: repository, project: project)
        guard
            let projectRow = try Row.fetchOne(
                db, sql: "SELECT display_name, upstream_page, upstream_found FROM projects WHERE repository_id = ? AND name = ?",
                arguments: [repository, project])
        else { return }
        let displayName: String = projectRow["display_name"]
        let page: ProjectPage
        if let upstreamJSON: Data = projectRow["upstream_page"] {
            let upstream = try JSONDecoder().decode(ProjectPage.self, from: upstreamJSON)
            page = RemotePage.render(upstream: upstream, cached: all)
        } else if projectRow["upstream_found"] as Bool? == false {
            page = ProjectPage(name: displayName, files: [], versions: [])
        } else {
            if all.isEmpty {
                try db.execute(sql: "DELETE FROM projects WHERE repository_id = ? AND name = ?", arguments: [repository, project])
                return
            }
            page = ProjectPageBuilder.page(displayName: displayName, rows: all)
        }
        let rendered = page.render()
        try db.execute(
            sql: "UPDATE projects SET page_html = ?, page_json = ?, etag = ?, updated_at = ? WHERE repository_id = ? AND name = ?",
            arguments: [
                Data(rendered.html), Data(rendered.json), rendered.etag, Date().timeIntervalSince1970, repository, project,
            ])
    }

    static func distribution(_ row: Row) throws -> DistributionRecord {
        let metadataJSON: String = row["form_metadata"]
        return DistributionRecord(
            id: row["id"], repositoryID: row["repository_id"], project: row["project"], version: row["version"],
            filename: row["filename"], packageType: row["package_type"], size: row["size"], sha256: row["sha256"],
            blake2b256: row["blake2b_256"], md5: row["md5"], requiresPython: row["requires_python"],
            metadataSHA256: row["metadata_sha256"], yanked: row["yanked"], yankedReason: row["yanked_reason"],
            uploadTime: Date(timeIntervalSince1970: row["upload_time"]), uploader: row["uploader"],
            formMetadata: try JSONDecoder().decode([String: [String]].self, from: Data(metadataJSON.utf8)),
            originURL: row["origin_url"], provenance: row["provenance"])
    }

    static func repository(_ row: Row) throws -> Repository {
        let settings: String = row["settings"]
        let kindRaw: String = row["kind"]
        guard let kind = Repository.Kind(rawValue: kindRaw) else {
            throw WheelhouseError(.internalError, "unknown repository kind '\(kindRaw)'")
        }
        return Repository(
            id: row["id"], name: row["name"], kind: kind,
            settings: try JSONDecoder().decode(RepositorySettings.self, from: Data(settings.utf8)),
            createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
