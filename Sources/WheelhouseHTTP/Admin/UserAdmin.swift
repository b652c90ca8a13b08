import Foundation
import Hummingbird
import NIOPosix
import WheelhouseCore

/// Users: created, listed and disabled by server admins; a user may change their own password.
struct UserAdmin {
    let call: AdminCall
    init(_ call: AdminCall) { self.call = call }

    struct CreateRequest: Decodable {
        let name: String
        let password: String?
        let admin: Bool?
    }

    struct PatchRequest: Decodable {
        let password: String?
        let admin: Bool?
        let disabled: Bool?
    }

    struct UserView: Encodable {
        let name: String
        let admin: Bool
        let disabled: Bool
        let hasPassword: Bool
        let createdAt: Date
        init(_ u: User) {
            name = u.name
            admin = u.isAdmin
            disabled = u.isDisabled
            hasPassword = u.passwordHash != nil
            createdAt = u.createdAt
        }
    }

    func list() async throws -> Response {
        _ = try await call.access.requireServerAdmin(call.request, context: call.context)
        return try Responses.json(.ok, ["users": try await call.metadata.users().map(UserView.init)])
    }

    func show(_ name: String) async throws -> Response {
        let principal = try await call.access.requireUser(call.request, context: call.context)
        guard principal.userName == name || AccessPolicy.isServerAdmin(principal) else {
            throw WheelhouseError.forbidden("only administrators may see other users")
        }
        guard let user = try await call.metadata.user(named: name) else { throw WheelhouseError.notFound("user '\(name)' not found") }
        return try Responses.json(.ok, UserView(user))
    }

    func create() async throws -> Response {
        let principal = try await call.access.requireServerAdmin(call.request, context: call.context)
        let body = try await call.decode(CreateRequest.self)
        try User.validateName(body.name)
        var hash: String? = nil
        if let password = body.password { hash = try await Self.hash(password) }
        let user = try await call.metadata.createUser(name: body.name, passwordHash: hash, isAdmin: body.admin ?? false)
        await call.audit(principal, "user.create", target: user.name, details: ["admin": String(user.isAdmin)])
        return try Responses.json(.created, UserView(user))
    }

    func update(_ name: String) async throws -> Response {
        let principal = try await call.access.requireUser(call.request, context: call.context)
        let body = try await call.decode(PatchRequest.self)
        let isAdmin = AccessPolicy.isServerAdmin(principal)
        let selfPasswordOnly = principal.userName == name && body.admin == nil && body.disabled == nil && principal.scopes == nil
        guard isAdmin || selfPasswordOnly else { throw WheelhouseError.forbidden("only administrators may change other users") }
        guard var user = try await call.metadata.user(named: name) else { throw WheelhouseError.notFound("user '\(name)' not found") }
        if let password = body.password { user.passwordHash = password.isEmpty ? nil : try await Self.hash(password) }
        if let v = body.admin { user.isAdmin = v }
        if let v = body.disabled { user.isDisabled = v }
        try await call.metadata.updateUser(user)
        var details: [String: String] = [:]
        if body.password != nil { details["password"] = "changed" }
        if let v = body.admin { details["admin"] = String(v) }
        if let v = body.disabled { details["disabled"] = String(v) }
        await call.audit(principal, "user.update", target: name, details: details)
        return try Responses.json(.ok, UserView(user))
    }

    static func hash(_ password: String) async throws -> String {
        guard password.count >= 8 else { throw WheelhouseError.badRequest("passwords need at least 8 characters") }
        return try await NIOThreadPool.singleton.runIfActive { try PasswordHash.make(password) }
    }
}
