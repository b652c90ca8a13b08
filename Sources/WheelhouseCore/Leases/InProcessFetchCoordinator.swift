import Foundation

/// The embedded default's coordinator: the lease table in memory, announcements by continuation.
public actor InProcessFetchCoordinator: FetchCoordinator {
    public nonisolated let nodeID: String
    private var table = LeaseTable()
    private var waiters: [LeaseKey: [UInt64: CheckedContinuation<FetchOutcome?, Never>]] = [:]
    private var nextWaiter: UInt64 = 0
    private let now: @Sendable () -> Date

    public init(nodeID: String = "local", now: @escaping @Sendable () -> Date = { Date() }) {
        self.nodeID = nodeID
        self.now = now
    }

    public func acquire(_ key: LeaseKey, ttl: Duration) -> LeaseDecision {
        table.acquire(key, node: nodeID, now: now(), ttl: ttl.timeInterval)
    }

    public func renew(_ lease: Lease, ttl: Duration) -> Lease? {
        table.renew(lease, now: now(), ttl: ttl.timeInterval)
    }

    public func isCurrent(_ lease: Lease) -> Bool {
        table.isCurrent(lease, now: now())
    }

    public func release(_ lease: Lease, outcome: FetchOutcome) {
        table.release(lease)
        for (_, continuation) in waiters.removeValue(forKey: lease.key) ?? [:] {
            continuation.resume(returning: outcome)
        }
    }

    public func waitForOutcome(_ key: LeaseKey, timeout: Duration) async -> FetchOutcome? {
        // Released (or expired) before we got here: nothing to wait for, the caller re-reads the stores.
        guard let lease = table.leases[key], lease.expiresAt > now() else { return nil }
        let id = nextWaiter
        nextWaiter += 1
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.resume(key, id, with: nil)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiters[key, default: [:]][id] = continuation
            }
        } onCancel: {
            Task { await self.resume(key, id, with: nil) }
        }
    }

    private func resume(_ key: LeaseKey, _ id: UInt64, with outcome: FetchOutcome?) {
        guard let continuation = waiters[key]?.removeValue(forKey: id) else { return }
        if waiters[key]?.isEmpty == true { waiters[key] = nil }
        continuation.resume(returning: outcome)
    }
}

extension Duration {
    public var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
