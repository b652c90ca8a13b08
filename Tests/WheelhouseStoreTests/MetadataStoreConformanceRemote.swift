import Foundation
import Testing
import WheelhouseCore

/// What every `MetadataStore` must do for remote repositories: stored upstream pages and their state.
enum MetadataStoreRemoteContract {
    static let upstream = ProjectPage(
        name: "Requests",
        files: [
            IndexFile(
                filename: "requests-2.0-py3-none-any.whl", url: "https://files.example/r/requests-2.0-py3-none-any.whl",
                hashes: ["sha256": Sample.sha256("requests-2.0-py3-none-any.whl")], requiresPython: ">=3.7", size: 1234,
                uploadTime: "2024-01-02T03:04:05.000000Z"),
            IndexFile(filename: "requests-1.0.tar.gz", url: "https://files.example/r/requests-1.0.tar.gz", hashes: [:], yanked: "old"),
        ],
        versions: [])

    static func remotePages(_ store: any MetadataStore) async throws {
        let repo = try await store.createRepository(
            name: "proxy", kind: .remote, settings: RepositorySettings(url: "https://files.example/simple/", metadataTTL: 600))
        let state = UpstreamState(
            validators: PageValidators(etag: "\"v1\"", lastModified: "Tue, 02 Jan 2024 03:04:05 GMT"),
            fetchedAt: Sample.time(0), freshUntil: Sample.time(600), found: true)
        try await store.storeUpstreamPage(repository: repo.id, project: "requests", page: upstream, state: state)

        var stored = try #require(try await store.page(repository: repo.id, project: "requests"))
        #expect(stored.displayName == "Requests")
        #expect(stored.upstream == state)
        expectSamePage(stored.rendered, RemotePage.render(upstream: upstream, cached: []).render())
        #expect(try await store.upstreamPage(repository: repo.id, project: "requests") == upstream)

        // Cached files re-render the page: the sdist gains its hash, the wheel its core metadata.
        let sdist = try await Sample.add(
            store, Sample.record(repo.id, project: "requests", version: "1.0", filename: "requests-1.0.tar.gz",
                originURL: "https://files.example/r/requests-1.0.tar.gz"), displayName: "Requests")
        var wheel = try await Sample.add(
            store, Sample.record(repo.id, project: "requests", version: "2.0", filename: "requests-2.0-py3-none-any.whl"),
            displayName: "Requests")
        expectSamePage(
            try await store.page(repository: repo.id, project: "requests")?.rendered,
            RemotePage.render(upstream: upstream, cached: [sdist, wheel]).render())
        try await store.setMetadataSHA256(repository: repo.id, filename: wheel.filename, sha256: Sample.sha256("requests metadata"))
        wheel.metadataSHA256 = Sample.sha256("requests metadata")
        stored = try #require(try await store.page(repository: repo.id, project: "requests"))
        expectSamePage(stored.rendered, RemotePage.render(upstream: upstream, cached: [sdist, wheel]).render())
        #expect(String(decoding: stored.rendered.json, as: UTF8.self).contains(sdist.sha256))
        #expect(stored.upstream == state, "caching a file leaves the upstream state alone")

        // A 304 renews freshness only.
        try await store.renewUpstreamPage(repository: repo.id, project: "requests", fetchedAt: Sample.time(1000), freshUntil: Sample.time(1600))
        let renewed = try #require(try await store.page(repository: repo.id, project: "requests"))
        #expect(renewed.upstream?.fetchedAt == Sample.time(1000) && renewed.upstream?.freshUntil == Sample.time(1600))
        #expect(renewed.upstream?.validators == state.validators && renewed.upstream?.found == true)
        expectSamePage(renewed.rendered, stored.rendered)

        // A new upstream page replaces the old one, still merged with what is cached.
        var newer = upstream
        newer.files.removeLast()
        newer.versions = ["2.0"]
        let newerState = UpstreamState(validators: PageValidators(etag: "\"v2\""), fetchedAt: Sample.time(2000), freshUntil: Sample.time(2600), found: true)
        try await store.storeUpstreamPage(repository: repo.id, project: "requests", page: newer, state: newerState)
        #expect(try await store.page(repository: repo.id, project: "requests")?.upstream == newerState)
        expectSamePage(
            try await store.page(repository: repo.id, project: "requests")?.rendered,
            RemotePage.render(upstream: newer, cached: [sdist, wheel]).render())
        #expect(try await store.upstreamPage(repository: repo.id, project: "requests") == newer)
    }

    static func negativeEntriesAndPurge(_ store: any MetadataStore) async throws {
        let repo = try await store.createRepository(name: "proxy", kind: .remote, settings: RepositorySettings(url: "https://files.example/simple/"))
        let found = UpstreamState(validators: PageValidators(), fetchedAt: Sample.time(0), freshUntil: Sample.time(600), found: true)
        try await store.storeUpstreamPage(repository: repo.id, project: "requests", page: upstream, state: found)
        let cached = try await Sample.add(
            store, Sample.record(repo.id, project: "requests", version: "2.0", filename: "requests-2.0-py3-none-any.whl"), displayName: "Requests")

        // A remembered 404: an (empty) stored page whose state says not found; not in the project list.
        let missing = UpstreamState(validators: PageValidators(), fetchedAt: Sample.time(5), freshUntil: Sample.time(65), found: false)
        try await store.storeUpstreamPage(repository: repo.id, project: "no-such-thing", page: nil, state: missing)
        let negative = try #require(try await store.page(repository: repo.id, project: "no-such-thing"))
        #expect(negative.upstream == missing)
        expectSamePage(negative.rendered, ProjectPage(name: "no-such-thing", files: [], versions: []).render())
        #expect(try await store.upstreamPage(repository: repo.id, project: "no-such-thing") == nil)
        #expect(try await store.projectList(repository: repo.id) == [ProjectListEntry(name: "Requests", normalizedName: "requests")])

        #expect(try await store.cachedProjects(repository: repo.id) == [
            CachedProject(name: "no-such-thing", fetchedAt: Sample.time(5), freshUntil: Sample.time(65), found: false, cachedFiles: 0, cachedBytes: 0),
            CachedProject(name: "requests", fetchedAt: Sample.time(0), freshUntil: Sample.time(600), found: true, cachedFiles: 1, cachedBytes: cached.size),
        ])

        // A project that disappears upstream becomes a negative entry, and comes back later.
        try await store.storeUpstreamPage(repository: repo.id, project: "requests", page: nil, state: missing)
        #expect(try await store.projectList(repository: repo.id).isEmpty)
        #expect(try await store.page(repository: repo.id, project: "requests")?.upstream?.found == false)
        try await store.storeUpstreamPage(repository: repo.id, project: "requests", page: upstream, state: found)
        #expect(try await store.projectList(repository: repo.id).map(\.normalizedName) == ["requests"])

        // Purging forgets the page; the verified files stay.
        #expect(try await store.purgeProject(repository: repo.id, project: "requests"))
        #expect(try await store.page(repository: repo.id, project: "requests") == nil)
        #expect(try await store.upstreamPage(repository: repo.id, project: "requests") == nil)
        #expect(try await store.purgeProject(repository: repo.id, project: "requests") == false)
        #expect(try await store.distribution(repository: repo.id, filename: cached.filename) == cached)
        #expect(try await store.isBlobReferenced(sha256: cached.sha256))
        #expect(try await store.cachedProjects(repository: repo.id).map(\.name) == ["no-such-thing"])
        #expect(try await store.purgeProject(repository: repo.id, project: "no-such-thing"))
        #expect(try await store.cachedProjects(repository: repo.id).isEmpty)
    }
}
