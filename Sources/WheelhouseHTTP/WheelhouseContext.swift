import Hummingbird
import Logging
import NIOCore

/// The request context: Hummingbird's core storage plus the client address (for logs and audit).
public struct WheelhouseContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }
}
