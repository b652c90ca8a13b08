import NIOCore
import NIOHTTP1
import WheelhouseHTTP

/// Puts an error's message in the status line (`HTTP/1.1 400 File already exists: …`).
///
/// twine without `--verbose`, hatch and pdm print only the status line of a failed upload, and
/// twine's `--skip-existing` looks there for "already exist". NIO's conversion from HTTPTypes keeps
/// the standard phrase of every known status code, so the responder passes the phrase in an
/// internal header, and this handler (between the HTTP/1 encoder and that conversion) moves it
/// into the status line. The header never leaves the server.
final class ReasonPhraseHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data), let phrase = head.headers.first(name: Responses.reasonHeader) else {
            context.write(data, promise: promise)
            return
        }
        head.headers.remove(name: Responses.reasonHeader)
        head.status = .custom(code: head.status.code, reasonPhrase: phrase)
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}
