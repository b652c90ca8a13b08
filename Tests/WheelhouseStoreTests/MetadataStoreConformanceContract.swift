import Foundation
import Testing
import WheelhouseCore

/// What every `MetadataStore` must do: repositories, local pages and distributions.
enum MetadataStoreContract {
    static func repositories(_ store: any MetadataStore) async throws {
        let virtualSettings = RepositorySettings(members: ["ab", "a.z"], deployTo: "ab", allowRemote: ["team-*"])
        let virtual = try await store.createRepository(name: "gamma", kind: .virtual, settings: virtualSettings)
        let local = try await store.createRepository(name: "ab", kind: .local, settings: RepositorySettings(anonymousRead: true))
        let remote = try await store.createRepository(
            name: "a.z", kind: .remote, settings: RepositorySettings(url: "https://mirror.example.test/simple/", metadataTTL: 300, negativeTTL: 30))
        #expect(Set([virtual.id, local.id, remote.id]).count == 3)
        #expect(virtual.kind == .virtual && virtual.settings == virtualSettings && virtual.name == "gamma")

        let read = try await store.repository(named: "a.z")
        #expect(read?.id == remote.id && read?.kind == .remote && read?.settings == remote.settings)
        expectClose(read?.createdAt, remote.createdAt)
        #expect(try await store.repository(named: "nope") == nil)
        // Byte order, as SQLite sorts: "a.z" before "ab" (a collation that skips punctuation would not).
        #expect(try await store.repositories().map(\.name) == ["a.z", "ab", "gamma"])

        await expectConflict("repository 'ab' already exists") {
            _ = try await store.createRepository(name: "ab", kind: .remote, settings: RepositorySettings())
        }

        var changed = local
        changed.kind = .remote
        changed.settings = RepositorySettings(url: "https://example.org/simple/", offline: true)
        try await store.updateRepository(changed)
        let updated = try await store.repository(named: "ab")
        #expect(updated?.kind == .remote && updated?.settings == changed.settings && updated?.id == local.id)

        #expect(try await store.deleteRepository(named: "a.z"))
        #expect(try await store.deleteRepository(named: "a.z") == false)
        #expect(try await store.repository(named: "a.z") == nil)
        #expect(try await store.repositories().map(\.name) == ["ab", "gamma"])
    }

    /// Two requests (two nodes) creating one name at once: one creates it, the other gets the 409.
    static func concurrentCreateRepository(_ store: any MetadataStore) async throws {
        for round in 0..<5 {
            let name = "race-\(round)"
            async let first = outcome { try await store.createRepository(name: name, kind: .local, settings: RepositorySettings()) }
            async let second = outcome { try await store.createRepository(name: name, kind: .local, settings: RepositorySettings()) }
            let results = await [first, second]
            #expect(results.filter { $0 == 200 }.count == 1, "round \(round): \(results)")
            #expect(results.filter { $0 == 409 }.count == 1, "round \(round): \(results)")
        }
        #expect(try await store.repositories().count == 5)
    }

    static func deleteRepositoryDropsItsRows(_ store: any MetadataStore) async throws {
        let repo = try await store.createRepository(name: "doomed", kind: .local, settings: RepositorySettings())
        let file = try await Sample.add(store, Sample.record(repo.id, version: "1.0", metadataSHA256: Sample.sha256("meta")))
        let user = try await store.createUser(name: "carol", passwordHash: nil, isAdmin: false)
        try await store.grant(repository: repo.id, userID: user.id, level: .write)
        #expect(try await store.isBlobReferenced(sha256: file.sha256))
        #expect(try await store.isBlobReferenced(sha256: Sample.sha256("meta")))

        #expect(try await store.deleteRepository(named: "doomed"))
        #expect(try await store.isBlobReferenced(sha256: file.sha256) == false)
        #expect(try await store.isBlobReferenced(sha256: Sample.sha256("meta")) == false)
        #expect(try await store.distribution(repository: repo.id, filename: file.filename) == nil)
        #expect(try await store.page(repository: repo.id, project: "demo-pkg") == nil)
        #expect(try await store.grant(repository: repo.id, userID: user.id) == nil)
        #expect(try await store.user(named: "carol") != nil)
    }

    static func pagesAfterAdd(_ store: any MetadataStore) async throws {
        let repo = try await store.createRepository(name: "local", kind: .local, settings: RepositorySettings())
        var added: [DistributionRecord] = []
        for (version, sdist) in [("2.0", false), ("1.0", false), ("1.10", false), ("1.0", true)] {
            let record = Sample.record(
                repo.id, version: version, filename: sdist ? Sample.sdist("demo-pkg", version) : nil, at: Double(added.count))
            let created = try await Sample.add(store, record)
            #expect(created.id > 0)
            var withoutID = created
            withoutID.id = 0
            #expect(withoutID == record)
            added.append(created)
            try await expectLocalPage(store, repo.id, "demo-pkg")
        }
        #expect(Set(added.map(\.id)).count == 4)

        let page = try #require(try await store.page(repository: repo.id, project: "demo-pkg"))
        #expect(page.upstream == nil)
        let (versions, files) = try Sample.versionsAndFiles(page.rendered.json)
        #expect(versions == ["1.0", "1.10", "2.0"])
        #expect(files == ["demo_pkg-1.0-py3-none-any.whl", "demo_pkg-1.0.tar.gz", "demo_pkg-1.10-py3-none-any.whl", "demo_pkg-2.0-py3-none-any.whl"])

        // Every field survives the round trip.
        let stored = try await store.distributions(repository: repo.id, project: "demo-pkg")
        #expect(stored.sorted { $0.id < $1.id } == added.sorted { $0.id < $1.id })
        #expect(try await store.distribution(repository: repo.id, filename: added[2].filename) == added[2])
        #expect(try await store.distribution(repository: repo.id, filename: "missing.whl") == nil)
        // The upload's duplicate check reads only the filenames.
        #expect(try await store.filenames(repository: repo.id, project: "demo-pkg").sorted() == added.map(\.filename).sorted())
        #expect(try await store.filenames(repository: repo.id, project: "unknown").isEmpty)

        // A later upload under another spelling keeps the first display name.
        _ = try await Sample.add(store, Sample.record(repo.id, version: "3.0"), displayName: "demo_pkg")
        try await expectLocalPage(store, repo.id, "demo-pkg", displayName: "Demo.Pkg")

        _ = try await Sample.add(store, Sample.record(repo.id, project: "another", version: "0.1"), displayName: "Another")
        try await expectLocalPage(store, repo.id, "another", displayName: "Another")
        #expect(try await store.projectList(repository: repo.id) == [
            ProjectListEntry(name: "Another", normalizedName: "another"), ProjectListEntry(name: "Demo.Pkg", normalizedName: "demo-pkg"),
        ])
        #expect(try await store.page(repository: repo.id, project: "unknown") == nil)
        #expect(try await store.distributions(repository: repo.id, project: "unknown").isEmpty)
    }

    /// CI retries re-upload the same file (identical, answered 200); other bytes under a taken name conflict.
    static func identicalAndConflictingAdds(_ store: any MetadataStore) async throws {
        let repo = try await store.createRepository(name: "local", kind: .local, settings: RepositorySettings())
        let record = Sample.record(repo.id, version: "1.0")
        let created = try await Sample.add(store, record)
        let before = try await store.page(repository: repo.id, project: "demo-pkg")?.rendered

        var retry = record
        retry.uploadTime = Sample.time(100)
        #expect(try await store.addDistribution(retry, displayName: "Demo.Pkg") == .identical(created))
        #expect(try await store.addDistribution(Sample.record(repo.id, version: "1.0", content: "other bytes"), displayName: "x") == .conflict(created))

        #expect(try await store.page(repository: repo.id, project: "demo-pkg")?.rendered.etag == before?.etag)
        #expect(try await store.distributions(repository: repo.id, project: "demo-pkg") == [created])
    }

    /// Concurrent adds (on several connections): one filename → exactly one `.created`; many
    /// filenames of one project → none lost from the page.
    static func concurrentAdds(_ store: any MetadataStore) async throws {
        let repo = try await store.createRepository(name: "local", kind: .local, settings: RepositorySettings())
        for round in 0..<4 {
            let same = Sample.record(repo.id, version: "1.\(round)")
            let other = Sample.record(repo.id, version: "1.\(round)", content: "different")
            async let a = store.addDistribution(same, displayName: "Demo.Pkg")
            async let b = store.addDistribution(round % 2 == 0 ? same : other, displayName: "Demo.Pkg")
            async let c = store.addDistribution(same, displayName: "Demo.Pkg")
            let outcomes = try await [a, b, c]
            let created = outcomes.compactMap { if case .created(let r) = $0 { r } else { nil } }
            #expect(created.count == 1, "round \(round): \(outcomes)")
            for outcome in outcomes {
                switch outcome {
                case .created: break
                case .identical(let existing), .conflict(let existing): #expect(existing == created.first)
                }
            }
            let conflicts = outcomes.filter { if case .conflict = $0 { true } else { false } }.count
            // Same bytes: the others are identical; other bytes in the race: someone conflicts.
            #expect(round % 2 == 0 ? conflicts == 0 : conflicts >= 1, "round \(round): \(outcomes)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<12 {
                group.addTask { _ = try await Sample.add(store, Sample.record(repo.id, version: "2.\(i)", at: Double(i))) }
            }
            try await group.waitForAll()
        }
        let rows = try await store.distributions(repository: repo.id, project: "demo-pkg")
        #expect(rows.count == 16)
        try await expectLocalPage(store, repo.id, "demo-pkg")
        let files = try Sample.versionsAndFiles(try #require(try await store.page(repository: repo.id, project: "demo-pkg")).rendered.json).files
        #expect(files.count == 16, "a concurrent add was lost from the page")
    }

    static func yankAndUnyank(_ store: any MetadataStore) async throws {
        let repo = try await store.createRepository(name: "local", kind: .local, settings: RepositorySettings())
        let wheel = try await Sample.add(store, Sample.record(repo.id, version: "1.0.0"))
        let sdist = try await Sample.add(store, Sample.record(repo.id, version: "1.0.0", filename: Sample.sdist("demo-pkg", "1.0.0")))
        let other = try await Sample.add(store, Sample.record(repo.id, version: "1.1"))

        // PEP 440 equality: "1.0" selects "1.0.0".
        let yanked = try await store.setYanked(repository: repo.id, DistributionSelector(project: "demo-pkg", version: "1.0"), yanked: true, reason: "broken")
        #expect(Set(yanked.map(\.filename)) == [wheel.filename, sdist.filename])
        #expect(yanked.allSatisfy { $0.yanked && $0.yankedReason == "broken" })
        #expect(try await store.distribution(repository: repo.id, filename: wheel.filename)?.yankedReason == "broken")
        #expect(try await store.distribution(repository: repo.id, filename: other.filename)?.yanked == false)
        try await expectLocalPage(store, repo.id, "demo-pkg")

        let byName = try await store.setYanked(repository: repo.id, DistributionSelector(project: "demo-pkg", filename: other.filename), yanked: true, reason: nil)
        #expect(byName.map(\.filename) == [other.filename] && byName[0].yankedReason == nil)
        try await expectLocalPage(store, repo.id, "demo-pkg")

        // Unyanking clears the reason, whatever is passed.
        let unyanked = try await store.setYanked(repository: repo.id, DistributionSelector(project: "demo-pkg", version: "1.0"), yanked: false, reason: "ignored")
        #expect(unyanked.count == 2 && unyanked.allSatisfy { !$0.yanked && $0.yankedReason == nil })
        let stored = try #require(try await store.distribution(repository: repo.id, filename: sdist.filename))
        #expect(!stored.yanked && stored.yankedReason == nil)
        try await expectLocalPage(store, repo.id, "demo-pkg")

        let before = try await store.page(repository: repo.id, project: "demo-pkg")?.rendered
        #expect(try await store.setYanked(repository: repo.id, DistributionSelector(project: "demo-pkg", version: "9"), yanked: true, reason: nil).isEmpty)
        #expect(try await store.setYanked(repository: repo.id, DistributionSelector(project: "nothing"), yanked: true, reason: nil).isEmpty)
        #expect(try await store.page(repository: repo.id, project: "demo-pkg")?.rendered.etag == before?.etag)
    }

    static func deleteDistributions(_ store: any MetadataStore) async throws {
        let repo = try await store.createRepository(name: "local", kind: .local, settings: RepositorySettings())
        let old = try await Sample.add(store, Sample.record(repo.id, version: "1.0"))
        let oldSdist = try await Sample.add(store, Sample.record(repo.id, version: "1.0", filename: Sample.sdist("demo-pkg", "1.0")))
        let new = try await Sample.add(store, Sample.record(repo.id, version: "2.0", metadataSHA256: Sample.sha256("2.0 metadata")))
        _ = try await Sample.add(store, Sample.record(repo.id, project: "keeper", version: "1.0"), displayName: "keeper")

        // "2" is PEP 440-equal to "2.0".
        #expect(try await store.deleteDistributions(repository: repo.id, DistributionSelector(project: "demo-pkg", version: "2")) == [new])
        #expect(try await store.isBlobReferenced(sha256: new.sha256) == false)
        #expect(try await store.isBlobReferenced(sha256: Sample.sha256("2.0 metadata")) == false)
        #expect(try await store.isBlobReferenced(sha256: old.sha256))
        try await expectLocalPage(store, repo.id, "demo-pkg")
        #expect(try Sample.versionsAndFiles(try #require(try await store.page(repository: repo.id, project: "demo-pkg")).rendered.json).versions == ["1.0"])

        #expect(try await store.deleteDistributions(repository: repo.id, DistributionSelector(project: "demo-pkg", filename: oldSdist.filename)) == [oldSdist])
        try await expectLocalPage(store, repo.id, "demo-pkg")
        #expect(try await store.deleteDistributions(repository: repo.id, DistributionSelector(project: "demo-pkg", version: "7")).isEmpty)

        // The last file gone, the local project goes too.
        #expect(try await store.deleteDistributions(repository: repo.id, DistributionSelector(project: "demo-pkg")) == [old])
        #expect(try await store.page(repository: repo.id, project: "demo-pkg") == nil)
        #expect(try await store.distributions(repository: repo.id, project: "demo-pkg").isEmpty)
        #expect(try await store.projectList(repository: repo.id).map(\.normalizedName) == ["keeper"])
        #expect(try await store.deleteDistributions(repository: repo.id, DistributionSelector(project: "demo-pkg")).isEmpty)
    }

    static func setMetadataSHA256(_ store: any MetadataStore) async throws {
        let repo = try await store.createRepository(name: "local", kind: .local, settings: RepositorySettings())
        let file = try await Sample.add(store, Sample.record(repo.id, version: "1.0"))
        let sha = Sample.sha256("METADATA of 1.0")
        #expect(try await store.isBlobReferenced(sha256: sha) == false)
        try await store.setMetadataSHA256(repository: repo.id, filename: file.filename, sha256: sha)
        #expect(try await store.distribution(repository: repo.id, filename: file.filename)?.metadataSHA256 == sha)
        #expect(try await store.isBlobReferenced(sha256: sha))
        try await expectLocalPage(store, repo.id, "demo-pkg")
        let json = String(decoding: try #require(try await store.page(repository: repo.id, project: "demo-pkg")).rendered.json, as: UTF8.self)
        #expect(json.contains(sha))
        try await store.setMetadataSHA256(repository: repo.id, filename: "absent-1.0.tar.gz", sha256: sha)  // nothing to do
    }

    /// Running the migrations again is a no-op that keeps the data.
    static func migrateTwice(_ store: any MetadataStore) async throws {
        let repo = try await store.createRepository(name: "kept", kind: .local, settings: RepositorySettings())
        _ = try await Sample.add(store, Sample.record(repo.id, version: "1.0"))
        try await store.migrate()
        try await store.migrate()
        #expect(try await store.repository(named: "kept")?.id == repo.id)
        #expect(try await store.distributions(repository: repo.id, project: "demo-pkg").count == 1)
        try await store.ping()
    }

    /// 200 or the error's status, for counting race outcomes.
    static func outcome(_ body: () async throws -> Repository) async -> Int {
        do {
            _ = try await body()
            return 200
        } catch let error as WheelhouseError {
            return error.status
        } catch {
            return 0
        }
    }
}
