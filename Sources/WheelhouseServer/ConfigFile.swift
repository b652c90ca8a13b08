import Foundation
import WheelhouseCore
import Yams

/// `wheelhouse.yaml`: server settings and declared repositories.
///
/// ```yaml
/// server:
///   host: 127.0.0.1
///   port: 8080
///   data: ./wheelhouse-data
///   passwordLogin: true
///   headerTimeoutSeconds: 30
///   idleTimeoutSeconds: 75
///   maxConnectionsPerAddress: 256
/// repositories:
///   - name: pypi-local
///     type: local
///   - name: pypi-remote
///     type: remote
///     url: https://mirror.example.com/simple/
///     metadataTTL: 600
///   - name: pypi
///     type: virtual
///     members: [pypi-local, pypi-remote]
///     deployTo: pypi-local
/// ```
public struct ConfigFile: Decodable, Sendable {
    public struct Server: Decodable, Sendable {
        public var host: String?
        public var port: Int?
        public var data: String?
        public var passwordLogin: Bool?
        public var nodeId: String?
        public var logLevel: String?
        public var maxUploadBytes: Int64?
        /// Cluster: `postgres://…` (credentials better in `WHEELHOUSE_DATABASE_URL`).
        public var database: String?
        /// Cluster: `s3://bucket?endpoint=…&region=…&path-style=true` (keys in the environment).
        public var blobs: String?
        public var drainSeconds: Double?
        /// MiB of memory for small blobs kept per node; 0 turns the cache off.
        public var blobCacheMiB: Int?
        /// Seconds a client has to send a request head (slowloris guard).
        public var headerTimeoutSeconds: Double?
        /// Seconds an idle kept-alive connection (or a stalled request body) is kept open.
        public var idleTimeoutSeconds: Double?
        /// Concurrent connections one client address may hold; 0: no limit.
        public var maxConnectionsPerAddress: Int?
    }

    public struct DeclaredRepository: Decodable, Sendable {
        public var name: String
        public var type: String
        public var anonymousRead: Bool?
        public var url: String?
        public var metadataTTL: Int?
        public var negativeTTL: Int?
        public var offline: Bool?
        public var username: String?
        /// The name of an environment variable holding the upstream password (keeps secrets out of the file).
        public var passwordEnv: String?
        public var members: [String]?
        public var deployTo: String?
        public var allowRemote: [String]?
    }

    public var server: Server?
    public var repositories: [DeclaredRepository]?

    public static func load(path: String) throws -> ConfigFile {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw WheelhouseError.badRequest("cannot read configuration file \(path): \(error.localizedDescription)")
        }
        do {
            return try YAMLDecoder().decode(ConfigFile.self, from: text)
        } catch {
            throw WheelhouseError.badRequest("invalid configuration file \(path): \(error)")
        }
    }
}
