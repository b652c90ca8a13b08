import Foundation
import NIOCore
import Testing
import WheelhouseBlobs
import WheelhouseCore
import WheelhouseTestSupport

/// The per-node memory cache of small blobs, in front of the real filesystem store. A cached blob is
/// served without the store: the tests take the file away behind the store's back to see which
/// reads still reach it.
@Suite struct CachingBlobStoreTests {
    struct Fixture {
        let directory: String
        let files: FileSystemBlobStore

        init() throws {
            directory = try WheelBuilder.temporaryDirectory()
            files = try FileSystemBlobStore(root: directory + "/blobs", staging: directory + "/tmp")
        }

        /// Stores `count` bytes (a pattern that differs per `seed`) and returns their key.
        func put(_ count: Int, seed: UInt8 = 0) async throws -> (BlobKey, [UInt8]) {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
            var digest = DigestAccumulator()
            bytes.withUnsafeBytes { digest.update($0) }
            let key = try #require(BlobKey(sha256: digest.finalize().sha256))
            try await files.put(key, bytes: bytes)
            return (key, bytes)
        }

        /// Removes the blob's file without telling any store.
        func vanish(_ key: BlobKey) throws {
            try FileManager.default.removeItem(atPath: files.root + "/" + key.path)
        }
    }

    func read(_ store: any BlobStore, _ key: BlobKey, range: Range<Int64>? = nil) async throws -> [UInt8] {
        var out: [UInt8] = []
        try await store.read(key, range: range) { out.append(contentsOf: $0.readableBytesView) }
        return out
    }

    @Test func aSmallBlobReadOnceIsServedFromMemory() async throws {
        let f = try Fixture()
        let cache = CachingBlobStore(f.files)
        let (key, bytes) = try await f.put(1000)
        #expect(try await read(cache, key) == bytes)
        try f.vanish(key)
        #expect(try await read(cache, key) == bytes)
        #expect(try await read(cache, key, range: 10..<20) == Array(bytes[10..<20]))
        #expect(try await read(cache, key, range: 990..<5000) == Array(bytes[990...]))
        #expect(try await cache.size(of: key) == 1000)
    }

    @Test func rangedAndLargeReadsAreNotKept() async throws {
        let f = try Fixture()
        let cache = CachingBlobStore(f.files, budget: 1 << 20, maxItem: 4096)
        let (small, smallBytes) = try await f.put(1000)
        let (large, largeBytes) = try await f.put(4097, seed: 1)
        #expect(try await read(cache, small, range: 0..<10) == Array(smallBytes[0..<10]))
        #expect(try await read(cache, large) == largeBytes)
        try f.vanish(small)
        try f.vanish(large)
        await #expect(throws: WheelhouseError.self) { try await read(cache, small) }
        await #expect(throws: WheelhouseError.self) { try await read(cache, large) }
    }

    @Test func deletingForgetsTheBytes() async throws {
        let f = try Fixture()
        let cache = CachingBlobStore(f.files)
        let (key, _) = try await f.put(100)
        _ = try await read(cache, key)
        try await cache.delete(key)
        await #expect(throws: WheelhouseError.self) { try await read(cache, key) }
        #expect(try await cache.size(of: key) == nil)
    }

    /// A read that fails after its first chunk stores nothing: the next read goes to the store.
    @Test func aFailedReadIsNotKept() async throws {
        struct Cut: Error {}
        struct CutAfterFirstChunk: BlobStore {
            let base: FileSystemBlobStore
            func read(_ key: BlobKey, range: Range<Int64>?, into body: (ByteBuffer) async throws -> Void) async throws {
                try await base.read(key, range: range) { chunk in
                    try await body(chunk.getSlice(at: chunk.readerIndex, length: chunk.readableBytes / 2)!)
                    throw Cut()
                }
            }
            func size(of key: BlobKey) async throws -> Int64? { try await base.size(of: key) }
            func put(_ key: BlobKey, contentsOfFile path: String) async throws { try await base.put(key, contentsOfFile: path) }
            func put(_ key: BlobKey, bytes: [UInt8]) async throws { try await base.put(key, bytes: bytes) }
            func delete(_ key: BlobKey) async throws { try await base.delete(key) }
            func ping() async throws {}
            func listBlobs(continuation: String?) async throws -> BlobListing { try await base.listBlobs(continuation: continuation) }
        }
        let f = try Fixture()
        let cache = CachingBlobStore(CutAfterFirstChunk(base: f.files))
        let (key, _) = try await f.put(1000)
        await #expect(throws: Cut.self) { try await read(cache, key) }
        try f.vanish(key)
        await #expect(throws: WheelhouseError.self) { try await read(cache, key) }
    }

    /// Memory stays within the budget; blobs in use survive the turnover, unused ones age out.
    @Test func theBudgetHoldsAndUsedBlobsStay() async throws {
        let f = try Fixture()
        let cache = CachingBlobStore(f.files, budget: 40_000, maxItem: 4_000)
        let (hot, hotBytes) = try await f.put(3_000, seed: 200)
        let (cold, _) = try await f.put(3_000, seed: 201)
        _ = try await read(cache, hot)
        _ = try await read(cache, cold)
        for seed in 0..<40 {
            let (key, _) = try await f.put(3_000, seed: UInt8(seed))
            _ = try await read(cache, key)
            _ = try await read(cache, hot)
            #expect(cache.heldBytes <= 40_000)
        }
        try f.vanish(hot)
        try f.vanish(cold)
        #expect(try await read(cache, hot) == hotBytes)
        await #expect(throws: WheelhouseError.self) { try await read(cache, cold) }
    }

    @Test func aZeroBudgetKeepsNothing() async throws {
        let f = try Fixture()
        let cache = CachingBlobStore(f.files, budget: 0)
        let (key, _) = try await f.put(10)
        _ = try await read(cache, key)
        try f.vanish(key)
        await #expect(throws: WheelhouseError.self) { try await read(cache, key) }
    }
}
