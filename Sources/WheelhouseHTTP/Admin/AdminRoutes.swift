import Foundation
import Hummingbird
import PythonPackaging
import WheelhouseCore

/// The admin REST API under `/api/v1`: each resource authorizes its own actions.
struct AdminRoutes {
    let services: WheelhouseServices

    func respond(_ request: Request, context: WheelhouseContext, segments: [String], info: inout RequestInfo) async throws -> Response {
        let m = request.method
        let path = PathMatcher(segments)
        let call = AdminCall(services: services, request: request, context: context)
        if path.match("repositories") != nil {
            switch m {
            case .get: return try await RepositoryAdmin(call).list()
            case .post: return try await RepositoryAdmin(call).create()
            default: throw call.methodNotAllowed()
            }
        }
        if let c = path.match("repositories/*") {
            info.repository = c[0]
            switch m {
            case .get: return try await RepositoryAdmin(call).show(c[0])
            case .patch: return try await RepositoryAdmin(call).update(c[0])
            case .delete: return try await RepositoryAdmin(call).delete(c[0])
            default: throw call.methodNotAllowed()
            }
        }
        if let c = path.match("repositories/*/permissions") {
            switch m {
            case .get: return try await GrantAdmin(call).list(c[0])
            case .post: return try await GrantAdmin(call).grant(c[0])
            default: throw call.methodNotAllowed()
            }
        }
        if let c = path.match("repositories/*/permissions/*") {
            guard m == .delete else { throw call.methodNotAllowed() }
            return try await GrantAdmin(call).revoke(c[0], user: c[1])
        }
        if let c = path.match("repositories/*/cache") {
            guard m == .get else { throw call.methodNotAllowed() }
            return try await CacheAdmin(call).list(c[0])
        }
        if let c = path.match("repositories/*/cache/warm"), m == .post {
            return try await CacheAdmin(call).warm(c[0])
        }
        if let c = path.match("repositories/*/cache/*") {
            guard m == .delete else { throw call.methodNotAllowed() }
            return try await CacheAdmin(call).purge(c[0], project: c[1])
        }
        if let c = path.match("repositories/*/projects/*") {
            guard m == .get else { throw call.methodNotAllowed() }
            return try await FileAdmin(call).list(c[0], project: c[1])
        }
        for kind in ["versions", "files"] {
            if let c = path.match("repositories/*/projects/*/\(kind)/*/*") {
                guard m == .post else { throw call.methodNotAllowed() }
                return try await FileAdmin(call).yank(c[0], project: c[1], selector: c[2], byFile: kind == "files", action: c[3])
            }
            if let c = path.match("repositories/*/projects/*/\(kind)/*") {
                guard m == .delete else { throw call.methodNotAllowed() }
                return try await FileAdmin(call).delete(c[0], project: c[1], selector: c[2], byFile: kind == "files")
            }
        }
        if path.match("users") != nil {
            switch m {
            case .get: return try await UserAdmin(call).list()
            case .post: return try await UserAdmin(call).create()
            default: throw call.methodNotAllowed()
            }
        }
        if let c = path.match("users/*") {
            switch m {
            case .get: return try await UserAdmin(call).show(c[0])
            case .patch: return try await UserAdmin(call).update(c[0])
            default: throw call.methodNotAllowed()
            }
        }
        if path.match("tokens") != nil {
            switch m {
            case .get: return try await TokenAdmin(call).list()
            case .post: return try await TokenAdmin(call).create()
            default: throw call.methodNotAllowed()
            }
        }
        if let c = path.match("tokens/*") {
            guard m == .delete else { throw call.methodNotAllowed() }
            return try await TokenAdmin(call).revoke(c[0])
        }
        if path.match("audit") != nil {
            guard m == .get else { throw call.methodNotAllowed() }
            return try await AuditAdmin(call).list()
        }
        if path.match("gc") != nil {
            guard m == .post else { throw call.methodNotAllowed() }
            return try await GarbageAdmin(call).collect()
        }
        if path.match("whoami") != nil {
            let principal = try await call.access.requireUser(request, context: context)
            return try Responses.json(.ok, ["user": principal.userName, "admin": principal.isAdmin ? "true" : "false"])
        }
        throw WheelhouseError.notFound("no such endpoint: \(m.rawValue) /api/v1/\(segments.joined(separator: "/"))")
    }
}

/// What every admin handler needs: the services, the request and shared helpers.
struct AdminCall {
    let services: WheelhouseServices
    let request: Request
    let context: WheelhouseContext

    var access: AccessControl { services.access }
    var metadata: any MetadataStore { services.metadata }

    /// The named repository; when it does not exist, 401 to anonymous clients (as a private one answers).
    func repository(_ name: String) async throws -> Repository {
        guard let repo = try await metadata.repository(named: name) else {
            try await access.missingRepository(name, request, context: context)
        }
        return repo
    }

    func methodNotAllowed() -> WheelhouseError {
        WheelhouseError(.methodNotAllowed, "method \(request.method.rawValue) not allowed here")
    }

    func audit(_ principal: Principal?, _ action: String, repository: String? = nil, target: String? = nil, details: [String: String] = [:]) async {
        await services.audit.record(principal, action, repository: repository, target: target, context: context, details: details)
    }

    func decode<T: Decodable>(_ type: T.Type) async throws -> T {
        guard let value = try await decodeOptional(type) else { throw WheelhouseError.badRequest("a JSON body is required") }
        return value
    }

    func decodeOptional<T: Decodable>(_ type: T.Type) async throws -> T? {
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
