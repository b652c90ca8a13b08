import Foundation
import GRDB
import WheelhouseCore

/// Claims and collection marks (see ``BlobReferenceStore``): SQLite has one writer, so each
/// transaction below already excludes the others.
extension SQLiteMetadataStore {
    public func tryClaimBlobs(_ sha256s: [String], claim: String, for ttl: Duration) async throws -> Bool {
        let now = Date().timeIntervalSince1970
        let staleBefore = now - BlobReferences.markStaleAfter.timeInterval
        return try await pool.write { db in
            for sha in sha256s {
                if let since = try Double.fetchOne(db, sql: "SELECT since FROM blob_collections WHERE sha256 = ?", arguments: [sha]), since > staleBefore {
                    return false
                }
            }
            for sha in sha256s {
                try db.execute(sql: "DELETE FROM blob_collections WHERE sha256 = ?", arguments: [sha])
                try db.execute(
                    sql: """
                        INSERT INTO blob_claims (sha256, claim, until) VALUES (?, ?, ?)
                        ON CONFLICT (sha256, claim) DO UPDATE SET until = max(until, excluded.until)
                        """,
                    arguments: [sha, claim, now + ttl.timeInterval])
            }
            return true
        }
    }

    public func markBlobsForCollection(_ candidates: [String], collector: String) async throws -> [String] {
        let now = Date().timeIntervalSince1970
        let staleBefore = now - BlobReferences.markStaleAfter.timeInterval
        return try await pool.write { db in
            var marked: [String] = []
            for sha in candidates where try !Self.isReferenced(db, sha, now: now) {
                if let since = try Double.fetchOne(db, sql: "SELECT since FROM blob_collections WHERE sha256 = ?", arguments: [sha]),
                    since > staleBefore
                {
                    continue  // another collector is on it
                }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO blob_collections (sha256, collector, since) VALUES (?, ?, ?)",
                    arguments: [sha, collector, now])
                marked.append(sha)
            }
            return marked
        }
    }

    public func releaseBlobClaim(_ claim: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM blob_claims WHERE claim = ?", arguments: [claim])
        }
    }

    public func unmarkBlobs(_ sha256s: [String], collector: String) async throws {
        try await pool.write { db in
            for sha in sha256s {
                try db.execute(sql: "DELETE FROM blob_collections WHERE sha256 = ? AND collector = ?", arguments: [sha, collector])
            }
        }
    }

    public func purgeExpiredBlobClaims() async throws -> Int {
        let now = Date().timeIntervalSince1970
        return try await pool.write { db in
            try db.execute(sql: "DELETE FROM blob_claims WHERE until <= ?", arguments: [now])
            return db.changesCount
        }
    }

    public func isBlobReferenced(sha256: String) async throws -> Bool {
        let now = Date().timeIntervalSince1970
        return try await pool.read { db in try Self.isReferenced(db, sha256, now: now) }
    }

    static func isReferenced(_ db: Database, _ sha: String, now: TimeInterval) throws -> Bool {
        try Int.fetchOne(
            db,
            sql: """
                SELECT 1 FROM distributions WHERE sha256 = ?1 OR metadata_sha256 = ?1
                UNION ALL SELECT 1 FROM blob_claims WHERE sha256 = ?1 AND until > ?2 LIMIT 1
                """,
            arguments: [sha, now]) != nil
    }
}
