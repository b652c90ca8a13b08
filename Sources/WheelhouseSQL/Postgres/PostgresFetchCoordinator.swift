import Foundation
import Logging
import PostgresNIO
import WheelhouseCore

/// The cluster's coordinator: `LeaseTable`'s rules as SQL on a `fetch_leases` table, with the
/// database's clock for every expiry (nodes' clocks may disagree) and `NOTIFY` for announcements.
///
/// - acquire: insert, or take over a row whose lease expired (`ON CONFLICT … WHERE expires_at <= now()`);
///   the fencing token comes from a sequence, so it grows on every change of hands.
/// - renew/isCurrent: only while the row still carries our token and has not expired.
/// - release: delete our row (a stale holder's delete matches nothing), then announce the outcome.
public struct PostgresFetchCoordinator: FetchCoordinator {
    public let nodeID: String
    let store: PostgresMetadataStore
    let notifications: PostgresNotifications

    /// Shares the store's pool and its fast-failing connection lease (503 within a fraction of a
    /// second while PostgreSQL is down, instead of the pool's minute-long queue).
    public init(store: PostgresMetadataStore, notifications: PostgresNotifications, nodeID: String) {
        self.store = store
        self.notifications = notifications
        self.nodeID = nodeID
    }

    /// The coordinator's own tables, created idempotently at start.
    static let schema = [
        "CREATE SEQUENCE IF NOT EXISTS fetch_lease_tokens",
        """
        CREATE TABLE IF NOT EXISTS fetch_leases (
          key TEXT PRIMARY KEY,
          holder TEXT NOT NULL,
          token BIGINT NOT NULL,
          expires_at TIMESTAMPTZ NOT NULL
        )
        """,
    ]

    public func prepare() async throws {
        try await PostgresFailureMapping.mapped {
            // Serialized with other nodes starting at the same moment.
            try await store.client.withTransaction(logger: Self.logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(7342001)", logger: Self.logger)
                for statement in Self.schema {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Self.logger)
                }
            }
        }
    }

    static let logger = Logger(label: "wheelhouse.leases")

    public func acquire(_ key: LeaseKey, ttl: Duration) async throws -> LeaseDecision {
        let seconds = ttl.timeInterval
        let nodeID = self.nodeID
        return try await store.withConnection { client in
            let rows = try await client.query("""
                WITH prev AS (SELECT holder FROM fetch_leases WHERE key = \(key.raw))
                INSERT INTO fetch_leases (key, holder, token, expires_at)
                VALUES (\(key.raw), \(nodeID), nextval('fetch_lease_tokens'), now() + make_interval(secs => \(seconds)))
                ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, token = excluded.token, expires_at = excluded.expires_at
                  WHERE fetch_leases.expires_at <= now()
                RETURNING token, extract(epoch FROM expires_at)::float8, (SELECT holder FROM prev)
                """, logger: Self.logger)
            for try await (token, expires, previous) in rows.decode((Int64, Double, String?).self) {
                return .granted(Lease(
                    key: key, holder: nodeID, token: token, expiresAt: Date(timeIntervalSince1970: expires), takenOverFrom: previous))
            }
            let held = try await client.query(
                "SELECT holder, extract(epoch FROM expires_at)::float8 FROM fetch_leases WHERE key = \(key.raw)", logger: Self.logger)
            for try await (holder, expires) in held.decode((String, Double).self) {
                return .held(by: holder, until: Date(timeIntervalSince1970: expires))
            }
            // Released between our two statements: it is free now; the caller asks again.
            return .held(by: "nobody", until: Date())
        }
    }

    public func renew(_ lease: Lease, ttl: Duration) async throws -> Lease? {
        try await store.withConnection { client in
            let rows = try await client.query("""
                UPDATE fetch_leases SET expires_at = now() + make_interval(secs => \(ttl.timeInterval))
                WHERE key = \(lease.key.raw) AND token = \(lease.token) AND expires_at > now()
                RETURNING extract(epoch FROM expires_at)::float8
                """, logger: Self.logger)
            for try await expires in rows.decode(Double.self) {
                var renewed = lease
                renewed.expiresAt = Date(timeIntervalSince1970: expires)
                return renewed
            }
            return nil
        }
    }

    public func isCurrent(_ lease: Lease) async throws -> Bool {
        try await store.withConnection { client in
            let rows = try await client.query(
                "SELECT 1 FROM fetch_leases WHERE key = \(lease.key.raw) AND token = \(lease.token) AND expires_at > now()",
                logger: Self.logger)
            for try await _ in rows.decode(Int32.self) { return true }
            return false
        }
    }

    public func release(_ lease: Lease, outcome: FetchOutcome) async throws {
        try await store.withConnection { client in
            try await client.query("DELETE FROM fetch_leases WHERE key = \(lease.key.raw) AND token = \(lease.token)", logger: Self.logger)
        }
        try await PostgresFailureMapping.mapped { try await notifications.announce(lease.key, outcome: outcome) }
    }

    public func waitForOutcome(_ key: LeaseKey, timeout: Duration) async throws -> FetchOutcome? {
        let store = self.store
        return try await notifications.wait(for: key.raw, timeout: timeout) {
            try await store.withConnection { client in
                let rows = try await client.query("SELECT 1 FROM fetch_leases WHERE key = \(key.raw) AND expires_at > now()", logger: Self.logger)
                for try await _ in rows.decode(Int32.self) { return true }
                return false
            }
        }
    }
}

/// Connection-level PostgreSQL failures become 503 at once, so requests fail fast while the
/// database is away instead of hanging.
enum PostgresFailureMapping {
    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as WheelhouseError {
            throw error
        } catch let error as PSQLError {
            if error.code == .server {
                throw WheelhouseError(.internalError, "database error: \(error.serverInfo?[.message] ?? "unknown")")
            }
            throw WheelhouseError(.unavailable, "database unavailable")
        } catch {
            throw WheelhouseError(.unavailable, "database unavailable")
        }
    }
}
