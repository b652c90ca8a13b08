import Foundation
import PostgresNIO
import Testing
import WheelhouseCore
@testable import WheelhouseSQL

/// One conformance suite for `MetadataStore`, run against every implementation: the bodies live in
/// `MetadataStoreContract`, `MetadataStoreRemoteContract` and `AccountStoreContract`; each store gets
/// a suite that calls all of them.
@Suite("MetadataStoreConformance")
struct MetadataStoreConformance {
    @Suite("SQLite")
    struct SQLite {
        @Test func repositories() async throws { try await withMetadataStore(.sqlite, MetadataStoreContract.repositories) }
        @Test func concurrentCreateRepository() async throws {
            try await withMetadataStore(.sqlite, MetadataStoreContract.concurrentCreateRepository)
        }
        @Test func deleteRepositoryDropsItsRows() async throws {
            try await withMetadataStore(.sqlite, MetadataStoreContract.deleteRepositoryDropsItsRows)
        }
        @Test func pagesAfterAdd() async throws { try await withMetadataStore(.sqlite, MetadataStoreContract.pagesAfterAdd) }
        @Test func identicalAndConflictingAdds() async throws {
            try await withMetadataStore(.sqlite, MetadataStoreContract.identicalAndConflictingAdds)
        }
        @Test func concurrentAdds() async throws { try await withMetadataStore(.sqlite, MetadataStoreContract.concurrentAdds) }
        @Test func yankAndUnyank() async throws { try await withMetadataStore(.sqlite, MetadataStoreContract.yankAndUnyank) }
        @Test func deleteDistributions() async throws { try await withMetadataStore(.sqlite, MetadataStoreContract.deleteDistributions) }
        @Test func setMetadataSHA256() async throws { try await withMetadataStore(.sqlite, MetadataStoreContract.setMetadataSHA256) }
        @Test func migrateTwice() async throws { try await withMetadataStore(.sqlite, MetadataStoreContract.migrateTwice) }
        @Test func remotePages() async throws { try await withMetadataStore(.sqlite, MetadataStoreRemoteContract.remotePages) }
        @Test func negativeEntriesAndPurge() async throws {
            try await withMetadataStore(.sqlite, MetadataStoreRemoteContract.negativeEntriesAndPurge)
        }
        @Test func users() async throws { try await withMetadataStore(.sqlite, AccountStoreContract.users) }
        @Test func tokens() async throws { try await withMetadataStore(.sqlite, AccountStoreContract.tokens) }
        @Test func grants() async throws { try await withMetadataStore(.sqlite, AccountStoreContract.grants) }
        @Test func audit() async throws { try await withMetadataStore(.sqlite, AccountStoreContract.audit) }
        @Test func blobClaimsAndMarks() async throws { try await withMetadataStore(.sqlite, BlobReferenceContract.claimsAndMarks) }
        @Test func expiredBlobClaims() async throws { try await withMetadataStore(.sqlite, BlobReferenceContract.expiredClaims) }
        @Test func blobClaimRacesMark() async throws { try await withMetadataStore(.sqlite) { try await BlobReferenceContract.claimRacesMark([$0, $0]) } }
    }

    // Reported as skipped, not passed, when no server is configured. scripts/test starts one
    // (deploy/local/postgres) and exports the variable; each test gets a schema of its own.
    @Suite("PostgreSQL", .enabled(if: PostgresTestEnvironment.isConfigured, "needs WHEELHOUSE_TEST_DATABASE_URL"))
    struct PostgreSQL {
        @Test func repositories() async throws { try await withMetadataStore(.postgres, MetadataStoreContract.repositories) }
        @Test func concurrentCreateRepository() async throws {
            try await withMetadataStore(.postgres, MetadataStoreContract.concurrentCreateRepository)
        }
        @Test func deleteRepositoryDropsItsRows() async throws {
            try await withMetadataStore(.postgres, MetadataStoreContract.deleteRepositoryDropsItsRows)
        }
        @Test func pagesAfterAdd() async throws { try await withMetadataStore(.postgres, MetadataStoreContract.pagesAfterAdd) }
        @Test func identicalAndConflictingAdds() async throws {
            try await withMetadataStore(.postgres, MetadataStoreContract.identicalAndConflictingAdds)
        }
        @Test func concurrentAdds() async throws { try await withMetadataStore(.postgres, MetadataStoreContract.concurrentAdds) }
        @Test func yankAndUnyank() async throws { try await withMetadataStore(.postgres, MetadataStoreContract.yankAndUnyank) }
        @Test func deleteDistributions() async throws { try await withMetadataStore(.postgres, MetadataStoreContract.deleteDistributions) }
        @Test func setMetadataSHA256() async throws { try await withMetadataStore(.postgres, MetadataStoreContract.setMetadataSHA256) }
        @Test func migrateTwice() async throws { try await withMetadataStore(.postgres, MetadataStoreContract.migrateTwice) }
        @Test func remotePages() async throws { try await withMetadataStore(.postgres, MetadataStoreRemoteContract.remotePages) }
        @Test func negativeEntriesAndPurge() async throws {
            try await withMetadataStore(.postgres, MetadataStoreRemoteContract.negativeEntriesAndPurge)
        }
        @Test func users() async throws { try await withMetadataStore(.postgres, AccountStoreContract.users) }
        @Test func tokens() async throws { try await withMetadataStore(.postgres, AccountStoreContract.tokens) }
        @Test func grants() async throws { try await withMetadataStore(.postgres, AccountStoreContract.grants) }
        @Test func audit() async throws { try await withMetadataStore(.postgres, AccountStoreContract.audit) }
        @Test func blobClaimsAndMarks() async throws { try await withMetadataStore(.postgres, BlobReferenceContract.claimsAndMarks) }
        @Test func expiredBlobClaims() async throws { try await withMetadataStore(.postgres, BlobReferenceContract.expiredClaims) }
        @Test func blobClaimRacesMark() async throws { try await withPostgresStores(count: 2) { try await BlobReferenceContract.claimRacesMark($0) } }

        @Test func concurrentMigrationsApplyOnce() async throws { try await withPostgresStores(count: 3, migrate: false, PostgresContract.concurrentMigrations) }
        @Test func twoNodesAddOneFile() async throws { try await withPostgresStores(count: 2, PostgresContract.twoNodesAddOneFile) }
        @Test func twoNodesCreateOneRepository() async throws {
            try await withPostgresStores(count: 2, PostgresContract.twoNodesCreateOneRepository)
        }
    }

    /// Needs no server: nothing listens on port 9 of 127.0.0.1.
    @Test(.timeLimit(.minutes(1))) func unreachablePostgresFailsFastAsUnavailable() async throws {
        let store = PostgresMetadataStore(
            configuration: try PostgresMetadataStore.configuration(
                url: "postgres://wh:secret-never-shown@127.0.0.1:9/wh?sslmode=disable&connect_timeout=1&acquire_timeout=1"),
            logger: PostgresTestEnvironment.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            for _ in 0..<2 {
                let started = ContinuousClock.now
                do {
                    try await store.ping()
                    Issue.record("ping of a closed port succeeded")
                } catch let error as WheelhouseError {
                    #expect(error.code == .unavailable && error.status == 503)
                    #expect(!error.message.contains("secret-never-shown"))
                }
                #expect(ContinuousClock.now - started < .seconds(4), "requests must fail fast while PostgreSQL is down")
            }
            group.cancelAll()
        }
    }

    @Test func postgresURLs() throws {
        let c = try PostgresMetadataStore.configuration(url: "postgres://wh:p%40ss@db.internal:6543/meta?sslmode=disable&pool_size=7")
        #expect(c.client.host == "db.internal" && c.client.port == 6543 && c.client.username == "wh")
        #expect(c.client.password == "p@ss" && c.client.database == "meta" && c.client.options.maximumConnections == 7)
        #expect(!c.description.contains("p@ss") && c.description.contains("db.internal:6543"))
        let socket = try PostgresMetadataStore.configuration(url: "postgresql://wh@/meta?host=/run/postgresql")
        #expect(socket.client.unixSocketPath == "/run/postgresql/.s.PGSQL.5432" && socket.client.password == nil)
        for bad in ["mysql://wh:hunter2@h/db", "postgres://wh:hunter2@h/db?sslmode=sometimes", "postgres://wh:hunter2@h/db?colour=blue"] {
            do {
                _ = try PostgresMetadataStore.configuration(url: bad)
                Issue.record("accepted \(bad)")
            } catch let error as WheelhouseError {
                #expect(!error.message.contains("hunter2"))
            }
        }
    }
}

/// PostgreSQL-only behaviour: what several nodes on one database must get right.
enum PostgresContract {
    /// N nodes starting together: every `migrate()` succeeds and each migration is applied once.
    static func concurrentMigrations(_ stores: [PostgresMetadataStore]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { try await store.migrate() } }
            try await group.waitForAll()
        }
        let logger = PostgresTestEnvironment.logger
        let versions: [Int32] = try await stores[0].withConnection { connection in
            try await connection.rows("SELECT version FROM schema_migrations ORDER BY version", logger).map { try $0.get("version") }
        }
        #expect(versions == PostgresSchema.migrations.map(\.version))
        try await stores[1].migrate()
        _ = try await stores[2].createRepository(name: "after", kind: .local, settings: RepositorySettings())
    }

    /// The same filename uploaded through two nodes at once: one `.created`, the other `.identical`
    /// (or `.conflict` for other bytes); different files of one project on two nodes: none lost.
    static func twoNodesAddOneFile(_ stores: [PostgresMetadataStore]) async throws {
        let repo = try await stores[0].createRepository(name: "local", kind: .local, settings: RepositorySettings())
        for round in 0..<6 {
            let record = Sample.record(repo.id, version: "1.\(round)")
            let rival = round % 2 == 0 ? record : Sample.record(repo.id, version: "1.\(round)", content: "rival")
            async let a = stores[0].addDistribution(record, displayName: "Demo.Pkg")
            async let b = stores[1].addDistribution(rival, displayName: "Demo.Pkg")
            let outcomes = try await [a, b]
            let created = outcomes.filter { if case .created = $0 { true } else { false } }.count
            let expectedOther = outcomes.filter {
                switch $0 {
                case .identical: round % 2 == 0
                case .conflict: round % 2 == 1
                case .created: false
                }
            }.count
            #expect(created == 1 && expectedOther == 1, "round \(round): \(outcomes)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<10 {
                group.addTask { _ = try await Sample.add(stores[i % 2], Sample.record(repo.id, version: "3.\(i)")) }
            }
            try await group.waitForAll()
        }
        try await expectLocalPage(stores[1], repo.id, "demo-pkg")
        let page = try #require(try await stores[0].page(repository: repo.id, project: "demo-pkg"))
        #expect(try Sample.versionsAndFiles(page.rendered.json).files.count == 16)
    }

    static func twoNodesCreateOneRepository(_ stores: [PostgresMetadataStore]) async throws {
        for round in 0..<5 {
            let name = "race-\(round)"
            async let first = MetadataStoreContract.outcome {
                try await stores[0].createRepository(name: name, kind: .local, settings: RepositorySettings())
            }
            async let second = MetadataStoreContract.outcome {
                try await stores[1].createRepository(name: name, kind: .virtual, settings: RepositorySettings())
            }
            let statuses = await [first, second].sorted()
            #expect(statuses == [200, 409], "round \(round)")
        }
    }
}
