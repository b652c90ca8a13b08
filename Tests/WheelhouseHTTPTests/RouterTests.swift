import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WheelhouseCore
import WheelhouseTestSupport

/// Every status code the simple API, the files and the admin API promise, in-process.
@Suite struct RouterTests {
    let pipAccept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"

    func uploadWheel(_ client: some TestClientProtocol, repo: String = "local", name: String = "demo", version: String = "1.0", dir: String) async throws -> (path: String, bytes: [UInt8]) {
        let path = try WheelBuilder.wheel(name: name, version: version, in: dir)
        let bytes = try readFile(path)
        let m = MultipartBuilder.upload(
            filename: (path as NSString).lastPathComponent, bytes: bytes, name: name, version: version,
            digests: ["sha256_digest": sha256Hex(bytes)])
        let response = try await client.upload(repo, m)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return (path, bytes)
    }

    @Test func repositoryLifecycle() async throws {
        let server = try await TestServer()
        try await server.test { client in
            try await client.execute(uri: "/api/v1/repositories", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/repositories", method: .get, headers: [.authorization: "Bearer nope"]) {
                #expect($0.status == .unauthorized)
                #expect($0.headers[.wwwAuthenticate] == "Basic realm=\"wheelhouse\"")
            }
            try await client.createRepository("local")
            try await client.execute(uri: "/api/v1/repositories", method: .post, headers: .admin, body: ByteBuffer(string: #"{"name":"local","type":"local"}"#)) {
                #expect($0.status == .conflict)
                #expect(String(buffer: $0.body).contains("\"error\""))
            }
            for bad in ["Bad", "api", "-x"] {
                try await client.execute(uri: "/api/v1/repositories", method: .post, headers: .admin, body: ByteBuffer(string: "{\"name\":\"\(bad)\",\"type\":\"local\"}")) {
                    #expect($0.status == .badRequest)
                }
            }
            try await client.execute(uri: "/api/v1/repositories", method: .post, headers: .admin, body: ByteBuffer(string: "{nope")) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/repositories/local", method: .get, headers: .admin) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/repositories/missing", method: .get, headers: .admin) { #expect($0.status == .notFound) }
            // Basic with the token as password works too.
            let basic = "Basic " + Data("__token__:\(TestServer.token)".utf8).base64EncodedString()
            try await client.execute(uri: "/api/v1/repositories", method: .get, headers: [.authorization: basic]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/repositories/local", method: .delete, headers: .admin) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/api/v1/repositories/local", method: .delete, headers: .admin) { #expect($0.status == .notFound) }
        }
    }

    @Test func uploadAndSimplePages() async throws {
        let server = try await TestServer()
        let dir = try WheelBuilder.temporaryDirectory()
        try await server.test { client in
            try await client.createRepository("local")
            let (path, bytes) = try await uploadWheel(client, dir: dir)
            let filename = (path as NSString).lastPathComponent
            let sha = sha256Hex(bytes)

            // Identical re-upload: 200. Other bytes under the same name: 400 File already exists.
            let again = MultipartBuilder.upload(filename: filename, bytes: bytes, name: "demo", version: "1.0")
            #expect(try await client.upload("local", again).status == .ok)
            var other = bytes
            other[other.count - 1] ^= 0xFF
            let conflict = try await client.upload("local", MultipartBuilder.upload(filename: filename, bytes: other, name: "demo", version: "1.0"))
            #expect(conflict.status == .badRequest)
            #expect(String(buffer: conflict.body).contains("File already exists"))

            // Upload URL without the slash is accepted, never redirected.
            var headers: HTTPFields = .admin
            let m = MultipartBuilder.upload(filename: filename, bytes: bytes, name: "demo", version: "1.0")
            headers[.contentType] = m.contentType
            try await client.execute(uri: "/local", method: .post, headers: headers, body: ByteBuffer(bytes: m.body)) { #expect($0.status == .ok) }
            // Anonymous upload: 401 with a challenge.
            let anon = try await client.upload("local", m, headers: [:])
            #expect(anon.status == .unauthorized)
            #expect(anon.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            // Unknown repository: 404.
            #expect(try await client.upload("missing", m).status == .notFound)

            // Pages: JSON for pip, HTML for browsers, 406 for nothing acceptable.
            try await client.execute(uri: "/local/simple/demo/", method: .get, headers: [.accept: pipAccept]) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "application/vnd.pypi.simple.v1+json")
                #expect(r.headers[.vary] == "Accept")
                let json = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as! [String: Any]
                #expect(json["versions"] as? [String] == ["1.0"])
                let file = (json["files"] as! [[String: Any]])[0]
                #expect((file["hashes"] as! [String: String])["sha256"] == sha)
                let etag = r.headers[.eTag]!
                try await client.execute(uri: "/local/simple/demo/", method: .get, headers: [.accept: pipAccept, .ifNoneMatch: etag]) {
                    #expect($0.status == .notModified)
                }
            }
            try await client.execute(uri: "/local/simple/demo/", method: .get, headers: [.accept: "text/html"]) { r in
                #expect(r.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(String(buffer: r.body).contains("#sha256=\(sha)"))
            }
            try await client.execute(uri: "/local/simple/demo/", method: .get, headers: [.accept: "application/json"]) {
                #expect($0.status == .notAcceptable)
            }
            try await client.execute(uri: "/local/simple/demo/?format=text/html", method: .get, headers: [.accept: pipAccept]) {
                #expect($0.headers[.contentType]?.hasPrefix("text/html") == true)
            }
            // Redirects: missing slash, non-normalized name.
            try await client.execute(uri: "/local/simple/demo", method: .get) {
                #expect($0.status == .movedPermanently)
                #expect($0.headers[.location] == "/local/simple/demo/")
            }
            try await client.execute(uri: "/local/simple/Demo_Pkg/", method: .get) {
                #expect($0.headers[.location] == "/local/simple/demo-pkg/")
            }
            try await client.execute(uri: "/local/simple", method: .get) { #expect($0.headers[.location] == "/local/simple/") }
            try await client.execute(uri: "/local/simple/missing/", method: .get) { #expect($0.status == .notFound) }
            // Anonymous: a missing repository answers like a private one (no existence oracle).
            try await client.execute(uri: "/missing/simple/demo/", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/local/simple/", method: .get, headers: [.accept: "text/html"]) {
                #expect(String(buffer: $0.body).contains("<a href=\"demo/\">demo</a>"))
            }
            // Compatibility aliases answer the same.
            try await client.execute(uri: "/artifactory/api/pypi/local/simple/demo/", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/repository/local/simple/demo", method: .get) {
                #expect($0.headers[.location] == "/repository/local/simple/demo/")
            }

            // Files: full, HEAD, Range, 416, ETag 304, metadata, unknown.
            let fileURI = "/local/files/\(sha)/\(filename)"
            try await client.execute(uri: fileURI, method: .get) { r in
                #expect(r.status == .ok)
                #expect(Array(buffer: r.body) == bytes)
                #expect(r.headers[.eTag] == "\"\(sha)\"")
                #expect(r.headers[.cacheControl]?.contains("immutable") == true)
            }
            try await client.execute(uri: fileURI, method: .head) { r in
                #expect(r.headers[.contentLength] == String(bytes.count))
                #expect(r.body.readableBytes == 0)
            }
            try await client.execute(uri: fileURI, method: .get, headers: [.range: "bytes=0-9"]) { r in
                #expect(r.status == .partialContent)
                #expect(r.headers[.contentRange] == "bytes 0-9/\(bytes.count)")
                #expect(Array(buffer: r.body) == Array(bytes[0..<10]))
            }
            try await client.execute(uri: fileURI, method: .get, headers: [.range: "bytes=-4"]) { r in
                #expect(Array(buffer: r.body) == Array(bytes.suffix(4)))
            }
            try await client.execute(uri: fileURI, method: .get, headers: [.range: "bytes=\(bytes.count)-"]) {
                #expect($0.status == .rangeNotSatisfiable)
            }
            try await client.execute(uri: fileURI, method: .get, headers: [.ifNoneMatch: "\"\(sha)\""]) { #expect($0.status == .notModified) }
            try await client.execute(uri: fileURI + ".metadata", method: .get) { r in
                #expect(r.status == .ok)
                let expected = try WheelBuilder.metadataBytes(ofWheel: path)
                #expect(Array(buffer: r.body) == expected)
            }
            try await client.execute(uri: "/local/files/\(String(repeating: "a", count: 64))/\(filename)", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/local/files/xyz/\(filename)", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: fileURI, method: .post) { #expect($0.status == .methodNotAllowed) }
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func yankUnyankDelete() async throws {
        let server = try await TestServer()
        let dir = try WheelBuilder.temporaryDirectory()
        try await server.test { client in
            try await client.createRepository("local")
            _ = try await uploadWheel(client, version: "1.0", dir: dir)
            _ = try await uploadWheel(client, version: "1.1", dir: dir)
            try await client.execute(uri: "/api/v1/repositories/local/projects/demo/versions/1.1.0/yank", method: .post, headers: .admin, body: ByteBuffer(string: #"{"reason":"broken"}"#)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/local/simple/demo/", method: .get, headers: [.accept: "text/html"]) {
                #expect(String(buffer: $0.body).contains("data-yanked=\"broken\""))
            }
            try await client.execute(uri: "/api/v1/repositories/local/projects/demo/versions/1.1/unyank", method: .post, headers: .admin) { #expect($0.status == .ok) }
            try await client.execute(uri: "/local/simple/demo/", method: .get, headers: [.accept: "text/html"]) {
                #expect(!String(buffer: $0.body).contains("data-yanked"))
            }
            try await client.execute(uri: "/api/v1/repositories/local/projects/demo/versions/9.9/yank", method: .post, headers: .admin) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/v1/repositories/local/projects/demo/files/demo-1.0-py3-none-any.whl", method: .delete, headers: .admin) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/repositories/local/projects/demo/versions/1.1", method: .delete, headers: .admin) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/local/simple/demo/", method: .get) { #expect($0.status == .notFound) }
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func badUploadsStoreNothing() async throws {
        let server = try await TestServer()
        let dir = try WheelBuilder.temporaryDirectory()
        try await server.test { client in
            try await client.createRepository("local")
            let path = try WheelBuilder.wheel(name: "demo", version: "1.0", in: dir)
            let bytes = try readFile(path)
            let filename = (path as NSString).lastPathComponent
            let noMetadata = try readFile(try WheelBuilder.wheel(name: "nometa", version: "1.0", in: dir, metadata: .some(nil)))
            let cases: [(String, MultipartBuilder)] = [
                ("sha256", MultipartBuilder.upload(filename: filename, bytes: bytes, name: "demo", version: "1.0", digests: ["sha256_digest": String(repeating: "0", count: 64)])),
                ("blake2", MultipartBuilder.upload(filename: filename, bytes: bytes, name: "demo", version: "1.0", digests: ["blake2_256_digest": String(repeating: "0", count: 64)])),
                ("md5", MultipartBuilder.upload(filename: filename, bytes: bytes, name: "demo", version: "1.0", digests: ["md5_digest": "AAAAAAAAAAAAAAAAAAAAAA"])),
                ("name", MultipartBuilder.upload(filename: filename, bytes: bytes, name: "other", version: "1.0")),
                ("version", MultipartBuilder.upload(filename: filename, bytes: bytes, name: "demo", version: "2.0")),
                ("slash", MultipartBuilder.upload(filename: "a/" + filename, bytes: bytes, name: "demo", version: "1.0")),
                ("dotdot", MultipartBuilder.upload(filename: "../demo-1.0-py3-none-any.whl", bytes: bytes, name: "demo", version: "1.0")),
                ("extension", MultipartBuilder.upload(filename: "demo-1.0.exe", bytes: bytes, name: "demo", version: "1.0")),
                ("notzip", MultipartBuilder.upload(filename: filename, bytes: Array(repeating: 7, count: 1000), name: "demo", version: "1.0")),
                ("nometadata", MultipartBuilder.upload(filename: "nometa-1.0-py3-none-any.whl", bytes: noMetadata, name: "nometa", version: "1.0")),
            ]
            for (label, m) in cases {
                let r = try await client.upload("local", m)
                #expect(r.status == .badRequest, "\(label): \(r.status)")
                #expect(String(buffer: r.body).contains("\"error\""), "\(label)")
            }
            var missing = MultipartBuilder()
            missing.field("name", "demo")
            missing.close()
            #expect(try await client.upload("local", missing).status == .badRequest)
            var malformed = MultipartBuilder()
            malformed.field("name", "demo")
            #expect(try await client.upload("local", malformed).status == .badRequest)
            var headers: HTTPFields = .admin
            headers[.contentType] = "application/json"
            try await client.execute(uri: "/local/", method: .post, headers: headers, body: ByteBuffer(string: "{}")) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/local/simple/demo/", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/local/simple/nometa/", method: .get) { #expect($0.status == .notFound) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: server.services.staging).isEmpty)
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func health() async throws {
        let server = try await TestServer()
        try await server.test { client in
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .ok) }
            server.services.readiness.startDraining()
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
    }
}
