import Foundation
import NIOCore
import WheelhouseCore
import _NIOFileSystem

/// One upstream file being fetched into a staging file, readable while it fills.
///
/// The downloader advances `written` only after bytes reached the file, so a reader never reads
/// past what is there. Readers that attach late read the same file from the start: every client
/// gets the same bytes, and a failure aborts them all before their declared length.
public actor InflightDownload {
    public enum State: Sendable, Equatable {
        /// Waiting for the lease or the upstream's response head.
        case starting
        /// Bytes are arriving; `length` from the upstream or the page, when known.
        case streaming(length: Int64?)
        /// Verified and committed under this sha256: read from the blob store from now on.
        case completed(sha256: String)
        /// Another node fetched it (cluster): read from the blob store.
        case completedElsewhere
        case failed(String)

        var isTerminal: Bool {
            switch self {
            case .starting, .streaming: false
            default: true
            }
        }
    }

    public let stagingPath: String
    public private(set) var state: State = .starting
    public private(set) var written: Int64 = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(stagingPath: String) {
        self.stagingPath = stagingPath
    }

    // MARK: downloader side

    func started(length: Int64?) {
        state = .streaming(length: length)
        wake()
    }

    func advanced(to total: Int64) {
        written = total
        wake()
    }

    func finish(_ final: State) {
        state = final
        wake()
    }

    private func wake() {
        let w = waiters
        waiters.removeAll()
        for c in w { c.resume() }
    }

    // MARK: reader side

    /// Waits until the response head is known or the download ended.
    public func head() async -> State {
        while state == .starting { await wait() }
        return state
    }

    /// Waits until more than `offset` bytes are written, or the download ended; returns the current state.
    public func progress(beyond offset: Int64) async -> (written: Int64, state: State) {
        while written <= offset, !state.isTerminal { await wait() }
        return (written, state)
    }

    private func wait() async {
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Streams `range` (or everything) of the file as it fills. Throws when the download fails,
    /// so the response ends before its declared length and no client mistakes it for complete.
    /// - Returns: false when the staging file was already gone (committed meanwhile): read the blob instead.
    public nonisolated func stream(range: Range<Int64>?, to body: (ByteBuffer) async throws -> Void) async throws -> Bool {
        switch await head() {
        case .failed(let reason): throw WheelhouseError(.badGateway, "upstream download failed: \(reason)")
        case .completed, .completedElsewhere: return false
        case .starting, .streaming: break
        }
        let handle: ReadFileHandle
        do {
            handle = try await FileSystem.shared.openFile(forReadingAt: FilePath(stagingPath))
        } catch {
            // Committed (moved into the blob store) between our look and the open: wait for the end.
            let (_, state) = await progress(beyond: .max)
            if case .failed(let reason) = state { throw WheelhouseError(.badGateway, "upstream download failed: \(reason)") }
            return false
        }
        do {
            var offset = range?.lowerBound ?? 0
            let end = range?.upperBound ?? .max
            while offset < end {
                let (written, state) = await progress(beyond: offset)
                if case .failed(let reason) = state {
                    throw WheelhouseError(.badGateway, "upstream download failed: \(reason)")
                }
                let upTo = min(written, end)
                if upTo > offset {
                    for try await chunk in handle.readChunks(in: offset..<upTo, chunkLength: .kibibytes(256)) {
                        try await body(chunk)
                        offset += Int64(chunk.readableBytes)
                    }
                } else if state.isTerminal {
                    break
                }
            }
            try await handle.close()
            return true
        } catch {
            try? await handle.close()
            throw error
        }
    }
}
