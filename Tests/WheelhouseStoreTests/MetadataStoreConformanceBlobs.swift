import Foundation
import Testing
import WheelhouseCore

/// What every `MetadataStore` must do for blob collection: claims and collection marks exclude
/// each other per blob, and a row or a live claim keeps a blob from being marked.
enum BlobReferenceContract {
    static func claimsAndMarks(_ store: any MetadataStore) async throws {
        let repo = try await store.createRepository(name: "local", kind: .local, settings: RepositorySettings())
        let row = try await Sample.add(store, Sample.record(repo.id, version: "1.0", metadataSHA256: Sample.sha256("meta")))
        let loose = Sample.sha256("loose")
        // A row's blob and its metadata blob are referenced; a loose blob is not.
        #expect(try await store.markBlobsForCollection([row.sha256, Sample.sha256("meta"), loose], collector: "gc") == [loose])
        #expect(try await store.isBlobReferenced(sha256: row.sha256))
        #expect(try await !store.isBlobReferenced(sha256: loose))
        // While marked, a writer cannot claim it (it must wait for the collector to finish)…
        #expect(try await !store.tryClaimBlobs([loose, Sample.sha256("other")], claim: "writer", for: .seconds(60)))
        // …and the refused claim took nothing: "other" is still free.
        #expect(try await store.markBlobsForCollection([Sample.sha256("other")], collector: "gc") == [Sample.sha256("other")])
        try await store.unmarkBlobs([loose, Sample.sha256("other")], collector: "gc")
        // Unmarked, a claim succeeds, and a claimed blob is referenced and cannot be marked.
        #expect(try await store.tryClaimBlobs([loose], claim: "writer", for: .seconds(60)))
        #expect(try await store.isBlobReferenced(sha256: loose))
        #expect(try await store.markBlobsForCollection([loose], collector: "gc").isEmpty)
        // Claiming again extends, never shortens; another writer's claim is its own.
        #expect(try await store.tryClaimBlobs([loose], claim: "writer", for: .milliseconds(1)))
        #expect(try await store.tryClaimBlobs([loose], claim: "second", for: .seconds(60)))
        #expect(try await store.markBlobsForCollection([loose], collector: "gc").isEmpty)
        try await store.releaseBlobClaim("writer")
        #expect(try await store.markBlobsForCollection([loose], collector: "gc").isEmpty, "released the other writer's claim too")
        try await store.releaseBlobClaim("second")
        #expect(try await store.markBlobsForCollection([loose], collector: "gc") == [loose])
        // Once the file is deleted, its blob can be marked.
        _ = try await store.deleteDistributions(repository: repo.id, DistributionSelector(project: "demo-pkg", version: "1.0", filename: nil))
        #expect(try await store.markBlobsForCollection([row.sha256], collector: "gc") == [row.sha256])
        // A second collector leaves a blob another one holds alone, and cannot unmark it.
        #expect(try await store.markBlobsForCollection([row.sha256], collector: "gc2").isEmpty)
        try await store.unmarkBlobs([row.sha256], collector: "gc2")
        #expect(try await !store.tryClaimBlobs([row.sha256], claim: "late", for: .seconds(60)))
        try await store.unmarkBlobs([row.sha256], collector: "gc")
        #expect(try await store.tryClaimBlobs([row.sha256], claim: "late", for: .seconds(60)))
    }

    static func expiredClaims(_ store: any MetadataStore) async throws {
        let sha = Sample.sha256("short-lived")
        #expect(try await store.tryClaimBlobs([sha], claim: "writer", for: .seconds(1)))
        #expect(try await store.markBlobsForCollection([sha], collector: "gc").isEmpty)
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await store.purgeExpiredBlobClaims() == 1)
        #expect(try await store.markBlobsForCollection([sha], collector: "gc") == [sha])
    }

    /// A claim and a mark of the same blob racing (from two pools, as two nodes would): never both win.
    static func claimRacesMark(_ stores: [any MetadataStore]) async throws {
        for round in 0..<40 {
            let sha = Sample.sha256("race-\(round)")
            async let claimed = stores[0].tryClaimBlobs([sha], claim: "writer-\(round)", for: .seconds(60))
            async let marked = stores[stores.count - 1].markBlobsForCollection([sha], collector: "gc")
            let (didClaim, didMark) = try await (claimed, marked)
            #expect(didClaim != (didMark == [sha]), "round \(round): claimed \(didClaim), marked \(didMark)")
        }
    }
}
