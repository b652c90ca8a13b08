import Foundation
import Hummingbird
import PythonPackaging
import WheelhouseCore

/// The admin REST API under `/api/v1`.
struct AdminRoutes {
    let services: WheelhouseServices

    func respond(_ request: Request, context: WheelhouseContext, segments: [String], info: inout RequestInfo) async throws -> Response {
        let auth = Authenticator(metadata: services.metadata)
        let principal = try await auth.requireAdmin(request)
        info.user = principal.userName
        let m = request.method
        let path = PathMatcher(segments)
        if m == .get, path.match("repositories") != nil {
            let repos = try await services.metadata.repositories()
            return try Responses.json(.ok, RepositoryList(repositories: repos.map(RepositoryView.init)))
        }
        if m == .post, path.match("repositories") != nil {
            let body = try await decode(RepositoryCreateRequest.self, request)
            return try await RepositoryAdmin(services: services).create(body)
        }
        if let c = path.match("repositories/*") {
            switch m {
            case .get: return try Responses.json(.ok, RepositoryView(try await repository(c[0])))
            case .patch:
                let body = try await decode(RepositoryPatchRequest.self, request)
                return try await RepositoryAdmin(services: services).update(try await repository(c[0]), body)
            case .delete:
                guard try await services.metadata.deleteRepository(named: c[0]) else {
                    throw WheelhouseError.notFound("repository '\(c[0])' not found")
                }
                return Responses.empty(.noContent)
            default: throw methodNotAllowed(m)
            }
        }
        if m == .get, let c = path.match("repositories/*/projects/*") {
            let repository = try await repository(c[0])
            let rows = try await services.metadata.distributions(repository: repository.id, project: ProjectName.normalize(c[1]))
            guard !rows.isEmpty else { throw WheelhouseError.notFound("project '\(c[1])' not found in '\(c[0])'") }
            return try Responses.json(.ok, FileList(files: rows.map(FileView.init)))
        }
        if let c = path.match("repositories/*/cache") {
            guard m == .get else { throw methodNotAllowed(m) }
            let repository = try await remoteRepository(c[0])
            return try Responses.json(.ok, CacheList(projects: try await services.metadata.cachedProjects(repository: repository.id)))
        }
        if let c = path.match("repositories/*/cache/warm"), m == .post {
            let repository = try await remoteRepository(c[0])
            let body = try await decode(WarmRequest.self, request)
            return try Responses.json(.ok, try await CacheWarmer(services: services).warm(repository, requirements: body.requirements))
        }
        if let c = path.match("repositories/*/cache/*") {
            guard m == .delete else { throw methodNotAllowed(m) }
            let repository = try await remoteRepository(c[0])
            guard try await services.metadata.purgeProject(repository: repository.id, project: ProjectName.normalize(c[1])) else {
                throw WheelhouseError.notFound("project '\(c[1])' is not cached in '\(c[0])'")
            }
            return Responses.empty(.noContent)
        }
        for kind in ["versions", "files"] {
            let byFile = kind == "files"
            if let c = path.match("repositories/*/projects/*/\(kind)/*/*"), m == .post {
                let action = c[3]
                guard action == "yank" || action == "unyank" else { throw WheelhouseError.notFound("no such action '\(action)'") }
                let selector = DistributionSelector(
                    project: ProjectName.normalize(c[1]), version: byFile ? nil : c[2], filename: byFile ? c[2] : nil)
                let reason = action == "yank" ? try await decodeOptional(YankRequest.self, request)?.reason : nil
                let repository = try await repository(c[0])
                let changed = try await services.metadata.setYanked(
                    repository: repository.id, selector, yanked: action == "yank", reason: reason)
                guard !changed.isEmpty else { throw WheelhouseError.notFound("no matching files of '\(c[1])' in '\(c[0])'") }
                return try Responses.json(.ok, FileList(files: changed.map(FileView.init)))
            }
            if let c = path.match("repositories/*/projects/*/\(kind)/*"), m == .delete {
                let selector = DistributionSelector(
                    project: ProjectName.normalize(c[1]), version: byFile ? nil : c[2], filename: byFile ? c[2] : nil)
                let repository = try await repository(c[0])
                let deleted = try await services.metadata.deleteDistributions(repository: repository.id, selector)
                guard !deleted.isEmpty else { throw WheelhouseError.notFound("no matching files of '\(c[1])' in '\(c[0])'") }
                await collectBlobs(of: deleted)
                return Responses.empty(.noContent)
            }
        }
        throw WheelhouseError.notFound("no such endpoint: \(m.rawValue) /api/v1/\(segments.joined(separator: "/"))")
    }

    func methodNotAllowed(_ m: HTTPRequest.Method) -> WheelhouseError {
        WheelhouseError(.methodNotAllowed, "method \(m.rawValue) not allowed here")
    }

    func repository(_ name: String) async throws -> Repository {
        guard let repo = try await services.metadata.repository(named: name) else {
            throw WheelhouseError.notFound("repository '\(name)' not found")
        }
        return repo
    }

    func remoteRepository(_ name: String) async throws -> Repository {
        let repo = try await repository(name)
        guard repo.kind == .remote else { throw WheelhouseError.badRequest("'\(name)' is not a remote repository") }
        return repo
    }

    /// Deleting rows can orphan blobs; remove those no other row references (best effort: gc catches the rest).
    func collectBlobs(of deleted: [DistributionRecord]) async {
        for sha in Set(deleted.flatMap { [$0.sha256, $0.metadataSHA256].compactMap { $0 } }) {
            guard let key = BlobKey(sha256: sha) else { continue }
            if (try? await services.metadata.isBlobReferenced(sha256: sha)) == false {
                try? await services.blobs.delete(key)
            }
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw WheelhouseError.badRequest("invalid JSON body: \(Self.describe(error))")
        }
    }

    func decodeOptional<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T? {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        guard buffer.readableBytes > 0 else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw WheelhouseError.badRequest("invalid JSON body: \(Self.describe(error))")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing field '\(key.stringValue)'"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
            "wrong type for '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))'"
        case .dataCorrupted(let ctx): ctx.debugDescription
        @unknown default: "malformed"
        }
    }
}

struct YankRequest: Decodable { let reason: String? }
