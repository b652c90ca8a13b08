import NIOCore

/// How long a client may keep a connection without making progress, and how many connections one
/// address may hold. Defaults follow nginx (`client_header_timeout 60s`, `keepalive_timeout 75s`),
/// a little stricter for the head: real clients send their head in one packet.
public struct ConnectionLimits: Sendable, Equatable {
    /// From the connection's opening (or, on a kept-alive connection, the next request's first
    /// byte) until the request head is complete. Stops slowloris clients that trickle a head.
    public var headerTimeout: TimeAmount
    /// A kept-alive connection with no request in progress is closed after this; it also bounds a
    /// request body that stops arriving (nothing received while the server was waiting for it).
    /// A slow but steady body is never cut, nor a response the client reads slowly.
    public var idleTimeout: TimeAmount
    /// Concurrent connections one client address may hold; more are closed when accepted.
    /// Behind a load balancer every connection comes from its address: raise it there (0: no limit).
    public var maxConnectionsPerAddress: Int

    public init(headerTimeout: TimeAmount = .seconds(30), idleTimeout: TimeAmount = .seconds(75), maxConnectionsPerAddress: Int = 256) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
    }
}
