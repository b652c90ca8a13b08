import Foundation
import Logging
import WheelhouseCore

/// A cluster node: PostgreSQL metadata, S3 blobs, PostgreSQL fetch leases, NOTIFY invalidation.
enum ClusterNode {
    static func run(_ config: ServerConfiguration, databaseURL: String, logger: Logger) async throws {
        throw WheelhouseError(.internalError, "cluster mode is not wired yet")
    }
}
