import Foundation
import PostgresNIO
import WheelhouseCore

extension PostgresMetadataStore {
    public func appendAudit(_ entry: AuditEntry) async throws {
        let details = try Self.encode(entry.details)
        try await withConnection { connection in
            try await connection.run(
                """
                INSERT INTO audit_log (at, actor, action, repository, target, client, details)
                VALUES (\(entry.at.timeIntervalSince1970), \(entry.actor), \(entry.action), \(entry.repository), \(entry.target),
                  \(entry.client), \(details))
                """, self.logger)
        }
    }

    /// Newest first, `before` an id for paging. Absent filters are NULL parameters: the unnamed
    /// statement is planned with their values, so each query still uses its index.
    public func audit(_ filter: AuditFilter) async throws -> [AuditEntry] {
        let limit = Int64(min(max(filter.limit, 1), 1000))
        let since = filter.since?.timeIntervalSince1970
        return try await withConnection { connection in
            try await connection.rows(
                """
                SELECT * FROM audit_log
                WHERE (\(filter.actor)::TEXT IS NULL OR actor = \(filter.actor))
                  AND (\(filter.action)::TEXT IS NULL OR action = \(filter.action))
                  AND (\(filter.repository)::TEXT IS NULL OR repository = \(filter.repository))
                  AND (\(since)::DOUBLE PRECISION IS NULL OR at >= \(since))
                  AND (\(filter.before)::BIGINT IS NULL OR id < \(filter.before))
                ORDER BY id DESC LIMIT \(limit)
                """, self.logger
            ).map { row in
                let details: String = try row.get("details")
                return try AuditEntry(
                    id: row.get("id"), at: row.date("at"), actor: row.get("actor"), action: row.get("action"),
                    repository: row.get("repository"), target: row.get("target"), client: row.get("client"),
                    details: (try? JSONDecoder().decode([String: String].self, from: Data(details.utf8))) ?? [:])
            }
        }
    }
}
