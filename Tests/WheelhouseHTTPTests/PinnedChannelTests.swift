import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing
import WheelhouseServer

/// The server's connections run their handlers on their own event loop (`.pinnedHTTP1()`), before
/// and after awaiting work on other executors, and with streamed request bodies.
@Suite struct PinnedChannelTests {
    actor Elsewhere { func hop() {} }

    static func onEventLoop() -> String { MultiThreadedEventLoopGroup.currentEventLoop == nil ? "no" : "yes" }

    /// Runs the routes on 127.0.0.1 with `server`, and `body` with a client of it.
    func serve(_ server: HTTPServerBuilder, _ body: @escaping @Sendable (TestClient) async throws -> Void) async throws {
        let router = Router()
        let elsewhere = Elsewhere()
        router.get("/where") { _, _ -> String in
            let before = Self.onEventLoop()
            await elsewhere.hop()
            try await Task.sleep(for: .milliseconds(1))
            return before + "," + Self.onEventLoop()
        }
        router.post("/body") { request, _ -> String in
            var bytes = 0
            for try await chunk in request.body { bytes += chunk.readableBytes }
            return "\(bytes)," + Self.onEventLoop()
        }
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "pinned-test")
        logger.logLevel = .warning
        let app = Application(
            router: router, server: server, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await TestClient.withClient(host: "127.0.0.1", port: port) { client in try await body(client) }
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
        }
    }

    func get(_ client: TestClient, _ uri: String, body: ByteBuffer? = nil) async throws -> String {
        let response = try await client.execute(.init(uri, method: body == nil ? .get : .post, authority: "127.0.0.1", body: body))
        #expect(response.head.status == .ok)
        return response.body.map { String(buffer: $0) } ?? ""
    }

    @Test func handlersRunOnTheConnectionsEventLoop() async throws {
        try await serve(.pinnedHTTP1()) { client in
            let handler = try await get(client, "/where")
            let upload = try await get(client, "/body", body: ByteBuffer(repeating: 7, count: 1 << 20))
            #expect(handler == "yes,yes")
            #expect(upload == "\(1 << 20),yes")
        }
    }

    /// The control: Hummingbird's own HTTP/1 channel runs them on Swift's global executor.
    @Test func plainHTTP1RunsThemElsewhere() async throws {
        try await serve(.http1()) { client in
            let handler = try await get(client, "/where")
            #expect(handler == "no,no")
        }
    }
}
