import Foundation
import Logging
import Testing
import WheelhouseCore
import WheelhouseServer
import WheelhouseTestSupport

/// A configured admin token opens the whole server and valid tokens are never rate-limited, so a
/// short one is refused at start.
@Suite struct AdminTokenTests {
    @Test func aShortConfiguredAdminTokenFailsTheStart() async throws {
        let directory = try WheelBuilder.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let short = String(repeating: "x", count: 31)
        await #expect {
            _ = try await WheelhouseServer.embeddedServices(ServerConfiguration(dataDirectory: directory, adminToken: short), logger: logger)
        } throws: { error in
            "\(error)".contains("WHEELHOUSE_ADMIN_TOKEN") && "\(error)".contains("32")
        }
        try FileManager.default.createDirectory(atPath: directory + "/ok", withIntermediateDirectories: true)
        let long = String(repeating: "x", count: 32)
        _ = try await WheelhouseServer.embeddedServices(ServerConfiguration(dataDirectory: directory + "/ok", adminToken: long), logger: logger)
    }
}
