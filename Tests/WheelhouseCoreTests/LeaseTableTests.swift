import Foundation
import Testing
@testable import WheelhouseCore

@Suite struct LeaseTableTests {
    let key = LeaseKey.file(repository: "remote", filename: "a-1.0-py3-none-any.whl")
    let t0 = Date(timeIntervalSince1970: 1_000)

    func granted(_ d: LeaseDecision) -> Lease? {
        if case .granted(let l) = d { return l }
        return nil
    }

    @Test func firstComerGetsTheLeaseOthersWait() {
        var table = LeaseTable()
        let a = granted(table.acquire(key, node: "a", now: t0, ttl: 30))
        #expect(a?.token == 1)
        let b = table.acquire(key, node: "b", now: t0.addingTimeInterval(1), ttl: 30)
        #expect(b == .held(by: "a", until: t0.addingTimeInterval(30)))
    }

    @Test func expiredLeaseIsTakenOverWithAHigherToken() throws {
        var table = LeaseTable()
        let aDecision = table.acquire(key, node: "a", now: t0, ttl: 30)
        let a = try #require(granted(aDecision))
        let bDecision = table.acquire(key, node: "b", now: t0.addingTimeInterval(31), ttl: 30)
        let b = try #require(granted(bDecision))
        #expect(b.token == 2)
        // Fencing: the old holder can neither renew, nor pass the commit check, nor release b's lease.
        let renewed = table.renew(a, now: t0.addingTimeInterval(32), ttl: 30)
        #expect(renewed == nil)
        #expect(!table.isCurrent(a, now: t0.addingTimeInterval(32)))
        let released = table.release(a)
        #expect(!released)
        #expect(table.isCurrent(b, now: t0.addingTimeInterval(32)))
    }

    @Test func renewalKeepsTheLeaseAlive() throws {
        var table = LeaseTable()
        let aDecision = table.acquire(key, node: "a", now: t0, ttl: 30)
        var a = try #require(granted(aDecision))
        for step in 1...5 {
            let renewed = table.renew(a, now: t0.addingTimeInterval(Double(step) * 20), ttl: 30)
            a = try #require(renewed)
        }
        let b = table.acquire(key, node: "b", now: t0.addingTimeInterval(110), ttl: 30)
        #expect(b == .held(by: "a", until: t0.addingTimeInterval(130)))
    }

    @Test func renewAfterExpiryFailsEvenWithoutTakeover() throws {
        var table = LeaseTable()
        let aDecision = table.acquire(key, node: "a", now: t0, ttl: 30)
        let a = try #require(granted(aDecision))
        let renewed = table.renew(a, now: t0.addingTimeInterval(30), ttl: 30)
        #expect(renewed == nil)
    }

    @Test func releaseFreesTheKeyAndTokensKeepGrowing() throws {
        var table = LeaseTable()
        let aDecision = table.acquire(key, node: "a", now: t0, ttl: 30)
        let a = try #require(granted(aDecision))
        let first = table.release(a)
        let second = table.release(a)
        #expect(first)
        #expect(!second)
        let bDecision = table.acquire(key, node: "b", now: t0, ttl: 30)
        let b = try #require(granted(bDecision))
        #expect(b.token == 2)
    }

    @Test func keysAreIndependent() {
        var table = LeaseTable()
        let other = LeaseKey.page(repository: "remote", project: "a")
        let a = table.acquire(key, node: "a", now: t0, ttl: 30)
        let b = table.acquire(other, node: "b", now: t0, ttl: 30)
        #expect(granted(a) != nil)
        #expect(granted(b) != nil)
    }

    @Test func sameNodeWaitsLikeAnyOther() throws {
        var table = LeaseTable()
        let first = table.acquire(key, node: "a", now: t0, ttl: 30)
        let a1 = try #require(granted(first))
        let second = table.acquire(key, node: "a", now: t0.addingTimeInterval(1), ttl: 30)
        #expect(second == .held(by: "a", until: a1.expiresAt))
    }

    @Test func expireDropsOnlyExpired() {
        var table = LeaseTable()
        _ = table.acquire(key, node: "a", now: t0, ttl: 10)
        _ = table.acquire(.page(repository: "r", project: "p"), node: "a", now: t0, ttl: 100)
        table.expire(now: t0.addingTimeInterval(50))
        #expect(table.leases.count == 1)
    }
}

@Suite struct InProcessCoordinatorTests {
    @Test func waitersReceiveTheOutcome() async throws {
        let coordinator = InProcessFetchCoordinator()
        let key = LeaseKey.file(repository: "r", filename: "f")
        guard case .granted(let lease) = await coordinator.acquire(key, ttl: .seconds(30)) else {
            Issue.record("not granted")
            return
        }
        async let w1 = coordinator.waitForOutcome(key, timeout: .seconds(10))
        async let w2 = coordinator.waitForOutcome(key, timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(50))
        await coordinator.release(lease, outcome: .failed("hash mismatch"))
        #expect(await w1 == .failed("hash mismatch"))
        #expect(await w2 == .failed("hash mismatch"))
    }

    @Test func waitTimesOut() async {
        let coordinator = InProcessFetchCoordinator()
        let key = LeaseKey.file(repository: "r", filename: "f")
        _ = await coordinator.acquire(key, ttl: .seconds(30))
        let outcome = await coordinator.waitForOutcome(key, timeout: .milliseconds(20))
        #expect(outcome == nil)
    }

    @Test func waitOnAFreeKeyReturnsAtOnce() async {
        let coordinator = InProcessFetchCoordinator()
        let start = ContinuousClock.now
        let outcome = await coordinator.waitForOutcome(.file(repository: "r", filename: "f"), timeout: .seconds(30))
        #expect(outcome == nil)
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}
