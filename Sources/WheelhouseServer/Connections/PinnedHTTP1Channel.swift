import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 channel, with each connection's task run on the connection's own event
/// loop. Without this the task runs on Swift's global executor, and every request crosses threads
/// several times (the request part from the event loop to the task, each response write back),
/// each crossing a wake-up of another thread (a futex or an eventfd) and often a context switch:
/// `strace -c` under wrk counted 1.4 futex calls per kept-alive request, 0.13 pinned, and the server's
/// CPU per request fell to 0.85× (docs/benchmarks.md).
/// The handler code is unchanged: whatever it awaits on other executors (actors, the database
/// pool, the thread pool) still runs there and comes back to the loop.
///
/// Each connection is also held to `ConnectionLimits`: its address's connection count, and the
/// deadlines of `ConnectionDeadlines` (a slowloris head, an idle keep-alive, a stalled body).
struct PinnedHTTP1Channel: ServerChildChannel {
    let base: HTTP1Channel
    let limits: ConnectionLimits
    let perAddress: AddressConnectionCounter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        let admitted = perAddress.admit(channel)
        let watch = ConnectionWatch(limits: limits, channel: channel, logger: logger)
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(ConnectionBytesObserver(watch), position: .first)
            let decoder = try pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(ConnectionPartsObserver(watch), position: .after(decoder.handler))
            let encoder = try pipeline.handler(type: HTTPResponseEncoder.self)
            try pipeline.addHandler(ReasonPhraseHandler(), position: .after(encoder))
            if !admitted {
                // Closed rather than failed: a failed child initializer is reported to the
                // listening channel, whose accept loop must not see it.
                logger.debug("too many connections from one address", metadata: ["wh.client": "\(channel.remoteAddress?.ipAddress ?? "-")"])
                channel.close(promise: nil)
            }
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with each connection's task pinned to its event loop (see `PinnedHTTP1Channel`).
    public static func pinnedHTTP1(configuration: HTTP1Channel.Configuration = .init(), limits: ConnectionLimits = .init()) -> HTTPServerBuilder {
        .init { responder in
            PinnedHTTP1Channel(
                base: HTTP1Channel(responder: responder, configuration: configuration), limits: limits,
                perAddress: AddressConnectionCounter(limit: limits.maxConnectionsPerAddress))
        }
    }
}

/// A task executor that runs jobs on one NIO event loop.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `eventLoop` is immutable and event loops are thread-safe to enqueue on.
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
