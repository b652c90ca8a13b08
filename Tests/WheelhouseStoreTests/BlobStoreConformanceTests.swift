import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import Testing
@testable import WheelhouseBlobs
import WheelhouseCore

/// One conformance suite for `BlobStore`, run against every implementation: the bodies live in
/// `BlobStoreContract`; each store gets a suite that calls all of them.
@Suite("BlobStoreConformance")
struct BlobStoreConformance {
    @Suite("filesystem")
    struct FileSystem {
        @Test func putFileThenRead() async throws { try await withStore(.fileSystem, BlobStoreContract.putFileThenRead) }
        @Test func putBytesThenRead() async throws { try await withStore(.fileSystem, BlobStoreContract.putBytesThenRead) }
        @Test func putIsIdempotent() async throws { try await withStore(.fileSystem, BlobStoreContract.putIsIdempotent) }
        @Test func concurrentPutsOfOneBlob() async throws {
            try await withStore(.fileSystem, BlobStoreContract.concurrentPutsOfOneBlob)
        }
        @Test func absentBlob() async throws { try await withStore(.fileSystem, BlobStoreContract.absentBlob) }
        @Test func rangedReads() async throws { try await withStore(.fileSystem, BlobStoreContract.rangedReads) }
        @Test func delete() async throws { try await withStore(.fileSystem, BlobStoreContract.delete) }
        @Test func ping() async throws { try await withStore(.fileSystem, BlobStoreContract.ping) }
        @Test(.timeLimit(.minutes(5))) func largeFile() async throws { try await withStore(.fileSystem, BlobStoreContract.largeFile) }
    }

    // Reported as skipped, not passed, when no S3 endpoint is configured. scripts/test starts the
    // RADOS Gateway (deploy/local/s3) and exports these variables; nothing here mocks S3.
    @Suite(
        "S3 (RADOS Gateway)",
        .enabled(if: S3TestEnvironment.isConfigured, "needs WHEELHOUSE_TEST_S3_URL, WHEELHOUSE_TEST_S3_ACCESS_KEY and WHEELHOUSE_TEST_S3_SECRET_KEY"))
    struct S3 {
        @Test func putFileThenRead() async throws { try await withStore(.s3, BlobStoreContract.putFileThenRead) }
        @Test func putBytesThenRead() async throws { try await withStore(.s3, BlobStoreContract.putBytesThenRead) }
        @Test func putIsIdempotent() async throws { try await withStore(.s3, BlobStoreContract.putIsIdempotent) }
        @Test func concurrentPutsOfOneBlob() async throws { try await withStore(.s3, BlobStoreContract.concurrentPutsOfOneBlob) }
        @Test func absentBlob() async throws { try await withStore(.s3, BlobStoreContract.absentBlob) }
        @Test func rangedReads() async throws { try await withStore(.s3, BlobStoreContract.rangedReads) }
        @Test func delete() async throws { try await withStore(.s3, BlobStoreContract.delete) }
        @Test func ping() async throws { try await withStore(.s3, BlobStoreContract.ping) }
        @Test(.timeLimit(.minutes(5))) func largeFile() async throws { try await withStore(.s3, BlobStoreContract.largeFile) }

        @Test func listPagesThroughEveryBlob() async throws { try await withS3Store(S3Contract.listPages) }
        @Test func contentMustMatchItsAddress() async throws { try await withS3Store(S3Contract.contentMustMatchItsAddress) }
        @Test func wrongSecretIsRefusedWithoutLeakingIt() async throws { try await withS3Store(S3Contract.wrongSecret) }
        @Test func answersVouchForReadiness() async throws { try await withS3Store(S3Contract.answersVouchForReadiness) }
    }

    /// Needs no engine: nothing listens on port 9 of 127.0.0.1.
    @Test func unreachableS3IsUnavailable() async throws {
        let configuration = try S3BlobStore.configuration(
            url: "s3://nowhere?endpoint=http://127.0.0.1:9",
            environment: ["WHEELHOUSE_S3_ACCESS_KEY": "AK", "WHEELHOUSE_S3_SECRET_KEY": "secret-never-shown"])
        let client = S3BlobStore.makeClient()
        let store = try S3BlobStore(configuration: configuration, client: client)
        do {
            try await store.ping()
            Issue.record("ping of a closed port succeeded")
        } catch let error as WheelhouseError {
            #expect(error.code == .unavailable)
            #expect(!error.message.contains("secret-never-shown"))
        }
        try await client.shutdown()
    }
}

/// What every `BlobStore` must do, whatever it stores in.
enum BlobStoreContract {
    static func putFileThenRead(_ f: StoreFixture) async throws {
        let bytes = TestBytes.random(count: 300 * 1024 + 7, seed: 1)
        let key = TestBytes.key(bytes)
        try await f.store.put(key, contentsOfFile: f.stage(bytes))
        #expect(try await f.store.size(of: key) == Int64(bytes.count))
        #expect(try await f.readAll(key, range: nil) == bytes)
    }

    static func putBytesThenRead(_ f: StoreFixture) async throws {
        let bytes = Array("Metadata-Version: 2.1\nName: example\n".utf8)
        let key = TestBytes.key(bytes)
        try await f.store.put(key, bytes: bytes)
        #expect(try await f.store.size(of: key) == Int64(bytes.count))
        #expect(try await f.store.bytes(of: key) == bytes)
        let empty: [UInt8] = []
        try await f.store.put(TestBytes.key(empty), bytes: empty)
        #expect(try await f.store.size(of: TestBytes.key(empty)) == 0)
        #expect(try await f.readAll(TestBytes.key(empty), range: nil) == [])
    }

    /// Storing an existing key is a no-op, by bytes or by file.
    static func putIsIdempotent(_ f: StoreFixture) async throws {
        let bytes = TestBytes.random(count: 4096, seed: 2)
        let key = TestBytes.key(bytes)
        try await f.store.put(key, bytes: bytes)
        try await f.store.put(key, bytes: bytes)
        try await f.store.put(key, contentsOfFile: f.stage(bytes))
        #expect(try await f.store.size(of: key) == 4096)
        #expect(try await f.readAll(key, range: nil) == bytes)
    }

    /// Two nodes caching the same file at once.
    static func concurrentPutsOfOneBlob(_ f: StoreFixture) async throws {
        let bytes = TestBytes.random(count: 200_000, seed: 3)
        let key = TestBytes.key(bytes)
        let (a, b) = (try f.stage(bytes), try f.stage(bytes))
        async let first: Void = f.store.put(key, contentsOfFile: a)
        async let second: Void = f.store.put(key, contentsOfFile: b)
        _ = try await (first, second)
        #expect(try await f.readAll(key, range: nil) == bytes)
    }

    static func absentBlob(_ f: StoreFixture) async throws {
        let key = TestBytes.key(Array("never stored \(UUID())".utf8))
        #expect(try await f.store.size(of: key) == nil)
        await #expect(throws: WheelhouseError.self) { try await f.store.read(key, range: nil) { _ in } }
        do {
            try await f.store.read(key, range: 0..<10) { _ in Issue.record("an absent blob yielded bytes") }
            Issue.record("a ranged read of an absent blob did not throw")
        } catch let error as WheelhouseError {
            #expect(error.code == .notFound)
        }
        try await f.store.delete(key)  // deleting what is not there is fine
    }

    static func rangedReads(_ f: StoreFixture) async throws {
        let bytes = TestBytes.random(count: 1_000_003, seed: 4)
        let key = TestBytes.key(bytes)
        try await f.store.put(key, contentsOfFile: f.stage(bytes))
        let n = Int64(bytes.count)
        for range in [0..<10, 0..<1, 500_000..<500_100, 100_000..<400_000, n - 10..<n, n - 1..<n, 0..<n] as [Range<Int64>] {
            let expected = Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)])
            #expect(try await f.readAll(key, range: range) == expected, "range \(range)")
        }
        #expect(try await f.readAll(key, range: 5..<5) == [], "an empty range reads nothing")
    }

    static func delete(_ f: StoreFixture) async throws {
        let bytes = TestBytes.random(count: 1000, seed: 5)
        let key = TestBytes.key(bytes)
        try await f.store.put(key, bytes: bytes)
        try await f.store.delete(key)
        #expect(try await f.store.size(of: key) == nil)
        await #expect(throws: WheelhouseError.self) { try await f.store.read(key, range: nil) { _ in } }
        try await f.store.put(key, bytes: bytes)  // a deleted blob can be stored again
        #expect(try await f.store.size(of: key) == 1000)
    }

    static func ping(_ f: StoreFixture) async throws {
        try await f.store.ping()
    }

    /// 100 MiB and a bit: a multipart upload for S3 (16 MiB parts). Memory must stay far below the
    /// file's size; the peak RSS growth is printed for the record (tests running alongside add noise).
    static func largeFile(_ f: StoreFixture) async throws {
        let size = (100 << 20) + 12_345
        let (path, sha) = try TestBytes.writeLargeFile(in: f.staging, size: size)
        let key = BlobKey(sha256: sha)!
        let before = ProcessMemory.resetPeak()
        let started = ContinuousClock.now
        try await f.store.put(key, contentsOfFile: path)
        let putTime = ContinuousClock.now - started
        let putGrowth = ProcessMemory.peak() - before
        #expect(try await f.store.size(of: key) == Int64(size))

        let readStart = ProcessMemory.resetPeak()
        var hasher = SHA256()
        var count = 0
        try await f.store.read(key, range: nil) { chunk in
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            count += chunk.readableBytes
        }
        let readGrowth = ProcessMemory.peak() - readStart
        #expect(count == size)
        #expect(SigV4.hex(hasher.finalize()) == sha)
        // Across the boundary between the first two 16 MiB parts.
        let boundary = Int64(16 << 20)
        #expect(try await f.readAll(key, range: boundary - 5..<boundary + 5) == TestBytes.largeFileBytes(boundary - 5..<boundary + 5))

        print("[\(f.name)] \(size >> 20) MiB put: peak RSS +\(putGrowth >> 20) MiB in \(putTime); read: peak RSS +\(readGrowth >> 20) MiB")
        // Generous (S3 measured ~40 MiB: about two 16 MiB parts), yet well below the file's 100 MiB.
        #expect(putGrowth < 80 << 20, "the upload must not hold the file in memory")
        #expect(readGrowth < 80 << 20, "the read must stream")
    }
}

/// S3-only behaviour: listing for gc, and what S3 itself guarantees.
enum S3Contract {
    static func listPages(_ store: S3BlobStore, _ f: StoreFixture) async throws {
        var stored: Set<BlobKey> = []
        for i in 0..<5 {
            let bytes = Array("blob \(i) \(UUID())".utf8)
            try await store.put(TestBytes.key(bytes), bytes: bytes)
            stored.insert(TestBytes.key(bytes))
        }
        var listed: [S3BlobStore.Listing.Entry] = []
        var pages = 0
        var continuation: String? = nil
        repeat {
            let page = try await store.list(continuation: continuation, limit: 2)
            #expect(page.entries.count <= 2)
            listed += page.entries
            continuation = page.continuation
            pages += 1
        } while continuation != nil && pages < 10
        #expect(pages == 3)
        #expect(Set(listed.map(\.key)) == stored)
        #expect(listed.map(\.key.path) == listed.map(\.key.path).sorted())
        for entry in listed {
            #expect(entry.size > 0)
            #expect(abs(entry.lastModified?.timeIntervalSinceNow ?? 1e9) < 600)
        }
        let one = stored.first!
        let narrowed = try await store.list(prefix: "sha256/\(one.sha256.prefix(2))/")
        #expect(narrowed.entries.map(\.key).contains(one))
        #expect(narrowed.entries.allSatisfy { $0.key.sha256.hasPrefix(one.sha256.prefix(2)) })
    }

    /// The signed payload hash is the blob's address, so S3 refuses bytes that do not match it;
    /// the multipart path checks the same itself, then aborts the upload.
    static func contentMustMatchItsAddress(_ store: S3BlobStore, _ f: StoreFixture) async throws {
        let wrong = TestBytes.key(Array("something else".utf8))
        await #expect(throws: WheelhouseError.self) { try await store.put(wrong, bytes: Array("these bytes".utf8)) }
        await #expect(throws: WheelhouseError.self) {
            try await store.put(wrong, contentsOfFile: try f.stage(TestBytes.random(count: 10_000, seed: 6)))
        }
        #expect(try await store.size(of: wrong) == nil)

        var small = store.configuration
        small.multipartThreshold = 6 << 20
        small.partSize = 5 << 20
        let multipart = try S3BlobStore(configuration: small, client: store.client)
        await #expect(throws: WheelhouseError.self) {
            try await multipart.put(wrong, contentsOfFile: try f.stage(TestBytes.random(count: 7 << 20, seed: 7)))
        }
        #expect(try await store.size(of: wrong) == nil)
        // The aborted upload is gone, not left holding its parts.
        let uploads = Operation(method: .GET, object: nil, query: [("uploads", ""), ("prefix", store.configuration.prefix)])
        let response = try await store.execute(uploads, timeout: .seconds(30))
        #expect(response.status.code == 200)
        #expect(!(try await store.collect(response, uploads)).contains(wrong.sha256))
    }

    /// Readiness trusts a recent successful answer (so a pool busy with streams cannot fail it);
    /// refusals and failures never count as one.
    static func answersVouchForReadiness(_ store: S3BlobStore, _ f: StoreFixture) async throws {
        let fresh = try S3BlobStore(configuration: store.configuration, client: store.client)
        #expect(!fresh.health.answeredRecently())
        #expect(try await fresh.size(of: TestBytes.key([7, 7, 7])) == nil)   // 404: an answer
        #expect(fresh.health.answeredRecently())
        let now = DispatchTime.now().uptimeNanoseconds
        #expect(!fresh.health.answeredRecently(now: now + EngineHealth.window))

        var configuration = store.configuration
        configuration.credentials.secretKey = "not-the-secret-\(UUID())"
        let impostor = try S3BlobStore(configuration: configuration, client: store.client)
        _ = try? await impostor.size(of: TestBytes.key([7, 7, 7]))   // 403
        #expect(!impostor.health.answeredRecently())
        await #expect(throws: WheelhouseError.self) { try await impostor.ping() }
    }

    static func wrongSecret(_ store: S3BlobStore, _ f: StoreFixture) async throws {
        var configuration = store.configuration
        configuration.credentials.secretKey = "not-the-secret-\(UUID())"
        let impostor = try S3BlobStore(configuration: configuration, client: store.client)
        do {
            try await impostor.ping()
            _ = try await impostor.size(of: TestBytes.key([1]))
            Issue.record("a wrong secret was accepted")
        } catch let error as WheelhouseError {
            #expect(error.code == .internalError)
            #expect(error.message.contains("403"))
            #expect(!error.message.contains(configuration.credentials.secretKey))
        }
    }

    typealias Operation = S3BlobStore.Operation
}

// MARK: - Fixtures

enum Backend: Sendable { case fileSystem, s3 }

/// A store under test, a staging folder for the files it is given, and a way to read blobs back.
struct StoreFixture: Sendable {
    let name: String
    let store: any BlobStore
    /// On the store's own filesystem for the filesystem store, so its rename stays atomic.
    let staging: String

    /// Writes `bytes` to a new staging file and returns its path.
    func stage(_ bytes: [UInt8]) throws -> String {
        let path = staging + "/stage-" + UUID().uuidString
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func readAll(_ key: BlobKey, range: Range<Int64>?) async throws -> [UInt8] {
        var out: [UInt8] = []
        try await store.read(key, range: range) { out.append(contentsOf: $0.readableBytesView) }
        return out
    }
}

/// The RADOS Gateway that scripts/test starts; separate variable names from the server's own
/// `WHEELHOUSE_S3_*`, so a developer's production settings never end up under test.
enum S3TestEnvironment {
    static let environment = ProcessInfo.processInfo.environment
    static var isConfigured: Bool {
        ["WHEELHOUSE_TEST_S3_URL", "WHEELHOUSE_TEST_S3_ACCESS_KEY", "WHEELHOUSE_TEST_S3_SECRET_KEY"]
            .allSatisfy { !(environment[$0] ?? "").isEmpty }
    }

    /// Each test gets its own prefix, so tests run in parallel and clean up only what they made.
    static func configuration() throws -> S3BlobStore.Configuration {
        var configuration = try S3BlobStore.configuration(
            url: environment["WHEELHOUSE_TEST_S3_URL"] ?? "",
            environment: [
                "WHEELHOUSE_S3_ACCESS_KEY": environment["WHEELHOUSE_TEST_S3_ACCESS_KEY"] ?? "",
                "WHEELHOUSE_S3_SECRET_KEY": environment["WHEELHOUSE_TEST_S3_SECRET_KEY"] ?? "",
            ])
        configuration.prefix += "conformance/\(UUID().uuidString.lowercased())/"
        return configuration
    }
}

func withStore(_ backend: Backend, _ body: (StoreFixture) async throws -> Void) async throws {
    switch backend {
    case .fileSystem:
        let dir = NSTemporaryDirectory() + "wheelhouse-blobs-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try FileSystemBlobStore(root: dir + "/blobs", staging: dir + "/staging")
        try await body(StoreFixture(name: "filesystem", store: store, staging: store.staging))
    case .s3:
        try await withS3Store { _, fixture in try await body(fixture) }
    }
}

/// An S3 store on a fresh prefix; afterwards every object under it is deleted (through `list`).
func withS3Store(_ body: (S3BlobStore, StoreFixture) async throws -> Void) async throws {
    let staging = NSTemporaryDirectory() + "wheelhouse-s3-staging-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
    // Shut down on every path below: AsyncHTTPClient traps on a client dropped while running.
    let client = S3BlobStore.makeClient()
    var failure: (any Error)? = nil
    do {
        let store = try S3BlobStore(configuration: S3TestEnvironment.configuration(), client: client)
        do {
            try await body(store, StoreFixture(name: "s3", store: store, staging: staging))
        } catch {
            failure = error
        }
        var continuation: String? = nil
        repeat {
            let page = try await store.list(continuation: continuation)
            for entry in page.entries { try await store.delete(entry.key) }
            continuation = page.continuation
        } while continuation != nil
    } catch {
        failure = failure ?? error
    }
    try? FileManager.default.removeItem(atPath: staging)
    try await client.shutdown()
    if let failure { throw failure }
}

/// Test content: deterministic, incompressible, and cheap to regenerate for any range.
enum TestBytes {
    static func random(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            if i % 8 == 0 {  // xorshift64
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
            }
            out[i] = UInt8(truncatingIfNeeded: state >> ((i % 8) * 8))
        }
        return out
    }

    static func key(_ bytes: [UInt8]) -> BlobKey {
        BlobKey(sha256: SigV4.hex(SHA256.hash(data: bytes)))!
    }

    /// The large file is 1 MiB blocks of one random block, each stamped with its index, so any
    /// range can be recomputed without keeping the file in memory.
    static let block = random(count: 1 << 20, seed: 99)

    static func largeFileBlock(_ index: Int) -> [UInt8] {
        var block = block
        withUnsafeBytes(of: UInt64(index).littleEndian) { stamp in
            for i in 0..<8 { block[i] = stamp[i] }
        }
        return block
    }

    static func largeFileBytes(_ range: Range<Int64>) -> [UInt8] {
        (range.lowerBound..<range.upperBound).map { offset in
            largeFileBlock(Int(offset >> 20))[Int(offset & 0xFFFFF)]
        }
    }

    /// Writes the large file block by block and returns its path and sha256.
    static func writeLargeFile(in folder: String, size: Int) throws -> (String, String) {
        let path = folder + "/large-" + UUID().uuidString
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256()
        var written = 0
        var index = 0
        while written < size {
            let chunk = largeFileBlock(index).prefix(size - written)
            hasher.update(data: chunk)
            try handle.write(contentsOf: chunk)
            written += chunk.count
            index += 1
        }
        return (path, SigV4.hex(hasher.finalize()))
    }
}

/// The test process's resident memory, from /proc (Linux).
enum ProcessMemory {
    /// Resets the kernel's peak-RSS mark (`VmHWM`) to the current RSS and returns that, in bytes.
    static func resetPeak() -> Int64 {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        return field("VmRSS")
    }

    /// The peak RSS since the last reset, in bytes.
    static func peak() -> Int64 { field("VmHWM") }

    static func field(_ name: String) -> Int64 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int64($0) })
        else { return 0 }
        return kib * 1024
    }
}
