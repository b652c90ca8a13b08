import Foundation

/// Users, tokens, grants and the audit log: the access-control half of the metadata store.
public protocol AccountStore: Sendable {
    // MARK: users
    /// Creates a user; throws 409 when the name is taken.
    func createUser(name: String, passwordHash: String?, isAdmin: Bool) async throws -> User
    func user(named name: String) async throws -> User?
    func users() async throws -> [User]
    func updateUser(_ user: User) async throws
    func userCount() async throws -> Int

    // MARK: tokens
    func createToken(_ token: TokenRecord) async throws
    /// The token with this hash and its user, whatever their state (the caller decides).
    func token(hash: String) async throws -> (TokenRecord, User)?
    func token(id: String) async throws -> TokenRecord?
    /// Tokens of one user, or of everyone when nil.
    func tokens(userID: Int64?) async throws -> [TokenRecord]
    func revokeToken(id: String, at: Date) async throws -> Bool
    /// Records last-used times in one write (batched by the caller).
    func recordTokenUse(_ uses: [String: Date]) async throws

    // MARK: grants
    func grant(repository: Int64, userID: Int64, level: AccessLevel) async throws
    func revokeGrant(repository: Int64, userID: Int64) async throws -> Bool
    func grant(repository: Int64, userID: Int64) async throws -> AccessLevel?
    func grants(repository: Int64) async throws -> [(user: String, level: AccessLevel)]

    // MARK: audit
    func appendAudit(_ entry: AuditEntry) async throws
    func audit(_ filter: AuditFilter) async throws -> [AuditEntry]
}
