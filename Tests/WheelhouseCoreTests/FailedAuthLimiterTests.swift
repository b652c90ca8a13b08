import Foundation
import Testing
import WheelhouseCore

@Suite struct FailedAuthLimiterRefusalTests {
    @Test func oneRefusalPerAddressAndWindowIsAudited() {
        var limiter = FailedAuthLimiter(limit: 1, window: 60)
        let now = Date()
        let audited = [("a", 0.0), ("a", 30), ("b", 30), ("a", 61)].map { limiter.firstRefusal(address: $0.0, now: now.addingTimeInterval($0.1)) }
        #expect(audited == [true, false, true, true])
    }
}
