import NIOCore

/// When a connection must be closed for lack of progress: a pure value fed with the connection's
/// events (bytes read, request parts decoded, responses finished) that answers with its deadline.
///
/// - Waiting for a head: `headerTimeout` from the connection's opening; on a kept-alive connection
///   `idleTimeout` from the end of the last response until the next request's first byte, then
///   `headerTimeout` from that byte.
/// - Reading a body: only while the server waits for bytes (a read is pending) and none come for
///   `idleTimeout`; a handler slow to consume (backpressure) is never the client's fault.
/// - Responding (the request is read): no deadline; the socket paces a slow reader.
struct ConnectionDeadlines {
    let limits: ConnectionLimits
    /// Requests whose head arrived and whose response has not ended.
    private(set) var requestsOpen = 0
    /// A request's head arrived but not yet its end.
    private(set) var readingBody = false
    /// When the connection began waiting for the next head, and whether it was kept alive.
    private var waitingSince: NIODeadline
    private var keptAlive = false
    /// The first byte of the next request (kept-alive connections).
    private var firstByte: NIODeadline?
    /// Since when the server has been waiting for body bytes.
    private var readPendingSince: NIODeadline?

    init(limits: ConnectionLimits, openedAt now: NIODeadline) {
        self.limits = limits
        self.waitingSince = now
    }

    var awaitingHead: Bool { requestsOpen == 0 && !readingBody }

    /// Bytes arrived from the client.
    mutating func bytesRead(at now: NIODeadline) {
        readPendingSince = nil
        if awaitingHead, keptAlive, firstByte == nil { firstByte = now }
    }

    /// The server asked the socket for more bytes.
    mutating func readRequested(at now: NIODeadline) {
        if readingBody, readPendingSince == nil { readPendingSince = now }
    }

    mutating func headReceived() {
        requestsOpen += 1
        readingBody = true
        readPendingSince = nil
    }

    mutating func requestEnded() {
        readingBody = false
        readPendingSince = nil
    }

    mutating func responseEnded(at now: NIODeadline) {
        requestsOpen = max(0, requestsOpen - 1)
        if awaitingHead {
            waitingSince = now
            keptAlive = true
            firstByte = nil
        }
    }

    /// When the connection is to be closed if nothing changes; nil: no deadline.
    var deadline: NIODeadline? {
        if readingBody { return readPendingSince.map { $0 + limits.idleTimeout } }
        guard requestsOpen == 0 else { return nil }
        guard keptAlive else { return waitingSince + limits.headerTimeout }
        if let firstByte { return firstByte + limits.headerTimeout }
        return waitingSince + limits.idleTimeout
    }

    /// Why the connection is closed at its deadline, for the log.
    var reason: String {
        if readingBody { return "request body stalled" }
        return keptAlive && firstByte == nil ? "idle keep-alive connection" : "request head not complete in time"
    }
}
