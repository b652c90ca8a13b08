/// An access level on a repository; each level includes the ones below it.
public enum AccessLevel: String, Sendable, Codable, Comparable, CaseIterable {
    case read, write, admin

    var rank: Int {
        switch self {
        case .read: 1
        case .write: 2
        case .admin: 3
        }
    }

    public static func < (a: AccessLevel, b: AccessLevel) -> Bool { a.rank < b.rank }
}

/// One scope of a token: a repository name or glob pattern (`team-*`) and the most it allows there.
public struct TokenScope: Sendable, Codable, Equatable {
    public var repository: String
    public var level: AccessLevel
    public init(repository: String, level: AccessLevel) {
        self.repository = repository
        self.level = level
    }
}

/// Who is making a request, once authenticated.
public struct Principal: Sendable, Equatable {
    public var userID: Int64
    public var userName: String
    public var isAdmin: Bool
    /// The token used, when the request authenticated with one.
    public var tokenID: String?
    /// The token's scopes; nil when unrestricted (a password, or a token without scopes).
    public var scopes: [TokenScope]?

    public init(userID: Int64, userName: String, isAdmin: Bool, tokenID: String? = nil, scopes: [TokenScope]? = nil) {
        self.userID = userID
        self.userName = userName
        self.isAdmin = isAdmin
        self.tokenID = tokenID
        self.scopes = scopes
    }
}
