import Foundation

/// A user account. Passwords are stored only as scrypt hashes (`PasswordHash`).
public struct User: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var passwordHash: String?
    public var isAdmin: Bool
    public var isDisabled: Bool
    public var createdAt: Date

    public init(id: Int64, name: String, passwordHash: String?, isAdmin: Bool, isDisabled: Bool, createdAt: Date) {
        self.id = id
        self.name = name
        self.passwordHash = passwordHash
        self.isAdmin = isAdmin
        self.isDisabled = isDisabled
        self.createdAt = createdAt
    }

    public static func validateName(_ name: String) throws(WheelhouseError) {
        let ok = !name.isEmpty && name.utf8.count <= 64 && name != "__token__"
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D || $0 == 0x40 }
        guard ok else { throw .badRequest("invalid user name '\(name)': 1 to 64 of [A-Za-z0-9._@-]") }
    }
}

/// A stored API token: only its hash is kept.
public struct TokenRecord: Sendable, Equatable {
    public var id: String
    public var userID: Int64
    public var userName: String
    public var name: String
    public var hash: String
    /// What lists show to recognise the token: `publicPrefix(id:)` for generated tokens, empty for a
    /// configured one (`WHEELHOUSE_ADMIN_TOKEN`). Rows written before this held the secret's first
    /// characters; `displayPrefix` hides those.
    public var prefix: String
    public var scopes: [TokenScope]?
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?
    public var createdAt: Date

    public init(
        id: String, userID: Int64, userName: String, name: String, hash: String, prefix: String, scopes: [TokenScope]?,
        expiresAt: Date?, revokedAt: Date? = nil, lastUsedAt: Date? = nil, createdAt: Date
    ) {
        self.id = id
        self.userID = userID
        self.userName = userName
        self.name = name
        self.hash = hash
        self.prefix = prefix
        self.scopes = scopes
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
        self.createdAt = createdAt
    }

    /// Not part of the secret: `whk_` and the start of the token's id.
    public static func publicPrefix(id: String) -> String { "whk_" + id.prefix(8) }

    /// The prefix when it is the public one; never characters of the secret.
    public var displayPrefix: String { prefix == Self.publicPrefix(id: id) ? prefix : "" }

    public func isUsable(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }
}

/// One entry of the audit log.
public struct AuditEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: Date
    /// The user name, or "anonymous".
    public var actor: String
    /// e.g. `upload`, `delete`, `yank`, `repository.create`, `token.revoke`, `login.failed`.
    public var action: String
    public var repository: String?
    /// What was acted on: a filename, a user, a token id, a project.
    public var target: String?
    public var client: String?
    public var details: [String: String]

    public init(
        id: Int64 = 0, at: Date = Date(), actor: String, action: String, repository: String? = nil, target: String? = nil,
        client: String? = nil, details: [String: String] = [:]
    ) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.repository = repository
        self.target = target
        self.client = client
        self.details = details
    }
}

/// Which audit entries to list: newest first, `before` an id for paging.
public struct AuditFilter: Sendable, Equatable {
    public var actor: String?
    public var action: String?
    public var repository: String?
    public var since: Date?
    public var before: Int64?
    public var limit: Int

    public init(actor: String? = nil, action: String? = nil, repository: String? = nil, since: Date? = nil, before: Int64? = nil, limit: Int = 100) {
        self.actor = actor
        self.action = action
        self.repository = repository
        self.since = since
        self.before = before
        self.limit = limit
    }
}
