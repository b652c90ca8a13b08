import Hummingbird
import PythonPackaging
import WheelhouseCore

/// A remote repository's cache: listed by readers, purged and warmed by writers.
struct CacheAdmin {
    let call: AdminCall
    init(_ call: AdminCall) { self.call = call }

    func remote(_ name: String) async throws -> Repository {
        let repo = try await call.repository(name)
        guard repo.kind == .remote else { throw WheelhouseError.badRequest("'\(name)' is not a remote repository") }
        return repo
    }

    func list(_ name: String) async throws -> Response {
        let repo = try await remote(name)
        try await call.access.require(.read, on: repo, call.request, context: call.context)
        return try Responses.json(.ok, CacheList(projects: try await call.metadata.cachedProjects(repository: repo.id)))
    }

    func purge(_ name: String, project: String) async throws -> Response {
        let repo = try await remote(name)
        let principal = try await call.access.require(.write, on: repo, call.request, context: call.context)
        let normalized = ProjectName.normalize(project)
        guard try await call.metadata.purgeProject(repository: repo.id, project: normalized) else {
            throw WheelhouseError.notFound("project '\(project)' is not cached in '\(name)'")
        }
        await call.services.invalidateCaches("write")
        await call.audit(principal, "cache.purge", repository: name, target: normalized)
        return Responses.empty(.noContent)
    }

    func warm(_ name: String) async throws -> Response {
        let repo = try await remote(name)
        let principal = try await call.access.require(.write, on: repo, call.request, context: call.context)
        let body = try await call.decode(WarmRequest.self)
        let report = try await CacheWarmer(services: call.services).warm(repo, requirements: body.requirements)
        await call.audit(principal, "cache.warm", repository: name, details: ["requirements": String(body.requirements.count)])
        return try Responses.json(.ok, report)
    }
}
