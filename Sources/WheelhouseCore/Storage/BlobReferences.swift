import Foundation

/// The part of the metadata store that keeps blob deletion safe against concurrent writers.
///
/// The invariant: **a row never points at missing bytes.** Blobs are content-addressed and shared
/// (the same bytes uploaded to two repositories, or cached and uploaded, are one blob), so "this
/// file's bytes are no longer needed" can only be decided against every writer on every node. Two
/// records in the metadata store make that decision safe:
///
/// - a **claim** `(sha256, writer, until)`: a writer's promise that a row naming the blob will exist
///   before `until`. Every writer claims a blob *before* it checks whether the bytes are present and
///   puts them, inserts its row before the claim expires, and then releases its claim (the row
///   protects the bytes from then on; a writer that dies leaves a claim that expires).
/// - a **collection mark** `(sha256, collector, since)`: a collector is deleting the blob's bytes.
///   A blob has at most one mark; a collector marks only blobs no other collector holds a fresh mark
///   on, and removes only its own marks, so two collectors never delete under each other's feet.
///
/// Marking and claiming exclude each other per blob (one transaction each, serialized per sha256):
/// a blob is marked only when no row references it and no claim is live; a claim is refused while
/// a fresh mark exists. So a writer either claims first (and the collector leaves the bytes alone),
/// or claims after the collector finished (and finds the bytes absent and writes them again). A mark
/// older than ``markStaleAfter`` belongs to a collector that died; a claim removes it.
public protocol BlobReferenceStore: Sendable {
    /// Claims the blobs for writer `claim` for `ttl`; false when a collector is deleting one of them
    /// (retry shortly).
    func tryClaimBlobs(_ sha256s: [String], claim: String, for ttl: Duration) async throws -> Bool
    /// Drops writer `claim`'s claims (after its row was inserted, or when it gave up).
    func releaseBlobClaim(_ claim: String) async throws
    /// Marks for `collector`, of `candidates`, the blobs no row references, no live claim protects
    /// and no other collector holds a fresh mark on; returns them.
    func markBlobsForCollection(_ candidates: [String], collector: String) async throws -> [String]
    /// Removes `collector`'s marks (after the bytes were deleted, or when it gives up).
    func unmarkBlobs(_ sha256s: [String], collector: String) async throws
    /// Forgets expired claims; returns how many.
    func purgeExpiredBlobClaims() async throws -> Int
    /// Whether any distribution of any repository references a blob, or a live claim protects it.
    func isBlobReferenced(sha256: String) async throws -> Bool
}

/// The time limits of blob collection.
public enum BlobReferences {
    /// How long a writer's claim lasts: far longer than any upload or fetch takes from claim to row.
    public static let claimTTL: Duration = .seconds(6 * 3600)
    /// A writer gives up (503, which clients retry) rather than insert a row this late after its claim.
    public static let claimUsableFor: Duration = .seconds(5 * 3600)
    /// A collection mark older than this belongs to a collector that died; claims ignore it.
    public static let markStaleAfter: Duration = .seconds(600)
    /// A collector stops deleting once this long has passed since it marked (well inside `markStaleAfter`).
    public static let collectorDeadline: Duration = .seconds(120)
    /// How long a writer waits for a collector to finish deleting a blob it wants.
    public static let claimWait: Duration = .seconds(15)

    /// Runs `body` (put the bytes, insert the row) under a claim on `sha256s`, taken before their
    /// bytes are checked or written, waiting (bounded) while a collector deletes one of them; the
    /// claim is released afterwards, whatever `body` did.
    public static func withClaim<T: Sendable>(
        on sha256s: [String], in store: any BlobReferenceStore, _ body: (_ claim: BlobClaim) async throws -> T
    ) async throws -> T {
        let claim = try await BlobClaim.take(Array(Set(sha256s)).sorted(), in: store)
        do {
            let result = try await body(claim)
            try? await store.releaseBlobClaim(claim.id)
            return result
        } catch {
            try? await store.releaseBlobClaim(claim.id)
            throw error
        }
    }
}

/// A writer's claim on blobs (see ``BlobReferenceStore``).
public struct BlobClaim: Sendable {
    public let id: String
    let takenAt: ContinuousClock.Instant

    /// Claims until the claim expires; ``BlobReferences/withClaim(on:in:_:)`` is what writers of rows use.
    public static func take(_ sha256s: [String], in store: any BlobReferenceStore) async throws -> BlobClaim {
        let clock = ContinuousClock()
        let id = UUID().uuidString
        let start = clock.now
        while true {
            if try await store.tryClaimBlobs(sha256s, claim: id, for: BlobReferences.claimTTL) {
                return BlobClaim(id: id, takenAt: clock.now)
            }
            guard clock.now - start < BlobReferences.claimWait else {
                throw WheelhouseError(.unavailable, "the file's bytes are being garbage-collected; retry in a moment")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Throws when the claim may no longer protect the bytes: call it before inserting the row.
    public func ensureUsable() throws {
        guard ContinuousClock().now - takenAt < BlobReferences.claimUsableFor else {
            throw WheelhouseError(.unavailable, "storing the file took too long; retry the upload")
        }
    }
}
