import Foundation
import Logging
import WheelhouseCore
import WheelhouseRemote
import WheelhouseVirtual

/// What the HTTP layer talks to: the stores and the limits. Built by the composition root.
public struct WheelhouseServices: Sendable {
    public var metadata: any MetadataStore
    public var blobs: any BlobStore
    /// A local directory for staging uploads (same filesystem as a filesystem blob store).
    public var staging: String
    public var limits: Limits
    public var logger: Logger
    /// Writes the per-request line directly to the process's log output; nil: through `logger`.
    public var accessLog: AccessLog?
    /// Read by `/health/ready`: false while draining.
    public var readiness: Readiness
    /// The behaviour of remote repositories.
    public var remote: RemoteProxy
    /// The behaviour of virtual repositories, with their merged-page cache.
    public var virtual: VirtualRepositories
    public var access: AccessControl
    public var audit: AuditLog
    public var telemetry: PrometheusTelemetry
    /// Reaches the other nodes of a cluster (a no-op in the embedded default).
    public var changeFeed: any ChangeFeed
    /// Seals upstream passwords before they are stored.
    public var secrets: SecretBox
    public var pageCache: VirtualPageCache { virtual.cache }

    public struct Limits: Sendable {
        /// Largest accepted upload body; streamed, so this bounds disk use, not memory.
        public var maxUploadBytes: Int64 = 20 << 30
        public init(maxUploadBytes: Int64 = 20 << 30) { self.maxUploadBytes = maxUploadBytes }
    }

    public init(
        metadata: any MetadataStore, blobs: any BlobStore, staging: String, remote: RemoteProxy, limits: Limits = .init(),
        logger: Logger, readiness: Readiness = Readiness(), passwordLogin: Bool = true,
        telemetry: PrometheusTelemetry = PrometheusTelemetry(), changeFeed: any ChangeFeed = LocalChangeFeed(),
        secrets: SecretBox = SecretBox(key: nil)
    ) {
        self.secrets = secrets
        self.telemetry = telemetry
        self.changeFeed = changeFeed
        self.remote = remote
        self.virtual = VirtualRepositories(metadata: metadata, remote: remote, cache: VirtualPageCache(), logger: logger)
        self.audit = AuditLog(metadata: metadata, logger: logger)
        self.access = AccessControl(metadata: metadata, audit: audit, passwordLogin: passwordLogin)
        self.metadata = metadata
        self.blobs = blobs
        self.staging = staging
        self.limits = limits
        self.logger = logger
        self.readiness = readiness
    }
}

extension WheelhouseServices {
    /// After a write: drop this node's per-node caches and tell the other nodes to drop theirs.
    public func invalidateCaches(_ reason: String) async {
        await pageCache.invalidateAll()
        await changeFeed.publishInvalidation(reason: reason)
    }
}

/// A flag the shutdown path flips before draining, so load balancers stop sending traffic first.
public final class Readiness: @unchecked Sendable {
    private let lock = NSLock()
    private var draining = false
    public init() {}
    public var isDraining: Bool { lock.withLock { draining } }
    public func startDraining() { lock.withLock { draining = true } }
}
