import Foundation
import PostgresNIO
import Synchronization
import WheelhouseCore

extension PostgresMetadataStore {
    /// Leases a connection for `body`, waiting at most `acquireTimeout` for it, and translates errors:
    /// an unreachable database becomes 503 at once instead of a request that hangs.
    ///
    /// The pool queues lease requests while it cannot connect (for up to a minute before its circuit
    /// breaker opens), so the wait for the lease is raced against a timer; once the connection is
    /// leased, the timer no longer matters and `body` runs to its end. After one wait timed out, the
    /// following requests wait only briefly until a lease succeeds again (the pool keeps reconnecting
    /// in the background), so an outage costs each request a fraction of a second, not the full timeout.
    /// Other PostgreSQL users of the node (fetch leases, the change feed) can use it for the same behaviour.
    public func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        // A connection that PostgreSQL drops while it shuts down can leave a query waiting for an
        // answer that never comes (seen in the cluster tests); no request may hang on it.
        try await Bounded.run(limit: .seconds(8), onTimeout: Self.unavailable("no answer from PostgreSQL within 8 s")) {
            try await self.leasedConnection(body)
        }
    }

    func leasedConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let leased = LeaseFlag()
        let client = self.client
        let health = self.health
        let timeout = health.isFailing ? min(acquireTimeout, .milliseconds(250)) : acquireTimeout
        return try await withThrowingTaskGroup(of: LeaseStep<Result>.self) { group in
            group.addTask {
                do {
                    return .finished(.success(try await client.withConnection { connection in
                        leased.set()
                        health.recovered()
                        return try await body(connection)
                    }))
                } catch {
                    return .finished(.failure(error))
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .deadline
            }
            var timedOut = false
            while let step = try await group.next() {
                switch step {
                case .deadline:
                    if !leased.isSet {
                        timedOut = true
                        health.failed()
                        group.cancelAll()  // withdraws the lease request
                    }
                case .finished(.success(let value)):
                    group.cancelAll()
                    return value
                case .finished(.failure(let error)):
                    group.cancelAll()
                    if timedOut {
                        throw Self.unavailable("PostgreSQL is not reachable (no connection within \(timeout))")
                    }
                    throw Self.translate(error, leased: leased.isSet)
                }
            }
            throw Self.unavailable("the connection lease ended without a result")
        }
    }

    /// One transaction on one leased connection: committed when `body` returns, rolled back when it throws.
    public func withTransaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let logger = self.logger
        return try await withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }

    static func unavailable(_ why: String) -> WheelhouseError {
        // Clients (pip, uv, twine) retry on 503; Retry-After tells proxies and scripts when.
        WheelhouseError(.unavailable, "metadata store unavailable: \(why)", headers: [("Retry-After", "1")])
    }

    /// Maps PostgresNIO's errors onto the ones Wheelhouse answers with. `leased` is false when the
    /// error came before a connection was handed out, which can only mean the pool cannot connect.
    static func translate(_ error: any Error, leased: Bool) -> any Error {
        switch error {
        case let error as WheelhouseError:
            return error
        case let error as PostgresTransactionError:
            if let inner = error.closureError ?? error.beginError ?? error.commitError {
                return translate(inner, leased: true)
            }
            return unavailable("the transaction failed")
        case let error as PSQLError:
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                let message = error.serverInfo?[.message] ?? "unknown"
                switch state {
                case "23505":  // unique_violation: the callers that can race check for it first
                    return WheelhouseError.conflict("already exists (\(error.serverInfo?[.constraintName] ?? message))")
                case "40001", "40P01", "53300", "55P03", "57014":
                    // serialization failure, deadlock, too many connections, lock timeout, statement timeout
                    return unavailable("\(message) (\(state))")
                default:
                    if state.hasPrefix("08") || state.hasPrefix("57P") {  // connection exceptions, shutdown
                        return unavailable("\(message) (\(state))")
                    }
                    return WheelhouseError(.internalError, "database error \(state): \(message)")
                }
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
                .queryCancelled, .sslUnsupported, .failedToAddSSLHandler:
                return unavailable("lost the connection to PostgreSQL")
            default:
                return leased ? WheelhouseError(.internalError, "database error: \(error.code)") : unavailable("cannot connect to PostgreSQL")
            }
        default:
            // Before a lease, the pool's own errors (its circuit breaker, shutdown) all mean "cannot connect".
            return leased ? error : unavailable("cannot connect to PostgreSQL")
        }
    }

    /// Sorted keys, as the SQLite store writes them.
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// Waits for `operation` at most `limit`. Unlike a task group, which must wait for its children, this
/// gives up on an operation that ignores cancellation: the answer comes in time, the stuck operation is
/// cancelled and left to end on its own.
enum Bounded {
    static func run<T: Sendable>(
        limit: Duration, onTimeout: @autoclosure @escaping @Sendable () -> any Error, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let settled = Mutex(false)
        let claim: @Sendable () -> Bool = { settled.withLock { done in defer { done = true }; return !done } }
        return try await withCheckedThrowingContinuation { continuation in
            let work = Mutex<Task<Void, Never>?>(nil)
            let timer = Task {
                try? await Task.sleep(for: limit)
                if !Task.isCancelled, claim() {
                    work.withLock { $0?.cancel() }
                    continuation.resume(throwing: onTimeout())
                }
            }
            work.withLock {
                $0 = Task {
                    defer { timer.cancel() }
                    do {
                        let value = try await operation()
                        if claim() { continuation.resume(returning: value) }
                    } catch {
                        if claim() { continuation.resume(throwing: error) }
                    }
                }
            }
        }
    }
}

enum LeaseStep<Result: Sendable>: Sendable {
    case finished(Swift.Result<Result, any Error>)
    case deadline
}

/// Whether the last wait for a connection timed out, with no lease since.
final class ConnectionHealth: Sendable {
    private let failing = Mutex(false)
    var isFailing: Bool { failing.withLock { $0 } }
    func failed() { failing.withLock { $0 = true } }
    func recovered() { failing.withLock { if $0 { $0 = false } } }
}

/// Set once a connection has been handed out.
final class LeaseFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// A row whose columns are read by name.
struct Columns {
    let row: PostgresRandomAccessRow

    func get<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try row[name].decode(T.self)
    }

    func bytes(_ name: String) throws -> [UInt8] {
        Array(try row[name].decode(ByteBuffer.self).readableBytesView)
    }

    func date(_ name: String) throws -> Date {
        Date(timeIntervalSince1970: try get(name, as: Double.self))
    }

    func optionalDate(_ name: String) throws -> Date? {
        try get(name, as: Double?.self).map(Date.init(timeIntervalSince1970:))
    }
}

extension PostgresConnection {
    /// Runs a query and collects its rows (all result sets here are small).
    func rows(_ query: PostgresQuery, _ logger: Logger) async throws -> [Columns] {
        try await self.query(query, logger: logger).collect().map { Columns(row: $0.makeRandomAccess()) }
    }

    /// Runs a statement and drains its result.
    func run(_ query: PostgresQuery, _ logger: Logger) async throws {
        _ = try await self.query(query, logger: logger).collect()
    }
}
