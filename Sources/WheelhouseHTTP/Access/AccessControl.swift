import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import WheelhouseCore

/// Authentication and authorization of every request.
///
/// Credentials come the ways clients send them: `Bearer <token>`; Basic with a token as password and
/// `__token__` or the token's owner as user (twine, and pip's `https://user:token@host/...`); Basic with
/// a user's password (people; can be switched off). Failed attempts are rate-limited per client address
/// and per user name; every failure is audited.
public final class AccessControl: Sendable {
    let metadata: any MetadataStore
    let audit: AuditLog
    let passwordLogin: Bool
    let limiter = NIOLockedValueBox(FailedAuthLimiter())
    let tokenUses = NIOLockedValueBox([String: Date]())
    /// Successful password checks, keyed by a digest of user and password, for a minute: pip sends the
    /// password with every request and scrypt is slow on purpose.
    let passwordCache = NIOLockedValueBox([String: (userID: Int64, until: Date)]())

    public init(metadata: any MetadataStore, audit: AuditLog, passwordLogin: Bool = true, limiter: FailedAuthLimiter = .init()) {
        self.metadata = metadata
        self.audit = audit
        self.passwordLogin = passwordLogin
        self.limiter.withLockedValue { $0 = limiter }
    }

    /// The principal of the request; nil when anonymous. Throws 401 for bad credentials, 429 when rate-limited.
    func authenticate(_ request: Request, context: WheelhouseContext) async throws -> Principal? {
        guard let header = request.headers[.authorization] else { return nil }
        guard let credentials = Credentials(authorization: header) else {
            throw WheelhouseError.unauthorized("unsupported Authorization header: use Bearer or Basic")
        }
        let now = Date()
        var keys = ["addr:\(context.remoteAddress ?? "?")"]
        if case .basic(let user, _) = credentials, !user.isEmpty, user != "__token__" { keys.append("user:\(user)") }
        if let wait = limiter.withLockedValue({ $0.retryAfter(keys, now: now) }) {
            throw WheelhouseError(.tooManyRequests, "too many failed authentication attempts; retry in \(wait) s", headers: [("Retry-After", String(wait))])
        }
        if let principal = try await principal(for: credentials, now: now) { return principal }
        limiter.withLockedValue { $0.recordFailure(keys, now: now) }
        let actor: String = if case .basic(let user, _) = credentials, !user.isEmpty { user } else { "unknown" }
        await audit.record(AuditEntry(actor: actor, action: "login.failed", target: request.uri.path, client: context.remoteAddress))
        throw WheelhouseError.unauthorized("invalid credentials")
    }

    func principal(for credentials: Credentials, now: Date) async throws -> Principal? {
        let candidate = credentials.tokenCandidate
        let hash = TokenHash.hash(candidate)
        if let (token, user) = try await metadata.token(hash: hash), ConstantTime.equal(token.hash, hash) {
            guard token.isUsable(at: now), !user.isDisabled else { return nil }
            if case .basic(let name, _) = credentials, !name.isEmpty, name != "__token__", name != user.name { return nil }
            tokenUses.withLockedValue { $0[token.id] = now }
            return Principal(userID: user.id, userName: user.name, isAdmin: user.isAdmin, tokenID: token.id, scopes: token.scopes)
        }
        guard passwordLogin, case .basic(let name, let password) = credentials, !name.isEmpty, name != "__token__" else { return nil }
        let cacheKey = TokenHash.hash(name + "\u{0}" + password)
        let cached = passwordCache.withLockedValue { $0[cacheKey] }
        guard let user = try await metadata.user(named: name), !user.isDisabled, let stored = user.passwordHash else { return nil }
        if let cached, cached.userID == user.id, cached.until > now {
            return Principal(userID: user.id, userName: user.name, isAdmin: user.isAdmin)
        }
        let ok = try await NIOThreadPool.singleton.runIfActive { PasswordHash.verify(password, against: stored) }
        guard ok else { return nil }
        passwordCache.withLockedValue { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[cacheKey] = (user.id, now.addingTimeInterval(60))
        }
        return Principal(userID: user.id, userName: user.name, isAdmin: user.isAdmin)
    }

    /// Requires `level` on `repository`: 401 (with a challenge) when anonymous, 403 when not enough.
    @discardableResult
    func require(_ level: AccessLevel, on repository: Repository, _ request: Request, context: WheelhouseContext) async throws -> Principal? {
        let principal = try await authenticate(request, context: context)
        let anonymousRead = repository.settings.anonymousRead ?? false
        if level == .read, anonymousRead { return principal }
        let grant: AccessLevel? = if let principal, !principal.isAdmin {
            try await metadata.grant(repository: repository.id, userID: principal.userID)
        } else { nil }
        let have = AccessPolicy.level(of: principal, on: repository.name, grant: grant, anonymousRead: anonymousRead)
        if let have, have >= level { return principal }
        guard let principal else { throw WheelhouseError.unauthorized() }
        throw WheelhouseError.forbidden("'\(principal.userName)' lacks \(level.rawValue) access to '\(repository.name)'")
    }

    /// Any authenticated user.
    func requireUser(_ request: Request, context: WheelhouseContext) async throws -> Principal {
        guard let principal = try await authenticate(request, context: context) else { throw WheelhouseError.unauthorized() }
        return principal
    }

    func requireServerAdmin(_ request: Request, context: WheelhouseContext) async throws -> Principal {
        let principal = try await requireUser(request, context: context)
        guard AccessPolicy.isServerAdmin(principal) else { throw WheelhouseError.forbidden("administrator rights required") }
        return principal
    }

    /// Writes the batched last-used times (called periodically and at shutdown).
    public func flushTokenUses() async {
        let uses = tokenUses.withLockedValue { uses in
            defer { uses.removeAll() }
            return uses
        }
        try? await metadata.recordTokenUse(uses)
    }
}

/// Appends to the audit log; a failure to audit is logged, never turned into a failed request.
public struct AuditLog: Sendable {
    let metadata: any MetadataStore
    let logger: Logger

    public init(metadata: any MetadataStore, logger: Logger) {
        self.metadata = metadata
        self.logger = logger
    }

    func record(_ entry: AuditEntry) async {
        do { try await metadata.appendAudit(entry) } catch {
            logger.error("audit write failed", metadata: ["wh.action": "\(entry.action)", "wh.error": "\(error)"])
        }
    }

    func record(_ principal: Principal?, _ action: String, repository: String? = nil, target: String? = nil, context: WheelhouseContext, details: [String: String] = [:]) async {
        await record(AuditEntry(actor: principal?.userName ?? "anonymous", action: action, repository: repository, target: target, client: context.remoteAddress, details: details))
    }
}
