import Foundation
import PostgresNIO
import WheelhouseCore

extension PostgresMetadataStore {
    // MARK: users

    public func createUser(name: String, passwordHash: String?, isAdmin: Bool) async throws -> User {
        let now = Date()
        let id: Int64? = try await withConnection { connection in
            try await connection.rows(
                """
                INSERT INTO users (name, password_hash, admin, disabled, created_at)
                VALUES (\(name), \(passwordHash), \(isAdmin), FALSE, \(now.timeIntervalSince1970))
                ON CONFLICT (name) DO NOTHING RETURNING id
                """, self.logger
            ).first?.get("id")
        }
        guard let id else { throw WheelhouseError.conflict("user '\(name)' already exists") }
        return User(id: id, name: name, passwordHash: passwordHash, isAdmin: isAdmin, isDisabled: false, createdAt: now)
    }

    public func user(named name: String) async throws -> User? {
        try await withConnection { connection in
            try await connection.rows("SELECT * FROM users WHERE name = \(name)", self.logger).first.map(Self.user)
        }
    }

    public func users() async throws -> [User] {
        try await withConnection { connection in
            try await connection.rows("SELECT * FROM users ORDER BY name COLLATE \"C\"", self.logger).map(Self.user)
        }
    }

    public func updateUser(_ user: User) async throws {
        try await withConnection { connection in
            try await connection.run(
                """
                UPDATE users SET password_hash = \(user.passwordHash), admin = \(user.isAdmin), disabled = \(user.isDisabled)
                WHERE id = \(user.id)
                """, self.logger)
        }
    }

    public func userCount() async throws -> Int {
        try await withConnection { connection in
            Int(try await connection.rows("SELECT COUNT(*) AS n FROM users", self.logger).first?.get("n", as: Int64.self) ?? 0)
        }
    }

    static func user(_ row: Columns) throws -> User {
        try User(
            id: row.get("id"), name: row.get("name"), passwordHash: row.get("password_hash"), isAdmin: row.get("admin"),
            isDisabled: row.get("disabled"), createdAt: row.date("created_at"))
    }

    // MARK: tokens

    public func createToken(_ token: TokenRecord) async throws {
        let scopes = try token.scopes.map { try Self.encode($0) }
        try await withConnection { connection in
            try await connection.run(
                """
                INSERT INTO tokens (id, user_id, name, hash, prefix, scopes, expires_at, created_at)
                VALUES (\(token.id), \(token.userID), \(token.name), \(token.hash), \(token.prefix), \(scopes),
                  \(token.expiresAt?.timeIntervalSince1970), \(token.createdAt.timeIntervalSince1970))
                """, self.logger)
        }
    }

    public func token(hash: String) async throws -> (TokenRecord, User)? {
        let found: TokenAndUser? = try await withConnection { connection in
            guard
                let row = try await connection.rows(
                    """
                    SELECT t.*, u.name AS user_name, u.password_hash, u.admin, u.disabled, u.created_at AS user_created_at
                    FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = \(hash)
                    """, self.logger
                ).first
            else { return nil }
            let user = try User(
                id: row.get("user_id"), name: row.get("user_name"), passwordHash: row.get("password_hash"),
                isAdmin: row.get("admin"), isDisabled: row.get("disabled"), createdAt: row.date("user_created_at"))
            return TokenAndUser(token: try Self.token(row), user: user)
        }
        return found.map { ($0.token, $0.user) }
    }

    public func token(id: String) async throws -> TokenRecord? {
        try await withConnection { connection in
            try await connection.rows(
                "SELECT t.*, u.name AS user_name FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = \(id)", self.logger
            ).first.map(Self.token)
        }
    }

    public func tokens(userID: Int64?) async throws -> [TokenRecord] {
        try await withConnection { connection in
            try await connection.rows(
                """
                SELECT t.*, u.name AS user_name FROM tokens t JOIN users u ON u.id = t.user_id
                WHERE \(userID)::BIGINT IS NULL OR t.user_id = \(userID) ORDER BY t.created_at
                """, self.logger
            ).map(Self.token)
        }
    }

    public func revokeToken(id: String, at: Date) async throws -> Bool {
        try await withConnection { connection in
            try await !connection.rows(
                "UPDATE tokens SET revoked_at = \(at.timeIntervalSince1970) WHERE id = \(id) AND revoked_at IS NULL RETURNING id",
                self.logger
            ).isEmpty
        }
    }

    public func recordTokenUse(_ uses: [String: Date]) async throws {
        guard !uses.isEmpty else { return }
        let ids = Array(uses.keys)
        let times = ids.map { uses[$0]!.timeIntervalSince1970 }
        try await withConnection { connection in
            try await connection.run(
                """
                UPDATE tokens SET last_used_at = u.at
                FROM unnest(\(ids)::TEXT[], \(times)::DOUBLE PRECISION[]) AS u(id, at) WHERE tokens.id = u.id
                """, self.logger)
        }
    }

    static func token(_ row: Columns) throws -> TokenRecord {
        let scopesJSON: String? = try row.get("scopes")
        let scopes = try scopesJSON.flatMap { json -> [TokenScope]? in
            let decoded = try JSONDecoder().decode([TokenScope].self, from: Data(json.utf8))
            return decoded.isEmpty ? nil : decoded
        }
        return try TokenRecord(
            id: row.get("id"), userID: row.get("user_id"), userName: row.get("user_name"), name: row.get("name"),
            hash: row.get("hash"), prefix: row.get("prefix"), scopes: scopes, expiresAt: row.optionalDate("expires_at"),
            revokedAt: row.optionalDate("revoked_at"), lastUsedAt: row.optionalDate("last_used_at"), createdAt: row.date("created_at"))
    }

    // MARK: grants

    public func grant(repository: Int64, userID: Int64, level: AccessLevel) async throws {
        try await withConnection { connection in
            try await connection.run(
                """
                INSERT INTO permissions (repository_id, user_id, level) VALUES (\(repository), \(userID), \(level.rawValue))
                ON CONFLICT (repository_id, user_id) DO UPDATE SET level = excluded.level
                """, self.logger)
        }
    }

    public func revokeGrant(repository: Int64, userID: Int64) async throws -> Bool {
        try await withConnection { connection in
            try await !connection.rows(
                "DELETE FROM permissions WHERE repository_id = \(repository) AND user_id = \(userID) RETURNING level", self.logger
            ).isEmpty
        }
    }

    public func grant(repository: Int64, userID: Int64) async throws -> AccessLevel? {
        try await withConnection { connection in
            try await connection.rows(
                "SELECT level FROM permissions WHERE repository_id = \(repository) AND user_id = \(userID)", self.logger
            ).first.flatMap { AccessLevel(rawValue: try $0.get("level")) }
        }
    }

    public func grants(repository: Int64) async throws -> [(user: String, level: AccessLevel)] {
        let grants: [Grant] = try await withConnection { connection in
            try await connection.rows(
                """
                SELECT u.name, p.level FROM permissions p JOIN users u ON u.id = p.user_id
                WHERE p.repository_id = \(repository) ORDER BY u.name COLLATE "C"
                """, self.logger
            ).compactMap { row in try AccessLevel(rawValue: row.get("level")).map { Grant(user: try row.get("name"), level: $0) } }
        }
        return grants.map { (user: $0.user, level: $0.level) }
    }
}

/// Sendable carriers for the tuples the protocol returns.
struct TokenAndUser: Sendable {
    var token: TokenRecord
    var user: User
}

struct Grant: Sendable {
    var user: String
    var level: AccessLevel
}
