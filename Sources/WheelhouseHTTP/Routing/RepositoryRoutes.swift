import Hummingbird
import PythonPackaging
import WheelhouseCore
import WheelhouseVirtual

/// Everything under one repository's URL: upload, simple pages, files.
struct RepositoryRoutes {
    let services: WheelhouseServices

    func respond(_ request: Request, context: WheelhouseContext, route: RepositoryRoute) async throws -> Response {
        let method = request.method
        let rest = route.rest
        switch rest.count {
        case 0:
            if method == .post {
                // twine aborts on any redirect, so the upload URL answers with and without the slash.
                return try await UploadRoute(services: services).upload(request, context: context, repositoryName: route.repository)
            }
            try requireRead(method)
            // Redirects only after the repository was found and may be read: a redirect must not
            // tell an anonymous caller what exists, nor send anyone off this server.
            let repo = try await repository(route.repository, request, context: context)
            try await services.access.require(.read, on: repo, request, context: context)
            return Responses.redirect(to: route.location(["simple"], query: request.uri.query), permanent: false)
        case 1 where rest[0] == "simple":
            try requireRead(method)
            let repo = try await repository(route.repository, request, context: context)
            let members = try await readableMembers(repo, request, context: context)
            guard route.trailingSlash else { return Responses.redirect(to: route.location(["simple"], query: request.uri.query)) }
            return try await SimpleRoutes(services: services).projectList(request, repository: repo, members: members)
        case 2 where rest[0] == "simple":
            try requireRead(method)
            let project = rest[1]
            let normalized = ProjectName.normalize(project)
            let repo = try await repository(route.repository, request, context: context)
            let members = try await readableMembers(repo, request, context: context)
            guard route.trailingSlash, normalized == project else {
                return Responses.redirect(to: route.location(["simple", normalized], query: request.uri.query))
            }
            return try await SimpleRoutes(services: services).projectPage(request, repository: repo, project: normalized, members: members)
        case 3 where rest[0] == "files":
            try requireRead(method)
            let repo = try await repository(route.repository, request, context: context)
            let members = try await readableMembers(repo, request, context: context)
            return try await FileRoutes(services: services).file(request, repository: repo, sha256: rest[1], filename: rest[2], members: members)
        default:
            throw WheelhouseError.notFound("not found")
        }
    }

    static func routeName(_ route: RepositoryRoute) -> String {
        switch (route.rest.first, route.rest.count) {
        case (nil, _): "upload"
        case ("simple", 1): "simple_list"
        case ("simple", 2): "simple_page"
        case ("files", 3): route.rest[2].hasSuffix(".metadata") ? "metadata" : "file"
        default: "other"
        }
    }

    /// The named repository; when it does not exist, 401 to anonymous clients (as a private one answers).
    func repository(_ name: String, _ request: Request, context: WheelhouseContext) async throws -> Repository {
        guard let repo = try await services.metadata.repository(named: name) else {
            try await services.access.missingRepository(name, request, context: context)
        }
        return repo
    }

    /// Requires read on `repository`; for a virtual, also finds which of its leaf members the reader
    /// may read: a virtual serves from a member only to readers of that member.
    func readableMembers(_ repository: Repository, _ request: Request, context: WheelhouseContext) async throws -> VirtualMembers? {
        let principal = try await services.access.require(.read, on: repository, request, context: context)
        guard repository.kind == .virtual else { return nil }
        let leaves = try await services.virtual.leaves(of: repository)
        return VirtualMembers(all: leaves, readable: try await services.access.readable(leaves, principal: principal))
    }

    func requireRead(_ method: HTTPRequest.Method) throws {
        guard method == .get || method == .head else {
            throw WheelhouseError(.methodNotAllowed, "method \(method.rawValue) not allowed here", headers: [("Allow", "GET, HEAD")])
        }
    }

}

