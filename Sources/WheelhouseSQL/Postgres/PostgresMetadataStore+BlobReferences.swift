import Foundation
import PostgresNIO
import WheelhouseCore

/// Claims and collection marks (see ``BlobReferenceStore``) on every node of a cluster: each
/// transaction takes a transaction-scoped advisory lock per blob (in sha256 order, so two
/// transactions never wait for each other in a cycle), which serializes a claim against a mark of
/// the same blob. Times are the database's clock, so the nodes' clocks need not agree.
extension PostgresMetadataStore {
    /// `pg_advisory_xact_lock(blob class, hashtext(sha256))`.
    static let blobLockClass: Int32 = 0x5748_0002

    public func tryClaimBlobs(_ sha256s: [String], claim: String, for ttl: Duration) async throws -> Bool {
        let shas = Array(Set(sha256s)).sorted()
        let logger = self.logger
        let stale = BlobReferences.markStaleAfter.timeInterval
        let seconds = ttl.timeInterval
        return try await withTransaction { connection in
            try await Self.lockBlobs(connection, shas, logger)
            let collecting = try await connection.rows(
                """
                SELECT 1 FROM blob_collections
                WHERE sha256 = ANY(\(shas)) AND since > EXTRACT(EPOCH FROM now()) - \(stale) LIMIT 1
                """, logger)
            guard collecting.isEmpty else { return false }
            try await connection.run("DELETE FROM blob_collections WHERE sha256 = ANY(\(shas))", logger)
            try await connection.run(
                """
                INSERT INTO blob_claims (sha256, claim, until)
                SELECT s, \(claim), EXTRACT(EPOCH FROM now()) + \(seconds) FROM unnest(\(shas)::text[]) AS s
                ON CONFLICT (sha256, claim) DO UPDATE SET until = GREATEST(blob_claims.until, excluded.until)
                """, logger)
            return true
        }
    }

    public func markBlobsForCollection(_ candidates: [String]) async throws -> [String] {
        let shas = Array(Set(candidates)).sorted()
        let logger = self.logger
        return try await withTransaction { connection in
            try await Self.lockBlobs(connection, shas, logger)
            let free = try await connection.rows(
                """
                SELECT s FROM unnest(\(shas)::text[]) AS s
                WHERE NOT EXISTS (SELECT 1 FROM distributions WHERE sha256 = s OR metadata_sha256 = s)
                  AND NOT EXISTS (SELECT 1 FROM blob_claims WHERE sha256 = s AND until > EXTRACT(EPOCH FROM now()))
                """, logger
            ).map { try $0.get("s", as: String.self) }
            guard !free.isEmpty else { return [] }
            try await connection.run(
                """
                INSERT INTO blob_collections (sha256, since)
                SELECT s, EXTRACT(EPOCH FROM now()) FROM unnest(\(free)::text[]) AS s
                ON CONFLICT (sha256) DO UPDATE SET since = excluded.since
                """, logger)
            return free
        }
    }

    public func releaseBlobClaim(_ claim: String) async throws {
        let logger = self.logger
        try await withConnection { connection in
            try await connection.run("DELETE FROM blob_claims WHERE claim = \(claim)", logger)
        }
    }

    public func unmarkBlobs(_ sha256s: [String]) async throws {
        let logger = self.logger
        try await withConnection { connection in
            try await connection.run("DELETE FROM blob_collections WHERE sha256 = ANY(\(sha256s))", logger)
        }
    }

    public func purgeExpiredBlobClaims() async throws -> Int {
        let logger = self.logger
        return try await withConnection { connection in
            try await connection.rows(
                "DELETE FROM blob_claims WHERE until <= EXTRACT(EPOCH FROM now()) RETURNING sha256", logger
            ).count
        }
    }

    public func isBlobReferenced(sha256: String) async throws -> Bool {
        let logger = self.logger
        return try await withConnection { connection in
            try await !connection.rows(
                """
                SELECT 1 FROM distributions WHERE sha256 = \(sha256) OR metadata_sha256 = \(sha256)
                UNION ALL
                SELECT 1 FROM blob_claims WHERE sha256 = \(sha256) AND until > EXTRACT(EPOCH FROM now())
                LIMIT 1
                """, logger
            ).isEmpty
        }
    }

    static func lockBlobs(_ connection: PostgresConnection, _ sortedSHAs: [String], _ logger: Logger) async throws {
        for sha in sortedSHAs {
            try await connection.run("SELECT pg_advisory_xact_lock(\(blobLockClass), hashtext(\(sha)))", logger)
        }
    }
}
