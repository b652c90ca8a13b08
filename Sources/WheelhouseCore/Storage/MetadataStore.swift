import Foundation

/// A project page as stored: its display name and both representations, rendered at write time.
public struct StoredPage: Sendable {
    public var displayName: String
    public var rendered: RenderedPage
    public init(displayName: String, rendered: RenderedPage) {
        self.displayName = displayName
        self.rendered = rendered
    }
}

/// Everything Wheelhouse knows that matters, apart from file bytes.
///
/// Implemented by the SQLite store (embedded default) and the PostgreSQL store (cluster); both pass
/// the same conformance suite. Every mutation of a project re-renders its page in the same
/// transaction, so reads never sort or parse.
public protocol MetadataStore: Sendable {
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

    // MARK: distributions
    /// Adds a file under `(repository, filename)`, creating the project (with `displayName`) if needed.
    func addDistribution(_ record: DistributionRecord, displayName: String) async throws -> AddDistributionOutcome
    func distribution(repository: Int64, filename: String) async throws -> DistributionRecord?
    func distributions(repository: Int64, project: String) async throws -> [DistributionRecord]
    /// Sets or clears the yanked flag of the selected files; returns the files changed.
    func setYanked(repository: Int64, _ selector: DistributionSelector, yanked: Bool, reason: String?) async throws -> [DistributionRecord]
    /// Deletes the selected files (and the project when it becomes empty); returns the files deleted.
    func deleteDistributions(repository: Int64, _ selector: DistributionSelector) async throws -> [DistributionRecord]
    /// Whether any distribution of any repository still references a blob (for deletes and gc).
    func isBlobReferenced(sha256: String) async throws -> Bool

    // MARK: accounts
    /// Creates the admin user and its token when the store has no user yet; returns whether it did.
    func bootstrapAdmin(tokenHash: String, tokenPrefix: String) async throws -> Bool
    /// The principal a token (by its hash) belongs to, when valid.
    func principal(tokenHash: String) async throws -> Principal?
}
