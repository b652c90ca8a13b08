/// Tells the other nodes of a cluster that something they may have cached changed.
///
/// The embedded default has no other node (`LocalChangeFeed` does nothing); a cluster publishes
/// through PostgreSQL `NOTIFY`, and every node's listener drops its per-node caches.
public protocol ChangeFeed: Sendable {
    /// Announces a write; listeners on other nodes invalidate their caches within about a second.
    func publishInvalidation(reason: String) async
}

public struct LocalChangeFeed: ChangeFeed {
    public init() {}
    public func publishInvalidation(reason: String) async {}
}
