import Foundation
import Testing
import WheelhouseCore
import WheelhouseSQL
import WheelhouseTestSupport

/// The per-node read cache: reads come from memory until a write (here or, through the change feed,
/// on another node) invalidates them.
@Suite struct CachingMetadataStoreTests {
    func store() async throws -> (CachingMetadataStore, SQLiteMetadataStore) {
        let dir = try WheelBuilder.temporaryDirectory()
        let base = try SQLiteMetadataStore(path: dir + "/db.sqlite")
        try await base.migrate()
        return (CachingMetadataStore(base), base)
    }

    func record(_ repo: Int64, _ version: String) -> DistributionRecord {
        DistributionRecord(
            repositoryID: repo, project: "demo", version: version, filename: "demo-\(version).tar.gz", packageType: "sdist",
            size: 1, sha256: String(repeating: "a", count: 64), uploadTime: Date())
    }

    @Test func writesThroughTheCacheInvalidateIt() async throws {
        let (cache, _) = try await store()
        let repo = try await cache.createRepository(name: "r", kind: .local, settings: .init())
        #expect(try await cache.page(repository: repo.id, project: "demo") == nil)
        _ = try await cache.addDistribution(record(repo.id, "1.0"), displayName: "demo")
        let page = try #require(try await cache.page(repository: repo.id, project: "demo"))
        #expect(String(decoding: page.rendered.json, as: UTF8.self).contains("1.0"))
    }

    @Test func writesElsewhereNeedAnInvalidation() async throws {
        let (cache, base) = try await store()
        let repo = try await cache.createRepository(name: "r", kind: .local, settings: .init())
        _ = try await cache.addDistribution(record(repo.id, "1.0"), displayName: "demo")
        _ = try await cache.page(repository: repo.id, project: "demo")
        // Another node writes straight to the shared store: this node still serves its cached page...
        _ = try await base.addDistribution(record(repo.id, "2.0"), displayName: "demo")
        let stale = try #require(try await cache.page(repository: repo.id, project: "demo"))
        #expect(!String(decoding: stale.rendered.json, as: UTF8.self).contains("2.0"))
        // ...until the change feed tells it to drop its cache.
        cache.invalidateAll()
        let fresh = try #require(try await cache.page(repository: repo.id, project: "demo"))
        #expect(String(decoding: fresh.rendered.json, as: UTF8.self).contains("2.0"))
    }

    /// Rows that exist are cached until an invalidation; absent ones are asked again every time.
    @Test func distributionRowsThatExistAreCached() async throws {
        let (cache, base) = try await store()
        let repo = try await cache.createRepository(name: "r", kind: .local, settings: .init())
        #expect(try await cache.distribution(repository: repo.id, filename: "demo-1.0.tar.gz") == nil)
        // Stored by another node: seen at once, as nothing was cached for it.
        _ = try await base.addDistribution(record(repo.id, "1.0"), displayName: "demo")
        #expect(try await cache.distribution(repository: repo.id, filename: "demo-1.0.tar.gz")?.version == "1.0")
        // Deleted by another node: this node still has the row until the change feed invalidates it.
        _ = try await base.deleteDistributions(repository: repo.id, DistributionSelector(project: "demo", version: "1.0"))
        #expect(try await base.distribution(repository: repo.id, filename: "demo-1.0.tar.gz") == nil)
        #expect(try await cache.distribution(repository: repo.id, filename: "demo-1.0.tar.gz") != nil)
        cache.invalidateAll()
        #expect(try await cache.distribution(repository: repo.id, filename: "demo-1.0.tar.gz") == nil)
    }

    @Test func repositorySettingsAreCachedAndInvalidated() async throws {
        let (cache, base) = try await store()
        var repo = try await cache.createRepository(name: "r", kind: .local, settings: .init(anonymousRead: false))
        #expect(try await cache.repository(named: "r")?.settings.anonymousRead == false)
        repo.settings.anonymousRead = true
        try await base.updateRepository(repo)
        #expect(try await cache.repository(named: "r")?.settings.anonymousRead == false)
        cache.invalidateAll()
        #expect(try await cache.repository(named: "r")?.settings.anonymousRead == true)
        try await cache.updateRepository(repo)
        #expect(try await cache.repository(named: "r")?.settings.anonymousRead == true)
    }
}
