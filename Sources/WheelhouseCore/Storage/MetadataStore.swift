import Foundation

/// A project page as stored: its display name and both representations, rendered at write time.
/// For remote repositories also the upstream state: when it was fetched, until when it is fresh,
/// and whether the upstream said 404 (a negative-cache entry, which has no page to serve).
public struct StoredPage: Sendable {
    public var displayName: String
    public var rendered: RenderedPage
    public var upstream: UpstreamState?

    public init(displayName: String, rendered: RenderedPage, upstream: UpstreamState? = nil) {
        self.displayName = displayName
        self.rendered = rendered
        self.upstream = upstream
    }
}

/// What a remote repository remembers about its last fetch of a page.
public struct UpstreamState: Sendable, Equatable {
    public var validators: PageValidators
    public var fetchedAt: Date
    public var freshUntil: Date
    /// False for a remembered 404.
    public var found: Bool

    /// Freshness under the repository's current TTLs, so lowering a TTL applies to stored pages at once.
    public func isFresh(settings: RepositorySettings, now: Date) -> Bool {
        freshUntil(settings: settings) > now
    }

    public func freshUntil(settings: RepositorySettings) -> Date {
        let ttl = found ? settings.metadataTTL ?? 600 : settings.negativeTTL ?? 60
        return min(freshUntil, fetchedAt.addingTimeInterval(TimeInterval(ttl)))
    }

    public init(validators: PageValidators, fetchedAt: Date, freshUntil: Date, found: Bool) {
        self.validators = validators
        self.fetchedAt = fetchedAt
        self.freshUntil = freshUntil
        self.found = found
    }
}

/// A cached project of a remote repository, for `cache ls`.
public struct CachedProject: Sendable, Codable, Equatable {
    public var name: String
    public var fetchedAt: Date
    public var freshUntil: Date
    public var found: Bool
    public var cachedFiles: Int
    public var cachedBytes: Int64

    public init(name: String, fetchedAt: Date, freshUntil: Date, found: Bool, cachedFiles: Int, cachedBytes: Int64) {
        self.name = name
        self.fetchedAt = fetchedAt
        self.freshUntil = freshUntil
        self.found = found
        self.cachedFiles = cachedFiles
        self.cachedBytes = cachedBytes
    }
}

/// Everything Wheelhouse knows that matters, apart from file bytes.
///
/// Implemented by the SQLite store (embedded default) and the PostgreSQL store (cluster); both pass
/// the same conformance suite. Every mutation of a project re-renders its page in the same
/// transaction, so reads never sort or parse.
public protocol MetadataStore: AccountStore, BlobReferenceStore {
    /// Creates or upgrades the schema; safe to call on every start.
    func migrate() async throws
    /// Answers when the store is usable (readiness).
    func ping() async throws

    // MARK: repositories
    func createRepository(name: String, kind: Repository.Kind, settings: RepositorySettings) async throws -> Repository
    func repository(named name: String) async throws -> Repository?
    func repositories() async throws -> [Repository]
    func updateRepository(_ repository: Repository) async throws
    /// Deletes the repository and all its rows; returns false when there was none.
    func deleteRepository(named name: String) async throws -> Bool

    // MARK: pages
    func page(repository: Int64, project: String) async throws -> StoredPage?
    func projectList(repository: Int64) async throws -> [ProjectListEntry]

    // MARK: remote pages
    /// Stores what the upstream answered (`page` nil for a 404) and re-renders the served page.
    func storeUpstreamPage(
        repository: Int64, project: String, page: ProjectPage?, state: UpstreamState
    ) async throws
    /// Records a 304: the stored page stays, its freshness is renewed.
    func renewUpstreamPage(repository: Int64, project: String, fetchedAt: Date, freshUntil: Date) async throws
    /// The upstream page as fetched (file URLs still pointing upstream).
    func upstreamPage(repository: Int64, project: String) async throws -> ProjectPage?
    /// Forgets a stored page so the next request refetches it; cached files stay (they are verified and immutable).
    func purgeProject(repository: Int64, project: String) async throws -> Bool
    func cachedProjects(repository: Int64) async throws -> [CachedProject]

    // MARK: distributions
    /// Adds a file under `(repository, filename)`, creating the project (with `displayName`) if needed.
    func addDistribution(_ record: DistributionRecord, displayName: String) async throws -> AddDistributionOutcome
    /// Sets the core-metadata hash of a stored file (extracted after caching) and re-renders its page.
    func setMetadataSHA256(repository: Int64, filename: String, sha256: String) async throws
    func distribution(repository: Int64, filename: String) async throws -> DistributionRecord?
    func distributions(repository: Int64, project: String) async throws -> [DistributionRecord]
    /// The filenames stored for a project: what an upload's duplicate check needs, without loading
    /// every row's metadata.
    func filenames(repository: Int64, project: String) async throws -> [String]
    /// Sets or clears the yanked flag of the selected files; returns the files changed.
    func setYanked(repository: Int64, _ selector: DistributionSelector, yanked: Bool, reason: String?) async throws -> [DistributionRecord]
    /// Deletes the selected files (and the project when it becomes empty); returns the files deleted.
    func deleteDistributions(repository: Int64, _ selector: DistributionSelector) async throws -> [DistributionRecord]
}
