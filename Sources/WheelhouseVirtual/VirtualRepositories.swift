import Foundation
import Logging
import PythonPackaging
import WheelhouseCore
import WheelhouseRemote

/// The behaviour of virtual repositories: merged pages with the dependency-confusion guard, the
/// union of project lists, and files served from whichever member holds them.
public struct VirtualRepositories: Sendable {
    let metadata: any MetadataStore
    let remote: RemoteProxy
    public let cache: VirtualPageCache
    let logger: Logger

    public init(metadata: any MetadataStore, remote: RemoteProxy, cache: VirtualPageCache, logger: Logger) {
        self.metadata = metadata
        self.remote = remote
        self.cache = cache
        self.logger = logger
    }

    /// The leaf members in order (nested virtuals flattened depth-first, each repository once).
    public func leaves(of virtual: Repository) async throws -> [Repository] {
        var out: [Repository] = []
        var seen: Set<String> = [virtual.name]
        func walk(_ names: [String]) async throws {
            for name in names where seen.insert(name).inserted {
                guard let repo = try await metadata.repository(named: name) else { continue }
                if repo.kind == .virtual { try await walk(repo.settings.members ?? []) } else { out.append(repo) }
            }
        }
        try await walk(virtual.settings.members ?? [])
        return out
    }

    /// The merged page of `project` as one reader may see it: only `members.readable` serve, but the
    /// dependency-confusion guard looks at every local member, readable or not.
    public func page(_ virtual: Repository, project: String, members view: VirtualMembers) async throws -> MergedPage {
        let now = Date()
        let key = view.cacheKey(virtual)
        if let cached = await cache.get(key, project, now: now) { return cached }
        let generation = await cache.currentGeneration()
        let members = view.all
        var localPages: [(Repository, StoredPage)] = []
        for member in members where member.kind == .local {
            if let page = try await metadata.page(repository: member.id, project: project) { localPages.append((member, page)) }
        }
        let remoteAllowed = PageMerge.remoteAllowed(
            project: project, localHasIt: !localPages.isEmpty, allowRemote: virtual.settings.allowRemote ?? [])
        var pages: [ProjectPage] = []
        var servedBy: [String] = []
        var expiresAt = Date.distantFuture
        var failures: [String] = []
        var stale: String?
        for member in view.served {
            let stored: StoredPage
            switch member.kind {
            case .local:
                guard let page = localPages.first(where: { $0.0.id == member.id })?.1 else { continue }
                stored = page
            case .remote:
                guard remoteAllowed else { continue }
                do {
                    let answer = try await remote.page(repository: member, project: project)
                    stored = answer.page
                    if let reason = answer.staleReason { stale = "\(member.name): \(reason)" }
                    if let fresh = answer.page.upstream?.freshUntil(settings: member.settings) {
                        expiresAt = min(expiresAt, max(fresh, now.addingTimeInterval(1)))
                    }
                } catch let error as WheelhouseError where error.code == .notFound {
                    continue
                } catch let error as WheelhouseError {
                    failures.append("\(member.name): \(error.message)")
                    continue
                }
            case .virtual:
                continue
            }
            guard let page = try? UpstreamPage.parseJSON(stored.rendered.json, pageURL: "", project: project) else { continue }
            pages.append(page)
            servedBy.append(member.name)
        }
        guard let merged = PageMerge.merge(pages) else {
            if !failures.isEmpty { throw WheelhouseError(.badGateway, "no member could serve '\(project)': " + failures.joined(separator: "; ")) }
            throw WheelhouseError.notFound("project '\(project)' not found in '\(virtual.name)'")
        }
        if !failures.isEmpty { stale = (stale.map { $0 + "; " } ?? "") + failures.joined(separator: "; ") }
        let result = MergedPage(page: StoredPage(displayName: merged.name, rendered: merged.render()), servedBy: servedBy, staleReason: stale)
        // A page missing a failed member is served but not cached: the next request tries again.
        if failures.isEmpty {
            await cache.put(key, project, result, expiresAt: expiresAt, generation: generation)
        }
        return result
    }

    /// The union of the readable members' project lists (remote members: their cached projects).
    public func projectList(_ virtual: Repository, members: VirtualMembers) async throws -> [ProjectListEntry] {
        var byName: [String: ProjectListEntry] = [:]
        for member in members.served {
            for entry in try await metadata.projectList(repository: member.id) where byName[entry.normalizedName] == nil {
                byName[entry.normalizedName] = entry
            }
        }
        return byName.values.sorted { $0.normalizedName < $1.normalizedName }
    }
}

/// A virtual's leaf members as one reader sees them: all of them, which the dependency-confusion
/// guard needs, and the names of those the reader may read, which are the only ones that serve.
public struct VirtualMembers: Sendable {
    public var all: [Repository]
    public var readable: Set<String>

    public init(all: [Repository], readable: Set<String>) {
        self.all = all
        self.readable = readable
    }

    public var served: [Repository] { all.filter { readable.contains($0.name) } }

    /// Merged pages are cached per set of members served: a reader who may read every member (the
    /// common case) shares the virtual's one entry; any other reader gets an entry of their set.
    func cacheKey(_ virtual: Repository) -> String {
        let served = self.served
        if served.count == all.count { return virtual.name }
        return virtual.name + "\u{1}" + served.map(\.name).joined(separator: ",")
    }
}
