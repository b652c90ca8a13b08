import Hummingbird
import Logging
import NIOCore

/// The request context: Hummingbird's core storage plus the client address (for logs and audit).
public struct WheelhouseContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: String?
    /// The connection's event loop, to pace streamed responses (see `OutboundPacer`).
    public let eventLoop: any EventLoop

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
        eventLoop = source.channel.eventLoop
    }
}
