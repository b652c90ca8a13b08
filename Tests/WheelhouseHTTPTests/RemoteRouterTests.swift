import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import WheelhouseCore
import WheelhouseHTTP
import WheelhouseServer
import WheelhouseTestSupport

/// The remote fetch path in-process, against an in-memory upstream (the e2e suite does it over HTTP).
@Suite struct RemoteRouterTests {
    static let json: HTTPFields = [.accept: "application/vnd.pypi.simple.v1+json"]

    let upstream = FakeUpstream()
    let dir: String

    init() throws {
        dir = try WheelBuilder.temporaryDirectory()
    }

    func server() async throws -> TestServer {
        let upstream = self.upstream
        return try await TestServer(upstreams: { _ in upstream })
    }

    func wheel(_ name: String, _ version: String, padding: Int = 0) throws -> (String, [UInt8]) {
        let path = try WheelBuilder.wheel(name: name, version: version, in: dir, extraFile: padding > 0 ? ("pad.bin", padding) : nil)
        return ((path as NSString).lastPathComponent, try readFile(path))
    }

    func createRemote(_ client: some TestClientProtocol, ttl: Int = 600) async throws {
        let body = "{\"name\":\"remote\",\"type\":\"remote\",\"url\":\"\(FakeUpstream.base)\",\"metadataTTL\":\(ttl),\"negativeTTL\":600,\"anonymousRead\":true}"
        try await client.execute(uri: "/api/v1/repositories", method: .post, headers: .admin, body: ByteBuffer(string: body)) {
            #expect($0.status == .created)
        }
    }

    @Test func concurrentMissesDownloadOnce() async throws {
        let (filename, bytes) = try wheel("demo", "1.0", padding: 4 << 20)
        upstream.add(project: "demo", filename: filename, bytes: bytes)
        upstream.chunkDelay = .milliseconds(2)
        let sha = sha256Hex(bytes)
        try await server().test { client in
            try await createRemote(client)
            try await client.execute(uri: "/remote/simple/demo/", method: .get, headers: Self.json) { #expect($0.status == .ok) }
            try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        try await client.execute(uri: "/remote/files/\(sha)/\(filename)", method: .get) { Array(buffer: $0.body) }
                    }
                }
                for try await body in group { #expect(body == bytes) }
            }
            #expect(upstream.count("file:https://files.invalid/\(filename)") == 1)
            // Cached now: served again without the upstream, and the page advertises extracted metadata.
            try await client.execute(uri: "/remote/files/\(sha)/\(filename)", method: .get) { #expect(Array(buffer: $0.body) == bytes) }
            #expect(upstream.count("file:https://files.invalid/\(filename)") == 1)
            try await client.execute(uri: "/remote/simple/demo/", method: .get, headers: [.accept: "text/html"]) {
                #expect(String(buffer: $0.body).contains("data-core-metadata=\"sha256="))
            }
            try await client.execute(uri: "/remote/files/\(sha)/\(filename).metadata", method: .get) {
                #expect(String(buffer: $0.body).contains("Name: demo"))
            }
        }
    }

    @Test(arguments: [FakeUpstream.Fault.corrupt, .truncate, .fail])
    func badUpstreamBytesAreNeverCached(fault: FakeUpstream.Fault) async throws {
        let (filename, bytes) = try wheel("demo", "1.0", padding: 1 << 20)
        upstream.add(project: "demo", filename: filename, bytes: bytes)
        let sha = sha256Hex(bytes)
        try await server().test { client in
            try await createRemote(client)
            try await client.execute(uri: "/remote/simple/demo/", method: .get, headers: Self.json) { #expect($0.status == .ok) }
            upstream.fault = fault
            let response = try? await client.execute(uri: "/remote/files/\(sha)/\(filename)", method: .get) { $0 }
            if let response { #expect(Array(buffer: response.body) != bytes) }
            upstream.fault = .none
            try await client.execute(uri: "/remote/files/\(sha)/\(filename)", method: .get) { #expect(Array(buffer: $0.body) == bytes) }
            #expect(upstream.count("file:https://files.invalid/\(filename)") == 2)
        }
    }

    @Test func pagesAreCachedRevalidatedAndServedStale() async throws {
        let (filename, bytes) = try wheel("demo", "1.0")
        upstream.add(project: "demo", filename: filename, bytes: bytes, yanked: "old")
        try await server().test { client in
            try await createRemote(client, ttl: 0)
            try await client.execute(uri: "/remote/simple/demo/", method: .get, headers: Self.json) { r in
                #expect(r.status == .ok)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                let file = (json["files"] as! [[String: Any]])[0]
                #expect(file["yanked"] as? String == "old")
                #expect(file["requires-python"] as? String == ">=3.8")
                #expect((file["url"] as? String)?.hasPrefix("../../files/") == true)
            }
            try await client.execute(uri: "/remote/simple/demo/", method: .get, headers: Self.json) { #expect($0.status == .ok) }
            #expect(upstream.conditionalRequests >= 1)
            upstream.fault = .unreachable
            try await client.execute(uri: "/remote/simple/demo/", method: .get, headers: Self.json) { r in
                #expect(r.status == .ok)
                #expect(r.headers[HTTPField.Name("X-Wheelhouse-Stale")!] != nil)
            }
            try await client.execute(uri: "/remote/simple/other/", method: .get) { #expect($0.status == .badGateway) }
            upstream.fault = .none
            try await client.execute(uri: "/remote/simple/missing/", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func negativeCacheAndOffline() async throws {
        let (filename, bytes) = try wheel("demo", "1.0")
        upstream.add(project: "demo", filename: filename, bytes: bytes)
        try await server().test { client in
            try await createRemote(client)
            for _ in 0..<3 {
                try await client.execute(uri: "/remote/simple/missing/", method: .get) { #expect($0.status == .notFound) }
            }
            #expect(upstream.count("page:missing") == 1)
            try await client.execute(uri: "/api/v1/repositories/remote", method: .patch, headers: .admin, body: ByteBuffer(string: #"{"offline":true}"#)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/remote/simple/demo/", method: .get, headers: Self.json) { #expect($0.status == .notFound) }
            #expect(upstream.count("page:demo") == 0)
        }
    }

    @Test func fileListedWithoutHashIsHashedOnArrival() async throws {
        let (filename, bytes) = try wheel("nohash", "1.0", padding: 300 << 10)
        upstream.add(project: "nohash", filename: filename, bytes: bytes, listSHA256: false)
        let sha = sha256Hex(bytes)
        try await server().test { client in
            try await createRemote(client)
            try await client.execute(uri: "/remote/simple/nohash/", method: .get, headers: Self.json) { r in
                #expect(String(buffer: r.body).contains("../../files/-/\(filename)"))
            }
            try await client.execute(uri: "/remote/files/-/\(filename)", method: .get) { #expect(Array(buffer: $0.body) == bytes) }
            try await client.execute(uri: "/remote/simple/nohash/", method: .get, headers: Self.json) { r in
                #expect(String(buffer: r.body).contains("\"sha256\":\"\(sha)\""))
                #expect(String(buffer: r.body).contains("../../files/\(sha)/\(filename)"))
            }
            try await client.execute(uri: "/remote/files/\(sha)/\(filename)", method: .get) { #expect(Array(buffer: $0.body) == bytes) }
            #expect(upstream.count("file:https://files.invalid/\(filename)") == 1)
        }
    }

    @Test func concurrentPageMissesFetchOnce() async throws {
        let (filename, bytes) = try wheel("demo", "1.0")
        upstream.add(project: "demo", filename: filename, bytes: bytes)
        try await server().test { client in
            try await createRemote(client)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await client.execute(uri: "/remote/simple/demo/", method: .get, headers: Self.json) { #expect($0.status == .ok) } }
                }
                try await group.waitForAll()
            }
            #expect(upstream.count("page:demo") == 1)
        }
    }
}
