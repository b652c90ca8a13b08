import Foundation
import GRDB
import WheelhouseCore

extension SQLiteMetadataStore {
    public func bootstrapAdmin(tokenHash: String, tokenPrefix: String) async throws -> Bool {
        try await pool.write { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") == 0 else { return false }
            let now = Date().timeIntervalSince1970
            try db.execute(
                sql: "INSERT INTO users (name, admin, disabled, created_at) VALUES ('admin', 1, 0, ?)", arguments: [now])
            let userID = db.lastInsertedRowID
            try db.execute(
                sql: """
                    INSERT INTO tokens (id, user_id, name, hash, prefix, scopes, created_at)
                    VALUES (?, ?, 'admin', ?, ?, '[]', ?)
                    """,
                arguments: [UUID().uuidString.lowercased(), userID, tokenHash, tokenPrefix, now])
            return true
        }
    }

    public func principal(tokenHash: String) async throws -> Principal? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT u.id, u.name, u.admin FROM tokens t JOIN users u ON u.id = t.user_id
                        WHERE t.hash = ? AND t.revoked_at IS NULL AND u.disabled = 0
                          AND (t.expires_at IS NULL OR t.expires_at > ?)
                        """,
                    arguments: [tokenHash, Date().timeIntervalSince1970])
            else { return nil }
            return Principal(userID: row["id"], userName: row["name"], isAdmin: row["admin"])
        }
    }
}
