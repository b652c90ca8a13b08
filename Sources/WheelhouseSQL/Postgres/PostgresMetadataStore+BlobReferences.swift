import Foundation
import PostgresNIO
import WheelhouseCore

/// Claims and collection marks (see ``BlobReferenceStore``) on every node of a cluster: each
/// transaction takes a transaction-scoped advisory lock per blob (in lock-key order, so two
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

    public func markBlobsForCollection(_ candidates: [String], collector: String) async throws -> [String] {
        let shas = Array(Set(candidates)).sorted()
        let logger = self.logger
        let stale = BlobReferences.markStaleAfter.timeInterval
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
            // A dead collector's mark is taken over; a live one's is left to it.
            try await connection.run(
                "DELETE FROM blob_collections WHERE sha256 = ANY(\(free)) AND since <= EXTRACT(EPOCH FROM now()) - \(stale)", logger)
            return try await connection.rows(
                """
                INSERT INTO blob_collections (sha256, collector, since)
                SELECT s, \(collector), EXTRACT(EPOCH FROM now()) FROM unnest(\(free)::text[]) AS s
                ON CONFLICT (sha256) DO NOTHING RETURNING sha256
                """, logger
            ).map { try $0.get("sha256", as: String.self) }
        }
    }

    public func releaseBlobClaim(_ claim: String) async throws {
        let logger = self.logger
        try await withConnection { connection in
            try await connection.run("DELETE FROM blob_claims WHERE claim = \(claim)", logger)
        }
    }

    public func unmarkBlobs(_ sha256s: [String], collector: String) async throws {
        let logger = self.logger
        try await withConnection { connection in
            try await connection.run(
                "DELETE FROM blob_collections WHERE sha256 = ANY(\(sha256s)) AND collector = \(collector)", logger)
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

    /// One statement, in the order of the lock keys themselves: two sha256 with the same 32-bit
    /// key are then never taken in opposite orders by two transactions.
    static func lockBlobs(_ connection: PostgresConnection, _ shas: [String], _ logger: Logger) async throws {
        try await connection.run(
            """
            SELECT pg_advisory_xact_lock(\(blobLockClass), k)
            FROM (SELECT DISTINCT hashtext(s) AS k FROM unnest(\(shas)::text[]) AS s ORDER BY k) AS keys
            """, logger)
    }
}
