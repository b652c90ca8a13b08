import Logging
import NIOCore
import NIOHTTP1

/// Applies `ConnectionDeadlines` to one connection: two small handlers feed it (raw bytes and read
/// requests at the front of the pipeline, decoded request parts and finished responses after the
/// HTTP decoder) and one scheduled task closes the connection at its deadline.
///
/// The task is rescheduled only when a deadline moves earlier, or when it fires early; so a
/// kept-alive connection costs a few comparisons per request, not a timer per request.
final class ConnectionWatch: @unchecked Sendable {
    // @unchecked: every member is touched only on the channel's event loop (the handlers' callbacks
    // and the scheduled task run there).
    private var state: ConnectionDeadlines
    private var scheduled: (task: Scheduled<Void>, at: NIODeadline)?
    private let logger: Logger
    private weak var channel: (any Channel)?

    init(limits: ConnectionLimits, channel: any Channel, logger: Logger) {
        self.state = ConnectionDeadlines(limits: limits, openedAt: .now())
        self.channel = channel
        self.logger = logger
    }

    func update(_ change: (inout ConnectionDeadlines) -> Void) {
        change(&state)
        guard let deadline = state.deadline else { return }
        if let scheduled, scheduled.at <= deadline { return }   // fires first, then re-checks
        schedule(at: deadline)
    }

    func start() { update { _ in } }

    func stop() {
        scheduled?.task.cancel()
        scheduled = nil
    }

    private func schedule(at deadline: NIODeadline) {
        guard let channel else { return }
        scheduled?.task.cancel()
        let task = channel.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in
            scheduled = nil
            fire()
        }
        scheduled = (task, deadline)
    }

    private func fire() {
        guard let deadline = state.deadline else { return }
        if deadline <= .now() {
            logger.debug("closing connection", metadata: ["wh.reason": "\(state.reason)"])
            channel?.close(promise: nil)
        } else {
            schedule(at: deadline)
        }
    }
}

/// At the front of the pipeline: bytes from the client, and the server asking for more.
final class ConnectionBytesObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    let watch: ConnectionWatch

    init(_ watch: ConnectionWatch) { self.watch = watch }

    func handlerAdded(context: ChannelHandlerContext) { watch.start() }
    func handlerRemoved(context: ChannelHandlerContext) { watch.stop() }

    func channelInactive(context: ChannelHandlerContext) {
        watch.stop()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = NIODeadline.now()
        watch.update { $0.bytesRead(at: now) }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        watch.update { $0.readRequested(at: now) }
        context.read()
    }
}

/// Right after the HTTP/1 decoder: where a request's head and end arrive and a response ends.
final class ConnectionPartsObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    let watch: ConnectionWatch

    init(_ watch: ConnectionWatch) { self.watch = watch }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: watch.update { $0.headReceived() }
        case .end: watch.update { $0.requestEnded() }
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            let now = NIODeadline.now()
            watch.update { $0.responseEnded(at: now) }
        }
        context.write(data, promise: promise)
    }
}
