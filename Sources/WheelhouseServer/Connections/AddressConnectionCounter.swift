import NIOCore
import Synchronization

/// Open connections per client address, shared by every event loop of one server.
final class AddressConnectionCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Counts `channel` against its address until it closes; false (and not counted) when the
    /// address already holds `limit` connections.
    func admit(_ channel: any Channel) -> Bool {
        guard limit > 0, let address = channel.remoteAddress?.ipAddress else { return true }
        let admitted = counts.withLock { counts in
            let n = counts[address, default: 0]
            guard n < limit else { return false }
            counts[address] = n + 1
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { _ in
                self.counts.withLock { counts in
                    let n = counts[address, default: 1] - 1
                    counts[address] = n > 0 ? n : nil
                }
            }
        }
        return admitted
    }
}
