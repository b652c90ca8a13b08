import Foundation

/// Brute-force protection: failed authentications counted per client address and per user name in
/// a sliding window; past the limit, further attempts are refused (429) until the window moves on.
public struct FailedAuthLimiter: Sendable {
    public var limit: Int
    public var window: TimeInterval
    private var failures: [String: [Date]] = [:]

    public init(limit: Int = 10, window: TimeInterval = 60) {
        self.limit = limit
        self.window = window
    }

    /// Seconds until `keys` may try again, or nil when they may try now.
    public mutating func retryAfter(_ keys: [String], now: Date) -> Int? {
        var wait: TimeInterval = 0
        for key in keys {
            let recent = prune(key, now: now)
            if recent.count >= limit, let oldest = recent.first {
                wait = Swift.max(wait, oldest.addingTimeInterval(window).timeIntervalSince(now))
            }
        }
        return wait > 0 ? Int(wait.rounded(.up)) : nil
    }

    public mutating func recordFailure(_ keys: [String], now: Date) {
        for key in keys {
            var recent = prune(key, now: now)
            recent.append(now)
            failures[key] = recent
        }
        if failures.count > 100_000 { failures = failures.filter { !$0.value.isEmpty } }
    }

    private mutating func prune(_ key: String, now: Date) -> [Date] {
        let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
        failures[key] = recent.isEmpty ? nil : recent
        return recent
    }
}
