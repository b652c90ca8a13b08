import Hummingbird
import NIOCore

/// Writes a streamed response's chunks without queueing more than a few ahead of its connection.
///
/// Hummingbird's body writer returns as soon as a chunk is handed to the channel's writer, and the
/// channel learns it is full only when its event loop has processed the writes. A producer that
/// reads from disk (or S3) faster than a busy event loop writes can therefore queue chunks without
/// bound: 32 concurrent downloads of a 50 MiB file held ~10 MiB each (peak RSS 684–758 MiB).
/// Before each chunk after the first, the pacer enqueues a marker task on the connection's event loop
/// (FIFO, behind the writes so far) and waits for the marker `window` chunks back, so at most `window`
/// chunks wait for the event loop and the channel's writability, and so the socket, sets the pace. A
/// response of one chunk (most files of an index) costs no marker. Measured in the same run: peak RSS
/// ~100 MiB and no loss of throughput (docs/benchmarks.md).
struct OutboundPacer: Sendable {
    let eventLoop: any EventLoop
    let window: Int
    private var markers: [EventLoopFuture<Void>] = []
    private var started = false

    init(eventLoop: any EventLoop, window: Int = 4) {
        precondition(window > 0)
        self.eventLoop = eventLoop
        self.window = window
    }

    /// Writes `chunk` once at most `window` earlier chunks are still ahead of the event loop.
    mutating func write(_ chunk: ByteBuffer, to writer: inout any ResponseBodyWriter) async throws {
        if started {
            markers.append(eventLoop.submit {})
            if markers.count >= window {
                try await markers.removeFirst().get()
            }
        }
        started = true
        try await writer.write(chunk)
    }
}
