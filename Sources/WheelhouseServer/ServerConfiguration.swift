import Logging
import WheelhouseCore
import WheelhouseHTTP

/// How one node runs: built once at the edge from flags, environment and the config file, then passed down.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The embedded default's data directory: `wheelhouse.sqlite`, `blobs/`, `tmp/`, `admin-token`.
    public var dataDirectory: String
    /// The admin token to create on an empty store (`WHEELHOUSE_ADMIN_TOKEN`); random when nil.
    public var adminToken: String?
    /// The key that encrypts upstream passwords at rest (`WHEELHOUSE_SECRET_KEY`, base64 of 32 bytes);
    /// when nil the embedded default generates `<data>/secret-key` and a cluster stores no password.
    public var secretKey: String?
    public var logLevel: Logger.Level
    /// The output the log handler writes to; when set, request lines are written to it directly (`AccessLog`).
    public var logSink: LogSink?
    public var maxUploadBytes: Int64
    /// This node's identity in fetch leases.
    public var nodeID: String = "local"
    /// Whether people may authenticate with a password (Basic); tokens always work.
    public var passwordLogin: Bool = true
    /// Cluster mode: the shared PostgreSQL metadata store (`postgres://user:pass@host:port/db`).
    public var databaseURL: String?
    /// Cluster mode: the shared blob store (`s3://bucket?endpoint=...&region=...&path-style=true`).
    public var blobURL: String?
    /// How long readiness is false before the server stops accepting (cluster: longer than the
    /// load balancer's health-check interval).
    public var drainDelay: Duration = .zero
    /// Memory for small blobs (at most 64 KiB each) kept per node (`CachingBlobStore`); 0 turns it off.
    public var blobCacheBytes: Int = 16 << 20
    /// Header-read and idle timeouts, and the per-address connection limit.
    public var connections = ConnectionLimits()
    /// The configuration file, when given: its declared repositories are applied at start.
    public var configFile: String?
    public var declaredRepositories: [ConfigFile.DeclaredRepository] = []

    public init(
        host: String = "127.0.0.1", port: Int = 8080, dataDirectory: String = "./wheelhouse-data",
        adminToken: String? = nil, logLevel: Logger.Level = .info, maxUploadBytes: Int64 = 20 << 30
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.adminToken = adminToken
        self.logLevel = logLevel
        self.maxUploadBytes = maxUploadBytes
    }

    /// The shortest `WHEELHOUSE_ADMIN_TOKEN` accepted: it opens the whole server, and valid tokens are
    /// never refused by the failed-login limiter, so guessing it must be hopeless on its own.
    public static let minimumAdminTokenLength = 32

    /// Refuses a configured admin token that is too short (the start fails with this error).
    public func checkAdminToken() throws {
        if let token = adminToken, token.count < Self.minimumAdminTokenLength {
            throw WheelhouseError.badRequest(
                "WHEELHOUSE_ADMIN_TOKEN must be at least \(Self.minimumAdminTokenLength) characters (it has \(token.count)); "
                    + "use a random one, e.g. `openssl rand -base64 32`")
        }
    }
}
