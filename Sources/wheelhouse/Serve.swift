import ArgumentParser
import Foundation
import Logging
import NIOCore
import WheelhouseHTTP
import WheelhouseServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (embedded default: SQLite + filesystem blobs).")

    @Option(help: "Address to listen on.") var host: String?
    @Option(help: "Port to listen on.") var port: Int?
    @Option(help: "Data directory (database, blobs, admin token).") var data: String?
    @Option(help: "Configuration file.") var config: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        var configuration = ServerConfiguration()
        if let host = host ?? env["WHEELHOUSE_HOST"] { configuration.host = host }
        if let port = port ?? env["WHEELHOUSE_PORT"].flatMap(Int.init) { configuration.port = port }
        if let data = data ?? env["WHEELHOUSE_DATA"] { configuration.dataDirectory = data }
        if let token = env["WHEELHOUSE_ADMIN_TOKEN"], !token.isEmpty { configuration.adminToken = token }
        if let key = env["WHEELHOUSE_SECRET_KEY"], !key.isEmpty { configuration.secretKey = key }
        if let level = env["WHEELHOUSE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) { configuration.logLevel = level }
        if let config {
            // The file sets the server's defaults; flags and environment variables still win.
            let file = try ConfigFile.load(path: config)
            configuration.configFile = config
            configuration.declaredRepositories = file.repositories ?? []
            if let s = file.server {
                if host == nil, env["WHEELHOUSE_HOST"] == nil, let v = s.host { configuration.host = v }
                if port == nil, env["WHEELHOUSE_PORT"] == nil, let v = s.port { configuration.port = v }
                if data == nil, env["WHEELHOUSE_DATA"] == nil, let v = s.data { configuration.dataDirectory = v }
                if let v = s.passwordLogin { configuration.passwordLogin = v }
                if let v = s.nodeId { configuration.nodeID = v }
                if let v = s.maxUploadBytes { configuration.maxUploadBytes = v }
                if let v = s.database { configuration.databaseURL = v }
                if let v = s.blobs { configuration.blobURL = v }
                if let v = s.drainSeconds { configuration.drainDelay = .milliseconds(Int64(v * 1000)) }
                if let v = s.blobCacheMiB { configuration.blobCacheBytes = max(0, v) << 20 }
                if let v = s.headerTimeoutSeconds { configuration.connections.headerTimeout = try Self.timeAmount(v, "server.headerTimeoutSeconds") }
                if let v = s.idleTimeoutSeconds { configuration.connections.idleTimeout = try Self.timeAmount(v, "server.idleTimeoutSeconds") }
                if let v = s.maxConnectionsPerAddress { configuration.connections.maxConnectionsPerAddress = max(0, v) }
                if env["WHEELHOUSE_LOG_LEVEL"] == nil, let v = s.logLevel.flatMap(Logger.Level.init(rawValue:)) { configuration.logLevel = v }
            }
        }
        if let v = env["WHEELHOUSE_PASSWORD_LOGIN"] { configuration.passwordLogin = v != "false" && v != "0" }
        if let v = env["WHEELHOUSE_DATABASE_URL"], !v.isEmpty { configuration.databaseURL = v }
        if let v = env["WHEELHOUSE_BLOB_URL"], !v.isEmpty { configuration.blobURL = v }
        if let v = env["WHEELHOUSE_DRAIN_SECONDS"].flatMap(Double.init) { configuration.drainDelay = .milliseconds(Int64(v * 1000)) }
        if let v = env["WHEELHOUSE_NODE_ID"], !v.isEmpty { configuration.nodeID = v }
        if let v = env["WHEELHOUSE_BLOB_CACHE_MIB"].flatMap(Int.init) { configuration.blobCacheBytes = max(0, v) << 20 }
        if let v = env["WHEELHOUSE_HEADER_TIMEOUT_SECONDS"].flatMap(Double.init) {
            configuration.connections.headerTimeout = try Self.timeAmount(v, "WHEELHOUSE_HEADER_TIMEOUT_SECONDS")
        }
        if let v = env["WHEELHOUSE_IDLE_TIMEOUT_SECONDS"].flatMap(Double.init) {
            configuration.connections.idleTimeout = try Self.timeAmount(v, "WHEELHOUSE_IDLE_TIMEOUT_SECONDS")
        }
        if let v = env["WHEELHOUSE_MAX_CONNECTIONS_PER_ADDRESS"].flatMap(Int.init) {
            configuration.connections.maxConnectionsPerAddress = max(0, v)
        }
        let sink = LogSink.standardOutput
        configuration.logSink = sink
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, sink: sink)
            handler.logLevel = configuration.logLevel
            return handler
        }
        defer { sink.flush() }
        try await WheelhouseServer.run(configuration)
    }

    /// Seconds as a timeout: finite, from 0.1 s to a day (`inf`, `nan` or 1e300 from a file would trap).
    static func timeAmount(_ seconds: Double, _ setting: String) throws -> TimeAmount {
        guard seconds.isFinite, (0.1...86_400).contains(seconds) else {
            throw ValidationError("\(setting) must be between 0.1 and 86400 seconds (got \(seconds))")
        }
        return .milliseconds(Int64(seconds * 1000))
    }
}
