import Foundation
import GRDB
import WheelhouseCore

extension SQLiteMetadataStore {
    // MARK: users

    public func createUser(name: String, passwordHash: String?, isAdmin: Bool) async throws -> User {
        let now = Date()
        return try await pool.write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [name]) != nil {
                throw WheelhouseError.conflict("user '\(name)' already exists")
            }
            try db.execute(
                sql: "INSERT INTO users (name, password_hash, admin, disabled, created_at) VALUES (?, ?, ?, 0, ?)",
                arguments: [name, passwordHash, isAdmin, now.timeIntervalSince1970])
            return User(id: db.lastInsertedRowID, name: name, passwordHash: passwordHash, isAdmin: isAdmin, isDisabled: false, createdAt: now)
        }
    }

    public func user(named name: String) async throws -> User? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map(Self.user) }
    }

    public func users() async throws -> [User] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").map(Self.user) }
    }

    public func updateUser(_ user: User) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE users SET password_hash = ?, admin = ?, disabled = ? WHERE id = ?",
                arguments: [user.passwordHash, user.isAdmin, user.isDisabled, user.id])
        }
    }

    public func userCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0 }
    }

    static func user(_ row: Row) -> User {
        User(
            id: row["id"], name: row["name"], passwordHash: row["password_hash"], isAdmin: row["admin"],
            isDisabled: row["disabled"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    // MARK: tokens

    public func createToken(_ token: TokenRecord) async throws {
        let scopes = try token.scopes.map { try Self.encode($0) }
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO tokens (id, user_id, name, hash, prefix, scopes, expires_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    token.id, token.userID, token.name, token.hash, token.prefix, scopes,
                    token.expiresAt?.timeIntervalSince1970, token.createdAt.timeIntervalSince1970,
                ])
        }
    }

    public func token(hash: String) async throws -> (TokenRecord, User)? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT t.*, u.name AS user_name, u.password_hash, u.admin, u.disabled, u.created_at AS user_created_at
                    FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?
                    """,
                arguments: [hash])
            else { return nil }
            let user = User(
                id: row["user_id"], name: row["user_name"], passwordHash: row["password_hash"], isAdmin: row["admin"],
                isDisabled: row["disabled"], createdAt: Date(timeIntervalSince1970: row["user_created_at"]))
            return (try Self.token(row), user)
        }
    }

    public func token(id: String) async throws -> TokenRecord? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT t.*, u.name AS user_name FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?", arguments: [id]
            ).map(Self.token)
        }
    }

    public func tokens(userID: Int64?) async throws -> [TokenRecord] {
        try await pool.read { db in
            let sql = "SELECT t.*, u.name AS user_name FROM tokens t JOIN users u ON u.id = t.user_id"
            if let userID {
                return try Row.fetchAll(db, sql: sql + " WHERE t.user_id = ? ORDER BY t.created_at", arguments: [userID]).map(Self.token)
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY t.created_at").map(Self.token)
        }
    }

    public func revokeToken(id: String, at: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [at.timeIntervalSince1970, id])
            return db.changesCount > 0
        }
    }

    public func recordTokenUse(_ uses: [String: Date]) async throws {
        guard !uses.isEmpty else { return }
        try await pool.write { db in
            for (id, at) in uses {
                try db.execute(sql: "UPDATE tokens SET last_used_at = ? WHERE id = ?", arguments: [at.timeIntervalSince1970, id])
            }
        }
    }

    static func token(_ row: Row) throws -> TokenRecord {
        let scopesJSON: String? = row["scopes"]
        let scopes = try scopesJSON.flatMap { json -> [TokenScope]? in
            let decoded = try JSONDecoder().decode([TokenScope].self, from: Data(json.utf8))
            return decoded.isEmpty ? nil : decoded
        }
        return TokenRecord(
            id: row["id"], userID: row["user_id"], userName: row["user_name"], name: row["name"], hash: row["hash"],
            prefix: row["prefix"], scopes: scopes,
            expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            lastUsedAt: (row["last_used_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    // MARK: grants

    public func grant(repository: Int64, userID: Int64, level: AccessLevel) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO permissions (repository_id, user_id, level) VALUES (?, ?, ?)
                    ON CONFLICT (repository_id, user_id) DO UPDATE SET level = excluded.level
                    """,
                arguments: [repository, userID, level.rawValue])
        }
    }

    public func revokeGrant(repository: Int64, userID: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM permissions WHERE repository_id = ? AND user_id = ?", arguments: [repository, userID])
            return db.changesCount > 0
        }
    }

    public func grant(repository: Int64, userID: Int64) async throws -> AccessLevel? {
        try await pool.read { db in
            try String.fetchOne(
                db, sql: "SELECT level FROM permissions WHERE repository_id = ? AND user_id = ?", arguments: [repository, userID]
            ).flatMap(AccessLevel.init(rawValue:))
        }
    }

    public func grants(repository: Int64) async throws -> [(user: String, level: AccessLevel)] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT u.name, p.level FROM permissions p JOIN users u ON u.id = p.user_id WHERE p.repository_id = ? ORDER BY u.name",
                arguments: [repository]
            ).compactMap { row in AccessLevel(rawValue: row["level"]).map { (user: row["name"] as String, level: $0) } }
        }
    }

    // MARK: audit

    public func appendAudit(_ entry: AuditEntry) async throws {
        let details = try Self.encode(entry.details)
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO audit_log (at, actor, action, repository, target, client, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [entry.at.timeIntervalSince1970, entry.actor, entry.action, entry.repository, entry.target, entry.client, details])
        }
    }

    public func audit(_ filter: AuditFilter) async throws -> [AuditEntry] {
        var clauses: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let v = filter.actor { clauses.append("actor = ?"); arguments.append(v) }
        if let v = filter.action { clauses.append("action = ?"); arguments.append(v) }
        if let v = filter.repository { clauses.append("repository = ?"); arguments.append(v) }
        if let v = filter.since { clauses.append("at >= ?"); arguments.append(v.timeIntervalSince1970) }
        if let v = filter.before { clauses.append("id < ?"); arguments.append(v) }
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        arguments.append(min(max(filter.limit, 1), 1000))
        let args = StatementArguments(arguments) ?? StatementArguments()
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log \(whereSQL) ORDER BY id DESC LIMIT ?", arguments: args).map { row in
                let details: String = row["details"]
                return AuditEntry(
                    id: row["id"], at: Date(timeIntervalSince1970: row["at"]), actor: row["actor"], action: row["action"],
                    repository: row["repository"], target: row["target"], client: row["client"],
                    details: (try? JSONDecoder().decode([String: String].self, from: Data(details.utf8))) ?? [:])
            }
        }
    }
}
