import Foundation

/// A per-node read cache in front of a `MetadataStore`: repository settings and local project pages,
/// the two reads on every index request, and the distribution rows that exist (the read on every file
/// request; absent rows are not cached, so a file stored on another node is seen at once). Every write
/// through it drops the cache; in a cluster the change feed drops it on the other nodes
/// (`invalidateAll()`), and entries expire after `ttl` as a last resort. Remote pages are not cached here: their freshness lives in the store.
public final class CachingMetadataStore: MetadataStore, @unchecked Sendable {
    public let base: any MetadataStore
    let ttl: TimeInterval
    private let lock = NSLock()
    private var generation: UInt64 = 0
    private var repositoriesByName: [String: (Repository?, Date)] = [:]
    private var pages: [NameKey: (StoredPage?, Date)] = [:]
    private var distributions: [NameKey: (DistributionRecord?, Date)] = [:]
    private let capacity = 50_000

    /// A project (pages) or a filename (distributions) in a repository.
    struct NameKey: Hashable {
        var repository: Int64
        var name: String
    }

    public init(_ base: any MetadataStore, ttl: TimeInterval = 30) {
        self.base = base
        self.ttl = ttl
    }

    public func invalidateAll() {
        lock.withLock {
            generation &+= 1
            repositoriesByName.removeAll(keepingCapacity: true)
            pages.removeAll(keepingCapacity: true)
            distributions.removeAll(keepingCapacity: true)
        }
    }

    /// Reads through the cache; a value read while an invalidation happened is not stored, nor one
    /// that `storing` refuses.
    private func cached<K: Hashable, V>(
        _ key: K, _ table: ReferenceWritableKeyPath<CachingMetadataStore, [K: (V, Date)]>,
        storing: (V) -> Bool = { _ in true }, load: () async throws -> V
    ) async throws -> V {
        let now = Date()
        let (hit, gen): ((V, Date)?, UInt64) = lock.withLock { (self[keyPath: table][key], generation) }
        if let hit, hit.1 > now { return hit.0 }
        let value = try await load()
        guard storing(value) else { return value }
        lock.withLock {
            guard gen == generation else { return }
            if self[keyPath: table].count >= capacity { self[keyPath: table].removeAll(keepingCapacity: true) }
            self[keyPath: table][key] = (value, now.addingTimeInterval(ttl))
        }
        return value
    }

    private func write<T>(_ body: () async throws -> T) async throws -> T {
        defer { invalidateAll() }
        return try await body()
    }

    // MARK: cached reads

    public func repository(named name: String) async throws -> Repository? {
        try await cached(name, \.repositoriesByName) { try await base.repository(named: name) }
    }

    public func page(repository: Int64, project: String) async throws -> StoredPage? {
        // Remote pages carry their own freshness in the store: never cached here.
        try await cached(NameKey(repository: repository, name: project), \.pages, storing: { $0?.upstream == nil }) {
            try await base.page(repository: repository, project: project)
        }
    }

    /// Only rows that exist: a file another node stores is seen at once.
    public func distribution(repository: Int64, filename: String) async throws -> DistributionRecord? {
        try await cached(NameKey(repository: repository, name: filename), \.distributions, storing: { $0 != nil }) {
            try await base.distribution(repository: repository, filename: filename)
        }
    }

    // MARK: pass-through reads

    public func migrate() async throws { try await write { try await base.migrate() } }
    public func ping() async throws { try await base.ping() }
    public func repositories() async throws -> [Repository] { try await base.repositories() }
    public func projectList(repository: Int64) async throws -> [ProjectListEntry] { try await base.projectList(repository: repository) }
    public func upstreamPage(repository: Int64, project: String) async throws -> ProjectPage? {
        try await base.upstreamPage(repository: repository, project: project)
    }
    public func cachedProjects(repository: Int64) async throws -> [CachedProject] { try await base.cachedProjects(repository: repository) }
    public func distributions(repository: Int64, project: String) async throws -> [DistributionRecord] {
        try await base.distributions(repository: repository, project: project)
    }
    public func filenames(repository: Int64, project: String) async throws -> [String] {
        try await base.filenames(repository: repository, project: project)
    }
    public func isBlobReferenced(sha256: String) async throws -> Bool { try await base.isBlobReferenced(sha256: sha256) }
    public func tryClaimBlobs(_ sha256s: [String], claim: String, for ttl: Duration) async throws -> Bool {
        try await base.tryClaimBlobs(sha256s, claim: claim, for: ttl)
    }
    public func releaseBlobClaim(_ claim: String) async throws { try await base.releaseBlobClaim(claim) }
    public func markBlobsForCollection(_ candidates: [String], collector: String) async throws -> [String] {
        try await base.markBlobsForCollection(candidates, collector: collector)
    }
    public func unmarkBlobs(_ sha256s: [String], collector: String) async throws { try await base.unmarkBlobs(sha256s, collector: collector) }
    public func purgeExpiredBlobClaims() async throws -> Int { try await base.purgeExpiredBlobClaims() }

    // MARK: writes (each drops the cache)

    public func createRepository(name: String, kind: Repository.Kind, settings: RepositorySettings) async throws -> Repository {
        try await write { try await base.createRepository(name: name, kind: kind, settings: settings) }
    }
    public func updateRepository(_ repository: Repository) async throws { try await write { try await base.updateRepository(repository) } }
    public func deleteRepository(named name: String) async throws -> Bool { try await write { try await base.deleteRepository(named: name) } }
    public func storeUpstreamPage(repository: Int64, project: String, page: ProjectPage?, state: UpstreamState) async throws {
        try await write { try await base.storeUpstreamPage(repository: repository, project: project, page: page, state: state) }
    }
    public func renewUpstreamPage(repository: Int64, project: String, fetchedAt: Date, freshUntil: Date) async throws {
        try await write { try await base.renewUpstreamPage(repository: repository, project: project, fetchedAt: fetchedAt, freshUntil: freshUntil) }
    }
    public func purgeProject(repository: Int64, project: String) async throws -> Bool {
        try await write { try await base.purgeProject(repository: repository, project: project) }
    }
    public func addDistribution(_ record: DistributionRecord, displayName: String) async throws -> AddDistributionOutcome {
        try await write { try await base.addDistribution(record, displayName: displayName) }
    }
    public func setMetadataSHA256(repository: Int64, filename: String, sha256: String) async throws {
        try await write { try await base.setMetadataSHA256(repository: repository, filename: filename, sha256: sha256) }
    }
    public func setYanked(repository: Int64, _ selector: DistributionSelector, yanked: Bool, reason: String?) async throws -> [DistributionRecord] {
        try await write { try await base.setYanked(repository: repository, selector, yanked: yanked, reason: reason) }
    }
    public func deleteDistributions(repository: Int64, _ selector: DistributionSelector) async throws -> [DistributionRecord] {
        try await write { try await base.deleteDistributions(repository: repository, selector) }
    }

    // MARK: accounts (never cached: revocations and grants apply at once)

    public func createUser(name: String, passwordHash: String?, isAdmin: Bool) async throws -> User {
        try await base.createUser(name: name, passwordHash: passwordHash, isAdmin: isAdmin)
    }
    public func user(named name: String) async throws -> User? { try await base.user(named: name) }
    public func users() async throws -> [User] { try await base.users() }
    public func updateUser(_ user: User) async throws { try await base.updateUser(user) }
    public func userCount() async throws -> Int { try await base.userCount() }
    public func createToken(_ token: TokenRecord) async throws { try await base.createToken(token) }
    public func token(hash: String) async throws -> (TokenRecord, User)? { try await base.token(hash: hash) }
    public func token(id: String) async throws -> TokenRecord? { try await base.token(id: id) }
    public func tokens(userID: Int64?) async throws -> [TokenRecord] { try await base.tokens(userID: userID) }
    public func revokeToken(id: String, at: Date) async throws -> Bool { try await base.revokeToken(id: id, at: at) }
    public func recordTokenUse(_ uses: [String: Date]) async throws { try await base.recordTokenUse(uses) }
    public func grant(repository: Int64, userID: Int64, level: AccessLevel) async throws {
        try await base.grant(repository: repository, userID: userID, level: level)
    }
    public func revokeGrant(repository: Int64, userID: Int64) async throws -> Bool { try await base.revokeGrant(repository: repository, userID: userID) }
    public func grant(repository: Int64, userID: Int64) async throws -> AccessLevel? { try await base.grant(repository: repository, userID: userID) }
    public func grants(repository: Int64) async throws -> [(user: String, level: AccessLevel)] { try await base.grants(repository: repository) }
    public func appendAudit(_ entry: AuditEntry) async throws { try await base.appendAudit(entry) }
    public func audit(_ filter: AuditFilter) async throws -> [AuditEntry] { try await base.audit(filter) }
}
