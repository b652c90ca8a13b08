import ArgumentParser
import Foundation
import Logging
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
        if let level = env["WHEELHOUSE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) { configuration.logLevel = level }
        if let config {
            throw ValidationError("--config \(config): configuration files are not supported yet")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        try await WheelhouseServer.run(configuration)
    }
}
