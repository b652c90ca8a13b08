import Crypto
import Foundation
import NIOCore
import WheelhouseCore

/// An in-memory upstream for fast tests of the remote logic: serves pages and files it was given,
/// counts requests, and can be told to fail, corrupt, truncate or slow down.
public final class FakeUpstream: Upstream, @unchecked Sendable {
    public enum Fault: Sendable { case none, fail, corrupt, truncate, unreachable }

    private let lock = NSLock()
    private var pages: [String: ProjectPage] = [:]
    private var files: [String: [UInt8]] = [:]
    private var counts: [String: Int] = [:]
    private var conditional = 0
    public var fault: Fault {
        get { lock.withLock { _fault } }
        set { lock.withLock { _fault = newValue } }
    }
    private var _fault: Fault = .none
    /// Delay between 64 KiB chunks of a file.
    public var chunkDelay: Duration = .zero

    public init() {}

    public static let base = "https://upstream.invalid/simple/"

    /// Adds a file to a project's page, listed with its sha256 and size.
    public func add(project: String, filename: String, bytes: [UInt8], listSHA256: Bool = true, yanked: String? = nil) {
        let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let file = IndexFile(
            filename: filename, url: "https://files.invalid/\(filename)", hashes: listSHA256 ? ["sha256": sha] : [:],
            requiresPython: ">=3.8", yanked: yanked, size: Int64(bytes.count), uploadTime: "2024-01-01T00:00:00.000000Z")
        lock.withLock {
            var page = pages[project] ?? ProjectPage(name: project, files: [], versions: [])
            page.files.append(file)
            pages[project] = page
            files[file.url] = bytes
        }
    }

    public func count(_ key: String) -> Int { lock.withLock { counts[key, default: 0] } }
    public var conditionalRequests: Int { lock.withLock { conditional } }

    private func hit(_ key: String) { lock.withLock { counts[key, default: 0] += 1 } }

    public func fetchPage(project: String, validators: PageValidators?) async throws -> UpstreamPageResult {
        hit("page:\(project)")
        switch fault {
        case .fail: throw WheelhouseError(.badGateway, "upstream answered 500")
        case .unreachable: throw WheelhouseError(.badGateway, "upstream unreachable")
        default: break
        }
        let page = lock.withLock { pages[project] }
        guard let page else { return .notFound }
        let etag = "\"\(page.files.count)\""
        if validators?.etag == etag {
            lock.withLock { conditional += 1 }
            return .notModified
        }
        return .page(page, PageValidators(etag: etag))
    }

    public func download(url: String, head: (UpstreamFileHead) async throws -> Void, body: (ByteBuffer) async throws -> Void) async throws {
        hit("file:\(url)")
        let fault = self.fault
        if fault == .fail || fault == .unreachable { throw WheelhouseError(.badGateway, "upstream answered 500") }
        guard var bytes = lock.withLock({ files[url] }) else { throw WheelhouseError(.badGateway, "upstream answered 404") }
        try await head(UpstreamFileHead(status: 200, contentLength: Int64(bytes.count)))
        if fault == .corrupt { bytes[bytes.count / 2] ^= 0xFF }
        let end = fault == .truncate ? bytes.count / 2 : bytes.count
        var offset = 0
        while offset < end {
            let n = min(64 << 10, end - offset)
            try await body(ByteBuffer(bytes: bytes[offset..<offset + n]))
            offset += n
            if chunkDelay > .zero { try await Task.sleep(for: chunkDelay) }
        }
        if fault == .truncate { throw WheelhouseError(.badGateway, "upstream closed the connection early") }
    }

    public func contentLength(url: String) async throws -> Int64? {
        hit("head:\(url)")
        return lock.withLock { files[url].map { Int64($0.count) } }
    }
}
