import Foundation

/// The lease state machine as a pure value: the coordinators persist it (in memory, or in PostgreSQL
/// with the same rules as SQL), and the unit tests drive it exhaustively without I/O.
public struct LeaseTable: Sendable {
    public private(set) var leases: [LeaseKey: Lease] = [:]
    /// Fencing tokens only grow, per key, even across releases.
    private var lastToken: [LeaseKey: Int64] = [:]

    public init() {}

    /// Grants the lease when free or expired. Not re-entrant, even for the same node: many requests
    /// of one node must collapse into one fetch just as requests of many nodes do.
    public mutating func acquire(_ key: LeaseKey, node: String, now: Date, ttl: TimeInterval) -> LeaseDecision {
        if let current = leases[key], current.expiresAt > now {
            return .held(by: current.holder, until: current.expiresAt)
        }
        let token = (lastToken[key] ?? 0) + 1
        lastToken[key] = token
        // An entry still here has expired without a release: its holder died.
        let lease = Lease(key: key, holder: node, token: token, expiresAt: now.addingTimeInterval(ttl), takenOverFrom: leases[key]?.holder)
        leases[key] = lease
        return .granted(lease)
    }

    /// Extends the lease if it is still this holder's (same token) and not expired.
    public mutating func renew(_ lease: Lease, now: Date, ttl: TimeInterval) -> Lease? {
        guard isCurrent(lease, now: now) else { return nil }
        var renewed = lease
        renewed.expiresAt = now.addingTimeInterval(ttl)
        leases[lease.key] = renewed
        return renewed
    }

    /// True when `lease` is the current, unexpired lease of its key.
    public func isCurrent(_ lease: Lease, now: Date) -> Bool {
        guard let current = leases[lease.key] else { return false }
        return current.token == lease.token && current.holder == lease.holder && current.expiresAt > now
    }

    /// Frees the key if `lease` still holds it; returns whether it did. A stale holder's release is ignored.
    @discardableResult
    public mutating func release(_ lease: Lease) -> Bool {
        guard let current = leases[lease.key], current.token == lease.token else { return false }
        leases[lease.key] = nil
        return true
    }

    /// Drops expired leases (housekeeping; expiry itself needs no sweep to take effect).
    public mutating func expire(now: Date) {
        leases = leases.filter { $0.value.expiresAt > now }
    }
}
