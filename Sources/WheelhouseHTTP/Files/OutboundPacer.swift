import NIOCore

/// Keeps a streamed response from queueing more than a few chunks ahead of its connection.
///
/// Hummingbird's body writer returns as soon as a chunk is handed to the channel's writer, and the
/// channel learns it is full only when its event loop has processed the writes. A producer that
/// reads from disk (or S3) faster than a busy event loop writes can therefore queue chunks without
/// bound: 32 concurrent downloads of a 50 MiB file held ~10 MiB each (peak RSS 684–758 MiB).
/// After each chunk the pacer enqueues a marker task on the connection's event loop (FIFO, behind
/// the write) and waits for the marker `window` chunks back, so at most `window` chunks wait for the
/// event loop and the channel's writability, and so the socket, sets the pace. Measured in the same
/// run: peak RSS ~100 MiB and no loss of throughput (docs/benchmarks.md).
struct OutboundPacer: Sendable {
    let eventLoop: (any EventLoop)?
    let window: Int
    private var markers: [EventLoopFuture<Void>] = []

    init(eventLoop: (any EventLoop)?, window: Int = 4) {
        precondition(window > 0)
        self.eventLoop = eventLoop
        self.window = window
    }

    /// Call after each chunk written; returns once at most `window` chunks are ahead of the event loop.
    mutating func wrote() async throws {
        guard let eventLoop else { return }
        markers.append(eventLoop.submit {})
        if markers.count >= window {
            try await markers.removeFirst().get()
        }
    }
}
