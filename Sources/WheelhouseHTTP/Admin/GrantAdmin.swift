import Hummingbird
import WheelhouseCore

/// Per-repository grants of read, write or admin to users; managed by the repository's admins.
struct GrantAdmin {
    let call: AdminCall
    init(_ call: AdminCall) { self.call = call }

    struct GrantRequest: Decodable {
        let user: String
        let level: AccessLevel
    }

    struct GrantView: Encodable {
        let user: String
        let level: AccessLevel
    }

    func list(_ name: String) async throws -> Response {
        let repo = try await call.repository(name)
        try await call.access.require(.admin, on: repo, call.request, context: call.context)
        let grants = try await call.metadata.grants(repository: repo.id).map { GrantView(user: $0.user, level: $0.level) }
        return try Responses.json(.ok, ["permissions": grants])
    }

    func grant(_ name: String) async throws -> Response {
        let repo = try await call.repository(name)
        let principal = try await call.access.require(.admin, on: repo, call.request, context: call.context)
        let body = try await call.decode(GrantRequest.self)
        guard let user = try await call.metadata.user(named: body.user) else {
            throw WheelhouseError.badRequest("unknown user '\(body.user)'")
        }
        try await call.metadata.grant(repository: repo.id, userID: user.id, level: body.level)
        await call.audit(principal, "permission.grant", repository: name, target: user.name, details: ["level": body.level.rawValue])
        return try Responses.json(.created, GrantView(user: user.name, level: body.level))
    }

    func revoke(_ name: String, user userName: String) async throws -> Response {
        let repo = try await call.repository(name)
        let principal = try await call.access.require(.admin, on: repo, call.request, context: call.context)
        guard let user = try await call.metadata.user(named: userName),
            try await call.metadata.revokeGrant(repository: repo.id, userID: user.id)
        else { throw WheelhouseError.notFound("'\(userName)' has no grant on '\(name)'") }
        await call.audit(principal, "permission.revoke", repository: name, target: userName)
        return Responses.empty(.noContent)
    }
}
