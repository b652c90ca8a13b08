import Hummingbird
import WheelhouseCore

/// Turns a request's credentials into a principal. Tokens are looked up by their hash, so the
/// comparison happens on a digest of a 256-bit secret inside an indexed lookup, never on the token itself.
struct Authenticator {
    let metadata: any MetadataStore

    /// nil when the request carries no credentials; throws 401 when it carries bad ones.
    func principal(_ request: Request) async throws -> Principal? {
        guard let header = request.headers[.authorization] else { return nil }
        guard let credentials = Credentials(authorization: header) else {
            throw WheelhouseError.unauthorized("unsupported Authorization header")
        }
        guard let principal = try await metadata.principal(tokenHash: TokenHash.hash(credentials.tokenCandidate)) else {
            throw WheelhouseError.unauthorized("invalid credentials")
        }
        if case .basic(let user, _) = credentials, user != "__token__", !user.isEmpty, user != principal.userName {
            // pip/Artifactory style `user:token@host`: the user must own the token.
            throw WheelhouseError.unauthorized("invalid credentials")
        }
        return principal
    }

    /// Write access: until per-repository grants exist, admins may write.
    func requireWrite(_ request: Request, repository: String) async throws -> Principal {
        guard let principal = try await principal(request) else { throw WheelhouseError.unauthorized() }
        guard principal.isAdmin else { throw WheelhouseError.forbidden("'\(principal.userName)' may not write to '\(repository)'") }
        return principal
    }

    func requireAdmin(_ request: Request) async throws -> Principal {
        guard let principal = try await principal(request) else { throw WheelhouseError.unauthorized() }
        guard principal.isAdmin else { throw WheelhouseError.forbidden("administrator rights required") }
        return principal
    }

    /// Read access: anonymous reads are allowed unless the repository turns them off.
    func requireRead(_ request: Request, repository: Repository) async throws {
        let principal = try await principal(request)
        if principal == nil, repository.settings.anonymousRead == false { throw WheelhouseError.unauthorized() }
    }
}
