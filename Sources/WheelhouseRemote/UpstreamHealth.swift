import Foundation
import NIOConcurrencyHelpers
import WheelhouseCore

/// A small circuit breaker per remote repository: after an upstream failure, page refreshes fail
/// fast for a few seconds instead of each waiting for a connect timeout, so stale pages are served
/// at once while the upstream is down.
final class UpstreamHealth: Sendable {
    private let state = NIOLockedValueBox([String: (until: Date, reason: String)]())
    let backoff: TimeInterval

    init(backoff: TimeInterval = 10) {
        self.backoff = backoff
    }

    func check(_ repository: String, now: Date) throws {
        guard let down = state.withLockedValue({ $0[repository] }), down.until > now else { return }
        throw WheelhouseError(.badGateway, "upstream unavailable (\(down.reason)); retrying after \(Int(down.until.timeIntervalSince(now).rounded(.up))) s")
    }

    func failed(_ repository: String, _ error: WheelhouseError, now: Date) {
        // Only an unreachable or timing-out upstream is marked down: those are the failures that make
        // each request wait. A fast 5xx answer is simply retried by the next request.
        guard error.code == .upstreamUnreachable || error.code == .gatewayTimeout else { return }
        state.withLockedValue { $0[repository] = (now.addingTimeInterval(backoff), error.message) }
    }

    func succeeded(_ repository: String) {
        state.withLockedValue { _ = $0.removeValue(forKey: repository) }
    }
}
