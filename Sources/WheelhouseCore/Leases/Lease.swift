import Foundation

/// What a lease protects: one upstream file download, or one upstream page refresh.
public struct LeaseKey: Hashable, Sendable, CustomStringConvertible {
    public let raw: String
    public init(raw: String) { self.raw = raw }

    public static func file(repository: String, filename: String) -> LeaseKey { .init(raw: "file:\(repository):\(filename)") }
    public static func page(repository: String, project: String) -> LeaseKey { .init(raw: "page:\(repository):\(project)") }
    public var description: String { raw }
}

/// The right to fetch one key, held by one node until `expiresAt`.
///
/// `token` is a fencing token: it grows every time the lease changes hands, so a holder whose lease
/// expired (and was taken over) cannot commit: its token no longer matches.
public struct Lease: Sendable, Equatable {
    public var key: LeaseKey
    public var holder: String
    public var token: Int64
    public var expiresAt: Date
    /// Set when this lease was taken over from a holder whose lease expired unreleased (it died).
    public var takenOverFrom: String?

    public init(key: LeaseKey, holder: String, token: Int64, expiresAt: Date, takenOverFrom: String? = nil) {
        self.key = key
        self.holder = holder
        self.token = token
        self.expiresAt = expiresAt
        self.takenOverFrom = takenOverFrom
    }
}

/// The answer to "may I fetch this?".
public enum LeaseDecision: Sendable, Equatable {
    /// Fetch it: you hold the lease.
    case granted(Lease)
    /// Someone else is fetching it; wait for their announcement, or for `until` to pass.
    case held(by: String, until: Date)
}

/// How a fetch ended, as announced to waiters.
public enum FetchOutcome: Sendable, Equatable {
    /// The blob and its row are committed: read them from the stores.
    case completed
    /// The fetch failed (upstream error, hash mismatch, truncated body): nothing was committed.
    case failed(String)
}

/// Decides who downloads: one holder per key, in one process or across a cluster.
///
/// The in-process coordinator serves the embedded default; the PostgreSQL coordinator serves a
/// cluster. Both are persistence around the pure `LeaseTable` transitions.
public protocol FetchCoordinator: Sendable {
    /// This node's identity, as recorded in leases.
    var nodeID: String { get }
    func acquire(_ key: LeaseKey, ttl: Duration) async throws -> LeaseDecision
    /// Extends a held lease; nil when it was lost (expired and taken over): stop and commit nothing.
    func renew(_ lease: Lease, ttl: Duration) async throws -> Lease?
    /// Whether `lease` is still the current one: checked right before committing (fencing).
    func isCurrent(_ lease: Lease) async throws -> Bool
    /// Releases the lease and announces the outcome to every waiter, on every node.
    func release(_ lease: Lease, outcome: FetchOutcome) async throws
    /// Waits for the announcement of the fetch of `key`; nil when `timeout` passed first.
    func waitForOutcome(_ key: LeaseKey, timeout: Duration) async throws -> FetchOutcome?
}
