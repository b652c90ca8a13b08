import Foundation

/// The garbage collector of blobs: deletes bytes that no row references and no writer has claimed,
/// and that are older than a grace period (see ``BlobReferenceStore`` for why this is safe while
/// other nodes upload). File deletes never remove bytes themselves; this is the only deleter.
///
/// Safe to run on several nodes at once: each run marks under an id of its own, never marks a blob
/// another run holds, and removes only its own marks.
public struct BlobCollector: Sendable {
    public let blobs: any BlobStore
    public let references: any BlobReferenceStore
    /// Blobs younger than this are left alone whatever their references say (defence in depth).
    public var grace: Duration
    /// Blobs marked per transaction: small, since writers of a marked blob wait until it is deleted.
    public var batchSize = 10
    /// This run's mark owner.
    let id = "gc-" + UUID().uuidString

    public init(blobs: any BlobStore, references: any BlobReferenceStore, grace: Duration) {
        self.blobs = blobs
        self.references = references
        self.grace = grace
    }

    /// What a run found and did.
    public struct Report: Codable, Sendable, Equatable {
        public var dryRun: Bool
        /// Blobs in the store, and their bytes.
        public var blobs = 0
        public var bytes: Int64 = 0
        /// Blobs deleted (or, in a dry run, that would be), and their bytes.
        public var collected = 0
        public var collectedBytes: Int64 = 0
        /// Up to 100 of the collected blobs' sha256, for the operator.
        public var sample: [String] = []
        /// Expired writer claims forgotten.
        public var expiredClaims = 0
    }

    public func run(dryRun: Bool, now: Date = Date()) async throws -> Report {
        var report = Report(dryRun: dryRun)
        let cutoff = now.addingTimeInterval(-grace.timeInterval)
        var continuation: String? = nil
        repeat {
            let page = try await blobs.listBlobs(continuation: continuation)
            report.blobs += page.entries.count
            report.bytes += page.entries.reduce(0) { $0 + $1.size }
            // A blob without a known age is never collected.
            let old = page.entries.filter { ($0.lastModified ?? .distantFuture) < cutoff }
            for start in stride(from: 0, to: old.count, by: batchSize) {
                let batch = Array(old[start..<min(start + batchSize, old.count)])
                let collected = dryRun ? try await unreferenced(batch) : try await collect(batch)
                for entry in collected {
                    report.collected += 1
                    report.collectedBytes += entry.size
                    if report.sample.count < 100 { report.sample.append(entry.key.sha256) }
                }
            }
            continuation = page.continuation
        } while continuation != nil
        if !dryRun {
            report.expiredClaims = try await references.purgeExpiredBlobClaims()
        }
        return report
    }

    private func unreferenced(_ batch: [BlobListing.Entry]) async throws -> [BlobListing.Entry] {
        var out: [BlobListing.Entry] = []
        for entry in batch where try await !references.isBlobReferenced(sha256: entry.key.sha256) {
            out.append(entry)
        }
        return out
    }

    /// Marks the batch, deletes what was marked, unmarks. Stops deleting past the deadline, so a
    /// collector that was paused never deletes under a mark that writers already consider dead.
    private func collect(_ batch: [BlobListing.Entry]) async throws -> [BlobListing.Entry] {
        let clock = ContinuousClock()
        let markedAt = clock.now
        var marked = Set(try await references.markBlobsForCollection(batch.map(\.key.sha256), collector: id))
        guard !marked.isEmpty else { return [] }
        var deleted: [BlobListing.Entry] = []
        do {
            for entry in batch where marked.contains(entry.key.sha256) {
                guard clock.now - markedAt < BlobReferences.collectorDeadline else { break }
                do {
                    try await blobs.delete(entry.key)
                    deleted.append(entry)
                } catch let error as WheelhouseError where error.code == .notFound {
                    // Already gone: nothing to free.
                }
                // A writer waiting for this blob may go on now.
                try await references.unmarkBlobs([entry.key.sha256], collector: id)
                marked.remove(entry.key.sha256)
            }
        } catch {
            try? await references.unmarkBlobs(Array(marked), collector: id)
            throw error
        }
        // Past the deadline: let the rest go at once.
        if !marked.isEmpty { try await references.unmarkBlobs(Array(marked), collector: id) }
        return deleted
    }
}
