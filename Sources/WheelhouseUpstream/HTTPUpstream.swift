import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import WheelhouseCore

/// An upstream simple index over HTTP(S): pooled connections (one `HTTPClient` per process), connect
/// and idle-read timeouts, redirects followed (files often redirect to a CDN), HTTP/2 where offered.
public struct HTTPUpstream: Upstream {
    public struct Credentials: Sendable {
        public var username: String
        public var password: String
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    /// The simple index URL, ending in `/`.
    public let baseURL: String
    let credentials: Credentials?
    let client: HTTPClient
    let userAgent: String
    /// pip's own `Accept` list: JSON first, HTML as fallback.
    static let accept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"

    public init(baseURL: String, credentials: Credentials?, client: HTTPClient, userAgent: String) {
        self.baseURL = baseURL.hasSuffix("/") ? baseURL : baseURL + "/"
        self.credentials = credentials
        self.client = client
        self.userAgent = userAgent
    }

    /// The shared client: connection pooling across all remote repositories.
    public static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 10, allowCycles: false),
            timeout: .init(connect: .seconds(5), read: .seconds(60)),
            decompression: .disabled)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        configuration.httpVersion = .automatic
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func request(_ url: String, method: HTTPMethod = .GET) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: userAgent)
        if let credentials, url.hasPrefix(baseURL) || sameOrigin(url) {
            let encoded = Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic \(encoded)")
        }
        return request
    }

    /// Credentials go only to the upstream's own origin, never to a CDN it redirects to.
    func sameOrigin(_ url: String) -> Bool {
        guard let a = URL(string: url), let b = URL(string: baseURL) else { return false }
        return a.scheme == b.scheme && a.host == b.host && a.port == b.port
    }

    public func fetchPage(project: String, validators: PageValidators?) async throws -> UpstreamPageResult {
        let url = baseURL + project + "/"
        var request = request(url)
        request.headers.add(name: "Accept", value: Self.accept)
        if let etag = validators?.etag { request.headers.add(name: "If-None-Match", value: etag) }
        if let lastModified = validators?.lastModified { request.headers.add(name: "If-Modified-Since", value: lastModified) }
        let response = try await perform(request, timeout: .seconds(60), what: "page of '\(project)'")
        switch response.status.code {
        case 304:
            return .notModified
        case 404, 410:
            return .notFound
        case 200:
            let body = try await collect(response.body, limit: 256 << 20, what: "page of '\(project)'")
            let page = try UpstreamPage.parse(
                body, contentType: response.headers.first(name: "Content-Type"), pageURL: url, project: project)
            return .page(page, PageValidators(
                etag: response.headers.first(name: "ETag"), lastModified: response.headers.first(name: "Last-Modified")))
        default:
            throw WheelhouseError(.badGateway, "upstream answered \(response.status.code) for the page of '\(project)'")
        }
    }

    public func download(
        url: String, head: (UpstreamFileHead) async throws -> Void, body: (ByteBuffer) async throws -> Void
    ) async throws {
        // The deadline bounds a whole 5 GB download; liveness comes from the idle-read timeout.
        let response = try await perform(request(url), timeout: .hours(6), what: url)
        guard response.status.code == 200 else {
            throw WheelhouseError(.badGateway, "upstream answered \(response.status.code) for \(Self.redact(url))")
        }
        let length = response.headers.first(name: "Content-Length").flatMap(Int64.init)
        try await head(UpstreamFileHead(status: 200, contentLength: length))
        do {
            for try await chunk in response.body { try await body(chunk) }
        } catch let error as WheelhouseError {
            throw error
        } catch {
            throw Self.mapped(error, what: Self.redact(url))
        }
    }

    public func contentLength(url: String) async throws -> Int64? {
        let response = try await perform(request(url, method: .HEAD), timeout: .seconds(30), what: url)
        guard response.status.code == 200 else {
            throw WheelhouseError(.badGateway, "upstream answered \(response.status.code) for \(Self.redact(url))")
        }
        return response.headers.first(name: "Content-Length").flatMap(Int64.init)
    }

    func perform(_ request: HTTPClientRequest, timeout: TimeAmount, what: String) async throws -> HTTPClientResponse {
        do {
            return try await client.execute(request, timeout: timeout)
        } catch {
            throw Self.mapped(error, what: Self.redact(what))
        }
    }

    func collect(_ body: HTTPClientResponse.Body, limit: Int, what: String) async throws -> [UInt8] {
        do {
            let buffer = try await body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch {
            throw Self.mapped(error, what: what)
        }
    }

    /// Timeouts become 504, everything else 502, with a message that names what failed.
    static func mapped(_ error: any Error, what: String) -> WheelhouseError {
        if let e = error as? WheelhouseError { return e }
        if let e = error as? HTTPClientError, e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            return WheelhouseError(.gatewayTimeout, "upstream timed out for \(what)")
        }
        if let e = error as? HTTPClientError, e == .remoteConnectionClosed {
            return WheelhouseError(.badGateway, "upstream closed the connection early for \(what)")
        }
        return WheelhouseError(.upstreamUnreachable, "upstream unreachable for \(what): \(error)")
    }

    /// URLs may carry credentials (`https://user:pass@host/`): never log or return them.
    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil || components.user != nil else { return url }
        components.user = nil
        components.password = nil
        return components.string ?? url
    }
}
