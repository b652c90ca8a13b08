import NIOPosix
import PythonPackaging
import Synchronization
import WheelhouseCore

/// Reads core metadata out of archives (uploads, fetched wheels) on threads of its own, so archive
/// work never waits behind, nor holds up, the file reads of the shared thread pool that serve
/// downloads; and admits a bounded number at a time, answering 503 beyond (clients retry).
public final class ArchiveReader: Sendable {
    /// The one reader of the process.
    public static let shared = ArchiveReader(threads: 2, maxPending: 32)

    private let pool: NIOThreadPool
    private let pending = Mutex(0)
    private let maxPending: Int

    init(threads: Int, maxPending: Int) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        self.maxPending = maxPending
    }

    /// ``DistributionArchive/coreMetadata(atPath:filename:)`` on the reader's threads.
    /// - Throws: its `PackagingError`s, or ``WheelhouseError`` `unavailable` when too many are waiting.
    public func coreMetadata(atPath path: String, filename: DistributionFilename) async throws -> [UInt8] {
        let admitted = pending.withLock { count in
            guard count < maxPending else { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw WheelhouseError(.unavailable, "too many archives are being inspected; retry in a moment")
        }
        defer { pending.withLock { $0 -= 1 } }
        return try await pool.runIfActive { try DistributionArchive.coreMetadata(atPath: path, filename: filename) }
    }
}
