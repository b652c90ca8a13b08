/// What the domain reports for `/metrics`. Core knows no metrics library: the HTTP layer implements
/// this over Prometheus; tests and tools use `NoTelemetry`.
public protocol Telemetry: Sendable {
    /// A page or file served from what is stored (`kind`: "page", "file", "metadata").
    func cacheHit(_ kind: String)
    /// A page or file that had to come from the upstream.
    func cacheMiss(_ kind: String)
    /// One upstream request finished (`outcome`: "ok", "not_modified", "not_found", "error").
    func upstreamFetch(_ kind: String, outcome: String)
    func upstreamBytes(_ count: Int)
    /// A request waited for another holder's fetch (this node's or another node's).
    func leaseWait()
    /// A lease whose holder died was taken over.
    func leaseTakeover()
    func blobStoreError(_ operation: String)
    /// A write refused because the storage is full (answered 507).
    func storageFull(_ route: String)
}

public struct NoTelemetry: Telemetry {
    public init() {}
    public func cacheHit(_ kind: String) {}
    public func cacheMiss(_ kind: String) {}
    public func upstreamFetch(_ kind: String, outcome: String) {}
    public func upstreamBytes(_ count: Int) {}
    public func leaseWait() {}
    public func leaseTakeover() {}
    public func blobStoreError(_ operation: String) {}
    public func storageFull(_ route: String) {}
}
