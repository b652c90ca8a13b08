import Foundation
import PostgresNIO
import WheelhouseCore

extension PostgresMetadataStore {
    /// How to reach PostgreSQL and how long to wait for it; built once at the edge (`configuration(url:)`).
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The pool's own configuration: endpoint, credentials, TLS, pool size, connect timeout.
        public var client: PostgresClient.Configuration
        /// How long a request waits for a pooled connection before it fails with 503. While PostgreSQL
        /// is down the pool keeps retrying in the background (and queues requests for up to a minute
        /// before its own circuit breaker opens): this bound makes requests fail fast instead.
        public var acquireTimeout: Duration

        public init(client: PostgresClient.Configuration, acquireTimeout: Duration = .seconds(3)) {
            self.client = client
            self.acquireTimeout = acquireTimeout
        }

        /// For logs: never the password.
        public var description: String {
            let endpoint = client.unixSocketPath ?? "\(client.host ?? "?"):\(client.port ?? 5432)"
            let secret = client.password == nil ? "" : ":***"
            return "postgres://\(client.username)\(secret)@\(endpoint)/\(client.database ?? client.username)"
                + " (pool \(client.options.maximumConnections), connect timeout \(client.options.connectTimeout), acquire timeout \(acquireTimeout))"
        }
    }

    /// Builds the configuration from a libpq-style URL.
    ///
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable`, where `postgresql://` works too
    /// and user, password, port (5432) and database (the user's name) are optional. Parameters:
    /// - `sslmode`: `disable`, `allow`/`prefer` (the default; no certificate check, as libpq),
    ///   `require` (encrypted, unverified), `verify-ca`, `verify-full`; `sslrootcert=PATH` for the last two.
    /// - `host=/run/postgresql`: a unix socket directory instead of TCP (`postgres://user@/db?host=/dir`).
    /// - `connect_timeout` (seconds, default 3), `application_name`.
    /// - Wheelhouse's own: `pool_size` (connections per node, default 20), `acquire_timeout` (seconds, default 3).
    ///
    /// Errors never repeat the URL, which may hold the password.
    public static func configuration(url: String) throws -> Configuration {
        func invalid(_ why: String) -> WheelhouseError {
            WheelhouseError(.internalError, "invalid database URL: \(why)")
        }
        guard let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql"
        else {
            throw invalid("expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        var parameters: [String: String] = [:]
        let known = ["sslmode", "sslrootcert", "host", "connect_timeout", "application_name", "pool_size", "acquire_timeout"]
        for item in components.queryItems ?? [] {
            guard known.contains(item.name) else {
                throw invalid("unknown parameter '\(item.name)' (known: \(known.joined(separator: ", ")))")
            }
            parameters[item.name] = item.value ?? ""
        }
        func seconds(_ name: String, default value: Double) throws -> Duration {
            guard let text = parameters[name] else { return .milliseconds(Int64(value * 1000)) }
            guard let parsed = Double(text), parsed > 0, parsed < 86400 else { throw invalid("\(name) must be a number of seconds") }
            return .milliseconds(Int64(parsed * 1000))
        }

        let username = components.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        let password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else { throw invalid("the path must be just the database name") }
        let database = path.isEmpty ? nil : path
        let port = components.port ?? 5432
        let host = parameters["host"] ?? components.host ?? ""

        var client: PostgresClient.Configuration
        if host.hasPrefix("/") {
            client = .init(unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            guard !host.isEmpty else { throw invalid("missing host") }
            client = .init(host: host, port: port, username: username, password: password, database: database, tls: .disable)
            client.tls = try tls(mode: parameters["sslmode"] ?? "prefer", rootCertificate: parameters["sslrootcert"], invalid: invalid)
        }
        client.options.connectTimeout = try seconds("connect_timeout", default: 3)
        if let name = parameters["application_name"] {
            client.options.additionalStartupParameters.append(("application_name", name))
        }
        if let size = parameters["pool_size"] {
            guard let n = Int(size), (1...1000).contains(n) else { throw invalid("pool_size must be 1 to 1000") }
            client.options.maximumConnections = n
        }
        // A dead idle connection is noticed by the keep-alive, not by the next request.
        client.options.keepAliveBehavior = .init(frequency: .seconds(15))
        return Configuration(client: client, acquireTimeout: try seconds("acquire_timeout", default: 3))
    }

    /// libpq's sslmode values mapped onto NIOSSL: only the verify modes check the certificate.
    static func tls(
        mode: String, rootCertificate: String?, invalid: (String) -> WheelhouseError
    ) throws -> PostgresClient.Configuration.TLS {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        var verified = TLSConfiguration.makeClientConfiguration()
        if let rootCertificate { verified.trustRoots = .file(rootCertificate) }
        switch mode {
        case "disable": return .disable
        case "allow", "prefer": return .prefer(unverified)
        case "require": return .require(unverified)
        case "verify-ca":
            verified.certificateVerification = .noHostnameVerification
            return .require(verified)
        case "verify-full": return .require(verified)
        default: throw invalid("sslmode must be disable, allow, prefer, require, verify-ca or verify-full")
        }
    }
}
