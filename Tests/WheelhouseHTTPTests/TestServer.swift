import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import WheelhouseCore
import WheelhouseHTTP
import WheelhouseServer
import WheelhouseTestSupport

/// An embedded-default application in a temporary data directory, for in-process router tests.
struct TestServer {
    static let token = "whk_test-admin-token-0123456789abcdef"
    let services: WheelhouseServices
    let directory: String

    init(upstreams: (@Sendable (Repository) throws -> any Upstream)? = nil) async throws {
        directory = try WheelBuilder.temporaryDirectory()
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        services = try await WheelhouseServer.embeddedServices(
            ServerConfiguration(dataDirectory: directory, adminToken: Self.token), logger: logger, upstreams: upstreams)
    }

    func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = WheelhouseServer.application(services: services, host: "127.0.0.1", port: 0, logger: services.logger)
        try await app.test(.router) { client in try await body(client) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension HTTPFields {
    static var admin: HTTPFields { [.authorization: "Bearer \(TestServer.token)"] }
}

extension TestClientProtocol {
    func createRepository(_ name: String, anonymousRead: Bool = true) async throws {
        try await execute(uri: "/api/v1/repositories", method: .post, headers: .admin, body: ByteBuffer(string: "{\"name\":\"\(name)\",\"type\":\"local\",\"anonymousRead\":\(anonymousRead)}")) { response in
            precondition(response.status == .created, "create failed: \(response.status)")
        }
    }

    func upload(_ repo: String, _ m: MultipartBuilder, headers: HTTPFields = .admin) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = m.contentType
        return try await execute(uri: "/\(repo)/", method: .post, headers: headers, body: ByteBuffer(bytes: m.body))
    }
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    var acc = DigestAccumulator()
    bytes.withUnsafeBytes { acc.update($0) }
    return acc.finalize().sha256
}

func readFile(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}
