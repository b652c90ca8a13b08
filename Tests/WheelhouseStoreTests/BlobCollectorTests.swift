import Foundation
import Testing
@testable import WheelhouseBlobs
import WheelhouseCore

/// The garbage collector against each real blob store, with the SQLite metadata store: it deletes
/// exactly the blobs no row references and no claim protects, lists every blob, and a dry run
/// deletes nothing.
@Suite("BlobCollector")
struct BlobCollectorTests {
    @Test func fileSystem() async throws { try await withStore(.fileSystem, Self.collectsOnlyUnreferenced) }

    @Test(.enabled(if: S3TestEnvironment.isConfigured, "needs WHEELHOUSE_TEST_S3_URL and its keys"))
    func s3() async throws { try await withStore(.s3, Self.collectsOnlyUnreferenced) }

    /// Pages of whole fan-out directories: every blob exactly once, whatever the page size.
    @Test func fileSystemListingPages() async throws {
        let dir = NSTemporaryDirectory() + "wheelhouse-list-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var store = try FileSystemBlobStore(root: dir + "/blobs", staging: dir + "/staging")
        store.listPageSize = 2
        var keys: Set<String> = []
        for index in 0..<25 {
            let bytes = TestBytes.random(count: 50, seed: UInt64(1000 + index))
            try await store.put(TestBytes.key(bytes), bytes: bytes)
            keys.insert(TestBytes.key(bytes).sha256)
        }
        var listed: [String] = []
        var continuation: String? = nil
        var pages = 0
        repeat {
            let page = try await store.listBlobs(continuation: continuation)
            listed += page.entries.map(\.key.sha256)
            continuation = page.continuation
            pages += 1
        } while continuation != nil && pages < 100
        #expect(listed.count == keys.count && Set(listed) == keys)
        #expect(pages > 5)
    }

    static func collectsOnlyUnreferenced(_ f: StoreFixture) async throws {
        try await withMetadataStore(.sqlite) { metadata in
            let repo = try await metadata.createRepository(name: "local", kind: .local, settings: RepositorySettings())
            // Enough blobs to span several fan-out directories (filesystem) and batches.
            var keys: [BlobKey] = []
            for index in 0..<12 {
                let bytes = TestBytes.random(count: 100 + index, seed: UInt64(index))
                let key = TestBytes.key(bytes)
                try await f.store.put(key, contentsOfFile: f.stage(bytes))
                keys.append(key)
            }
            // keys[0] is a file's, keys[1] its metadata's, keys[2] claimed by a writer; the rest are loose.
            var record = Sample.record(repo.id, version: "1.0", metadataSHA256: keys[1].sha256)
            record.sha256 = keys[0].sha256
            _ = try await Sample.add(metadata, record)
            #expect(try await metadata.tryClaimBlobs([keys[2].sha256], claim: "test", for: .seconds(600)))
            // Another collector's fresh mark keeps this run away from keys[3] (it is that collector's to delete).
            #expect(try await metadata.markBlobsForCollection([keys[3].sha256], collector: "other") == [keys[3].sha256])
            let loose = Set(keys[4...].map(\.sha256))

            var collector = BlobCollector(blobs: f.store, references: metadata, grace: .seconds(0))
            collector.batchSize = 4
            // Young blobs are left alone whatever their references say.
            let young = try await BlobCollector(blobs: f.store, references: metadata, grace: .seconds(3600)).run(dryRun: false)
            #expect(young.collected == 0 && young.blobs == 12)

            let dry = try await collector.run(dryRun: true, now: Date().addingTimeInterval(5))
            #expect(dry.blobs == 12)
            #expect(Set(dry.sample) == loose.union([keys[3].sha256]), "a dry run only reads references")
            for key in keys { #expect(try await f.store.size(of: key) != nil, "a dry run deleted \(key)") }

            let report = try await collector.run(dryRun: false, now: Date().addingTimeInterval(5))
            #expect(report.collected == loose.count)
            #expect(report.collectedBytes == keys[4...].reduce(0) { $0 + Int64(100 + keys.firstIndex(of: $1)!) })
            for (index, key) in keys.enumerated() {
                #expect(try await (f.store.size(of: key) != nil) == (index < 4), "blob \(index)")
            }
            // Marks are gone after a run: a writer can claim a collected blob again.
            #expect(try await metadata.tryClaimBlobs([keys[5].sha256], claim: "test", for: .seconds(1)))
        }
    }
}
