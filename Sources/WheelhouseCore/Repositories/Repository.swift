import Foundation

/// A named repository: local (uploads), remote (a caching proxy of an upstream index) or
/// virtual (an ordered merge of other repositories).
public struct Repository: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case local, remote, virtual
    }

    public var id: Int64
    public var name: String
    public var kind: Kind
    public var settings: RepositorySettings
    public var createdAt: Date

    public init(id: Int64, name: String, kind: Kind, settings: RepositorySettings = .init(), createdAt: Date) {
        self.id = id
        self.name = name
        self.kind = kind
        self.settings = settings
        self.createdAt = createdAt
    }
}

/// Everything a repository can be configured with; which fields apply depends on the kind.
public struct RepositorySettings: Sendable, Codable, Equatable {
    /// Anonymous clients may read pages and files.
    public var anonymousRead: Bool?
    // remote
    public var url: String?
    public var metadataTTL: Int?
    public var negativeTTL: Int?
    public var offline: Bool?
    /// Upstream credentials: stored, never printed, logged or returned by the API.
    public var upstreamUsername: String?
    public var upstreamPassword: String?
    // virtual
    public var members: [String]?
    public var deployTo: String?
    public var allowRemote: [String]?
    /// Set when the repository is declared in a configuration file; API changes are refused.
    public var declaredIn: String?

    public init(
        anonymousRead: Bool? = nil, url: String? = nil, metadataTTL: Int? = nil, negativeTTL: Int? = nil,
        offline: Bool? = nil, members: [String]? = nil, deployTo: String? = nil, allowRemote: [String]? = nil,
        declaredIn: String? = nil
    ) {
        self.anonymousRead = anonymousRead
        self.url = url
        self.metadataTTL = metadataTTL
        self.negativeTTL = negativeTTL
        self.offline = offline
        self.members = members
        self.deployTo = deployTo
        self.allowRemote = allowRemote
        self.declaredIn = declaredIn
    }
}

public enum RepositoryName {
    /// Top-level path segments that routes use, so they can never name a repository.
    public static let reserved: Set<String> = [
        "api", "health", "metrics", "ui", "static", "artifactory", "repository", "simple", "files", "favicon.ico",
    ]

    /// Checks `[a-z0-9][a-z0-9._-]*`, at most 64 characters, not reserved.
    public static func validate(_ name: String) throws(WheelhouseError) {
        guard !name.isEmpty, name.utf8.count <= 64 else {
            throw .badRequest("invalid repository name '\(name)': 1 to 64 characters")
        }
        let bytes = Array(name.utf8)
        func isAlnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        guard isAlnum(bytes[0]), bytes.allSatisfy({ isAlnum($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }) else {
            throw .badRequest("invalid repository name '\(name)': must match [a-z0-9][a-z0-9._-]*")
        }
        guard !reserved.contains(name) else {
            throw .badRequest("invalid repository name '\(name)': the name is reserved")
        }
    }
}
