import Foundation

/// Brute-force protection: failed authentications counted in a sliding window per client address
/// and, for password logins only, per user name with a much higher bound.
///
/// Only failures are counted and only failures are refused: the caller checks the credential first,
/// so a valid token is never refused because of someone else's failures (one NAT address shared by
/// a CI fleet, or an attacker naming a victim from elsewhere). The user-name bound is high so that
/// naming a user from many addresses slows guessing of that user's password without locking them out.
public struct FailedAuthLimiter: Sendable {
    /// Failures per client address in `window`.
    public var limit: Int
    /// Failed password logins per user name in `window`.
    public var userLimit: Int
    public var window: TimeInterval
    private var failures: [String: [Date]] = [:]
    /// When each address was last audited as limited.
    private var refusals: [String: Date] = [:]

    public init(limit: Int = 10, userLimit: Int = 100, window: TimeInterval = 60) {
        self.limit = limit
        self.userLimit = userLimit
        self.window = window
    }

    /// Seconds until a failed attempt from `address` (naming `user`, for a password login) stops being
    /// refused; nil when it may be answered now.
    public mutating func retryAfter(address: String, user: String? = nil, now: Date) -> Int? {
        var wait: TimeInterval = 0
        for (key, bound) in keys(address: address, user: user) {
            let recent = prune(key, now: now)
            if recent.count >= bound, let oldest = recent.first {
                wait = Swift.max(wait, oldest.addingTimeInterval(window).timeIntervalSince(now))
            }
        }
        return wait > 0 ? Int(wait.rounded(.up)) : nil
    }

    public mutating func recordFailure(address: String, user: String? = nil, now: Date) {
        for (key, _) in keys(address: address, user: user) {
            var recent = prune(key, now: now)
            recent.append(now)
            failures[key] = recent
        }
        if failures.count > 100_000 { failures = failures.filter { !$0.value.isEmpty } }
    }

    /// Whether a refusal of `address` is the first of its window (the one worth an audit entry).
    public mutating func firstRefusal(address: String, now: Date) -> Bool {
        if let last = refusals[address], now.timeIntervalSince(last) < window { return false }
        if refusals.count > 100_000 { refusals = refusals.filter { now.timeIntervalSince($0.value) < window } }
        refusals[address] = now
        return true
    }

    private func keys(address: String, user: String?) -> [(String, Int)] {
        var keys = [("addr:" + address, limit)]
        if let user { keys.append(("user:" + user, userLimit)) }
        return keys
    }

    private mutating func prune(_ key: String, now: Date) -> [Date] {
        let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
        failures[key] = recent.isEmpty ? nil : recent
        return recent
    }
}
