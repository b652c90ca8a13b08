import Foundation
import Hummingbird
import WheelhouseCore

/// API tokens: any user creates, lists and revokes their own; admins do it for anyone.
/// The secret is returned once, at creation; only its hash is stored.
struct TokenAdmin {
    let call: AdminCall
    init(_ call: AdminCall) { self.call = call }

    struct CreateRequest: Decodable {
        let name: String
        let user: String?
        let scopes: [TokenScope]?
        let expiresIn: Int?
    }

    struct TokenView: Encodable {
        let id: String
        let name: String
        let user: String
        let prefix: String
        let scopes: [TokenScope]?
        let expiresAt: Date?
        let revokedAt: Date?
        let lastUsedAt: Date?
        let createdAt: Date
        /// Only in the creation response.
        var token: String?

        init(_ t: TokenRecord, secret: String? = nil) {
            id = t.id
            name = t.name
            user = t.userName
            prefix = t.displayPrefix
            scopes = t.scopes
            expiresAt = t.expiresAt
            revokedAt = t.revokedAt
            lastUsedAt = t.lastUsedAt
            createdAt = t.createdAt
            token = secret
        }
    }

    func create() async throws -> Response {
        let principal = try await call.access.requireUser(call.request, context: call.context)
        // A scoped token cannot mint tokens: that would let it escape its own scopes.
        guard principal.scopes == nil else { throw WheelhouseError.forbidden("a scoped token cannot create tokens") }
        let body = try await call.decode(CreateRequest.self)
        guard !body.name.isEmpty, body.name.count <= 100 else { throw WheelhouseError.badRequest("a token needs a name (1 to 100 characters)") }
        let ownerName = body.user ?? principal.userName
        guard ownerName == principal.userName || AccessPolicy.isServerAdmin(principal) else {
            throw WheelhouseError.forbidden("only administrators may create tokens for other users")
        }
        guard let owner = try await call.metadata.user(named: ownerName), !owner.isDisabled else {
            throw WheelhouseError.badRequest("unknown or disabled user '\(ownerName)'")
        }
        if let expiresIn = body.expiresIn, expiresIn <= 0 { throw WheelhouseError.badRequest("expiresIn must be a positive number of seconds") }
        if let scopes = body.scopes, scopes.isEmpty { throw WheelhouseError.badRequest("scopes must not be empty: omit it for an unrestricted token") }
        let secret = TokenHash.generate()
        let now = Date()
        let id = UUID().uuidString.lowercased()
        let record = TokenRecord(
            id: id, userID: owner.id, userName: owner.name, name: body.name,
            hash: TokenHash.hash(secret), prefix: TokenRecord.publicPrefix(id: id), scopes: body.scopes,
            expiresAt: body.expiresIn.map { now.addingTimeInterval(TimeInterval($0)) }, createdAt: now)
        try await call.metadata.createToken(record)
        await call.audit(principal, "token.create", target: record.id, details: ["user": owner.name, "name": body.name])
        return try Responses.json(.created, TokenView(record, secret: secret))
    }

    func list() async throws -> Response {
        let principal = try await call.access.requireUser(call.request, context: call.context)
        let wanted = call.request.uri.queryParameters["user"].map(String.init)
        let all = AccessPolicy.isServerAdmin(principal)
        var userID: Int64? = principal.userID
        if all {
            userID = nil
            if let name = wanted {
                guard let u = try await call.metadata.user(named: name) else { throw WheelhouseError.notFound("user '\(name)' not found") }
                userID = u.id
            }
        }
        return try Responses.json(.ok, ["tokens": try await call.metadata.tokens(userID: userID).map { TokenView($0) }])
    }

    func revoke(_ id: String) async throws -> Response {
        let principal = try await call.access.requireUser(call.request, context: call.context)
        guard let token = try await call.metadata.token(id: id) else { throw WheelhouseError.notFound("token '\(id)' not found") }
        guard token.userID == principal.userID || AccessPolicy.isServerAdmin(principal) else {
            throw WheelhouseError.forbidden("only administrators may revoke other users' tokens")
        }
        guard try await call.metadata.revokeToken(id: id, at: Date()) else { throw WheelhouseError.conflict("token '\(id)' is already revoked") }
        await call.audit(principal, "token.revoke", target: id, details: ["user": token.userName])
        return Responses.empty(.noContent)
    }
}
