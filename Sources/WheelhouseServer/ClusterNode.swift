import Foundation
import Logging
import ServiceLifecycle
import WheelhouseBlobs
import WheelhouseCore
import WheelhouseHTTP
import WheelhouseSQL

/// A cluster node: PostgreSQL metadata, S3 blobs, PostgreSQL fetch leases, NOTIFY invalidation.
/// The node itself keeps only caches and the staging files of transfers in progress.
enum ClusterNode {
    static func run(_ config: ServerConfiguration, databaseURL: String, logger: Logger) async throws {
        try config.checkAdminToken()
        guard let blobURL = config.blobURL else {
            throw WheelhouseError.badRequest("cluster mode needs WHEELHOUSE_BLOB_URL (s3://bucket?endpoint=…) next to WHEELHOUSE_DATABASE_URL")
        }
        let environment = ProcessInfo.processInfo.environment
        let store = PostgresMetadataStore(configuration: try PostgresMetadataStore.configuration(url: databaseURL), logger: logger)
        let s3Configuration = try S3BlobStore.configuration(url: blobURL, environment: environment)
        let s3Client = S3BlobStore.makeClient()
        let blobs: S3BlobStore
        do {
            blobs = try S3BlobStore(configuration: s3Configuration, client: s3Client)
        } catch {
            try? await s3Client.shutdown()
            throw error
        }
        let staging = config.dataDirectory + "/tmp"
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)

        // The pool must run before anything queries it; it stops after the service group ends.
        do {
            try await runNode(config: config, store: store, blobs: blobs, staging: staging, logger: logger)
        } catch {
            try? await s3Client.shutdown()
            throw error
        }
        try? await s3Client.shutdown()
    }

    static func runNode(config: ServerConfiguration, store: PostgresMetadataStore, blobs: S3BlobStore, staging: String, logger: Logger) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            try await waitForDatabase(store, logger: logger)
            try await store.migrate()
            let notifications = PostgresNotifications(client: store.client, nodeID: config.nodeID, logger: logger)
            let coordinator = PostgresFetchCoordinator(store: store, notifications: notifications, nodeID: config.nodeID)
            try await coordinator.prepare()
            let metadata = CachingMetadataStore(store)
            // Every node must seal and open with the same key: no node generates one of its own.
            let secrets = try config.secretKey.map { try SecretBox(base64Key: $0) } ?? SecretBox(key: nil)
            let services = try await WheelhouseServer.assemble(
                metadata: metadata, blobs: blobs, staging: staging, coordinator: coordinator, changeFeed: notifications,
                secrets: secrets, config: config, logger: logger)
            let pageCache = services.pageCache
            notifications.onInvalidation {
                metadata.invalidateAll()
                await pageCache.invalidateAll()
            }
            try await WheelhouseServer.serve(services, background: [notifications], config: config, logger: logger)
        }
    }

    /// Nodes may start before PostgreSQL does (compose, systemd): wait for it, bounded.
    static func waitForDatabase(_ store: PostgresMetadataStore, logger: Logger) async throws {
        var lastError: (any Error)?
        for attempt in 1...60 {
            do {
                try await store.ping()
                return
            } catch {
                lastError = error
                if attempt == 1 { logger.info("waiting for PostgreSQL") }
                try await Task.sleep(for: .seconds(1))
            }
        }
        throw lastError ?? WheelhouseError(.unavailable, "database unavailable")
    }
}
