import Foundation
import Logging
import PythonPackaging
import WheelhouseCore

/// A remote repository's behaviour: pages fetched on demand, stored with their validators, served
/// while fresh, revalidated after, served stale when the upstream fails; files downloaded once,
/// verified against the upstream's sha256, then cached.
public struct RemoteProxy: Sendable {
    let metadata: any MetadataStore
    let blobs: any BlobStore
    let coordinator: any FetchCoordinator
    let downloads: InflightDownloads
    let staging: String
    var archiveReader: ArchiveReader { .shared }
    let logger: Logger
    let upstreams: @Sendable (Repository) throws -> any Upstream
    let now: @Sendable () -> Date
    let telemetry: any Telemetry
    let health = UpstreamHealth()

    /// How long a page refresh or a file download may hold its lease without renewing.
    static let leaseTTL: Duration = .seconds(30)

    public init(
        metadata: any MetadataStore, blobs: any BlobStore, coordinator: any FetchCoordinator, downloads: InflightDownloads,
        staging: String, logger: Logger, upstreams: @escaping @Sendable (Repository) throws -> any Upstream,
        telemetry: any Telemetry = NoTelemetry(), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.telemetry = telemetry
        self.metadata = metadata
        self.blobs = blobs
        self.coordinator = coordinator
        self.downloads = downloads
        self.staging = staging
        self.logger = logger
        self.upstreams = upstreams
        self.now = now
    }

    /// A page to serve, and why it is stale when it is.
    public struct PageAnswer: Sendable {
        public var page: StoredPage
        public var staleReason: String?
    }

    // MARK: pages

    public func page(repository: Repository, project: String) async throws -> PageAnswer {
        var stored = try await metadata.page(repository: repository.id, project: project)
        func fresh(_ page: StoredPage?) -> StoredPage? {
            guard let page, let up = page.upstream, up.isFresh(settings: repository.settings, now: now()) else { return nil }
            return page
        }
        if let s = fresh(stored) {
            telemetry.cacheHit("page")
            return try answer(s, stale: nil, project: project)
        }
        if repository.settings.offline == true {
            guard let s = stored else {
                throw WheelhouseError.notFound("project '\(project)' is not cached and '\(repository.name)' is offline")
            }
            return try answer(s, stale: "repository is offline", project: project)
        }
        let key = LeaseKey.page(repository: repository.name, project: project)
        for _ in 0..<3 {
            switch try await coordinator.acquire(key, ttl: Self.leaseTTL) {
            case .granted(let lease):
                if lease.takenOverFrom != nil { telemetry.leaseTakeover() }
                // Someone may have refreshed between our read and our lease.
                if let fresh = fresh(try await metadata.page(repository: repository.id, project: project)) {
                    try await coordinator.release(lease, outcome: .completed)
                    return try answer(fresh, stale: nil, project: project)
                }
                do {
                    try await refresh(repository: repository, project: project, stored: stored)
                    try await coordinator.release(lease, outcome: .completed)
                } catch {
                    let message = (error as? WheelhouseError)?.message ?? "\(error)"
                    try? await coordinator.release(lease, outcome: .failed(message))
                    guard let s = stored, s.upstream?.found != false else { throw error }
                    logger.warning("serving stale page", metadata: ["wh.repo": "\(repository.name)", "wh.project": "\(project)", "reason": "\(message)"])
                    return try answer(s, stale: message, project: project)
                }
                guard let s = try await metadata.page(repository: repository.id, project: project) else {
                    throw WheelhouseError.notFound("project '\(project)' not found upstream")
                }
                return try answer(s, stale: nil, project: project)
            case .held(_, let until):
                telemetry.leaseWait()
                let wait = min(max(until.timeIntervalSince(now()), 0.05), 60)
                let outcome = try await coordinator.waitForOutcome(key, timeout: .milliseconds(Int64(wait * 1000)))
                stored = try await metadata.page(repository: repository.id, project: project) ?? stored
                if let s = fresh(stored) { return try answer(s, stale: nil, project: project) }
                if case .failed(let message) = outcome {
                    guard let s = stored, s.upstream?.found != false else { throw WheelhouseError(.badGateway, message) }
                    return try answer(s, stale: message, project: project)
                }
            }
        }
        guard let s = stored else { throw WheelhouseError(.gatewayTimeout, "timed out waiting for the page of '\(project)'") }
        return try answer(s, stale: "refresh did not finish in time", project: project)
    }

    func answer(_ page: StoredPage, stale: String?, project: String) throws -> PageAnswer {
        guard page.upstream?.found != false else { throw WheelhouseError.notFound("project '\(project)' not found upstream") }
        return PageAnswer(page: page, staleReason: stale)
    }

    /// One conditional fetch; stores the result. Throws on upstream failure, storing nothing.
    func refresh(repository: Repository, project: String, stored: StoredPage?) async throws {
        // With a stored page to fall back on, don't wait for a known-down upstream: serve it stale now.
        if stored?.upstream?.found == true { try health.check(repository.name, now: now()) }
        let upstream = try upstreams(repository)
        let validators = stored?.upstream.flatMap { $0.found ? $0.validators : nil }
        let result: UpstreamPageResult
        telemetry.cacheMiss("page")
        do {
            result = try await upstream.fetchPage(project: project, validators: validators)
            health.succeeded(repository.name)
        } catch let error as WheelhouseError {
            health.failed(repository.name, error, now: now())
            telemetry.upstreamFetch("page", outcome: "error")
            throw error
        }
        switch result {
        case .page: telemetry.upstreamFetch("page", outcome: "ok")
        case .notModified: telemetry.upstreamFetch("page", outcome: "not_modified")
        case .notFound: telemetry.upstreamFetch("page", outcome: "not_found")
        }
        let fetchedAt = now()
        let ttl = TimeInterval(repository.settings.metadataTTL ?? 600)
        switch result {
        case .page(let page, let newValidators):
            try await metadata.storeUpstreamPage(
                repository: repository.id, project: project, page: page,
                state: UpstreamState(validators: newValidators, fetchedAt: fetchedAt, freshUntil: fetchedAt + ttl, found: true))
        case .notModified:
            try await metadata.renewUpstreamPage(repository: repository.id, project: project, fetchedAt: fetchedAt, freshUntil: fetchedAt + ttl)
        case .notFound:
            let negative = TimeInterval(repository.settings.negativeTTL ?? 60)
            try await metadata.storeUpstreamPage(
                repository: repository.id, project: project, page: nil,
                state: UpstreamState(validators: .init(), fetchedAt: fetchedAt, freshUntil: fetchedAt + negative, found: false))
        }
        logger.info("upstream page fetched", metadata: ["wh.repo": "\(repository.name)", "wh.project": "\(project)"])
    }
}
