import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import ServiceLifecycle
import WheelhouseCore

/// One `LISTEN` connection per node, shared by everything that waits for other nodes:
/// fetch-lease announcements (`PostgresFetchCoordinator`) and cache invalidations (`ChangeFeed`).
///
/// The pool has no listen of its own, so this service holds one connection and reconnects after
/// errors (PostgreSQL restarts). Every message is JSON on the channel `wheelhouse`.
public final class PostgresNotifications: Service, ChangeFeed, @unchecked Sendable {
    static let channel = "wheelhouse"

    struct Message: Codable {
        /// "fetch" or "invalidate"
        var type: String
        var key: String?
        var outcome: String?
        var message: String?
        var node: String
    }

    let client: PostgresClient
    let nodeID: String
    let logger: Logger
    private let waiters = NIOLockedValueBox([String: [UInt64: CheckedContinuation<FetchOutcome?, Never>]]())
    private let nextID = NIOLockedValueBox<UInt64>(0)
    private let invalidationHandlers = NIOLockedValueBox([@Sendable () async -> Void]())
    /// Whether the LISTEN connection is up (readiness and tests).
    public let listening = NIOLockedValueBox(false)

    public init(client: PostgresClient, nodeID: String, logger: Logger) {
        self.client = client
        self.nodeID = nodeID
        self.logger = logger
    }

    /// Called (on this node) when another node announces a write.
    public func onInvalidation(_ handler: @escaping @Sendable () async -> Void) {
        invalidationHandlers.withLockedValue { $0.append(handler) }
    }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown {
                    try await self.client.withConnection { connection in
                        try await connection.listen(on: Self.channel) { notifications in
                            self.listening.withLockedValue { $0 = true }
                            // Reconnected: anything may have changed while we were away.
                            await self.invalidateLocally()
                            for try await notification in notifications {
                                await self.dispatch(notification.payload)
                            }
                        }
                    }
                }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                logger.warning("notification listener lost its connection; reconnecting", metadata: ["wh.error": "\(error)"])
            }
            listening.withLockedValue { $0 = false }
            try? await Task.sleep(for: .milliseconds(500))
        }
        listening.withLockedValue { $0 = false }
    }

    func dispatch(_ payload: String) async {
        guard let message = try? JSONDecoder().decode(Message.self, from: Data(payload.utf8)) else { return }
        switch message.type {
        case "fetch":
            guard let key = message.key else { return }
            let outcome: FetchOutcome = message.outcome == "completed" ? .completed : .failed(message.message ?? "fetch failed on \(message.node)")
            resumeAll(key, with: outcome)
        case "invalidate":
            if message.node != nodeID { await invalidateLocally() }
        default:
            return
        }
    }

    func invalidateLocally() async {
        for handler in invalidationHandlers.withLockedValue({ $0 }) { await handler() }
    }

    // MARK: sending

    func send(_ message: Message) async throws {
        let payload = String(decoding: try JSONEncoder().encode(message), as: UTF8.self)
        try await client.query("SELECT pg_notify(\(Self.channel), \(payload))")
    }

    public func publishInvalidation(reason: String) async {
        do {
            try await send(Message(type: "invalidate", message: String(reason.prefix(200)), node: nodeID))
        } catch {
            logger.warning("could not publish a cache invalidation", metadata: ["wh.error": "\(error)"])
        }
    }

    func announce(_ key: LeaseKey, outcome: FetchOutcome) async throws {
        var message = Message(type: "fetch", key: key.raw, node: nodeID)
        switch outcome {
        case .completed: message.outcome = "completed"
        case .failed(let reason):
            message.outcome = "failed"
            message.message = String(reason.prefix(1000))
        }
        try await send(message)
    }

    // MARK: waiting

    /// Registers a waiter for `key`, then asks `stillHeld` (after registering, so an announcement
    /// cannot slip between the check and the wait); waits until the announcement or `timeout`.
    func wait(for key: String, timeout: Duration, stillHeld: @escaping @Sendable () async throws -> Bool) async throws -> FetchOutcome? {
        let id = nextID.withLockedValue { v -> UInt64 in
            v += 1
            return v
        }
        return try await withThrowingTaskGroup(of: FetchOutcome?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    self.waiters.withLockedValue { $0[key, default: [:]][id] = continuation }
                }
            }
            group.addTask {
                if try await !stillHeld() { return nil }
                try await Task.sleep(for: timeout)
                return nil
            }
            var result: FetchOutcome? = nil
            if let first = try await group.next() { result = first }
            // Frees the waiting continuation if the timer (or the check) ended first.
            self.resume(key, id, with: nil)
            group.cancelAll()
            return result
        }
    }

    private func resume(_ key: String, _ id: UInt64, with outcome: FetchOutcome?) {
        let continuation = waiters.withLockedValue { w -> CheckedContinuation<FetchOutcome?, Never>? in
            let c = w[key]?.removeValue(forKey: id)
            if w[key]?.isEmpty == true { w[key] = nil }
            return c
        }
        continuation?.resume(returning: outcome)
    }

    private func resumeAll(_ key: String, with outcome: FetchOutcome) {
        let all = waiters.withLockedValue { $0.removeValue(forKey: key) } ?? [:]
        for (_, continuation) in all { continuation.resume(returning: outcome) }
    }
}
