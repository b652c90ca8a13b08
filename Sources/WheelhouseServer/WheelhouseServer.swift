import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import WheelhouseCore
import WheelhouseHTTP
import WheelhouseRemote

/// The composition root: wires stores, the HTTP application and the service group.
public enum WheelhouseServer {
    /// Builds the services of the embedded default, migrated and with its admin account.
    /// - Parameter upstreams: how remote repositories reach their upstream (tests pass a fake).
    public static func embeddedServices(
        _ config: ServerConfiguration, logger: Logger,
        upstreams: (@Sendable (Repository) throws -> any Upstream)? = nil
    ) async throws -> WheelhouseServices {
        try config.checkAdminToken()
        let stores = try EmbeddedStores(dataDirectory: config.dataDirectory)
        let metadata = CachingMetadataStore(stores.metadata)
        try await metadata.migrate()
        let secrets = try config.secretKey.map { try SecretBox(base64Key: $0) }
            ?? SecretBox.loadOrCreate(path: config.dataDirectory + "/secret-key")
        return try await assemble(
            metadata: metadata, blobs: stores.blobs, staging: stores.staging,
            coordinator: InProcessFetchCoordinator(nodeID: config.nodeID), changeFeed: LocalChangeFeed(),
            secrets: secrets, config: config, logger: logger, upstreams: upstreams)
    }

    /// What every node does once its stores answer: the admin account, declared repositories, the
    /// remote and virtual machinery, access control and telemetry.
    static func assemble(
        metadata: CachingMetadataStore, blobs: any BlobStore, staging: String, coordinator: any FetchCoordinator,
        changeFeed: any ChangeFeed, secrets: SecretBox, config: ServerConfiguration, logger: Logger,
        upstreams: (@Sendable (Repository) throws -> any Upstream)? = nil
    ) async throws -> WheelhouseServices {
        let blobs: any BlobStore = config.blobCacheBytes > 0 ? CachingBlobStore(blobs, budget: config.blobCacheBytes) : blobs
        if let token = try await AdminBootstrap.run(
            metadata: metadata, configuredToken: config.adminToken, dataDirectory: config.dataDirectory, logger: logger)
        {
            // Printed once, on purpose: this is the only time the secret is shown.
            // Flushed at once: stdout is block-buffered when it is a file or a pipe, and log lines go
            // straight to the descriptor (LogSink), so without the flush this line would come last.
            print("Admin token (also written to \(config.dataDirectory)/admin-token): \(token)")
            fflush(nil)   // every output stream; `stdout` itself is a global var Swift 6 refuses to touch
        }
        if let file = config.configFile {
            try await DeclaredRepositories.apply(
                config.declaredRepositories, file: file, metadata: metadata, secrets: secrets,
                environment: ProcessInfo.processInfo.environment, logger: logger)
        }
        try await sealStoredPasswords(metadata: metadata, secrets: secrets, logger: logger)
        let telemetry = PrometheusTelemetry()
        let remote = RemoteProxy(
            metadata: metadata, blobs: blobs, coordinator: coordinator, downloads: InflightDownloads(), staging: staging,
            logger: logger, upstreams: upstreams ?? { try UpstreamFactory.shared.upstream(for: $0, secrets: secrets) }, telemetry: telemetry)
        return WheelhouseServices(
            metadata: metadata, blobs: blobs, staging: staging, remote: remote,
            limits: .init(maxUploadBytes: config.maxUploadBytes), logger: logger, passwordLogin: config.passwordLogin,
            telemetry: telemetry, changeFeed: changeFeed, secrets: secrets)
    }

    /// Upstream passwords stored in clear by older versions are sealed at start; without a key (a
    /// cluster without `WHEELHOUSE_SECRET_KEY`) they keep working and a warning says so. Values in the
    /// unbound `sealed:v1:` format of unreleased builds cannot be opened: those credentials are dropped
    /// (the remote then fetches without them) and a warning says to set them again.
    static func sealStoredPasswords(metadata: any MetadataStore, secrets: SecretBox, logger: Logger) async throws {
        for var repo in try await metadata.repositories() {
            guard let password = repo.settings.upstreamPassword, !SecretBox.isCurrent(password) else { continue }
            if SecretBox.isSealed(password) {
                repo.settings.upstreamUsername = nil
                repo.settings.upstreamPassword = nil
                try await metadata.updateRepository(repo)
                logger.warning(
                    "upstream credentials in an older encrypted format dropped: set them again", metadata: ["wh.repo": "\(repo.name)"])
                continue
            }
            guard secrets.hasKey else {
                logger.warning("an upstream password is stored in clear: set WHEELHOUSE_SECRET_KEY to encrypt it", metadata: ["wh.repo": "\(repo.name)"])
                continue
            }
            repo.settings.upstreamPassword = try secrets.seal(password, repository: repo.name, url: repo.settings.url)
            try await metadata.updateRepository(repo)
            logger.info("upstream password encrypted", metadata: ["wh.repo": "\(repo.name)"])
        }
    }

    public static func application(
        services: WheelhouseServices, host: String, port: Int, connections: ConnectionLimits = .init(), logger: Logger
    ) -> Application<WheelhouseResponder> {
        Application(
            responder: WheelhouseResponder(services: services),
            server: .pinnedHTTP1(limits: connections),
            configuration: .init(address: .hostname(host, port: port), serverName: "Wheelhouse/\(WheelhouseVersion.current)"),
            logger: logger)
    }

    /// Runs until SIGINT/SIGTERM, then drains: readiness turns false first (load balancers stop
    /// sending), after `drainDelay` the server stops accepting and lets in-flight requests finish,
    /// then the background services stop and the process exits.
    public static func run(_ config: ServerConfiguration) async throws {
        var logger = Logger(label: "wheelhouse")
        logger.logLevel = config.logLevel
        if let database = config.databaseURL {
            try await ClusterNode.run(config, databaseURL: database, logger: logger)
            return
        }
        let services = try await embeddedServices(config, logger: logger)
        try await serve(services, background: [], config: config, logger: logger)
    }

    /// The service group of one node. Graceful shutdown runs in reverse order: the drain gate,
    /// then the HTTP server, then the background services.
    static func serve(_ services: WheelhouseServices, background: [any Service], config: ServerConfiguration, logger: Logger) async throws {
        var services = services
        if let sink = config.logSink { services.accessLog = AccessLog(sink: sink, label: logger.label) }
        let app = application(
            services: services, host: config.host, port: config.port, connections: config.connections, logger: logger)
        logger.info("listening", metadata: ["host": "\(config.host)", "port": "\(config.port)", "node": "\(config.nodeID)"])
        let all: [any Service] = background + [TokenUseFlusher(access: services.access), app, DrainGate(readiness: services.readiness, delay: config.drainDelay)]
        let group = ServiceGroup(configuration: .init(
            services: all.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Writes tokens' last-used times in batches (every 30 s and at shutdown), not on every request.
struct TokenUseFlusher: Service {
    let access: AccessControl
    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(30)) }
            await access.flushTokenUses()
        }
        await access.flushTokenUses()
    }
}

/// Flips readiness to false as soon as graceful shutdown starts and holds the shutdown for `delay`,
/// so load balancers' health checks see the node leave before it stops accepting connections.
struct DrainGate: Service {
    let readiness: Readiness
    let delay: Duration
    func run() async throws {
        try? await gracefulShutdown()
        readiness.startDraining()
        if delay > .zero { try? await Task.sleep(for: delay) }
    }
}
